/**
 * @module The prompt compiler: the phase's instructions, then the persona's role, the domain overlays, the skill
 * packs, the rubric and the context anchors, in a fixed order and within a token budget. A pure function: the same
 * inputs give the same bytes, so a prompt's digest names exactly what an agent was told.
 */
import { globToRegExp } from './risk.ts';
import { ANCHOR_KINDS, type AnchorKind, type Overlay, type PersonaSpec, type Skill } from './persona.ts';

/** A piece of the task's context given with the prompt. */
export interface Anchor {
  readonly kind: AnchorKind;
  readonly title: string;
  readonly text: string;
}

export interface CompileInput {
  /** The phase's stable instructions (the text prompt attestation digests). */
  readonly header: string;
  readonly persona: PersonaSpec;
  readonly overlays: readonly Overlay[];
  readonly skills: readonly Skill[];
  readonly anchors: readonly Anchor[];
  /** The most tokens the prompt may take, by {@link estimateTokens}. */
  readonly budgetTokens: number;
}

export type PartKind = 'header' | 'persona' | 'overlay' | 'skill' | 'rubric' | 'anchor';

export interface CompiledPart {
  readonly kind: PartKind;
  readonly id: string;
  readonly tokens: number;
  /** Cut to fit the budget. */
  readonly cut: boolean;
}

export interface CompiledPrompt {
  readonly text: string;
  readonly tokens: number;
  readonly parts: readonly CompiledPart[];
  /** Parts left out because the budget was spent, in the order they would have come. */
  readonly omitted: readonly { readonly kind: PartKind; readonly id: string }[];
}

/** A fixed, tokenizer-free estimate: four bytes of UTF-8 a token, rounded up. */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
}

/** The overlays a task's labels pick: an overlay whose id, or one of whose labels, is a label (case-insensitive). */
export function overlaysForLabels(library: ReadonlyMap<string, Overlay>, labels: readonly string[]): string[] {
  const wanted = new Set(labels.map((l) => l.toLowerCase()));
  return [...library.values()]
    .filter((o) => wanted.has(o.id) || (o.labels ?? []).some((l) => wanted.has(l.toLowerCase())))
    .map((o) => o.id);
}

/** The overlays a task gets: the persona's own, those named for the task, and those whose paths the task touches. */
export function routeOverlays(
  library: ReadonlyMap<string, Overlay>,
  persona: PersonaSpec,
  paths: readonly string[],
  named: readonly string[] = [],
): Overlay[] {
  const chosen = new Map<string, Overlay>();
  for (const id of [...persona.overlays, ...named]) {
    const o = library.get(id);
    if (o) chosen.set(id, o);
  }
  for (const o of library.values()) {
    if (chosen.has(o.id) || !o.paths.length) continue;
    const globs = o.paths.map(globToRegExp);
    if (paths.some((p) => globs.some((g) => g.test(p.replace(/^\.\//, ''))))) chosen.set(o.id, o);
  }
  return [...chosen.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Cuts `text` at a line boundary so that it fits `tokens`, saying how much was left out. */
function cutToFit(text: string, tokens: number): string | undefined {
  const lines = text.split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    const next = [...kept, line, `[… ${lines.length - kept.length - 1} more lines]`].join('\n');
    if (estimateTokens(next) > tokens) break;
    kept.push(line);
  }
  if (!kept.length) return undefined;
  return kept.length === lines.length ? text : `${kept.join('\n')}\n[… ${lines.length - kept.length} more lines]`;
}

/**
 * Compiles the prompt, in the order: the phase's instructions, the persona's role, the overlays and skill packs (by
 * id), the rubric, the anchors (in their fixed order). The instructions, the role and the rubric always go in (they
 * are the contract and the judge) and their tokens are set aside first; overlays, skills and anchors take what is
 * left of the budget in that order: the last that fits is cut at a line, the rest are named in `omitted`.
 */
export function compilePrompt(input: CompileInput): CompiledPrompt {
  const { persona } = input;
  type Block = { kind: PartKind; id: string; text: string; required: boolean };
  const byId = <T extends { id: string }>(xs: readonly T[]) =>
    [...xs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const order = (k: AnchorKind) => ANCHOR_KINDS.indexOf(k);
  const blocks: Block[] = [
    { kind: 'header', id: 'phase', text: input.header.trimEnd(), required: true },
    {
      kind: 'persona',
      id: `${persona.id}@${persona.version}`,
      text: `## Your role: ${persona.role}\n${persona.instructions.trim()}`,
      required: true,
    },
    ...byId(input.overlays).map((o) => ({
      kind: 'overlay' as const,
      id: `${o.id}@${o.version}`,
      text: `## Domain: ${o.title}\n${o.text.trim()}`,
      required: false,
    })),
    ...byId(input.skills).map((k) => ({
      kind: 'skill' as const,
      id: `${k.id}@${k.version}`,
      text: `## Skill: ${k.title}\n${k.text.trim()}`,
      required: false,
    })),
    ...(persona.rubric.length
      ? [
          {
            kind: 'rubric' as const,
            id: persona.id,
            text: `## How your work is judged\n${persona.rubric.map((r) => `- ${r.trim()}`).join('\n')}`,
            required: true,
          },
        ]
      : []),
    ...input.anchors
      .filter((a) => persona.anchors.includes(a.kind) && a.text.trim())
      .sort((a, b) => order(a.kind) - order(b.kind) || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0))
      .map((a) => ({
        kind: 'anchor' as const,
        id: a.kind,
        text: `## Context: ${a.title}\n${a.text.trim()}`,
        required: false,
      })),
  ];
  // Each block but the first is preceded by a blank line: two bytes, counted with it.
  const cost = (text: string) => estimateTokens(`\n\n${text}`);
  let room = input.budgetTokens - blocks.filter((b) => b.required).reduce((n, b) => n + cost(b.text), 0);
  const kept: { kind: PartKind; id: string; text: string; cut: boolean }[] = [];
  const omitted: { kind: PartKind; id: string }[] = [];
  for (const b of blocks) {
    if (b.required) {
      kept.push({ ...b, cut: false });
      continue;
    }
    const tokens = cost(b.text);
    if (tokens <= room) {
      kept.push({ ...b, cut: false });
      room -= tokens;
      continue;
    }
    const cut = room > 16 ? cutToFit(b.text, room - 1) : undefined;
    if (cut === undefined) {
      omitted.push({ kind: b.kind, id: b.id });
      room = 0;
      continue;
    }
    kept.push({ ...b, text: cut, cut: true });
    room = 0;
  }
  const text = `${kept.map((k) => k.text).join('\n\n')}\n`;
  return {
    text,
    tokens: estimateTokens(text),
    parts: kept.map((k) => ({ kind: k.kind, id: k.id, tokens: estimateTokens(k.text), cut: k.cut })),
    omitted,
  };
}
