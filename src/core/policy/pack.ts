/**
 * @module The shipped policy pack: Cedar policies over a change (secrets, path lists, diff caps, tests, migrations and
 * flags, dependencies, CI config, protected branches) and their example cases, as `init --policy-pack` writes them
 * into `.autopilot/policies/pack/`. Once written they are the repository's files: reviewed, edited and committed
 * like any policy, and part of the contract a task adopts.
 */

/** The folder under `.autopilot/policies/` the pack is written to. */
export const PACK_DIR = 'pack';

const ns = 'Autopilot';
const change = `${ns}::Action::"change"`;

/** The pack's files, by name under {@link PACK_DIR}. Each policy has an `@id` starting `pack.` and a `@reason`. */
export const POLICY_PACK: Readonly<Record<string, string>> = {
  'secrets.cedar': `// Secrets never in a diff: a changed file whose added lines hold a secret the scanner found is denied, and
// no person can approve it (remove the secret, rotate it). Tune: nothing to tune; set its mode in policies.overrides.
@id("pack.secrets")
@reason("the change adds a secret: remove it from the change and rotate it")
forbid (principal, action, resource is ${ns}::File)
when { resource.secrets > 0 };
`,
  'paths.cedar': `// Path denylist: files no change may touch (secrets files by their name, installed dependencies, git's own).
// Tune: add or remove patterns ("*" matches any characters, "/" included).
@id("pack.paths.deny")
@reason("this path is on the denylist of the policy pack")
forbid (principal, action, resource is ${ns}::File)
when {
  resource.path like ".env" || resource.path like "*/.env" || resource.path like ".env.*" ||
  resource.path like "*.pem" || resource.path like "*.key" || resource.path like "*id_rsa*" ||
  resource.path like "*.p12" || resource.path like "*.pfx" ||
  resource.path like ".git/*" || resource.path like "node_modules/*" || resource.path like "*/node_modules/*"
};

// Path allowlist of the phase that changes the source: a file outside these folders that is not a source, test,
// manifest, lockfile, migration, flag or CI file (those have their own policies) needs a person's approval.
// Tune: the phase name (your config's implement phase) and the patterns; a repository laid out otherwise lists its
// own folders here, or sets this policy to observe in policies.overrides while it finds out.
@id("pack.paths.allow")
@reason("the file is outside the folders this phase may change: a person approves it")
forbid (principal, action == ${change}, resource is ${ns}::File)
when {
  context.phase == "IMPLEMENT" &&
  !(resource.path like "src/*" || resource.path like "lib/*" || resource.path like "app/*" ||
    resource.path like "pkg/*" || resource.path like "cmd/*" || resource.path like "internal/*" ||
    resource.path like "test/*" || resource.path like "tests/*" || resource.path like "spec/*" ||
    resource.path like "docs/*" || resource.path like "*.md" ||
    resource.kind != "other")
};
`,
  'diff-caps.cedar': `// Diff caps: a change over approvals.maxFiles files or approvals.maxLines changed lines needs a person's approval.
// Tune: the thresholds in the config (autopilot policy discover suggests approvals.maxLines from the history).
@id("pack.diff-caps")
@reason("the change is larger than the diff caps (approvals.maxFiles, approvals.maxLines): a person approves it")
forbid (principal, action == ${change}, resource is ${ns}::Diff)
when { resource.files > resource.maxFiles || resource.lines > resource.maxLines };
`,
  'tests.cedar': `// Tests required for source changes: a change to source files that changes no test needs a person's approval
// (a refactor covered by the tests as they are). Tune: verify.sources and verify.tests say what is which.
@id("pack.tests-required")
@reason("the change touches source files and no test: add or change a test, or a person approves it")
forbid (principal, action == ${change}, resource is ${ns}::Diff)
when { resource.kinds.contains("source") && !resource.kinds.contains("test") };
`,
  'migrations.cedar': `// Migrations and feature flags: a change to one needs a Rollback section (in the task's plan.md or its PR
// description) and a person's approval. Without the section no one can approve it.
@id("pack.migrations.rollback")
@reason("a migration or feature flag changes and no Rollback section says how to undo it: write one")
forbid (principal, action, resource is ${ns}::File)
when { (resource.kind == "migration" || resource.kind == "flag") && !resource.diff.rollback };

@id("pack.migrations.person")
@reason("a migration or feature flag changes: a person approves it")
forbid (principal, action == ${change}, resource is ${ns}::File)
when { resource.kind == "migration" || resource.kind == "flag" };
`,
  'dependencies.cedar': `// Dependency changes need the supply-chain results green: failed results deny the change; before VERIFY has
// checked them (or where supplyChain is not configured) a person approves it.
@id("pack.dependencies")
@reason("the change alters dependencies and the supply-chain check failed: fix the findings")
forbid (principal, action, resource is ${ns}::Diff)
when {
  (resource.kinds.contains("manifest") || resource.kinds.contains("lockfile")) && resource.supplyChain == "fail"
};

@id("pack.dependencies.unchecked")
@reason("the change alters dependencies that no supply-chain check has passed: a person approves it")
forbid (principal, action == ${change}, resource is ${ns}::Diff)
when {
  (resource.kinds.contains("manifest") || resource.kinds.contains("lockfile")) && resource.supplyChain == "unknown"
};
`,
  'ci-config.cedar': `// CI config changes need a person: the pipeline decides what checks every later change.
@id("pack.ci-config")
@reason("the change alters the CI configuration: a person approves it")
forbid (principal, action == ${change}, resource is ${ns}::File)
when { resource.kind == "ci" };
`,
  'branches.cedar': `// Protected branches: the agent's change is not committed on them; it goes through a branch and a review.
// Tune: the branch names and patterns.
@id("pack.protected-branches")
@reason("the change is committed on a protected branch: work on a branch of its own")
forbid (principal, action, resource is ${ns}::Diff)
when {
  principal.kind == "agent" && resource.files > 0 &&
  (resource.branch == "main" || resource.branch == "master" || resource.branch like "release/*")
};
`,
};

/** The pack's example cases (`policy test` judges them; each policy is exercised at least once each way). */
export const POLICY_PACK_CASES = `# Example changes and what the policy pack decides on them (autopilot policy test).
# A case: phase, change (files: path with added/removed lines and secrets found; dependencies, supplyChain
# pass|fail|unknown, rollback, branch, base), optional actor, and expect: allow|ask|deny.
cases:
  - name: a source change with its test
    phase: IMPLEMENT
    change: { files: [{ path: src/slug.js, added: 10 }, { path: test/slug.test.js, added: 8 }], branch: feat/slug }
    expect: allow
  - name: a secret in the added lines is denied
    phase: IMPLEMENT
    change: { files: [{ path: src/config.js, added: 3, secrets: 1 }, { path: test/config.test.js, added: 2 }], branch: feat/x }
    expect: deny
  - name: a .env file is on the denylist
    phase: IMPLEMENT
    change: { files: [{ path: .env, added: 1 }], branch: feat/x }
    expect: deny
  - name: a file outside the allowed folders needs a person
    phase: IMPLEMENT
    change: { files: [{ path: Makefile, added: 2 }], branch: feat/x }
    expect: ask
  - name: over the diff caps needs a person
    phase: IMPLEMENT
    change: { files: [{ path: src/big.js, added: 900 }, { path: test/big.test.js, added: 20 }], branch: feat/x }
    expect: ask
  - name: source without tests needs a person
    phase: IMPLEMENT
    change: { files: [{ path: src/slug.js, added: 4 }], branch: feat/x }
    expect: ask
  - name: a migration without a rollback section is denied
    phase: IMPLEMENT
    change: { files: [{ path: db/migrations/002_add.sql, added: 5 }], branch: feat/x }
    expect: deny
  - name: a migration with a rollback section needs a person
    phase: IMPLEMENT
    change: { files: [{ path: db/migrations/002_add.sql, added: 5 }], rollback: true, branch: feat/x }
    expect: ask
  - name: a dependency whose supply-chain check failed is denied
    phase: IMPLEMENT
    change: { files: [{ path: package.json, added: 1 }], dependencies: [left-pad], supplyChain: fail, branch: feat/x }
    expect: deny
  - name: a dependency not yet checked needs a person
    phase: IMPLEMENT
    change: { files: [{ path: package.json, added: 1 }], dependencies: [left-pad], branch: feat/x }
    expect: ask
  - name: a dependency whose supply-chain check passed
    phase: IMPLEMENT
    change: { files: [{ path: package.json, added: 1 }], dependencies: [left-pad], supplyChain: pass, branch: feat/x }
    expect: allow
  - name: CI config needs a person
    phase: IMPLEMENT
    change: { files: [{ path: .github/workflows/ci.yml, added: 2 }], branch: feat/x }
    expect: ask
  - name: the agent does not change main
    phase: IMPLEMENT
    change: { files: [{ path: src/slug.js, added: 1 }, { path: test/slug.test.js, added: 1 }], branch: main }
    expect: deny
  - name: a person may
    phase: IMPLEMENT
    actor: person
    change: { files: [{ path: src/slug.js, added: 1 }, { path: test/slug.test.js, added: 1 }], branch: main }
    expect: allow
`;
