/** @module Command-line option parsing for the guard: split options and operands as getopt would. */
import { isExact, type ShellWord } from './shell-words.ts';

/** How a command's options look. */
export interface OptionSpec {
  /** Short option letters that take a value (`"uCg"` for `-u root`, `-uroot`). */
  readonly short?: string;
  /** Long options that take a value (`"--user"`), written without `=`. */
  readonly long?: readonly string[];
  /** True (GNU style) when options may follow operands; false stops at the first operand. */
  readonly permute?: boolean;
}

/** One parsed option: its name (`-u`, `--user`) and value when it takes one. */
export interface ParsedOption {
  readonly name: string;
  readonly value?: ShellWord;
}

/** Options and operands of an argument list. */
export interface ParsedArgs {
  readonly options: readonly ParsedOption[];
  readonly operands: readonly ShellWord[];
  /** Index in the arguments of the first operand (for commands that run the rest), or the length. */
  readonly firstOperand: number;
}

/** Splits `args` into options and operands; `--` ends the options. */
export function parseOptions(args: readonly ShellWord[], spec: OptionSpec = {}): ParsedArgs {
  const options: ParsedOption[] = [];
  const operands: ShellWord[] = [];
  let firstOperand = -1;
  const short = spec.short ?? '';
  const long = new Set(spec.long ?? []);
  const rest = (from: number): void => {
    if (firstOperand < 0) firstOperand = from;
    for (let k = from; k < args.length; k++) operands.push(args[k] as ShellWord);
  };
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as ShellWord;
    const text = word.text;
    if (!isExact(word) || !text.startsWith('-') || text === '-') {
      if (!spec.permute) {
        rest(i);
        break;
      }
      if (firstOperand < 0) firstOperand = i;
      operands.push(word);
      continue;
    }
    if (text === '--') {
      rest(i + 1);
      break;
    }
    if (text.startsWith('--')) {
      const eq = text.indexOf('=');
      if (eq > 0) options.push({ name: text.slice(0, eq), value: { ...word, text: text.slice(eq + 1) } });
      else if (long.has(text) && i + 1 < args.length) options.push({ name: text, value: args[++i] as ShellWord });
      else options.push({ name: text });
      continue;
    }
    for (let j = 1; j < text.length; j++) {
      const letter = text[j] ?? '';
      if (!short.includes(letter)) {
        options.push({ name: `-${letter}` });
        continue;
      }
      const attached = text.slice(j + 1);
      if (attached) options.push({ name: `-${letter}`, value: { ...word, text: attached } });
      else if (i + 1 < args.length) options.push({ name: `-${letter}`, value: args[++i] as ShellWord });
      else options.push({ name: `-${letter}` });
      break;
    }
  }
  return { options, operands, firstOperand: firstOperand < 0 ? args.length : firstOperand };
}

/** True when one of `names` (`-f`, `--force`) was given. */
export function hasOption(parsed: ParsedArgs, ...names: readonly string[]): boolean {
  return parsed.options.some((o) => names.includes(o.name));
}

/** The value of the last of `names` that was given. */
export function optionValue(parsed: ParsedArgs, ...names: readonly string[]): ShellWord | undefined {
  let found: ShellWord | undefined;
  for (const o of parsed.options) if (names.includes(o.name) && o.value) found = o.value;
  return found;
}
