/** @module Reading files as committed at a commit, byte for byte (the CI gate's bundles and evidence, `ledger verify`'s committed bundles). */
import { spawn } from 'node:child_process';
import { AutopilotError, ErrorCode } from '../../core/errors.ts';
import { sha256Hex } from './files.ts';

/** A path as committed: a file with its bytes and digest, nothing at all, or something that is not a file. */
export type Blob =
  | { readonly kind: 'file'; readonly bytes: Buffer; readonly sha256: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'not-a-file' };

/** Reads files as committed at `commit`, byte for byte, with one `git cat-file --batch`. */
export async function readCommitted(root: string, commit: string, paths: readonly string[]): Promise<Blob[]> {
  if (paths.length === 0) return [];
  const out = await new Promise<Buffer>((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    const chunks: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(chunks))
        : reject(
            new AutopilotError(
              ErrorCode.INTERNAL,
              `git cat-file failed: ${Buffer.concat(err).toString('utf8').trim()}`,
              { commit },
            ),
          ),
    );
    child.stdin.end(paths.map((p) => `${commit}:${p}\n`).join(''));
  });
  const blobs: Blob[] = [];
  let pos = 0;
  for (let i = 0; i < paths.length; i++) {
    const nl = out.indexOf(10, pos);
    const header = out.subarray(pos, nl < 0 ? out.length : nl).toString('utf8');
    pos = nl + 1;
    const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!m) {
      blobs.push({ kind: 'missing' });
      continue;
    }
    const size = Number(m[2]);
    const bytes = Buffer.from(out.subarray(pos, pos + size));
    pos += size + 1;
    blobs.push(m[1] === 'blob' ? { kind: 'file', bytes, sha256: sha256Hex(bytes) } : { kind: 'not-a-file' });
  }
  return blobs;
}
