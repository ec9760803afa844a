/** @module JSON evidence: parses the document, checks it against its JSON Schema (ajv) and its dotted-path assertions. */
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { ArtifactRule, JsonAssertion } from '../core/config.ts';
import { AutopilotError, ErrorCode } from '../core/errors.ts';
import type { Finding } from './types.ts';

/** At most this many 'json-schema' findings per file. */
export const MAX_SCHEMA_FINDINGS = 20;

const AJV_OPTIONS: Options = { allErrors: true, strict: false, logger: false };

// Compiled validators, one per schema object (a fresh ajv each, so `$id`s of different configs never collide).
const compiled = new WeakMap<object, ValidateFunction>();

function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const cached = compiled.get(schema);
  if (cached) return cached;
  const dialect = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
  const ajv = dialect.includes('2020-12')
    ? new Ajv2020(AJV_OPTIONS)
    : dialect.includes('2019-09')
      ? new Ajv2019(AJV_OPTIONS)
      : new Ajv(AJV_OPTIONS);
  // ajv-formats is CommonJS: under Node's ESM loader the default import is `module.exports`, whose `.default` is the plugin.
  formats.default(ajv);
  const validate = ajv.compile(schema);
  compiled.set(schema, validate);
  return validate;
}

/**
 * Why ajv cannot compile a JSON Schema, or undefined when it can. Lets config
 * loading reject a bad schema early; `validateJson` throws on one.
 */
export function schemaProblem(schema: Record<string, unknown>): string | undefined {
  try {
    compileSchema(schema);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1) || file;
}

function show(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function schemaFix(e: ErrorObject, where: string): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `Add the property "${String(p['missingProperty'])}" to the object at ${where}.`;
    case 'additionalProperties':
      return `Remove the property "${String(p['additionalProperty'])}" from the object at ${where}.`;
    case 'type':
      return `Make ${where} a JSON ${String(p['type'])}.`;
    case 'enum':
      return `Set ${where} to one of ${((p['allowedValues'] as unknown[] | undefined) ?? []).map(show).join(', ')}.`;
    case 'const':
      return `Resolve what ${where} reports until it is honestly ${show(p['allowedValue'])}, then record that value; do not change the value alone.`;
    default:
      return `Change ${where} so that it satisfies the schema: it ${e.message ?? 'is invalid'}.`;
  }
}

function schemaFindings(validate: ValidateFunction, doc: unknown, file: string): Finding[] {
  if (validate(doc)) return [];
  const errors = validate.errors ?? [];
  const findings = errors.slice(0, MAX_SCHEMA_FINDINGS).map((e): Finding => {
    const where = e.instancePath || '(root)';
    const p = e.params as Record<string, unknown>;
    const detail =
      e.keyword === 'enum'
        ? `: ${((p['allowedValues'] as unknown[] | undefined) ?? []).map(show).join(', ')}`
        : e.keyword === 'const'
          ? ` ${show(p['allowedValue'])}`
          : e.keyword === 'additionalProperties'
            ? ` ("${String(p['additionalProperty'])}")`
            : '';
    return {
      file,
      rule: 'json-schema',
      problem: `At ${where}: ${e.message ?? 'invalid'}${detail}.`,
      fix: schemaFix(e, where),
    };
  });
  const rest = errors.length - findings.length;
  const last = findings[findings.length - 1];
  if (rest > 0 && last) {
    findings[findings.length - 1] = { ...last, problem: `${last.problem} (${rest} more schema errors not shown.)` };
  }
  return findings;
}

/** The value at a dotted path, or where the path breaks off. */
export type PathLookup =
  { readonly found: true; readonly value: unknown } | { readonly found: false; readonly reason: string };

/**
 * Resolves a dotted path (`totals.failed`, `files.0.path`, `files.length`): numeric
 * segments index arrays, `length` is the length of an array or string, other
 * segments are own properties of objects.
 */
export function lookupPath(doc: unknown, path: string): PathLookup {
  let current: unknown = doc;
  const segments = path.split('.');
  for (const [i, seg] of segments.entries()) {
    const at = segments.slice(0, i).join('.') || '(root)';
    if (Array.isArray(current)) {
      if (seg === 'length') current = current.length;
      else if (/^(0|[1-9]\d*)$/.test(seg) && Number(seg) < current.length) current = current[Number(seg)];
      else return { found: false, reason: `${at} is an array of ${current.length} with no element "${seg}"` };
    } else if (typeof current === 'string') {
      if (seg !== 'length') return { found: false, reason: `${at} is a string, which has no "${seg}"` };
      current = current.length;
    } else if (current !== null && typeof current === 'object') {
      if (!Object.hasOwn(current, seg)) return { found: false, reason: `${at} has no property "${seg}"` };
      current = (current as Record<string, unknown>)[seg];
    } else {
      return { found: false, reason: `${at} is ${show(current)}, not an object or array` };
    }
  }
  return { found: true, value: current };
}

const OP_WORDS: Record<JsonAssertion['op'], string> = {
  eq: 'equal',
  ne: 'differ from',
  gt: 'be greater than',
  gte: 'be at least',
  lt: 'be less than',
  lte: 'be at most',
};

function holds(actual: unknown, op: JsonAssertion['op'], expected: JsonAssertion['value']): boolean {
  if (op === 'eq') return actual === expected;
  if (op === 'ne') return actual !== expected;
  if (typeof actual !== typeof expected || (typeof actual !== 'number' && typeof actual !== 'string')) return false;
  const a = actual as number | string;
  if (op === 'gt') return a > expected;
  if (op === 'gte') return a >= expected;
  if (op === 'lt') return a < expected;
  return a <= expected;
}

/** One 'json-assert' finding per assertion that fails; a missing path fails. The fix is the assertion's hint when given. */
export function checkAssertions(assertions: readonly JsonAssertion[], doc: unknown, file: string): Finding[] {
  const findings: Finding[] = [];
  for (const a of assertions) {
    const want = `${OP_WORDS[a.op]} ${show(a.value)}`;
    const found = lookupPath(doc, a.path);
    if (!found.found) {
      findings.push({
        file,
        rule: 'json-assert',
        problem: `${a.path} is missing (${found.reason}); it must ${want}.`,
        fix: a.hint ?? `Add ${a.path} to ${baseName(file)}; it must ${want}.`,
      });
    } else if (!holds(found.value, a.op, a.value)) {
      findings.push({
        file,
        rule: 'json-assert',
        problem: `${a.path} is ${show(found.value)}; it must ${want}.`,
        fix: a.hint ?? `Change the work so that ${a.path} would ${want}, then regenerate ${baseName(file)}.`,
      });
    }
  }
  return findings;
}

/**
 * Validates a JSON document: 'json-parse' when it does not parse (nothing else runs),
 * else one 'json-schema' finding per ajv error (at most {@link MAX_SCHEMA_FINDINGS}) and
 * one 'json-assert' per failing assertion. A schema ajv cannot compile is a config
 * error and throws an AutopilotError (CONFIG_INVALID).
 */
export function validateJson(
  rule: Pick<ArtifactRule, 'name' | 'schema' | 'assert'>,
  text: string,
  file: string,
): Finding[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    return [
      {
        file,
        rule: 'json-parse',
        problem: `The file is not valid JSON: ${message.length > 200 ? `${message.slice(0, 197)}...` : message}.`,
        fix: `Rewrite ${baseName(file)} as one valid JSON document (double-quoted keys and strings, no comments, no trailing commas).`,
      },
    ];
  }
  const findings: Finding[] = [];
  if (rule.schema) {
    let validate: ValidateFunction;
    try {
      validate = compileSchema(rule.schema);
    } catch (err) {
      const reason = `not a usable JSON Schema: ${(err as Error).message}`;
      throw new AutopilotError(ErrorCode.CONFIG_INVALID, `artifact ${rule.name}: schema is ${reason}`, {
        key: 'schema',
        reason,
      });
    }
    findings.push(...schemaFindings(validate, doc, file));
  }
  findings.push(...checkAssertions(rule.assert, doc, file));
  return findings;
}
