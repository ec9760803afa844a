import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PHASES } from '../../src/core/phases.ts';
import type { Capability } from '../../src/core/policy/capabilities.ts';
import { classifyToolCall, type Classification } from '../../src/core/policy/classify.ts';
import { decideToolCall } from '../../src/core/policy/decide.ts';
import {
  DEFAULT_POLICY,
  DEFAULT_TOOL_POLICY,
  resolveToolPolicy,
  toolPolicySchema,
} from '../../src/core/policy/policy.ts';
import { TABLE, TABLE_CONTEXT } from './policy-table.ts';

const cls = (capabilities: Capability[]): Classification => ({
  capabilities,
  unknown: false,
  needs: capabilities.map((capability) => ({ capability, subject: 'x' })),
  notes: [],
});
const bash = (command: string): Classification =>
  classifyToolCall({ client: 'claude', tool: 'Bash', input: { command } }, TABLE_CONTEXT);

const THINKING = ['STRATEGIZE', 'SPEC', 'PLAN', 'THINK'];

describe('default tool policy', () => {
  it('covers the nine phases with the product table', () => {
    assert.deepEqual(Object.keys(DEFAULT_TOOL_POLICY), [...DEFAULT_PHASES]);
    for (const p of THINKING)
      assert.deepEqual([...(DEFAULT_TOOL_POLICY[p] ?? [])].sort(), ['read', 'search', 'write:evidence']);
    assert.deepEqual([...(DEFAULT_TOOL_POLICY.IMPLEMENT ?? [])].sort(), [
      'exec',
      'exec:test',
      'read',
      'search',
      'write:evidence',
      'write:source',
    ]);
    for (const p of ['VERIFY', 'REVIEW', 'MONITOR'])
      assert.deepEqual([...(DEFAULT_TOOL_POLICY[p] ?? [])].sort(), ['exec:test', 'read', 'search', 'write:evidence']);
    assert.deepEqual([...(DEFAULT_TOOL_POLICY.PR ?? [])].sort(), [
      'exec:test',
      'pr:create',
      'read',
      'search',
      'vcs:commit',
      'vcs:push',
      'write:evidence',
    ]);
  });
  it('allows net, agent and deploy in no phase', () => {
    for (const caps of Object.values(DEFAULT_TOOL_POLICY))
      for (const c of ['net', 'agent', 'deploy'] as const) assert.ok(!caps.includes(c));
  });
});

describe('decideToolCall per phase', () => {
  const expectations: ReadonlyArray<[string, Classification, readonly string[]]> = [
    ['read', bash('cat README.md'), [...DEFAULT_PHASES]],
    ['search', bash('rg TODO'), [...DEFAULT_PHASES]],
    ['write:evidence', bash('echo x > .autopilot/evidence/T-1/spec/notes.md'), [...DEFAULT_PHASES]],
    [
      'process control',
      classifyToolCall({ client: 'claude', tool: 'mcp__autopilot__phase_advance', input: {} }, TABLE_CONTEXT),
      [...DEFAULT_PHASES],
    ],
    ['write:source', bash('echo x > src/a.ts'), ['IMPLEMENT']],
    ['exec', bash('npm run build'), ['IMPLEMENT']],
    ['exec:test', bash('npm test'), ['IMPLEMENT', 'VERIFY', 'REVIEW', 'PR', 'MONITOR']],
    ['vcs:commit', bash('git commit -m x'), ['PR']],
    ['vcs:push', bash('git push'), ['PR']],
    ['pr:create', bash('gh pr create --fill'), ['PR']],
    ['net', bash('curl https://example.com'), []],
    ['agent', classifyToolCall({ client: 'claude', tool: 'Task', input: {} }, TABLE_CONTEXT), []],
    ['deploy', bash('kubectl apply -f k8s'), []],
    ['unknown', bash('$CMD push'), []],
  ];
  for (const [name, c, allowedIn] of expectations) {
    for (const phase of DEFAULT_PHASES) {
      const expected = allowedIn.includes(phase) ? 'allow' : 'deny';
      it(`${name} in ${phase}: ${expected}`, () => {
        const d = decideToolCall(c, phase, DEFAULT_POLICY);
        assert.equal(d.decision, expected, d.reason);
        assert.ok(d.reason.length > 10);
        if (expected === 'allow') assert.deepEqual(d.missing, []);
      });
    }
  }

  it('agrees with the table in every phase: unknown is denied, otherwise allowed exactly when the phase has every capability', () => {
    for (const row of TABLE) {
      const c = classifyToolCall(row.call, TABLE_CONTEXT);
      for (const phase of DEFAULT_PHASES) {
        const d = decideToolCall(c, phase);
        const allowed = DEFAULT_TOOL_POLICY[phase] ?? [];
        const expected = !c.unknown && c.capabilities.every((cap) => allowed.includes(cap)) ? 'allow' : 'deny';
        assert.equal(d.decision, expected, `${row.name} in ${phase}: ${d.reason}`);
      }
    }
  });
});

describe('decision reasons tell the agent what to do next', () => {
  it('git push before PR: allowed only in PR, advance first', () => {
    const d = decideToolCall(bash('git push origin main'), 'IMPLEMENT');
    assert.equal(d.decision, 'deny');
    assert.deepEqual(d.missing, ['vcs:push']);
    assert.match(d.reason, /git push is vcs:push, allowed only in PR; finish IMPLEMENT and advance first/);
  });
  it('a source edit after IMPLEMENT: backtrack', () => {
    const d = decideToolCall(bash('sed -i s/a/b/ src/a.ts'), 'REVIEW');
    assert.match(d.reason, /write:source, allowed only in IMPLEMENT; if it is really needed, backtrack to IMPLEMENT/);
  });
  it('network: allowed in no phase, a person can change the config', () => {
    const d = decideToolCall(bash('curl https://x'), 'IMPLEMENT');
    assert.match(d.reason, /curl is net, net is allowed in no phase/);
  });
  it('several missing capabilities are each explained', () => {
    const d = decideToolCall(bash('git commit -am x && git push'), 'SPEC');
    assert.deepEqual(d.missing, ['vcs:commit', 'vcs:push']);
    assert.match(d.reason, /git commit is vcs:commit/);
    assert.match(d.reason, /git push is vcs:push/);
  });
  it('an unknown call is denied with its reason, in every phase, even one that allows everything', () => {
    const everything = resolveToolPolicy({
      phases: {
        PR: [
          'read',
          'search',
          'write:evidence',
          'write:source',
          'exec',
          'exec:test',
          'vcs:commit',
          'vcs:push',
          'pr:create',
          'net',
          'agent',
          'deploy',
        ],
      },
    });
    const d = decideToolCall(bash('$(echo git) push'), 'PR', everything);
    assert.equal(d.decision, 'deny');
    assert.match(d.reason, /command name is not a literal/);
  });
  it('a phase without a policy denies', () => {
    const d = decideToolCall(cls(['read']), 'NOPE');
    assert.equal(d.decision, 'deny');
    assert.match(d.reason, /no tool policy/);
  });
  it('a call that needs nothing is allowed', () => {
    assert.equal(decideToolCall(cls([]), 'SPEC').decision, 'allow');
  });
});

describe('ask', () => {
  const policy = resolveToolPolicy({ ask: ['net', 'deploy'] });
  it('asks when every missing capability may be approved', () => {
    const d = decideToolCall(bash('npm install left-pad'), 'IMPLEMENT', policy);
    assert.equal(d.decision, 'ask');
    assert.deepEqual(d.missing, ['net']);
    assert.match(d.reason, /ask for approval/);
  });
  it('denies when one missing capability may not be approved', () => {
    const d = decideToolCall(bash('npm install x && echo y > src/a.ts'), 'SPEC', policy);
    assert.equal(d.decision, 'deny');
    assert.deepEqual(d.missing, ['write:source', 'net']);
  });
  it('allows what the phase allows without asking', () => {
    assert.equal(decideToolCall(bash('ls'), 'SPEC', policy).decision, 'allow');
  });
  it('never asks for an unknown call', () => {
    assert.equal(decideToolCall(bash('$X'), 'IMPLEMENT', policy).decision, 'deny');
  });
});

describe('toolPolicySchema and resolveToolPolicy', () => {
  it('fills defaults', () => {
    assert.deepEqual(toolPolicySchema.parse({}), { phases: {}, ask: [], mcpServers: {} });
    const parsed = toolPolicySchema.parse({
      mcpServers: { github: { tools: { create_pull_request: ['pr:create'] } } },
    });
    assert.deepEqual(parsed.mcpServers.github, { tools: { create_pull_request: ['pr:create'] } });
  });
  it('rejects an unknown capability and names the key', () => {
    const r = toolPolicySchema.safeParse({ phases: { SPEC: ['read', 'vcs:force'] } });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues[0]?.path, ['phases', 'SPEC', 1]);
  });
  it('rejects unknown keys and lower-case phases', () => {
    assert.equal(toolPolicySchema.safeParse({ phase: {} }).success, false);
    assert.equal(toolPolicySchema.safeParse({ phases: { spec: ['read'] } }).success, false);
  });
  it('overrides the phases a config names and keeps the others', () => {
    const p = resolveToolPolicy(toolPolicySchema.parse({ phases: { SPEC: ['read'] }, ask: ['net'] }));
    assert.deepEqual(p.phases.SPEC, ['read']);
    assert.deepEqual(p.phases.PLAN, DEFAULT_TOOL_POLICY.PLAN);
    assert.deepEqual(p.ask, ['net']);
    assert.equal(decideToolCall(bash('echo x > .autopilot/evidence/T-1/spec/a.md'), 'SPEC', p).decision, 'deny');
  });
  it('follows a custom process: a phase of its own, absent default phases allow nothing', () => {
    const p = resolveToolPolicy({ phases: { DESIGN: ['read', 'write:evidence'] } }, ['DESIGN', 'BUILD']);
    assert.deepEqual(Object.keys(p.phases), ['DESIGN', 'BUILD']);
    assert.deepEqual(p.phases.BUILD, []);
    assert.equal(decideToolCall(bash('ls'), 'DESIGN', p).decision, 'allow');
    assert.equal(decideToolCall(bash('ls'), 'BUILD', p).decision, 'deny');
  });
});
