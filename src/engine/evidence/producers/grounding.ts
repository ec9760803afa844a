/**
 * @module The grounding check of the planning phases: leaving the phase that holds the file map (PLAN) and those
 * after it before the implement role (THINK), Autopilot resolves the files and symbols the task's spec, plan and
 * edge cases cite, writes `grounding.json`, and refuses the move while a cited file exists nowhere.
 */
import { join } from 'node:path';
import type { Config } from '../../../core/config.ts';
import {
  groundingSummary,
  type CitingArtifact,
  type GroundingReport,
  type GroundingSummary,
} from '../../../core/grounding.ts';
import type { TaskState } from '../../../core/task.ts';
import { phaseDir } from '../../../core/phases.ts';
import type { Finding } from '../../../validators/index.ts';
import { readNoFollow } from '../../repo/files.ts';
import { evidenceRel } from '../../repo/layout.ts';
import { groundInRepository } from '../../graph/grounding.ts';
import type { Engine } from '../../context.ts';

import { GROUNDING_FILE } from '../../../core/grounding.ts';

/** The file Autopilot writes in each grounding phase. */
export { GROUNDING_FILE };
/** The artifact whose cited code files are the entry points the plan's files must be reachable from. */
const SPEC_ARTIFACT = 'spec.md';
const FILE_MAP = 'file_map.json';

/** The phases whose move out is grounded: the one whose evidence holds the file map, and those up to the implement role. */
export function groundingPhases(config: Config): string[] {
  const phases = config.phases;
  const start = phases.findIndex((p) => (config.evidence[p] ?? []).some((r) => r.name === FILE_MAP));
  if (start < 0) return [];
  const implement = config.roles.implement === null ? -1 : phases.indexOf(config.roles.implement);
  const end = implement > start ? implement : start + 1;
  return phases.slice(start, end);
}

/** The agent's Markdown artifacts and the file map of the phases up to `phase`, as the task's folders hold them. */
function citingArtifacts(engine: Engine, state: TaskState, phase: string): CitingArtifact[] {
  const out: CitingArtifact[] = [];
  const phases = engine.config.phases;
  for (const p of phases.slice(0, phases.indexOf(phase) + 1))
    for (const rule of engine.config.evidence[p] ?? []) {
      if (rule.producer !== 'agent' || !(rule.name.endsWith('.md') || rule.name === FILE_MAP)) continue;
      const file = readNoFollow(
        join(engine.layout.evidenceDir, state.taskId, phaseDir(p), rule.name),
        engine.config.limits.maxEvidenceBytes,
      );
      if (file.kind !== 'file') continue;
      out.push({
        name: rule.name,
        text: file.bytes.toString('utf8'),
        ...(rule.name === SPEC_ARTIFACT ? { spec: true } : {}),
      });
    }
  return out;
}

/** What the gate reports of a grounding that does not pass: one finding a cited file that exists nowhere. */
export function groundingFindings(taskId: string, phase: string, report: GroundingReport): Finding[] {
  return report.missing.map((path) => {
    const sources = [...new Set(report.citations.filter((c) => c.path === path).map((c) => c.source))];
    return {
      file: evidenceRel(taskId, phase, GROUNDING_FILE),
      rule: 'grounding',
      problem: `\`${path}\`, cited in ${sources.join(' and ')}, is no file of the repository`,
      fix: `correct the path in ${sources.join(' and ')}, or list it in ${FILE_MAP} with change "add" if the task creates it`,
    };
  });
}

/** Grounds the task's artifacts; the findings hold the move when a cited file is missing. */
export async function produceGrounding(
  engine: Engine,
  state: TaskState,
): Promise<{ files: { name: string; content: string }[]; findings: Finding[]; grounding: GroundingSummary }> {
  const phase = state.phase;
  const names = new Set(Object.values(engine.config.evidence).flatMap((rules) => rules.map((r) => r.name)));
  names.add(GROUNDING_FILE);
  const { report, manifest } = await groundInRepository(
    { root: engine.layout.root, stateDir: engine.layout.stateDir, globs: engine.config.verify },
    citingArtifacts(engine, state, phase),
    names,
  );
  const doc = { ...report, atlas: { manifest: manifest.digest, graph: manifest.graphDigest } };
  return {
    files: [{ name: GROUNDING_FILE, content: JSON.stringify(doc, null, 2) + '\n' }],
    findings: groundingFindings(state.taskId, phase, report),
    grounding: groundingSummary(report),
  };
}
