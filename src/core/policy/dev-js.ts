/** @module JavaScript tooling: npm, pnpm, yarn, bun, npx, node, deno, test runners, linters and formatters. */
import type { Cx, Handler } from './command-env.ts';
import { hasOption, optionValue, parseOptions } from './options.ts';
import { isExact, plainWord, type ShellWord } from './shell-words.ts';
import { scanCode } from './code-scan.ts';
import { runTasks } from './task-names.ts';
import { scriptFile } from './wrappers.ts';

const NET_SUBCOMMANDS = new Set([
  'install',
  'i',
  'in',
  'ins',
  'inst',
  'insta',
  'instal',
  'isnt',
  'isnta',
  'isntal',
  'isntall',
  'ci',
  'clean-install',
  'ic',
  'install-clean',
  'isntall-clean',
  'install-test',
  'it',
  'install-ci-test',
  'cit',
  'add',
  'update',
  'up',
  'upgrade',
  'udpate',
  'audit',
  'outdated',
  'view',
  'v',
  'info',
  'show',
  'search',
  's',
  'se',
  'find',
  'login',
  'adduser',
  'add-user',
  'logout',
  'whoami',
  'ping',
  'dist-tag',
  'dist-tags',
  'owner',
  'team',
  'access',
  'token',
  'fund',
  'doctor',
  'create',
  'init',
  'innit',
  'publish',
  'unpublish',
  'deprecate',
  'undeprecate',
  'star',
  'unstar',
  'stars',
  'repo',
  'docs',
  'home',
  'bugs',
  'issues',
  'sbom',
  'hook',
  'org',
  'profile',
  'import',
  'fetch',
  'dedupe',
  'ddp',
  'upgrade-interactive',
  'dlx-install',
]);
const READ_SUBCOMMANDS = new Set([
  'ls',
  'list',
  'll',
  'la',
  'root',
  'prefix',
  'bin',
  'help',
  'why',
  'explain',
  'query',
  'get',
  'help-search',
  'completion',
  'outdated-local',
  'licenses',
  '-v',
  '--version',
  '-h',
  '--help',
  'env',
  'store-path',
]);
const WRITE_SUBCOMMANDS = new Set(['uninstall', 'unlink', 'remove', 'rm', 'r', 'un', 'pkg', 'set-script']);
const EXEC_SUBCOMMANDS = new Set([
  'start',
  'restart',
  'stop',
  'build',
  'rebuild',
  'rb',
  'prune',
  'pack',
  'link',
  'ln',
  'dev',
  'serve',
  'preview',
  'watch',
  'patch',
  'patch-commit',
]);

function runScript(args: readonly ShellWord[], cx: Cx, what: string): void {
  const p = parseOptions(args, { short: 'wC', long: ['--workspace', '--filter', '--prefix', '--dir', '--cwd'] });
  const name = args[p.firstOperand];
  if (!name) return cx.env.findings.need('read', `${what} (lists scripts)`);
  if (!isExact(name)) return cx.env.findings.unknown(`${what} ${name.text}: the script name is not a literal`);
  const rewrites = args
    .slice(p.firstOperand + 1)
    .some((w) => /^--?(fix|write|w|u|update|updateSnapshot|update-snapshots)(=|$)/.test(w.text));
  if (rewrites) return cx.env.findings.need('exec', `${what} ${name.text} (with a flag that rewrites files)`);
  runTasks([name.text], cx, what);
}

/** `npx`, `pnpx`, `bunx`, `npm exec`, `pnpm dlx`, `yarn dlx`, `uvx`: run the named package's binary. */
export const npxLike: Handler = (args, cx) => {
  const p = parseOptions(args, { short: 'pc', long: ['--package', '--call', '--from', '--with', '--python'] });
  const call = optionValue(p, '-c', '--call');
  if (call) {
    if (!call.literal) return cx.env.findings.unknown(`${cx.name} -c: the command is not a literal`);
    return cx.env.script(call.text, `${cx.name} -c`);
  }
  const inner = args.slice(p.firstOperand);
  const head = inner[0];
  if (!head) return cx.env.findings.need('read', cx.name);
  const at = head.text.lastIndexOf('@');
  const name = at > 0 ? head.text.slice(0, at) : head.text;
  cx.run([{ ...head, text: PACKAGE_BINS[name] ?? name }, ...inner.slice(1)]);
};

// Packages whose binary is named otherwise: `npx agent-autopilot advance` runs Autopilot's `autopilot`.
const PACKAGE_BINS: Readonly<Record<string, string>> = { 'agent-autopilot': 'autopilot' };

// npm, pnpm, yarn, bun and cnpm.
const packageManager: Handler = (args, cx) => {
  const f = cx.env.findings;
  const p = parseOptions(args, {
    short: 'wCF',
    long: [
      '--prefix',
      '--workspace',
      '--dir',
      '--filter',
      '--cwd',
      '--registry',
      '--loglevel',
      '--userconfig',
      '--cache',
    ],
  });
  const subWord = args[p.firstOperand];
  const rest = args.slice(p.firstOperand + 1);
  const tool = cx.name;
  if (!subWord) {
    if (tool === 'yarn') return f.need('net', 'yarn (install)');
    return f.need('read', tool);
  }
  if (!isExact(subWord)) return f.unknown(`${tool} ${subWord.text}: the subcommand is not a literal`);
  const sub = subWord.text;
  const what = `${tool} ${sub}`;
  if (sub === 'test' || sub === 't' || sub === 'tst') return f.need('exec:test', what);
  if (sub === 'run' || sub === 'run-script' || sub === 'rum' || sub === 'urn') return runScript(rest, cx, what);
  if (sub === 'exec' || sub === 'x' || sub === 'dlx') return npxLike(rest, cx);
  if (tool === 'bun' && (sub === 'build' || sub === 'x')) return sub === 'x' ? npxLike(rest, cx) : f.need('exec', what);
  if (sub === 'version' || sub === 'bump') {
    if (rest.length === 0 || tool === 'yarn') return f.need('read', what);
    f.need('vcs:commit', what);
    return f.need('write:source', what);
  }
  if (sub === 'config')
    return f.need(
      rest[0]?.text === 'get' || rest[0]?.text === 'list' || rest[0]?.text === 'ls' ? 'read' : 'exec',
      what,
    );
  if (sub === 'pkg' && rest[0]?.text === 'get') return f.need('read', `${what} get`);
  if (NET_SUBCOMMANDS.has(sub)) return f.need('net', what);
  if (READ_SUBCOMMANDS.has(sub)) return f.need('read', what);
  if (WRITE_SUBCOMMANDS.has(sub)) return cx.env.write(plainWord('package.json'), what);
  if (EXEC_SUBCOMMANDS.has(sub)) return f.need('exec', what);
  if (tool === 'bun' && /\.[cm]?[jt]sx?$/.test(sub)) return scriptFile(subWord, cx);
  if (tool === 'npm' || tool === 'cnpm') return f.need('exec', what);
  runTasks([sub], cx, `${tool} run`);
};

const testRunner: Handler = (args, cx) => {
  const first = args[0]?.text;
  if (cx.name === 'playwright' && first !== 'test')
    return cx.env.findings.need(
      first === 'install' ? 'net' : first === 'show-report' ? 'read' : 'exec',
      `playwright ${first ?? ''}`.trim(),
    );
  if (cx.name === 'cypress' && first !== 'run')
    return cx.env.findings.need(first === 'install' ? 'net' : 'exec', `cypress ${first ?? ''}`.trim());
  if (cx.name === 'jest' && hasOption(parseOptions(args, { permute: true }), '-u', '--updateSnapshot'))
    return cx.env.findings.need('exec', 'jest -u (updates snapshots)');
  cx.env.findings.need('exec:test', cx.name);
};

// A checker that becomes a writer with one of `fixFlags` (or without one of `checkFlags`, for formatters).
function checker(options: {
  readonly fix?: readonly string[];
  readonly check?: readonly string[];
  readonly output?: readonly string[];
}): Handler {
  return (args, cx) => {
    const p = parseOptions(args, {
      short: 'o',
      long: ['--output-file', '--config', '-c', '--ext', '--format'],
      permute: true,
    });
    const out = options.output ? optionValue(p, ...options.output) : undefined;
    if (out) cx.env.write(out, `${cx.name} ${options.output?.[0] ?? ''}`);
    const fixing = options.fix ? hasOption(p, ...options.fix) : options.check ? !hasOption(p, ...options.check) : false;
    if (fixing) {
      const files = p.operands.filter((w) => !/^(check|lint|format|ci|run)$/.test(w.text));
      for (const w of files.length ? files : [plainWord('.')]) cx.env.write(w, `${cx.name} (rewrites files)`);
      return;
    }
    cx.env.findings.need('exec:test', cx.name);
  };
}

const biome: Handler = (args, cx) => {
  const sub = args[0]?.text;
  const p = parseOptions(args, { permute: true });
  if (
    hasOption(p, '--write', '--apply', '--apply-unsafe', '--fix', '--unsafe') ||
    (sub === 'format' && !hasOption(p, '--check'))
  ) {
    return cx.env.write(plainWord('.'), `biome ${sub ?? ''} (rewrites files)`);
  }
  cx.env.findings.need('exec:test', `biome ${sub ?? ''}`.trim());
};

const tsc: Handler = (args, cx) => {
  const p = parseOptions(args, { short: 'p', long: ['--project'], permute: true });
  if (hasOption(p, '-v', '--version', '-h', '--help')) return cx.env.findings.need('read', 'tsc --version');
  cx.env.findings.need(
    hasOption(p, '--noEmit') ? 'exec:test' : 'exec',
    hasOption(p, '--noEmit') ? 'tsc --noEmit' : 'tsc (emits files)',
  );
};

const node: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'erpC',
    long: [
      '--eval',
      '--print',
      '--require',
      '--import',
      '--loader',
      '--experimental-loader',
      '--env-file',
      '--conditions',
      '--input-type',
      '--test-reporter',
      '--test-reporter-destination',
      '--test-name-pattern',
      '--test-concurrency',
    ],
  });
  if (hasOption(p, '--test')) return cx.env.findings.need('exec:test', `${cx.name} --test`);
  const code = p.options.find((o) => ['-e', '--eval', '-p', '--print'].includes(o.name));
  if (code) {
    cx.env.findings.need('exec', `${cx.name} -e`);
    if (code.value?.literal) scanCode(code.value.text, cx.env, `${cx.name} -e`);
    return;
  }
  if (hasOption(p, '-v', '--version', '-h', '--help')) return cx.env.findings.need('read', `${cx.name} --version`);
  const script = args[p.firstOperand];
  if (!script) return cx.env.findings.unknown(`${cx.name} without a script reads the program from its input`);
  // Autopilot's own command line run through node (bin/autopilot.js, node_modules/.bin/autopilot, the dev entry).
  if (script.literal && /(^|\/)(autopilot(\.js)?|autopilot-dev\.js)$|\/agent-autopilot\//.test(script.text))
    return cx.run([plainWord('autopilot'), ...args.slice(p.firstOperand + 1)]);
  scriptFile(script, cx);
};

const deno: Handler = (args, cx) => {
  const sub = args[0]?.text ?? '';
  const p = parseOptions(args, { permute: true });
  if (sub === 'test' || sub === 'lint' || sub === 'check' || sub === 'bench')
    return cx.env.findings.need('exec:test', `deno ${sub}`);
  if (sub === 'fmt')
    return hasOption(p, '--check')
      ? cx.env.findings.need('exec:test', 'deno fmt --check')
      : cx.env.write(plainWord('.'), 'deno fmt');
  if (sub === 'install' || sub === 'cache' || sub === 'upgrade' || sub === 'add' || sub === 'publish')
    return cx.env.findings.need('net', `deno ${sub}`);
  if (sub === 'task')
    return runTasks(
      p.operands
        .slice(1)
        .map((w) => w.text)
        .slice(0, 1),
      cx,
      'deno task',
    );
  cx.env.findings.need(sub === '--version' || sub === 'info' || sub === 'doc' ? 'read' : 'exec', `deno ${sub}`.trim());
};

const tsxLike: Handler = (args, cx) => {
  const p = parseOptions(args, { long: ['--tsconfig', '--import', '--require'] });
  if (hasOption(p, '--test')) return cx.env.findings.need('exec:test', `${cx.name} --test`);
  const script = args[p.firstOperand];
  if (!script) return cx.env.findings.need('exec', cx.name);
  scriptFile(script, cx);
};

const monorepo: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 't',
    long: ['--target', '--targets', '--filter', '--scope', '--projects', '-p'],
    permute: true,
  });
  const names = [
    ...p.operands.map((w) => w.text).filter((t) => !['run', 'run-many', 'affected', 'exec'].includes(t)),
    ...p.options
      .filter((o) => ['-t', '--target', '--targets'].includes(o.name))
      .flatMap((o) => (o.value?.text ?? '').split(',')),
  ].map((t) => t.slice(t.lastIndexOf(':') + 1));
  runTasks(
    names.filter((n) => n !== ''),
    cx,
    cx.name,
  );
};

/** The JavaScript tools, by name. */
export const DEV_JS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...['npm', 'pnpm', 'yarn', 'bun', 'cnpm'].map((n): [string, Handler] => [n, packageManager]),
  ...['npx', 'pnpx', 'bunx'].map((n): [string, Handler] => [n, npxLike]),
  ...[
    'vitest',
    'jest',
    'mocha',
    'ava',
    'tap',
    'tape',
    'jasmine',
    'karma',
    'uvu',
    'playwright',
    'cypress',
    'wdio',
    'qunit',
    'web-test-runner',
    'wtr',
  ].map((n): [string, Handler] => [n, testRunner]),
  ...['c8', 'nyc'].map((n): [string, Handler] => [
    n,
    (args, cx) => {
      const p = parseOptions(args, {
        short: 'r',
        long: ['--reporter', '--report-dir', '--temp-directory', '--include', '--exclude'],
      });
      const inner = args.slice(p.firstOperand);
      if (inner.length === 0 || ['report', 'check-coverage'].includes(inner[0]?.text ?? ''))
        return cx.env.findings.need('exec:test', n);
      cx.run(inner);
    },
  ]),
  ['eslint', checker({ fix: ['--fix'], output: ['-o', '--output-file'] })],
  ['prettier', checker({ fix: ['--write', '-w'] })],
  ['stylelint', checker({ fix: ['--fix'], output: ['-o', '--output-file'] })],
  ['markdownlint', checker({ fix: ['--fix'] })],
  ['markdownlint-cli2', checker({ fix: ['--fix'] })],
  ...[
    'knip',
    'depcheck',
    'publint',
    'cspell',
    'vue-tsc',
    'svelte-check',
    'oxlint',
    'standard',
    'xo',
    'tslint',
    'jshint',
    'lint-staged',
  ].map((n): [string, Handler] => [n, checker({ fix: ['--fix'] })]),
  ['biome', biome],
  ['tsc', tsc],
  ['node', node],
  ['nodejs', node],
  ['deno', deno],
  ...['tsx', 'ts-node', 'esno', 'esr', 'babel-node', 'vite-node', 'jiti'].map((n): [string, Handler] => [n, tsxLike]),
  ...['nx', 'turbo', 'lerna', 'rush', 'moon', 'wireit'].map((n): [string, Handler] => [n, monorepo]),
]);
