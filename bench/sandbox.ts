/**
 * @module What the bubblewrap sandbox costs per evidence command: `true` and
 * `node -e 0`, unsandboxed and sandboxed (read-only repository, scratch copy of
 * a small repository). Run alone with `node --import tsx bench/sandbox.ts`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BwrapRunner, sandboxStatus } from '../src/adapters/bwrap/index.ts';
import { ProcessRunner } from '../src/adapters/process/index.ts';
import type { CommandRunner } from '../src/ports/runner.ts';
import { PROJECT_FILES } from '../src/surfaces/demo/project.ts';
import { measure, table, type Stats } from './stats.ts';

const SANDBOX = { memoryMb: 4096, maxProcesses: 1024 } as const;

/** Times each command `n` times per runner; rows say how much the sandbox adds at p50. Empty (with a note row) when bubblewrap is unusable. */
export async function benchSandbox(n: number): Promise<Stats[]> {
  const status = sandboxStatus({ sandbox: { mode: 'required', workspace: 'copy', ...SANDBOX } });
  if (!status.available)
    return [
      {
        name: 'sandbox overhead',
        n: 0,
        p50: NaN,
        p95: NaN,
        p99: NaN,
        throughput: NaN,
        note: `not measured: ${status.reason}`,
      },
    ];
  const repo = mkdtempSync(join(tmpdir(), 'autopilot-bench-sandbox-'));
  try {
    for (const [rel, content] of Object.entries(PROJECT_FILES)) {
      mkdirSync(dirname(join(repo, rel)), { recursive: true });
      writeFileSync(join(repo, rel), content);
    }
    const host = new ProcessRunner();
    const runners: [string, CommandRunner][] = [
      ['unsandboxed', host],
      ['bwrap, read-only', new BwrapRunner({ mode: 'required', workspace: 'readonly', host, ...SANDBOX })],
      [
        `bwrap, scratch copy (${Object.keys(PROJECT_FILES).length} files)`,
        new BwrapRunner({ mode: 'required', workspace: 'copy', host, ...SANDBOX }),
      ],
    ];
    const commands: [string, string[]][] = [
      ['true', ['true']],
      ['node -e 0', [process.execPath, '-e', '0']],
    ];
    const rows: Stats[] = [];
    for (const [label, argv] of commands) {
      let baseline = NaN;
      for (const [how, runner] of runners) {
        const stats = await measure(
          `\`${label}\`, ${how}`,
          n,
          async () => {
            const r = await runner.run({
              argv,
              cwd: repo,
              env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
              timeoutMs: 30_000,
              maxOutputBytes: 1 << 16,
            });
            await runner.release?.(r);
            if (r.exitCode !== 0) throw new Error(`${label} (${how}) failed: ${r.spawnError ?? r.output}`);
          },
          { warmup: Math.min(5, n) },
        );
        if (Number.isNaN(baseline)) baseline = stats.p50;
        rows.push(
          runner === host
            ? stats
            : { ...stats, note: `+${(stats.p50 - baseline).toFixed(0)} ms at p50 (bubblewrap ${status.bwrapVersion})` },
        );
      }
    }
    return rows;
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

/**
 * A command that loads modules from a large `node_modules` (`packages` packages of `kbEach` KB, `mb` MB in all), bare
 * and sandboxed in a scratch copy with the dependencies bound read-only (the default) and copied (as before). The
 * target (issue: VERIFY overhead) is the sandboxed run ≤ 1.15× the bare one; the notes give each ratio.
 */
export async function benchDependencies(n: number, mb: number): Promise<Stats[]> {
  const status = sandboxStatus({ sandbox: { mode: 'required', workspace: 'copy', ...SANDBOX } });
  if (!status.available) return [];
  const repo = mkdtempSync(join(tmpdir(), 'autopilot-bench-deps-'));
  try {
    const kbEach = 64;
    const files = Math.max(1, Math.round((mb * 1024) / kbEach));
    const packages = 200;
    const filler = `// ${'x'.repeat(kbEach * 1024 - 40)}\n`;
    for (let i = 0; i < files; i++) {
      const dir = join(repo, 'node_modules', `dep${i % packages}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, i < packages ? 'index.js' : `extra${i}.js`), `${filler}module.exports = ${i};\n`);
    }
    writeFileSync(
      join(repo, 'test.js'),
      `let s = 0; for (let i = 0; i < ${packages}; i++) s += require('./node_modules/dep' + i + '/index.js');\n`,
    );
    const host = new ProcessRunner();
    const runners: [string, CommandRunner][] = [
      ['unsandboxed', host],
      [
        'bwrap, scratch copy, dependencies bound read-only',
        new BwrapRunner({ mode: 'required', workspace: 'copy', host, ...SANDBOX }),
      ],
      [
        'bwrap, scratch copy, dependencies copied',
        new BwrapRunner({ mode: 'required', workspace: 'copy', dependencies: 'copy', host, ...SANDBOX }),
      ],
    ];
    const rows: Stats[] = [];
    let bare = NaN;
    for (const [how, runner] of runners) {
      const stats = await measure(
        `\`node test.js\` loading ${packages} packages of a ${mb} MB node_modules, ${how}`,
        n,
        async () => {
          const r = await runner.run({
            argv: [process.execPath, 'test.js'],
            cwd: repo,
            env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
            timeoutMs: 120_000,
            maxOutputBytes: 1 << 16,
          });
          await runner.release?.(r);
          if (r.exitCode !== 0) throw new Error(`node test.js (${how}) failed: ${r.spawnError ?? r.output}`);
        },
        { warmup: Math.min(2, n) },
      );
      if (Number.isNaN(bare)) bare = stats.p50;
      rows.push(
        runner === host
          ? stats
          : { ...stats, note: `${(stats.p50 / bare).toFixed(2)}× the unsandboxed run at p50 (target ≤ 1.15×)` },
      );
    }
    return rows;
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${table(await benchSandbox(Number(process.env['BENCH_N'] ?? 50)))}\n`);
}
