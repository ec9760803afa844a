/** Unit: the five gates' pure part (modes, placement of problems, outcomes) and CODEOWNERS as GitHub documents it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/core/config.ts';
import { gateModes, gateOf, gateStatus, isFooting } from '../../src/core/gates.ts';
import { ownerRuleFor, parseCodeowners } from '../../src/core/codeowners.ts';

describe('gate modes in the config', () => {
  it('default to enforce; a mode per gate is taken; anything else is CONFIG_INVALID naming the key', () => {
    const plain = parseConfig({});
    assert.ok(plain.ok);
    assert.equal(plain.value.gates, undefined, 'no gates section: the config keeps its digest');
    assert.deepEqual(gateModes(plain.value.gates), {
      g0: 'enforce',
      g1: 'enforce',
      g2: 'enforce',
      g3: 'enforce',
      g4: 'enforce',
      g5: 'enforce',
    });
    const some = parseConfig({ gates: { g2: 'observe', g5: 'off' } });
    assert.ok(some.ok);
    assert.equal(gateModes(some.value.gates).g2, 'observe');
    assert.equal(gateModes(some.value.gates).g5, 'off');
    assert.equal(gateModes(some.value.gates).g3, 'enforce');

    const bad = parseConfig({ gates: { g2: 'watch' } });
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.equal(bad.error.code, 'CONFIG_INVALID');
      assert.match(bad.error.message, /gates\.g2/);
    }
    const unknown = parseConfig({ gates: { g6: 'enforce' } });
    assert.equal(unknown.ok, false);
  });

  it("Gate 5's review rules: labels and risk-class approvals are taken; a bad owner or class is CONFIG_INVALID naming the key", () => {
    const review = {
      labels: ['qa-ok'],
      risk: [{ class: 'migration', approvals: 2, from: ['@alice', '@acme/dba'] }],
    };
    const good = parseConfig({ gates: { g5: 'observe', review } });
    assert.ok(good.ok);
    assert.deepEqual(good.value.gates?.review, review);
    assert.equal(gateModes(good.value.gates).g5, 'observe');
    for (const [bad, key] of [
      [{ risk: [{ class: 'migration', approvals: 2, from: ['alice'] }] }, /gates\.review\.risk\.0\.from\.0/],
      [{ risk: [{ class: 'scary', approvals: 1, from: ['@alice'] }] }, /gates\.review\.risk\.0\.class/],
      [{ risk: [{ class: 'high', approvals: 0, from: ['@alice'] }] }, /gates\.review\.risk\.0\.approvals/],
      [{ labels: [''] }, /gates\.review\.labels\.0/],
    ] as const) {
      const r = parseConfig({ gates: { review: bad } });
      assert.equal(r.ok, false, JSON.stringify(bad));
      if (!r.ok) {
        assert.equal(r.error.code, 'CONFIG_INVALID');
        assert.match(r.error.message, key);
      }
    }
  });
});

describe('which gate a problem belongs to', () => {
  it('maps the checks the gate made before it had stages, VERIFY re-run problems by the evidence they concern', () => {
    assert.equal(gateOf({ check: 'bundle', code: 'LEDGER_TAMPERED' }), 'g0');
    assert.equal(gateOf({ check: 'inputs', code: 'CONFIG_CHANGED' }), 'g0');
    assert.equal(gateOf({ check: 'onboarding', code: 'CONFIG_INVALID' }), 'g0');
    assert.equal(gateOf({ check: 'secrets', code: 'VERIFY_FAILED' }), 'g1');
    assert.equal(
      gateOf({ check: 'verify', code: 'VERIFY_FAILED', file: 'x/evidence/T/verify/secrets_scan.json' }),
      'g1',
    );
    assert.equal(gateOf({ check: 'grounding', code: 'EVIDENCE_INVALID' }), 'g2');
    assert.equal(gateOf({ check: 'evidence', code: 'EVIDENCE_INVALID' }), 'g3');
    assert.equal(gateOf({ check: 'verify', code: 'VERIFY_FAILED', file: 'e/T/verify/test_results.json' }), 'g3');
    assert.equal(gateOf({ check: 'verify', code: 'VERIFY_FAILED', file: 'e/T/verify/build_output.log' }), 'g4');
    assert.equal(gateOf({ check: 'verify', code: 'VERIFY_FAILED', file: 'e/T/verify/vulnerabilities.json' }), 'g4');
    assert.equal(gateOf({ check: 'decision', code: 'APPROVAL_REQUIRED' }), 'g5');
    assert.equal(gateOf({ check: 'owners', code: 'APPROVAL_REQUIRED' }), 'g5');
    assert.equal(gateOf({ check: 'labels', code: 'APPROVAL_REQUIRED' }), 'g5');
    assert.equal(gateOf({ check: 'risk', code: 'APPROVAL_REQUIRED' }), 'g5');
  });

  it('no mode relaxes integrity, the process, the contract or missing committed evidence', () => {
    assert.equal(isFooting({ check: 'evidence', code: 'LEDGER_TAMPERED' }), true);
    assert.equal(isFooting({ check: 'evidence', code: 'EVIDENCE_MISSING' }), true);
    assert.equal(isFooting({ check: 'process', code: 'PHASE_SKIP' }), true);
    assert.equal(isFooting({ check: 'inputs', code: 'CONFIG_CHANGED' }), true);
    assert.equal(isFooting({ check: 'evidence', code: 'EVIDENCE_INVALID' }), false);
    assert.equal(isFooting({ check: 'owners', code: 'APPROVAL_REQUIRED' }), false);
    assert.equal(isFooting({ check: 'decision', code: 'APPROVAL_REQUIRED' }), false);
  });

  it("a gate's outcome: observe turns a failure into would_block, off decides nothing, footing always fails", () => {
    assert.equal(gateStatus('enforce', ['pass', 'fail'], false), 'fail');
    assert.equal(gateStatus('observe', ['pass', 'fail'], false), 'would_block');
    assert.equal(gateStatus('off', ['fail'], false), 'off');
    assert.equal(gateStatus('off', ['fail'], true), 'fail');
    assert.equal(gateStatus('enforce', ['not_evaluated'], false), 'not_evaluated');
    assert.equal(gateStatus('enforce', ['pass', 'not_evaluated'], false), 'pass');
  });
});

describe('CODEOWNERS', () => {
  // The example of GitHub's documentation, abridged: each path below is decided as the documentation says.
  const text = [
    '# This is a comment.',
    '*       @global-owner1 @global-owner2',
    '*.js    @js-owner #This is an inline comment.',
    '*.go docs@example.com',
    '*.txt @octo-org/octocats',
    '/build/logs/ @doctocat',
    'docs/*  docs@example.com',
    'apps/ @octocat',
    '/docs/ @doctocat',
    '/scripts/ @doctocat @octocat',
    '**/logs @octocat',
    '/apps/ @octocat',
    '/apps/github',
    '/apps/ruby/ @ruby-owner',
    'my\\ file.md @spacey',
    '\\#notes @hash-owner',
  ].join('\n');
  const { rules, errors } = parseCodeowners(text);
  const owners = (path: string) => ownerRuleFor(rules, path)?.owners ?? null;

  it('parses every rule, skipping comments, with its line', () => {
    assert.deepEqual(errors, []);
    assert.equal(rules.length, 15);
    assert.equal(rules[1]!.pattern, '*.js');
    assert.deepEqual(rules[1]!.owners, ['@js-owner']);
    assert.equal(rules[1]!.line, 3);
  });

  it('the last matching pattern wins', () => {
    assert.deepEqual(owners('README.md'), ['@global-owner1', '@global-owner2']);
    assert.deepEqual(owners('src/index.js'), ['@js-owner']);
    assert.deepEqual(owners('main.go'), ['docs@example.com']);
    assert.deepEqual(owners('a/b/c.txt'), ['@octo-org/octocats']);
    assert.deepEqual(owners('build/logs/today.log'), ['@octocat'], '**/logs is later than /build/logs/');
    assert.deepEqual(owners('deep/in/logs/x'), ['@octocat']);
    assert.deepEqual(owners('scripts/deploy.sh'), ['@doctocat', '@octocat']);
    assert.deepEqual(owners('apps/ruby/app.rb'), ['@ruby-owner']);
    assert.deepEqual(owners('my file.md'), ['@spacey']);
    assert.deepEqual(owners('#notes'), ['@hash-owner']);
  });

  it('a rule without owners leaves its paths unowned; docs/* covers the folder, not its sub-folders', () => {
    assert.deepEqual(owners('apps/github/x.ts'), []);
    assert.deepEqual(owners('apps/other/x.ts'), ['@octocat']);
    assert.deepEqual(owners('docs/getting-started.md'), ['@doctocat'], '/docs/ comes after docs/*');
    const only = parseCodeowners('docs/* @docs-team\n').rules;
    assert.deepEqual(ownerRuleFor(only, 'docs/getting-started.md')?.owners, ['@docs-team']);
    assert.equal(ownerRuleFor(only, 'docs/build-app/troubleshooting.md'), undefined);
    assert.equal(ownerRuleFor(only, 'src/docs/x.md'), undefined, 'a pattern with a slash is anchored at the root');
  });

  it('negation, character ranges and malformed owners are reported by line, as GitHub skips them', () => {
    const r = parseCodeowners('!secret.txt @a\n*.[ch] @b\nsrc/ owner-without-at\nok/ @c\n');
    assert.deepEqual(
      r.errors.map((e) => e.line),
      [1, 2, 3],
    );
    assert.deepEqual(
      r.rules.map((x) => x.pattern),
      ['ok/'],
    );
  });
});
