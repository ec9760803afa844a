/** @module Driving a task: `task …`, `advance`, `backtrack`, `evidence …`, `verify`, `guard`, `lease …`. */
import type { Command } from 'commander';
import { example, type Act, type Opts } from './shared.ts';

/** What "checked for content" means, for the help of the verbs that check evidence. */
const CONTENT_CHECKS = `Checked for content: besides the contract's sections, word counts, schemas and patterns, Markdown
evidence is refused for filler, each finding with its rule id and fix:
  distinct-words     a section of one word or one phrase over and over
  repeated-section   a section that repeats another one of the document
  copied-text        a section copied from the phase prompts, the README or an earlier task's file
  spec-grounding     a file map (PLAN) or diff (IMPLEMENT) the spec's Acceptance Criteria say nothing about
Settings per artifact in .autopilot/config.yaml: distinctWords, repeatedSections, copiedText, groundedIn.
Typed contracts (an artifact with contract: ProblemSpec, Plan, ChangeSet, PRSummary or RiskReport; JSON Schemas
in .autopilot/schemas/): evidence add stores the normal form, repairing only what is mechanical (whitespace, key
order, layout, a leading ./ of a path, fields the repository gives such as the diff's files) and listing each
repair; anything else is refused with EVIDENCE_INVALID naming the field (details.fields), and nothing is stored.
`;

/** `autopilot task start|list|status|rename|similar|context`. */
export function taskCommand(program: Command, act: Act): void {
  const task = program.command('task').description('start, list, inspect and rename tasks');
  task
    .command('start <TASK>')
    .description(
      "start a task in the first phase; its base commit is recorded for the diff (refused while init's config is not committed)",
    )
    .option('--title <text>', 'what the task is about')
    .option('--base <ref>', 'the commit the task starts from (default HEAD)')
    .option('--persona <id>', "run every phase the persona serves with it instead of the config's (personas)")
    .option('--domain <overlay...>', "the task's domains: overlay ids (web, api, security, …) added to every prompt")
    .option('--label <label...>', 'labels; an overlay whose id or one of whose labels matches is added too')
    .addHelpText(
      'after',
      "\nThe overlays of a phase's prompt come from --domain, --label, the plan's file map and the changed files\n" +
        "(each overlay's path globs), and the persona's own. The routing is recorded in task_started.\n",
    )
    .addHelpText(
      'after',
      example(
        'autopilot task start T-1 --title "Fix login redirect" --base main\nautopilot task start T-2 --title "Rate-limit the API" --domain api security --label backend',
      ),
    )
    .action(act(async (id: string, opts: Opts) => (await import('../verbs/task.ts')).taskStart(id, opts)));
  task
    .command('list')
    .description('every task with its status and phase')
    .option('--status <status>', 'only active, done or aborted tasks')
    .addHelpText('after', example('autopilot task list --status active'))
    .action(act(async (opts: Opts) => (await import('../verbs/task.ts')).taskList(opts)));
  task
    .command('status <TASK>')
    .description('where a task is, what its phase needs, and who holds its lease')
    .addHelpText('after', example('autopilot task status T-1 --json'))
    .action(act(async (id: string, opts: Opts) => (await import('../verbs/task.ts')).taskStatus(id, opts)));
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
        (await import('../verbs/task.ts')).taskRename(id, opts as Opts & { title: string; token?: string }),
      ),
    );
  task
    .command('similar [TASK]')
    .description(
      'the finished tasks most like a task (its title, evidence and files) or a text, and what went wrong in each',
    )
    .option('--title <text>', 'a title or problem statement to compare (with or without a task)')
    .option('--file <path...>', 'paths the work plans to touch')
    .option('--limit <n>', 'how many tasks at most (default 3, or similarTasks.limit)')
    .option('--min-score <x>', 'the least similarity, 0 to 1 (default 0.1, or similarTasks.minScore)')
    .addHelpText(
      'after',
      '\nTasks are compared as TF-IDF vectors of the words of their titles and evidence and the files they planned\n' +
        'or changed; words every task shares because the contract asks for them are left out. Only finished\n' +
        '(done or aborted) tasks are compared. Agents hear the same in the phases of similarTasks.phases\n' +
        '(STRATEGIZE and THINK by default) through prompt_get and the session-start hook; MCP: similar_tasks.\n',
    )
    .addHelpText(
      'after',
      example(
        'autopilot task similar T-7\nautopilot task similar --title "rate-limit the login endpoint" --file src/auth/login.ts --json',
      ),
    )
    .action(
      act(async (id: string | undefined, opts: Opts) =>
        (await import('../verbs/task-similar.ts')).taskSimilar(id, opts),
      ),
    );
  task
    .command('context <TASK>')
    .description(
      'how each phase grew from the last: what it built on, the summary given, what it produced, and the digest over them',
    )
    .addHelpText('after', example('autopilot task context T-1\nautopilot task context T-1 --json'))
    .action(
      act(async (id: string, opts: Opts) => (await import('../verbs/task-context.ts')).taskContextVerb(id, opts)),
    );
}

/** `autopilot advance`: the next phase, once the evidence holds. */
export function advanceCommand(program: Command, act: Act): void {
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
        'checked) and changes nothing; read the task status, then advance again if it still needs it.\n' +
        "\nLeaving the implement phase, the repository's policies decide the task's diff: a deny is VERIFY_FAILED\n" +
        '(change the diff), an ask is APPROVAL_REQUIRED until a person approves those policies for this diff on the\n' +
        'dashboard (an approval of other policies, or of an earlier diff, does not count); observe-mode policies\n' +
        'only record what they would have done.\n',
    )
    .addHelpText(
      'after',
      "\nLeaving PR with a forge (pr.mode github, gitlab, gitea) reads the checks of the pull request's head commit,\n" +
        'waiting while one runs up to pr.ciTimeoutSeconds (asking every pr.ciPollSeconds, a progress line on\n' +
        'stderr each time). A red check, or a required one missing, is EVIDENCE_INVALID, the checks named; one still\n' +
        'running when the time is up is EVIDENCE_MISSING (wait and advance again, or raise pr.ciTimeoutSeconds), and\n' +
        'a forge that cannot be read is refused as for MONITOR below; neither writes ci_results.json.\n',
    )
    .addHelpText(
      'after',
      "\nLeaving MONITOR with monitor.deployments reads the deployments of the merge commit of the task's pull\n" +
        'request, waiting for the merge within monitor.deployments.within: still unmerged then, or closed without a\n' +
        'merge, it is refused with EVIDENCE_MISSING. A forge that cannot be read is refused too (EVIDENCE_INVALID\n' +
        'after retries for 5xx or no answer, CONFIG_INVALID at once for a refused token or a 404) and proposes no\n' +
        'backtrack: it says nothing about the release.\n',
    )
    .addHelpText('after', example('autopilot advance T-1\nautopilot advance T-1 --to SPEC --summary "strategy agreed"'))
    .action(act(async (id: string, opts: Opts) => (await import('../verbs/advance.ts')).advanceVerb(id, opts)));
}

/** `autopilot backtrack`: back to an earlier phase. */
export function backtrackCommand(program: Command, act: Act): void {
  program
    .command('backtrack <TASK>')
    .description('send a task back to an earlier phase; that phase and every later one must be passed again')
    .requiredOption('--to <phase>', 'the earlier phase to return to')
    .requiredOption('--reason <text>', 'what went wrong')
    .option('--token <n>', 'the lease token you hold (fencing)')
    .addHelpText('after', example('autopilot backtrack T-1 --to IMPLEMENT --reason "test for empty input fails"'))
    .action(
      act(async (id: string, opts: Opts) =>
        (await import('../verbs/advance.ts')).backtrackVerb(id, opts as Opts & { to: string; reason: string }),
      ),
    );
}

/** `autopilot evidence add|check`. */
export function evidenceCommand(program: Command, act: Act): void {
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
        (await import('../verbs/evidence.ts')).evidenceAdd(id, phase, file, opts),
      ),
    );
  evidence
    .command('check <TASK> [PHASE]')
    .description("check a phase's evidence against the contract without moving (default: the current phase)")
    .addHelpText('after', example('autopilot evidence check T-1\nautopilot evidence check T-1 SPEC --json'))
    .addHelpText('after', CONTENT_CHECKS)
    .action(
      act(async (id: string, phase: string | undefined, opts: Opts) =>
        (await import('../verbs/evidence.ts')).evidenceCheck(id, phase, opts),
      ),
    );
}

/** `autopilot verify`: the configured build and test commands, run now. */
export function verifyCommand(program: Command, act: Act): void {
  program
    .command('verify <TASK>')
    .description('run the configured build and test commands now and record VERIFY evidence')
    .option('--token <n>', 'the lease token you hold (fencing)')
    .addHelpText(
      'after',
      '\nIt runs in the phase the config gives the verify role (roles.verify, VERIFY by default); elsewhere it is\n' +
        'refused with PHASE_SKIP. Refused with LEASE_HELD while another move of the task (advance, verify) runs;\n' +
        'its files are written only when the run is recorded.\n' +
        '\nVERIFY_FAILED (exit 2) when the build or a test fails, when source changed and no test ran it\n' +
        '(untested), or when the changed-lines coverage of source files is under verify.coverageThreshold\n' +
        '(test files never count; a source file no test loads counts all its lines as unrun).\n' +
        'It also lists findings about the tests: tests removed, skipped or focused, coverage-ignore comments\n' +
        'added, and mutants of the changed lines the tests pass on (verify.mutation: StrykerJS for\n' +
        "JavaScript/TypeScript tested by vitest, jest or mocha, Autopilot's own mutations otherwise; see\n" +
        'verify.mutation.engine). The run passes with\n' +
        "them, but leaving VERIFY then needs a person's approval (APPROVAL_REQUIRED), given with a passkey\n" +
        'in the dashboard (autopilot serve).\n' +
        '\nWith supplyChain in the config it also writes sbom.cdx.json (CycloneDX 1.6), dependency_diff.json\n' +
        "and vulnerabilities.json from the lockfiles of the task's base commit and of the verified tree, and\n" +
        'fails when a dependency the change adds or keeps has a known vulnerability (from the offline OSV\n' +
        'database at supplyChain.osv) at or above supplyChain.failOn, unless supplyChain.accept holds an\n' +
        'unexpired acceptance of it with a reason. With supplyChain.npmAudit it also runs `npm audit --json`\n' +
        "for the tree's package-lock.json files (this needs the npm registry: offline, vulnerabilities.json\n" +
        "records 'npm audit not run: no network', and with npmAudit: required VERIFY fails).\n",
    )
    .addHelpText('after', example('autopilot verify T-1'))
    .action(act(async (id: string, opts: Opts) => (await import('../verbs/verify.ts')).verifyVerb(id, opts)));
}

/** `autopilot guard`: a tool call decided in the task's phase. */
export function guardCommand(program: Command, act: Act): void {
  program
    .command('guard <TASK>')
    .description("decide a tool call in the task's phase: allow, ask or deny (exit 2), with the reason")
    .requiredOption('--tool <name>', 'the tool: Bash, Edit, Write, shell, apply_patch, mcp__server__tool, …')
    .option('--input <json>', "the tool's input as JSON, as the agent sent it", '{}')
    .option('--client <client>', 'whose tool names: claude, codex, cursor, mcp, generic', 'claude')
    .addHelpText(
      'after',
      "\nThe phase's tool policy decides first; the tool allowlist of the persona the phase runs with (personas in the\n" +
        'config) can only narrow it: a call the phase allows but the persona does not is TOOL_NOT_ALLOWED_FOR_PERSONA,\n' +
        'recorded as a violation of the task. A call the phase denies is TOOL_NOT_ALLOWED_IN_PHASE.\n',
    )
    .addHelpText(
      'after',
      example(`autopilot guard T-1 --tool Bash --input '{"command":"git push origin main"}'
autopilot guard T-1 --tool Edit --input '{"file_path":"src/app.ts"}'`),
    )
    .action(
      act(async (id: string, opts: Opts) =>
        (await import('../verbs/guard.ts')).guardVerb(id, opts as Opts & { tool: string }),
      ),
    );
}

/** `autopilot lease acquire|renew|release`. */
export function leaseCommand(program: Command, act: Act): void {
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
      .action(act(async (id: string, opts: Opts) => (await import('../verbs/lease.ts')).leaseVerb(op, id, opts)));
  }
}
