/** @module Setting Autopilot up and checking it: `init`, `doctor`, `demo`, `redteam`. */
import type { Command } from 'commander';
import { example, type Act, type Opts } from './shared.ts';

/** `autopilot init`: config, keys, store, hooks, MCP entry and CI job in this repository. */
export function initCommand(program: Command, act: Act): void {
  program
    .command('init')
    .description(
      'set Autopilot up in this git repository: config, key pair, store, .gitignore lines, CI job, MCP entry, agent and git hooks, AGENTS.md section',
    )
    .option('--dry-run', 'show what would be written, write nothing')
    .option('--yes', 'do not ask (init never asks today; accepted for scripts)')
    .option(
      '--discover',
      "also report what this repository's history suggests for the config (autopilot policy discover); writes nothing more",
    )
    .option(
      '--policy-pack',
      'also write the policy pack (Cedar policies over a change, with example cases) into .autopilot/policies/pack/; files there are kept',
    )
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
With --discover it then reports what the history suggests (diff cap from the changed lines per commit,
test timeout and coverage threshold from recorded VERIFY runs) and the moves that would need a person;
autopilot policy discover --write writes the suggestions into the config.
With --policy-pack it writes the shipped policies over a change (secrets, path lists, diff caps,
tests, migrations and flags, dependencies, CI config, protected branches) and their cases;
run again, it adds the pack's missing files and keeps those you edited.
${example('npx --no-install autopilot init --dry-run\nnpx --no-install autopilot init --policy-pack\nnpx --no-install autopilot init --discover\ngit add .autopilot .gitignore && git commit -m "Set up Autopilot"')}`,
    )
    .action(act(async (opts: Opts) => (await import('../verbs/init.ts')).initVerb(opts)));
}

/** `autopilot doctor`: the installation checked, with how to fix what is wrong. */
export function doctorCommand(program: Command, act: Act): void {
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
    .action(act(async (opts: Opts) => (await import('../verbs/doctor.ts')).doctorVerb(opts)));
}

/** `autopilot demo`: one task through all nine phases in a throw-away repository. */
export function demoCommand(program: Command, act: Act): void {
  program
    .command('demo')
    .description(
      'take one task through all nine phases in a throw-away repository, and tell the story; in PR the outbox opens a pull request on a local forge the demo starts, and its URL is printed',
    )
    .option('--keep', 'keep the demo repository (it is always kept; accepted for scripts)')
    .option('--dir <dir>', 'where to create the demo repository (default: a new temporary folder)')
    .addHelpText('after', example('autopilot demo'))
    .action(act(async (opts: Opts) => (await import('../verbs/demo.ts')).demoVerb(opts)));
}

/** `autopilot redteam`: attacks on the enforcer itself. */
export function redteamCommand(program: Command, act: Act): void {
  program
    .command('redteam')
    .description(
      'attack the enforcer itself: skips, forged evidence and ledger entries, path escapes, stale leases, disguised pushes, injections; exit 2 when one gets through',
    )
    .option('--only <text>', 'only the cases whose id contains <text> (e.g. push., ledger.)')
    .option('--concurrency <n>', 'how many cases run at once (default 3)')
    .option('--keep', 'keep the throw-away repositories')
    .addHelpText('after', example('autopilot redteam\nautopilot redteam --json --only ledger.'))
    .action(act(async (opts: Opts) => (await import('../verbs/redteam.ts')).redteamVerb(opts)));
}
