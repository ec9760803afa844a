import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { parseConfig, type Config } from '../../src/core/config.ts';
import { AutopilotError } from '../../src/core/errors.ts';
import { DEFAULT_PHASES } from '../../src/core/phases.ts';
import type * as CedarWasm from '@cedar-policy/cedar-wasm/nodejs';
import { cedarRequest, compileToolPolicy, toolPolicyParts, type PolicyRequest } from '../../src/core/policy/cedar.ts';
import { classifyToolCall, type ToolCall } from '../../src/core/policy/classify.ts';
import { decideToolCall } from '../../src/core/policy/decide.ts';
import { toolPolicyOf } from '../../src/core/policy/tool-policy.ts';
import { decidePolicies, engine, policySetOf } from '../../src/engine/repo/policies.ts';
import { TABLE, TABLE_CONTEXT } from './policy-table.ts';
import { spansOf } from '../../src/ports/spans.ts';

function config(raw: unknown): Config {
  const r = parseConfig(raw);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const request = (
  call: ToolCall,
  phase: string,
  kind: PolicyRequest['actor']['kind'] = 'agent',
  classification = classifyToolCall(call, TABLE_CONTEXT),
): PolicyRequest => ({
  actor: { id: `${kind}:test`, kind },
  tool: call.tool,
  client: call.client,
  classification,
  phase,
  taskId: 'T-1',
});

const bash = (command: string): ToolCall => ({ client: 'claude', tool: 'Bash', input: { command } });
const write = (path: string): ToolCall => ({
  client: 'claude',
  tool: 'Write',
  input: { file_path: path, content: 'x' },
});

/** The CONFIG_INVALID a config's policy set throws, or a failure when it loads. */
function loadError(cfg: Config): AutopilotError {
  try {
    policySetOf(cfg);
  } catch (err) {
    assert.ok(err instanceof AutopilotError, String(err));
    assert.equal(err.code, 'CONFIG_INVALID');
    return err;
  }
  assert.fail('the policy set loaded');
}

const withPolicies = (sources: Record<string, string>, extra: Record<string, unknown> = {}): Config =>
  config({ policies: { sources, ...extra } });

describe('the tool table as Cedar policies', () => {
  it('is generated deterministically, one @id per policy, in process order', () => {
    const a = compileToolPolicy(toolPolicyOf(config({})));
    const b = compileToolPolicy(toolPolicyOf(config({})));
    assert.equal(a, b);
    const ids = policySetOf(config({})).policies.map((p) => p.id);
    assert.deepEqual(ids, [
      'tools.unknown',
      ...DEFAULT_PHASES.map((p) => `tools.call.${p}`),
      ...DEFAULT_PHASES.map((p) => `tools.ask.${p}`),
    ]);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(policySetOf(config({})).digest, policySetOf(config({})).digest);
    assert.notEqual(policySetOf(config({})).digest, policySetOf(config({ tools: { ask: ['net'] } })).digest);
  });

  // The differential test: every call of the guard's table, in every phase, under three tool tables, decided by the
  // table (decideToolCall) and by Cedar; they must agree exactly, ask included.
  const tables: ReadonlyArray<[string, Config, readonly string[]]> = [
    ['the default table', config({}), [...DEFAULT_PHASES, 'NOPE']],
    [
      'a table with asks',
      config({ tools: { ask: ['net', 'exec', 'vcs:push'], phases: { SPEC: ['read'] } } }),
      [...DEFAULT_PHASES],
    ],
    [
      'a custom process',
      config({
        phases: ['DESIGN', 'BUILD', 'SHIP'],
        tools: { phases: { DESIGN: ['read', 'search'], BUILD: ['read', 'write:source', 'exec'], SHIP: [] } },
      }),
      ['DESIGN', 'BUILD', 'SHIP', 'STRATEGIZE'],
    ],
  ];
  for (const [name, cfg, phases] of tables) {
    it(`answers exactly as the table for every row in every phase: ${name}`, () => {
      let asks = 0;
      let allows = 0;
      for (const row of TABLE) {
        const c = classifyToolCall(row.call, TABLE_CONTEXT);
        for (const phase of phases) {
          const table = decideToolCall(c, phase, toolPolicyOf(cfg));
          const cedar = decidePolicies(cfg, request(row.call, phase, 'agent', c));
          assert.equal(cedar.enforced.verdict, table.decision, `${row.name} in ${phase}: ${table.reason}`);
          assert.deepEqual(cedar.enforced.errors, []);
          if (table.decision === 'ask') asks++;
          if (table.decision === 'allow') {
            allows++;
            assert.deepEqual(cedar.enforced.policyIds, [`tools.call.${phase}`]);
          }
          if (c.unknown) assert.ok(cedar.enforced.policyIds.includes('tools.unknown'), row.name);
        }
      }
      assert.ok(allows > 0, 'some call is allowed');
      if (name === 'a table with asks') assert.ok(asks > 0, 'some call is held for a person');
    });
  }
});

describe('the tool table without Cedar', () => {
  // The guard decides the tool table's policies by their conditions as code (`holds`), with or without repository
  // policies, so no request pays Cedar for them. Here Cedar itself evaluates the generated text, each policy as a
  // permit so that every satisfied one is named, and must name exactly the policies whose `holds` is true.
  const cedar = engine();
  for (const [name, raw, phases] of [
    ['the default table', {}, [...DEFAULT_PHASES, 'NOPE']],
    ['a table with asks', { tools: { ask: ['net', 'exec', 'vcs:push'], phases: { SPEC: ['read'] } } }, DEFAULT_PHASES],
    ['an empty phase', { tools: { phases: { SPEC: [] } } }, ['SPEC', 'PLAN']],
    [
      'a custom process',
      {
        phases: ['DESIGN', 'BUILD', 'SHIP'],
        tools: { phases: { DESIGN: ['read'], BUILD: ['read', 'exec'], SHIP: [] } },
      },
      ['DESIGN', 'BUILD', 'SHIP', 'STRATEGIZE'],
    ],
  ] as const) {
    it(`holds exactly where Cedar finds the generated text satisfied, for every row in every phase: ${name}`, () => {
      const parts = toolPolicyParts(toolPolicyOf(config(raw)));
      const permits: Record<string, CedarWasm.PolicyJson> = {};
      for (const p of parts) {
        const json = cedar.policyToJson(p.text);
        assert.equal(json.type, 'success', p.id);
        if (json.type === 'success') permits[p.id] = { ...json.json, effect: 'permit' };
      }
      let compared = 0;
      let held = 0;
      for (const row of TABLE) {
        const c = classifyToolCall(row.call, TABLE_CONTEXT);
        for (const phase of phases) {
          const r = cedarRequest(request(row.call, phase, 'agent', c));
          for (const action of ['call', 'ask'] as const) {
            const answer = cedar.isAuthorized({
              principal: r.principal,
              action: { type: 'Autopilot::Action', id: action },
              resource: r.resource,
              context: r.context,
              entities: r.entities.map((e) => ({ uid: e.uid, attrs: { ...e.attrs }, parents: [] })),
              policies: { staticPolicies: permits },
            });
            assert.equal(answer.type, 'success', `${row.name} in ${phase}`);
            if (answer.type !== 'success') continue;
            assert.deepEqual(answer.response.diagnostics.errors, [], `${row.name} in ${phase}`);
            const byCedar = [...answer.response.diagnostics.reason].sort();
            const byCode = parts
              .filter((p) => p.holds(action, request(row.call, phase, 'agent', c)))
              .map((p) => p.id)
              .sort();
            assert.deepEqual(byCode, byCedar, `${row.name}, ${action} in ${phase}`);
            held += byCode.length;
            compared++;
          }
        }
      }
      assert.ok(compared > 200 && held > 100, `${compared} requests compared, ${held} policies satisfied`);
    });
  }

  it('decides a table with repository policies as Cedar would: the table by code, the policies by Cedar', () => {
    const never = '@id("never")\nforbid (principal, action, resource) when { false };\n';
    const alone = config({});
    const withCedar = config({ policies: { sources: { 'never.cedar': never } } });
    let compared = 0;
    for (const row of TABLE) {
      const c = classifyToolCall(row.call, TABLE_CONTEXT);
      for (const phase of DEFAULT_PHASES) {
        const native = decidePolicies(alone, request(row.call, phase, 'agent', c));
        const both = decidePolicies(withCedar, request(row.call, phase, 'agent', c));
        assert.deepEqual(both.enforced, native.enforced, `${row.name} in ${phase}`);
        compared++;
      }
    }
    assert.ok(compared > 100, `${compared} decisions compared`);
  });

  it('keeps the generated policies valid Cedar, one per @id, at the lines the text puts them', () => {
    const never = '@id("never")\nforbid (principal, action, resource) when { false };\n';
    const text = compileToolPolicy(toolPolicyOf(config({})));
    const lines = text.split('\n');
    for (const p of policySetOf(config({ policies: { sources: { 'never.cedar': never } } })).policies)
      if (p.file === '(generated)') assert.equal(lines[p.line - 1], `@id("${p.id}")`, p.id);
  });
});

describe('repository policies', () => {
  const NO_PUSH = `// pushes go through the outbox
@id("no-push")
@reason("pushes go through the outbox")
forbid (principal, action, resource is Autopilot::ToolCall)
when { resource.capabilities.contains("vcs:push") && principal.kind == "agent" };
`;
  const HOLD_MIGRATIONS = `@id("migrations-need-a-person")
forbid (principal, action == Autopilot::Action::"call", resource)
when { resource.paths.containsAny(["db/migrations/001.sql"]) };
`;
  const PERMIT_CURL = `@id("curl-in-implement")
permit (principal, action == Autopilot::Action::"call", resource)
when { context.phase == "IMPLEMENT" && resource.capabilities == ["net"] };
`;

  it('a forbid on every action denies what the table allows, and names the policy', () => {
    const cfg = withPolicies({ 'push.cedar': NO_PUSH });
    const d = decidePolicies(cfg, request(bash('git push origin main'), 'PR'));
    assert.equal(d.enforced.verdict, 'deny');
    assert.deepEqual(d.enforced.policyIds, ['no-push']);
    const p = policySetOf(cfg).policies.find((x) => x.id === 'no-push');
    assert.deepEqual(
      [p?.file, p?.line, p?.reason],
      ['.autopilot/policies/push.cedar', 2, 'pushes go through the outbox'],
    );
    // A person is not an agent: the same call is allowed for them.
    assert.equal(decidePolicies(cfg, request(bash('git push'), 'PR', 'person')).enforced.verdict, 'allow');
    // What the policy does not mention is as before.
    assert.equal(decidePolicies(cfg, request(bash('git commit -m x'), 'PR')).enforced.verdict, 'allow');
  });

  it('a forbid on call only holds the call for a person (ask)', () => {
    const cfg = withPolicies({ 'db.cedar': HOLD_MIGRATIONS });
    const d = decidePolicies(cfg, request(write('db/migrations/001.sql'), 'IMPLEMENT'));
    assert.equal(d.enforced.verdict, 'ask');
    assert.deepEqual(d.enforced.policyIds, ['migrations-need-a-person', 'tools.ask.IMPLEMENT']);
    assert.equal(decidePolicies(cfg, request(write('src/a.ts'), 'IMPLEMENT')).enforced.verdict, 'allow');
  });

  it('a permit widens the table', () => {
    const cfg = withPolicies({ 'net.cedar': PERMIT_CURL });
    assert.equal(decidePolicies(config({}), request(bash('curl https://x'), 'IMPLEMENT')).enforced.verdict, 'deny');
    const d = decidePolicies(cfg, request(bash('curl https://x'), 'IMPLEMENT'));
    assert.deepEqual([d.enforced.verdict, d.enforced.policyIds], ['allow', ['curl-in-implement']]);
    assert.equal(decidePolicies(cfg, request(bash('curl https://x'), 'SPEC')).enforced.verdict, 'deny');
  });

  it('observe mode decides with the policy, records what it would have blocked, and allows', () => {
    const cfg = withPolicies({ 'push.cedar': NO_PUSH }, { mode: 'observe' });
    const d = decidePolicies(cfg, request(bash('git push'), 'PR'));
    assert.equal(d.enforced.verdict, 'allow');
    assert.deepEqual(d.enforced.policyIds, ['tools.call.PR']);
    assert.deepEqual([d.observed?.verdict, d.observed?.policyIds], ['deny', ['no-push']]);
    // Per policy: the override wins over the mode.
    const enforcedOne = withPolicies(
      { 'push.cedar': NO_PUSH },
      { mode: 'observe', overrides: { 'no-push': 'enforce' } },
    );
    assert.equal(decidePolicies(enforcedOne, request(bash('git push'), 'PR')).enforced.verdict, 'deny');
    assert.equal(policySetOf(enforcedOne).observing, false);
  });

  it('off leaves a policy out, and the digest follows the modes', () => {
    const on = withPolicies({ 'push.cedar': NO_PUSH });
    const off = withPolicies({ 'push.cedar': NO_PUSH }, { overrides: { 'no-push': 'off' } });
    const d = decidePolicies(off, request(bash('git push'), 'PR'));
    assert.deepEqual([d.enforced.verdict, d.observed], ['allow', undefined]);
    assert.notEqual(policySetOf(on).digest, policySetOf(off).digest);
    assert.notEqual(policySetOf(on).digest, policySetOf(config({})).digest);
  });

  it('a syntax error is CONFIG_INVALID naming the file and line', () => {
    const err = loadError(
      withPolicies({
        'ok.cedar': NO_PUSH,
        'broken.cedar': '@id("x")\npermit (principal, action, resource)\nwhen { 1 + };\n',
      }),
    );
    assert.equal(err.details['file'], '.autopilot/policies/broken.cedar');
    assert.equal(err.details['line'], 3);
    assert.match(err.message, /^\.autopilot\/policies\/broken\.cedar:3: unexpected token/);
  });

  it('a policy the schema refuses is CONFIG_INVALID naming the policy, file and line', () => {
    const text = `${NO_PUSH}\n@id("typo")\npermit (principal, action, resource)\nwhen {\n  resource.capabilites.contains("read")\n};\n`;
    const err = loadError(withPolicies({ 'typo.cedar': text }));
    assert.equal(err.details['file'], '.autopilot/policies/typo.cedar');
    assert.equal(err.details['line'], 10);
    assert.match(err.message, /policy typo: .*capabilites/);
  });

  it('refuses a policy without @id, a duplicate id, a generated id, and an override of no policy', () => {
    assert.match(loadError(withPolicies({ 'a.cedar': 'permit (principal, action, resource);' })).message, /no @id/);
    const dup = loadError(withPolicies({ 'a.cedar': NO_PUSH, 'b.cedar': NO_PUSH }));
    assert.match(dup.message, /^\.autopilot\/policies\/b\.cedar:2: policy id no-push is also used at .*a\.cedar:2/);
    const taken = '@id("tools.call.PR")\npermit (principal, action, resource);';
    assert.match(loadError(withPolicies({ 'a.cedar': taken })).message, /taken by the tool table/);
    const ghost = loadError(withPolicies({ 'a.cedar': NO_PUSH }, { overrides: { 'tools.call.PR': 'off' } }));
    assert.equal(ghost.details['key'], 'policies.overrides.tools.call.PR');
    assert.match(ghost.message, /they are no-push/);
  });

  it('the config refuses a mode that is not one', () => {
    const r = parseConfig({ policies: { mode: 'audit' } });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.details['key'], 'policies.mode');
  });
});

describe('policy telemetry', () => {
  it('the tool.guard span carries autopilot.policy.ids, .verdict and, when stricter, .observed', () => {
    const base = { type: 'guard', taskId: 'T-1', phase: 'PR', tool: 'Bash', startMs: 1, endMs: 2 } as const;
    const [denied] = spansOf({
      ...base,
      decision: 'deny',
      capabilities: ['vcs:push'],
      policyIds: ['no-push', 'other'],
      policyVerdict: 'deny',
    });
    assert.equal(denied?.name, 'tool.guard');
    assert.equal(denied?.attributes['autopilot.policy.ids'], 'no-push,other');
    assert.equal(denied?.attributes['autopilot.policy.verdict'], 'deny');
    assert.equal(denied?.attributes['autopilot.policy.observed'], undefined);
    const [observed] = spansOf({
      ...base,
      decision: 'allow',
      capabilities: ['vcs:push'],
      policyIds: ['tools.call.PR'],
      policyVerdict: 'allow',
      policyObserved: 'deny',
    });
    assert.equal(observed?.attributes['autopilot.policy.verdict'], 'allow');
    assert.equal(observed?.attributes['autopilot.policy.observed'], 'deny');
  });
});

describe('the Cedar engine under deoptimization', () => {
  it('survives a long run of engine calls while V8 deoptimizes often (Node 20 aborted on inlined calls into WebAssembly)', () => {
    const script = fileURLToPath(new URL('../helpers/cedar-calls.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--deopt-every-n-times=97', '--import', 'tsx', script, '3000'], {
      encoding: 'utf8',
      timeout: 240_000,
    });
    assert.equal(r.status, 0, `${r.stderr.slice(0, 2000)}`);
    assert.equal(r.stdout, 'ok 3000 1000\n');
  });
});

describe('a request the engine cannot carry', () => {
  it('is denied, naming why, when a path holds a lone surrogate (the compiled policies leave it to the engine)', () => {
    const cfg = config({
      policies: {
        sources: {
          'm.cedar':
            '@id("migrations")\nforbid (principal, action == Autopilot::Action::"call", resource)\nwhen { resource.paths.contains("db/m.sql") };\n',
        },
      },
    });
    const call = write('/repo/src/a\ud800.js');
    const c = classifyToolCall(call, TABLE_CONTEXT);
    const d = decidePolicies(cfg, request(call, 'IMPLEMENT', 'agent', { ...c, paths: ['src/a\ud800.js'] }));
    assert.equal(d.enforced.verdict, 'deny');
    assert.ok(d.enforced.errors.length > 0, JSON.stringify(d.enforced));
    const plain = decidePolicies(cfg, request(call, 'IMPLEMENT', 'agent', { ...c, paths: ['src/a.js'] }));
    assert.equal(plain.enforced.verdict, 'allow');
  });
});
