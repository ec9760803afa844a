/** @module How agents, git and people reach Autopilot: `hook`, `exec`, `mcp`, `serve`. */
import type { Command } from 'commander';
import { example, type Act, type Opts } from './shared.ts';

/** `autopilot hook`: an agent's or git's hook answered. */
export function hookCommand(program: Command, act: Act): void {
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
The agents' hooks that init writes run autopilot-hook <client> <EVENT> instead (bin/autopilot-hook, bash): it asks the
daemon without starting Node, and runs this command when it cannot (no daemon yet, another build, a reply without proof).
${example(`echo '{"session_id":"s1","tool_name":"Edit","tool_input":{"file_path":"src/app.ts"}}' | autopilot hook claude PreToolUse
autopilot hook git commit-msg .git/COMMIT_EDITMSG`)}`,
    )
    .action(
      act(async (client: string, event: string, args: string[], opts: Opts) =>
        (await import('../verbs/hook.ts')).hookVerb(client, event, args, opts),
      ),
    );
}

/** `autopilot exec`: a command run behind the wall of its task's phase. */
export function execCommand(program: Command, act: Act): void {
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
The phase's capabilities are narrowed by the tool allowlist of the task's persona (personas in the config, or
task start --persona): a command the phase allows but the persona does not is refused before it runs
(TOOL_NOT_ALLOWED_FOR_PERSONA, recorded), and the wall holds only what the persona may use.
Inside, the autopilot command line refuses every verb (it cannot see the store): the agent uses the MCP tools,
which its client runs outside the wall. It needs bubblewrap; without it the command is refused, not run bare.
The exit code is the command's.
${example(`autopilot exec -- npm test
autopilot exec --phase SPEC -- bash -c 'touch src/x.ts'   # Read-only file system`)}`,
    )
    .action(
      act(async (command: string[], opts: Opts) =>
        (await import('../verbs/exec.ts')).execVerb(command, opts as Opts & { task?: string; phase?: string }),
      ),
    );
}

/** `autopilot mcp`: the MCP server, over stdio or Streamable HTTP. */
export function mcpCommand(program: Command, act: Act): void {
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
      `\nLease holder: --holder ID, else $AUTOPILOT_HOLDER, else (over stdio) claude:$CLAUDE_CODE_SESSION_ID when\nClaude Code started the server, else each MCP session is its own holder. A client that starts one server\nprocess per call must name its holder, or every write after the first is LEASE_HELD.\n\nReviewer: --role reviewer (or AUTOPILOT_ROLE=reviewer) serves a reviewer session: task_status, review_get,\nprompt_get, evidence_put of the review rubric only, evidence_check, ledger_verify. The review phase's rubric must\ncome from such a session with a holder of its own (review.by in the config), never from the hand that worked\nIMPLEMENT.\n${example(
        'autopilot mcp\nautopilot mcp --http 4401\nautopilot mcp --holder agent-a\nAUTOPILOT_HOLDER=agent-a autopilot mcp\nautopilot mcp --holder reviewer-1 --role reviewer',
      )}`,
    )
    .action(act(async (opts: Opts) => (await import('../verbs/mcp.ts')).mcpVerb(opts)));
}

/** `autopilot serve`: the dashboard and its HTTP API. */
export function serveCommand(program: Command, act: Act): void {
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
gate check again. A task in REVIEW has a review form on its page (unless
review.by is agent): the person's rubric, signed the same way, is written as the
review rubric in the role person, under their registered name. Requests
whose Host is not 127.0.0.1:PORT or localhost:PORT are refused, and so is a
POST from another origin.

While it runs, it sends what the outbox holds (the push of a task branch,
the pull request and its comment and status) as soon as the ledger entry that
decides it is written, and again when a failed row's backoff ends; each
result is logged on stderr. Several dispatchers (serve, the hook daemon,
\`autopilot outbox run\`) never send one row twice: each claims the row first.
${example('autopilot serve\nautopilot -C ../my-repo serve --port 4401')}`,
    )
    .action(act(async (opts: Opts) => (await import('../verbs/serve.ts')).serveVerb(opts)));
}
