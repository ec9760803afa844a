/**
 * @module Cedar policies evaluated in JavaScript, for the requests the guard makes on every tool call. Crossing into
 * the WebAssembly engine costs about 100 µs a request here whatever the policies say, more than the whole budget of
 * a hook; the policies a repository writes are mostly comparisons of attributes with literals, which cost a few
 * microseconds as closures. So each policy of a validated set is compiled from Cedar's JSON form (the "EST",
 * `policyToJson`) into a closure when every construct in it is one this module knows, and the engine decides the
 * rest: a policy using anything else (extension functions, tags, templates) is not compiled, and a request on
 * which a compiled policy would raise an error in Cedar (a missing entity or attribute, an overflow, a value of an
 * unexpected type) throws {@link Unevaluable}, so that the engine answers the whole request and names the error as
 * it does. A differential test holds this to the engine's answers on generated policies and requests.
 *
 * Requests here are the guard's: entities have no parents (`in` is equality), as `cedarRequest` and
 * `changeRequests` build them.
 */
import type { CedarEntity, CedarRequest, CedarValue } from './cedar.ts';

/** A request this module cannot decide as Cedar would: the engine decides it instead. */
export class Unevaluable extends Error {}

const unevaluable = (why: string): never => {
  throw new Unevaluable(why);
};

interface EntityRef {
  readonly __entity: { readonly type: string; readonly id: string };
}
type Value = string | boolean | number | readonly Value[] | EntityRef | { readonly [k: string]: Value };

/** A request as the closures read it: the variables, and each entity's attributes by `type::id`. */
export interface EvalRequest {
  readonly principal: EntityRef;
  readonly action: EntityRef;
  readonly resource: EntityRef;
  readonly context: { readonly [k: string]: Value };
  readonly entities: ReadonlyMap<string, Readonly<Record<string, CedarValue>>>;
}

const keyOf = (e: { type: string; id: string }) => `${e.type}::${e.id}`;

// With the u flag a surrogate pair is one code point, so only a lone surrogate is in the category Cs.
const LONE_SURROGATE = /\p{Cs}/u;

/** True when every string in `v` is well-formed Unicode (no lone surrogate), as every string Cedar holds is. */
function wellFormed(v: unknown): boolean {
  if (typeof v === 'string') return !LONE_SURROGATE.test(v);
  if (Array.isArray(v)) {
    for (const x of v) if (!wellFormed(x)) return false;
    return true;
  }
  if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) if (LONE_SURROGATE.test(k) || !wellFormed(x)) return false;
  }
  return true;
}

/**
 * The request of `req` for `action`, entities indexed once for every policy asked. A request holding a string that
 * is not well-formed Unicode (a lone surrogate, which JSON can carry) is one the engine refuses whole, so it is
 * {@link Unevaluable} here: the engine's refusal, which denies, stays the answer.
 */
export function evalRequest(req: CedarRequest, action: { type: string; id: string }): EvalRequest {
  if (!wellFormed(req.principal) || !wellFormed(req.resource) || !wellFormed(req.context))
    unevaluable('a string that is not well-formed Unicode');
  const entities = new Map<string, Readonly<Record<string, CedarValue>>>();
  for (const e of req.entities as readonly CedarEntity[]) {
    if (!wellFormed(e.uid) || !wellFormed(e.attrs)) unevaluable('a string that is not well-formed Unicode');
    entities.set(keyOf(e.uid), e.attrs);
  }
  return {
    principal: { __entity: req.principal },
    action: { __entity: action },
    resource: { __entity: req.resource },
    context: req.context,
    entities,
  };
}

type Expr = (r: EvalRequest) => Value;

const isEntity = (v: Value): v is EntityRef =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && '__entity' in v;
const isRecord = (v: Value): v is { readonly [k: string]: Value } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !('__entity' in v);

function bool(v: Value): boolean {
  return typeof v === 'boolean' ? v : unevaluable('not a boolean');
}
function long(v: Value): number {
  return typeof v === 'number' ? v : unevaluable('not a Long');
}
function set(v: Value): readonly Value[] {
  return Array.isArray(v) ? (v as readonly Value[]) : unevaluable('not a set');
}
function entity(v: Value): EntityRef {
  return isEntity(v) ? v : unevaluable('not an entity');
}
/** A Long result: Cedar's are 64-bit and an overflow is an error; past 2^53 this module cannot tell, so it defers. */
function checked(n: number): number {
  return Number.isSafeInteger(n) ? n : unevaluable('a Long out of range');
}

/** Cedar's equality: values of different types are unequal; sets compare as sets, records field by field. */
function equal(a: Value, b: Value): boolean {
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return false;
    const x = a as readonly Value[];
    const y = b as readonly Value[];
    return x.every((v) => y.some((w) => equal(v, w))) && y.every((w) => x.some((v) => equal(v, w)));
  }
  if (isEntity(a) || isEntity(b)) {
    if (!isEntity(a) || !isEntity(b)) return false;
    return a.__entity.type === b.__entity.type && a.__entity.id === b.__entity.id;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  const rb = b as { readonly [k: string]: Value };
  return ka.length === kb.length && ka.every((k) => k in rb && equal((a as typeof rb)[k]!, rb[k]!));
}

const member = (s: readonly Value[], v: Value) => s.some((w) => equal(v, w));

/** A value as stored in a request's attributes: entity references keep their `__entity` form. */
function attrOf(r: EvalRequest, target: Value, attr: string): Value {
  if (isEntity(target)) {
    const attrs = r.entities.get(keyOf(target.__entity)) ?? unevaluable('an entity the request does not hold');
    return Object.prototype.hasOwnProperty.call(attrs, attr)
      ? (attrs[attr] as Value)
      : unevaluable(`no attribute ${attr}`);
  }
  if (isRecord(target))
    return Object.prototype.hasOwnProperty.call(target, attr) ? target[attr]! : unevaluable(`no attribute ${attr}`);
  return unevaluable('an attribute of a value that has none');
}

/** `pattern` of a `like` as an anchored regular expression (the wildcard matches any characters, newlines too). */
function likePattern(pattern: unknown): RegExp | null {
  if (!Array.isArray(pattern)) return null;
  let source = '';
  for (const part of pattern as unknown[]) {
    if (part === 'Wildcard') source += '[\\s\\S]*';
    else if (typeof part === 'object' && part !== null && typeof (part as { Literal?: unknown }).Literal === 'string')
      source += [...(part as { Literal: string }).Literal]
        .map((ch) => ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'))
        .join('');
    else return null;
  }
  return new RegExp(`^${source}$`, 'u');
}

const BINARY = [
  '==',
  '!=',
  'in',
  '<',
  '<=',
  '>',
  '>=',
  '&&',
  '||',
  '+',
  '-',
  '*',
  'contains',
  'containsAll',
  'containsAny',
];

/** `json` (an EST expression) as a closure, or null when it uses a construct this module does not evaluate. */
function compileExpr(json: unknown): Expr | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const keys = Object.keys(json);
  if (keys.length !== 1) return null;
  const op = keys[0]!;
  const body = (json as Record<string, unknown>)[op];
  if (op === 'Value') {
    const v = literal(body);
    return v === null ? null : () => v;
  }
  if (op === 'Var') {
    if (body === 'principal') return (r) => r.principal;
    if (body === 'action') return (r) => r.action;
    if (body === 'resource') return (r) => r.resource;
    if (body === 'context') return (r) => r.context;
    return null;
  }
  if (op === 'Set') {
    if (!Array.isArray(body)) return null;
    const items = body.map(compileExpr);
    if (items.some((x) => x === null)) return null;
    const fs = items as Expr[];
    return (r) => fs.map((f) => f(r));
  }
  if (op === 'Record') {
    if (typeof body !== 'object' || body === null || '__entity' in body) return null;
    const fields = Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, compileExpr(v)] as const);
    if (fields.some(([, f]) => f === null)) return null;
    return (r) => Object.fromEntries(fields.map(([k, f]) => [k, (f as Expr)(r)]));
  }
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  if (op === '!' || op === 'neg' || op === 'isEmpty') {
    const arg = compileExpr(b['arg']);
    if (!arg) return null;
    if (op === '!') return (r) => !bool(arg(r));
    if (op === 'neg') return (r) => checked(-long(arg(r)));
    return (r) => set(arg(r)).length === 0;
  }
  if (op === '.' || op === 'has') {
    const left = compileExpr(b['left']);
    const attr = b['attr'];
    if (!left || typeof attr !== 'string') return null;
    if (op === '.') return (r) => attrOf(r, left(r), attr);
    return (r) => {
      const target = left(r);
      if (isEntity(target)) {
        const attrs = r.entities.get(keyOf(target.__entity)) ?? unevaluable('an entity the request does not hold');
        return Object.prototype.hasOwnProperty.call(attrs, attr);
      }
      if (isRecord(target)) return Object.prototype.hasOwnProperty.call(target, attr);
      return unevaluable('has on a value that has no attributes');
    };
  }
  if (op === 'like') {
    const left = compileExpr(b['left']);
    const re = likePattern(b['pattern']);
    if (!left || !re) return null;
    return (r) => {
      const v = left(r);
      return typeof v === 'string' ? re.test(v) : unevaluable('like on a value that is not a string');
    };
  }
  if (op === 'is') {
    const left = compileExpr(b['left']);
    const type = b['entity_type'];
    if (!left || typeof type !== 'string') return null;
    const within = b['in'] === undefined ? undefined : compileExpr(b['in']);
    if (within === null) return null;
    return (r) => {
      const e = entity(left(r));
      if (e.__entity.type !== type) return false;
      return within ? inside(e, within(r)) : true;
    };
  }
  if (op === 'if-then-else') {
    const cond = compileExpr(b['if']);
    const then = compileExpr(b['then']);
    const other = compileExpr(b['else']);
    if (!cond || !then || !other) return null;
    return (r) => (bool(cond(r)) ? then(r) : other(r));
  }
  if (BINARY.includes(op)) {
    const left = compileExpr(b['left']);
    const right = compileExpr(b['right']);
    if (!left || !right) return null;
    switch (op) {
      case '==':
        return (r) => equal(left(r), right(r));
      case '!=':
        return (r) => !equal(left(r), right(r));
      case 'in':
        return (r) => inside(entity(left(r)), right(r));
      case '<':
        return (r) => long(left(r)) < long(right(r));
      case '<=':
        return (r) => long(left(r)) <= long(right(r));
      case '>':
        return (r) => long(left(r)) > long(right(r));
      case '>=':
        return (r) => long(left(r)) >= long(right(r));
      case '&&':
        return (r) => bool(left(r)) && bool(right(r));
      case '||':
        return (r) => bool(left(r)) || bool(right(r));
      case '+':
        return (r) => checked(long(left(r)) + long(right(r)));
      case '-':
        return (r) => checked(long(left(r)) - long(right(r)));
      case '*':
        return (r) => checked(long(left(r)) * long(right(r)));
      case 'contains':
        return (r) => member(set(left(r)), right(r));
      case 'containsAll': {
        return (r) => {
          const s = set(left(r));
          return set(right(r)).every((v) => member(s, v));
        };
      }
      default: {
        return (r) => {
          const s = set(left(r));
          return set(right(r)).some((v) => member(s, v));
        };
      }
    }
  }
  // Extension functions and methods (ip, decimal, datetime, ...), tags, slots: the engine decides.
  return null;
}

/** `e in target`: entities have no parents in these requests, so it is equality with the entity or a member. */
function inside(e: EntityRef, target: Value): boolean {
  if (Array.isArray(target)) return (target as readonly Value[]).some((t) => equal(e, entity(t)));
  return equal(e, entity(target));
}

function literal(v: unknown): Value | null {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : null;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const e = (v as { __entity?: unknown }).__entity;
    if (typeof e === 'object' && e !== null) {
      const { type, id } = e as { type?: unknown; id?: unknown };
      if (typeof type === 'string' && typeof id === 'string') return { __entity: { type, id } };
    }
  }
  return null;
}

type Scope = { op: string; entity?: unknown; entities?: unknown; entity_type?: unknown; in?: unknown };

/** A scope constraint on the variable `v` as a test, or null when it has a form not evaluated here (a slot). */
function compileScope(scope: Scope | undefined, v: 'principal' | 'action' | 'resource'): Expr | null {
  if (!scope) return null;
  const variable: Expr = (r) => r[v];
  const target = (x: unknown): Value | null => (Array.isArray(x) ? listOf(x) : literal({ __entity: x }));
  const listOf = (xs: unknown[]): Value | null => {
    const items = xs.map((x) => literal({ __entity: x }));
    return items.some((i) => i === null) ? null : (items as Value[]);
  };
  switch (scope.op) {
    case 'All':
      return () => true;
    case '==': {
      const e = target(scope.entity);
      return e === null || Array.isArray(e) ? null : (r) => equal(variable(r), e);
    }
    case 'in': {
      const e = scope.entities !== undefined ? target(scope.entities) : target(scope.entity);
      return e === null ? null : (r) => inside(entity(variable(r)), e);
    }
    case 'is': {
      if (typeof scope.entity_type !== 'string') return null;
      const type = scope.entity_type;
      if (scope.in === undefined) return (r) => entity(variable(r)).__entity.type === type;
      const where = scope.in as { entity?: unknown };
      const e = target(where.entity);
      if (e === null || Array.isArray(e)) return null;
      return (r) => {
        const x = entity(variable(r));
        return x.__entity.type === type && inside(x, e);
      };
    }
    default:
      return null;
  }
}

/** Whether a policy's scope and conditions hold on a request; throws {@link Unevaluable} where Cedar would err. */
export type PolicyTest = (r: EvalRequest) => boolean;

/**
 * A policy in Cedar's JSON form (as `policyToJson` gives it) as a test of whether its scope and conditions hold,
 * its effect aside; null when it uses a construct evaluated only by the engine.
 */
export function compilePolicy(json: {
  principal?: unknown;
  action?: unknown;
  resource?: unknown;
  conditions?: unknown;
}): PolicyTest | null {
  const scopes = [
    compileScope(json.principal as Scope | undefined, 'principal'),
    compileScope(json.action as Scope | undefined, 'action'),
    compileScope(json.resource as Scope | undefined, 'resource'),
  ];
  if (scopes.some((s) => s === null)) return null;
  const conditions: { when: boolean; body: Expr }[] = [];
  for (const c of Array.isArray(json.conditions) ? (json.conditions as unknown[]) : []) {
    const { kind, body } = (c ?? {}) as { kind?: unknown; body?: unknown };
    if (kind !== 'when' && kind !== 'unless') return null;
    const f = compileExpr(body);
    if (!f) return null;
    conditions.push({ when: kind === 'when', body: f });
  }
  const [p, a, res] = scopes as Expr[];
  return (r) => {
    if (!p!(r) || !a!(r) || !res!(r)) return false;
    for (const c of conditions) if (bool(c.body(r)) !== c.when) return false;
    return true;
  };
}
