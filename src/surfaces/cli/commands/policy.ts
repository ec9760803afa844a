/** @module The policy verbs: `policy test [FILE]` and `policy explain`, the repository's Cedar policies at work. */
import type { Command } from 'commander';
import { example, type Act, type Opts } from './shared.ts';

/** `autopilot policy test|explain`. */
export function policyCommand(program: Command, act: Act): void {
  const policy = program
    .command('policy')
    .description("the guard's policies as code (Cedar): test them against example cases, explain a decision")
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
      `judge each example case (tool call, phase, actor → allow|ask|deny) as the guard would; exits 2 on a mismatch (default FILE: .autopilot/policies/cases.yaml)`,
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
      expect: deny        # allow, ask or deny
${example('autopilot policy test\nautopilot policy test policies/cases.yaml --json')}`,
    )
    .action(
      act(async (file: string | undefined, opts: Opts) => (await import('../verbs/policy.ts')).policyTest(file, opts)),
    );
  policy
    .command('explain')
    .description('show the decision on one tool call in a phase and the policies that made it (file and line)')
    .requiredOption('--tool <name>', 'the tool: Bash, Edit, Write, shell, apply_patch, mcp__server__tool, …')
    .requiredOption('--phase <phase>', 'the phase to judge the call in')
    .option('--input <json>', "the tool's input as JSON, as the agent sent it", '{}')
    .option('--client <client>', 'whose tool names: claude, codex, cursor, mcp, generic', 'claude')
    .option('--actor <kind>', 'who calls: agent, person, ci', 'agent')
    .addHelpText(
      'after',
      example(`autopilot policy explain --phase IMPLEMENT --tool Bash --input '{"command":"git push"}'
autopilot policy explain --phase SPEC --tool Edit --input '{"file_path":"src/app.ts"}' --json`),
    )
    .action(
      act(async (opts: Opts) =>
        (await import('../verbs/policy.ts')).policyExplain(opts as Opts & { tool: string; phase: string }),
      ),
    );
}
