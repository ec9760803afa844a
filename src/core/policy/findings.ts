/** @module What a classifier found about one tool call: capabilities, unknowns, reasons and paths. */
import { sortCapabilities, type Capability } from './capabilities.ts';

/** What a tool call needs, as the classifier sees it. */
export interface Classification {
  /** The capabilities the call needs, deduplicated, in canonical order. */
  readonly capabilities: Capability[];
  /** True when the classifier cannot tell what the call does: such a call is denied in every phase. */
  readonly unknown: boolean;
  /** Why: `"git push is vcs:push"`, `"$CMD: the command name is not a literal"`, … */
  readonly reasons: string[];
  /** Files the call writes (or reads, for file tools), repo-relative when inside the repository. */
  readonly paths?: string[];
}

const MAX_REASONS = 24;

/** A mutable collector that classifiers share while they walk one tool call. */
export class Findings {
  private readonly caps = new Set<Capability>();
  private readonly reasonSet = new Set<string>();
  private readonly pathSet = new Set<string>();
  private isUnknown = false;

  /** Records that the call needs `cap` because of `what` (`"git push"`); the reason reads `"git push is vcs:push"`. */
  need(cap: Capability, what: string): void {
    this.caps.add(cap);
    this.reason(`${what} is ${cap}`);
  }

  /** Records that part of the call cannot be classified: the whole call becomes unknown. */
  unknown(reason: string): void {
    this.isUnknown = true;
    this.reason(reason);
  }

  /** Adds an explanation that changes nothing. */
  reason(text: string): void {
    if (this.reasonSet.size < MAX_REASONS) this.reasonSet.add(text);
  }

  /** Records a file the call touches. */
  path(path: string): void {
    this.pathSet.add(path);
  }

  /** True once anything made the call unknown. */
  get isUnknownCall(): boolean {
    return this.isUnknown;
  }

  /** The capabilities found so far. */
  get capabilities(): ReadonlySet<Capability> {
    return this.caps;
  }

  /** The classification so far. */
  result(): Classification {
    const out: Classification = {
      capabilities: sortCapabilities(this.caps),
      unknown: this.isUnknown,
      reasons: [...this.reasonSet],
    };
    return this.pathSet.size > 0 ? { ...out, paths: [...this.pathSet] } : out;
  }
}
