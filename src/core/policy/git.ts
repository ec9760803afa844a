/** @module git: global options, `-c` settings and aliases, and each subcommand mapped to capabilities. */
import type { Capability } from './capabilities.ts';
import type { Cx } from './command-env.ts';
import { hasOption, optionValue, parseOptions, type ParsedArgs } from './options.ts';
import { isExact, plainWord, type ShellWord } from './shell-words.ts';

const VALUE_OPTIONS = new Set([
  '-C',
  '-c',
  '--git-dir',
  '--work-tree',
  '--namespace',
  '--super-prefix',
  '--attr-source',
  '--config-env',
]);
const VALUE_PREFIXES = [
  '--git-dir=',
  '--work-tree=',
  '--namespace=',
  '--exec-path',
  '--super-prefix=',
  '--attr-source=',
  '--list-cmds=',
];
const FLAG_OPTIONS = new Set([
  '-p',
  '-P',
  '--paginate',
  '--no-pager',
  '--bare',
  '--no-replace-objects',
  '--literal-pathspecs',
  '--glob-pathspecs',
  '--noglob-pathspecs',
  '--icase-pathspecs',
  '--no-optional-locks',
  '--no-advice',
  '--no-lazy-fetch',
]);
const INFO_OPTIONS = new Set(['--version', '-v', '--help', '-h', '--html-path', '--man-path', '--info-path']);

// Config keys whose value is a command git runs (or a place it loads code or config from).
const COMMAND_KEY_SUFFIXES = new Set([
  'pager',
  'editor',
  'sshcommand',
  'fsmonitor',
  'askpass',
  'gitproxy',
  'external',
  'command',
  'textconv',
  'cmd',
  'driver',
  'clean',
  'smudge',
  'process',
  'helper',
  'program',
  'packobjectshook',
  'uploadpack',
  'receivepack',
  'alternaterefscommand',
  'hookspath',
]);

function isCommandKey(key: string): boolean {
  const last = key.slice(key.lastIndexOf('.') + 1);
  return key.startsWith('pager.') || key.startsWith('include') || COMMAND_KEY_SUFFIXES.has(last);
}

const READ = new Set([
  'status',
  'log',
  'show',
  'diff',
  'blame',
  'annotate',
  'shortlog',
  'describe',
  'rev-parse',
  'rev-list',
  'ls-files',
  'ls-tree',
  'cat-file',
  'show-ref',
  'for-each-ref',
  'name-rev',
  'merge-base',
  'whatchanged',
  'count-objects',
  'check-ignore',
  'check-attr',
  'check-mailmap',
  'check-ref-format',
  'var',
  'help',
  'version',
  'cherry',
  'range-diff',
  'diff-tree',
  'diff-files',
  'diff-index',
  'show-branch',
  'verify-commit',
  'verify-tag',
  'verify-pack',
  'fsck',
  'show-index',
  'column',
  'stripspace',
  'patch-id',
  'fmt-merge-msg',
  'get-tar-commit-id',
]);
const COMMIT = new Set([
  'commit',
  'merge',
  'rebase',
  'cherry-pick',
  'revert',
  'am',
  'add',
  'stage',
  'update-index',
  'update-ref',
  'commit-tree',
  'write-tree',
  'mktree',
  'mktag',
  'read-tree',
  'replace',
  'filter-branch',
  'fast-import',
  'citool',
  'gui',
]);
const NET = new Set([
  'fetch',
  'clone',
  'ls-remote',
  'fetch-pack',
  'receive-pack',
  'upload-pack',
  'upload-archive',
  'http-fetch',
  'send-email',
  'imap-send',
  'request-pull',
  'credential',
]);
const SOURCE = new Set(['restore', 'init', 'mergetool', 'merge-file']);
const EXEC = new Set([
  'gc',
  'prune',
  'repack',
  'maintenance',
  'pack-refs',
  'commit-graph',
  'multi-pack-index',
  'rerere',
  'difftool',
  'instaweb',
  'bugreport',
  'diagnose',
  'prune-packed',
  'index-pack',
  'unpack-objects',
  'pack-objects',
  'hook',
]);

/** Splits a git alias value into words as git does (whitespace, quotes, backslashes). */
export function splitGitWords(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let has = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] ?? '';
    if (quote) {
      if (ch === quote) quote = '';
      else if (ch === '\\' && quote === '"' && i + 1 < value.length) cur += value[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (ch === '\\' && i + 1 < value.length) {
      cur += value[++i];
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

// Quotes a literal word for a shell script.
function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

interface GitState {
  readonly aliases: Map<string, string>;
  depth: number;
}

/** Classifies `git ARGS…` (args without the `git` itself). */
export function classifyGit(
  args: readonly ShellWord[],
  cx: Cx,
  state: GitState = { aliases: new Map(), depth: 0 },
): void {
  const f = cx.env.findings;
  let i = 0;
  for (; i < args.length; i++) {
    const w = args[i] as ShellWord;
    if (!isExact(w)) {
      f.unknown(`git ${w.text}: the git subcommand or option is not a literal`);
      return;
    }
    const t = w.text;
    if (!t.startsWith('-')) break;
    if (VALUE_OPTIONS.has(t)) {
      const value = args[++i];
      if (t === '-c' && !setting(value, false, cx, state)) return;
      if (t === '--config-env' && !setting(value, true, cx, state)) return;
      continue;
    }
    if (t.startsWith('--config-env=')) {
      if (!setting({ ...w, text: t.slice('--config-env='.length) }, true, cx, state)) return;
      continue;
    }
    if (t.startsWith('--exec-path=')) {
      f.need('exec', 'git --exec-path (runs git commands from another folder)');
      continue;
    }
    if (VALUE_PREFIXES.some((p) => t.startsWith(p)) || FLAG_OPTIONS.has(t)) continue;
    if (INFO_OPTIONS.has(t)) {
      f.need('read', `git ${t}`);
      return;
    }
    f.unknown(`git ${t}: not a git option Autopilot knows`);
    return;
  }
  const subWord = args[i];
  if (!subWord) {
    if (cx.env.trailingUnknown) f.unknown('git with its subcommand taken from input (xargs): cannot tell which');
    else f.need('read', 'git');
    return;
  }
  const sub = subWord.text;
  const rest = args.slice(i + 1);
  const alias = state.aliases.get(sub.toLowerCase());
  if (alias !== undefined) {
    expandAlias(sub, alias, rest, cx, state);
    return;
  }
  subcommand(sub, rest, cx);
}

function setting(word: ShellWord | undefined, fromEnv: boolean, cx: Cx, state: GitState): boolean {
  const f = cx.env.findings;
  if (!isExact(word)) {
    f.unknown(`git -c ${word?.text ?? ''}: the setting is not a literal`);
    return false;
  }
  const eq = word.text.indexOf('=');
  const key = (eq < 0 ? word.text : word.text.slice(0, eq)).toLowerCase();
  const value = eq < 0 ? '' : word.text.slice(eq + 1);
  if (key.startsWith('alias.')) {
    if (fromEnv) {
      f.unknown(`git --config-env ${key}: an alias whose value comes from the environment`);
      return false;
    }
    state.aliases.set(key.slice('alias.'.length), value);
    return true;
  }
  if (isCommandKey(key)) {
    if (fromEnv || key.startsWith('include')) {
      f.unknown(`git -c ${key}: git would run or load something that is not visible here`);
      return false;
    }
    if (key.endsWith('hookspath')) f.need('exec', `git -c ${key}`);
    else if (value) cx.env.script(value.startsWith('!') ? value.slice(1) : value, `git -c ${key}`);
  }
  return true;
}

function expandAlias(sub: string, alias: string, rest: readonly ShellWord[], cx: Cx, state: GitState): void {
  const f = cx.env.findings;
  if (state.depth >= 4) {
    f.unknown(`git ${sub}: aliases nested too deep`);
    return;
  }
  if (alias.startsWith('!')) {
    if (rest.some((w) => !w.literal)) {
      f.unknown(`git ${sub}: a shell alias with arguments that are not literals`);
      return;
    }
    cx.env.script([alias.slice(1), ...rest.map((w) => shellQuote(w.text))].join(' '), `git ${sub} (alias)`);
    return;
  }
  state.depth++;
  classifyGit([...splitGitWords(alias).map(plainWord), ...rest], cx, state);
}

const parse = (args: readonly ShellWord[]): ParsedArgs => parseOptions(args, { permute: true });

function need(cx: Cx, cap: Capability, what: string): void {
  cx.env.findings.need(cap, what);
}

function writeTargets(cx: Cx, targets: readonly ShellWord[], what: string): void {
  if (targets.length === 0 || cx.env.trailingUnknown) cx.env.write(undefined, what);
  for (const t of targets) cx.env.write(t, what);
}

function subcommand(sub: string, rest: readonly ShellWord[], cx: Cx): void {
  const what = `git ${sub}`;
  const f = cx.env.findings;
  const p = parse(rest);
  const first = p.operands[0]?.text;
  if (hasOption(p, '--no-verify') || (sub === 'commit' && hasOption(p, '-n')))
    f.reason(`${what} --no-verify skips the git hooks`);
  if (READ.has(sub)) {
    const output = optionValue(p, '--output');
    if (output) cx.env.write(output, `${what} --output`);
    if (hasOption(p, '--ext-diff')) need(cx, 'exec', `${what} --ext-diff`);
    need(cx, 'read', what);
    return;
  }
  if (sub === 'grep') {
    // -O / --open-files-in-pager runs the program it is given on the matching files.
    if (rest.some((w) => /^(-O|--open-files-in-pager)/.test(w.text)))
      need(cx, 'exec', `${what} -O (runs a program on the matches)`);
    return need(cx, 'search', what);
  }
  if (COMMIT.has(sub)) {
    if (
      (sub === 'commit' || sub === 'add' || sub === 'stage') &&
      hasOption(p, '--dry-run', ...(sub === 'commit' ? [] : ['-n']))
    ) {
      return need(cx, 'read', `${what} --dry-run`);
    }
    return need(cx, 'vcs:commit', what);
  }
  if (NET.has(sub)) return need(cx, 'net', what);
  if (SOURCE.has(sub)) return need(cx, 'write:source', what);
  if (EXEC.has(sub)) return need(cx, 'exec', what);
  switch (sub) {
    case 'push':
    case 'send-pack':
      return need(cx, 'vcs:push', what);
    case 'pull':
      need(cx, 'net', what);
      return need(cx, 'vcs:commit', what);
    case 'branch': {
      const modify = hasOption(
        p,
        '-d',
        '-D',
        '-m',
        '-M',
        '-c',
        '-C',
        '-f',
        '--delete',
        '--move',
        '--copy',
        '--force',
        '-u',
        '--set-upstream-to',
        '--unset-upstream',
        '--edit-description',
        '-t',
        '--track',
      );
      const list = hasOption(
        p,
        '-l',
        '--list',
        '--contains',
        '--no-contains',
        '--merged',
        '--no-merged',
        '--points-at',
      );
      return need(cx, modify || (p.operands.length > 0 && !list) ? 'vcs:commit' : 'read', what);
    }
    case 'tag': {
      const list =
        hasOption(
          p,
          '-l',
          '--list',
          '-v',
          '--verify',
          '--contains',
          '--no-contains',
          '--points-at',
          '--merged',
          '--no-merged',
        ) ||
        (p.operands.length === 0 && !hasOption(p, '-d', '--delete', '-a', '-s', '-m', '-F', '-f'));
      return need(cx, list ? 'read' : 'vcs:commit', what);
    }
    case 'reflog':
      return need(cx, first === 'expire' || first === 'delete' ? 'vcs:commit' : 'read', what);
    case 'notes':
      return need(
        cx,
        first === undefined || first === 'list' || first === 'show' || first === 'get-ref' ? 'read' : 'vcs:commit',
        what,
      );
    case 'remote':
      if (first === undefined || first === 'show' || first === 'get-url') return need(cx, 'read', what);
      return need(cx, first === 'update' || first === 'prune' ? 'net' : 'vcs:push', `${what} ${first}`);
    case 'config':
      return config(p, cx);
    case 'checkout': {
      const create = hasOption(p, '-b', '-B', '--orphan') && !rest.some((w) => w.text === '--');
      return need(cx, create ? 'vcs:commit' : 'write:source', what);
    }
    case 'switch':
      return need(
        cx,
        hasOption(p, '-c', '-C', '--create', '--force-create', '--orphan') ? 'vcs:commit' : 'write:source',
        what,
      );
    case 'reset':
      return need(cx, hasOption(p, '--hard', '--merge', '--keep') ? 'write:source' : 'vcs:commit', what);
    case 'stash':
      return need(cx, first === 'list' || first === 'show' ? 'read' : 'write:source', what);
    case 'clean':
      if (hasOption(p, '-n', '--dry-run')) return need(cx, 'read', what);
      // Without a path it removes every untracked file, Autopilot's evidence and (with -x) its store among them.
      if (p.operands.filter((o) => o.text !== '--').length === 0)
        return cx.env.findings.unknown(
          `${what} without a path removes untracked and ignored files anywhere, Autopilot's state among them; name the paths to clean`,
        );
      need(cx, 'write:source', what);
      return writeTargets(cx, p.operands, what);
    case 'apply':
      if (hasOption(p, '--check', '--stat', '--numstat', '--summary') && !hasOption(p, '--apply'))
        return need(cx, 'read', what);
      return need(cx, hasOption(p, '--cached') ? 'vcs:commit' : 'write:source', what);
    case 'rm':
    case 'mv':
      need(cx, 'vcs:commit', what);
      if (!hasOption(p, '--cached')) writeTargets(cx, p.operands, what);
      return;
    case 'bisect':
      return need(cx, first === 'log' || first === 'view' || first === 'visualize' ? 'read' : 'write:source', what);
    case 'worktree':
    case 'sparse-checkout':
      return need(cx, first === 'list' ? 'read' : 'write:source', what);
    case 'format-patch': {
      if (hasOption(p, '--stdout')) return need(cx, 'read', what);
      const dir = optionValue(p, '-o', '--output-directory');
      return cx.env.write(dir ?? plainWord('.'), what);
    }
    case 'archive': {
      if (optionValue(p, '--remote')) return need(cx, 'net', what);
      const out = optionValue(p, '-o', '--output');
      return out ? cx.env.write(out, what) : need(cx, 'read', what);
    }
    case 'bundle':
      if (first === 'create') return cx.env.write(p.operands[1], what);
      return need(cx, first === 'unbundle' ? 'vcs:commit' : 'read', what);
    case 'submodule':
      if (first === undefined || first === 'status' || first === 'summary') return need(cx, 'read', what);
      if (first === 'foreach') {
        need(cx, 'exec', `${what} foreach`);
        const script = p.operands.slice(1);
        if (script.some((w) => !w.literal)) return f.unknown(`${what} foreach: the command is not a literal`);
        return cx.env.script(script.map((w) => w.text).join(' '), `${what} foreach`);
      }
      return need(cx, 'net', `${what} ${first}`);
    case 'lfs':
      if (first === 'push') return need(cx, 'vcs:push', `${what} push`);
      if (first === 'pull' || first === 'fetch' || first === 'clone' || first === 'install')
        return need(cx, 'net', `${what} ${first}`);
      return need(cx, first === 'track' || first === 'untrack' || first === 'migrate' ? 'write:source' : 'read', what);
    case 'svn':
      if (first === 'dcommit' || first === 'set-tree') return need(cx, 'vcs:push', `${what} ${first}`);
      return need(cx, 'net', what);
    case 'p4':
      return need(cx, first === 'submit' ? 'vcs:push' : 'net', what);
    case 'subtree':
      if (first === 'push') return need(cx, 'vcs:push', `${what} push`);
      if (first === 'split') return need(cx, 'vcs:commit', `${what} split`);
      need(cx, 'net', what);
      return need(cx, 'vcs:commit', what);
    case 'hash-object':
      return need(cx, hasOption(p, '-w') ? 'vcs:commit' : 'read', what);
    case 'symbolic-ref':
      return need(cx, p.operands.length >= 2 || hasOption(p, '-d', '--delete') ? 'vcs:commit' : 'read', what);
    default:
      f.unknown(`${what}: not a git subcommand Autopilot knows (an alias from the git config would hide what it runs)`);
  }
}

function config(p: ParsedArgs, cx: Cx): void {
  const what = 'git config';
  const first = p.operands[0]?.text;
  const readFlags = hasOption(
    p,
    '--get',
    '--get-all',
    '--get-regexp',
    '--get-urlmatch',
    '--get-color',
    '--get-colorbool',
    '-l',
    '--list',
  );
  const writeFlags = hasOption(
    p,
    '--unset',
    '--unset-all',
    '--add',
    '--replace-all',
    '--rename-section',
    '--remove-section',
    '-e',
    '--edit',
  );
  if (first === 'list' || first === 'get' || (!writeFlags && (readFlags || p.operands.length <= 1))) {
    cx.env.findings.need('read', what);
    return;
  }
  cx.env.findings.need('exec', `${what} (changes settings)`);
  const keyed = first === 'set' ? p.operands.slice(1) : p.operands;
  const key = keyed[0];
  const value = keyed[1];
  if (!isExact(key)) {
    cx.env.findings.unknown(`${what}: the key is not a literal`);
    return;
  }
  const k = key.text.toLowerCase();
  if (k.startsWith('alias.') || isCommandKey(k)) {
    if (!value || !value.literal) {
      cx.env.findings.unknown(`${what} ${k}: the value is not a literal`);
      return;
    }
    if (k.startsWith('alias.') && !value.text.startsWith('!')) {
      classifyGit(splitGitWords(value.text).map(plainWord), cx);
      return;
    }
    if (!k.endsWith('hookspath'))
      cx.env.script(value.text.startsWith('!') ? value.text.slice(1) : value.text, `${what} ${k}`);
  }
}
