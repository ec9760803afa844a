/**
 * @module What a task's page shows of the prompts its phases ran with: for each visit of a phase, the prompt the move
 * that entered it recorded (`data.prompt` of its entry), and the compiled text from the state folder's prompts/ cache
 * when that text still hashes to the digest the ledger recorded.
 */
import type { LedgerEntry } from '../../../core/ledger.ts';
import type { Engine } from '../../../engine/context.ts';
import { readPromptText, type StoredPrompt } from '../../../engine/drift/prompt-text.ts';
import type { PhaseVisit } from './graph.ts';

export interface PromptVisitView {
  readonly phase: string;
  /** The entry that entered the phase and recorded the prompt. */
  readonly seq: number;
  /** The visit's evidence was archived by a backtrack. */
  readonly stale: boolean;
  readonly persona: { readonly id: string; readonly version: string; readonly sha256: string };
  readonly variant: string | null;
  readonly overlays: readonly string[];
  readonly tokens: number | null;
  /** The prompt's digest as recorded (with a variant, that of the text and the variant together). */
  readonly sha256: string;
  /** The digest of the compiled text alone, which names its stored file. */
  readonly textSha256: string;
  readonly text: StoredPrompt;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

function promptOf(engine: Engine, v: PhaseVisit, entry: LedgerEntry | undefined): PromptVisitView | null {
  const p = entry?.data['prompt'];
  if (!p || typeof p !== 'object') return null;
  const d = p as Record<string, unknown>;
  const sha256 = str(d['sha256']);
  if (!sha256) return null;
  const persona = (d['persona'] ?? {}) as Record<string, unknown>;
  const variant = d['variant'] as Record<string, unknown> | undefined;
  // Without a variant the prompt's digest is its text's: only a move with a variant records textSha256 apart.
  const textSha256 = str(d['textSha256']) || sha256;
  return {
    phase: v.phase,
    seq: v.seq,
    stale: v.stale,
    persona: { id: str(persona['id']), version: str(persona['version']), sha256: str(persona['sha256']) },
    variant: variant && typeof variant['id'] === 'string' ? variant['id'] : null,
    overlays: Array.isArray(d['overlays']) ? d['overlays'].filter((o): o is string => typeof o === 'string') : [],
    tokens: typeof d['tokens'] === 'number' ? d['tokens'] : null,
    sha256,
    textSha256,
    text: readPromptText(engine.layout.stateDir, textSha256),
  };
}

/** The prompt of each visit, in order; undefined when no move of the task recorded one. */
export function taskPrompts(
  engine: Engine,
  visits: readonly PhaseVisit[],
  entries: readonly LedgerEntry[],
): readonly PromptVisitView[] | undefined {
  const bySeq = new Map(entries.map((x) => [x.seq, x]));
  const out = visits.flatMap((v) => promptOf(engine, v, bySeq.get(v.seq)) ?? []);
  return out.length ? out : undefined;
}
