/** @module Everyday Unix commands: readers, searchers, writers (by target path), find, sed, awk, archives, network tools. */
import type { Cx, Handler } from './command-env.ts';
import { hasOption, optionValue, parseOptions, type OptionSpec, type ParsedArgs } from './options.ts';
import { scanCode } from './code-scan.ts';
import { sedEffect } from './sed-script.ts';
import { isExact, plainWord, type ShellWord } from './shell-words.ts';

const READERS = [
  'cat',
  'tac',
  'less',
  'more',
  'most',
  'head',
  'tail',
  'wc',
  'ls',
  'll',
  'dir',
  'vdir',
  'tree',
  'stat',
  'file',
  'du',
  'df',
  'pwd',
  'echo',
  'printf',
  'true',
  'false',
  ':',
  'test',
  '[',
  '[[',
  'which',
  'type',
  'whereis',
  'whoami',
  'id',
  'groups',
  'hostname',
  'uname',
  'date',
  'cal',
  'printenv',
  'basename',
  'dirname',
  'realpath',
  'readlink',
  'nl',
  'od',
  'hexdump',
  'strings',
  'md5sum',
  'sha1sum',
  'sha224sum',
  'sha256sum',
  'sha384sum',
  'sha512sum',
  'b2sum',
  'shasum',
  'cksum',
  'sum',
  'cmp',
  'diff',
  'diff3',
  'sdiff',
  'colordiff',
  'comm',
  'cut',
  'paste',
  'join',
  'column',
  'fold',
  'fmt',
  'expand',
  'unexpand',
  'rev',
  'tr',
  'seq',
  'yes',
  'sleep',
  'jq',
  'gojq',
  'bat',
  'batcat',
  'exa',
  'eza',
  'lsd',
  'info',
  'help',
  'apropos',
  'whatis',
  'ps',
  'pgrep',
  'pidof',
  'free',
  'uptime',
  'w',
  'who',
  'lsof',
  'locale',
  'tput',
  'clear',
  'reset',
  'set',
  'shopt',
  'unset',
  'unalias',
  'history',
  'dirs',
  'jobs',
  'wait',
  'read',
  'readarray',
  'mapfile',
  'return',
  'exit',
  'break',
  'continue',
  'shift',
  'getopts',
  'hash',
  'ulimit',
  'umask',
  'local',
  'declare',
  'typeset',
  'export',
  'readonly',
  'let',
  'expr',
  'numfmt',
  'nproc',
  'arch',
  'tty',
  'stty',
  'base64',
  'base32',
  'basenc',
  'iconv',
  'look',
  'tsort',
  'factor',
  'lscpu',
  'lsblk',
  'getconf',
  'logname',
  'users',
  'zcat',
  'zless',
  'zgrep',
  'bzcat',
  'xzcat',
  'zstdcat',
  'pr',
  'top',
  'htop',
  'vmstat',
  'iostat',
];
const SEARCHERS = ['grep', 'egrep', 'fgrep', 'ag', 'ack', 'ack-grep', 'locate', 'mlocate', 'plocate', 'fzf'];
const NET = [
  'curl',
  'wget',
  'nc',
  'ncat',
  'netcat',
  'socat',
  'telnet',
  'ftp',
  'lftp',
  'sftp',
  'ssh',
  'scp',
  'rsync',
  'mosh',
  'http',
  'https',
  'xh',
  'httpie',
  'aria2c',
  'dig',
  'nslookup',
  'host',
  'ping',
  'ping6',
  'traceroute',
  'tracepath',
  'mtr',
  'whois',
  'nmap',
  'lynx',
  'w3m',
  'links',
  'ssh-copy-id',
  'sshpass',
  'websocat',
  'grpcurl',
  'tailscale',
  'ngrok',
];

const targets = (cx: Cx, words: readonly ShellWord[], what: string, link = false): void => {
  for (const w of words) cx.env.write(w, what, { link });
  if (words.length === 0 || cx.env.trailingUnknown) cx.env.write(undefined, what, { link });
};

function writer(
  spec: OptionSpec,
  pick: (p: ParsedArgs, cx: Cx) => { readonly words: readonly ShellWord[]; readonly link?: boolean } | undefined,
): Handler {
  return (args, cx) => {
    const p = parseOptions(args, { ...spec, permute: true });
    const picked = pick(p, cx);
    if (!picked) return cx.env.findings.need('read', cx.name);
    targets(cx, picked.words, cx.name, picked.link ?? false);
  };
}

const copyLike = (moves: boolean, linkFlags: readonly string[]): Handler =>
  writer({ short: 'tS', long: ['--target-directory', '--suffix'] }, (p, cx) => {
    const dir = optionValue(p, '-t', '--target-directory');
    const link = hasOption(p, ...linkFlags);
    if (cx.env.trailingUnknown && !dir) return { words: [], link };
    const dest = dir ?? p.operands[p.operands.length - 1];
    const sources = dir ? p.operands : p.operands.slice(0, -1);
    return { words: [...(dest ? [dest] : []), ...(moves ? sources : [])], link };
  });

const chmodLike = (args: readonly ShellWord[], cx: Cx): void => {
  const flags = new Set([
    '-R',
    '-c',
    '-f',
    '-v',
    '-h',
    '-H',
    '-L',
    '-P',
    '--recursive',
    '--changes',
    '--silent',
    '--quiet',
    '--verbose',
    '--preserve-root',
    '--no-preserve-root',
    '--no-dereference',
    '--dereference',
  ]);
  const rest = args.filter(
    (w) => !flags.has(w.text) && !w.text.startsWith('--reference=') && !w.text.startsWith('--from='),
  );
  const hasRef = args.some((w) => w.text.startsWith('--reference='));
  targets(cx, hasRef ? rest : rest.slice(1), cx.name);
};

const sed: Handler = (args, cx) => {
  const p = parseOptions(args, { short: 'efl', long: ['--expression', '--file', '--line-length'], permute: true });
  const f = cx.env.findings;
  const scripts = p.options.filter((o) => o.name === '-e' || o.name === '--expression').map((o) => o.value);
  const fromFile = hasOption(p, '-f', '--file');
  const explicit = scripts.length > 0 || fromFile;
  const all = explicit ? scripts : [p.operands[0]];
  const files = explicit ? p.operands : p.operands.slice(1);
  const inPlace = p.options.some((o) => o.name === '-i' || o.name === '--in-place');
  if (fromFile || all.some((s) => !s || !s.literal)) f.need('exec', 'sed with a script that is not visible');
  for (const s of all) {
    if (!s || !s.literal) continue;
    const effect = sedEffect(s.text);
    if (effect.kind === 'exec') f.need('exec', 'sed e command');
    if (effect.kind === 'write') cx.env.write(plainWord(effect.file), 'sed w');
  }
  if (inPlace) targets(cx, files, 'sed -i');
  else f.need('read', 'sed');
};

const awk: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'Fvfi',
    long: ['--field-separator', '--assign', '--file', '--include', '--load'],
    permute: true,
  });
  const f = cx.env.findings;
  const inPlace = p.options.some((o) => (o.name === '-i' || o.name === '--include') && o.value?.text === 'inplace');
  if (hasOption(p, '-f', '--file')) f.need('exec', `${cx.name} -f (program not visible)`);
  else {
    const program = p.operands[0];
    if (!program || !program.literal) f.need('exec', `${cx.name} with a program that is not a literal`);
    else if (/system|[|>]|getline|fflush|close/.test(program.text)) {
      f.need('exec', `${cx.name} program that runs commands or writes files`);
      scanCode(program.text, cx.env, cx.name);
    }
  }
  if (inPlace) targets(cx, p.operands.slice(hasOption(p, '-f', '--file') ? 0 : 1), `${cx.name} -i inplace`);
  f.need('read', cx.name);
};

const find: Handler = (args, cx) => {
  const f = cx.env.findings;
  let i = 0;
  const starts: ShellWord[] = [];
  for (; i < args.length; i++) {
    const t = (args[i] as ShellWord).text;
    if ((t.startsWith('-') && t.length > 1) || t === '(' || t === '!' || t === ')') break;
    starts.push(args[i] as ShellWord);
  }
  if (starts.length === 0) starts.push(plainWord('.'));
  f.need('search', 'find');
  for (; i < args.length; i++) {
    const t = (args[i] as ShellWord).text;
    if (t === '-delete') targets(cx, starts, 'find -delete');
    else if (t === '-fprint' || t === '-fprint0' || t === '-fprintf' || t === '-fls')
      targets(cx, args[i + 1] ? [args[i + 1] as ShellWord] : [], `find ${t}`);
    else if (t === '-exec' || t === '-execdir' || t === '-ok' || t === '-okdir') {
      const end = args.findIndex((w, k) => k > i && (w.text === ';' || w.text === '+'));
      const inner = args.slice(i + 1, end < 0 ? args.length : end);
      const only = starts.length === 1 ? starts[0] : undefined;
      const placed = inner.map((w) =>
        w.text === '{}' && only && !t.endsWith('dir') ? only : w.text.includes('{}') ? { ...w, literal: false } : w,
      );
      if (inner.length === 0) f.unknown(`find ${t} without a command`);
      else
        cx.run(
          placed,
          cx.env.derive({
            cwdUnknown: t.endsWith('dir') || cx.env.cwdUnknown,
            stdin: { kind: 'none' },
            trailingUnknown: false,
          }),
        );
      i = end < 0 ? args.length : end;
    }
  }
};

const tar: Handler = (args, cx) => {
  const first = args[0]?.text ?? '';
  const bundled = first && !first.startsWith('-') ? `-${first}` : '';
  const words = bundled ? [{ ...(args[0] as ShellWord), text: bundled }, ...args.slice(1)] : args;
  const p = parseOptions(words, {
    short: 'fCbHTXgKLNV',
    long: [
      '--file',
      '--directory',
      '--exclude',
      '--files-from',
      '--transform',
      '--owner',
      '--group',
      '--mode',
      '--format',
      '--use-compress-program',
    ],
    permute: true,
  });
  const file = optionValue(p, '-f', '--file');
  if (hasOption(p, '-x', '--extract', '--get')) return targets(cx, [], 'tar -x');
  if (
    hasOption(p, '-c', '--create', '-r', '--append', '-u', '--update', '-A', '--catenate', '--concatenate', '--delete')
  ) {
    if (file && file.text !== '-') return targets(cx, [file], 'tar -c');
    return cx.env.findings.need('read', 'tar -c (to standard output)');
  }
  cx.env.findings.need('read', 'tar');
};

const compressor: Handler = (args, cx) => {
  const p = parseOptions(args, { short: 'S', long: ['--suffix'], permute: true });
  if (hasOption(p, '-c', '--stdout', '--to-stdout', '-l', '--list', '-t', '--test') || p.operands.length === 0)
    return cx.env.findings.need('read', cx.name);
  targets(cx, p.operands, cx.name);
};

const cd: Handler = (args, cx) => {
  const target = args.find((w) => !w.text.startsWith('-') || w.text === '-');
  cx.env.chdir(target);
  cx.env.findings.need('read', cx.name);
};

const curl: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'oOHdXuAeEKrTxwzbc',
    long: ['--output', '--header', '--data', '--request', '--user', '--config'],
    permute: true,
  });
  const out = optionValue(p, '-o', '--output');
  if (out && cx.name === 'curl') cx.env.write(out, 'curl -o');
  cx.env.findings.need('net', cx.name);
};

const editors: Handler = (args, cx) => {
  const files = args.filter((w) => !w.text.startsWith('-') && !w.text.startsWith('+'));
  targets(cx, files, cx.name);
};

const mktemp: Handler = (args, cx) => {
  const p = parseOptions(args, { short: 'p', long: ['--tmpdir', '--suffix'], permute: true });
  if (hasOption(p, '-u', '--dry-run')) return cx.env.findings.need('read', 'mktemp -u');
  const dir = optionValue(p, '-p', '--tmpdir');
  const template = p.operands[0];
  if (dir) return targets(cx, [dir], 'mktemp');
  if (template && template.text.includes('/') && !hasOption(p, '-t')) return targets(cx, [template], 'mktemp');
  targets(cx, [plainWord('/tmp/tmp.XXXXXXXXXX')], 'mktemp');
};

const outputOption =
  (short: string, long: string): Handler =>
  (args, cx) => {
    const p = parseOptions(args, {
      short: `${short}kStT`,
      long: [long, '--key', '--field-separator', '--temporary-directory', '--buffer-size'],
      permute: true,
    });
    const out = optionValue(p, `-${short}`, long);
    if (out) targets(cx, [out], `${cx.name} ${long}`);
    else cx.env.findings.need('read', cx.name);
  };

const rg: Handler = (args, cx) => {
  const p = parseOptions(args, {
    permute: true,
    short: 'efgtTAB',
    long: ['--pre', '--regexp', '--file', '--glob', '--type', '--type-not'],
  });
  if (hasOption(p, '--pre')) cx.env.findings.need('exec', 'rg --pre (runs a preprocessor)');
  cx.env.findings.need('search', 'rg');
};

const fd: Handler = (args, cx) => {
  const at = args.findIndex((w) => ['-x', '--exec', '-X', '--exec-batch'].includes(w.text));
  cx.env.findings.need('search', cx.name);
  if (at < 0) return;
  const end = args.findIndex((w, k) => k > at && w.text === ';');
  const inner = args
    .slice(at + 1, end < 0 ? args.length : end)
    .map((w) => (w.text.includes('{') ? { ...w, literal: false } : w));
  if (inner.length > 0) cx.run(inner, cx.env.derive({ trailingUnknown: true, stdin: { kind: 'none' } }));
};

const man: Handler = (args, cx) => {
  const p = parseOptions(args, { permute: true, short: 'PHM', long: ['--pager', '--html', '--manpath'] });
  cx.env.findings.need(hasOption(p, '-P', '--pager', '-H', '--html') ? 'exec' : 'read', cx.name);
};

/** The everyday Unix commands, by name. */
export const UNIX: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...READERS.map((n): [string, Handler] => [n, (_a, cx) => cx.env.findings.need('read', n)]),
  ...SEARCHERS.map((n): [string, Handler] => [n, (_a, cx) => cx.env.findings.need('search', n)]),
  ...NET.map((n): [string, Handler] => [n, curl]),
  ['rg', rg],
  ['fd', fd],
  ['fdfind', fd],
  ['man', man],
  ['tee', writer({}, (p) => (p.operands.length ? { words: p.operands } : undefined))],
  ['cp', copyLike(false, ['-l', '--link', '-s', '--symbolic-link'])],
  ['mv', copyLike(true, [])],
  [
    'install',
    writer({ short: 'tmogS', long: ['--target-directory', '--mode', '--owner', '--group', '--suffix'] }, (p) => {
      const dir = optionValue(p, '-t', '--target-directory');
      if (hasOption(p, '-d', '--directory')) return { words: p.operands };
      const dest = dir ?? p.operands[p.operands.length - 1];
      return { words: dest ? [dest] : [] };
    }),
  ],
  [
    'ln',
    writer({ short: 'tS', long: ['--target-directory', '--suffix'] }, (p) => {
      const dir = optionValue(p, '-t', '--target-directory');
      const dest = dir ?? (p.operands.length >= 2 ? p.operands[p.operands.length - 1] : plainWord('.'));
      return { words: dest ? [dest] : [], link: true };
    }),
  ],
  ...['rm', 'rmdir', 'unlink', 'shred', 'touch', 'mkdir', 'truncate', 'srm'].map((n): [string, Handler] => [
    n,
    writer(
      {
        short: 'drtmnsS',
        long: ['--date', '--reference', '--mode', '--size', '--iterations', '--random-source', '--context'],
      },
      (p) => ({ words: p.operands }),
    ),
  ]),
  ['chmod', chmodLike],
  ['chown', chmodLike],
  ['chgrp', chmodLike],
  ['setfacl', chmodLike],
  [
    'dd',
    (args, cx) => {
      const of = args.find((w) => w.text.startsWith('of='));
      if (of) targets(cx, [{ ...of, text: of.text.slice(3) }], 'dd of=');
      else cx.env.findings.need('read', 'dd');
    },
  ],
  ['sed', sed],
  ['gsed', sed],
  ...['awk', 'gawk', 'mawk', 'nawk'].map((n): [string, Handler] => [n, awk]),
  ['find', find],
  ['gfind', find],
  ['tar', tar],
  ['gtar', tar],
  ['bsdtar', tar],
  [
    'unzip',
    (args, cx) =>
      args.some((w) => ['-l', '-t', '-v', '-Z', '-z'].includes(w.text))
        ? cx.env.findings.need('read', 'unzip -l')
        : targets(cx, [], 'unzip'),
  ],
  ['zip', (args, cx) => targets(cx, parseOptions(args, { permute: true }).operands.slice(0, 1), 'zip')],
  ...[
    'gzip',
    'gunzip',
    'bzip2',
    'bunzip2',
    'xz',
    'unxz',
    'zstd',
    'unzstd',
    'lz4',
    'compress',
    'uncompress',
    'brotli',
  ].map((n): [string, Handler] => [n, compressor]),
  [
    'split',
    (args, cx) =>
      targets(cx, [parseOptions(args, { short: 'lbCnae', permute: true }).operands[1] ?? plainWord('x')], 'split'),
  ],
  [
    'csplit',
    (args, cx) =>
      targets(
        cx,
        [optionValue(parseOptions(args, { short: 'fbn', permute: true }), '-f') ?? plainWord('xx')],
        'csplit',
      ),
  ],
  ['sort', outputOption('o', '--output')],
  ['shuf', outputOption('o', '--output')],
  [
    'uniq',
    (args, cx) => {
      const p = parseOptions(args, { short: 'fsw', permute: true });
      if (p.operands[1]) targets(cx, [p.operands[1]], 'uniq');
      else cx.env.findings.need('read', 'uniq');
    },
  ],
  [
    'xxd',
    (args, cx) => {
      const p = parseOptions(args, { short: 'cglosn', permute: true });
      if (p.operands[1]) targets(cx, [p.operands[1]], 'xxd');
      else cx.env.findings.need('read', 'xxd');
    },
  ],
  [
    'patch',
    (args, cx) => {
      const p = parseOptions(args, {
        short: 'oidpBDFrVYz',
        long: ['--output', '--input', '--directory', '--strip'],
        permute: true,
      });
      if (hasOption(p, '--dry-run', '-C', '--check')) return cx.env.findings.need('read', 'patch --dry-run');
      const out = optionValue(p, '-o', '--output');
      targets(cx, out ? [out] : p.operands.slice(0, 1), 'patch');
    },
  ],
  ['mktemp', mktemp],
  ['cd', cd],
  ['pushd', cd],
  ['popd', cd],
  ...['vi', 'vim', 'nvim', 'nano', 'pico', 'emacs', 'code', 'subl', 'ed', 'ex', 'micro', 'kak', 'hx'].map(
    (n): [string, Handler] => [n, editors],
  ),
  ...[
    'kill',
    'pkill',
    'killall',
    'open',
    'xdg-open',
    'crontab',
    'at',
    'systemctl',
    'service',
    'launchctl',
    'reboot',
    'shutdown',
  ].map((n): [string, Handler] => [n, (_a, cx) => cx.env.findings.need('exec', n)]),
]);

/** True when `word` is an exact literal equal to one of `names`. */
export function isWord(word: ShellWord | undefined, ...names: readonly string[]): boolean {
  return isExact(word) && names.includes(word.text);
}
