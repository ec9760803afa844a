/**
 * Fuzz: every CLI verb through the real binary, with hostile arguments (path
 * tricks, symlinks out of the repository, huge and control-character strings,
 * malformed JSON and numbers, missing and unknown options). A process each, so
 * fewer than the in-process fuzzers; AUTOPILOT_TORTURE=long runs many more.
 * Every run must exit 0, 1, 2 or 3; with --json print exactly one JSON object
 * whose `ok` matches the exit code and whose refusal code is the contract's
 * (never INTERNAL, a bug); never print a stack trace; and write nothing outside
 * the state folder. Verbs that serve, run the project's commands or take a long
 * time (mcp, serve, gate, demo, redteam, init without --dry-run) are left out.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.ts';
import * as P from '../../src/surfaces/demo/project.ts';
import { assertSameFiles, binary, makeRepo, tempDir } from '../e2e/helpers.ts';
import { LONG, mulberry32, seedsFor, withSeed } from '../torture/random.ts';
import { Gen, HOSTILE } from './generate.ts';
import { outsideState, SENTINEL } from './outside.ts';
import { HANG_MS, runBounded } from './process.ts';

const RUNS = LONG ? 600 : 60;
const CODES = new Set<string>(Object.values(ErrorCode));

/** Argument shapes of every verb; `$T` a task id, `$P` a phase, `$F` a file, `$S` a string, `$N` a number, `$J` JSON. */
const VERBS: readonly (readonly string[])[] = [
  ['task', 'start', '$T', '--title', '$S'],
  ['task', 'start', '$T', '--base', '$S'],
  ['task', 'list', '--status', '$S'],
  ['task', 'status', '$T'],
  ['task', 'context', '$T'],
  ['task', 'similar', '$T', '--limit', '$S'],
  ['task', 'similar', '--title', '$S', '--min-score', '$S'],
  ['advance', '$T'],
  ['advance', '$T', '--to', '$P', '--summary', '$S'],
  ['advance', '$T', '--token', '$N'],
  ['backtrack', '$T', '--to', '$P', '--reason', '$S'],
  ['backtrack', '$T', '--to', '$P'],
  ['evidence', 'add', '$T', '$P', '$F'],
  ['evidence', 'add', '$T', '$P', '$F', '--as', '$S'],
  ['evidence', 'check', '$T', '$P'],
  ['verify', '$T'],
  ['guard', '$T', '--tool', '$S', '--input', '$J'],
  ['guard', '$T', '--tool', 'Bash', '--input', '$J', '--client', '$S'],
  ['lease', 'acquire', '$T', '--ttl', '$N', '--holder', '$S'],
  ['lease', 'renew', '$T', '--token', '$N'],
  ['lease', 'release', '$T', '--phase', '$P'],
  ['attest', 'check', '--phase', '$P'],
  ['attest', 'check', '--task', '$T'],
  ['attest', 'update', '--reason', '$S', '--tag', '$S'],
  ['attest', 'baseline', '--tag', '$S'],
  ['ledger', 'verify'],
  ['ledger', 'show', '--task', '$T', '--from', '$N', '--limit', '$N'],
  ['ledger', 'export', '--format', '$S', '--task', '$T'],
  ['approve', '$T', '--reason', '$S'],
  ['approve', '$T', '--reason', '$S', '--port', '$S'],
  ['reject', '$T', '--reason', '$S', '--to', '$P'],
  ['reject', '$T', '--reason', '$S', '--abort'],
  ['metrics', '--window', '$S'],
  ['slo', '--window', '$S'],
  ['alerts'],
  ['doctor'],
  ['init', '--dry-run'],
  ['store', 'migrate', '--store', '$STORE'],
  ['atlas', 'show', '$F'],
  ['atlas', 'show', '$S'],
  ['atlas', 'impact', '--base', '$S'],
  ['atlas', 'impact', '--files', '$F', '$S'],
  ['$S'],
  ['$S', '$S', '--$S'],
  ['task', '$S'],
  ['-C', '$F', 'task', 'list'],
];

/** Verbs whose output is their own (lines of entries), not one JSON object. */
const STREAMED = (argv: readonly string[]) => argv[0] === 'ledger' && argv[1] === 'export';

describe('CLI fuzz', () => {
  for (const seed of seedsFor('fuzz-cli'))
    it(
      `answers ${RUNS} runs of the real binary with hostile arguments within the exit-code contract (seed ${seed})`,
      { timeout: LONG ? 3_600_000 : 300_000 },
      () =>
        withSeed(seed, 'fuzz/cli', async () => {
          const g = new Gen(mulberry32(seed));
          const repo = await makeRepo();
          await repo.driveTo('T-1', 'SPEC');
          const files = tempDir('fuzz-files');
          const ok = join(files, 'strategy.md');
          writeFileSync(ok, P.STRATEGY);
          writeFileSync(join(files, 'bad-utf8.md'), Buffer.from([0x23, 0x20, 0xff, 0xfe, 0xc3, 0x28, 0x0a]));
          writeFileSync(join(files, 'big.md'), Buffer.alloc(5 * 1024 * 1024, 0x61));
          writeFileSync(join(files, 'token'), 'not-the-token\n');
          mkdirSync(join(files, 'a-folder'));
          symlinkSync('/etc/hostname', join(files, 'link.md'));
          symlinkSync(repo.dbFile, join(files, 'db-link.md'));
          const fileArg = () =>
            g.pick([
              ok,
              join(files, 'bad-utf8.md'),
              join(files, 'big.md'),
              join(files, 'a-folder'),
              join(files, 'link.md'),
              join(files, 'db-link.md'),
              join(files, 'token'),
              '/dev/zero',
              '/dev/null',
              '/nonexistent/x.md',
              '.autopilot/autopilot.db',
              '../../../../etc/passwd',
              repo.dir,
              g.string(),
            ]);
          const fill = (w: string): string => {
            switch (w) {
              case '$T':
                return g.chance(0.5) ? g.pick(['T-1', 'T-2', 'T-3']) : g.string();
              case '$P':
                return g.chance(0.5) ? g.pick(['STRATEGIZE', 'spec', 'PLAN', 'PR', 'MONITOR', 'DONE']) : g.string();
              case '$F':
                return fileArg();
              case '$N':
                return g.pick([
                  '0',
                  '1',
                  '2',
                  '-1',
                  '1.5',
                  '1e999',
                  'NaN',
                  '0x10',
                  '99999999999999999999',
                  '',
                  g.string(),
                ]);
              case '$J':
                return g.chance(0.5) ? JSON.stringify(g.value(2)) : g.string();
              case '$STORE':
                return g.pick(['', 'mysql://x', 'postgres:/', 'sqlite', 'nope', 'sqlite:']);
              case '$S':
                return g.string();
              case '--$S':
                return `--${g.string()}`;
              default:
                return w;
            }
          };
          const bin = await binary();
          rmSync(SENTINEL, { force: true });
          const before = outsideState(repo.dir);
          const problems: string[] = [];
          for (let i = 0; i < RUNS && problems.length < 10; i++) {
            // An argument cannot hold NUL: the operating system ends it there. Argument lists stay under the system's limit.
            const argv = g
              .pick(VERBS)
              .map(fill)
              .map((a) => a.replaceAll('\u0000', '').slice(0, 100_000));
            const json = g.chance(0.8);
            const args = [...(json ? ['--json'] : []), ...(argv[0] === '-C' ? [] : ['-C', repo.dir]), ...argv];
            const what = `autopilot ${args.map((a) => JSON.stringify(a.slice(0, 60))).join(' ')} (seed ${seed})`;
            const r = await runBounded(bin, args, repo.dir);
            if (r.hung) {
              problems.push(`${what}: still running after ${HANG_MS / 1000} s`);
              continue;
            }
            if (![0, 1, 2, 3].includes(r.code)) problems.push(`${what}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
            if (/\n\s+at \S+ \(|node:internal|"stack"/.test(r.stdout + r.stderr))
              problems.push(`${what}: a stack trace: ${(r.stdout + r.stderr).slice(0, 500)}`);
            if (json && !STREAMED(argv)) {
              let body: { ok?: unknown; error?: { code?: string; message?: string } } | undefined;
              try {
                body = JSON.parse(r.stdout) as typeof body;
              } catch {
                problems.push(
                  `${what}: stdout is not one JSON object: ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`,
                );
                continue;
              }
              if (r.stdout.indexOf('\n') !== r.stdout.length - 1)
                problems.push(`${what}: more than one line on stdout`);
              if (typeof body?.ok !== 'boolean') problems.push(`${what}: no ok field`);
              else if (
                body.ok !== (r.code === 0) &&
                !(body.ok && ((argv[0] === 'alerts' && r.code === 2) || (argv[0] === 'doctor' && r.code === 1)))
              )
                problems.push(`${what}: ok ${String(body.ok)} with exit ${r.code}`);
              if (
                body?.ok === false &&
                (!CODES.has(String(body.error?.code)) || body.error?.code === ErrorCode.INTERNAL)
              )
                problems.push(
                  `${what}: refused with ${String(body.error?.code)}: ${body.error?.message?.slice(0, 300)}`,
                );
            }
          }
          assert.deepEqual(problems, []);
          assertSameFiles(before, outsideState(repo.dir), 'the files outside the state folder');
          assert.equal(existsSync(SENTINEL), false, 'no argument was run as a command');
          assert.ok(HOSTILE.length > 0);
          process.stdout.write(`# CLI fuzz: seed ${seed}, ${RUNS} runs\n`);
        }),
    );
});
