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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${table(await benchSandbox(Number(process.env['BENCH_N'] ?? 50)))}\n`);
}
