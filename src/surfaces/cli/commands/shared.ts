/** @module What the verbs' registrations share: the options type, the action wrapper's type, the examples block. */
import type { GlobalOptions, VerbResult } from '../runtime.ts';

/** A verb's options, merged with the global ones (`--json`, `--holder`, `--cwd`). */
export type Opts = GlobalOptions & Record<string, unknown>;

/** A verb's function: its positional arguments, then its options. */
export type Action = (...args: never[]) => Promise<VerbResult>;

/**
 * main's wrapper that turns a verb's function into commander's action: it merges the options, prints the
 * outcome and sets the exit code. Handed to each registration, so that only main turns outcomes into output.
 */
export type Act = (fn: Action) => (...args: unknown[]) => Promise<void>;

/** The "Examples:" block of a verb's help, one `$ command` a line. */
export const example = (lines: string) =>
  `\nExamples:\n${lines
    .trim()
    .split('\n')
    .map((l) => `  $ ${l.trim()}`)
    .join('\n')}\n`;
