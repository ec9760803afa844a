/**
 * @module The policy verbs: `policy test [FILE]`, `policy explain` and `policy discover`, the repository's Cedar
 * policies at work.
 */
import type { Command } from 'commander';
import { example, type Act, type Opts } from './shared.ts';

/** `autopilot policy test|explain|discover`. */
export function policyCommand(program: Command, act: Act): void {
  const policy = program
    .command('policy')
    .description(
      "the guard's policies as code (Cedar): test them against example cases, explain a decision, discover what a task would meet",
    )
    .addHelpText(
      'after',
      `
The guard asks a Cedar policy set: the config's tools table compiled into policies (ids tools.*), then the
repository's own policies in .autopilot/policies/*.cedar, each with an @id annotation (and optionally
@reason). A call is asked as two actions: Autopilot::Action::"call" (may the agent make it now) and, when
that is denied, Autopilot::Action::"ask" (may a person approve it). A forbid on "call" only holds the call
for a person; a forbid on every action denies it. Entities: principal Autopilot::Actor {kind: agent|person|ci},
resource Autopilot::ToolCall {tool, client, capabilities, unknown, paths}, context {phase, task}.
The config's policies section sets modes: mode (enforce|observe|off, for the repository's policies) and
overrides (per policy id). observe decides, records what it would have blocked and never blocks.
Policy files are part of the config's digest: changing them during a task needs a person (CONFIG_CHANGED).`,
    );
  policy
    .command('test [FILE]')
    .description(
      `judge each example case (a tool call or a change, phase, actor → allow|ask|deny) as the guard and Gate 1 would; exits 2 on a mismatch (default: .autopilot/policies/cases.yaml and the policy pack's pack/cases.yaml)`,
    )
    .addHelpText(
      'after',
      `
The file is YAML:
  cases:
    - name: no push while implementing
      phase: IMPLEMENT
      tool: Bash
      input: { command: git push origin main }
      client: claude      # optional: claude, codex, cursor, mcp, generic
      actor: agent        # optional: agent, person, ci
      persona: reviewer   # optional: the persona the call is made under (default: --persona, else the phase's)
      expect: deny        # allow, ask or deny
    - name: a migration needs a rollback plan
      phase: IMPLEMENT
      change:             # instead of tool: the files (path, added, removed, secrets) and the change's facts
        files: [{ path: db/migrations/002.sql, added: 5 }]
        rollback: false   # also: dependencies, supplyChain (pass|fail|unknown), branch, base
      expect: deny

A persona's tool allowlist narrows the phase's decision as the guard narrows it: a call the phase allows but the
persona does not is deny (TOOL_NOT_ALLOWED_FOR_PERSONA).
${example('autopilot policy test\nautopilot policy test policies/cases.yaml --json\nautopilot policy test --persona reviewer')}`,
    )
    .option(
      '--persona <id>',
      "judge the cases that name no persona under this one (default: the config's persona of each phase)",
    )
    .action(
      act(async (file: string | undefined, opts: Opts) => (await import('../verbs/policy.ts')).policyTest(file, opts)),
    );
  policy
    .command('explain')
    .description(
      'show the decision on one tool call in a phase, or on a change (--change), and the policies that made it (file and line)',
    )
    .option('--tool <name>', 'the tool: Bash, Edit, Write, shell, apply_patch, mcp__server__tool, …')
    .option('--phase <phase>', 'the phase to judge the call in (a change: the implement phase when left out)')
    .option('--change', "judge the working tree's change from --base (default HEAD), as Gate 1 judges a branch's diff")
    .option('--base <ref>', 'with --change: the commit to diff from', 'HEAD')
    .option('--files <list>', 'with --change: only these paths of the diff, comma-separated')
    .option('--branch <name>', 'with --change: the branch the change is on (default: the current branch)')
    .option('--input <json>', "the tool's input as JSON, as the agent sent it", '{}')
    .option('--client <client>', 'whose tool names: claude, codex, cursor, mcp, generic', 'claude')
    .option('--actor <kind>', 'who calls: agent, person, ci', 'agent')
    .option('--persona <id>', 'the persona the call is made under (default: the one the config gives the phase)')
    .addHelpText(
      'after',
      `
The persona's tool allowlist narrows the phase's decision as the guard narrows it: a call the phase allows but
the persona does not is deny (TOOL_NOT_ALLOWED_FOR_PERSONA); a task's pinned persona (task start --persona) is
not known here, so name it with --persona.
${example(`autopilot policy explain --phase IMPLEMENT --tool Bash --input '{"command":"git push"}'
autopilot policy explain --phase SPEC --tool Edit --input '{"file_path":"src/app.ts"}' --json
autopilot policy explain --phase REVIEW --persona reviewer --tool Edit --input '{"file_path":"src/app.ts"}'
autopilot policy explain --change --base main
autopilot policy explain --change --files db/migrations/002.sql,src/app.ts --json`)}`,
    )
    .action(
      act(async (opts: Opts) => {
        const verbs = await import('../verbs/policy.ts');
        if (opts['change']) return verbs.policyExplainChange(opts as Opts);
        return verbs.policyExplain(opts as Opts & { tool: string; phase: string });
      }),
    );
  policy
    .command('discover [TASK]')
    .description(
      "dry run before a task's first write: the files it would touch, the expected diff, the policies and risk classes each meets, the approvals and evidence ahead, and settings suggested by this repository's history",
    )
    .option('--files <list>', 'the files the task would touch, comma-separated, or - for one path a line on stdin')
    .option('--commits <n>', 'how many commits of history to read, newest first (default 500)')
    .option('--write', 'write the suggested settings into .autopilot/config.yaml (nothing is written without it)')
    .addHelpText(
      'after',
      `
The files come from TASK's file map (file_map.json, written in PLAN) or from --files (which wins). For each
file it reports the change, the expected changed lines (a deletion: the file's lines; a file with history:
the median of its past changes; else the median change of one file here), the risk classes of its path
(migration, ci-config, dependencies, auth, approvals.riskyPaths, secrets files) and what the policy set
decides on writing it in the phase that changes the source, with the deciding policy ids. Then the moves
ahead that need a person (approvals.enter at the expected risk, waived checks) or a decision
(WAIVER_REQUIRED), the required evidence not yet in the task's phase folders, and suggested settings:
  approvals.maxLines            95th percentile of changed lines per commit (git log, merges and the
                                state folder left out), rounded up to tens, at least 50; from 5 commits on
  commands.test.timeoutSeconds  3 x the slowest passing test run the ledger's VERIFY entries record,
                                rounded up to tens, at least 60
  verify.coverageThreshold      total line coverage of the newest VERIFY that measured it, rounded down to fives
--write writes the ones that differ into the config, keeping its comments. The config is the contract
running tasks adopted: each active task it changes is named, and its next move is refused with
CONFIG_CHANGED until a person adopts the new config (dashboard) or the change is undone.
With neither TASK nor --files it reports the history and the suggested settings alone (init --discover
shows the same). Refusals: TASK_UNKNOWN; EVIDENCE_MISSING (the task has no file map: put it in PLAN or
pass --files); EVIDENCE_INVALID (the file map does not parse or names a path outside the repository);
USAGE (an empty list, a path outside the repository). A refusal writes nothing.
${example('autopilot policy discover T-1\nautopilot policy discover --files src/app.ts,db/migrations/002.sql --json\ngit diff --name-only main | autopilot policy discover --files -\nautopilot policy discover --write')}`,
    )
    .action(
      act(async (task: string | undefined, opts: Opts) =>
        (await import('../verbs/policy.ts')).policyDiscover(task, opts),
      ),
    );
}
