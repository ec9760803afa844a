/** @module The record and its checks: `attest …`, `ledger …`, `store …`, `gate`. */
import type { Command } from 'commander';
import { example, type Act, type Opts } from './shared.ts';

/** `autopilot attest baseline|check|update`: drift of the agent's instructions. */
export function attestCommand(program: Command, act: Act): void {
  const attest = program
    .command('attest')
    .description("prompt attestation: notice when the agent's instructions change");
  attest
    .command('baseline')
    .description(
      'record the current phase prompts, instruction files (AGENTS.md, CLAUDE.md, …), personas and overlays as the baseline',
    )
    .option('--tag <tag>', 'a name for this baseline (default 1)')
    .addHelpText('after', example('autopilot attest baseline --tag v1'))
    .action(act(async (opts: Opts) => (await import('../verbs/attest.ts')).attestBaseline(opts)));
  attest
    .command('check')
    .description(
      'compare the current instructions (files, phase prompts, personas and overlays by digest) with the baseline; drift found is recorded in the ledger (a prompt_drift entry, of the task) and counted; exit 2 when it blocks the phase',
    )
    .option('--phase <phase>', "also compare this phase's prompt header; drift blocks in attest.blockIn phases")
    .option(
      '--task <TASK>',
      "use this task's current phase, and record drift as this task's (default: the only active task)",
    )
    .addHelpText('after', example('autopilot attest check --task T-1'))
    .action(act(async (opts: Opts) => (await import('../verbs/attest.ts')).attestCheck(opts)));
  attest
    .command('update')
    .description('accept changed instructions as the new baseline, recording who and why')
    .requiredOption('--reason <text>', 'why the instructions changed')
    .option('--tag <tag>', 'a name for the new baseline')
    .addHelpText('after', example('autopilot attest update --reason "new testing rules in AGENTS.md" --tag v2'))
    .action(act(async (opts: Opts) => (await import('../verbs/attest.ts')).attestUpdate(opts)));
}

/** `autopilot ledger verify|show|export`. */
export function ledgerCommand(program: Command, act: Act): void {
  const ledger = program.command('ledger').description('the signed, hash-chained ledger');
  ledger
    .command('verify')
    .description('check the chain, every signature, the task states and every evidence digest; exit 3 on tampering')
    .option(
      '--chain-only',
      "only the chain: sequence, links, every hash and signature (no task refold, decisions, evidence digests or the store's integrity check)",
    )
    .addHelpText('after', example('autopilot ledger verify --json'))
    .action(act(async (opts: Opts) => (await import('../verbs/ledger.ts')).ledgerVerify(opts)));
  ledger
    .command('show')
    .description('the entries, oldest first')
    .option('--task <TASK>', "only this task's entries")
    .option('--from <seq>', 'start at this sequence number')
    .option('--limit <n>', 'at most this many entries (default 200)')
    .addHelpText('after', example('autopilot ledger show --task T-1'))
    .action(act(async (opts: Opts) => (await import('../verbs/ledger.ts')).ledgerShow(opts)));
  ledger
    .command('export')
    .description('entries one a line: plain JSON, or in-toto Statement v1 in DSSE envelopes')
    .option('--task <TASK>', "only this task's entries")
    .option('--format <format>', 'jsonl or intoto', 'jsonl')
    .addHelpText('after', example('autopilot ledger export --task T-1 --format intoto > T-1.jsonl'))
    .action(act(async (opts: Opts) => (await import('../verbs/ledger.ts')).ledgerExport(opts)));
}

/** `autopilot store migrate|copy`. */
export function storeCommand(program: Command, act: Act): void {
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
    .action(act(async (opts: Opts) => (await import('../verbs/store.ts')).storeMigrate(opts)));
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
        (await import('../verbs/store.ts')).storeCopy(opts as Opts & { from: string; to: string }),
      ),
    );
}

/** `autopilot gate`: the CI check of a branch. */
export function gateCommand(program: Command, act: Act): void {
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
The gates' and policies' modes are the base branch's; a person's signed change of modes
for a task of the branch (a verified change_modes decision in its bundle) applies over
them, and the report lists which decision changed which gate's mode (--json: modes).
Gate 1 counts a person's approval of a policy only for the policies its request named
and the change the branch holds (same files, line counts and content).
A branch without a bundle fails: its change was made without Autopilot. An evidence
file the ledger recorded but the branch did not commit is EVIDENCE_MISSING, with the
.gitignore pattern that hid it and the fix (git add -f <path>).
The report lists the checks as five gates (--json: stages, relaxed, mergeable): Gate 0
onboarding (bundles, process, contract, commands runnable), Gate 1 secrets, Gate 2
grounding (grounding.json), Gate 3 tests for source changes and a rollback plan for
migrations and flags, Gate 4 the hermetic re-run and supply chain, Gate 5 approvals,
CODEOWNERS (from the base branch; owners approve on the forge or with a passkey), the
pull request's labels (gates.review.labels) and risk-class approvals (gates.review.risk).
With pr.mode naming a forge, Gate 5 reads the pull request's reviews, labels and teams
with the token in AUTOPILOT_FORGE_TOKEN (or GITHUB_TOKEN, GITLAB_TOKEN, GITEA_TOKEN); a
forge that cannot be read fails it. Without one, signed decisions only. A mode per gate in the
base branch's config, gates: {g0..g5: enforce|observe|off}: observe records what would
have blocked and lets the branch pass; integrity, process and contract always block.
Each run counts gate_evaluations, gate_blocks and gate_would_block (autopilot metrics).
Exit codes: 0 passed · 2 failed gate · 3 signature, hash, chain or evidence digest wrong.
${example('autopilot gate --base origin/main\nautopilot gate --json --base "$BASE_SHA"\nAUTOPILOT_TRUSTED_KEYS=3f2a9c0d1e4b5a67 autopilot gate')}`,
    )
    .action(act(async (opts: Opts) => (await import('../verbs/gate.ts')).gateVerb(opts)));
}
