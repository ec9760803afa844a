/** @module The classifier: from a tool call of Claude Code, Codex, Cursor, an MCP client or a script to the capabilities it needs. */
import type { Capability } from './capabilities.ts';
import { Findings, type Classification } from './findings.ts';
import { AUTOPILOT_SERVER, classifyMcpTool, splitMcpName } from './mcp.ts';
import { patchPaths } from './patch.ts';
import { classifyPath, normalizeAbsolute, resolvePath, type PathScope } from './paths.ts';
import type { McpServerPolicy } from './policy.ts';
import { classifyArgvCommand, classifyShell } from './shell.ts';
import { protectionOf, protectionOfPath, type ProtectionScope } from './protected.ts';

export type { Classification } from './findings.ts';

/** The agent client a call comes from. */
export type ToolClient = 'claude' | 'codex' | 'cursor' | 'mcp' | 'generic';

/** One tool call, as the client's hook (or the MCP `tool_check` tool) reports it. */
export interface ToolCall {
  readonly client: ToolClient;
  /** The tool name: `Bash`, `Edit`, `shell`, `apply_patch`, `beforeShellExecution`, `mcp__server__tool`, … */
  readonly tool: string;
  /** The tool's input (an object, or a JSON string of one). */
  readonly input: unknown;
}

/** What the classifier needs to know about the task and the repository. */
export interface ClassifyContext extends PathScope, ProtectionScope {
  /** Third-party MCP servers and what their tools do (`tools.mcpServers` of the config). */
  readonly mcpServers?: Readonly<Record<string, McpServerPolicy>>;
}

type Kind = 'read' | 'search' | 'write' | 'shell' | 'patch' | 'net' | 'agent' | 'mcp' | 'stdin';

// Tool names of every client, by what they do. Cursor's hook events are here too.
const TOOLS: Readonly<Record<string, Kind>> = {
  // Claude Code
  Read: 'read',
  NotebookRead: 'read',
  LS: 'read',
  Glob: 'search',
  Grep: 'search',
  Edit: 'write',
  MultiEdit: 'write',
  Write: 'write',
  NotebookEdit: 'write',
  Bash: 'shell',
  BashOutput: 'read',
  KillShell: 'read',
  KillBash: 'read',
  TodoWrite: 'read',
  TodoRead: 'read',
  ExitPlanMode: 'read',
  Skill: 'read',
  SlashCommand: 'read',
  ListMcpResourcesTool: 'read',
  ReadMcpResourceTool: 'read',
  WebFetch: 'net',
  WebSearch: 'net',
  Task: 'agent',
  Agent: 'agent',
  // Codex CLI
  shell: 'shell',
  local_shell: 'shell',
  'container.exec': 'shell',
  exec_command: 'shell',
  unified_exec: 'shell',
  write_stdin: 'stdin',
  apply_patch: 'patch',
  update_plan: 'read',
  view_image: 'read',
  read_file: 'read',
  list_dir: 'read',
  grep_files: 'search',
  web_search: 'net',
  web_search_request: 'net',
  // Cursor: hook events and agent tools
  beforeShellExecution: 'shell',
  afterShellExecution: 'shell',
  beforeReadFile: 'read',
  beforeTabFileRead: 'read',
  afterFileEdit: 'write',
  afterTabFileEdit: 'write',
  beforeMCPExecution: 'mcp',
  afterMCPExecution: 'mcp',
  Shell: 'shell',
  run_terminal_cmd: 'shell',
  StrReplace: 'write',
  Delete: 'write',
  TabWrite: 'write',
  edit_file: 'write',
  search_replace: 'write',
  write_file: 'write',
  delete_file: 'write',
  create_file: 'write',
  codebase_search: 'search',
  grep_search: 'search',
  file_search: 'search',
  glob_file_search: 'search',
  web_fetch: 'net',
  // generic names (`autopilot guard --tool bash`)
  bash: 'shell',
  read: 'read',
  write: 'write',
  edit: 'write',
  search: 'search',
  grep: 'search',
  glob: 'search',
};

const PATH_KEYS = [
  'file_path',
  'notebook_path',
  'path',
  'target_file',
  'filePath',
  'file',
  'filename',
  'target_notebook',
  'relative_workspace_path',
];

type Input = Readonly<Record<string, unknown>>;

function asInput(input: unknown): Input | undefined {
  if (typeof input === 'string') {
    try {
      const parsed: unknown = JSON.parse(input);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Input) : undefined;
    } catch {
      return undefined;
    }
  }
  return input && typeof input === 'object' && !Array.isArray(input) ? (input as Input) : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function pathsOf(input: Input | undefined): string[] {
  if (!input) return [];
  const out: string[] = [];
  for (const key of PATH_KEYS) {
    const v = input[key];
    if (typeof v === 'string' && v !== '') out.push(v);
  }
  for (const key of ['paths', 'files', 'edits']) {
    const list = input[key];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (typeof item === 'string') out.push(item);
      else if (item && typeof item === 'object')
        for (const k of PATH_KEYS) if (typeof (item as Input)[k] === 'string') out.push((item as Input)[k] as string);
    }
  }
  return [...new Set(out)];
}

function cwdOf(input: Input | undefined, ctx: ClassifyContext): string | undefined {
  const action = asInput(input?.['action']);
  const dir =
    str(input?.['workdir']) ??
    str(input?.['cwd']) ??
    str(input?.['working_directory']) ??
    str(action?.['working_directory']);
  return dir ? resolvePath(dir, normalizeAbsolute(ctx.repoRoot)) : undefined;
}

// What a file tool's path really is: its protection, checked on the path as given and on its real path (symlinks).
function protectedPath(
  path: string,
  base: string,
  ctx: ClassifyContext,
): { what: string; secret: boolean } | undefined {
  const abs = resolvePath(path, base);
  const p = protectionOf(ctx);
  const real = ctx.realpath?.(abs) ?? abs;
  const hit = protectionOfPath(real, p) ?? protectionOfPath(abs, p);
  if (!hit) return undefined;
  return { what: real !== abs ? `${hit.what} (through ${abs})` : hit.what, secret: hit.kind === 'secret' };
}

function writePaths(paths: readonly string[], what: string, ctx: ClassifyContext, f: Findings, base?: string): void {
  if (paths.length === 0) return f.need('write:source', `${what} (no target path given)`);
  const root = base ?? normalizeAbsolute(ctx.repoRoot);
  for (const p of paths) {
    const c = classifyPath(p, root, ctx);
    f.path(c.display);
    const hit = protectedPath(p, root, ctx);
    if (hit)
      f.unknown(
        `${what} ${hit.what}: only Autopilot and people change it (its state and the evidence it produces, git's hooks and config, the agent settings); denied in every phase (use evidence_put for evidence)`,
      );
    else if (c.kind === 'state')
      f.unknown(
        `${what} ${c.display}: Autopilot's own state; only Autopilot and people change it (use evidence_put for evidence)`,
      );
    else if (c.kind === 'evidence') f.need('write:evidence', `${what} ${c.display}`);
    else if (c.kind === 'source') f.need('write:source', `${what} ${c.display}`);
    else if (c.kind === 'net') f.need('net', `${what} ${c.display}`);
    else f.reason(`${what} ${c.display} is scratch space`);
  }
}

function shellCall(tool: string, input: unknown, ctx: ClassifyContext, f: Findings): void {
  const obj = asInput(input);
  const action = asInput(obj?.['action']);
  const command = typeof input === 'string' && !obj ? input : (obj?.['command'] ?? obj?.['cmd'] ?? action?.['command']);
  const scope = { ...ctx, ...(cwdOf(obj, ctx) ? { cwd: cwdOf(obj, ctx) } : {}) };
  if (typeof command === 'string') {
    classifyShell(command, scope, f);
  } else if (Array.isArray(command) && command.length > 0 && command.every((a) => typeof a === 'string')) {
    classifyArgvCommand(command as string[], scope, f);
  } else {
    f.unknown(`${tool}: no command in the input`);
  }
}

function mcpCall(call: ToolCall, ctx: ClassifyContext, f: Findings): void {
  const input = asInput(call.input);
  const name = str(input?.['tool_name']) ?? str(input?.['tool']) ?? '';
  const split = splitMcpName(name);
  if (split) return classifyMcpTool(split.server, split.tool, ctx.mcpServers, f);
  let server = str(input?.['server']) ?? str(input?.['server_name']);
  const launcher = str(input?.['command']);
  if (!server && launcher) {
    const words = launcher.split(/\s+/);
    const at = words.findIndex((w) => /^(autopilot|agent-autopilot(@[^/]*)?)$/.test(w.slice(w.lastIndexOf('/') + 1)));
    if (at >= 0 && words.slice(at + 1).includes('mcp')) server = AUTOPILOT_SERVER;
  }
  classifyMcpTool(server, name || '?', ctx.mcpServers, f);
}

// Splits `server__tool` of clients that name MCP tools without the `mcp__` prefix, for known servers only.
function bareMcpName(tool: string, ctx: ClassifyContext): { server: string; tool: string } | undefined {
  const sep = tool.indexOf('__');
  if (sep <= 0) return undefined;
  const server = tool.slice(0, sep);
  return server === AUTOPILOT_SERVER || ctx.mcpServers?.[server] ? { server, tool: tool.slice(sep + 2) } : undefined;
}

// Shell classifications of recent command lines: agents repeat `npm test` and `git status` a lot.
const SHELL_CACHE = new Map<string, Classification>();
const SHELL_CACHE_SIZE = 512;
const CACHEABLE_SOURCE = 8 * 1024;

function copy(c: Classification): Classification {
  return {
    ...c,
    capabilities: [...c.capabilities],
    needs: [...c.needs],
    notes: [...c.notes],
    ...(c.paths ? { paths: [...c.paths] } : {}),
  };
}

function cachedShell(call: ToolCall, ctx: ClassifyContext, run: () => Findings): Classification {
  const compute = (): Classification => run().result();
  const input = asInput(call.input);
  const command = input?.['command'] ?? input?.['cmd'];
  if (typeof command !== 'string' || command.length > CACHEABLE_SOURCE) return compute();
  const key = [
    call.tool,
    ctx.repoRoot,
    ctx.evidenceDir,
    ctx.stateDir ?? '',
    cwdOf(input, ctx) ?? '',
    JSON.stringify([ctx.produced ?? [], ctx.secretDirs ?? [], ctx.guardedPaths ?? []]),
    command,
  ].join('\0');
  const hit = SHELL_CACHE.get(key);
  if (hit) return copy(hit);
  const f = run();
  const result = f.result();
  if (f.isVolatile) return result;
  if (SHELL_CACHE.size >= SHELL_CACHE_SIZE) SHELL_CACHE.delete(SHELL_CACHE.keys().next().value as string);
  SHELL_CACHE.set(key, copy(result));
  return result;
}

/**
 * Classifies one tool call: which capabilities it needs, or that nobody can tell (unknown, so denied).
 * File tools write evidence only when every target lies in the task's evidence folder; Bash commands
 * are parsed by a real shell parser and every command in them is classified; MCP tools are looked up
 * in Autopilot's own table or the config. Pure: no I/O, no clock.
 */
export function classifyToolCall(call: ToolCall, ctx: ClassifyContext): Classification {
  const f = new Findings();
  const tool = call.tool;
  const mcp = splitMcpName(tool) ?? (call.client !== 'claude' ? bareMcpName(tool, ctx) : undefined);
  if (mcp) {
    classifyMcpTool(mcp.server, mcp.tool, ctx.mcpServers, f);
    return f.result();
  }
  const kind = Object.hasOwn(TOOLS, tool) ? TOOLS[tool] : undefined;
  const input = asInput(call.input);
  const simple = (cap: Capability): void => {
    f.need(cap, tool);
    const root = normalizeAbsolute(ctx.repoRoot);
    for (const p of pathsOf(input)) {
      f.path(classifyPath(p, root, ctx).display);
      const hit = protectedPath(p, root, ctx);
      if (hit?.secret)
        f.unknown(
          `${tool} ${hit.what}: one of Autopilot's secrets (its store, keys and approval token); no agent reads them`,
        );
    }
  };
  switch (kind) {
    case 'read':
    case 'search':
    case 'net':
    case 'agent':
      simple(kind);
      break;
    case 'write':
      writePaths(pathsOf(input), tool, ctx, f);
      break;
    case 'shell':
      return cachedShell(call, ctx, () => {
        shellCall(tool, call.input, ctx, f);
        return f;
      });
    case 'patch': {
      const text =
        typeof call.input === 'string' && !input ? call.input : (str(input?.['input']) ?? str(input?.['patch']));
      const paths = text === undefined ? undefined : patchPaths(text);
      if (!paths) f.unknown(`${tool}: no file header (*** Add/Update/Delete File:) in the patch`);
      else writePaths(paths, tool, ctx, f, cwdOf(input, ctx));
      break;
    }
    case 'mcp':
      mcpCall(call, ctx, f);
      break;
    case 'stdin': {
      const chars = str(input?.['chars']) ?? '';
      if (chars.trim() === '') {
        f.need('read', `${tool} (polls output)`);
      } else {
        f.need('exec', `${tool} (types into a running program)`);
        classifyShell(chars, ctx, f);
      }
      break;
    }
    default:
      f.unknown(`${tool}: a tool Autopilot does not know (client ${call.client}); unknown tools are denied`);
  }
  return f.result();
}
