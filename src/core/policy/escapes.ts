/**
 * @module Commands that look like reading but run code or write files through an option: `hash -p`, `mapfile -C`,
 * `printf -v PATH`, `read PATH`, `make -n` (which still runs `+` lines and `$(shell …)`), tar's checkpoint actions,
 * `zip -TT`, `sort --compress-program`, `git grep -O`, `grep --pre`, `iconv -o`, `sdiff -o`. In a phase that allows
 * only reading, each of these is code run or a file written; the wall holds there too, this says so first.
 */
import type { Handler } from './command-env.ts';
import { checkEnvAssignment } from './env-vars.ts';
import { optionValue, parseOptions } from './options.ts';
import type { ShellWord } from './shell-words.ts';

/** The value of `-x VALUE`, `-xVALUE`, `--long VALUE` or `--long=VALUE` among raw words. */
function rawOption(args: readonly ShellWord[], short: string | undefined, long: readonly string[]): ShellWord[] {
  const out: ShellWord[] = [];
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.text;
    for (const l of long) {
      if (t === l && args[i + 1]) out.push(args[i + 1]!);
      else if (t.startsWith(`${l}=`)) out.push({ ...args[i]!, text: t.slice(l.length + 1) });
    }
    if (short && t === `-${short}` && args[i + 1]) out.push(args[i + 1]!);
    else if (short && t.startsWith(`-${short}`) && t.length > 2 && !t.startsWith('--'))
      out.push({ ...args[i]!, text: t.slice(2) });
  }
  return out;
}

// A program given as an option's value: classified as a script when it is a literal, unknown otherwise.
function runs(value: ShellWord, what: string, cx: Parameters<Handler>[1]): void {
  cx.env.findings.need('exec', what);
  if (value.literal) cx.env.script(value.text, what);
  else cx.env.findings.unknown(`${what}: the program is not a literal`);
}

const hash: Handler = (args, cx) => {
  if (args.some((w) => /^-[a-z]*p/.test(w.text)))
    return cx.env.findings.need('exec', 'hash -p (binds a command name to another program)');
  cx.env.findings.need('read', 'hash');
};

const mapfile: Handler = (args, cx) => {
  const callbacks = rawOption(args, 'C', []);
  for (const c of callbacks) runs(c, `${cx.name} -C (a callback run for each line)`, cx);
  const p = parseOptions(args, { short: 'dnOstuC', permute: true });
  const name = p.operands[0]?.text ?? 'MAPFILE';
  checkEnvAssignment(name, undefined, cx.env, cx.name);
  cx.env.findings.need('read', cx.name);
};

const printf: Handler = (args, cx) => {
  for (const v of rawOption(args, 'v', [])) checkEnvAssignment(v.text, undefined, cx.env, 'printf -v');
  cx.env.findings.need('read', 'printf');
};

const read: Handler = (args, cx) => {
  const p = parseOptions(args, { short: 'adinNptu', permute: true });
  const arr = optionValue(p, '-a');
  for (const v of [...p.operands, ...(arr ? [arr] : [])]) checkEnvAssignment(v.text, undefined, cx.env, 'read');
  cx.env.findings.need('read', 'read');
};

const TAR_PROGRAMS = [
  '--checkpoint-action',
  '--to-command',
  '--use-compress-program',
  '--info-script',
  '--new-volume-script',
  '--rsh-command',
];

const tarEscapes =
  (inner: Handler | undefined): Handler =>
  (args, cx) => {
    for (const v of rawOption(args, 'I', TAR_PROGRAMS)) {
      const text = v.text.replace(/^exec=/, '');
      if (v.text.startsWith('exec=') || !/^(echo|dot|bell|ttyout|sleep|totals|wait)(=|$)/.test(v.text))
        runs(
          { ...v, text },
          `${cx.name} ${v.text.startsWith('exec=') ? '--checkpoint-action=exec' : 'program option'}`,
          cx,
        );
    }
    for (const v of rawOption(args, 'F', [])) runs(v, `${cx.name} -F (a volume script)`, cx);
    inner?.(args, cx);
  };

const zipEscapes =
  (inner: Handler | undefined): Handler =>
  (args, cx) => {
    for (const v of rawOption(args, undefined, ['-TT', '--unzip-command'])) runs(v, 'zip -TT (a test command)', cx);
    inner?.(args, cx);
  };

const sortEscapes =
  (inner: Handler | undefined): Handler =>
  (args, cx) => {
    if (rawOption(args, undefined, ['--compress-program']).length > 0)
      cx.env.findings.need('exec', 'sort --compress-program (runs a program)');
    inner?.(args, cx);
  };

const grepEscapes =
  (inner: Handler | undefined): Handler =>
  (args, cx) => {
    if (rawOption(args, undefined, ['--pre']).length > 0)
      cx.env.findings.need('exec', `${cx.name} --pre (runs a program)`);
    inner?.(args, cx);
  };

const makeEscapes =
  (inner: Handler | undefined): Handler =>
  (args, cx) => {
    // `make -n` still runs recipe lines marked `+` or naming $(MAKE), and every $(shell …) of the makefile.
    if (args.some((w) => /^-[a-zA-Z]*n/.test(w.text) || ['--dry-run', '--just-print', '--recon'].includes(w.text)))
      cx.env.findings.need('exec', `${cx.name} -n (still runs + lines and $(shell …))`);
    inner?.(args, cx);
  };

const outputFile =
  (short: string, long: string, inner: Handler | undefined): Handler =>
  (args, cx) => {
    for (const v of rawOption(args, short, [long])) cx.env.write(v, `${cx.name} -${short}`);
    inner?.(args, cx);
  };

/** Handlers that wrap the existing ones (given by name) with the escapes above; laid over the others. */
export function escapeHandlers(base: ReadonlyMap<string, Handler>): [string, Handler][] {
  return [
    ['hash', hash],
    ['mapfile', mapfile],
    ['readarray', mapfile],
    ['printf', printf],
    ['read', read],
    ...['tar', 'gtar', 'bsdtar'].map((n): [string, Handler] => [n, tarEscapes(base.get(n))]),
    ['zip', zipEscapes(base.get('zip'))],
    ['sort', sortEscapes(base.get('sort'))],
    ...['grep', 'egrep', 'fgrep'].map((n): [string, Handler] => [n, grepEscapes(base.get(n))]),
    ...['make', 'gmake', 'bmake', 'mingw32-make'].map((n): [string, Handler] => [n, makeEscapes(base.get(n))]),
    ['iconv', outputFile('o', '--output', base.get('iconv') ?? ((_a, cx) => cx.env.findings.need('read', 'iconv')))],
    ['sdiff', outputFile('o', '--output', base.get('sdiff') ?? ((_a, cx) => cx.env.findings.need('read', 'sdiff')))],
  ];
}

/**
 * Shell features that run code from a value: `${x@P}` (prompt expansion runs the command substitutions in x),
 * namerefs (`declare -n r=PATH`), and arithmetic on values the command does not set (bash evaluates `a[$(cmd)]` in a
 * variable's value when the variable is used in `(( ))`, `$(( ))`, `let` or `[[ -eq ]]`).
 */
export function shellEscapes(source: string, literalVars: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  if (/\$\{[^}]*@P\}/.test(source)) out.push('${…@P} prompt expansion runs the command substitutions in the value');
  if (/(^|[\s;&|(])(declare|typeset|local|export|readonly)\s+(-[a-zA-Z]*\s+)*-[a-zA-Z]*n/.test(source))
    out.push('a nameref (declare -n) assigns whatever variable it names, PATH among them');
  const spans: string[] = [];
  for (let i = source.indexOf('(('); i >= 0; i = source.indexOf('((', i + 2)) {
    let depth = 0;
    let end = i;
    for (; end < source.length; end++) {
      if (source[end] === '(') depth++;
      else if (source[end] === ')' && --depth === 0) break;
    }
    spans.push(source.slice(i + 2, end - 1));
  }
  for (const m of source.matchAll(/(^|[\s;&|])let\s+([^;&|\n]+)/g)) spans.push(m[2]!);
  for (const m of source.matchAll(/\[\[([^\]]*-(eq|ne|lt|le|gt|ge)[^\]]*)\]\]/g)) spans.push(m[1]!);
  for (const span of spans) {
    const assigned = new Set(
      [...span.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=|\+\+|--|\+=|-=)(?!=)/g)].map((m) => m[1]!),
    );
    const names = [...span.matchAll(/\$?\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
    const unknown = names.filter(
      (n) => !assigned.has(n) && !/^-?\d+$/.test(literalVars.get(n) ?? '') && !/^(eq|ne|lt|le|gt|ge)$/.test(n),
    );
    if (unknown.length > 0) {
      out.push(`arithmetic on ${unknown[0]}, a value the command does not set (bash runs $(…) found in it)`);
      break;
    }
  }
  return out;
}
