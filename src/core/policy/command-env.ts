/** @module The interface between the shell walker and the command handlers that classify one argv. */
import type { Findings } from './findings.ts';
import type { ShellWord } from './shell-words.ts';

/** Where a command's standard input comes from, as far as the walker can see. */
export type Stdin =
  | { readonly kind: 'none' }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'file' }
  | { readonly kind: 'dynamic' };

/** What a command handler may ask of the walker. */
export interface CommandEnv {
  readonly findings: Findings;
  /** The command's standard input (a literal here-document is `text`). */
  readonly stdin: Stdin;
  /** True when more arguments are appended that nobody can see (`xargs cmd`). */
  readonly trailingUnknown: boolean;
  /** True when relative paths in the arguments do not resolve against the shell's directory (`env -C dir cmd`). */
  readonly cwdUnknown: boolean;
  /** Records a write to `target` (undefined: a target nobody can know). A `link` is always `write:source`. */
  write(target: ShellWord | undefined, what: string, options?: { readonly link?: boolean }): void;
  /** Classifies a shell script given as a string (`bash -c '…'`, `eval`, aliases, git `!` aliases). */
  script(source: string, what: string): void;
  /** Records a change of directory: later relative paths can no longer be resolved. */
  chdir(target: ShellWord | undefined): void;
  /**
   * An alias defined in the same command: its words when it is one simple command, null when it
   * is a compound command, undefined when there is no such alias.
   */
  alias(name: string): readonly ShellWord[] | null | undefined;
  /** True when a shell function of that name is defined in the same command (its body is classified where defined). */
  isFunction(name: string): boolean;
  /** The same environment with some fields changed, for a wrapped command. */
  derive(changes: Partial<Pick<CommandEnv, 'findings' | 'stdin' | 'trailingUnknown' | 'cwdUnknown'>>): CommandEnv;
}

/** What a command handler gets besides its arguments. */
export interface Cx {
  readonly env: CommandEnv;
  /** The command's name without its directory (`/usr/bin/git` → `git`). */
  readonly name: string;
  /** Classifies a nested argv (the command a wrapper runs) with `env`, or this environment. */
  run(argv: readonly ShellWord[], env?: CommandEnv): void;
}

/** Classifies the arguments of one command (the argv without its name). */
export type Handler = (args: readonly ShellWord[], cx: Cx) => void;
