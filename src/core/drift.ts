/**
 * @module Drift of the agent's instructions, pure part: stable normalisation of the instruction texts
 * and the comparison of a baseline with what the agent is given now.
 */

/** Digests of the attested inputs: one header per phase, and each instruction file by path. */
export interface InstructionDigests {
  readonly headers: Readonly<Record<string, string>>;
  readonly files: Readonly<Record<string, string>>;
  /**
   * Each persona, overlay and skill pack a prompt can be compiled from, `persona:<id>`, `overlay:<id>` and
   * `skill:<id>` → the digest of its canonical form. Absent in baselines recorded before personas: nothing to compare them with.
   */
  readonly personas?: Readonly<Record<string, string>>;
}

export interface Baseline extends InstructionDigests {
  readonly version: string;
  /** The ledger entry that recorded it. */
  readonly seq: number;
}

export interface Drift {
  /** A file path, or `prompt:<PHASE>` for the phase header. */
  readonly input: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly old: string | null;
  readonly new: string | null;
}

/**
 * What is hashed: line endings unified, trailing white space and blank lines at
 * the end dropped, so that an editor's re-save never reads as drift.
 */
export function normalizeForDigest(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');
}

/** Drift of the instruction files, and of the header of `phase` when given. */
export function compareInstructions(
  baseline: InstructionDigests,
  current: InstructionDigests,
  phase?: string,
): Drift[] {
  const drift: Drift[] = [];
  const compare = (was: Readonly<Record<string, string>>, now: Readonly<Record<string, string>>) => {
    const keys = new Set([...Object.keys(was), ...Object.keys(now)]);
    for (const p of [...keys].sort()) {
      const a = was[p] ?? null;
      const b = now[p] ?? null;
      if (a === b) continue;
      drift.push({ input: p, change: a === null ? 'added' : b === null ? 'removed' : 'changed', old: a, new: b });
    }
  };
  compare(baseline.files, current.files);
  // A persona, overlay or skill pack whose text changed is prompt drift like an instruction file's, by the same rules.
  if (baseline.personas && current.personas) {
    // A kind the baseline holds none of (skill packs, before they were attested) has nothing to compare with; every
    // kind has shipped members, so a baseline that attested a kind holds some of it.
    const kinds = new Set(Object.keys(baseline.personas).map((k) => k.split(':')[0]));
    const now = Object.fromEntries(Object.entries(current.personas).filter(([k]) => kinds.has(k.split(':')[0])));
    compare(baseline.personas, now);
  }
  if (phase !== undefined) {
    const a = baseline.headers[phase] ?? null;
    const b = current.headers[phase] ?? null;
    if (a !== b)
      drift.push({
        input: `prompt:${phase}`,
        change: a === null ? 'added' : b === null ? 'removed' : 'changed',
        old: a,
        new: b,
      });
  }
  return drift;
}
