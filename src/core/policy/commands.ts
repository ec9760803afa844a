/** @module The command dispatcher: from one argv to the handler of its command, with aliases and a cautious default. */
import { SENSITIVE } from './code-scan.ts';
import type { CommandEnv, Cx, Handler } from './command-env.ts';
import { DEV_JS } from './dev-js.ts';
import { escapeHandlers } from './escapes.ts';
import { DEV_LANGS } from './dev-langs.ts';
import { Findings } from './findings.ts';
import { classifyGh, classifyGlab, classifyHub } from './forge.ts';
import { classifyGit } from './git.ts';
import { OPS } from './ops.ts';
import { patchPaths } from './patch.ts';
import { isExact, plainWord, type ShellWord } from './shell-words.ts';
import { UNIX } from './unix.ts';
import { scriptFile, WRAPPERS } from './wrappers.ts';

const applyPatch: Handler = (args, cx) => {
  const arg = args[0];
  const stdin = cx.env.stdin;
  const text = arg ? (arg.literal ? arg.text : undefined) : stdin.kind === 'text' ? stdin.text : undefined;
  if (text === undefined) return cx.env.findings.unknown('apply_patch: the patch is not visible');
  const paths = patchPaths(text);
  if (!paths) return cx.env.findings.unknown('apply_patch: no file header in the patch');
  for (const p of paths) cx.env.write(plainWord(p), 'apply_patch');
};

const BASE_HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...UNIX,
  ...WRAPPERS,
  ...DEV_JS,
  ...DEV_LANGS,
  ...OPS,
  ['git', (args, cx) => classifyGit(args, cx)],
  ['gh', classifyGh],
  ['hub', classifyHub],
  ['glab', classifyGlab],
  ['apply_patch', applyPatch],
  ['applypatch', applyPatch],
]);

const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...BASE_HANDLERS,
  ...escapeHandlers(BASE_HANDLERS),
]);

// Commands that, found among the arguments of an unknown command, probably run: `chroot / git push`, `strace -f curl …`.
const EMBEDDED = new Set([
  'git',
  'gh',
  'hub',
  'glab',
  'curl',
  'wget',
  'ssh',
  'scp',
  'sftp',
  'rsync',
  'nc',
  'ncat',
  'netcat',
  'socat',
  'telnet',
  'kubectl',
  'helm',
  'terraform',
  'tofu',
  'docker',
  'podman',
  'npm',
  'pnpm',
  'yarn',
  'pip',
  'pip3',
  'aws',
  'gcloud',
  'az',
  'bash',
  'sh',
  'zsh',
  'dash',
  'eval',
  'sudo',
  'env',
  'xargs',
  'claude',
  'codex',
  'rm',
  'mv',
  'cp',
  'tee',
  'dd',
]);

/** The command name of a word: its text after the last slash, version suffixes of interpreters removed. */
export function commandName(text: string): string {
  const base = text.slice(text.lastIndexOf('/') + 1);
  const m = /^(python|pip|pypy|ruby|perl|php|node)[0-9][0-9.]*$/.exec(base);
  return m?.[1] === 'python' || m?.[1] === 'pip' || m?.[1] === 'pypy' ? `${m[1]}3` : (m?.[1] ?? base);
}

// An unknown command is exec (or deploy / exec:test by its name). Its arguments are searched for
// commands it probably runs: a known command name (`chroot / git push`) is classified from there,
// and a string with spaces (`tmux new -d 'git push'`) is parsed as a script; what they need is added.
function unknownCommand(head: ShellWord, args: readonly ShellWord[], cx: Cx): void {
  scriptFile(head, cx);
  const at = args.findIndex((w) => isExact(w) && EMBEDDED.has(commandName(w.text)));
  if (at >= 0) {
    const scratch = new Findings();
    classifyArgv(args.slice(at), cx.env.derive({ findings: scratch }));
    for (const cap of scratch.capabilities) cx.env.findings.need(cap, `${args[at]?.text ?? ''} run by ${cx.name}`);
  }
  for (const w of args.slice(0, at >= 0 ? at : args.length)) {
    if (!w.literal || !/\s/.test(w.text.trim()) || w.text.length > 4096) continue;
    const scratch = new Findings();
    cx.env.derive({ findings: scratch }).script(w.text, `${cx.name} argument`);
    for (const cap of scratch.capabilities)
      if (SENSITIVE.has(cap))
        cx.env.findings.need(cap, `${w.text.trim().split(/\s+/).slice(0, 2).join(' ')} run by ${cx.name}`);
  }
}

/** Classifies one argv (a simple command after expansion), recording into `env.findings`. */
export function classifyArgv(
  argv: readonly ShellWord[],
  env: CommandEnv,
  expanded: ReadonlySet<string> = new Set(),
): void {
  const head = argv[0];
  if (!head) return;
  const f = env.findings;
  if (!head.literal)
    return f.unknown(`${head.text}: the command name is not a literal (a variable or substitution can run anything)`);
  if (head.glob) return f.unknown(`${head.text}: the command name is a glob pattern`);
  if (head.text === '') return f.unknown('an empty command name');
  const name = commandName(head.text);
  const args = argv.slice(1);
  const alias = head.text.includes('/') || expanded.has(name) ? undefined : env.alias(name);
  if (alias !== undefined) {
    if (alias === null) {
      if (args.length > 0) f.unknown(`${name}: an alias to a compound command, given arguments`);
      return;
    }
    classifyArgv([...alias, ...args], env, new Set([...expanded, name]));
    return;
  }
  const cx: Cx = {
    env,
    name,
    run: (inner, innerEnv) => classifyArgv(inner, innerEnv ?? env, expanded),
  };
  const handler = HANDLERS.get(name);
  if (handler) return handler(args, cx);
  if (env.isFunction(name) && !head.text.includes('/'))
    return f.reason(`${name} is a function defined in the command: its body is classified where it is defined`);
  if (name.startsWith('git-') && name.length > 4) return classifyGit([plainWord(name.slice(4)), ...args], cx);
  unknownCommand(head, args, cx);
}
