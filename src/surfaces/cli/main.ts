/**
 * @module The `autopilot` command line: the program with the verbs of the
 * table in commands/, and the only place where outcomes are turned into output
 * and exit codes (0 done, 1 usage or internal error, 2 refused by the process,
 * 3 integrity failure).
 */
import { Command, CommanderError, Option } from 'commander';
import pc from 'picocolors';
import { AutopilotError, ErrorCode, exitCodeFor, type Refusal } from '../../core/errors.ts';
import { UsageError, type VerbResult } from './runtime.ts';
import { formatRefusal } from './format.ts';
import { withCliNextStep } from './next-step.ts';
import { packageVersion } from '../../engine/setup/package-info.ts';
import { existsSync } from 'node:fs';
import { WALL_MARKER } from '../../core/wall.ts';
import { wallRefusal } from './wall-gate.ts';
import { registerVerbs } from './commands/index.ts';
import { example, type Action, type Opts } from './commands/shared.ts';

let jsonMode = process.argv.includes('--json');

function print(result: VerbResult, verb?: string): number {
  if (result.ok) {
    if (result.streamed) return result.exitCode ?? 0;
    if (jsonMode) process.stdout.write(`${JSON.stringify({ ok: true, ...(result.value as object) })}\n`);
    else if (result.text) process.stdout.write(`${result.text}\n`);
    return result.exitCode ?? 0;
  }
  // A refusal may carry a readable report of its own (the gate's): text mode prints it before the refusal.
  if (!jsonMode && result.text) process.stdout.write(`${result.text}\n`);
  return printError(result.error, verb);
}

function printError(refusal: Refusal, verb?: string): number {
  const error = withCliNextStep(refusal, verb);
  if (jsonMode) process.stdout.write(`${JSON.stringify({ ok: false, error })}\n`);
  else process.stderr.write(`${formatRefusal(error)}\n`);
  return exitCodeFor(error.code);
}

function toRefusal(err: unknown): Refusal {
  if (err instanceof AutopilotError) return err.toRefusal();
  if (err instanceof UsageError)
    return { code: ErrorCode.USAGE, message: err.message, details: { argument: err.argument } };
  const message = err instanceof Error ? err.message : String(err);
  // SQLite's word for a damaged store file: an integrity failure, not a bug of Autopilot's.
  const sqlite = (err as { code?: unknown } | null)?.code;
  if (typeof sqlite === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(sqlite)) {
    return {
      code: ErrorCode.LEDGER_TAMPERED,
      message: `the store file is damaged (${sqlite}: ${message}); restore it from a backup, or keep it aside for a person to examine`,
      details: { reason: sqlite },
    };
  }
  return {
    code: ErrorCode.INTERNAL,
    message: `internal error: ${message}`,
    details: { stack: err instanceof Error ? err.stack?.split('\n').slice(0, 6) : undefined },
  };
}

/** Wraps a verb so that commander hands it its arguments and options merged with the global ones. */
function act<F extends Action>(fn: F) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.optsWithGlobals<Opts>();
    jsonMode = !!opts.json;
    const positional = args.slice(0, -2);
    try {
      process.exitCode = print(
        await (fn as unknown as (...a: unknown[]) => Promise<VerbResult>)(...positional, opts),
        cmd.name(),
      );
    } catch (err) {
      process.exitCode = printError(toRefusal(err));
    }
  };
}

/** The program: its global options and help, then every verb of the table in `commands/`. */
export function buildProgram(): Command {
  const program = new Command('autopilot')
    .description(
      'Carries every task through STRATEGIZE → SPEC → PLAN → THINK → IMPLEMENT → VERIFY → REVIEW → PR → MONITOR,\nchecks the evidence of each phase and records every step in a signed, hash-chained ledger.',
    )
    .version(packageVersion())
    .option('--json', 'print one JSON object: {"ok": true, …} or {"ok": false, "error": {code, message, details}}')
    .option('--holder <id>', 'lease holder id (default: $AUTOPILOT_HOLDER, else this user at this host)')
    .option(
      '--role <role>',
      "reviewer: act as a reviewer, who writes the review rubric and nothing else (default: $AUTOPILOT_ROLE, else a working agent); a person's review is signed in the dashboard, never a role here",
    )
    .addOption(new Option('-C, --cwd <dir>', 'run as if started in <dir>'))
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `\nExit codes: 0 done · 1 usage or internal error · 2 refused by the process · 3 integrity failure.\n${example(`
        autopilot init
        autopilot task start T-1 --title "Add rate limiting"
        autopilot evidence add T-1 STRATEGIZE ./strategy.md
        autopilot advance T-1
        autopilot demo`)}`,
    );
  // Before any subcommand is added: commander copies these settings into each subcommand as it is
  // created, so that a subcommand's usage error (a missing --reason, say) is thrown to main and
  // reported as a USAGE refusal (one JSON object with --json) instead of exiting the process.
  program.exitOverride().configureOutput({
    writeErr: (s) => {
      if (!jsonMode) process.stderr.write(s);
    },
    // main prints every usage error itself, as a refusal: commander's own line would say it twice.
    outputError: () => {},
  });

  registerVerbs(program, act);
  return program;
}

/** The refusal for `autopilot <group>` without a verb: which verbs the group has, and where its help is. */
function missingVerb(program: Command, argv: readonly string[]): Refusal {
  const group = program.commands.find((c) => c.commands.length > 0 && argv.slice(2).includes(c.name()));
  if (!group)
    return {
      code: ErrorCode.USAGE,
      message: 'a command is needed; see: autopilot --help',
      details: { argument: 'command' },
    };
  const verbs = group.commands.map((c) => c.name()).filter((n) => n !== 'help');
  return {
    code: ErrorCode.USAGE,
    message: `autopilot ${group.name()} needs one of its commands: ${verbs.join(', ')}; see: autopilot ${group.name()} --help`,
    details: { argument: 'command', commands: verbs },
  };
}

export async function main(argv: string[]): Promise<void> {
  const walled = wallRefusal(argv.slice(2), process.env, existsSync(WALL_MARKER));
  if (walled) {
    process.exitCode = printError(walled);
    return;
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        (err.code === 'commander.help' && err.exitCode === 0)
      ) {
        process.exitCode = 0;
        return;
      }
      if (err.code === 'commander.help') {
        // A group of verbs named without one of its verbs: commander has shown the group's help on stderr.
        process.exitCode = printError(missingVerb(program, argv));
        return;
      }
      process.exitCode = printError({
        code: ErrorCode.USAGE,
        message: err.message.replace(/^error: /, ''),
        details: { argument: err.code },
      });
      if (!jsonMode) process.stderr.write(pc.dim('see: autopilot --help\n'));
      return;
    }
    process.exitCode = printError(toRefusal(err));
  }
}

await main(process.argv);
