import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_CONTENT_CHECKS,
  DEFAULT_EVIDENCE,
  DEFAULT_SOURCE_GLOBS,
  DEFAULT_TEST_GLOBS,
  defaultConfig,
  parseConfig,
  type Config,
} from '../../src/core/config.ts';
import { DEFAULT_PHASES } from '../../src/core/phases.ts';
import { AutopilotError, ErrorCode, exitCodeFor } from '../../src/core/errors.ts';
import { configKeysDiffering } from '../../src/core/config-diff.ts';
import { configDigest } from '../../src/engine/repo/config-digest.ts';
import { hasProducer } from '../../src/engine/evidence/producers/index.ts';
import { CHECKS, checkPhase } from '../../src/core/waivers.ts';
import { sha256Hex } from '../../src/engine/repo/files.ts';
import canonicalize from 'canonicalize';

function parsed(raw: unknown): Config {
  const r = parseConfig(raw);
  assert.ok(r.ok, `expected a valid config, got ${JSON.stringify(r)}`);
  return r.value;
}

/** The key the refusal names, after checking it is a CONFIG_INVALID that names it in the message too. */
function badKey(raw: unknown): string {
  const r = parseConfig(raw);
  assert.equal(r.ok, false, `expected a refusal for ${JSON.stringify(raw)}`);
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.error.code, ErrorCode.CONFIG_INVALID);
  const key = String(r.error.details['key']);
  assert.ok(r.error.message.startsWith(`config key ${key}: `), r.error.message);
  assert.ok(String(r.error.details['reason']).length > 0);
  return key;
}

describe('parseConfig defaults', () => {
  it('fills in the whole product contract from nothing', () => {
    for (const raw of [{}, null, undefined]) {
      const c = parsed(raw);
      assert.equal(c.version, 1);
      assert.equal(c.stateDir, '.autopilot');
      assert.deepEqual(c.phases, [...DEFAULT_PHASES]);
      assert.deepEqual(c.process, { backtrackFrom: 'any' });
      assert.deepEqual(c.commands, { smoke: [], ci: [] });
      assert.deepEqual(c.verify, {
        coverageThreshold: 80,
        baseCoverage: 'compare',
        sources: [...DEFAULT_SOURCE_GLOBS],
        tests: [...DEFAULT_TEST_GLOBS],
        mutation: { enabled: true, maxMutants: 5, timeoutSeconds: 120, threshold: 0 },
      });
      assert.deepEqual(c.limits, { maxEvidenceBytes: 4 * 1024 * 1024, maxLogBytes: 2 * 1024 * 1024 });
      assert.deepEqual(c.leases, { mode: 'implicit', ttlSeconds: 300 });
      assert.deepEqual(Object.keys(c.evidence), [...DEFAULT_PHASES]);
      for (const p of DEFAULT_PHASES) assert.deepEqual(c.evidence[p], DEFAULT_EVIDENCE[p], p);
    }
    assert.deepEqual(defaultConfig(), parsed({}));
  });

  it('fills defaults inside partial sections and artifact rules', () => {
    const c = parsed({
      leases: { mode: 'explicit' },
      commands: { build: { run: ['make'] }, smoke: [{ name: 'up', run: ['curl', 'x'] }] },
      evidence: { SPEC: [{ name: 'spec.md', sections: [{ heading: 'Goals' }] }] },
    });
    assert.deepEqual(c.leases, { mode: 'explicit', ttlSeconds: 300 });
    assert.deepEqual(c.commands.build, { run: ['make'], timeoutSeconds: 600, env: [], network: false });
    assert.deepEqual(c.commands.smoke, [
      { name: 'up', run: ['curl', 'x'], timeoutSeconds: 600, env: [], network: false },
    ]);
    assert.deepEqual(c.evidence['SPEC'], [
      {
        name: 'spec.md',
        producer: 'agent',
        required: true,
        sections: [{ heading: 'Goals', minWords: 8, list: false, minItems: 1 }],
        minWords: 0,
        assert: [],
        mustMatch: [],
        mustNotMatch: [],
        // A Markdown artifact gets the degenerate-evidence checks with their defaults.
        ...DEFAULT_CONTENT_CHECKS,
      },
    ]);
    // Phases the file does not mention keep the default contract.
    assert.deepEqual(c.evidence['PLAN'], DEFAULT_EVIDENCE['PLAN']);
  });

  it('gives custom phases an empty contract unless the file sets one', () => {
    const c = parsed({ phases: ['DESIGN', 'BUILD', 'SHIP'], evidence: { BUILD: [{ name: 'log.txt' }] } });
    assert.deepEqual(c.evidence['DESIGN'], []);
    assert.deepEqual(c.evidence['SHIP'], []);
    assert.equal(c.evidence['BUILD']?.[0]?.name, 'log.txt');
    assert.deepEqual(Object.keys(c.evidence), ['DESIGN', 'BUILD', 'SHIP']);
  });
});

describe('parseConfig: the degenerate-evidence checks', () => {
  it('turns them on for every Markdown artifact of the default contract, and grounds the file map and the diff', () => {
    const c = defaultConfig();
    for (const rules of Object.values(c.evidence))
      for (const r of rules) {
        const markdown = r.name.endsWith('.md');
        assert.deepEqual(r.distinctWords, markdown ? DEFAULT_CONTENT_CHECKS.distinctWords : undefined, r.name);
        assert.deepEqual(r.repeatedSections, markdown ? DEFAULT_CONTENT_CHECKS.repeatedSections : undefined, r.name);
        assert.deepEqual(r.copiedText, markdown ? DEFAULT_CONTENT_CHECKS.copiedText : undefined, r.name);
      }
    const grounded = Object.values(c.evidence)
      .flat()
      .filter((r) => r.groundedIn)
      .map((r) => [r.name, r.groundedIn]);
    const spec = { artifact: 'spec.md', section: 'Acceptance Criteria' };
    assert.deepEqual(grounded, [
      ['file_map.json', spec],
      ['git_diff.patch', spec],
    ]);
    assert.deepEqual(DEFAULT_CONTENT_CHECKS, {
      distinctWords: { minDistinct: 4, maxShare: 0.34, minRichness: 2.5 },
      repeatedSections: { maxOverlap: 0.5 },
      copiedText: { maxContainment: 0.5, sources: ['template', 'readme', 'earlier'], earlierTasks: 50 },
    });
  });

  it('takes false to turn a check off, true for its defaults, and fills the settings a rule leaves out', () => {
    const c = parsed({
      evidence: {
        STRATEGIZE: [
          {
            name: 'strategy.md',
            distinctWords: false,
            repeatedSections: true,
            copiedText: { sources: ['readme'], maxContainment: 0.8 },
          },
        ],
        PLAN: [{ name: 'file_map.json', groundedIn: { section: 'Criteria' } }],
      },
    });
    const [strategy] = c.evidence['STRATEGIZE']!;
    assert.equal(strategy?.distinctWords, false);
    assert.deepEqual(strategy?.repeatedSections, DEFAULT_CONTENT_CHECKS.repeatedSections);
    assert.deepEqual(strategy?.copiedText, { sources: ['readme'], maxContainment: 0.8, earlierTasks: 50 });
    assert.deepEqual(c.evidence['PLAN']?.[0]?.groundedIn, { artifact: 'spec.md', section: 'Criteria' });
    assert.equal(c.evidence['PLAN']?.[0]?.copiedText, undefined, 'JSON artifacts get no Markdown checks');
  });

  it('refuses a bad setting by its exact key', () => {
    const spec = (extra: Record<string, unknown>) => ({ evidence: { SPEC: [{ name: 'spec.md', ...extra }] } });
    assert.equal(badKey(spec({ distinctWords: { minDistinct: 0 } })), 'evidence.SPEC.0.distinctWords.minDistinct');
    assert.equal(
      badKey(spec({ repeatedSections: { maxOverlap: 1.5 } })),
      'evidence.SPEC.0.repeatedSections.maxOverlap',
    );
    assert.equal(badKey(spec({ copiedText: { sources: ['wiki'] } })), 'evidence.SPEC.0.copiedText.sources.0');
    assert.equal(badKey(spec({ copiedText: { earlierTasks: -1 } })), 'evidence.SPEC.0.copiedText.earlierTasks');
    assert.equal(badKey(spec({ copiedText: { maxRatio: 1 } })), 'evidence.SPEC.0.copiedText.maxRatio');
    assert.equal(badKey(spec({ copiedText: 'yes' })), 'evidence.SPEC.0.copiedText');
    assert.equal(badKey(spec({ groundedIn: { artifact: 'spec.md' } })), 'evidence.SPEC.0.groundedIn');
    assert.equal(
      badKey({ evidence: { PLAN: [{ name: 'map.json', groundedIn: { artifact: 'map.json' } }] } }),
      'evidence.PLAN.0.groundedIn.artifact',
    );
    assert.equal(
      badKey({ evidence: { PLAN: [{ name: 'map.json', groundedIn: { artifact: '../spec.md' } }] } }),
      'evidence.PLAN.0.groundedIn.artifact',
    );
  });
});

describe('parseConfig refusals name the exact key', () => {
  it('an unknown key, at any depth, by its own path', () => {
    assert.equal(badKey({ commands: { tset: { run: ['npm', 'test'] } } }), 'commands.tset');
    assert.equal(badKey({ bogus: true }), 'bogus');
    assert.equal(badKey({ leases: { ttl: 5 } }), 'leases.ttl');
    assert.equal(
      badKey({ evidence: { SPEC: [{ name: 'spec.md', sections: [{ heading: 'x', extra: 1 }] }] } }),
      'evidence.SPEC.0.sections.0.extra',
    );
  });

  it('an evidence key that is not a phase', () => {
    assert.equal(badKey({ evidence: { DEPLOY: [] } }), 'evidence.DEPLOY');
    assert.equal(badKey({ phases: ['A1', 'B1'], evidence: { SPEC: [] } }), 'evidence.SPEC');
  });

  it('a phase listed twice, a bad phase name, too few phases', () => {
    assert.equal(badKey({ phases: ['SPEC', 'PLAN', 'SPEC'] }), 'phases');
    assert.equal(badKey({ phases: ['SPEC', 'plan'] }), 'phases.1');
    assert.equal(badKey({ phases: ['SPEC'] }), 'phases');
  });

  it('an invalid regular expression, by rule and index', () => {
    assert.equal(
      badKey({ evidence: { SPEC: [{ name: 'spec.md', mustMatch: ['('] }] } }),
      'evidence.SPEC.0.mustMatch.0',
    );
    assert.equal(
      badKey({ evidence: { SPEC: [{ name: 'a.md' }, { name: 'b.md', mustNotMatch: ['ok', '[z-a]'] }] } }),
      'evidence.SPEC.1.mustNotMatch.1',
    );
  });

  it('an artifact listed twice and an unknown backtrackFrom phase', () => {
    assert.equal(badKey({ evidence: { PLAN: [{ name: 'plan.md' }, { name: 'plan.md' }] } }), 'evidence.PLAN.1.name');
    assert.equal(badKey({ process: { backtrackFrom: ['VERIFY', 'DEPLOY'] } }), 'process.backtrackFrom.1');
  });

  it('wrong types and out-of-range values', () => {
    assert.equal(badKey({ version: 2 }), 'version');
    assert.equal(badKey({ phases: 'SPEC,PLAN' }), 'phases');
    assert.equal(badKey({ leases: { ttlSeconds: '300' } }), 'leases.ttlSeconds');
    assert.equal(badKey({ leases: { ttlSeconds: 0 } }), 'leases.ttlSeconds');
    assert.equal(badKey({ leases: { mode: 'sometimes' } }), 'leases.mode');
    assert.equal(badKey({ verify: { coverageThreshold: 101 } }), 'verify.coverageThreshold');
    assert.equal(badKey({ commands: { build: { run: [] } } }), 'commands.build.run');
    assert.equal(
      badKey({ commands: { test: { run: ['npm', 'test'] } } }),
      'commands.test.report',
      'a test command without a report to read',
    );
    assert.equal(
      badKey({ commands: { test: { run: ['t'], junit: 'a.xml', report: { format: 'tap', path: 'a.tap' } } } }),
      'commands.test.report',
      'junit and report both',
    );
    assert.equal(
      badKey({ commands: { test: { run: ['t'], report: { format: 'nunit', path: 'a.xml' } } } }),
      'commands.test.report.format',
    );
    assert.equal(
      badKey({
        commands: { test: { run: ['t'], junit: 'a.xml', lcov: 'l', coverage: { format: 'lcov', path: 'l' } } },
      }),
      'commands.test.coverage',
    );
    assert.equal(
      badKey({ commands: { test: { run: ['t'], junit: 'a.xml', coverage: { format: 'clover', path: 'c.xml' } } } }),
      'commands.test.coverage.format',
    );
    assert.equal(
      badKey({
        commands: { test: { run: ['t'], junit: 'a.xml', coverage: { format: 'go', path: 'c.out', module: 'x' } } },
      }),
      'commands.test.coverage.module',
    );
    assert.equal(badKey({ verify: { baseCoverage: 'sometimes' } }), 'verify.baseCoverage');
    assert.equal(badKey({ commands: { build: { run: ['make'], env: ['NOT-A-NAME'] } } }), 'commands.build.env.0');
    assert.equal(badKey({ evidence: { SPEC: {} } }), 'evidence.SPEC');
    assert.equal(badKey({ evidence: { SPEC: [{ name: '../escape.md' }] } }), 'evidence.SPEC.0.name');
    assert.equal(
      badKey({ evidence: { SPEC: [{ name: 'spec.md', sections: [{ heading: '' }] }] } }),
      'evidence.SPEC.0.sections.0.heading',
    );
    assert.equal(
      badKey({ evidence: { SPEC: [{ name: 'x.json', assert: [{ path: 'a', op: 'approx', value: 1 }] }] } }),
      'evidence.SPEC.0.assert.0.op',
    );
    assert.equal(badKey({ store: 'mysql://db/x' }), 'store');
    assert.equal(badKey({ store: 'sqlite:' }), 'store');
    assert.equal(parseConfig({ store: 'postgres://ap@db/autopilot' }).ok, true);
    assert.equal(parseConfig({ store: 'sqlite:.autopilot/ledger.db' }).ok, true);
    assert.equal(badKey('just a string'), '(root)');
  });

  it('lists every issue with its key', () => {
    const r = parseConfig({ bogus: 1, leases: { ttlSeconds: 'x' } });
    assert.ok(!r.ok);
    const issues = r.error.details['issues'] as { key: string; reason: string }[];
    assert.deepEqual(issues.map((i) => i.key).sort(), ['bogus', 'leases.ttlSeconds']);
  });
});

describe('exitCodeFor', () => {
  it('maps integrity to 3, usage and internal to 1, every refusal to 2', () => {
    const expected: Record<string, 1 | 2 | 3> = {
      LEDGER_TAMPERED: 3,
      USAGE: 1,
      INTERNAL: 1,
      CONFIG_INVALID: 1,
      PHASE_UNKNOWN: 1,
      TASK_UNKNOWN: 1,
    };
    for (const code of Object.values(ErrorCode)) assert.equal(exitCodeFor(code), expected[code] ?? 2, code);
    for (const code of [
      'PHASE_SKIP',
      'EVIDENCE_MISSING',
      'LEASE_HELD',
      'LEASE_FENCED',
      'TASK_DONE',
      'PROMPT_DRIFT',
    ] as const)
      assert.equal(exitCodeFor(code), 2);
  });

  it('carries the code into thrown errors and back into refusals', () => {
    const e = new AutopilotError(ErrorCode.LEDGER_TAMPERED, 'entry 3 changed', { seq: 3 });
    assert.deepEqual(e.toRefusal(), { code: 'LEDGER_TAMPERED', message: 'entry 3 changed', details: { seq: 3 } });
    assert.equal(exitCodeFor(e.code), 3);
  });
});

describe('phase roles', () => {
  const NONE = { implement: null, verify: null, review: null, ci: null, monitor: null } as const;

  it('default to the phases of the default process; a process without them has none and seals at its last phase', () => {
    assert.deepEqual(parsed({}).roles, {
      implement: 'IMPLEMENT',
      verify: 'VERIFY',
      review: 'REVIEW',
      ci: 'PR',
      monitor: 'MONITOR',
      seal: 'PR',
    });
    assert.deepEqual(parsed({ phases: ['DESIGN', 'BUILD', 'SHIP'] }).roles, { ...NONE, seal: 'SHIP' });
    assert.deepEqual(parsed({ phases: ['A', 'VERIFY', 'B'] }).roles, { ...NONE, verify: 'VERIFY', seal: 'B' });
  });

  it('take the phases a config names, one role at a time', () => {
    const phases = ['A', 'B', 'CHECK', 'SHIP', 'WATCH'];
    assert.deepEqual(parsed({ phases, roles: { implement: 'B', verify: 'CHECK', seal: 'SHIP' } }).roles, {
      ...NONE,
      implement: 'B',
      verify: 'CHECK',
      seal: 'SHIP',
    });
    assert.deepEqual(parsed({ phases, roles: { verify: 'CHECK' } }).roles, { ...NONE, verify: 'CHECK', seal: 'WATCH' });
    assert.deepEqual(parsed({ phases, roles: { verify: null } }).roles, { ...NONE, seal: 'WATCH' });
    assert.deepEqual(parsed({ phases, roles: { review: 'B', ci: 'SHIP', monitor: 'WATCH' } }).roles, {
      ...NONE,
      review: 'B',
      ci: 'SHIP',
      monitor: 'WATCH',
      seal: 'WATCH',
    });
  });

  it('give the diff to the implement phase, whatever it is called, and to no phase merely named IMPLEMENT', () => {
    const phases = ['DESIGN', 'BUILD', 'CHECK', 'SHIP'];
    const renamed = parsed({ phases, roles: { implement: 'BUILD', verify: 'CHECK', seal: 'SHIP' } });
    assert.deepEqual(
      phases.filter((p) => hasProducer(renamed, p)),
      ['BUILD', 'CHECK'],
    );
    const none = parsed({ roles: { implement: null } });
    assert.equal(hasProducer(none, 'IMPLEMENT'), false);
    assert.equal(hasProducer(parsed({}), 'IMPLEMENT'), true);
  });

  it('give lint, CI and smoke to the review, CI and monitor phases, whatever they are called, and their checks too', () => {
    const phases = ['BUILD', 'CHECK', 'LOOK', 'SHIP', 'WATCH'];
    const named = parsed({
      phases,
      roles: { implement: 'BUILD', verify: 'CHECK', review: 'LOOK', ci: 'SHIP', monitor: 'WATCH', seal: 'SHIP' },
    });
    assert.deepEqual(
      phases.filter((p) => hasProducer(named, p)),
      phases,
    );
    assert.deepEqual(
      CHECKS.map((c) => checkPhase(named, c)),
      ['CHECK', 'CHECK', 'LOOK', 'SHIP', 'WATCH'],
    );
    // The default process, with the review role taken away: REVIEW is a phase like any other, lint is checked nowhere.
    const noReview = parsed({ roles: { review: null } });
    assert.equal(hasProducer(noReview, 'REVIEW'), false);
    assert.equal(checkPhase(noReview, 'lint'), null);
    assert.equal(hasProducer(parsed({}), 'REVIEW'), true);
    assert.equal(hasProducer(parsed({ phases: ['A', 'REVIEW', 'PR', 'MONITOR'], roles: { ci: null } }), 'PR'), false);
  });

  it('refuse a role that names no phase, a verify phase not before the seal, and an unknown role, by key', () => {
    assert.equal(badKey({ roles: { verify: 'CHECK' } }), 'roles.verify');
    assert.equal(badKey({ roles: { seal: 'SHIP' } }), 'roles.seal');
    assert.equal(badKey({ roles: { verify: 'PR', seal: 'VERIFY' } }), 'roles.verify');
    assert.equal(badKey({ roles: { seal: 'IMPLEMENT' } }), 'roles.seal');
    assert.equal(badKey({ roles: { verify: 'VERIFY', deploy: 'MONITOR' } }), 'roles.deploy');
    assert.equal(badKey({ roles: { review: 'LOOK' } }), 'roles.review');
    assert.equal(badKey({ roles: { ci: 'CHECKS' } }), 'roles.ci');
    assert.equal(badKey({ roles: { monitor: 'WATCH' } }), 'roles.monitor');
    assert.equal(badKey({ roles: { implement: 'BUILD' } }), 'roles.implement');
    assert.equal(badKey({ roles: { implement: 'REVIEW' } }), 'roles.implement');
    assert.equal(parseConfig({ roles: { verify: 'PLAN' } }).ok, true, 'a config written before the role still loads');
    const late = parseConfig({ roles: { implement: 'PR' } });
    assert.ok(
      !late.ok && /implement phase \(PR\) must come before the verify phase \(VERIFY\)/.test(late.error.message),
    );
    const r = parseConfig({ roles: { verify: 'PR', seal: 'VERIFY' } });
    assert.ok(!r.ok && /must come before the seal phase \(VERIFY\)/.test(r.error.message), JSON.stringify(r));
  });
});

describe('the contract digest and roles', () => {
  /** The digest as it was computed before configs had roles: the whole parsed config, which had no such key. */
  const withoutRoles = (c: Config) => {
    const { roles: _roles, ...rest } = c;
    return sha256Hex(canonicalize(rest) ?? '');
  };

  it('is unchanged for a config without roles, so that tasks started before keep their contract', () => {
    for (const raw of [{}, { phases: ['DESIGN', 'BUILD', 'SHIP'] }, { verify: { coverageThreshold: 60 } }]) {
      const c = parsed(raw);
      assert.equal(configDigest(c), withoutRoles(c), JSON.stringify(raw));
    }
  });

  it('is the same for the default roles written out, and differs for roles that move a part', () => {
    assert.equal(configDigest(parsed({ roles: { verify: 'VERIFY', seal: 'PR' } })), configDigest(parsed({})));
    const moved = parsed({ roles: { seal: 'MONITOR' } });
    assert.notEqual(configDigest(moved), configDigest(parsed({})));
    assert.deepEqual(configKeysDiffering(parsed({}), moved), ['roles.seal']);
  });

  it('leaves the implement role out while it is the default, also when verify or seal moved', () => {
    const phases = ['A', 'B', 'CHECK', 'SHIP', 'WATCH'];
    const before = parsed({ phases, roles: { verify: 'CHECK', seal: 'SHIP' } });
    const { roles, ...rest } = before;
    const asBefore = sha256Hex(canonicalize({ ...rest, roles: { verify: roles.verify, seal: roles.seal } }) ?? '');
    assert.equal(configDigest(before), asBefore, 'the digest a config with verify and seal had before implement');
    assert.equal(configDigest(parsed({ roles: { implement: 'IMPLEMENT' } })), configDigest(parsed({})));
    const moved = parsed({ roles: { implement: 'THINK' } });
    assert.notEqual(configDigest(moved), configDigest(parsed({})));
  });

  it('leaves the review, CI and monitor roles out while they are the default, each named when it moves', () => {
    const written = parsed({ roles: { review: 'REVIEW', ci: 'PR', monitor: 'MONITOR' } });
    assert.equal(configDigest(written), configDigest(parsed({})));
    const moved = parsed({ roles: { review: 'PR' } });
    assert.notEqual(configDigest(moved), configDigest(parsed({})));
    assert.deepEqual(configKeysDiffering(parsed({}), moved), ['roles.review']);
    const phases = ['A', 'B', 'CHECK', 'SHIP', 'WATCH'];
    const before = parsed({ phases, roles: { verify: 'CHECK', seal: 'SHIP' } });
    assert.deepEqual(
      configKeysDiffering(before, parsed({ phases, roles: { verify: 'CHECK', seal: 'SHIP', monitor: 'WATCH' } })),
      ['roles.monitor'],
    );
  });
});

describe('sandbox.dependencies', () => {
  it('is absent unless written, so that the digest of a config without it does not change; bind or copy, nothing else', () => {
    assert.equal(parsed({}).sandbox.dependencies, undefined);
    assert.equal(parsed({ sandbox: { dependencies: 'copy' } }).sandbox.dependencies, 'copy');
    assert.notEqual(configDigest(parsed({ sandbox: { dependencies: 'copy' } })), configDigest(parsed({})));
    assert.equal(badKey({ sandbox: { dependencies: 'symlink' } }), 'sandbox.dependencies');
  });
});
