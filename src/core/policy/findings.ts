/** @module What a classifier found about one tool call: capabilities, unknowns, reasons and paths. */
import { sortCapabilities, type Capability } from './capabilities.ts';

/** One capability a call needs, and the part of the call that needs it (`git push`). */
export interface Need {
  readonly capability: Capability;
  readonly subject: string;
}

/** What a tool call needs, as the classifier sees it. */
export interface Classification {
  /** The capabilities the call needs, deduplicated, in canonical order. */
  readonly capabilities: Capability[];
  /** True when the classifier cannot tell what the call does: such a call is denied in every phase. */
  readonly unknown: boolean;
  /** What needs each capability, in the order the classifier met them. */
  readonly needs: Need[];
  /** Everything else it has to say: why the call is unknown (`"$CMD: the command name is not a literal"`), or what it saw. */
  readonly notes: string[];
  /** Files the call writes (or reads, for file tools), repo-relative when inside the repository. */
  readonly paths?: string[];
}

const MAX_REASONS = 24;

/** A mutable collector that classifiers share while they walk one tool call. */
export class Findings {
  private readonly caps = new Set<Capability>();
  private readonly needList: Need[] = [];
  private readonly noteSet = new Set<string>();
  private readonly pathSet = new Set<string>();
  private isUnknown = false;
  private volatile = false;

  /** Records that the classification rests on the file system as it is now (a symlink): it must not be cached. */
  markVolatile(): void {
    this.volatile = true;
  }

  /** True when the classification must not be cached. */
  get isVolatile(): boolean {
    return this.volatile;
  }

  /** Records that the call needs `cap` because of `what` (`"git push"`). */
  need(cap: Capability, what: string): void {
    this.caps.add(cap);
    if (this.full() || this.needList.some((n) => n.capability === cap && n.subject === what)) return;
    this.needList.push({ capability: cap, subject: what });
  }

  /** Records that part of the call cannot be classified: the whole call becomes unknown. */
  unknown(reason: string): void {
    this.isUnknown = true;
    this.reason(reason);
  }

  /** Adds an explanation that changes nothing. */
  reason(text: string): void {
    if (!this.full()) this.noteSet.add(text);
  }

  private full(): boolean {
    return this.needList.length + this.noteSet.size >= MAX_REASONS;
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
      needs: [...this.needList],
      notes: [...this.noteSet],
    };
    return this.pathSet.size > 0 ? { ...out, paths: [...this.pathSet] } : out;
  }
}

/** A classification's explanations as sentences: `"git push is vcs:push"` for each need, then the notes. */
export function reasonsOf(c: Classification): string[] {
  return [...c.needs.map((n) => `${n.subject} is ${n.capability}`), ...c.notes];
}
