/**
 * @module What the validators compare a phase's evidence with, read from disk and the store: the phase prompts, the
 * repository's README, the same-named files of the tasks started before this one, and the task's spec.
 */
import { join } from 'node:path';
import { isMarkdownName, type Config } from '../../core/config.ts';
import { phaseIndex } from '../../core/phases.ts';
import { allPhasePrompts } from '../../core/prompts.ts';
import type { TaskState } from '../../core/task.ts';
import type { CopySource, EvidenceContext, RelatedArtifact } from '../../validators/index.ts';
import { evidenceRel } from '../repo/layout.ts';
import { readNoFollow } from '../repo/files.ts';
import type { Engine } from '../context.ts';
import { scanPhaseSecrets } from './secrets.ts';
import { gatherContractContext } from './contracts.ts';

/** The README names looked for at the repository root, in this order. */
const README_NAMES = ['README.md', 'README.markdown', 'README.rst', 'README.txt', 'README', 'readme.md', 'Readme.md'];

const templates = new WeakMap<Config, CopySource>();

function template(config: Config): CopySource {
  let t = templates.get(config);
  if (!t) {
    t = { kind: 'template', label: 'the phase prompts', text: allPhasePrompts(config) };
    templates.set(config, t);
  }
  return t;
}

// Evidence is UTF-8 text; a file that is not (or is over the evidence cap) is no source to copy from.
function readText(path: string, maxBytes: number): string | undefined {
  const file = readNoFollow(path, maxBytes);
  if (file.kind !== 'file') return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(file.bytes);
  } catch {
    return undefined;
  }
}

function readme(engine: Engine): CopySource | undefined {
  for (const name of README_NAMES) {
    const text = readText(join(engine.layout.root, name), engine.config.limits.maxEvidenceBytes);
    if (text !== undefined) return { kind: 'readme', label: name, text };
  }
  return undefined;
}

/** The live artifact of `task` named `name` (by the ledger), wherever its phase folder is. */
function liveFile(task: TaskState, name: string): string | undefined {
  const prefix = `evidence/${task.taskId}/`;
  return Object.keys(task.artifacts).find((p) => p.startsWith(prefix) && p.slice(p.lastIndexOf('/') + 1) === name);
}

/** The same-named files of the tasks started before `state`, the most recent first, `limit` tasks at most. */
async function earlier(
  engine: Engine,
  state: TaskState,
  names: readonly string[],
  limit: number,
): Promise<CopySource[]> {
  if (names.length === 0 || limit === 0) return [];
  const tasks = await engine.store.recentTasks(state.startedAt, state.taskId, limit);
  const sources: CopySource[] = [];
  tasks.forEach((t, rank) => {
    for (const name of names) {
      const path = liveFile(t, name);
      if (!path) continue;
      const text = earlierText(engine, path, t.artifacts[path]?.sha256);
      if (text !== undefined) sources.push({ kind: 'earlier', label: path, text, rank });
    }
  });
  return sources;
}

/**
 * Earlier tasks' files by the digest the ledger recorded for them: every move compares with the same ones, which a
 * passed phase never changes, so each is read once (a bounded map, least recently used first out).
 */
const EARLIER = new Map<string, string>();
const EARLIER_MAX = 1024;

function earlierText(engine: Engine, path: string, sha256: string | undefined): string | undefined {
  const key = sha256 === undefined ? undefined : `${engine.layout.stateDir}\0${path}\0${sha256}`;
  const hit = key === undefined ? undefined : EARLIER.get(key);
  if (key !== undefined && hit !== undefined) {
    EARLIER.delete(key);
    EARLIER.set(key, hit);
    return hit;
  }
  const text = readText(join(engine.layout.stateDir, path), engine.config.limits.maxEvidenceBytes);
  if (key !== undefined && text !== undefined) {
    EARLIER.set(key, text);
    if (EARLIER.size > EARLIER_MAX) EARLIER.delete(EARLIER.keys().next().value!);
  }
  return text;
}

/** The task's copy of each artifact a rule of `phase` grounds in, from the latest earlier phase whose contract has it. */
function related(engine: Engine, state: TaskState, phase: string): RelatedArtifact[] {
  const out: RelatedArtifact[] = [];
  const here = phaseIndex(engine.config.phases, phase);
  for (const rule of engine.config.evidence[phase] ?? []) {
    if (!rule.groundedIn) continue;
    const name = rule.groundedIn.artifact;
    const holder = engine.config.phases
      .slice(0, Math.max(here, 0))
      .reverse()
      .find((p) => (engine.config.evidence[p] ?? []).some((r) => r.name === name));
    if (!holder || out.some((a) => a.name === name)) continue;
    const path = evidenceRel(state.taskId, holder, name);
    if (!state.artifacts[path]) continue;
    const text = readText(join(engine.layout.stateDir, path), engine.config.limits.maxEvidenceBytes);
    if (text !== undefined) out.push({ name, path, phase: holder, text });
  }
  return out;
}

/**
 * Everything the validators of `phase` may compare the task's evidence with. Only what a rule of the phase asks for
 * is read: earlier tasks' files for rules whose `copiedText.sources` has `earlier`, the spec for `groundedIn`.
 */
export async function gatherEvidenceContext(
  engine: Engine,
  state: TaskState,
  phase: string,
  pending: readonly { readonly name: string; readonly content: string }[] | null = [],
): Promise<EvidenceContext> {
  const rules = engine.config.evidence[phase] ?? [];
  const copying = rules.filter((r) => isMarkdownName(r.name) && r.copiedText);
  const wants = (kind: CopySource['kind']) => copying.some((r) => r.copiedText && r.copiedText.sources.includes(kind));
  const sources: CopySource[] = [];
  if (wants('template')) sources.push(template(engine.config));
  const r = wants('readme') ? readme(engine) : undefined;
  if (r) sources.push(r);
  const earlierRules = copying.filter((r) => r.copiedText && r.copiedText.sources.includes('earlier'));
  const limit = Math.max(0, ...earlierRules.map((r) => (r.copiedText ? r.copiedText.earlierTasks : 0)));
  sources.push(
    ...(await earlier(
      engine,
      state,
      earlierRules.map((r) => r.name),
      limit,
    )),
  );
  // `pending: null` asks for no secret scan (one file's put scans that file itself).
  const secrets = pending === null ? undefined : await scanPhaseSecrets(engine, state, phase, pending);
  const contracts = await gatherContractContext(engine, state, phase);
  return {
    sources,
    artifacts: related(engine, state, phase),
    ...(secrets ? { secrets } : {}),
    ...(contracts ? { contracts } : {}),
  };
}
