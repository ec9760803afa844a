/**
 * @module Use case: check an installation and say how to fix what is wrong:
 * the config, the signing key (in this user's state folder, and no key or
 * approval token left in the repository), the store and whether it holds the
 * history recorded outside it, the hooks of each agent and of git
 * (wired, and pointing at files that exist), the MCP entry, whether the
 * configured test, build and lint commands can start, and the sandbox.
 * It says which form each wired file uses (the repository's own install, or
 * this machine's absolute paths, which a teammate's clone cannot run), and
 * fails any line of a file Autopilot writes that runs a bare `npx autopilot`,
 * which would download whatever package holds that name.
 * The store and the sandbox probe come from the composition root.
 */
import { checkGitHooks } from '../repo/git-hooks.ts';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../../core/config.ts';
import type { Store } from '../../ports/store.ts';
import { findRoot, loadConfig } from '../repo/config-file.ts';
import { layoutFor, type Layout } from '../repo/layout.ts';
import { loadSigner, PRIVATE_KEY_FILE } from '../ledger/keys.ts';
import { historyProblems } from '../ledger/history.ts';
import { approvalTokenFile } from '../approvals/token.ts';
import { ErrorCode } from '../../core/errors.ts';
import { findRepoSecrets } from './secrets-scan.ts';
import { git } from '../repo/git.ts';
import { detectAgents, machineProbe, type DetectProbe } from './detect.ts';
import {
  CHAINED_SUFFIX,
  CLAUDE_EVENTS,
  CODEX_EVENTS,
  CURSOR_EVENTS,
  GIT_HOOK_MARK,
  GIT_HOOKS,
  isAutopilotHookCommand,
  HOOK_CLIENT_NAME,
  HOOK_SHELL,
  LOCAL_HOOK_CLIENT,
  LOCAL_BIN,
  LOCAL_NPX,
} from './agent-wiring.ts';
import { GITHUB_WORKFLOW, GITLAB_JOB } from './ci-workflows.ts';
import { BIN_NAME, PACKAGE_NAME } from './package-info.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One finding: what was checked, how it stands, and the fix when it is not ok. */
export interface DoctorCheck {
  /**
   * config, key, secrets (a key or token in the repository), store, history (the store against its anchored head,
   * commit trailers and committed bundles), hooks.claude, hooks.codex, hooks.cursor, wall.claude, wall.codex,
   * wall.cursor, hooks.git, mcp, npx, test, build, lint (the configured commands), sandbox, daemon.
   */
  readonly id: string;
  readonly status: CheckStatus;
  readonly message: string;
  readonly fix?: string;
  /** The error code of a failure that is one (LEDGER_TAMPERED for a store that lacks its recorded history). */
  readonly code?: string;
}

export interface DoctorReport {
  readonly root: string | null;
  /** False when any check failed (warnings do not count). */
  readonly healthy: boolean;
  readonly checks: DoctorCheck[];
}

export interface DoctorDeps {
  /** Opens the configured store. */
  readonly openStore: (layout: Layout, config: Config) => Promise<Store>;
  /** Whether the configured sandbox can be had here. */
  readonly sandboxStatus: (config: Config) => {
    readonly mode: string;
    readonly available: boolean;
    readonly reason?: string;
    readonly bwrapVersion?: string;
  };
  /** Whether bubblewrap can raise the wall around an agent's commands here. */
  readonly wallStatus?: () => { readonly available: boolean; readonly reason?: string };
  /** Whether the repository's hook daemon answers (informational). */
  readonly daemonRunning?: (root: string) => Promise<boolean>;
  /** Where Codex's user config is looked for. */
  readonly home?: string;
  /** Which programs are on PATH and what Python imports (this machine's by default). */
  readonly probe?: DetectProbe;
}

const REINIT =
  "run `autopilot init` again: it writes the hooks and the MCP entry for this repository's install of Autopilot (else this machine's) and leaves everything else as it is";
const INSTALL = `install this repository's packages (npm install, or npm ci): ${LOCAL_BIN} comes with ${PACKAGE_NAME}, one of its dependencies`;
const ABSOLUTE_FIX = `in a Node repository, \`npm install --save-dev ${PACKAGE_NAME}\` and run \`${LOCAL_NPX} init\` again: the files then run the repository's own copy in every clone. Without Node, each person runs \`autopilot init\` on their own machine`;

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** The words of a shell command line (quotes and backslashes as POSIX sh reads them; nothing expanded). */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      cur += command.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? command.length : end;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < command.length && command[i] !== '"') {
        if (command[i] === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) i++;
        cur += command[i++];
      }
      inWord = true;
    } else if (c === '\\' && i + 1 < command.length) {
      cur += command[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/**
 * How a wired command starts Autopilot. `local`: the repository's node_modules/.bin/autopilot, named relative to
 * its root (or through `npx --no-install`); `absolute`: a Node and a script by absolute path, this machine's;
 * `other`: anything else (a command someone wrote by hand).
 */
export type CommandForm = 'local' | 'absolute' | 'other';

const FORM_WORDS: Record<CommandForm, string> = {
  local: `the repository's ${LOCAL_BIN}`,
  absolute: "this machine's Node and bin script by absolute path",
  other: 'a command of its own',
};

interface CommandLook {
  readonly form: CommandForm;
  readonly problems: string[];
  /** The local form, with the repository's install missing. */
  readonly missingLocal: boolean;
}

// The program word of the local form: node_modules/.bin/autopilot under whatever names the repository's root
// ("$CLAUDE_PROJECT_DIR"/…, "$(git rev-parse --show-toplevel)"/…, or nothing where the runner starts there).
const LOCAL_PROGRAM = new RegExp(`^(?:\\$\\{?\\w+\\}?/|\\$\\([^)]*\\)/|\\./)?${LOCAL_BIN.replace(/[./]/g, '\\$&')}$`);

// The same for the shell hook client, node_modules/.bin/autopilot-hook.
const LOCAL_HOOK_PROGRAM = new RegExp(
  `^(?:\\$\\{?\\w+\\}?/|\\$\\([^)]*\\)/|\\./)?${LOCAL_HOOK_CLIENT.replace(/[./]/g, '\\$&')}$`,
);

/** How a command (a shell command line, or an MCP entry's words) starts Autopilot, and what is wrong with it. */
export function lookAtCommand(root: string, all: readonly string[]): CommandLook {
  // The hook client run by bash (`bash <client> …`) is read as the client itself.
  const words = all[0] === HOOK_SHELL && all[1]?.endsWith(HOOK_CLIENT_NAME) ? all.slice(1) : all;
  if (words[0] && LOCAL_HOOK_PROGRAM.test(words[0])) {
    try {
      accessSync(join(root, LOCAL_HOOK_CLIENT), constants.X_OK);
      return { form: 'local', problems: [], missingLocal: false };
    } catch {
      return { form: 'local', problems: [`${LOCAL_HOOK_CLIENT} is missing`], missingLocal: true };
    }
  }
  // The shell hook client by its absolute path, with this machine's Node after --node: the pair is read as the
  // program and script of the Node form are.
  const client = !!words[0] && isAbsolute(words[0]) && words[0].endsWith(`/${HOOK_CLIENT_NAME}`);
  const [program, script] = client ? [words[0], words[1] === '--node' ? words[2] : undefined] : words;
  const npxLocal = program === 'npx' && words.includes('--no-install') && words.includes(BIN_NAME);
  if (program && (LOCAL_PROGRAM.test(program) || npxLocal)) {
    try {
      accessSync(join(root, LOCAL_BIN), constants.X_OK);
      return { form: 'local', problems: [], missingLocal: false };
    } catch {
      return { form: 'local', problems: [`${LOCAL_BIN} is missing`], missingLocal: true };
    }
  }
  const problems: string[] = [];
  if (program && isAbsolute(program)) {
    try {
      accessSync(program, constants.X_OK);
    } catch {
      problems.push(`${program} does not exist or cannot be run`);
    }
  }
  if (script && isAbsolute(script) && !existsSync(script)) problems.push(`${script} does not exist`);
  const absolute = !!program && isAbsolute(program) && !!script && isAbsolute(script);
  return { form: absolute ? 'absolute' : 'other', problems, missingLocal: false };
}

// The outcome of the commands of one wired file: a failure with the fix that fits, a warning for this machine's
// absolute paths, else ok; the message says which form the file uses.
function wiredOutcome(
  id: string,
  rel: string,
  looks: readonly CommandLook[],
  problems: readonly string[],
  okMessage: string,
): DoctorCheck {
  const forms = [...new Set(looks.map((l) => l.form))];
  const uses = forms.length ? ` (runs ${forms.map((f) => FORM_WORDS[f]).join(' and ')})` : '';
  if (problems.length) {
    const fix = looks.some((l) => l.missingLocal) ? INSTALL : REINIT;
    return { id, status: 'fail', message: `${rel}: ${problems.join('; ')}${uses}`, fix };
  }
  if (forms.includes('absolute'))
    return {
      id,
      status: 'warn',
      message: `${okMessage}${uses}: these paths exist on this machine only: committed, the file breaks in a teammate's clone`,
      fix: ABSOLUTE_FIX,
    };
  return { id, status: 'ok', message: `${okMessage}${uses}` };
}

function readJson(path: string): { value?: Record<string, unknown>; error?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { error: 'missing' };
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return { error: 'not a JSON object' };
    return { value: value as Record<string, unknown> };
  } catch (err) {
    return { error: `not valid JSON: ${messageOf(err)}` };
  }
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

// The commands of a Claude-style hooks object for one event (`[{matcher, hooks: [{command}]}]`), or Cursor's
// flat list.
function commandsOf(hooks: Record<string, unknown>, event: string): string[] {
  const list = hooks[event];
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const entry of list) {
    const e = obj(entry);
    if (typeof e['command'] === 'string') out.push(e['command']);
    if (Array.isArray(e['hooks']))
      for (const h of e['hooks']) if (typeof obj(h)['command'] === 'string') out.push(obj(h)['command'] as string);
  }
  return out;
}

function agentHooks(
  root: string,
  rel: string,
  client: 'claude' | 'codex' | 'cursor',
  events: readonly string[],
  name: string,
): DoctorCheck {
  const id = `hooks.${client}`;
  const file = readJson(join(root, rel));
  if (!file.value)
    return {
      id,
      status: 'fail',
      message: `${rel} is ${file.error}: ${name}'s hooks are not wired`,
      fix: file.error === 'missing' ? REINIT : `repair ${rel} (it must be a JSON object), then ${REINIT}`,
    };
  const hooks = obj(file.value['hooks']);
  const problems: string[] = [];
  const looks: CommandLook[] = [];
  for (const event of events) {
    const ours = commandsOf(hooks, event).filter((c) => isAutopilotHookCommand(c, client));
    if (ours.length === 0) problems.push(`${event} is not wired`);
    for (const c of ours) {
      const look = lookAtCommand(root, shellWords(c));
      looks.push(look);
      for (const p of look.problems) problems.push(`${event}: ${p}`);
    }
  }
  return wiredOutcome(id, rel, looks, [...new Set(problems)], `${rel}: ${events.join(', ')} wired`);
}

/** Which clients' shell commands run behind the wall, and which have none (their parser-only layer said so). */
export function wallChecks(
  root: string,
  agents: { codex: boolean; cursor: boolean },
  deps: Pick<DoctorDeps, 'wallStatus'>,
): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const status = deps.wallStatus?.();
  if (status) {
    out.push(
      status.available
        ? {
            id: 'wall.claude',
            status: 'ok',
            message:
              "Claude Code's shell commands run behind the wall (autopilot exec, bubblewrap): Autopilot's state hidden or read-only, the work tree read-only outside IMPLEMENT",
          }
        : {
            id: 'wall.claude',
            status: 'warn',
            message: `no wall for Claude Code here (${status.reason ?? 'bubblewrap is missing'}): its shell commands are checked by the guard's parser only`,
            fix: 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and allow user namespaces',
          },
    );
  }
  if (agents.codex || existsSync(join(root, '.codex', 'hooks.json')))
    out.push({
      id: 'wall.codex',
      status: 'warn',
      message:
        "no wall for Codex: its hooks cannot be relied on to rewrite a command (before 0.131 it runs the original), so its shell commands are checked by the guard's parser only, which denies any command naming Autopilot's state, keys or git's hooks",
      fix: 'run Codex in its own sandbox (sandbox_mode = "workspace-write") and review the ledger; the CI gate re-checks the branch',
    });
  if (agents.cursor || existsSync(join(root, '.cursor', 'hooks.json')))
    out.push({
      id: 'wall.cursor',
      status: 'warn',
      message:
        "no wall for Cursor: its hooks answer allow or deny only, so its shell commands are checked by the guard's parser only, which denies any command naming Autopilot's state, keys or git's hooks",
      fix: "turn on Cursor's sandboxed terminals where your version has them; the CI gate re-checks the branch",
    });
  return out;
}

async function gitHooksCheck(root: string): Promise<DoctorCheck> {
  const id = 'hooks.git';
  const r = await git(root, ['rev-parse', '--git-path', 'hooks']);
  if (r.code !== 0)
    return {
      id,
      status: 'fail',
      message: `not a git repository: ${r.stderr.trim()}`,
      fix: 'run Autopilot in a git repository',
    };
  const dir = resolve(root, r.stdout.trim());
  const problems: string[] = [];
  const warnings: string[] = [];
  const looks: CommandLook[] = [];
  for (const name of GIT_HOOKS) {
    const path = join(dir, name);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      problems.push(`${name} is missing`);
      continue;
    }
    if (!text.includes(`${GIT_HOOK_MARK} ${name}`)) {
      problems.push(`${name} is not Autopilot's`);
      continue;
    }
    if ((statSync(path).mode & 0o111) === 0) problems.push(`${name} is not executable`);
    const run = text.split('\n').find((l) => /\shook git /.test(l));
    if (!run) problems.push(`${name} does not run autopilot hook git ${name}`);
    else {
      const look = lookAtCommand(root, shellWords(run.replace(/^\s*(exec|printf '%s\\n' "\$input" \|)\s+/, '')));
      looks.push(look);
      for (const p of look.problems) problems.push(`${name}: ${p}`);
    }
    const chained = `${path}${CHAINED_SUFFIX}`;
    if (existsSync(chained) && (statSync(chained).mode & 0o111) === 0)
      warnings.push(`${name}${CHAINED_SUFFIX} (the hook that was there before) is not executable, so it is skipped`);
  }
  const integrity = await checkGitHooks(root);
  for (const p of integrity.problems) problems.push(p);
  if (!integrity.recorded && !problems.length)
    warnings.push(
      'no digest of the installed hooks is recorded (set up before they were); run `autopilot init` again to record them',
    );
  if (warnings.length && !problems.length && !looks.some((l) => l.form === 'absolute'))
    return {
      id,
      status: 'warn',
      message: warnings.join('; '),
      fix: integrity.recorded ? 'chmod +x the chained hook if it should run' : 'run `autopilot init` again',
    };
  return wiredOutcome(
    id,
    `git hooks in ${dir}`,
    looks,
    problems.length ? [...problems, ...warnings] : [],
    `git hooks in ${dir}: ${GIT_HOOKS.join(', ')}`,
  );
}

function mcpCheck(root: string): DoctorCheck {
  const id = 'mcp';
  const file = readJson(join(root, '.mcp.json'));
  if (!file.value)
    return {
      id,
      status: 'fail',
      message: `.mcp.json is ${file.error}`,
      fix: file.error === 'missing' ? REINIT : `repair .mcp.json (it must be a JSON object), then ${REINIT}`,
    };
  const entry = obj(obj(file.value['mcpServers'])['autopilot']);
  const command = entry['command'];
  const args = Array.isArray(entry['args']) ? entry['args'].filter((a): a is string => typeof a === 'string') : [];
  if (typeof command !== 'string')
    return { id, status: 'fail', message: '.mcp.json has no mcpServers.autopilot entry with a command', fix: REINIT };
  const words = [command, ...args];
  if (!words.some((w) => /autopilot/.test(w)) || !args.includes('mcp')) {
    return {
      id,
      status: 'fail',
      message: `.mcp.json's autopilot entry does not start \`autopilot mcp\` (${words.join(' ')})`,
      fix: REINIT,
    };
  }
  const look = lookAtCommand(root, words);
  return wiredOutcome(id, '.mcp.json', [look], look.problems, `.mcp.json: autopilot → ${words.join(' ')}`);
}

// A package name npx would fetch for Autopilot: the name of the package, or the name of its command (another
// project's package on the registry).
const NPX_TARGET = new RegExp(`^(?:${BIN_NAME}|${PACKAGE_NAME})(?:@\\S*)?$`);

/**
 * True when a line runs `npx autopilot` or `npx agent-autopilot` without `--no-install`: a line that downloads
 * and runs whatever the registry holds under that name when the repository has no copy installed.
 */
export function runsBareNpx(line: string): boolean {
  const words = line.split(/[\s"'`;&|()[\],{}]+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    if (words[i] !== 'npx' && !words[i]!.endsWith('/npx')) continue;
    let safe = false;
    for (let j = i + 1; j < words.length; j++) {
      const w = words[j]!;
      if (w === '--no-install' || w === '--no') safe = true;
      else if (w === '-p' || w === '--package') {
        if (NPX_TARGET.test(words[j + 1] ?? '') && !safe) return true;
        j++;
      } else if (w.startsWith('--package=')) {
        if (NPX_TARGET.test(w.slice('--package='.length)) && !safe) return true;
      } else if (!w.startsWith('-')) {
        if (NPX_TARGET.test(w) && !safe) return true;
        break;
      }
    }
  }
  return false;
}

/** Every line, in the files Autopilot writes, that runs a bare npx of Autopilot: `file:line` and the line. */
async function bareNpxCheck(root: string): Promise<DoctorCheck> {
  const id = 'npx';
  const hooksDir = (await git(root, ['rev-parse', '--git-path', 'hooks'])).stdout.trim();
  const files: [label: string, abs: string, comments: boolean][] = [
    [GITHUB_WORKFLOW, join(root, GITHUB_WORKFLOW), true],
    [GITLAB_JOB, join(root, GITLAB_JOB), true],
    ['.claude/settings.json', join(root, '.claude/settings.json'), false],
    ['.codex/hooks.json', join(root, '.codex/hooks.json'), false],
    ['.cursor/hooks.json', join(root, '.cursor/hooks.json'), false],
    ['AGENTS.md', join(root, 'AGENTS.md'), false],
    ...(hooksDir
      ? GIT_HOOKS.map((h): [string, string, boolean] => [`git hook ${h}`, join(resolve(root, hooksDir), h), true])
      : []),
  ];
  const found: string[] = [];
  for (const [label, abs, comments] of files) {
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch {
      continue;
    }
    text.split('\n').forEach((line, i) => {
      // A comment in a YAML or shell file runs nothing.
      if (comments && line.trimStart().startsWith('#')) return;
      if (runsBareNpx(line)) found.push(`${label}:${i + 1} (${line.trim()})`);
    });
  }
  // .mcp.json holds the command and its arguments apart.
  const mcp = readJson(join(root, '.mcp.json')).value;
  for (const [name, server] of Object.entries(obj(mcp?.['mcpServers']))) {
    const entry = obj(server);
    const args = Array.isArray(entry['args']) ? entry['args'].filter((a): a is string => typeof a === 'string') : [];
    const line = [entry['command'], ...args].join(' ');
    if (typeof entry['command'] === 'string' && runsBareNpx(line)) found.push(`.mcp.json mcpServers.${name} (${line})`);
  }
  if (found.length === 0)
    return { id, status: 'ok', message: `no file Autopilot writes runs a bare \`npx ${BIN_NAME}\`` };
  return {
    id,
    status: 'fail',
    message: `a bare \`npx ${BIN_NAME}\` downloads and runs whatever the registry holds under that name when this repository has no copy installed (the name \`${BIN_NAME}\` is another project's package): ${found.join('; ')}`,
    fix: `make each of those lines run the installed copy: \`${LOCAL_NPX} …\` where ${PACKAGE_NAME} is one of the repository's dependencies, else install ${PACKAGE_NAME}@<version> first (npm install --global) and run \`${BIN_NAME} …\`. \`autopilot init\` writes the hooks, .mcp.json and AGENTS.md again, but keeps a CI file that exists: edit it, or delete it and run init`,
  };
}

function keyCheck(layout: Layout): DoctorCheck {
  const id = 'key';
  const file = join(layout.keysDir, PRIVATE_KEY_FILE);
  const legacy = join(layout.repoKeysDir, PRIVATE_KEY_FILE);
  if (!existsSync(file)) {
    if (existsSync(legacy))
      return {
        id,
        status: 'fail',
        message: `the signing key is still in the repository (${legacy}), where the agent can read it; it is not used from there`,
        fix: `run \`autopilot init\`: it moves the key to this user's state folder (${layout.keysDir})`,
      };
    return {
      id,
      status: 'fail',
      message: `no signing key for this repository at ${file} (this user's state folder): nothing can be recorded`,
      fix: "run `autopilot init` to create this user's key pair (entries signed by an earlier key still verify: the store keeps its public key). A repository moved to another folder has a new state folder: move the old one (under the same state root) along, or accept a new key",
    };
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0)
    return {
      id,
      status: 'fail',
      message: `the private key ${file} is mode ${mode.toString(8)}: other users can read it`,
      fix: `chmod 600 ${file}`,
    };
  try {
    const signer = loadSigner(layout.keysDir);
    return { id, status: 'ok', message: `signing key ${signer.keyId} (${file}, mode 600, outside the repository)` };
  } catch (err) {
    return {
      id,
      status: 'fail',
      message: messageOf(err),
      fix: `restore ${file} from a backup, or move it aside and run \`autopilot init\` for a new key pair`,
    };
  }
}

/** Fails on every private key or approval token found in the repository (the state folder included). */
async function secretsCheck(layout: Layout): Promise<DoctorCheck> {
  const id = 'secrets';
  let token: string | undefined;
  try {
    token = readFileSync(approvalTokenFile(layout), 'utf8').trim() || undefined;
  } catch {
    token = undefined;
  }
  const found = await findRepoSecrets(layout, token);
  if (found.length === 0)
    return {
      id,
      status: 'ok',
      message: `no private key or approval token in the repository; they are in ${layout.keysDir}`,
    };
  return {
    id,
    status: 'fail',
    message: `the agent can read ${found.map((f) => `${f.what === 'approval token' ? 'an' : 'a'} ${f.what} in ${f.path}`).join('; ')}`,
    fix: `run \`autopilot init\`, which moves the key pair and the token of an older installation (<stateDir>/keys/) to ${layout.keysDir}; delete any other copy (and \`git rm --cached\` a tracked one). A key that was in the repository may have been copied: move it aside and run init for a new key pair, and pin the keys the CI gate trusts (AUTOPILOT_TRUSTED_KEYS)`,
  };
}

async function storeCheck(layout: Layout, config: Config, deps: DoctorDeps): Promise<DoctorCheck[]> {
  const id = 'store';
  let store: Store | undefined;
  try {
    store = await deps.openStore(layout, config);
    const head = await store.head();
    const active = (await store.activeTasks()).length;
    const checks: DoctorCheck[] = [
      { id, status: 'ok', message: `store readable: ${head?.seq ?? 0} ledger entries, ${active} active task(s)` },
    ];
    let keyIds: string[] = [];
    try {
      keyIds = [loadSigner(layout.keysDir).keyId];
    } catch {
      // the key check says what is wrong with it; the store's own keys still say which trailers are its
    }
    const problems = await historyProblems({ layout, store, keyIds });
    checks.push(
      problems.length === 0
        ? {
            id: 'history',
            status: 'ok',
            message: 'the store holds every head recorded outside it (the anchor, commit trailers, committed bundles)',
          }
        : {
            id: 'history',
            status: 'fail',
            code: ErrorCode.LEDGER_TAMPERED,
            message: `LEDGER_TAMPERED: ${problems.map((p) => p.reason).join(' · ')}`,
            fix: problems[0]!.fix,
          },
    );
    return checks;
  } catch (err) {
    const sqlite = config.store === 'sqlite' || config.store.startsWith('sqlite:');
    return [
      {
        id,
        status: 'fail',
        message: `the store cannot be read: ${messageOf(err)}`,
        fix: sqlite
          ? `the SQLite file is damaged: move it aside (mv ${layout.dbFile} ${layout.dbFile}.broken) and restore a backup. An empty store from \`autopilot init\` is not accepted while this user's anchor names the old history (its fix is in \`autopilot doctor\` then); committed attestation bundles keep what was committed`
          : 'check that the database is reachable with the configured URL (store, AUTOPILOT_STORE), then run `autopilot store migrate`',
      },
    ];
  } finally {
    await store?.close().catch(() => {});
  }
}

function sandboxCheck(config: Config, deps: DoctorDeps): DoctorCheck {
  const id = 'sandbox';
  if (config.sandbox.mode === 'off')
    return { id, status: 'ok', message: 'sandbox.mode is off: evidence commands run unsandboxed, as configured' };
  const s = deps.sandboxStatus(config);
  if (s.available)
    return {
      id,
      status: 'ok',
      message: `bubblewrap ${s.bwrapVersion ?? ''} makes the sandbox (sandbox.mode: ${s.mode})`.replace('  ', ' '),
    };
  const fix = 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and allow unprivileged user namespaces';
  if (config.sandbox.mode === 'required')
    return {
      id,
      status: 'fail',
      message: `sandbox.mode is required, but no sandbox can be made here: ${s.reason ?? 'bwrap is missing'}`,
      fix: `${fix}, or set sandbox.mode: preferred`,
    };
  return {
    id,
    status: 'warn',
    message: `no sandbox here (${s.reason ?? 'bwrap is missing'}): evidence commands run unsandboxed, and the evidence says so`,
    fix,
  };
}

// Words a shell runs itself, or that open and close its compound commands: not programs to look for.
const SHELL_WORDS = new Set(
  'if then else elif fi for while until do done case esac in function { } ! [ [[ test echo printf exit cd set export true false read local return shift eval exec trap wait : .'.split(
    ' ',
  ),
);

/** The programs a command runs: its first word and, for `sh -c SCRIPT`, the first word of each of the script's commands. */
function programsOf(run: readonly string[]): string[] {
  const [first, flag, script] = run;
  if (!first) return [];
  if (/^(\/(usr\/)?bin\/)?(ba|da)?sh$/.test(first) && flag === '-c' && script !== undefined) {
    const words = script
      .split(/&&|\|\||[;|\n(){}]/)
      .map((part) => part.trim().split(/\s+/)[0] ?? '')
      .filter((w) => /^[A-Za-z.\/][\w.+\/-]*$/.test(w) && !SHELL_WORDS.has(w) && !w.includes('='));
    return [first, ...new Set(words)];
  }
  return [first];
}

/** What stands in the way of a configured command starting: a program not found, a module not installed. */
export function commandStartProblems(root: string, run: readonly string[], probe: DetectProbe): string[] {
  const problems: string[] = [];
  for (const program of programsOf(run)) {
    if (program.includes('/')) {
      try {
        accessSync(resolve(root, program), constants.X_OK);
      } catch {
        problems.push(`${program} does not exist or cannot be run`);
      }
    } else if (!probe.onPath(program)) {
      problems.push(`${program} is not on PATH`);
    }
  }
  if (problems.length > 0) return problems;
  const [first, second, third] = run;
  const name = first?.split('/').pop() ?? '';
  if (/^python(\d(\.\d+)?)?$/.test(name) && second === '-m' && third && !probe.pythonHas(first!, third))
    problems.push(`${first} cannot import ${third} (is it installed for this interpreter?)`);
  // A package binary run through the package manager must be installed, or npx fetches it from the network.
  const bin =
    name === 'npx' || name === 'bunx' || name === 'yarn'
      ? second
      : name === 'pnpm' && second === 'exec'
        ? third
        : undefined;
  if (
    bin &&
    /^[\w@][\w./@-]*$/.test(bin) &&
    !bin.includes('/') &&
    !existsSync(join(root, 'node_modules', '.bin', bin))
  ) {
    const script = name === 'yarn' && readJson(join(root, 'package.json')).value?.['scripts'];
    if (!(script && typeof obj(script)[bin] === 'string'))
      problems.push(`${bin} is not installed in node_modules (${name} would try to fetch it from the registry)`);
  }
  return problems;
}

function commandCheck(root: string, config: Config, key: 'test' | 'build' | 'lint', probe: DetectProbe): DoctorCheck {
  const id = key;
  const spec = config.commands[key];
  const severity = key === 'test' ? 'fail' : 'warn';
  if (!spec) {
    if (key !== 'test') return { id, status: 'ok', message: `no ${key} command configured (commands.${key})` };
    return {
      id,
      status: 'fail',
      message: 'commands.test is not set: VERIFY has no tests to run, and every task stops there',
      fix: 'set commands.test in .autopilot/config.yaml (the comment init wrote above commands says what it found and what to install)',
    };
  }
  const problems = commandStartProblems(root, spec.run, probe);
  if (problems.length > 0)
    return {
      id,
      status: severity,
      message: `commands.${key} cannot start: ${problems.join('; ')}`,
      fix: `install what is missing, or fix commands.${key}.run in .autopilot/config.yaml`,
    };
  return { id, status: 'ok', message: `commands.${key}: ${spec.run.join(' ')}` };
}

/** Checks the installation around `cwd`. */
export async function runDoctor(cwd: string, deps: DoctorDeps): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const root = findRoot(cwd);
  if (!root) {
    checks.push({
      id: 'config',
      status: 'fail',
      message: `no .autopilot/config.yaml at or above ${cwd}`,
      fix: 'run `autopilot init` in the repository',
    });
    return { root: null, healthy: false, checks };
  }
  let config: Config | undefined;
  try {
    config = loadConfig(root);
    checks.push({ id: 'config', status: 'ok', message: `.autopilot/config.yaml is valid` });
  } catch (err) {
    checks.push({
      id: 'config',
      status: 'fail',
      message: messageOf(err),
      fix: 'fix the key it names in .autopilot/config.yaml (the message says which), then run `autopilot doctor` again',
    });
  }
  const layout = layoutFor(root, config?.stateDir ?? '.autopilot');
  checks.push(keyCheck(layout));
  checks.push(await secretsCheck(layout));
  if (config) checks.push(...(await storeCheck(layout, config, deps)));
  const agents = detectAgents(root, deps.home);
  checks.push(agentHooks(root, '.claude/settings.json', 'claude', CLAUDE_EVENTS, 'Claude Code'));
  if (agents.codex || existsSync(join(root, '.codex', 'hooks.json')))
    checks.push(agentHooks(root, '.codex/hooks.json', 'codex', CODEX_EVENTS, 'Codex'));
  if (agents.cursor || existsSync(join(root, '.cursor', 'hooks.json')))
    checks.push(agentHooks(root, '.cursor/hooks.json', 'cursor', CURSOR_EVENTS, 'Cursor'));
  checks.push(...wallChecks(root, agents, deps));
  checks.push(await gitHooksCheck(root));
  checks.push(mcpCheck(root));
  checks.push(await bareNpxCheck(root));
  if (config) {
    const probe = deps.probe ?? machineProbe();
    for (const key of ['test', 'build', 'lint'] as const) checks.push(commandCheck(root, config, key, probe));
    checks.push(sandboxCheck(config, deps));
  }
  if (deps.daemonRunning) {
    const running = await deps.daemonRunning(root).catch(() => false);
    checks.push({
      id: 'daemon',
      status: 'ok',
      message: running
        ? 'the hook daemon answers for this repository'
        : 'no hook daemon is running (the next hook starts one; AUTOPILOT_HOOK_DAEMON=0 turns it off)',
    });
  }
  return { root, healthy: checks.every((c) => c.status !== 'fail'), checks };
}
