/**
 * @module `npm audit --json` for the package-lock.json files of the verified tree, when `supplyChain.npmAudit` asks for
 * it: each lockfile (with its package.json and .npmrc) is written from git into a scratch folder, never read from the
 * work tree, and npm runs there through the command runner with the network allowed, since the registry answers the
 * audit. Without network, or when the registry refuses, the outcome says so with the reason: it is never a clean bill.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { isNpmAuditReport, npmAuditHits, type NpmAuditHit } from '../../../core/supply/npm-audit.ts';
import type { CommandRunner } from '../../../ports/runner.ts';
import { fileAtCommit } from '../../repo/git.ts';

/** What `npm audit` gave for one lockfile. */
export interface NpmAuditOutcome {
  readonly lockfile: string;
  readonly status: 'checked' | 'not_run';
  /** Why it did not run: `no network (ECONNREFUSED)`, the registry's refusal, npm missing. */
  readonly reason?: string;
  readonly hits: NpmAuditHit[];
}

/** Variables npm needs to reach a registry and to find itself; nothing else of Autopilot's environment. */
const ENV = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'USER', 'npm_config_registry'];
const PROXY = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'];

/** Errors of a request that never reached a registry. */
const OFFLINE = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ECONNRESET|ENETDOWN)\b/;

const isNpmLockfile = (path: string) => /(^|\/)(package-lock|npm-shrinkwrap)\.json$/.test(path);

/** Why an answer is no audit report, from npm's JSON error object or its output. */
function reasonOf(output: string, parsed: unknown): string {
  const message =
    typeof (parsed as { message?: unknown } | null)?.message === 'string'
      ? (parsed as { message: string }).message
      : output.trim().slice(0, 300) || 'no output';
  const offline = OFFLINE.exec(message);
  return offline ? `no network (${offline[1]})` : `the registry gave no audit report: ${message}`;
}

/**
 * Runs `npm audit --json` for each npm lockfile among `lockfiles` (paths in the tree `treeish`). `cacheDir` is npm's
 * cache folder (the state folder's, writable in the sandbox).
 */
export async function auditNpmLockfiles(
  root: string,
  treeish: string,
  lockfiles: readonly string[],
  runner: CommandRunner,
  opts: { readonly cacheDir: string; readonly timeoutMs?: number },
): Promise<NpmAuditOutcome[]> {
  const out: NpmAuditOutcome[] = [];
  for (const lockfile of lockfiles.filter(isNpmLockfile)) {
    const dir = posix.dirname(lockfile) === '.' ? '' : `${posix.dirname(lockfile)}/`;
    const lockText = await fileAtCommit(root, treeish, lockfile);
    if (lockText === undefined) continue;
    const scratch = mkdtempSync(join(tmpdir(), 'autopilot-npm-audit-'));
    try {
      writeFileSync(join(scratch, 'package-lock.json'), lockText);
      writeFileSync(join(scratch, 'package.json'), (await fileAtCommit(root, treeish, `${dir}package.json`)) ?? '{}\n');
      // The project's registry settings: the lockfile's folder's .npmrc, else the repository's.
      const npmrc =
        (await fileAtCommit(root, treeish, `${dir}.npmrc`)) ??
        (dir ? await fileAtCommit(root, treeish, '.npmrc') : undefined);
      if (npmrc !== undefined) writeFileSync(join(scratch, '.npmrc'), npmrc);
      const env: Record<string, string> = {
        npm_config_cache: join(opts.cacheDir, 'npm'),
        npm_config_update_notifier: 'false',
      };
      mkdirSync(env['npm_config_cache']!, { recursive: true });
      for (const name of [...ENV, ...PROXY]) if (process.env[name] !== undefined) env[name] = process.env[name]!;
      const result = await runner.run({
        argv: ['npm', 'audit', '--json', '--loglevel=silent'],
        cwd: scratch,
        env,
        timeoutMs: opts.timeoutMs ?? 120_000,
        maxOutputBytes: 64 * 1024 * 1024,
        network: true,
      });
      try {
        if (result.spawnError) {
          out.push({ lockfile, status: 'not_run', reason: `npm could not start: ${result.spawnError}`, hits: [] });
          continue;
        }
        if (result.timedOut) {
          out.push({
            lockfile,
            status: 'not_run',
            reason: 'npm audit timed out (no answer from the registry)',
            hits: [],
          });
          continue;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(result.output);
        } catch {
          parsed = undefined;
        }
        if (!isNpmAuditReport(parsed)) {
          out.push({ lockfile, status: 'not_run', reason: reasonOf(result.output, parsed), hits: [] });
          continue;
        }
        out.push({ lockfile, status: 'checked', hits: npmAuditHits(parsed, JSON.parse(lockText)) });
      } finally {
        await runner.release?.(result);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return out;
}
