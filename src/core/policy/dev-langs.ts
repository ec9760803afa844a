/** @module Tooling of other languages: Python, Go, Rust, JVM, .NET, Ruby, PHP and the make family. */
import type { Capability } from './capabilities.ts';
import type { Handler } from './command-env.ts';
import { hasOption, parseOptions, type OptionSpec } from './options.ts';
import { isExact, plainWord } from './shell-words.ts';
import { scanCode } from './code-scan.ts';
import { runTasks } from './task-names.ts';
import { npxLike } from './dev-js.ts';
import { scriptFile } from './wrappers.ts';

const fixed =
  (cap: Capability): Handler =>
  (_args, cx) =>
    cx.env.findings.need(cap, cx.name);

// A tool whose first operand is a subcommand looked up in `table`; `run` subcommands run the rest.
function subcommands(
  table: Readonly<Record<string, Capability | 'run' | 'write' | 'npx'>>,
  other: Capability,
  spec: OptionSpec = {},
): Handler {
  return (args, cx) => {
    const p = parseOptions(args, spec);
    const subWord = args[p.firstOperand];
    if (!subWord) return cx.env.findings.need('read', cx.name);
    if (!isExact(subWord))
      return cx.env.findings.unknown(`${cx.name} ${subWord.text}: the subcommand is not a literal`);
    const rest = args.slice(p.firstOperand + 1);
    const entry = table[subWord.text] ?? other;
    const what = `${cx.name} ${subWord.text}`;
    if (entry === 'run') {
      const inner = parseOptions(rest, {
        long: [
          '--with',
          '--python',
          '--project',
          '--directory',
          '--env-file',
          '--group',
          '--extra',
          '--package',
          '-e',
          '--environment',
        ],
      });
      const cmd = rest.slice(inner.firstOperand);
      return cmd.length ? cx.run(cmd) : cx.env.findings.need('exec', what);
    }
    if (entry === 'npx') return npxLike(rest, cx);
    if (entry === 'write') return cx.env.write(plainWord('.'), what);
    cx.env.findings.need(entry, what);
  };
}

const python: Handler = (args, cx) => {
  const p = parseOptions(args, { short: 'mcXWQ', long: ['--check-hash-based-pycs'] });
  const f = cx.env.findings;
  const mod = p.options.find((o) => o.name === '-m')?.value;
  if (mod) {
    if (!isExact(mod)) return f.unknown(`${cx.name} -m ${mod.text}: the module is not a literal`);
    const rest = args.slice(args.indexOf(mod) + 1);
    return cx.run([mod, ...rest]);
  }
  const code = p.options.find((o) => o.name === '-c')?.value;
  if (code) {
    f.need('exec', `${cx.name} -c`);
    if (code.literal) scanCode(code.text, cx.env, `${cx.name} -c`);
    return;
  }
  if (hasOption(p, '-V', '--version', '-h', '--help')) return f.need('read', `${cx.name} --version`);
  const script = args[p.firstOperand];
  if (!script) return f.unknown(`${cx.name} without a script reads the program from its input`);
  if (/(^|\/)manage\.py$/.test(script.text) && args[p.firstOperand + 1]?.text === 'test')
    return f.need('exec:test', 'manage.py test');
  scriptFile(script, cx);
};

const pip = subcommands(
  {
    install: 'net',
    download: 'net',
    wheel: 'net',
    index: 'net',
    search: 'net',
    list: 'read',
    show: 'read',
    freeze: 'read',
    check: 'read',
    help: 'read',
    inspect: 'read',
    config: 'read',
    debug: 'read',
    cache: 'read',
    uninstall: 'exec',
  },
  'exec',
);

const pyChecker =
  (checkFlags: readonly string[]): Handler =>
  (args, cx) => {
    const p = parseOptions(args, {
      short: 'l',
      long: ['--config', '--line-length', '--target-version'],
      permute: true,
    });
    if (hasOption(p, ...checkFlags) || hasOption(p, '--version', '-h', '--help'))
      return cx.env.findings.need('exec:test', `${cx.name} --check`);
    for (const w of p.operands.length ? p.operands : [plainWord('.')]) cx.env.write(w, `${cx.name} (rewrites files)`);
  };

const ruff: Handler = (args, cx) => {
  const sub = args[0]?.text;
  const p = parseOptions(args, { permute: true });
  if (sub === 'format') return pyChecker(['--check', '--diff'])(args.slice(1), cx);
  if (hasOption(p, '--fix', '--unsafe-fixes', '--add-noqa')) return cx.env.write(plainWord('.'), 'ruff --fix');
  cx.env.findings.need('exec:test', `ruff ${sub ?? ''}`.trim());
};

const go: Handler = (args, cx) => {
  const sub = args[0]?.text ?? '';
  const second = args[1]?.text ?? '';
  const f = cx.env.findings;
  const what = `go ${sub}`.trim();
  if (sub === 'test' || sub === 'vet') return f.need('exec:test', what);
  if (sub === 'fmt' || sub === 'fix') return cx.env.write(plainWord('.'), what);
  if (
    sub === 'get' ||
    sub === 'install' ||
    (sub === 'mod' && ['download', 'tidy', 'vendor'].includes(second)) ||
    (sub === 'work' && second === 'sync')
  )
    return f.need('net', `${what} ${second}`.trim());
  if (['env', 'version', 'list', 'doc', 'help', 'mod'].includes(sub) || sub === '') return f.need('read', what);
  f.need('exec', what);
};

const gofmt: Handler = (args, cx) => {
  const p = parseOptions(args, { permute: true });
  if (hasOption(p, '-w')) return p.operands.forEach((w) => cx.env.write(w, `${cx.name} -w`));
  cx.env.findings.need('read', cx.name);
};

const cargo: Handler = (args, cx) => {
  const p = parseOptions(args, { short: 'Z', long: ['--config', '--manifest-path', '--color'] });
  const sub = args[p.firstOperand]?.text ?? '';
  const rest = parseOptions(args.slice(p.firstOperand + 1), { permute: true });
  const f = cx.env.findings;
  const what = `cargo ${sub}`.trim();
  if (['test', 't', 'nextest', 'check', 'c', 'miri'].includes(sub)) return f.need('exec:test', what);
  if (sub === 'clippy')
    return hasOption(rest, '--fix') ? cx.env.write(plainWord('.'), 'cargo clippy --fix') : f.need('exec:test', what);
  if (sub === 'fmt')
    return hasOption(rest, '--check') ? f.need('exec:test', 'cargo fmt --check') : cx.env.write(plainWord('.'), what);
  if (sub === 'fix') return cx.env.write(plainWord('.'), what);
  if (
    [
      'install',
      'fetch',
      'add',
      'update',
      'publish',
      'search',
      'login',
      'owner',
      'yank',
      'generate-lockfile',
      'vendor',
    ].includes(sub)
  )
    return f.need('net', what);
  if (
    ['tree', 'metadata', 'locate-project', 'version', 'help', 'pkgid', 'verify-project', 'read-manifest', ''].includes(
      sub,
    )
  )
    return f.need('read', what);
  f.need('exec', what);
};

const MAVEN_TEST_GOALS = new Set([
  'clean',
  'validate',
  'compile',
  'test-compile',
  'test',
  'verify',
  'integration-test',
  'surefire:test',
  'failsafe:integration-test',
  'failsafe:verify',
  'jacoco:report',
  'checkstyle:check',
  'spotbugs:check',
  'pmd:check',
  'spotless:check',
]);

const maven: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'fsPTlbDe',
    long: [
      '--file',
      '--settings',
      '--projects',
      '--activate-profiles',
      '--threads',
      '--log-file',
      '--resume-from',
      '-pl',
      '-rf',
      '-gs',
    ],
    permute: true,
  });
  const goals = p.operands.map((w) => w.text);
  const f = cx.env.findings;
  if (goals.some((g) => g === 'deploy' || g.startsWith('release:') || g.includes('deploy')))
    return f.need('deploy', `${cx.name} deploy`);
  if (goals.length > 0 && goals.every((g) => MAVEN_TEST_GOALS.has(g)))
    return f.need('exec:test', `${cx.name} ${goals.join(' ')}`);
  f.need('exec', `${cx.name} ${goals.join(' ')}`.trim());
};

const gradle: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'pxPDc',
    long: [
      '--project-dir',
      '--exclude-task',
      '--tests',
      '--build-file',
      '--settings-file',
      '--init-script',
      '--console',
    ],
    permute: true,
  });
  const tasks = p.operands.map((w) => w.text.slice(w.text.lastIndexOf(':') + 1));
  const f = cx.env.findings;
  if (tasks.some((t) => /publish|deploy|release/i.test(t))) return f.need('deploy', `${cx.name} ${tasks.join(' ')}`);
  if (
    tasks.length > 0 &&
    tasks.every((t) =>
      /^(clean|test|check|lint|jacocoTestReport|connectedCheck|detekt|ktlintCheck|spotlessCheck)$|Test$|Check$/.test(t),
    )
  )
    return f.need('exec:test', `${cx.name} ${tasks.join(' ')}`);
  f.need('exec', `${cx.name} ${tasks.join(' ')}`.trim());
};

const make: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'CfjloWIE',
    long: [
      '--directory',
      '--file',
      '--makefile',
      '--jobs',
      '--load-average',
      '--old-file',
      '--what-if',
      '--include-dir',
      '--eval',
    ],
    permute: true,
  });
  if (
    hasOption(
      p,
      '-n',
      '--dry-run',
      '--just-print',
      '--recon',
      '-q',
      '--question',
      '-p',
      '--print-data-base',
      '-v',
      '--version',
      '-h',
      '--help',
    )
  )
    return cx.env.findings.need('read', `${cx.name} -n`);
  runTasks(
    p.operands.filter((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text)).map((w) => w.text),
    cx,
    cx.name,
  );
};

const taskRunner: Handler = (args, cx) => {
  const p = parseOptions(args, {
    short: 'fdt',
    long: ['--justfile', '--working-directory', '--taskfile', '--dir'],
    permute: true,
  });
  if (hasOption(p, '-l', '--list', '--summary', '--dry-run', '-n', '--help', '-h', '--version', '-T', '--tasks'))
    return cx.env.findings.need('read', `${cx.name} --list`);
  runTasks(
    p.operands.filter((w) => !w.text.includes('=')).map((w) => w.text.replace(/\[.*$/, '')),
    cx,
    cx.name,
  );
};

const bundle: Handler = (args, cx) => {
  const sub = args[0]?.text ?? '';
  if (sub === 'exec' || sub === 'ex')
    return args.length > 1 ? cx.run(args.slice(1)) : cx.env.findings.need('read', 'bundle exec');
  if (['install', 'update', 'add', 'outdated', 'lock', 'package', 'cache', 'i', ''].includes(sub))
    return cx.env.findings.need('net', `bundle ${sub}`.trim());
  cx.env.findings.need(
    ['list', 'show', 'info', 'check', 'config', 'version', 'help', 'platform'].includes(sub) ? 'read' : 'exec',
    `bundle ${sub}`,
  );
};

const composer: Handler = (args, cx) => {
  const sub = args[0]?.text ?? '';
  if (
    [
      'install',
      'require',
      'update',
      'upgrade',
      'create-project',
      'remove',
      'outdated',
      'audit',
      'global',
      'self-update',
      'i',
      'u',
    ].includes(sub)
  )
    return cx.env.findings.need('net', `composer ${sub}`);
  if (sub === 'run-script' || sub === 'run')
    return runTasks(
      args.slice(1, 2).map((w) => w.text),
      cx,
      `composer ${sub}`,
    );
  if (
    [
      'show',
      'info',
      'list',
      'validate',
      'diagnose',
      'licenses',
      'depends',
      'why',
      'why-not',
      'config',
      'about',
      'help',
      '--version',
      '',
    ].includes(sub)
  )
    return cx.env.findings.need('read', `composer ${sub}`.trim());
  runTasks([sub], cx, 'composer');
};

const simpleTest =
  (testSubs: readonly string[], netSubs: readonly string[]): Handler =>
  (args, cx) => {
    const sub = args.find((w) => !w.text.startsWith('-'))?.text ?? '';
    const f = cx.env.findings;
    const what = `${cx.name} ${sub}`.trim();
    if (testSubs.includes(sub)) return f.need('exec:test', what);
    if (netSubs.includes(sub)) return f.need('net', what);
    f.need(sub === '' || sub === 'help' || sub === 'version' || sub === '--version' ? 'read' : 'exec', what);
  };

// perl -e, ruby -e, php -r, lua -e, osascript -e: exec, and the command lines in their strings.
const inlineInterpreter =
  (flags: string): Handler =>
  (args, cx) => {
    const p = parseOptions(args, { short: flags, permute: true });
    const code = p.options.filter((o) => flags.includes(o.name.slice(1)) && o.value).map((o) => o.value);
    const inPlace = p.options.some((o) => o.name === '-i');
    if (inPlace) for (const w of p.operands) cx.env.write(w, `${cx.name} -i`);
    if (code.length === 0) {
      const script = p.operands[0];
      return script
        ? scriptFile(script, cx)
        : cx.env.findings.unknown(`${cx.name} without a script reads the program from its input`);
    }
    cx.env.findings.need('exec', `${cx.name} -e`);
    for (const c of code) if (c?.literal) scanCode(c.text, cx.env, `${cx.name} -e`);
  };

/** The other languages' tools, by name. */
export const DEV_LANGS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...['python', 'python2', 'python3', 'py', 'pypy', 'pypy3'].map((n): [string, Handler] => [n, python]),
  ...['pip', 'pip2', 'pip3'].map((n): [string, Handler] => [n, pip]),
  [
    'pipx',
    subcommands({ run: 'npx', install: 'net', upgrade: 'net', inject: 'net', list: 'read', uninstall: 'exec' }, 'exec'),
  ],
  [
    'uv',
    subcommands(
      {
        run: 'run',
        pip: 'net',
        add: 'net',
        remove: 'net',
        sync: 'net',
        lock: 'net',
        tool: 'net',
        python: 'net',
        publish: 'net',
        tree: 'read',
        version: 'read',
        help: 'read',
        venv: 'exec',
        build: 'exec',
        init: 'write',
        export: 'read',
        format: 'write',
      },
      'exec',
      { long: ['--directory', '--project', '--python', '--cache-dir', '--config-file'] },
    ),
  ],
  ['uvx', npxLike],
  [
    'poetry',
    subcommands(
      {
        run: 'run',
        install: 'net',
        add: 'net',
        update: 'net',
        lock: 'net',
        publish: 'net',
        self: 'net',
        remove: 'net',
        check: 'read',
        show: 'read',
        version: 'read',
        env: 'read',
        build: 'exec',
        shell: 'exec',
        new: 'write',
        init: 'write',
      },
      'exec',
      { short: 'CP', long: ['--directory', '--project'] },
    ),
  ],
  [
    'pipenv',
    subcommands(
      {
        run: 'run',
        install: 'net',
        update: 'net',
        sync: 'net',
        lock: 'net',
        uninstall: 'exec',
        graph: 'read',
        check: 'net',
        shell: 'exec',
        '--venv': 'read',
        '--where': 'read',
      },
      'exec',
    ),
  ],
  [
    'pdm',
    subcommands(
      {
        run: 'run',
        install: 'net',
        add: 'net',
        update: 'net',
        sync: 'net',
        lock: 'net',
        publish: 'net',
        remove: 'net',
        list: 'read',
        show: 'read',
        info: 'read',
        build: 'exec',
        init: 'write',
      },
      'exec',
    ),
  ],
  [
    'hatch',
    subcommands(
      {
        run: 'run',
        test: 'exec:test',
        publish: 'net',
        build: 'exec',
        env: 'exec',
        version: 'read',
        status: 'read',
        fmt: 'write',
        new: 'write',
        shell: 'exec',
      },
      'exec',
    ),
  ],
  [
    'rye',
    subcommands(
      {
        run: 'run',
        test: 'exec:test',
        lint: 'exec:test',
        sync: 'net',
        add: 'net',
        remove: 'net',
        lock: 'net',
        publish: 'net',
        install: 'net',
        fmt: 'write',
        build: 'exec',
        show: 'read',
        list: 'read',
        version: 'read',
      },
      'exec',
    ),
  ],
  ...['conda', 'mamba', 'micromamba'].map((n): [string, Handler] => [
    n,
    subcommands(
      {
        run: 'run',
        install: 'net',
        create: 'net',
        update: 'net',
        upgrade: 'net',
        search: 'net',
        env: 'net',
        list: 'read',
        info: 'read',
        config: 'read',
        remove: 'exec',
        activate: 'read',
        deactivate: 'read',
      },
      'exec',
    ),
  ]),
  ...['pytest', 'py.test', 'tox', 'nox', 'unittest', 'nose2', 'ward', 'behave', 'doctest', 'coverage'].map(
    (n): [string, Handler] => [
      n,
      n === 'coverage'
        ? subcommands(
            {
              run: 'run',
              report: 'exec:test',
              xml: 'exec:test',
              html: 'exec:test',
              json: 'exec:test',
              lcov: 'exec:test',
              combine: 'exec:test',
              erase: 'exec:test',
              debug: 'read',
            },
            'exec:test',
          )
        : fixed('exec:test'),
    ],
  ),
  ...[
    'mypy',
    'flake8',
    'pylint',
    'pyright',
    'pyflakes',
    'pycodestyle',
    'pydocstyle',
    'bandit',
    'pyre',
    'vulture',
    'shellcheck',
    'hadolint',
    'yamllint',
    'actionlint',
    'tflint',
    'vale',
    'codespell',
  ].map((n): [string, Handler] => [n, fixed('exec:test')]),
  ...['black', 'isort', 'autopep8', 'yapf', 'docformatter'].map((n): [string, Handler] => [
    n,
    pyChecker(['--check', '--diff', '--check-only', '-c']),
  ]),
  ['ruff', ruff],
  ['perl', inlineInterpreter('eE')],
  ['ruby', inlineInterpreter('e')],
  ['php', inlineInterpreter('r')],
  ['lua', inlineInterpreter('e')],
  ['osascript', inlineInterpreter('e')],
  ['json.tool', fixed('read')],
  ['http.server', fixed('net')],
  ['venv', fixed('exec')],
  ['twine', subcommands({ upload: 'net', check: 'exec:test' }, 'exec')],
  ['go', go],
  ['gofmt', gofmt],
  ['goimports', gofmt],
  ['gotestsum', fixed('exec:test')],
  [
    'golangci-lint',
    (args, cx) =>
      hasOption(parseOptions(args, { permute: true }), '--fix')
        ? cx.env.write(plainWord('.'), 'golangci-lint --fix')
        : cx.env.findings.need('exec:test', 'golangci-lint'),
  ],
  ['staticcheck', fixed('exec:test')],
  ['cargo', cargo],
  ['rustfmt', pyChecker(['--check'])],
  [
    'clang-format',
    (args, cx) =>
      args.some((w) => w.text === '-i')
        ? args.filter((w) => !w.text.startsWith('-')).forEach((w) => cx.env.write(w, 'clang-format -i'))
        : cx.env.findings.need('read', 'clang-format'),
  ],
  ...['mvn', 'mvnw', 'mvnd'].map((n): [string, Handler] => [n, maven]),
  ...['gradle', 'gradlew'].map((n): [string, Handler] => [n, gradle]),
  ['dotnet', simpleTest(['test', 'vstest'], ['restore', 'add', 'tool', 'nuget', 'workload', 'new'])],
  ...['make', 'gmake', 'bmake', 'mingw32-make'].map((n): [string, Handler] => [n, make]),
  ...['just', 'task', 'go-task', 'invoke', 'inv', 'rake', 'doit', 'ninja'].map((n): [string, Handler] => [
    n,
    taskRunner,
  ]),
  ['bundle', bundle],
  ['rspec', fixed('exec:test')],
  ['rails', simpleTest(['test', 'test:system', 'spec'], [])],
  ['composer', composer],
  ...['phpunit', 'pest', 'paratest', 'phpstan', 'psalm', 'phpcs'].map((n): [string, Handler] => [
    n,
    fixed('exec:test'),
  ]),
  [
    'mix',
    simpleTest(
      ['test', 'credo', 'dialyzer'],
      ['deps.get', 'deps.update', 'hex.publish', 'local.hex', 'archive.install'],
    ),
  ],
  ['swift', simpleTest(['test'], ['package'])],
  ...['stack', 'cabal'].map((n): [string, Handler] => [n, simpleTest(['test'], ['install', 'update', 'setup'])]),
  ...['sbt', 'lein', 'bazel', 'bazelisk', 'buck', 'buck2', 'pants'].map((n): [string, Handler] => [
    n,
    simpleTest(['test', 'coverage', 'check'], ['fetch', 'deps']),
  ]),
  [
    'zig',
    (args, cx) =>
      cx.env.findings.need(
        args[0]?.text === 'test' || (args[0]?.text === 'build' && args[1]?.text === 'test') ? 'exec:test' : 'exec',
        `zig ${args[0]?.text ?? ''}`.trim(),
      ),
  ],
  ...['ctest', 'bats', 'prove', 'busted', 'luaunit', 'phpspec', 'kuttl'].map((n): [string, Handler] => [
    n,
    fixed('exec:test'),
  ]),
]);
