/**
 * @module The compiled prompt of a task's phase: the persona the config gives the phase, the overlays its paths
 * route to, and the anchors read from the task's own evidence (the spec's acceptance criteria, the file map), compiled
 * within the budget, with the digests the ledger records: of the prompt, of the PersonaSpec, of each overlay.
 */
import { phaseDir } from '../../core/phases.ts';
import { cachedAtlas } from '../graph/atlas.ts';
import { impactOf, indexAtlas } from '../../core/atlas.ts';
import { join } from 'node:path';
import type { Config } from '../../core/config.ts';
import { BoundedCache } from '../../core/bounded-cache.ts';
import { normalizeForDigest } from '../../core/drift.ts';
import {
  applyVariant,
  canonicalForm,
  pickVariant,
  type Overlay,
  type PersonaSpec,
  type PersonaVariant,
  type Skill,
} from '../../core/persona.ts';
import { defaultPersonaFor, SHIPPED_OVERLAYS, SHIPPED_PERSONAS, SHIPPED_SKILLS } from '../../core/persona-library.ts';
import {
  compilePrompt,
  overlaysForLabels,
  routeOverlays,
  type Anchor,
  type CompiledPrompt,
} from '../../core/prompt-compiler.ts';
import type { TaskRouting, TaskState } from '../../core/task.ts';
import { parseMarkdown, sectionProse } from '../../validators/markdown.ts';
import { readNoFollow, sha256Hex } from '../repo/files.ts';
import { storePromptText } from './prompt-text.ts';
import type { Engine } from '../context.ts';
import { instructionFiles, promptFor } from './baseline.ts';
import { GROUNDING_FILE } from '../../core/grounding.ts';

const DEFAULT_BUDGET = 6000;
const ANCHOR_BYTES = 64 * 1024;

/** A versioned part of a prompt and its digest. */
export interface DigestedPart {
  readonly id: string;
  readonly version: string;
  readonly sha256: string;
}

/** What a phase's agent is told, and the digests that name it. */
export interface PhasePrompt {
  readonly phase: string;
  readonly compiled: CompiledPrompt;
  /** sha256 of the compiled prompt, normalised as prompt attestation normalises. */
  readonly sha256: string;
  readonly persona: DigestedPart;
  readonly overlays: readonly DigestedPart[];
  readonly skills: readonly DigestedPart[];
  /** The persona's prompt variant the task drew, when the config gives the persona variants. */
  readonly variant?: ChosenVariant;
  /** sha256 of the compiled text alone: with no variant, `sha256` itself. */
  readonly textSha256: string;
}

/** A persona's variant a task drew, and the digest of what it changes. */
export interface ChosenVariant {
  readonly persona: string;
  readonly id: string;
  readonly sha256: string;
}

/**
 * The variant of `persona` a task draws: seeded by the task id and the persona id, so every move, hook and MCP call
 * of the task (and a re-run of the same task id) draws the same one. None without variants in the config.
 */
export function variantFor(config: Config, persona: PersonaSpec, taskId: string): PersonaVariant | undefined {
  const variants = config.personas?.variants?.[persona.id];
  if (!variants?.length) return undefined;
  const bucket = Number.parseInt(sha256Hex(`${taskId}\n${persona.id}`).slice(0, 12), 16);
  return pickVariant(variants, bucket);
}

/** The digest of a variant: what it changes of its persona, without its weight (which changes no prompt). */
export function variantDigest(persona: string, variant: PersonaVariant): string {
  const { weight: _weight, ...told } = variant;
  return sha256Hex(canonicalForm({ persona, ...told }));
}

/**
 * The digest a transition records for a compiled prompt: that of its normalised text, or, with a variant, that of
 * the canonical JSON of both digests, so that two variants giving the same text are still told apart.
 */
export function promptDigest(textSha256: string, variant?: { sha256: string }): string {
  return variant ? sha256Hex(canonicalForm({ text: textSha256, variant: variant.sha256 })) : textSha256;
}

/** The persona the config gives a phase: its `personas.byPhase` (a custom one first), else the shipped default. */
export function personaOf(config: Config, phase: string): PersonaSpec {
  const named = config.personas?.byPhase[phase];
  if (named) {
    const found = config.personas?.custom.find((p) => p.id === named) ?? SHIPPED_PERSONAS.get(named);
    if (found) return found;
  }
  return defaultPersonaFor(phase);
}

/**
 * The persona a task's phase runs with: the persona the task pinned, where it serves the phase, else the config's.
 * Without routing (no task, or a task started without any) it is the config's persona of the phase.
 */
export function personaFor(config: Config, phase: string, routing?: TaskRouting): PersonaSpec {
  const pinned = routing?.persona;
  if (pinned) {
    const found = findPersona(config, pinned);
    // A pinned persona serves the phases it is written for (all, when it names none); the others keep the config's.
    if (found && (!found.phases.length || found.phases.includes(phase))) return found;
  }
  return personaOf(config, phase);
}

/** A persona by id: the repository's own first, then the shipped ones. */
export function findPersona(config: Config, id: string): PersonaSpec | undefined {
  return config.personas?.custom.find((p) => p.id === id) ?? SHIPPED_PERSONAS.get(id);
}

/** The overlays a repository can route to: the shipped ones, and its own (which win on the same id). */
export function overlayLibrary(config: Config): Map<string, Overlay> {
  const library = new Map(SHIPPED_OVERLAYS);
  for (const o of config.personas?.overlays ?? []) library.set(o.id, o);
  return library;
}

/** The skill packs a persona can carry: the shipped ones, and the repository's own (which win on the same id). */
export function skillLibrary(config: Config): Map<string, Skill> {
  const library = new Map(SHIPPED_SKILLS);
  for (const k of config.personas?.skills ?? []) library.set(k.id, k);
  return library;
}

function digested(doc: { id: string; version: string }): DigestedPart {
  return { id: doc.id, version: doc.version, sha256: sha256Hex(canonicalForm(doc)) };
}

/** What one evidence file gives a prompt: acceptance criteria, the file map's paths (with their line), impacted tests. */
interface FileAnchors {
  readonly anchors: readonly Anchor[];
  readonly files: readonly { readonly path: string; readonly line: string | undefined }[];
  readonly impacted: readonly string[];
  /** The file is a grounding record (grounding.json), whose impacted tests stand for the plan's. */
  readonly grounded: boolean;
}

/**
 * The prompt of every move reads the task's evidence files again, mostly unchanged: what a file gives depends on its
 * path and text only, so it is kept by both (the file itself is still read each time).
 */
const BY_FILE = new BoundedCache<string, FileAnchors>(256);

function anchorsOfFile(path: string, text: string): FileAnchors {
  const key = `${path}\0${text}`;
  return BY_FILE.get(key) ?? BY_FILE.set(key, readAnchors(path, text));
}

function readAnchors(path: string, text: string): FileAnchors {
  const anchors: Anchor[] = [];
  const files: { path: string; line: string | undefined }[] = [];
  const impacted: string[] = [];
  let grounded = false;
  if (path.endsWith('.md')) {
    for (const s of sectionProse(parseMarkdown(text)))
      if (/^acceptance criteria$/i.test(s.title))
        anchors.push({
          kind: 'acceptance-criteria',
          title: 'Acceptance criteria',
          text: s.blocks.map((b) => `- ${b}`).join('\n'),
        });
  } else if (path.endsWith('.json')) {
    try {
      const doc = JSON.parse(text) as { files?: unknown; impactedTests?: unknown };
      // The citation check's record (grounding.json): the tests that reach the files the plan changes.
      if (path.endsWith(`/${GROUNDING_FILE}`) && Array.isArray(doc.impactedTests)) {
        grounded = true;
        for (const t of doc.impactedTests) if (typeof t === 'string') impacted.push(t);
      }
      if (Array.isArray(doc.files))
        for (const f of doc.files) {
          const entry = f as { path?: unknown; why?: unknown; change?: unknown };
          if (typeof entry.path !== 'string') continue;
          const p = entry.path.replace(/^\.\//, '');
          const line =
            typeof entry.why === 'string'
              ? `- ${p}${typeof entry.change === 'string' ? ` (${entry.change})` : ''}: ${entry.why}`
              : undefined;
          files.push({ path: p, line });
        }
    } catch {
      // Not JSON after all, or cut at the read limit: it anchors nothing.
    }
  }
  return { anchors, files, impacted, grounded };
}

/** The anchors and paths a task's live evidence gives: acceptance criteria from Markdown, paths from JSON file lists. */
function taskContext(
  engine: Engine,
  task: TaskState | undefined,
  phase: string,
): { anchors: Anchor[]; paths: string[] } {
  const anchors: Anchor[] = [];
  const paths = new Set<string>();
  const map: string[] = [];
  const impacted = new Set<string>();
  let grounded = false;
  const artifacts = task ? Object.values(task.artifacts).sort((a, b) => (a.path < b.path ? -1 : 1)) : [];
  for (const a of artifacts) {
    if (!a.path.startsWith('evidence/')) continue;
    const file = readNoFollow(join(engine.layout.stateDir, a.path), ANCHOR_BYTES);
    if (file.kind !== 'file') continue;
    const part = anchorsOfFile(a.path, file.bytes.toString('utf8'));
    anchors.push(...part.anchors);
    if (part.grounded) grounded = true;
    for (const t of part.impacted) impacted.add(t);
    for (const f of part.files) {
      if (!paths.has(f.path) && f.line !== undefined) map.push(f.line);
      paths.add(f.path);
    }
  }
  // The impact hint rides with the file map: the tests that exercise what the plan changes, to run and extend first.
  // While the plan is written (no grounding yet), from the atlas the last build cached: a hint, not evidence.
  if (!grounded && paths.size) for (const t of cachedImpactedTests(engine, [...paths])) impacted.add(t);
  const tests = [...impacted].sort();
  const hint = tests.length ? `\n\nThese tests exercise what the plan changes: ${tests.join(', ')}.` : '';
  if (map.length) anchors.push({ kind: 'file-map', title: 'Files the plan changes', text: `${map.join('\n')}${hint}` });
  const earlier = earlierEvidence(engine.config.phases, task, phase);
  if (earlier.length)
    anchors.push({
      kind: 'earlier-evidence',
      title: 'Evidence of the earlier phases',
      text: `What this phase builds on, recorded in the ledger (in the state folder):\n${earlier.join('\n')}`,
    });
  const instructions = instructionFiles(engine);
  if (instructions.length)
    anchors.push({
      kind: 'instruction-files',
      title: "The repository's instructions for agents",
      text: `Read and follow: ${instructions.join(', ')}.`,
    });
  return { anchors, paths: [...paths].sort() };
}

/**
 * Compiles the prompt of `phase` for `task` (or for no task yet: the phase's persona without the task's anchors), with
 * the task's routing (or, at its start, the routing it is about to record).
 * The same config, task evidence and instruction files give the same bytes and digests.
 */
export function phasePromptFor(
  engine: Engine,
  phase: string,
  task?: TaskState,
  routing: TaskRouting | undefined = task?.routing,
  taskId: string | undefined = task?.taskId,
): PhasePrompt {
  const base = personaFor(engine.config, phase, routing);
  const drawn = taskId !== undefined ? variantFor(engine.config, base, taskId) : undefined;
  const persona = applyVariant(base, drawn);
  const { anchors, paths } = taskContext(engine, task, phase);
  const library = overlayLibrary(engine.config);
  const named = routing ? [...routing.domains, ...overlaysForLabels(library, routing.labels)] : [];
  const overlays = routeOverlays(library, persona, paths, named);
  const skillsById = skillLibrary(engine.config);
  const skills = persona.skills.flatMap((id) => skillsById.get(id) ?? []);
  const compiled = compilePrompt({
    header: promptFor(engine, phase),
    persona,
    overlays,
    skills,
    anchors,
    budgetTokens: engine.config.personas?.budgetTokens ?? DEFAULT_BUDGET,
  });
  const textSha256 = sha256Hex(normalizeForDigest(compiled.text));
  const variant = drawn ? { persona: base.id, id: drawn.id, sha256: variantDigest(base.id, drawn) } : undefined;
  return {
    phase,
    compiled,
    sha256: promptDigest(textSha256, variant),
    textSha256,
    ...(variant ? { variant } : {}),
    // The PersonaSpec's own digest, as the baseline attests it: a variant is recorded beside it.
    persona: digested(base),
    overlays: overlays.map(digested),
    skills: skills.map(digested),
  };
}

/** What a transition records of the prompt the entered phase runs with. */
export function promptRecord(p: PhasePrompt): Record<string, unknown> {
  return {
    phase: p.phase,
    sha256: p.sha256,
    persona: p.persona,
    overlays: p.overlays.map((o) => `${o.id}@${o.version}`),
    tokens: p.compiled.tokens,
    ...(p.variant ? { variant: { id: p.variant.id, sha256: p.variant.sha256 }, textSha256: p.textSha256 } : {}),
  };
}

/** {@link promptRecord}, with the compiled text kept in the state folder's prompts/ cache for the dashboard. */
export function recordedPrompt(engine: Engine, p: PhasePrompt): Record<string, unknown> {
  storePromptText(engine.layout.stateDir, p.compiled.text, p.textSha256);
  return promptRecord(p);
}

/** The prompt a recorded move's entry names, as the transition event (and its span) carries it; {} when none. */
export function promptEvent(data: Readonly<Record<string, unknown>>): {
  prompt?: { sha256: string; persona: string; personaSha256: string; variant?: string };
} {
  const p = data['prompt'] as
    | { sha256?: unknown; persona?: { id?: unknown; version?: unknown; sha256?: unknown }; variant?: { id?: unknown } }
    | undefined;
  if (typeof p?.sha256 !== 'string' || typeof p.persona?.sha256 !== 'string') return {};
  return {
    prompt: {
      sha256: p.sha256,
      persona: `${String(p.persona.id)}@${String(p.persona.version)}`,
      personaSha256: p.persona.sha256,
      ...(typeof p.variant?.id === 'string' ? { variant: p.variant.id } : {}),
    },
  };
}

/** Evidence files listed at most in the earlier-evidence anchor: the nearest phases' first. */
const MAX_EARLIER = 40;

/**
 * The task's live evidence of the phases before `phase` (the files its ledger records, not archived ones), by phase
 * and name, the nearest phase first: the work this phase builds on, for the agent to read rather than guess.
 */
function earlierEvidence(phases: readonly string[], task: TaskState | undefined, phase: string): string[] {
  const at = phases.indexOf(phase);
  if (!task || at <= 0) return [];
  const dirs = new Map(phases.slice(0, at).map((p, i) => [`evidence/${task.taskId}/${phaseDir(p)}/`, { p, i }]));
  const rows: { i: number; line: string }[] = [];
  for (const path of Object.keys(task.artifacts).sort()) {
    const dir = path.slice(0, path.lastIndexOf('/') + 1);
    const of = dirs.get(dir);
    if (of) rows.push({ i: of.i, line: `- ${path} (${of.p})` });
  }
  return rows
    .sort((a, b) => b.i - a.i)
    .slice(0, MAX_EARLIER)
    .map((r) => r.line);
}

/** The test files that reach `paths` in the cached atlas; none without a cache. */
function cachedImpactedTests(engine: Engine, paths: readonly string[]): string[] {
  const atlas = cachedAtlas({
    root: engine.layout.root,
    stateDir: engine.layout.stateDir,
    globs: engine.config.verify,
  });
  return atlas ? impactOf(indexAtlas(atlas), paths).tests.map((t) => t.path) : [];
}
