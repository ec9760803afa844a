/**
 * @module The files `autopilot init` writes to wire the agents and git to
 * Autopilot: the MCP entry (`.mcp.json`), Claude Code's hooks
 * (`.claude/settings.json`), Codex's and Cursor's hook files where those
 * agents are set up, git's hooks (chaining to a hook that was there), and a
 * section of AGENTS.md between markers. Existing files are merged, never
 * replaced: other settings, other hooks and other servers stay as they are,
 * and planning the same wiring twice changes nothing.
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { DetectedAgents } from './detect.ts';

/** How the wiring starts Autopilot: this Node and this package's bin script. */
export interface Launcher {
  /** Absolute path of the Node binary. */
  readonly node: string;
  /** Absolute path of bin/autopilot.js. */
  readonly bin: string;
}

/** A file the wiring writes, in the shape of init's file changes. */
export interface WiringFile {
  /** Relative to the repository root, or absolute when outside it (a git hooks folder elsewhere). */
  readonly path: string;
  readonly action: 'create' | 'update' | 'unchanged';
  readonly before: string | null;
  readonly after: string;
  /** File mode to set (git hooks are executable). */
  readonly mode?: number;
}

export interface WiringPlan {
  readonly files: WiringFile[];
  readonly notes: string[];
}

export interface WiringOptions {
  readonly root: string;
  /** git's hooks folder, absolute (`git rev-parse --git-path hooks`: core.hooksPath when set). */
  readonly gitHooksDir: string;
  readonly agents: DetectedAgents;
  readonly launcher: Launcher;
  /** The phases, for the AGENTS.md section. */
  readonly phases: readonly string[];
}

/** The Claude Code tools whose calls the PreToolUse hook checks: every tool that changes something or reaches out. */
export const CLAUDE_MATCHER = 'Bash|Edit|MultiEdit|Write|NotebookEdit|Task|Agent|WebFetch|WebSearch|mcp__.*';
/** Codex's tools: shell commands are `Bash`, file edits `apply_patch` (alias Edit, Write). */
export const CODEX_MATCHER = 'Bash|apply_patch|Edit|Write|mcp__.*';
/** Cursor's file-changing agent tools, for its preToolUse event. */
export const CURSOR_EDIT_MATCHER = 'Write|StrReplace|Edit|MultiEdit|Delete|TabWrite';

export const CLAUDE_EVENTS = ['PreToolUse', 'Stop', 'SessionStart', 'UserPromptSubmit'] as const;
export const CODEX_EVENTS = ['PreToolUse', 'Stop', 'SessionStart', 'UserPromptSubmit'] as const;
export const CURSOR_EVENTS = [
  'beforeShellExecution',
  'beforeMCPExecution',
  'beforeReadFile',
  'preToolUse',
  'afterFileEdit',
  'sessionStart',
  'stop',
] as const;
export const GIT_HOOKS = ['pre-commit', 'commit-msg', 'pre-push'] as const;

export const AGENTS_BEGIN = '<!-- autopilot:begin -->';
export const AGENTS_END = '<!-- autopilot:end -->';
/** The line that marks a git hook as Autopilot's. */
export const GIT_HOOK_MARK = '# autopilot-hook:';
/** Where a git hook that was there before goes; Autopilot's hook runs it first. */
export const CHAINED_SUFFIX = '.pre-autopilot';

/** A POSIX shell word for `s`. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The shell command that runs `autopilot <args>` with this launcher. */
export function launchCommand(l: Launcher, args: readonly string[]): string {
  return [l.node, l.bin, ...args].map(shellQuote).join(' ');
}

// The command of a hook that decides a tool call. Any failure to answer becomes exit 2, a denial for every
// client (a missing Node, say, exits 127, which the clients treat as a hook error and run the tool). Only for
// the events that gate a call: a Stop hook that always exits 2 would never let the agent stop.
function gatingCommand(l: Launcher, args: readonly string[]): string {
  return `${launchCommand(l, args)} || exit 2`;
}

/** True when a hook command is one of Autopilot's (for merging and for `autopilot doctor`). */
export function isAutopilotHookCommand(command: unknown, client: 'claude' | 'codex' | 'cursor'): boolean {
  return (
    typeof command === 'string' &&
    /autopilot/.test(command) &&
    new RegExp(`\\shook\\s+${client}\\s`).test(`${command} `)
  );
}

type Json = Record<string, unknown>;

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function indentOf(text: string): number {
  const m = /\n( +)\S/.exec(text);
  return m ? m[1]!.length : 2;
}

function change(root: string, abs: string, before: string | null, after: string, mode?: number): WiringFile {
  const rel = relative(root, abs);
  const path = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split('\\').join('/') : abs;
  const action = before === null ? 'create' : before === after ? 'unchanged' : 'update';
  return { path, action, before, after, ...(mode !== undefined ? { mode } : {}) };
}

// Merges one JSON file: `edit` changes the parsed object in place. A file that is not a JSON object is left
// alone, with a note.
function mergeJson(
  root: string,
  rel: string,
  edit: (obj: Json) => void,
  notes: string[],
  what: string,
): WiringFile | undefined {
  const abs = join(root, rel);
  const before = readText(abs);
  let obj: Json = {};
  if (before !== null) {
    try {
      const parsed = JSON.parse(before) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      obj = parsed as Json;
    } catch (err) {
      notes.push(
        `${rel} is not a JSON object (${(err as Error).message}); left as it is: add ${what} by hand, then check with autopilot doctor`,
      );
      return undefined;
    }
  }
  const copy = JSON.parse(JSON.stringify(obj)) as Json;
  edit(copy);
  if (before !== null && JSON.stringify(copy) === JSON.stringify(obj)) return change(root, abs, before, before);
  return change(root, abs, before, `${JSON.stringify(copy, null, before === null ? 2 : indentOf(before))}\n`);
}

const asObject = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

// Puts `ours` into a Claude-style list of matcher groups (`[{matcher, hooks: [{type, command}]}]`): Autopilot's
// old entries are taken out, and its group goes where the first of them was (else last).
function mergeGroups(groups: unknown, ours: Json, isOurs: (command: unknown) => boolean): unknown[] {
  const list = Array.isArray(groups) ? groups : [];
  const out: unknown[] = [];
  let at = -1;
  for (const g of list) {
    const hooks = asObject(g)['hooks'];
    if (!Array.isArray(hooks) || !hooks.some((h) => isOurs(asObject(h)['command']))) {
      out.push(g);
      continue;
    }
    if (at < 0) at = out.length;
    const rest = hooks.filter((h) => !isOurs(asObject(h)['command']));
    if (rest.length > 0) out.push({ ...asObject(g), hooks: rest });
  }
  out.splice(at < 0 ? out.length : at, 0, ours);
  return out;
}

// The same for Cursor's flat list (`[{command, matcher?}]`).
function mergeFlat(entries: unknown, ours: Json, isOurs: (command: unknown) => boolean): unknown[] {
  const list = Array.isArray(entries) ? entries : [];
  const at = list.findIndex((h) => isOurs(asObject(h)['command']));
  const out = list.filter((h) => !isOurs(asObject(h)['command']));
  out.splice(at < 0 ? out.length : at, 0, ours);
  return out;
}

function claudeSettings(o: WiringOptions, notes: string[]): WiringFile | undefined {
  return mergeJson(
    o.root,
    '.claude/settings.json',
    (obj) => {
      const hooks = asObject(obj['hooks']);
      for (const event of CLAUDE_EVENTS) {
        const args = ['hook', 'claude', event];
        const hook = {
          type: 'command',
          command: event === 'PreToolUse' ? gatingCommand(o.launcher, args) : launchCommand(o.launcher, args),
        };
        const group = event === 'PreToolUse' ? { matcher: CLAUDE_MATCHER, hooks: [hook] } : { hooks: [hook] };
        hooks[event] = mergeGroups(hooks[event], group, (c) => isAutopilotHookCommand(c, 'claude'));
      }
      obj['hooks'] = hooks;
    },
    notes,
    "Claude Code's hooks (autopilot hook claude <Event>)",
  );
}

function codexHooks(o: WiringOptions, notes: string[]): WiringFile | undefined {
  return mergeJson(
    o.root,
    '.codex/hooks.json',
    (obj) => {
      const hooks = asObject(obj['hooks']);
      for (const event of CODEX_EVENTS) {
        const args = ['hook', 'codex', event];
        const hook = {
          type: 'command',
          command: event === 'PreToolUse' ? gatingCommand(o.launcher, args) : launchCommand(o.launcher, args),
          timeout: 60,
        };
        const group = event === 'PreToolUse' ? { matcher: CODEX_MATCHER, hooks: [hook] } : { hooks: [hook] };
        hooks[event] = mergeGroups(hooks[event], group, (c) => isAutopilotHookCommand(c, 'codex'));
      }
      obj['hooks'] = hooks;
    },
    notes,
    "Codex's hooks (autopilot hook codex <Event>)",
  );
}

function cursorHooks(o: WiringOptions, notes: string[]): WiringFile | undefined {
  return mergeJson(
    o.root,
    '.cursor/hooks.json',
    (obj) => {
      if (obj['version'] === undefined) obj['version'] = 1;
      const hooks = asObject(obj['hooks']);
      for (const event of CURSOR_EVENTS) {
        const args = ['hook', 'cursor', event];
        const gates = event.startsWith('before') || event === 'preToolUse';
        const command = gates ? gatingCommand(o.launcher, args) : launchCommand(o.launcher, args);
        const entry = event === 'preToolUse' ? { command, matcher: CURSOR_EDIT_MATCHER } : { command };
        hooks[event] = mergeFlat(hooks[event], entry, (c) => isAutopilotHookCommand(c, 'cursor'));
      }
      obj['hooks'] = hooks;
    },
    notes,
    "Cursor's hooks (autopilot hook cursor <event>)",
  );
}

/** The MCP entry: `npx autopilot mcp` where the package is installed in the repository, this launcher otherwise. */
export function mcpEntry(o: Pick<WiringOptions, 'root' | 'launcher'>): { command: string; args: string[] } {
  const local = join(o.root, 'node_modules', 'autopilot', 'bin', 'autopilot.js');
  if (existsSync(local)) return { command: 'npx', args: ['autopilot', 'mcp'] };
  return { command: o.launcher.node, args: [o.launcher.bin, 'mcp'] };
}

function mcpJson(o: WiringOptions, notes: string[]): WiringFile | undefined {
  return mergeJson(
    o.root,
    '.mcp.json',
    (obj) => {
      const servers = asObject(obj['mcpServers']);
      servers['autopilot'] = mcpEntry(o);
      obj['mcpServers'] = servers;
    },
    notes,
    'the autopilot MCP server',
  );
}

function agentsSection(phases: readonly string[]): string {
  return [
    AGENTS_BEGIN,
    '## Autopilot',
    '',
    `Every task in this repository goes through ${phases.join(' → ')}, with evidence for each phase, and every step is recorded in a signed ledger (\`.autopilot/\`).`,
    '',
    '- Start a task before changing anything: the MCP tool `task_start` (or `autopilot task start T-1 --title "…"`).',
    "- Put each phase's evidence with `evidence_put`; move on with `phase_advance`; go back with `phase_backtrack` and a reason.",
    '- Tool calls are checked against the phase: source edits in IMPLEMENT, commits and pushes in PR. Hooks deny the others and record them in the ledger.',
    '- The diff, the test results and the coverage are produced by Autopilot itself; do not write them.',
    '- `autopilot task status <TASK>` shows where a task is and what its phase still needs.',
    AGENTS_END,
  ].join('\n');
}

function agentsMd(o: WiringOptions): WiringFile {
  const abs = join(o.root, 'AGENTS.md');
  const before = readText(abs);
  const section = agentsSection(o.phases);
  if (before === null) return change(o.root, abs, null, `# Agents\n\n${section}\n`);
  const begin = before.indexOf(AGENTS_BEGIN);
  const end = before.indexOf(AGENTS_END, begin);
  if (begin >= 0 && end > begin)
    return change(o.root, abs, before, `${before.slice(0, begin)}${section}${before.slice(end + AGENTS_END.length)}`);
  const sep = before === '' ? '' : before.endsWith('\n\n') ? '' : before.endsWith('\n') ? '\n' : '\n\n';
  return change(o.root, abs, before, `${before}${sep}${section}\n`);
}

/** The git hook script for `name`: runs a hook that was there before, then Autopilot's. */
export function gitHookScript(name: (typeof GIT_HOOKS)[number], l: Launcher): string {
  const what: Record<(typeof GIT_HOOKS)[number], string> = {
    'pre-commit': 'a commit goes through only in a phase whose tool policy allows vcs:commit',
    'commit-msg': 'adds the trailer Autopilot-Ledger: <hash of the ledger head>',
    'pre-push': 'a push goes through only in a phase whose tool policy allows vcs:push',
  };
  const run = launchCommand(l, ['hook', 'git', name]);
  const lines = [
    '#!/bin/sh',
    `${GIT_HOOK_MARK} ${name}`,
    `# Written by \`autopilot init\`: ${what[name]}.`,
    '# `autopilot doctor` checks it; `autopilot init` writes it again. A hook that was here before runs first.',
    `chained="$(dirname "$0")/${name}${CHAINED_SUFFIX}"`,
  ];
  if (name === 'pre-push') {
    lines.push(
      'input=$(cat)',
      `if [ -x "$chained" ]; then printf '%s\\n' "$input" | "$chained" "$@" || exit $?; fi`,
      `printf '%s\\n' "$input" | ${run} "$@"`,
    );
  } else {
    lines.push('if [ -x "$chained" ]; then "$chained" "$@" || exit $?; fi', `exec ${run} "$@"`);
  }
  return `${lines.join('\n')}\n`;
}

function gitHooks(o: WiringOptions, notes: string[]): WiringFile[] {
  const files: WiringFile[] = [];
  if (/(^|[\\/])\.husky([\\/]_)?$/.test(o.gitHooksDir)) {
    notes.push(
      `git's hooks folder is ${o.gitHooksDir} (husky): husky may write its hooks again; if it does, call \`autopilot hook git <hook> "$@"\` from .husky/<hook>`,
    );
  }
  for (const name of GIT_HOOKS) {
    const abs = join(o.gitHooksDir, name);
    const after = gitHookScript(name, o.launcher);
    let before: string | null = null;
    let mode = 0o755;
    if (existsSync(abs)) {
      const bytes = readFileSync(abs);
      if (bytes.includes(0)) {
        notes.push(`${abs} is a binary git hook; left as it is: have it run \`autopilot hook git ${name} "$@"\``);
        continue;
      }
      before = bytes.toString('utf8');
      mode = lstatSync(abs).mode & 0o777;
    }
    if (before === null || before.includes(`${GIT_HOOK_MARK} ${name}`)) {
      const c = change(o.root, abs, before, after, 0o755);
      // The same script without its execute bit does not run: write it again.
      files.push(c.action === 'unchanged' && (mode & 0o111) === 0 ? { ...c, action: 'update' } : c);
      continue;
    }
    // Someone else's hook: it moves aside and Autopilot's hook runs it first.
    const chained = `${abs}${CHAINED_SUFFIX}`;
    if (existsSync(chained)) {
      notes.push(
        `${abs} is not Autopilot's, and ${chained} exists already; left as they are: have ${name} run \`autopilot hook git ${name} "$@"\``,
      );
      continue;
    }
    files.push(change(o.root, chained, null, before, mode | 0o100));
    files.push(change(o.root, abs, before, after, 0o755));
  }
  return files;
}

/** Plans the wiring of the agents and of git. */
export function planWiring(o: WiringOptions): WiringPlan {
  const notes: string[] = [];
  const files: (WiringFile | undefined)[] = [mcpJson(o, notes), claudeSettings(o, notes)];
  if (o.agents.codex) {
    const codex = codexHooks(o, notes);
    files.push(codex);
    if (codex && codex.action !== 'unchanged')
      notes.push('Codex runs project hooks (.codex/hooks.json) only in a trusted project, after a person reviews them');
  }
  if (o.agents.cursor) files.push(cursorHooks(o, notes));
  files.push(agentsMd(o));
  files.push(...gitHooks(o, notes));
  return { files: files.filter((f): f is WiringFile => f !== undefined), notes };
}
