/**
 * @module The files `autopilot init` writes to wire the agents and git to
 * Autopilot: the MCP entry (`.mcp.json`), Claude Code's hooks
 * (`.claude/settings.json`), Codex's and Cursor's hook files where those
 * agents are set up, git's hooks (chaining to a hook that was there), and a
 * section of AGENTS.md between markers. Existing files are merged, never
 * replaced: other settings, other hooks and other servers stay as they are,
 * and planning the same wiring twice changes nothing.
 *
 * The files are committed, so what they run must work in a teammate's clone:
 * where the repository has its own copy of the package (node_modules, or a
 * dependency in package.json), every command runs that copy through a path
 * relative to the repository's root, found the way each client allows. Only a
 * repository without one (a Python or Go project using a global install) gets
 * this machine's Node and bin script by absolute path, which `doctor` warns of.
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { userStateRoot, type StateEnv } from '../repo/user-state.ts';
import type { DetectedAgents } from './detect.ts';
import { BIN_NAME, PACKAGE_NAME } from './package-info.ts';

/** How the absolute form starts Autopilot: this Node and this package's bin script. */
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
  /** How the files start Autopilot; by default `local` where {@link hasLocalInstall}, else `absolute`. */
  readonly form?: LaunchForm;
  /** The phases, for the AGENTS.md section. */
  readonly phases: readonly string[];
  /** Where the per-user state folder is found from (XDG_STATE_HOME, HOME); this process's environment by default. */
  readonly env?: StateEnv;
}

/**
 * How a written file starts Autopilot. `local`: the repository's own install, `node_modules/.bin/autopilot`
 * under the repository's root (and `npx --no-install autopilot`, which never downloads); the files work in
 * every clone that ran `npm install`. `absolute`: this machine's Node and bin script, for a repository with no
 * install of its own; the files work on this machine only.
 */
export type LaunchForm = 'local' | 'absolute';

/** Who runs a command, which decides how it finds the repository's root. */
export type CommandRunner = 'claude' | 'codex' | 'cursor' | 'git';

/** The repository's own copy of the command, relative to its root. */
export const LOCAL_BIN = `node_modules/.bin/${BIN_NAME}`;
/** The shell hook client (the package's bin/autopilot-hook): asks the hook daemon without starting Node. */
export const HOOK_CLIENT_NAME = `${BIN_NAME}-hook`;
/** The shell that runs the hook client in the hooks' commands (see {@link agentHookCommand}). */
export const HOOK_SHELL = 'bash';
/** Where the repository's install puts the shell hook client. */
export const LOCAL_HOOK_CLIENT = `node_modules/.bin/${HOOK_CLIENT_NAME}`;

/** The command line that runs the repository's copy from a shell, and never fetches a package. */
export const LOCAL_NPX = `npx --no-install ${BIN_NAME}`;

/**
 * How each runner's command names the repository's root. Claude Code sets CLAUDE_PROJECT_DIR for its hooks;
 * Codex and Cursor document no such variable (and a hook may start in a sub-folder), so git says where the
 * work tree's top is; git runs its own hooks at the top of the work tree.
 */
export const ROOT_PREFIX: Record<CommandRunner, string> = {
  claude: '"$CLAUDE_PROJECT_DIR"/',
  codex: '"$(git rev-parse --show-toplevel)"/',
  cursor: '"$(git rev-parse --show-toplevel)"/',
  git: '',
};

/** True when the repository at `root` has its own copy of the package: installed, or a dependency in package.json. */
export function hasLocalInstall(root: string): boolean {
  if (existsSync(join(root, 'node_modules', PACKAGE_NAME, 'package.json'))) return true;
  return declaresPackage(root);
}

/** True when the repository's package.json lists the package among its dependencies of any kind. */
export function declaresPackage(root: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    return ['dependencies', 'devDependencies', 'optionalDependencies'].some((k) => {
      const deps = pkg[k];
      return !!deps && typeof deps === 'object' && Object.hasOwn(deps, PACKAGE_NAME);
    });
  } catch {
    return false;
  }
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

/** The shell command that runs `autopilot <args>` with this launcher (the absolute form). */
export function launchCommand(l: Launcher, args: readonly string[]): string {
  return [l.node, l.bin, ...args].map(shellQuote).join(' ');
}

/** The shell command that runs `autopilot <args>` for `runner`, in the given form. */
export function wiredCommand(
  o: { readonly launcher: Launcher; readonly form: LaunchForm },
  runner: CommandRunner,
  args: readonly string[],
): string {
  if (o.form === 'absolute') return launchCommand(o.launcher, args);
  return [`${ROOT_PREFIX[runner]}${LOCAL_BIN}`, ...args.map(shellQuote)].join(' ');
}

/**
 * The command of an agent's hook (`args`: `hook <client> <event>`): the shell hook client, which asks the daemon
 * without starting Node and runs the Node hook when it cannot (absolute form: with this machine's Node). Windows,
 * which has no bash to run it, gets the Node hook's command. The client is run as `bash <client>`: bash found on
 * the PATH as its `#!/usr/bin/env bash` line would find it, without starting `env` first (about a millisecond of
 * a hook's ten on a small machine).
 */
export function agentHookCommand(
  o: { readonly launcher: Launcher; readonly form: LaunchForm },
  runner: 'claude' | 'codex' | 'cursor',
  args: readonly string[],
): string {
  if (process.platform === 'win32' || args[0] !== 'hook') return wiredCommand(o, runner, args);
  const rest = args.slice(1);
  if (o.form === 'absolute') {
    // bin/autopilot-hook beside bin/autopilot.js; a checkout's scripts/autopilot-dev.js has it in bin/ too.
    const client = join(dirname(dirname(o.launcher.bin)), 'bin', HOOK_CLIENT_NAME);
    return [HOOK_SHELL, client, '--node', o.launcher.node, ...rest].map(shellQuote).join(' ');
  }
  return [HOOK_SHELL, `${ROOT_PREFIX[runner]}${LOCAL_HOOK_CLIENT}`, ...rest.map(shellQuote)].join(' ');
}

// The command of a hook that decides a tool call. Any failure to answer becomes exit 2, a denial for every
// client (a missing Node or a missing node_modules/.bin/autopilot, say, exits 127, which the clients treat as a
// hook error and run the tool). Only for the events that gate a call: a Stop hook that always exits 2 would
// never let the agent stop.
function gatingCommand(o: ResolvedOptions, runner: 'claude' | 'codex' | 'cursor', args: readonly string[]): string {
  return `${agentHookCommand(o, runner, args)} || exit 2`;
}

type ResolvedOptions = WiringOptions & { readonly form: LaunchForm };

/** True when a hook command is one of Autopilot's (for merging and for `autopilot doctor`). */
export function isAutopilotHookCommand(command: unknown, client: 'claude' | 'codex' | 'cursor'): boolean {
  return (
    typeof command === 'string' &&
    /autopilot/.test(command) &&
    (new RegExp(`\\shook\\s+${client}\\s`).test(`${command} `) ||
      new RegExp(`${HOOK_CLIENT_NAME}'?(?:\\s+--node\\s+(?:'[^']*'|\\S+))?\\s+${client}\\s`).test(`${command} `))
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

function claudeSettings(o: ResolvedOptions, notes: string[]): WiringFile | undefined {
  return mergeJson(
    o.root,
    '.claude/settings.json',
    (obj) => {
      const hooks = asObject(obj['hooks']);
      for (const event of CLAUDE_EVENTS) {
        const args = ['hook', 'claude', event];
        const hook = {
          type: 'command',
          command: event === 'PreToolUse' ? gatingCommand(o, 'claude', args) : agentHookCommand(o, 'claude', args),
        };
        const group = event === 'PreToolUse' ? { matcher: CLAUDE_MATCHER, hooks: [hook] } : { hooks: [hook] };
        hooks[event] = mergeGroups(hooks[event], group, (c) => isAutopilotHookCommand(c, 'claude'));
      }
      obj['hooks'] = hooks;
      // Claude Code's own permission rules hold for its file tools even where a hook is skipped: no reading of the
      // keys, token or store, no editing of Autopilot's state, git's hooks and config, or the agent settings.
      const permissions = asObject(obj['permissions']);
      const deny = Array.isArray(permissions['deny']) ? [...(permissions['deny'] as unknown[])] : [];
      for (const rule of claudeDenyRules(o.env ?? process.env)) if (!deny.includes(rule)) deny.push(rule);
      permissions['deny'] = deny;
      obj['permissions'] = permissions;
    },
    notes,
    "Claude Code's hooks (autopilot hook claude <Event>)",
  );
}

/** Claude Code permission rules init adds to `permissions.deny` (paths relative to the project's folder, and home). */
export const CLAUDE_DENY_RULES: readonly string[] = [
  'Read(./.autopilot/keys/**)',
  'Read(./.autopilot/autopilot.db*)',
  'Read(~/.local/state/autopilot/**)',
  'Edit(./.autopilot/config.yaml)',
  'Edit(./.autopilot/autopilot.db*)',
  'Edit(./.autopilot/keys/**)',
  'Edit(./.autopilot/attestations/**)',
  'Edit(./.autopilot/journal/**)',
  'Edit(./.autopilot/telemetry/**)',
  'Edit(~/.local/state/autopilot/**)',
  'Edit(./.git/hooks/**)',
  'Edit(./.git/config)',
  'Edit(./.mcp.json)',
  'Edit(./.codex/**)',
  'Edit(./.cursor/hooks.json)',
];

/**
 * The deny rules for an environment: {@link CLAUDE_DENY_RULES}, and the per-user state folder as this environment
 * resolves it when that is not the default one (XDG_STATE_HOME elsewhere): its keys and token must be out of the file
 * tools' reach where they actually are. A folder in the home folder is named from `~`, any other by its absolute path
 * (Claude Code reads `//path` as absolute).
 */
export function claudeDenyRules(env: StateEnv): string[] {
  const home = env['HOME'] || homedir();
  const root = userStateRoot(env);
  const rules = [...CLAUDE_DENY_RULES];
  if (root === join(home, '.local', 'state', 'autopilot')) return rules;
  const inHome = relative(home, root);
  const pattern =
    inHome && !inHome.startsWith('..') && !isAbsolute(inHome)
      ? `~/${inHome.split(sep).join('/')}/**`
      : `/${root.split(sep).join('/')}/**`;
  // Beside the default folder's rules, which stay: the keys made before XDG_STATE_HOME moved are this user's too.
  rules.splice(rules.indexOf('Read(~/.local/state/autopilot/**)') + 1, 0, `Read(${pattern})`);
  rules.splice(rules.indexOf('Edit(~/.local/state/autopilot/**)') + 1, 0, `Edit(${pattern})`);
  return rules;
}

function codexHooks(o: ResolvedOptions, notes: string[]): WiringFile | undefined {
  return mergeJson(
    o.root,
    '.codex/hooks.json',
    (obj) => {
      const hooks = asObject(obj['hooks']);
      for (const event of CODEX_EVENTS) {
        const args = ['hook', 'codex', event];
        const hook = {
          type: 'command',
          command: event === 'PreToolUse' ? gatingCommand(o, 'codex', args) : agentHookCommand(o, 'codex', args),
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

function cursorHooks(o: ResolvedOptions, notes: string[]): WiringFile | undefined {
  return mergeJson(
    o.root,
    '.cursor/hooks.json',
    (obj) => {
      if (obj['version'] === undefined) obj['version'] = 1;
      const hooks = asObject(obj['hooks']);
      for (const event of CURSOR_EVENTS) {
        const args = ['hook', 'cursor', event];
        const gates = event.startsWith('before') || event === 'preToolUse';
        const command = gates ? gatingCommand(o, 'cursor', args) : agentHookCommand(o, 'cursor', args);
        const entry = event === 'preToolUse' ? { command, matcher: CURSOR_EDIT_MATCHER } : { command };
        hooks[event] = mergeFlat(hooks[event], entry, (c) => isAutopilotHookCommand(c, 'cursor'));
      }
      obj['hooks'] = hooks;
    },
    notes,
    "Cursor's hooks (autopilot hook cursor <event>)",
  );
}

/**
 * The MCP entry. Local: `npx --no-install autopilot mcp`, which Claude Code starts in the project's root and which
 * runs the repository's copy or fails, never fetching a package (npx's start-up cost is paid once a session).
 * Absolute: this launcher.
 */
export function mcpEntry(o: { readonly launcher: Launcher; readonly form: LaunchForm }): {
  command: string;
  args: string[];
} {
  if (o.form === 'local') return { command: 'npx', args: ['--no-install', BIN_NAME, 'mcp'] };
  return { command: o.launcher.node, args: [o.launcher.bin, 'mcp'] };
}

function mcpJson(o: ResolvedOptions, notes: string[]): WiringFile | undefined {
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

function agentsSection(phases: readonly string[], form: LaunchForm): string {
  // The command a shell runs: the repository's copy through npx (never a download), else the one on PATH.
  const cli = form === 'local' ? LOCAL_NPX : BIN_NAME;
  return [
    AGENTS_BEGIN,
    '## Autopilot',
    '',
    `Every task in this repository goes through ${phases.join(' → ')}, with evidence for each phase, and every step is recorded in a signed ledger (\`.autopilot/\`).`,
    '',
    `- Start a task before changing anything: the MCP tool \`task_start\` (or \`${cli} task start T-1 --title "…"\`).`,
    "- Put each phase's evidence with `evidence_put`; move on with `phase_advance`; go back with `phase_backtrack` and a reason.",
    '- Tool calls are checked against the phase: source edits in IMPLEMENT, commits and pushes in PR. Hooks deny the others and record them in the ledger.',
    '- The diff, the test results and the coverage are produced by Autopilot itself; do not write them.',
    `- \`${cli} task status <TASK>\` shows where a task is and what its phase still needs.`,
    AGENTS_END,
  ].join('\n');
}

function agentsMd(o: ResolvedOptions): WiringFile {
  const abs = join(o.root, 'AGENTS.md');
  const before = readText(abs);
  const section = agentsSection(o.phases, o.form);
  if (before === null) return change(o.root, abs, null, `# Agents\n\n${section}\n`);
  const begin = before.indexOf(AGENTS_BEGIN);
  const end = before.indexOf(AGENTS_END, begin);
  if (begin >= 0 && end > begin)
    return change(o.root, abs, before, `${before.slice(0, begin)}${section}${before.slice(end + AGENTS_END.length)}`);
  const sep = before === '' ? '' : before.endsWith('\n\n') ? '' : before.endsWith('\n') ? '\n' : '\n\n';
  return change(o.root, abs, before, `${before}${sep}${section}\n`);
}

/**
 * The git hook script for `name`: runs a hook that was there before, then Autopilot's. In the local form a clone
 * without the package installed is refused with the fix, rather than with the shell's "not found".
 */
export function gitHookScript(name: (typeof GIT_HOOKS)[number], l: Launcher, form: LaunchForm = 'absolute'): string {
  const what: Record<(typeof GIT_HOOKS)[number], string> = {
    'pre-commit': 'a commit goes through only in a phase whose tool policy allows vcs:commit',
    'commit-msg': 'adds the trailer Autopilot-Ledger: <hash of the ledger head>',
    'pre-push': 'a push goes through only in a phase whose tool policy allows vcs:push',
  };
  const run = wiredCommand({ launcher: l, form }, 'git', ['hook', 'git', name]);
  const lines = [
    '#!/bin/sh',
    `${GIT_HOOK_MARK} ${name}`,
    `# Written by \`autopilot init\`: ${what[name]}.`,
    '# `autopilot doctor` checks it; `autopilot init` writes it again. A hook that was here before runs first.',
    `chained="$(dirname "$0")/${name}${CHAINED_SUFFIX}"`,
  ];
  if (form === 'local')
    // git runs a hook at the top of the work tree, where the repository's install is.
    lines.push(
      `if [ ! -x ${LOCAL_BIN} ]; then echo "autopilot: $(pwd)/${LOCAL_BIN} is missing: install this repository's packages (npm install) so that ${PACKAGE_NAME} is there" >&2; exit 1; fi`,
    );
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

function gitHooks(o: ResolvedOptions, notes: string[]): WiringFile[] {
  const files: WiringFile[] = [];
  if (/(^|[\\/])\.husky([\\/]_)?$/.test(o.gitHooksDir)) {
    notes.push(
      `git's hooks folder is ${o.gitHooksDir} (husky): husky may write its hooks again; if it does, call \`autopilot hook git <hook> "$@"\` from .husky/<hook>`,
    );
  }
  for (const name of GIT_HOOKS) {
    const abs = join(o.gitHooksDir, name);
    const after = gitHookScript(name, o.launcher, o.form);
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
export function planWiring(options: WiringOptions): WiringPlan {
  const o: ResolvedOptions = {
    ...options,
    form: options.form ?? (hasLocalInstall(options.root) ? 'local' : 'absolute'),
  };
  const notes: string[] = [];
  if (o.form === 'absolute')
    notes.push(
      `${PACKAGE_NAME} is not installed in this repository: the hooks and .mcp.json run ${o.launcher.bin} with ${o.launcher.node}, which exist on this machine only. In a Node repository, \`npm install --save-dev ${PACKAGE_NAME}\` and run \`${LOCAL_NPX} init\` again for files that work in every clone; otherwise each person runs \`autopilot init\` on their own machine.`,
    );
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
