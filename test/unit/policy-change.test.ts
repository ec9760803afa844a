/**
 * Unit: policies over a change through the real Cedar engine: the shipped pack validates against the schema and
 * decides each of its example cases as documented, the findings name the policy and the part, observe mode decides
 * without blocking, a set without repository policies allows every change, and a corrupt change policy is
 * CONFIG_INVALID naming its file and line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { parseConfig, type Config } from '../../src/core/config.ts';
import { AutopilotError } from '../../src/core/errors.ts';
import { changeKinds, changeRequestFor, type ChangeFacts } from '../../src/core/policy/change.ts';
import { POLICY_PACK, POLICY_PACK_CASES } from '../../src/core/policy/pack.ts';
import { decideChange, policySetOf } from '../../src/engine/repo/policies.ts';

function config(raw: Record<string, unknown>): Config {
  const r = parseConfig(raw);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const packSources = Object.fromEntries(Object.entries(POLICY_PACK).map(([n, t]) => [`pack/${n}`, t]));
const withPack = (extra: Record<string, unknown> = {}) => config({ policies: { sources: packSources, ...extra } });

interface PackCase {
  name: string;
  phase: string;
  actor?: 'agent' | 'person' | 'ci';
  change: Omit<ChangeFacts, 'actor' | 'phase' | 'taskId' | 'files'> & {
    files: { path: string; added?: number; removed?: number; secrets?: number }[];
  };
  expect: 'allow' | 'ask' | 'deny';
}

const facts = (c: PackCase): ChangeFacts => ({
  ...c.change,
  actor: { id: `${c.actor ?? 'agent'}:test`, kind: c.actor ?? 'agent' },
  phase: c.phase,
  taskId: 'T-1',
  files: c.change.files.map((f) => ({
    path: f.path,
    added: f.added ?? 0,
    removed: f.removed ?? 0,
    secrets: f.secrets ?? 0,
  })),
});

describe('the policy pack over a change', () => {
  const cfg = withPack();
  const cases = (parse(POLICY_PACK_CASES) as { cases: PackCase[] }).cases;

  it('validates strictly against the schema, every policy with a pack. id and a reason', () => {
    const own = policySetOf(cfg).policies.filter((p) => p.file.includes('/pack/'));
    assert.ok(own.length >= 10, `${own.length} pack policies`);
    for (const p of own) {
      assert.match(p.id, /^pack\./);
      assert.ok(p.reason, `${p.id} has a @reason`);
      assert.equal(p.effect, 'forbid');
    }
  });

  for (const c of cases) {
    it(`decides its example case: ${c.name} → ${c.expect}`, () => {
      const d = decideChange(cfg, changeRequestFor(cfg, facts(c)));
      assert.equal(d.enforced.verdict, c.expect, JSON.stringify(d.enforced.findings));
      assert.deepEqual(d.enforced.errors, []);
      if (c.expect === 'allow') assert.deepEqual(d.enforced.policyIds, []);
      else assert.ok(d.enforced.policyIds.length > 0);
    });
  }

  it('exercises every policy of the pack in its cases', () => {
    const hit = new Set(
      cases.flatMap((c) => decideChange(cfg, changeRequestFor(cfg, facts(c))).enforced.findings.map((f) => f.policyId)),
    );
    const ids = policySetOf(cfg)
      .policies.filter((p) => p.id.startsWith('pack.'))
      .map((p) => p.id);
    assert.deepEqual(
      ids.filter((id) => !hit.has(id)),
      [],
    );
  });

  it('names each finding with its verdict and the parts it is on', () => {
    const d = decideChange(
      cfg,
      changeRequestFor(cfg, {
        actor: { id: 'agent:t', kind: 'agent' },
        phase: 'IMPLEMENT',
        taskId: 'T-1',
        branch: 'feat/x',
        files: [
          { path: 'db/migrations/003.sql', added: 4, removed: 0 },
          { path: 'src/a.js', added: 1, removed: 1, secrets: 2 },
        ],
      }),
    );
    assert.equal(d.enforced.verdict, 'deny');
    const by = new Map(d.enforced.findings.map((f) => [f.policyId, f]));
    assert.deepEqual(by.get('pack.secrets'), { policyId: 'pack.secrets', verdict: 'deny', on: ['src/a.js'] });
    assert.deepEqual(by.get('pack.migrations.rollback')?.on, ['db/migrations/003.sql']);
    assert.equal(by.get('pack.tests-required')?.verdict, 'ask');
    assert.deepEqual(d.enforced.policyIds, ['pack.migrations.rollback', 'pack.secrets']);
    assert.equal(d.digest, policySetOf(cfg).digest);
  });

  it('takes the diff caps from the config', () => {
    const big: ChangeFacts = {
      actor: { id: 'agent:t', kind: 'agent' },
      phase: 'IMPLEMENT',
      taskId: null,
      branch: 'feat/x',
      files: [
        { path: 'src/a.js', added: 30, removed: 0 },
        { path: 'test/a.test.js', added: 30, removed: 0 },
      ],
    };
    assert.equal(decideChange(cfg, changeRequestFor(cfg, big)).enforced.verdict, 'allow');
    const tight = withPack();
    const capped = config({ approvals: { maxLines: 50 }, policies: { sources: packSources } });
    assert.deepEqual(decideChange(capped, changeRequestFor(capped, big)).enforced.policyIds, ['pack.diff-caps']);
    const files = config({ approvals: { maxFiles: 1 }, policies: { sources: packSources } });
    assert.equal(decideChange(files, changeRequestFor(files, big)).enforced.verdict, 'ask');
    assert.equal(decideChange(tight, changeRequestFor(tight, big)).enforced.verdict, 'allow');
  });

  it('in observe mode records what it would have decided and does not block', () => {
    const obs = withPack({ overrides: { 'pack.secrets': 'observe' } });
    const d = decideChange(
      obs,
      changeRequestFor(obs, {
        actor: { id: 'agent:t', kind: 'agent' },
        phase: 'IMPLEMENT',
        taskId: null,
        branch: 'feat/x',
        files: [
          { path: 'src/a.js', added: 1, removed: 0, secrets: 1 },
          { path: 'test/a.test.js', added: 1, removed: 0 },
        ],
      }),
    );
    assert.equal(d.enforced.verdict, 'allow');
    assert.equal(d.observed?.verdict, 'deny');
    assert.deepEqual(d.observed?.policyIds, ['pack.secrets']);
  });

  it('a set without repository policies allows a change without loading Cedar', () => {
    const plain = config({});
    const d = decideChange(
      plain,
      changeRequestFor(plain, {
        actor: { id: 'agent:t', kind: 'agent' },
        phase: 'IMPLEMENT',
        taskId: null,
        files: [{ path: '.env', added: 1, removed: 0, secrets: 1 }],
      }),
    );
    assert.equal(d.enforced.verdict, 'allow');
    assert.equal(d.observed, undefined);
  });

  it('does not change what the tool guard decides', () => {
    const ids = policySetOf(cfg).policies.map((p) => p.id);
    assert.ok(ids.includes('tools.unknown') && ids.includes('pack.secrets'));
  });
});

describe('change kinds', () => {
  const kind = changeKinds({ sources: ['src/**'], tests: ['test/**', '**/*.test.js'] });
  it('classifies migration, flag, CI, lockfile, manifest, test, source and other, first match winning', () => {
    assert.deepEqual(
      [
        'db/migrations/001.sql',
        'config/feature-flags.json',
        '.github/workflows/ci.yml',
        'package-lock.json',
        'sub/package.json',
        'test/a.test.js',
        'src/a.js',
        'README.md',
      ].map(kind),
      ['migration', 'flag', 'ci', 'lockfile', 'manifest', 'test', 'source', 'other'],
    );
  });
});

describe('a corrupt change policy', () => {
  it('is CONFIG_INVALID naming its file and line: a misspelt Diff attribute', () => {
    const text = `@id("ok")\nforbid (principal, action, resource is Autopilot::File) when { resource.secrets > 0 };\n\n@id("typo")\nforbid (principal, action == Autopilot::Action::"change", resource is Autopilot::Diff)\nwhen {\n  resource.line > 10\n};\n`;
    try {
      policySetOf(config({ policies: { sources: { 'pack/caps.cedar': text } } }));
      assert.fail('the set loaded');
    } catch (err) {
      assert.ok(err instanceof AutopilotError);
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.equal(err.details['file'], '.autopilot/policies/pack/caps.cedar');
      assert.equal(err.details['line'], 7);
      assert.match(err.message, /typo/);
    }
  });

  it('is CONFIG_INVALID naming its line: a syntax error', () => {
    try {
      policySetOf(
        config({
          policies: {
            sources: { 'pack/x.cedar': '@id("x")\nforbid (principal, action, resource)\nwhen { resource.kind == };\n' },
          },
        }),
      );
      assert.fail('the set loaded');
    } catch (err) {
      assert.ok(err instanceof AutopilotError);
      assert.equal(err.details['file'], '.autopilot/policies/pack/x.cedar');
      assert.equal(err.details['line'], 3);
    }
  });
});
