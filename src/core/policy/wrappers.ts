/** @module Commands that run other commands: sudo, env, timeout, xargs, shells with -c, eval, alias, trap and friends. */
import type { Cx, Handler } from './command-env.ts';
import { hasOption, optionValue, parseOptions, type OptionSpec } from './options.ts';
import { isExact, type ShellWord } from './shell-words.ts';
import { checkEnvAssignment } from './env-vars.ts';

// A wrapper whose options follow `spec` and whose first operand starts the wrapped command.
function wrapper(
  spec: OptionSpec,
  onOptions?: (p: ReturnType<typeof parseOptions>, args: readonly ShellWord[], cx: Cx) => boolean,
): Handler {
  return (args, cx) => {
    const p = parseOptions(args, spec);
    if (onOptions && !onOptions(p, args, cx)) return;
    const inner = args.slice(p.firstOperand);
    if (inner.length === 0) return cx.env.findings.need('read', cx.name);
    cx.run(inner);
  };
}

function joined(words: readonly ShellWord[], cx: Cx, what: string): string | undefined {
  if (words.some((w) => !w.literal)) {
    cx.env.findings.unknown(`${what}: the command text is not a literal`);
    return undefined;
  }
  return words.map((w) => w.text).join(' ');
}

// `bash|sh|zsh|… [options] [-c SCRIPT | FILE]`: the script string is parsed and classified in turn.
const shell: Handler = (args, cx) => {
  const f = cx.env.findings;
  let command = false;
  let i = 0;
  for (; i < args.length; i++) {
    const w = args[i] as ShellWord;
    const t = w.text;
    if (!isExact(w)) break;
    if (t === '--' || t === '-') {
      i++;
      break;
    }
    if (t.startsWith('--')) {
      if (t === '--rcfile' || t === '--init-file') i++;
      continue;
    }
    if ((t.startsWith('-') || t.startsWith('+')) && t.length > 1) {
      for (const letter of t.slice(1)) {
        if (letter === 'c') command = true;
        if (letter === 'o' || letter === 'O') i++;
      }
      continue;
    }
    break;
  }
  const operand = args[i];
  if (command) {
    if (!operand) return f.unknown(`${cx.name} -c without a script`);
    if (!operand.literal) return f.unknown(`${cx.name} -c ${operand.text}: the script is not a literal`);
    return cx.env.script(operand.text, `${cx.name} -c`);
  }
  if (operand && !isStdinPath(operand)) return scriptFile(operand, cx);
  const stdin = cx.env.stdin;
  if (stdin.kind === 'text') return cx.env.script(stdin.text, `${cx.name} <<here-document`);
  if (stdin.kind === 'file') return f.need('exec', `${cx.name} < file`);
  f.unknown(`${cx.name} reads the commands to run from its input, which Autopilot cannot see`);
};

const STDIN_PATHS = new Set(['-', '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

// `bash /dev/stdin`, `source /dev/fd/0`: the script is whatever comes in on standard input.
function isStdinPath(word: ShellWord): boolean {
  return word.literal && STDIN_PATHS.has(word.text);
}

/** A script run by name (`bash deploy.sh`, `source env.sh`, `./run-tests.sh`): exec, or deploy / exec:test by its name. */
export function scriptFile(word: ShellWord, cx: Cx): void {
  const f = cx.env.findings;
  if (!word.literal) return f.unknown(`${cx.name} ${word.text}: the script name is not a literal`);
  const base = word.text.slice(word.text.lastIndexOf('/') + 1).toLowerCase();
  const what = word.text === cx.name || word.text.endsWith(`/${cx.name}`) ? word.text : `${cx.name} ${word.text}`;
  if (/deploy|publish/.test(base)) return f.need('deploy', what);
  if (/(^|[-_.])tests?([-_.]|$)/.test(base)) return f.need('exec:test', what);
  f.need('exec', what);
}

const evalHandler: Handler = (args, cx) => {
  const text = joined(args, cx, 'eval');
  if (text !== undefined) cx.env.script(text, 'eval');
};

const alias: Handler = (args, cx) => {
  const defs = args.filter((w) => w.text.includes('='));
  if (defs.length === 0) return cx.env.findings.need('read', 'alias');
  for (const d of defs) {
    const name = d.text.slice(0, d.text.indexOf('='));
    if (!d.literal) cx.env.findings.unknown(`alias ${name}: the alias body is not a literal`);
    else cx.env.script(d.text.slice(d.text.indexOf('=') + 1), `alias ${name}`);
  }
};

const trap: Handler = (args, cx) => {
  const first = args[0];
  if (!first || first.text === '-' || first.text.startsWith('-') || /^\d+$/.test(first.text) || args.length === 1) {
    return cx.env.findings.need('read', 'trap');
  }
  if (!first.literal) return cx.env.findings.unknown('trap: the trap command is not a literal');
  cx.env.script(first.text, 'trap');
};

const source: Handler = (args, cx) => {
  const file = args[0];
  if (!file) return cx.env.findings.need('read', cx.name);
  if (isStdinPath(file)) return shell([], cx);
  if (file.literal && /(^|\/)bin\/activate(\.(fish|csh))?$/.test(file.text))
    return cx.env.findings.need('read', `${cx.name} ${file.text} (activates a virtualenv)`);
  scriptFile(file, cx);
};

const command: Handler = (args, cx) => {
  const p = parseOptions(args, {});
  if (hasOption(p, '-v', '-V')) return cx.env.findings.need('read', `${cx.name} -v`);
  const inner = args.slice(p.firstOperand);
  if (inner.length === 0) return cx.env.findings.need('read', cx.name);
  cx.run(inner);
};

const sudo: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'ugpChDrtTU',
    long: [
      '--user',
      '--group',
      '--prompt',
      '--close-from',
      '--host',
      '--chdir',
      '--role',
      '--type',
      '--command-timeout',
      '--other-user',
    ],
  });
  const f = cx.env.findings;
  const inner = args.slice(p.firstOperand);
  if (hasOption(p, '-e', '--edit')) {
    for (const t of inner) cx.env.write(t, `${cx.name} -e`);
    return;
  }
  if (
    hasOption(
      p,
      '-l',
      '--list',
      '-v',
      '--validate',
      '-k',
      '-K',
      '--reset-timestamp',
      '--remove-timestamp',
      '-V',
      '--version',
      '--help',
    )
  ) {
    return f.need('read', `${cx.name} ${p.options[0]?.name ?? ''}`.trim());
  }
  if (inner.length === 0) return f.unknown(`${cx.name} without a command opens a shell that reads its input`);
  const chdir = optionValue(p, '-D', '--chdir');
  cx.run(inner, chdir ? cx.env.derive({ cwdUnknown: true }) : undefined);
};

const su: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'csgGw',
    long: ['--command', '--session-command', '--shell', '--group', '--supp-group', '--whitelist-environment'],
    permute: true,
  });
  const script = optionValue(p, '-c', '--command', '--session-command');
  if (!script) return cx.env.findings.unknown(`${cx.name} without -c opens a shell that reads its input`);
  if (!script.literal) return cx.env.findings.unknown(`${cx.name} -c: the command is not a literal`);
  cx.env.script(script.text, `${cx.name} -c`);
};

const runuser: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'ucsgG',
    long: ['--user', '--command', '--session-command', '--shell', '--group', '--supp-group'],
  });
  const script = optionValue(p, '-c', '--command', '--session-command');
  if (script) return su(args, cx);
  const inner = args.slice(p.firstOperand);
  if (inner.length === 0) return cx.env.findings.unknown(`${cx.name} without a command opens a shell`);
  cx.run(inner);
};

const env: Handler = (args, cx) => {
  const f = cx.env.findings;
  let derived = cx.env;
  let i = 0;
  for (; i < args.length; i++) {
    const w = args[i] as ShellWord;
    const t = w.text;
    if (!w.literal) break;
    if (t === '--') {
      i++;
      break;
    }
    if (t === '-u' || t === '--unset') {
      i++;
      continue;
    }
    if (t === '-C' || t === '--chdir' || t.startsWith('--chdir=') || (t.startsWith('-C') && t.length > 2)) {
      if (t === '-C' || t === '--chdir') i++;
      derived = derived.derive({ cwdUnknown: true });
      continue;
    }
    if (
      t === '-S' ||
      t === '--split-string' ||
      t.startsWith('--split-string=') ||
      (t.startsWith('-S') && t.length > 2)
    ) {
      const value =
        t === '-S' || t === '--split-string'
          ? args[++i]
          : { ...w, text: t.startsWith('-S') ? t.slice(2) : t.slice(t.indexOf('=') + 1) };
      const text = value ? joined([value, ...args.slice(i + 1)], cx, 'env -S') : undefined;
      if (text !== undefined) cx.env.script(text, 'env -S');
      return;
    }
    if (t.startsWith('-') && t !== '-') continue;
    const eq = t.indexOf('=');
    if (eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.slice(0, eq))) {
      checkEnvAssignment(t.slice(0, eq), { ...w, text: t.slice(eq + 1) }, cx.env, 'env');
      continue;
    }
    break;
  }
  const inner = args.slice(i);
  if (inner.length === 0) return f.need('read', 'env');
  cx.run(inner, derived);
};

const timeout = wrapper({ short: 'sk', long: ['--signal', '--kill-after'] }, (p, args, cx) => {
  const inner = args.slice(p.firstOperand + 1);
  if (inner.length === 0) cx.env.findings.need('read', 'timeout');
  else cx.run(inner);
  return false;
});

const time = wrapper({ short: 'fo', long: ['--format', '--output'] }, (p, _args, cx) => {
  const out = optionValue(p, '-o', '--output');
  if (out) cx.env.write(out, `${cx.name} -o`);
  return true;
});

const exec = wrapper({ short: 'a' });

const xargs: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'adEILnPs',
    long: [
      '--arg-file',
      '--delimiter',
      '--max-lines',
      '--max-args',
      '--max-procs',
      '--max-chars',
      '--process-slot-var',
    ],
  });
  const replaceOpt = p.options.find((o) => o.name === '-I' || o.name === '-i' || o.name === '--replace');
  const replace = replaceOpt ? (replaceOpt.name === '-I' ? (replaceOpt.value?.text ?? '{}') : '{}') : undefined;
  let inner = args.slice(p.firstOperand);
  if (inner.length === 0) return cx.env.findings.need('read', 'xargs');
  if (replace !== undefined) inner = inner.map((w) => (w.text.includes(replace) ? { ...w, literal: false } : w));
  cx.run(inner, cx.env.derive({ trailingUnknown: replace === undefined, stdin: { kind: 'dynamic' } }));
};

const watch: Handler = (args, cx) => {
  const p = parseOptions(args, { short: 'nq', long: ['--interval'] });
  const inner = args.slice(p.firstOperand);
  if (inner.length === 0) return cx.env.findings.need('read', 'watch');
  if (hasOption(p, '-x', '--exec')) return cx.run(inner);
  const text = joined(inner, cx, 'watch');
  if (text !== undefined) cx.env.script(text, 'watch');
};

const flock: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'wEc',
    long: ['--timeout', '--conflict-exit-code', '--command'],
    permute: true,
  });
  const script = optionValue(p, '-c', '--command');
  if (script) {
    if (!script.literal) return cx.env.findings.unknown('flock -c: the command is not a literal');
    return cx.env.script(script.text, 'flock -c');
  }
  const strict = parseOptions(args, { short: 'wE', long: ['--timeout', '--conflict-exit-code'] });
  const inner = args.slice(strict.firstOperand + 1);
  if (inner.length === 0) return cx.env.findings.need('read', 'flock');
  cx.run(inner);
};

const parallel: Handler = (args, cx) => {
  const end = args.findIndex((w) => w.text === ':::' || w.text === '::::' || w.text === ':::+');
  const p = parseOptions(end < 0 ? args : args.slice(0, end), {
    short: 'jSI',
    long: ['--jobs', '--sshlogin', '--delay', '--timeout', '--joblog', '--results'],
  });
  const template = (end < 0 ? args : args.slice(0, end)).slice(p.firstOperand);
  if (template.length === 0) return cx.env.findings.unknown('parallel reads the commands to run from its input');
  const text = joined(template, cx, 'parallel');
  if (text !== undefined) cx.env.script(text, 'parallel');
};

const scriptCommand: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'cEIOBT',
    long: ['--command', '--echo', '--log-in', '--log-out', '--log-io', '--log-timing'],
    permute: true,
  });
  const cmd = optionValue(p, '-c', '--command');
  const file = p.operands[0];
  if (file) cx.env.write(file, 'script (typescript file)');
  if (!cmd) return cx.env.findings.unknown('script without -c opens a shell that reads its input');
  if (!cmd.literal) return cx.env.findings.unknown('script -c: the command is not a literal');
  cx.env.script(cmd.text, 'script -c');
};

/** The wrapper commands, by name. */
export const WRAPPERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...['bash', 'sh', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'fish', 'rbash'].map((n): [string, Handler] => [n, shell]),
  ['eval', evalHandler],
  ['alias', alias],
  ['trap', trap],
  ['source', source],
  ['.', source],
  ['command', command],
  ['builtin', (args, cx) => (args.length ? cx.run(args) : cx.env.findings.need('read', 'builtin'))],
  ['exec', exec],
  ['sudo', sudo],
  ['doas', wrapper({ short: 'uC' })],
  ['su', su],
  ['runuser', runuser],
  ['env', env],
  ['nice', wrapper({ short: 'n', long: ['--adjustment'] })],
  ['ionice', wrapper({ short: 'cnpPu', long: ['--class', '--classdata', '--pid', '--pgid', '--uid'] })],
  ['timeout', timeout],
  ['nohup', wrapper({})],
  ['time', time],
  ['stdbuf', wrapper({ short: 'ioe', long: ['--input', '--output', '--error'] })],
  ['setsid', wrapper({})],
  ['chronic', wrapper({})],
  ['unbuffer', wrapper({})],
  ['caffeinate', wrapper({ short: 'tw' })],
  [
    'xvfb-run',
    wrapper({
      short: 'efnswp',
      long: ['--error-file', '--xauth-protocol', '--server-num', '--server-args', '--wait', '--auth-file'],
    }),
  ],
  ['busybox', (args, cx) => (args.length ? cx.run(args) : cx.env.findings.need('read', 'busybox'))],
  ['xargs', xargs],
  ['watch', watch],
  ['flock', flock],
  ['parallel', parallel],
  ['script', scriptCommand],
]);
