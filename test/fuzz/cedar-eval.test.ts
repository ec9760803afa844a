/**
 * The policies the guard evaluates in JavaScript (src/core/policy/cedar-eval.ts) against the Cedar engine itself:
 * generated policies over Autopilot's schema (well typed, as a validated set is, and some not), the shipped pack,
 * each on generated requests for every action and resource type. Where the JavaScript answers, it must name exactly
 * what Cedar names; where Cedar raises an error, the JavaScript must not claim the policy holds; and it must answer
 * most requests itself, or the guard would pay Cedar's cost anyway.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as CedarWasm from '@cedar-policy/cedar-wasm/nodejs';
import { compilePolicy, evalRequest, Unevaluable } from '../../src/core/policy/cedar-eval.ts';
import { engine } from '../../src/engine/repo/policies.ts';
import type { CedarEntity, CedarRequest } from '../../src/core/policy/cedar.ts';
import { POLICY_PACK } from '../../src/core/policy/pack.ts';
import { Gen } from './generate.ts';
import { LONG, mulberry32, seedsFor, withSeed } from '../torture/random.ts';

const cedar = engine();
const NS = 'Autopilot';

type Ty = 'S' | 'L' | 'B' | 'SS';
type ResourceType = 'ToolCall' | 'Diff' | 'File';

const ATTRS: Record<ResourceType | 'Actor', Record<string, Ty | 'Diff'>> = {
  Actor: { kind: 'S' },
  ToolCall: { tool: 'S', client: 'S', capabilities: 'SS', unknown: 'B', paths: 'SS' },
  Diff: {
    files: 'L',
    lines: 'L',
    added: 'L',
    removed: 'L',
    paths: 'SS',
    kinds: 'SS',
    secrets: 'L',
    dependencies: 'SS',
    supplyChain: 'S',
    rollback: 'B',
    branch: 'S',
    base: 'S',
    maxFiles: 'L',
    maxLines: 'L',
  },
  File: { path: 'S', kind: 'S', added: 'L', removed: 'L', secrets: 'L', diff: 'Diff' },
};

const STRINGS = [
  '',
  'a',
  'main',
  'release/1',
  'src/a.js',
  'db/migrations/001.sql',
  '.env',
  'x*y',
  'é',
  'a\nb',
  'agent',
];
const PATTERNS = ['*', 'src/*', '*.js', '*/.env', 'x\\*y', 'release/*', '', '*a*b*', 'é*', 'a?b', '*\n*'];
const LONGS = [0, 1, 2, 5, -3, 1000, 2 ** 40, 9007199254740991];
const HUGE = '9223372036854775807';

/** Cedar text of typed expressions over one resource type, and requests to ask them on. */
class Policies {
  constructor(
    private readonly g: Gen,
    private readonly type: ResourceType,
  ) {}

  private str = (s: string) => JSON.stringify(s);

  private attrOf(ty: Ty): string | null {
    const g = this.g;
    const owners: [string, ResourceType | 'Actor'][] = [
      ['resource', this.type],
      ['principal', 'Actor'],
    ];
    if (this.type === 'File') owners.push(['resource.diff', 'Diff']);
    const options = owners.flatMap(([at, t]) =>
      Object.entries(ATTRS[t])
        .filter(([, a]) => a === ty)
        .map(([name]) => `${at}.${name}`),
    );
    if (ty === 'S') options.push('context.phase', 'context.task');
    return options.length ? g.pick(options) : null;
  }

  expr(ty: Ty, depth: number): string {
    const g = this.g;
    const leaf = depth <= 0 || g.chance(0.2);
    const attr = this.attrOf(ty);
    if (leaf || g.chance(0.25)) {
      if (attr && g.chance(0.5)) return attr;
      switch (ty) {
        case 'S':
          return this.str(g.pick(STRINGS));
        case 'L':
          return g.chance(0.03) ? HUGE : String(g.pick(LONGS.filter((n) => n >= 0)));
        case 'B':
          return g.pick(['true', 'false']);
        default:
          return `[${Array.from({ length: 1 + g.int(3) }, () => this.str(g.pick(STRINGS))).join(', ')}]`;
      }
    }
    const d = depth - 1;
    switch (ty) {
      case 'L':
        return g.pick([
          () => `(${this.expr('L', d)} + ${this.expr('L', d)})`,
          () => `(${this.expr('L', d)} - ${this.expr('L', d)})`,
          () => `(${this.expr('L', d)} * ${this.expr('L', d)})`,
          () => `(-${this.expr('L', d)})`,
          () => `(if ${this.expr('B', d)} then ${this.expr('L', d)} else ${this.expr('L', d)})`,
          () => `{n: ${this.expr('L', d)}}.n`,
        ])();
      case 'S':
        return `(if ${this.expr('B', d)} then ${this.expr('S', d)} else ${this.expr('S', d)})`;
      case 'SS':
        return g.pick([
          () => `[${this.expr('S', d)}, ${this.expr('S', d)}]`,
          () => `(if ${this.expr('B', d)} then ${this.expr('SS', d)} else ${this.expr('SS', d)})`,
        ])();
      default:
        return g.pick([
          () => `(${this.expr('L', d)} ${g.pick(['<', '<=', '>', '>=', '==', '!='])} ${this.expr('L', d)})`,
          () => `(${this.expr('S', d)} ${g.pick(['==', '!='])} ${this.expr('S', d)})`,
          () => `(${this.expr('S', d)} like ${this.str(g.pick(PATTERNS)).replace(/\\\\\*/g, '\\*')})`,
          () => `${this.expr('SS', d)}.contains(${this.expr('S', d)})`,
          () => `${this.expr('SS', d)}.containsAll(${this.expr('SS', d)})`,
          () => `${this.expr('SS', d)}.containsAny(${this.expr('SS', d)})`,
          () => `${this.expr('SS', d)}.isEmpty()`,
          () => `(${this.expr('SS', d)} == ${this.expr('SS', d)})`,
          () => `(!${this.expr('B', d)})`,
          () => `(${this.expr('B', d)} && ${this.expr('B', d)})`,
          () => `(${this.expr('B', d)} || ${this.expr('B', d)})`,
          () => `(if ${this.expr('B', d)} then ${this.expr('B', d)} else ${this.expr('B', d)})`,
          () => `(resource has ${g.pick(Object.keys(ATTRS[this.type]))})`,
          () => `(resource is ${NS}::${g.pick(['ToolCall', 'Diff', 'File'])})`,
          () => `(resource == ${NS}::${this.type}::${this.str(g.pick(['Bash', 'd', 'src/a.js']))})`,
          () => `(principal in [${NS}::Actor::"agent:a", ${NS}::Actor::${this.str(g.pick(['agent:b', 'person:p']))}])`,
          () => `(action == ${NS}::Action::${this.str(g.pick(['call', 'ask', 'change']))})`,
          () => `({k: ${this.expr('S', d)}} == {k: ${this.expr('S', d)}})`,
          // Ill-typed on purpose: a set compared with a number, an attribute the type does not have.
          () =>
            g.chance(0.3) ? `(${this.expr('SS', d)} == 1)` : `(resource.${g.pick(['path', 'files', 'tool'])} == 1)`,
        ])();
    }
  }

  policy(id: string): string {
    const g = this.g;
    const principal = g.pick(['principal', `principal is ${NS}::Actor`, `principal == ${NS}::Actor::"agent:a"`]);
    const action = g.pick([
      'action',
      `action == ${NS}::Action::"call"`,
      `action in [${NS}::Action::"ask", ${NS}::Action::"change"]`,
    ]);
    const resource = g.pick(['resource', `resource is ${NS}::${this.type}`, `resource is ${NS}::Diff`]);
    const conditions = Array.from(
      { length: g.chance(0.1) ? 0 : 1 + g.int(2) },
      () => `${g.pick(['when', 'unless'])} { ${this.expr('B', 2 + g.int(3))} }`,
    );
    return `@id(${this.str(id)})\n${g.pick(['permit', 'forbid'])} (${principal}, ${action}, ${resource})\n${conditions.join('\n')};`;
  }

  private value(ty: Ty): string | number | boolean | string[] {
    const g = this.g;
    switch (ty) {
      case 'S':
        // Now and then a lone surrogate, which JSON carries and Cedar refuses: the whole request is then refused.
        return g.chance(0.01) ? `${g.pick(STRINGS)}\ud800` : g.pick(STRINGS);
      case 'L':
        return g.pick(LONGS);
      case 'B':
        return g.chance(0.5);
      default:
        return Array.from({ length: g.int(4) }, () => g.pick(STRINGS));
    }
  }

  private attrs(type: ResourceType | 'Actor'): Record<string, CedarEntity['attrs'][string]> {
    const out: Record<string, CedarEntity['attrs'][string]> = {};
    for (const [name, ty] of Object.entries(ATTRS[type])) {
      if (this.g.chance(0.03)) continue; // now and then an attribute missing: Cedar raises an error
      out[name] = ty === 'Diff' ? { __entity: { type: `${NS}::Diff`, id: 'd' } } : this.value(ty);
    }
    return out;
  }

  request(): CedarRequest {
    const g = this.g;
    const principal = { type: `${NS}::Actor`, id: g.pick(['agent:a', 'agent:b', 'person:p']) };
    const resource = {
      type: `${NS}::${this.type}`,
      id: g.pick(this.type === 'ToolCall' ? ['Bash', 'Edit'] : this.type === 'Diff' ? ['d'] : ['src/a.js', '.env']),
    };
    const entities: CedarEntity[] = [
      { uid: principal, attrs: this.attrs('Actor') },
      { uid: resource, attrs: this.attrs(this.type) },
    ];
    if (this.type === 'File' && !g.chance(0.05))
      entities.push({ uid: { type: `${NS}::Diff`, id: 'd' }, attrs: this.attrs('Diff') });
    return {
      principal,
      resource,
      context: { phase: g.pick(['SPEC', 'IMPLEMENT', '']), task: g.pick(['T-1', '']) },
      entities,
    };
  }
}

/** Cedar's answer for one policy (as a permit, so that it is named when satisfied) on one request. */
function byCedar(
  json: CedarWasm.PolicyJson,
  action: string,
  req: CedarRequest,
): { holds: boolean; errors: number; refused?: true } {
  let answer: ReturnType<typeof cedar.isAuthorized>;
  try {
    answer = cedar.isAuthorized({
      principal: req.principal,
      action: { type: `${NS}::Action`, id: action },
      resource: req.resource,
      context: req.context,
      entities: req.entities.map((e) => ({ uid: e.uid, attrs: { ...e.attrs }, parents: [] })),
      policies: { staticPolicies: { p: { ...json, effect: 'permit' } } },
    });
  } catch {
    // A lone surrogate does not even cross into the engine: its JSON bridge throws.
    return { holds: false, errors: 0, refused: true };
  }
  if (answer.type !== 'success') return { holds: false, errors: 0, refused: true };
  return {
    holds: answer.response.diagnostics.reason.includes('p'),
    errors: answer.response.diagnostics.errors.length,
  };
}

interface Tally {
  answered: number;
  deferred: number;
  held: number;
  errors: number;
  uncompiled: number;
  huge: number;
  refused: number;
}

/** Asks `text` on `requests` both ways, for every action; returns what happened. */
function compare(text: string, requests: readonly (readonly [ResourceType, CedarRequest])[], t: Tally): void {
  const parsed = cedar.policyToJson(text);
  assert.equal(parsed.type, 'success', `${text}\n${JSON.stringify(parsed)}`);
  if (parsed.type !== 'success') return;
  const test = compilePolicy(parsed.json);
  // A Long literal past 2^53 is not a JavaScript integer: such a policy is left to the engine.
  if (text.includes(HUGE)) t.huge++;
  if (!test) {
    t.uncompiled++;
    return;
  }
  for (const [, req] of requests) {
    for (const action of ['call', 'ask', 'change']) {
      const cedarSays = byCedar(parsed.json, action, req);
      let ours: boolean | 'deferred';
      try {
        ours = test(evalRequest(req, { type: `${NS}::Action`, id: action }));
      } catch (err) {
        if (!(err instanceof Unevaluable)) throw err;
        ours = 'deferred';
      }
      const what = `${text}\n${action} on ${JSON.stringify(req)}`;
      if (cedarSays.refused) {
        // The engine refused the request whole (its guard answer: deny): the JavaScript must leave it to the engine.
        t.refused++;
        assert.equal(ours, 'deferred', what);
        continue;
      }
      if (cedarSays.errors) t.errors++;
      if (ours === 'deferred') {
        t.deferred++;
        continue;
      }
      t.answered++;
      if (cedarSays.holds) t.held++;
      assert.equal(ours, cedarSays.holds, what);
    }
  }
}

const POLICIES = LONG ? 2000 : 300;
const REQUESTS = LONG ? 40 : 12;

describe('Cedar policies evaluated in JavaScript', () => {
  for (const seed of seedsFor('fuzz-cedar'))
    it(`name what the Cedar engine names on generated policies and requests (seed ${seed})`, () =>
      withSeed(seed, 'fuzz/cedar-eval', async () => {
        const g = new Gen(mulberry32(seed));
        const t: Tally = { answered: 0, deferred: 0, held: 0, errors: 0, uncompiled: 0, huge: 0, refused: 0 };
        for (let i = 0; i < POLICIES; i++) {
          const type = g.pick(['ToolCall', 'Diff', 'File'] as const);
          const p = new Policies(g, type);
          const requests = Array.from({ length: REQUESTS }, () => [type, p.request()] as const);
          compare(p.policy(`p${i}`), requests, t);
        }
        process.stdout.write(`# cedar-eval: seed ${seed}, ${JSON.stringify(t)}\n`);
        assert.equal(t.uncompiled, t.huge, 'every generated construct but a Long past 2^53 is one the evaluator knows');
        assert.ok(t.refused > 0, 'some requests hold a lone surrogate, which the engine refuses');
        assert.ok(t.held > POLICIES, `some policies hold (${t.held})`);
        assert.ok(t.errors > 0, 'some requests make Cedar raise an error, and are deferred to it');
        assert.ok(t.answered > 10 * t.deferred, `most requests are answered in JavaScript (${JSON.stringify(t)})`);
      }));

  it('name what the Cedar engine names for every policy of the pack, on the pack’s own kinds of requests', () => {
    const g = new Gen(mulberry32(20261207));
    const t: Tally = { answered: 0, deferred: 0, held: 0, errors: 0, uncompiled: 0, huge: 0, refused: 0 };
    for (const [file, text] of Object.entries(POLICY_PACK)) {
      for (const part of text.split(/(?=^@id\()/m).filter((s) => s.startsWith('@id('))) {
        for (const type of ['Diff', 'File', 'ToolCall'] as const) {
          const p = new Policies(g, type);
          const requests = Array.from({ length: 60 }, () => [type, p.request()] as const);
          // The pack's attributes from its own vocabulary, so that its conditions hold now and then.
          for (const [, r] of requests) {
            const res = r.entities[1]!.attrs as Record<string, unknown>;
            if (type === 'File') res['path'] = g.pick(['.env', 'src/a.js', 'node_modules/x', 'db/m.sql', 'a.pem']);
            if (type === 'File') res['kind'] = g.pick(['source', 'migration', 'flag', 'ci', 'other']);
            if (type === 'Diff') res['branch'] = g.pick(['main', 'release/2', 'feat/x']);
            if (type === 'Diff') res['kinds'] = g.pick([['source'], ['source', 'test'], ['manifest'], []]);
            if (type === 'Diff') res['supplyChain'] = g.pick(['fail', 'unknown', 'pass']);
          }
          compare(part.replace(/^\/\/.*$/gm, ''), requests, t);
        }
      }
      assert.ok(file.endsWith('.cedar'));
    }
    assert.equal(t.uncompiled, 0, 'every pack policy is evaluated in JavaScript');
    assert.ok(t.held > 50, `the pack's policies hold on some requests (${t.held})`);
    assert.ok(t.answered > 10 * t.deferred, JSON.stringify(t));
  });

  it('leaves to the engine what it does not evaluate: extension functions, and errors it cannot tell', () => {
    const ext = cedar.policyToJson(
      `permit (principal, action, resource) when { ip("10.0.0.1").isInRange(ip("10.0.0.0/8")) };`,
    );
    assert.equal(ext.type, 'success');
    if (ext.type === 'success') assert.equal(compilePolicy(ext.json), null);
    const huge = cedar.policyToJson(`permit (principal, action, resource) when { ${HUGE} > 1 };`);
    assert.equal(huge.type, 'success');
    if (huge.type === 'success') assert.equal(compilePolicy(huge.json), null, 'a Long past 2^53');
    const overflow = cedar.policyToJson(
      `@id("o") forbid (principal, action, resource is ${NS}::Diff) when { resource.lines * 1099511627776 > 0 };`,
    );
    assert.equal(overflow.type, 'success');
    if (overflow.type !== 'success') return;
    const test = compilePolicy(overflow.json);
    assert.ok(test);
    const req: CedarRequest = {
      principal: { type: `${NS}::Actor`, id: 'agent:a' },
      resource: { type: `${NS}::Diff`, id: 'd' },
      context: { phase: 'SPEC', task: 'T-1' },
      entities: [{ uid: { type: `${NS}::Diff`, id: 'd' }, attrs: { lines: 2 ** 40 } }],
    };
    assert.throws(() => test(evalRequest(req, { type: `${NS}::Action`, id: 'change' })), Unevaluable);
    assert.deepEqual(byCedar(overflow.json, 'change', req), { holds: false, errors: 1 });
  });
});
