/**
 * @module PersonaSpec: who the agent is told to be in a phase (a role, its overlays and skill packs, the rubric it is
 * judged by, the tools it may use, the context it is given), as a versioned, validated document with a canonical
 * form (RFC 8785) and a SHA-256 digest, so that the same spec is the same digest on every machine.
 */
import canonicalize from 'canonicalize';
import * as z from 'zod';
import { CAPABILITIES } from './policy/capabilities.ts';

/** The context a compiled prompt may carry, in the order it is given. */
export const ANCHOR_KINDS = ['acceptance-criteria', 'file-map', 'earlier-evidence', 'instruction-files'] as const;
export type AnchorKind = (typeof ANCHOR_KINDS)[number];

const id = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'lower-case letters, digits and "-", starting with a letter (at most 63)');

/** The document a persona is. */
export const personaSpecSchema = z.strictObject({
  id,
  /** Semantic version of the spec: a change of its text is a new version. */
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'a version such as 1.0.0'),
  /** The role in a few words ("implementer", "security reviewer"). */
  role: z.string().min(1).max(80),
  /** What the role does and how it works, told to the agent. */
  instructions: z.string().min(1).max(8000),
  /** The phases the persona serves; empty: every phase. */
  phases: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/)).default([]),
  /** Overlays always added, whatever the task's domain. */
  overlays: z.array(id).default([]),
  /** Skill packs added. */
  skills: z.array(id).default([]),
  /** How the work is judged, one criterion a line. */
  rubric: z.array(z.string().min(1).max(400)).default([]),
  /** The capabilities the persona may use; it narrows the phase's, never widens them. Absent: the phase's. */
  tools: z.strictObject({ allow: z.array(z.enum(CAPABILITIES)) }).optional(),
  /** The context given with the prompt. */
  /**
   * The context it is given. Left out: the three it has always had, so that a persona written before
   * `earlier-evidence` keeps its digest; name it to have the evidence of earlier phases listed.
   */
  anchors: z.array(z.enum(ANCHOR_KINDS)).default(['acceptance-criteria', 'file-map', 'instruction-files']),
});
export type PersonaSpec = z.output<typeof personaSpecSchema>;

/** A reviewed text added for a domain (web, API, data migrations, …), chosen by the paths a task touches. */
export const overlaySchema = z.strictObject({
  id,
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  title: z.string().min(1).max(80),
  /** Path globs that put a task in this domain. */
  paths: z.array(z.string().min(1)).default([]),
  /** Task labels that pick this overlay besides its id (`--label frontend`). No default: a digest covers what is written. */
  labels: z.array(z.string().min(1).max(64)).optional(),
  text: z.string().min(1).max(8000),
});
export type Overlay = z.output<typeof overlaySchema>;

/** A skill pack: a short, reviewed how-to a persona carries. */
export const skillSchema = z.strictObject({
  id,
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  title: z.string().min(1).max(80),
  text: z.string().min(1).max(8000),
});
export type Skill = z.output<typeof skillSchema>;

/**
 * A prompt variant of a persona: what it says instead of the persona's role, instructions, rubric or skill packs
 * (each absent: the persona's own), and its sampling weight among the persona's variants. A variant that changes
 * nothing is the control arm.
 */
export const personaVariantSchema = z.strictObject({
  id,
  /** The share of tasks that get it, relative to the other variants' weights; 0 takes it out of the draw. */
  weight: z.number().int().min(0).max(10_000),
  role: z.string().min(1).max(80).optional(),
  instructions: z.string().min(1).max(8000).optional(),
  rubric: z.array(z.string().min(1).max(400)).optional(),
  skills: z.array(id).optional(),
});
export type PersonaVariant = z.output<typeof personaVariantSchema>;

/**
 * The variant drawn for `bucket`, a number the caller derives from the task (so that every move of a task draws the
 * same one): the variants laid end to end by weight, in the order written, and the one `bucket` falls in, modulo
 * their total weight. Undefined when there is none to draw (no variants, or every weight 0).
 */
export function pickVariant(variants: readonly PersonaVariant[], bucket: number): PersonaVariant | undefined {
  const total = variants.reduce((n, v) => n + v.weight, 0);
  if (total <= 0) return undefined;
  let at = Math.abs(Math.trunc(bucket)) % total;
  for (const v of variants) {
    if (at < v.weight) return v;
    at -= v.weight;
  }
  return undefined;
}

/** The persona as a variant tells it: the variant's role, instructions, rubric and skills where it gives them. */
export function applyVariant(persona: PersonaSpec, variant: PersonaVariant | undefined): PersonaSpec {
  if (!variant) return persona;
  return {
    ...persona,
    ...(variant.role !== undefined ? { role: variant.role } : {}),
    ...(variant.instructions !== undefined ? { instructions: variant.instructions } : {}),
    ...(variant.rubric !== undefined ? { rubric: variant.rubric } : {}),
    ...(variant.skills !== undefined ? { skills: variant.skills } : {}),
  };
}

/** The canonical form of a document (RFC 8785): the bytes its digest covers. */
export function canonicalForm(doc: unknown): string {
  const text = canonicalize(doc);
  if (text === undefined) throw new Error('a persona document has no canonical form');
  return text;
}

/** A refusal-free check of a persona document: the parsed spec, or the problems with their paths. */
export function parsePersona(
  doc: unknown,
): { ok: true; value: PersonaSpec } | { ok: false; issues: { path: string; message: string }[] } {
  const r = personaSpecSchema.safeParse(doc);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    issues: r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })),
  };
}

/**
 * The capabilities of a call that the persona's allowlist leaves out, in the order given: empty when the persona has
 * no allowlist (it keeps the phase's capabilities) or allows them all. The allowlist only ever narrows: the phase's
 * own decision is made first, and a persona cannot allow what the phase denies.
 */
export function outsideAllowlist<C extends string>(persona: PersonaSpec, capabilities: readonly C[]): C[] {
  const allow = persona.tools?.allow;
  if (!allow) return [];
  return capabilities.filter((c) => !(allow as readonly string[]).includes(c));
}
