/**
 * @module The change a policy decides, built once for every caller: Gate 1 (the branch's committed diff and its
 * tasks' committed evidence) and the move out of the implement phase (the task's diff and its evidence folder) hand in
 * what they read, and get the same `Autopilot::Diff` and `Autopilot::File` facts.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../core/config.ts';
import type { TaskState } from '../../core/task.ts';
import { phaseDir } from '../../core/phases.ts';
import {
  addedLinesOf,
  changeRequestFor,
  rollbackWords,
  type ChangeRequest,
  type ChangeFacts,
} from '../../core/policy/change.ts';
import { git } from '../repo/git.ts';
import { readNoFollow } from '../repo/files.ts';
import { scanPatch } from '../repo/secret-scan.ts';
import type { TaskDiff } from './producers/diff.ts';
import type { Engine } from '../context.ts';

/** What a caller read of a change: the diff's files and patch, the secrets found, and its evidence by file name. */
export interface ChangeSource {
  readonly actor: ChangeFacts['actor'];
  readonly phase: string;
  readonly taskId: string | null;
  readonly files: readonly { path: string; added: number; removed: number }[];
  /** The unified diff of the change (the manifests' added lines name new dependencies). */
  readonly patch: string;
  /** Secrets found in the change's added lines, by file. */
  readonly secrets: ReadonlyMap<string, number>;
  /** Every copy of the evidence file `name` the change's tasks hold (several tasks may share a branch). */
  readonly evidence: (name: string) => readonly Buffer[];
  readonly branch: string;
}

function json(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The supply-chain results recorded as evidence: `unknown` before VERIFY checked them. */
function supplyChainOf(evidence: ChangeSource['evidence']): ChangeRequest['supplyChain'] {
  const results = ['vulnerabilities.json', 'licenses.json'].flatMap((n) =>
    evidence(n).flatMap((b) => {
      const doc = json(b) as { passed?: unknown } | undefined;
      return typeof doc?.passed === 'boolean' ? [doc.passed] : [];
    }),
  );
  if (results.length === 0) return 'unknown';
  return results.every(Boolean) ? 'pass' : 'fail';
}

/** A Rollback section of four words or more in a plan or a PR description. */
function hasRollback(evidence: ChangeSource['evidence']): boolean {
  return ['pr_template_filled.md', 'plan.md'].some((n) =>
    evidence(n).some((b) => rollbackWords(b.toString('utf8')) >= 4),
  );
}

/** The change request of what `src` read, under `config`: the request Gate 1 and the implement move both decide. */
export function changeRequestOf(config: Config, src: ChangeSource): ChangeRequest {
  return changeRequestFor(config, {
    actor: src.actor,
    phase: src.phase,
    taskId: src.taskId,
    files: src.files.map((f) => ({ ...f, secrets: src.secrets.get(f.path) ?? 0 })),
    addedLines: addedLinesOf(src.patch),
    supplyChain: supplyChainOf(src.evidence),
    rollback: hasRollback(src.evidence),
    branch: src.branch,
  });
}

/** The branch checked out at `root`; in CI (a detached HEAD) the one the forge names in its variables. */
export async function branchName(root: string): Promise<string> {
  const r = await git(root, ['rev-parse', '--abbrev-ref', 'HEAD']);
  const name = r.code === 0 ? r.stdout.trim() : '';
  if (name === '' || name === 'HEAD')
    return process.env['GITHUB_HEAD_REF'] || process.env['CI_COMMIT_REF_NAME'] || process.env['GITHUB_REF_NAME'] || '';
  return name;
}

/**
 * The git blob id of each path's content in the working tree (`git hash-object`, with the repository's filters), null
 * for a path that is not there (deleted); a path that is something else (a symbolic link) is left out.
 */
export async function workingBlobs(root: string, paths: readonly string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  const files: string[] = [];
  for (const p of paths) {
    const st = lstatSync(join(root, p), { throwIfNoEntry: false });
    if (!st) out.set(p, null);
    else if (st.isFile()) files.push(p);
  }
  // In slices, so that a large change stays under the command line's length limit.
  for (let i = 0; i < files.length; i += 200) {
    const slice = files.slice(i, i + 200);
    const r = await git(root, ['hash-object', '--', ...slice]);
    if (r.code !== 0) throw new Error(`git hash-object failed: ${r.stderr.trim()}`);
    r.stdout
      .trim()
      .split('\n')
      .forEach((id, j) => out.set(slice[j]!, id.trim()));
  }
  return out;
}

/** The change of a task as it is now: its diff from its base, its evidence folder, the branch it is on. */
export async function taskChangeRequest(
  engine: Engine,
  state: TaskState,
  diff: TaskDiff,
  actor: ChangeFacts['actor'],
): Promise<ChangeRequest> {
  const secrets = new Map<string, number>();
  for (const f of await scanPatch(diff.patch)) secrets.set(f.file, (secrets.get(f.file) ?? 0) + 1);
  const evidence = (name: string) =>
    engine.config.phases.flatMap((p) => {
      const file = readNoFollow(
        join(engine.layout.evidenceDir, state.taskId, phaseDir(p), name),
        engine.config.limits.maxEvidenceBytes,
      );
      return file.kind === 'file' ? [file.bytes] : [];
    });
  return changeRequestOf(engine.config, {
    actor,
    phase: state.phase,
    taskId: state.taskId,
    files: diff.files.map((f) => ({ path: f.path, added: f.additions, removed: f.deletions })),
    patch: diff.patch,
    secrets,
    evidence,
    branch: await branchName(engine.layout.root),
  });
}
