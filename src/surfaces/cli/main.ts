/**
 * @module The `autopilot` command line: verbs are registered here, and only
 * here are outcomes turned into output and exit codes (0 done, 1 usage or
 * internal error, 2 refused by the process, 3 integrity failure).
 */
import { Command, CommanderError, Option } from 'commander';
import pc from 'picocolors';
import { AutopilotError, ErrorCode, exitCodeFor, type Refusal } from '../../core/errors.ts';
import { UsageError, type GlobalOptions, type VerbResult } from './runtime.ts';
import { formatRefusal } from './format.ts';
import { packageVersion } from '../../engine/setup/package-info.ts';
import { existsSync } from 'node:fs';
import { WALL_MARKER } from '../../core/wall.ts';
import { wallRefusal } from './wall-gate.ts';

type Opts = GlobalOptions & Record<string, unknown>;
type Action = (...args: never[]) => Promise<VerbResult>;

let jsonMode = process.argv.includes('--json');

function print(result: VerbResult): number {
  if (result.ok) {
    if (result.streamed) return result.exitCode ?? 0;
    if (jsonMode) process.stdout.write(`${JSON.stringify({ ok: true, ...(result.value as object) })}\n`);
    else if (result.text) process.stdout.write(`${result.text}\n`);
    return result.exitCode ?? 0;
  }
  // A refusal may carry a readable report of its own (the gate's): text mode prints it before the refusal.
  if (!jsonMode && result.text) process.stdout.write(`${result.text}\n`);
  return printError(result.error);
}

function printError(error: Refusal): number {
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
      process.exitCode = print(await (fn as unknown as (...a: unknown[]) => Promise<VerbResult>)(...positional, opts));
    } catch (err) {
      process.exitCode = printError(toRefusal(err));
    }
  };
}

/** What "checked for content" means, for the help of the verbs that check evidence. */
const CONTENT_CHECKS = `Checked for content: besides the contract's sections, word counts, schemas and patterns, Markdown
evidence is refused for filler, each finding with its rule id and fix:
  distinct-words     a section of one word or one phrase over and over
  repeated-section   a section that repeats another one of the document
  copied-text        a section copied from the phase prompts, the README or an earlier task's file
  spec-grounding     a file map (PLAN) or diff (IMPLEMENT) the spec's Acceptance Criteria say nothing about
Settings per artifact in .autopilot/config.yaml: distinctWords, repeatedSections, copiedText, groundedIn.
`;

const example = (lines: string) =>
  `\nExamples:\n${lines
    .trim()
    .split('\n')
    .map((l) => `  $ ${l.trim()}`)
    .join('\n')}\n`;

export function buildProgram(): Command {
  const program = new Command('autopilot')
    .description(
      'Carries every task through STRATEGIZE → SPEC → PLAN → THINK → IMPLEMENT → VERIFY → REVIEW → PR → MONITOR,\nchecks the evidence of each phase and records every step in a signed, hash-chained ledger.',
    )
    .version(packageVersion())
    .option('--json', 'print one JSON object: {"ok": true, …} or {"ok": false, "error": {code, message, details}}')
    .option('--holder <id>', 'lease holder id (default: $AUTOPILOT_HOLDER, else this user at this host)')
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

  program
    .command('init')
    .description(
      'set Autopilot up in this git repository: config, key pair, store, .gitignore lines, CI job, MCP entry, agent and git hooks, AGENTS.md section',
    )
    .option('--dry-run', 'show what would be written, write nothing')
    .option('--yes', 'do not ask (init never asks today; accepted for scripts)')
    .addHelpText(
      'after',
      `
In a Node repository, install the package first and run the installed copy:
npm install --save-dev agent-autopilot, then npx --no-install autopilot init. The hooks,
.mcp.json, the CI job and AGENTS.md then run the repository's own copy
(node_modules/.bin/autopilot) and work in every clone after npm install. Elsewhere
(a Python or Go repository, with npm install --global agent-autopilot) they name this
machine's Node and bin script by absolute path, autopilot doctor warns of it, and the CI
job installs the exact version that wrote it. Never a bare \`npx autopilot\`: on the
registry, the name autopilot is another project's package.
It detects the test, build and lint commands (asking which interpreters and tools are
installed), writes every section of the config with a comment, and adds the state folder,
the tools' caches and the test reports to .gitignore. The checks it leaves unconfigured
(no linter, no CI commands, no smoke test) it names in its next steps: configure each,
or uncomment its waiver under waive: in the config. Commit what it wrote before the
first task: task start refuses until the config is committed.
${example('npx --no-install autopilot init --dry-run\nnpx --no-install autopilot init\ngit add .autopilot .gitignore && git commit -m "Set up Autopilot"')}`,
    )
    .action(act(async (opts: Opts) => (await import('./verbs/init.ts')).initVerb(opts)));

  const task = program.command('task').description('start, list, inspect and rename tasks');
  task
    .command('start <TASK>')
    .description(
      "start a task in the first phase; its base commit is recorded for the diff (refused while init's config is not committed)",
    )
    .option('--title <text>', 'what the task is about')
    .option('--base <ref>', 'the commit the task starts from (default HEAD)')
    .addHelpText('after', example('autopilot task start T-1 --title "Fix login redirect" --base main'))
    .action(act(async (id: string, opts: Opts) => (await import('./verbs/task.ts')).taskStart(id, opts)));
  task
    .command('list')
    .description('every task with its status and phase')
    .option('--status <status>', 'only active, done or aborted tasks')
    .addHelpText('after', example('autopilot task list --status active'))
    .action(act(async (opts: Opts) => (await import('./verbs/task.ts')).taskList(opts)));
  task
    .command('status <TASK>')
    .description('where a task is, what its phase needs, and who holds its lease')
    .addHelpText('after', example('autopilot task status T-1 --json'))
    .action(act(async (id: string, opts: Opts) => (await import('./verbs/task.ts')).taskStatus(id, opts)));
  task
    .command('rename <TASK>')
    .description("give an active task a new title (its phase, evidence and history stay); needs the task's lease")
    .requiredOption('--title <text>', 'the new title, one line of at most 200 characters')
    .option('--token <n>', 'the lease token you hold (fencing)')
    .addHelpText(
      'after',
      example(
        'autopilot task rename T-1 --title "Rate-limit the login endpoint only"\nautopilot task rename T-1 --title "…" --json',
      ),
    )
    .action(
      act(async (id: string, opts: Opts) =>
        (await import('./verbs/task.ts')).taskRename(id, opts as Opts & { title: string; token?: string }),
      ),
    );
  task
    .command('context <TASK>')
    .description(
      'how each phase grew from the last: what it built on, the summary given, what it produced, and the digest over them',
    )
    .addHelpText('after', example('autopilot task context T-1\nautopilot task context T-1 --json'))
    .action(act(async (id: string, opts: Opts) => (await import('./verbs/task-context.ts')).taskContextVerb(id, opts)));

  program
    .command('advance <TASK>')
    .description("check the current phase's evidence and move to the next phase (refuses skips)")
    .option('--to <phase>', 'the phase to enter; must be the next one')
    .option('--summary <text>', 'what this phase produced, for the reviewer')
    .option('--token <n>', 'the lease token you hold (fencing)')
    .addHelpText(
      'after',
      '\nOne move of a task runs at a time (advance and verify, from any process): another one started meanwhile\n' +
        "is refused with LEASE_HELD (details.reason 'move-running', or 'moved' when the task moved while it was\n" +
        'checked) and changes nothing; read the task status, then advance again if it still needs it.\n',
    )
    .addHelpText('after', example('autopilot advance T-1\nautopilot advance T-1 --to SPEC --summary "strategy agreed"'))
    .action(act(async (id: string, opts: Opts) => (await import('./verbs/advance.ts')).advanceVerb(id, opts)));

  program
    .command('backtrack <TASK>')
    .description('send a task back to an earlier phase; that phase and every later one must be passed again')
    .requiredOption('--to <phase>', 'the earlier phase to return to')
    .requiredOption('--reason <text>', 'what went wrong')
    .option('--token <n>', 'the lease token you hold (fencing)')
    .addHelpText('after', example('autopilot backtrack T-1 --to IMPLEMENT --reason "test for empty input fails"'))
    .action(
      act(async (id: string, opts: Opts) =>
        (await import('./verbs/advance.ts')).backtrackVerb(id, opts as Opts & { to: string; reason: string }),
      ),
    );

  const evidence = program.command('evidence').description("add and check a phase's evidence");
  evidence
    .command('add <TASK> <PHASE> <FILE>')
    .description("copy a file into the phase's evidence folder (never through a symlink) and record its digest")
    .option('--as <name>', 'the artifact name (default: the file name)')
    .option('--token <n>', 'the lease token you hold (fencing)')
    .addHelpText(
      'after',
      example(
        'autopilot evidence add T-1 STRATEGIZE ./notes/strategy.md\nautopilot evidence add T-1 PLAN ./map.json --as file_map.json',
      ),
    )
    .addHelpText('after', CONTENT_CHECKS)
    .action(
      act(async (id: string, phase: string, file: string, opts: Opts) =>
        (await import('./verbs/evidence.ts')).evidenceAdd(id, phase, file, opts),
      ),
    );
  evidence
    .command('check <TASK> [PHASE]')
    .description("check a phase's evidence against the contract without moving (default: the current phase)")
    .addHelpText('after', example('autopilot evidence check T-1\nautopilot evidence check T-1 SPEC --json'))
    .addHelpText('after', CONTENT_CHECKS)
    .action(
      act(async (id: string, phase: string | undefined, opts: Opts) =>
        (await import('./verbs/evidence.ts')).evidenceCheck(id, phase, opts),
      ),
    );

  program
    .command('verify <TASK>')
    .description('run the configured build and test commands now and record VERIFY evidence')
    .option('--token <n>', 'the lease token you hold (fencing)')
    .addHelpText(
      'after',
      '\nRefused with LEASE_HELD while another move of the task (advance, verify) runs; its files are written\n' +
        'only when the run is recorded.\n' +
        '\nVERIFY_FAILED (exit 2) when the build or a test fails, when source changed and no test ran it\n' +
        '(untested), or when the changed-lines coverage of source files is under verify.coverageThreshold\n' +
        '(test files never count; a source file no test loads counts all its lines as unrun).\n' +
        'It also lists findings about the tests: tests removed, skipped or focused, coverage-ignore comments\n' +
        'added, and mutants of the changed lines the tests pass on (verify.mutation). The run passes with\n' +
        "them, but leaving VERIFY then needs a person's approval (APPROVAL_REQUIRED), given with a passkey\n" +
        'in the dashboard (autopilot serve).\n' +
        '\nWith supplyChain in the config it also writes sbom.cdx.json (CycloneDX 1.6), dependency_diff.json\n' +
        "and vulnerabilities.json from the lockfiles of the task's base commit and of the verified tree, and\n" +
        'fails when a dependency the change adds or keeps has a known vulnerability (from the offline OSV\n' +
        'database at supplyChain.osv) at or above supplyChain.failOn, unless supplyChain.accept holds an\n' +
        'unexpired acceptance of it with a reason.\n',
    )
    .addHelpText('after', example('autopilot verify T-1'))
    .action(act(async (id: string, opts: Opts) => (await import('./verbs/verify.ts')).verifyVerb(id, opts)));

  program
    .command('guard <TASK>')
    .description("decide a tool call in the task's phase: allow, ask or deny (exit 2), with the reason")
    .requiredOption('--tool <name>', 'the tool: Bash, Edit, Write, shell, apply_patch, mcp__server__tool, …')
    .option('--input <json>', "the tool's input as JSON, as the agent sent it", '{}')
    .option('--client <client>', 'whose tool names: claude, codex, cursor, mcp, generic', 'claude')
    .addHelpText(
      'after',
      example(`autopilot guard T-1 --tool Bash --input '{"command":"git push origin main"}'
autopilot guard T-1 --tool Edit --input '{"file_path":"src/app.ts"}'`),
    )
    .action(
      act(async (id: string, opts: Opts) =>
        (await import('./verbs/guard.ts')).guardVerb(id, opts as Opts & { tool: string }),
      ),
    );

  const decisionOptions = (cmd: Command) =>
    cmd
      .requiredOption('--reason <text>', 'why; the agent sees it')
      .option('--port <port>', 'the port autopilot serve listens on, for the decision URL (default 4400)')
      .addHelpText(
        'after',
        `
A person's decision is a WebAuthn (passkey) assertion over the decision (task,
phase, diff digest, note), made in the dashboard: a terminal cannot make one,
and no token, flag or variable stands in for it. This verb checks the task,
prints the URL of its decision page and exits 2 (APPROVAL_REQUIRED), recording
nothing. Run \`autopilot serve\`, register a passkey once with the one-time code
it prints, then decide on the Approvals page.`,
      );
  decisionOptions(
    program
      .command('approve <TASK>')
      .description('where a person approves a move that policy sends to a person: the dashboard, with a passkey')
      .option(
        '--adopt-contract',
        "where a person adopts the config as it is now as the task's contract (after CONFIG_CHANGED): the dashboard, with a passkey",
      )
      .addHelpText(
        'after',
        example(
          'autopilot approve T-1 --reason "migration reviewed with DBA"\nautopilot approve T-1 --adopt-contract --reason "lint added to the contract"',
        ),
      ),
  ).action(
    act(async (id: string, opts: Opts) =>
      (await import('./verbs/approve.ts')).approveVerb(id, opts as Opts & { reason: string }),
    ),
  );
  decisionOptions(
    program
      .command('reject <TASK>')
      .description('where a person requests changes, escalates or aborts: the dashboard, with a passkey')
      .option('--to <phase>', 'with a change request: the phase the agent must go back to')
      .option('--escalate', 'pass it up: the task stays waiting, flagged')
      .option('--abort', 'stop the task for good')
      .addHelpText(
        'after',
        example(
          'autopilot reject T-1 --to IMPLEMENT --reason "handle the empty list"\nautopilot reject T-1 --abort --reason "out of scope"',
        ),
      ),
  ).action(
    act(async (id: string, opts: Opts) =>
      (await import('./verbs/approve.ts')).rejectVerb(id, opts as Opts & { reason: string }),
    ),
  );

  const lease = program.command('lease').description('keep two agents off the same task and phase');
  for (const op of ['acquire', 'renew', 'release'] as const) {
    lease
      .command(`${op} <TASK>`)
      .description(`${op} the lease on the task's current phase`)
      .option('--phase <phase>', "the phase (must be the task's current phase)")
      .option('--ttl <seconds>', 'lease time to live (default: leases.ttlSeconds)')
      .option('--token <n>', 'the token you hold (fencing)')
      .addHelpText(
        'after',
        example(`autopilot lease ${op} T-1 --holder agent-a${op === 'release' ? '' : ' --ttl 600'}`),
      )
      .action(act(async (id: string, opts: Opts) => (await import('./verbs/lease.ts')).leaseVerb(op, id, opts)));
  }

  const attest = program
    .command('attest')
    .description("prompt attestation: notice when the agent's instructions change");
  attest
    .command('baseline')
    .description('record the current phase prompts and instruction files (AGENTS.md, CLAUDE.md, …) as the baseline')
    .option('--tag <tag>', 'a name for this baseline (default 1)')
    .addHelpText('after', example('autopilot attest baseline --tag v1'))
    .action(act(async (opts: Opts) => (await import('./verbs/attest.ts')).attestBaseline(opts)));
  attest
    .command('check')
    .description(
      'compare the current instructions with the baseline; drift found is recorded in the ledger (a prompt_drift entry, of the task) and counted; exit 2 when it blocks the phase',
    )
    .option('--phase <phase>', "also compare this phase's prompt header; drift blocks in attest.blockIn phases")
    .option(
      '--task <TASK>',
      "use this task's current phase, and record drift as this task's (default: the only active task)",
    )
    .addHelpText('after', example('autopilot attest check --task T-1'))
    .action(act(async (opts: Opts) => (await import('./verbs/attest.ts')).attestCheck(opts)));
  attest
    .command('update')
    .description('accept changed instructions as the new baseline, recording who and why')
    .requiredOption('--reason <text>', 'why the instructions changed')
    .option('--tag <tag>', 'a name for the new baseline')
    .addHelpText('after', example('autopilot attest update --reason "new testing rules in AGENTS.md" --tag v2'))
    .action(act(async (opts: Opts) => (await import('./verbs/attest.ts')).attestUpdate(opts)));

  const ledger = program.command('ledger').description('the signed, hash-chained ledger');
  ledger
    .command('verify')
    .description('check the chain, every signature, the task states and every evidence digest; exit 3 on tampering')
    .addHelpText('after', example('autopilot ledger verify --json'))
    .action(act(async (opts: Opts) => (await import('./verbs/ledger.ts')).ledgerVerify(opts)));
  ledger
    .command('show')
    .description('the entries, oldest first')
    .option('--task <TASK>', "only this task's entries")
    .option('--from <seq>', 'start at this sequence number')
    .option('--limit <n>', 'at most this many entries (default 200)')
    .addHelpText('after', example('autopilot ledger show --task T-1'))
    .action(act(async (opts: Opts) => (await import('./verbs/ledger.ts')).ledgerShow(opts)));
  ledger
    .command('export')
    .description('entries one a line: plain JSON, or in-toto Statement v1 in DSSE envelopes')
    .option('--task <TASK>', "only this task's entries")
    .option('--format <format>', 'jsonl or intoto', 'jsonl')
    .addHelpText('after', example('autopilot ledger export --task T-1 --format intoto > T-1.jsonl'))
    .action(act(async (opts: Opts) => (await import('./verbs/ledger.ts')).ledgerExport(opts)));

  const store = program
    .command('store')
    .description("the store's schema, and moving a store to another (SQLite to a team's PostgreSQL)");
  store
    .command('migrate')
    .description(
      'apply pending schema migrations to the configured store (AUTOPILOT_STORE, else store: in the config) and report its versions',
    )
    .option('--store <store>', 'migrate this store instead: sqlite:<path> or a postgres:// URL')
    .addHelpText(
      'after',
      example(
        'autopilot store migrate\nAUTOPILOT_STORE=postgres://autopilot@db.internal/autopilot autopilot store migrate --json',
      ),
    )
    .action(act(async (opts: Opts) => (await import('./verbs/store.ts')).storeMigrate(opts)));
  store
    .command('copy')
    .description(
      'copy every ledger entry, task, lease and key into an empty store, then verify the copy: chain, signatures, same head',
    )
    .requiredOption('--from <store>', 'the store to copy: sqlite:<path> or a postgres:// URL')
    .requiredOption('--to <store>', 'the empty store to copy into: sqlite:<path> or a postgres:// URL')
    .addHelpText(
      'after',
      example(
        'autopilot store copy --from sqlite:.autopilot/autopilot.db --to postgres://autopilot@db.internal/autopilot',
      ),
    )
    .action(
      act(async (opts: Opts) =>
        (await import('./verbs/store.ts')).storeCopy(opts as Opts & { from: string; to: string }),
      ),
    );

  program
    .command('gate')
    .description(
      'the CI check of a branch: its committed attestation bundles, evidence and phase order, and VERIFY run again',
    )
    .option(
      '--base <ref>',
      'the commit the branch is compared with (default: the merge-base of HEAD and origin/main, else main, origin/master, master)',
    )
    .option(
      '--trusted-keys <ids>',
      'only signatures by these key ids count, comma-separated (default: AUTOPILOT_TRUSTED_KEYS, else every committed key)',
    )
    .option('--ci', 'CI mode, also on when CI=true: the gate refuses to run without trusted keys')
    .addHelpText(
      'after',
      `
Runs on a checkout of the branch with its whole history (fetch-depth: 0), without the
local store or private key. It reads every <stateDir>/attestations/<TASK>.jsonl added
or changed since the merge-base of --base and HEAD, and checks each envelope's DSSE
signature against the public keys committed in <stateDir>/attestations/keys/ (an
unknown key fails), each entry's hash and signature, the chain, that every phase up
to PR was passed in order, and each evidence file against its digest. Anyone who can
push can commit a key too: set AUTOPILOT_TRUSTED_KEYS (or --trusted-keys) to your
team's key ids as a CI variable the branch cannot change, and a bundle signed by any
other key fails; in CI mode (--ci, or CI=true as CI services set it) the gate
refuses to run without them. The branch cannot vouch for itself: a task must have
started under the base branch's .autopilot/config.yaml or one a person adopted for
it with a passkey, a config changed on the branch needs such an adoption, and a
branch that changes the gate's own workflow fails. Each task is judged by the
contract it adopted at its start (<stateDir>/evidence/<TASK>/contract.yaml): its
phases, evidence and VERIFY commands; a move checked against another config fails. Then it runs VERIFY's build and test
commands itself and compares: tests pass with the recorded totals, changed-lines
coverage meets the threshold, the code is the code VERIFY ran on (after a rebase,
the branch's change from the merge-base must have the patch-id VERIFY recorded). A failed re-run prints, under its task, the failed
test cases and the last 40 lines of the build and test output (--json: the task's
verify.failedCases and verify.logs).
A branch without a bundle fails: its change was made without Autopilot. An evidence
file the ledger recorded but the branch did not commit is EVIDENCE_MISSING, with the
.gitignore pattern that hid it and the fix (git add -f <path>).
Exit codes: 0 passed · 2 failed gate · 3 signature, hash, chain or evidence digest wrong.
${example('autopilot gate --base origin/main\nautopilot gate --json --base "$BASE_SHA"\nAUTOPILOT_TRUSTED_KEYS=3f2a9c0d1e4b5a67 autopilot gate')}`,
    )
    .action(act(async (opts: Opts) => (await import('./verbs/gate.ts')).gateVerb(opts)));

  program
    .command('hook <client> <event> [args...]')
    .description(
      "answer an agent's or git's hook: reads the client's hook JSON on stdin and answers in the client's format (client: claude, codex, cursor, git)",
    )
    .allowUnknownOption()
    .addHelpText(
      'after',
      `
\`autopilot init\` wires these; each one denies when Autopilot cannot decide (fail closed).
  claude  PreToolUse (the tool guard), Stop (held while the phase's evidence falls short), SessionStart, UserPromptSubmit (the task as context)
  codex   the same events, in Codex CLI's format (.codex/hooks.json)
  cursor  beforeShellExecution, beforeMCPExecution, beforeReadFile, preToolUse, afterFileEdit, sessionStart, stop
  git     pre-commit (vcs:commit), pre-push (vcs:push), commit-msg FILE (adds Autopilot-Ledger: <ledger head>)
Which task: AUTOPILOT_TASK, else the only active task. AUTOPILOT_HOOK_DAEMON=0 answers without the per-repository daemon.
${example(`echo '{"session_id":"s1","tool_name":"Edit","tool_input":{"file_path":"src/app.ts"}}' | autopilot hook claude PreToolUse
autopilot hook git commit-msg .git/COMMIT_EDITMSG`)}`,
    )
    .action(
      act(async (client: string, event: string, args: string[], opts: Opts) =>
        (await import('./verbs/hook.ts')).hookVerb(client, event, args, opts),
      ),
    );

  program
    .command('exec')
    .description(
      "run an agent's command behind the wall of its task's phase: Autopilot's state hidden or read-only, the work tree read-only where the phase allows no source writes, no network unless the phase allows it",
    )
    .argument('<command...>', 'the command and its arguments, after --')
    .option(
      '--task <id>',
      'the task whose phase decides the wall (default: $AUTOPILOT_TASK, else the only active task)',
    )
    .option('--phase <phase>', "the phase whose wall to raise (default: the task's current phase)")
    .addHelpText(
      'after',
      `
Claude Code's PreToolUse hook rewrites every Bash command it allows into
  autopilot exec --task T --phase P --holder H -- bash -c '<the command>'
so the operating system, not a parser, keeps the command off what it must not touch. Behind the wall:
  hidden     the state folder's store, keys, approval token, stale archives, telemetry and caches;
             the per-user state folder ($XDG_STATE_HOME/autopilot) and the hook daemon's socket folder
  read-only  .autopilot/config.yaml, evidence/, attestations/, journal/; git's hooks folder and config;
             .claude/, .mcp.json, .codex/, .cursor/hooks.json, AGENTS.md (a mount cannot guard only Autopilot's section)
  work tree  read-write where the phase allows write:source (IMPLEMENT by default), read-only elsewhere:
             drafts go to $TMPDIR (/tmp), which stays writable, as does the home folder
  network    off unless the phase allows net
Inside, the autopilot command line refuses every verb (it cannot see the store): the agent uses the MCP tools,
which its client runs outside the wall. It needs bubblewrap; without it the command is refused, not run bare.
The exit code is the command's.
${example(`autopilot exec -- npm test
autopilot exec --phase SPEC -- bash -c 'touch src/x.ts'   # Read-only file system`)}`,
    )
    .action(
      act(async (command: string[], opts: Opts) =>
        (await import('./verbs/exec.ts')).execVerb(command, opts as Opts & { task?: string; phase?: string }),
      ),
    );

  program
    .command('doctor')
    .description(
      'check the installation: config, key, secrets, store and its history, hooks, MCP entry, sandbox; say how to fix what is wrong (exit 1 when something is)',
    )
    .addHelpText(
      'after',
      `
For the hooks and .mcp.json it says which form they use: the repository's own install
(node_modules/.bin/autopilot, npx --no-install autopilot), or this machine's Node and bin
script by absolute path, a warning, since those files break in a teammate's clone. A line
in a file Autopilot writes (CI job, hooks, .mcp.json, AGENTS.md) that runs a bare
\`npx autopilot\` fails: it would download whatever package holds that name.
The key must be in this user's state folder ($XDG_STATE_HOME/autopilot/repos/<repo>/keys);
"secrets" fails while an ed25519 private key or the approval token is in a tracked or
untracked file of the repository or in its state folder (autopilot init moves an older
.autopilot/keys there). "history" fails with LEDGER_TAMPERED when the store does not hold
the ledger head anchored in this user's state folder, or an entry a commit's
Autopilot-Entry trailer or a committed bundle of this installation's keys names: a
wiped, truncated, replaced, shadow or rewritten store.`,
    )
    .addHelpText('after', example('autopilot doctor\nautopilot doctor --json'))
    .action(act(async (opts: Opts) => (await import('./verbs/doctor.ts')).doctorVerb(opts)));

  program
    .command('mcp')
    .description(
      "serve Autopilot's MCP tools and phase prompts to an agent: over stdio, or over Streamable HTTP on 127.0.0.1 with --http",
    )
    .option(
      '--http <port>',
      'serve http://127.0.0.1:<port>/mcp instead of stdio (0 picks a free port, printed on stderr)',
    )
    .addHelpText(
      'after',
      `\nLease holder: --holder ID, else $AUTOPILOT_HOLDER, else (over stdio) claude:$CLAUDE_CODE_SESSION_ID when\nClaude Code started the server, else each MCP session is its own holder. A client that starts one server\nprocess per call must name its holder, or every write after the first is LEASE_HELD.\n${example(
        'autopilot mcp\nautopilot mcp --http 4401\nautopilot mcp --holder agent-a\nAUTOPILOT_HOLDER=agent-a autopilot mcp',
      )}`,
    )
    .action(act(async (opts: Opts) => (await import('./verbs/mcp.ts')).mcpVerb(opts)));

  program
    .command('serve')
    .description(
      'the dashboard and its HTTP API on 127.0.0.1: tasks, trace graphs, evidence, metrics, the ledger and the approval panel',
    )
    .option('--port <port>', 'the port to listen on (default 4400; 0 picks a free one)')
    .addHelpText(
      'after',
      `
Prints the dashboard's URL, http://localhost:PORT (WebAuthn needs a domain:
browsers treat localhost as a secure context; it listens on 127.0.0.1 only),
and a one-time registration code (8 characters, single use, valid 15 minutes).
A person registers a passkey on the dashboard's Register page with their name
and that code; when it is used, expired or guessed wrong 5 times, a new one is
printed here. Each decision on the Approvals page (approve, request changes,
escalate, abort) is then signed by the person's passkey (user verification
required) and recorded with the assertion, which \`ledger verify\` and the CI
gate check again. Requests whose Host is not 127.0.0.1:PORT or localhost:PORT
are refused, and so is a POST from another origin.
${example('autopilot serve\nautopilot -C ../my-repo serve --port 4401')}`,
    )
    .action(act(async (opts: Opts) => (await import('./verbs/serve.ts')).serveVerb(opts)));

  const windowHelp = 'the time window ending now: 30m, 24h, 7d, 2w (default 7d)';
  program
    .command('metrics')
    .description("the contract's counters over a window, reconstructed from the ledger, by phase and code")
    .option('--window <duration>', windowHelp)
    .addHelpText('after', example('autopilot metrics --window 24h\nautopilot metrics --json'))
    .action(act(async (opts: Opts) => (await import('./verbs/metrics.ts')).metricsVerb(opts)));
  program
    .command('slo')
    .description('task success rate, loop rate and tool MTTR over a window, against their goals')
    .option('--window <duration>', windowHelp)
    .addHelpText(
      'after',
      `
task success rate = done / (done + aborted + stuck) of the outcomes dated in the window (goal ≥ 95%);
loop rate = share of the window's tasks that entered a phase more than slo.loopThreshold times (goal ≤ 2%);
tool MTTR = mean time from a denied tool call to the task's next recorded action (goal ≤ 30 s).
${example('autopilot slo --window 24h')}`,
    )
    .action(act(async (opts: Opts) => (await import('./verbs/metrics.ts')).sloVerb(opts)));
  program
    .command('alerts')
    .description('evaluate the alert rules of the config (key: alerts); exit 2 when one fires')
    .addHelpText('after', example('autopilot alerts\nautopilot alerts --json || notify "autopilot alert"'))
    .action(act(async (opts: Opts) => (await import('./verbs/metrics.ts')).alertsVerb(opts)));

  program
    .command('demo')
    .description('take one task through all nine phases in a throw-away repository, and tell the story')
    .option('--keep', 'keep the demo repository (it is always kept; accepted for scripts)')
    .option('--dir <dir>', 'where to create the demo repository (default: a new temporary folder)')
    .addHelpText('after', example('autopilot demo'))
    .action(act(async (opts: Opts) => (await import('./verbs/demo.ts')).demoVerb(opts)));

  program
    .command('redteam')
    .description(
      'attack the enforcer itself: skips, forged evidence and ledger entries, path escapes, stale leases, disguised pushes, injections; exit 2 when one gets through',
    )
    .option('--only <text>', 'only the cases whose id contains <text> (e.g. push., ledger.)')
    .option('--concurrency <n>', 'how many cases run at once (default 3)')
    .option('--keep', 'keep the throw-away repositories')
    .addHelpText('after', example('autopilot redteam\nautopilot redteam --json --only ledger.'))
    .action(act(async (opts: Opts) => (await import('./verbs/redteam.ts')).redteamVerb(opts)));

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
