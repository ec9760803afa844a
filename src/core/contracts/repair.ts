/**
 * @module Auto-repair of a contract document, strict and fail-closed: what is mechanical (whitespace, key order,
 * layout, a `./` before a path, a field the repository gives such as the diff's files) is normalised and each repair
 * recorded; anything else is an issue naming the field. Pure: the repository's facts come in as a ContractContext.
 */
import type { z } from 'zod';
import {
  CONTRACT_SCHEMAS,
  CONTRACT_VERSION,
  contractSchemaFile,
  type ChangeSet,
  type ContractType,
  type Plan,
  type PRSummary,
} from './schemas.ts';

/** What a diff does to a file, as git names it. */
export type FileStatus = 'added' | 'modified' | 'deleted' | 'renamed';

/** The repository's facts a contract is checked against and its derivable fields are filled from. */
export interface ContractContext {
  /** The task's base commit. */
  readonly base?: string;
  /** The files of the task's diff from its base commit (the working tree's, Autopilot's state folder left out). */
  readonly changedFiles?: readonly { readonly path: string; readonly status: FileStatus }[];
  /** The task's Plan, when an earlier phase holds one that meets its contract. */
  readonly plan?: Plan;
  /** The entries of the phase's own file_map.json, when it has one that parses. */
  readonly fileMap?: readonly unknown[];
}

/** One mechanical change the repair made, recorded with the evidence. */
export interface ContractRepair {
  /** The dotted field (`files.2.summary`), `(root)` for the whole document. */
  readonly field: string;
  readonly kind: 'whitespace' | 'key-order' | 'layout' | 'path' | 'order' | 'derived';
  readonly detail: string;
}

/** One thing a repair may not decide: the field, what is wrong, what to do. */
export interface ContractIssue {
  readonly field: string;
  readonly problem: string;
  readonly fix: string;
}

export type RepairResult =
  | {
      readonly ok: true;
      readonly doc: unknown;
      /** The document in its normal form: two-space JSON, the schema's key order, a final newline. */
      readonly text: string;
      readonly repairs: readonly ContractRepair[];
    }
  | { readonly ok: false; readonly issues: readonly ContractIssue[] };

const ROOT = '(root)';

const dotted = (path: readonly PropertyKey[]): string => (path.length === 0 ? ROOT : path.map(String).join('.'));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Line ends as LF, no blank at the end of a line, none at either end of the text. */
function tidyText(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/, ''))
    .join('\n')
    .trim();
}

interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly innerType?: z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { def: Def }).def;

/** Walks the value along the schema: strings tidied, object keys put in the schema's order; each change recorded. */
function normalise(value: Json, schema: z.ZodType, path: (string | number)[], repairs: ContractRepair[]): Json {
  const def = defOf(schema);
  if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default')
    return def.innerType ? normalise(value, def.innerType, path, repairs) : value;
  // An enum's value is a string too: blanks around "low" are layout, not a different value.
  if ((def.type === 'string' || def.type === 'enum') && typeof value === 'string') {
    const tidy = tidyText(value);
    if (tidy !== value)
      repairs.push({ field: dotted(path), kind: 'whitespace', detail: 'blanks at the ends and line ends removed' });
    return tidy;
  }
  if (def.type === 'array' && Array.isArray(value) && def.element) {
    const element = def.element;
    return value.map((v, i) => normalise(v, element, [...path, i], repairs));
  }
  if (def.type === 'object' && isObject(value) && def.shape) {
    const shape = def.shape;
    const known = Object.keys(shape);
    const given = Object.keys(value);
    // Keys the schema does not know stay where zod will name them; the known ones take the schema's order.
    const ordered = [...known.filter((k) => Object.hasOwn(value, k)), ...given.filter((k) => !known.includes(k))];
    if (ordered.some((k, i) => k !== given[i]))
      repairs.push({ field: dotted(path), kind: 'key-order', detail: `keys put in the order ${ordered.join(', ')}` });
    const out: Record<string, Json> = {};
    for (const k of ordered) {
      const child = shape[k];
      const v = value[k] as Json;
      out[k] = child ? normalise(v, child, [...path, k], repairs) : v;
    }
    return out;
  }
  return value;
}

/** A repository path as the diff names it: `./` at the start removed, backslashes left (they are names on POSIX). */
function tidyPath(v: Json, field: string, repairs: ContractRepair[]): Json {
  if (typeof v !== 'string' || !v.startsWith('./')) return v;
  repairs.push({ field, kind: 'path', detail: `"${v}" written as "${v.replace(/^(\.\/)+/, '')}"` });
  return v.replace(/^(\.\/)+/, '');
}

function tidyPaths(list: Json | undefined, key: string | null, field: string, repairs: ContractRepair[]): void {
  if (!Array.isArray(list)) return;
  list.forEach((e, i) => {
    if (key === null) list[i] = tidyPath(e, `${field}.${i}`, repairs);
    else if (isObject(e) && Object.hasOwn(e, key)) e[key] = tidyPath(e[key] as Json, `${field}.${i}.${key}`, repairs);
  });
}

/** Fills what the repository gives and the document left out; never a field only the author can say. */
function derive(
  type: ContractType,
  doc: Record<string, Json>,
  ctx: ContractContext,
  repairs: ContractRepair[],
  issues: ContractIssue[],
): void {
  if (!Object.hasOwn(doc, 'version')) {
    doc['version'] = CONTRACT_VERSION;
    repairs.push({ field: 'version', kind: 'derived', detail: `the contract version ${CONTRACT_VERSION}` });
  }
  if (type === 'Plan') {
    tidyPaths(doc['fileMap'], 'path', 'fileMap', repairs);
    tidyPaths(doc['testsToAdd'], 'path', 'testsToAdd', repairs);
    if (!Object.hasOwn(doc, 'fileMap') && ctx.fileMap) {
      // The phase's file_map.json gives the entries only when it names each one's work item: the item is the author's.
      const complete = ctx.fileMap.every((e) => isObject(e) && typeof e['item'] === 'string');
      if (complete && ctx.fileMap.length > 0) {
        doc['fileMap'] = ctx.fileMap.map((e) => {
          const f = e as Record<string, Json>;
          return {
            path: f['path'] ?? null,
            change: f['change'] ?? null,
            why: f['why'] ?? null,
            item: f['item'] ?? null,
          };
        });
        tidyPaths(doc['fileMap'], 'path', 'fileMap', repairs);
        repairs.push({ field: 'fileMap', kind: 'derived', detail: "the entries of the phase's file_map.json" });
      } else {
        issues.push({
          field: 'fileMap',
          problem: "fileMap is missing, and the phase's file_map.json does not name each entry's work item (item)",
          fix: 'add fileMap with each file and the id of the work item it serves, or give each file_map.json entry its item',
        });
      }
    }
  }
  if (type === 'ChangeSet') {
    if (!Object.hasOwn(doc, 'base') && ctx.base) {
      doc['base'] = ctx.base;
      repairs.push({ field: 'base', kind: 'derived', detail: "the task's base commit" });
    }
    tidyPaths(doc['files'], 'path', 'files', repairs);
    const byPath = new Map((ctx.changedFiles ?? []).map((f) => [f.path, f.status]));
    const files = doc['files'];
    if (Array.isArray(files))
      files.forEach((f, i) => {
        const status = isObject(f) && typeof f['path'] === 'string' ? byPath.get(f['path']) : undefined;
        if (isObject(f) && !Object.hasOwn(f, 'status') && status) {
          f['status'] = status;
          repairs.push({ field: `files.${i}.status`, kind: 'derived', detail: `"${status}", from the task's diff` });
        }
      });
  }
  if (type === 'PRSummary') {
    tidyPaths(doc['changedFiles'], null, 'changedFiles', repairs);
    if (!Object.hasOwn(doc, 'changedFiles') && ctx.changedFiles) {
      doc['changedFiles'] = ctx.changedFiles.map((f) => f.path).sort();
      repairs.push({ field: 'changedFiles', kind: 'derived', detail: "the files of the task's diff" });
    }
    const listed = doc['changedFiles'];
    if (Array.isArray(listed) && listed.every((p) => typeof p === 'string')) {
      const sorted = [...(listed as string[])].sort();
      if (sorted.some((p, i) => p !== listed[i])) {
        doc['changedFiles'] = sorted;
        repairs.push({ field: 'changedFiles', kind: 'order', detail: 'sorted' });
      }
    }
  }
}

/** What the document says that the repository contradicts: each a field the author must correct. */
function againstRepository(type: ContractType, doc: unknown, ctx: ContractContext): ContractIssue[] {
  const issues: ContractIssue[] = [];
  if (type === 'ChangeSet') {
    const cs = doc as ChangeSet;
    if (ctx.base && cs.base !== ctx.base)
      issues.push({
        field: 'base',
        problem: `base is ${cs.base}, but the task's base commit is ${ctx.base}`,
        fix: 'leave base out (it is filled in) or write the task base commit',
      });
    if (!ctx.changedFiles) {
      issues.push({
        field: 'files',
        problem: "the task's diff could not be read, so the files cannot be checked against it",
        fix: 'add the change set in the phase where the task changes the source',
      });
      return issues;
    }
    const diff = new Map(ctx.changedFiles.map((f) => [f.path, f.status]));
    const items = ctx.plan ? new Set(ctx.plan.workItems.map((w) => w.id)) : undefined;
    cs.files.forEach((f, i) => {
      const status = diff.get(f.path);
      if (status === undefined)
        issues.push({
          field: `files.${i}.path`,
          problem: `${f.path} is not changed by the task's diff`,
          fix: 'describe only the files the diff changes',
        });
      else if (status !== f.status)
        issues.push({
          field: `files.${i}.status`,
          problem: `${f.path} is ${status} in the task's diff, not ${f.status}`,
          fix: 'leave status out (it is filled in from the diff) or correct it',
        });
      if (items && !items.has(f.planItem))
        issues.push({
          field: `files.${i}.planItem`,
          problem: `${f.planItem} is not a work item of the task's plan (${[...items].join(', ')})`,
          fix: "name the plan's work item this change serves, or backtrack to the plan and add the item",
        });
    });
    const described = new Set(cs.files.map((f) => f.path));
    const missing = [...diff.keys()].filter((p) => !described.has(p));
    if (missing.length > 0)
      issues.push({
        field: 'files',
        problem: `files does not describe ${missing.join(', ')}, which the task's diff changes`,
        fix: 'add an entry with its plan item and a summary for each of them',
      });
  }
  if (type === 'PRSummary' && ctx.changedFiles) {
    const pr = doc as PRSummary;
    const diff = new Set(ctx.changedFiles.map((f) => f.path));
    const listed = new Set(pr.changedFiles);
    const absent = [...diff].filter((p) => !listed.has(p));
    const extra = pr.changedFiles.filter((p) => !diff.has(p));
    if (absent.length > 0 || extra.length > 0)
      issues.push({
        field: 'changedFiles',
        problem: `changedFiles differs from the task's diff${absent.length ? `: it leaves out ${absent.join(', ')}` : ''}${extra.length ? `${absent.length ? ';' : ':'} the diff does not change ${extra.join(', ')}` : ''}`,
        fix: 'leave changedFiles out (it is filled in from the diff) or list exactly the files the diff changes',
      });
  }
  return issues;
}

function issueOf(issue: z.core.$ZodIssue, type: ContractType): ContractIssue[] {
  const schemaFile = contractSchemaFile(type);
  if (issue.code === 'unrecognized_keys')
    return issue.keys.map((k) => ({
      field: dotted([...issue.path, k]),
      problem: `${dotted([...issue.path, k])} is not a field of ${type}`,
      fix: `remove it, or move its content to the field of ${schemaFile} that holds it`,
    }));
  const field = dotted(issue.path);
  const absent = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  return [
    {
      field,
      problem: absent ? `${field} is missing` : `${field}: ${issue.message}`,
      fix: absent ? `add ${field} (see ${schemaFile})` : `correct ${field} (see ${schemaFile})`,
    },
  ];
}

/**
 * Normalises a contract document and checks it: the document in its normal form with every repair made, or the
 * issues, each naming its field. Never fills a field only the author knows, never drops content.
 */
export function repairContract(type: ContractType, text: string, ctx: ContractContext): RepairResult {
  const repairs: ContractRepair[] = [];
  let source = text;
  if (source.startsWith('\uFEFF')) {
    source = source.slice(1);
    repairs.push({ field: ROOT, kind: 'layout', detail: 'byte order mark removed' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (err) {
    return {
      ok: false,
      issues: [
        {
          field: ROOT,
          problem: `not valid JSON: ${(err as Error).message}`,
          fix: `write one JSON object matching ${contractSchemaFile(type)}`,
        },
      ],
    };
  }
  if (!isObject(parsed))
    return {
      ok: false,
      issues: [
        {
          field: ROOT,
          problem: 'not a JSON object',
          fix: `write one JSON object matching ${contractSchemaFile(type)}`,
        },
      ],
    };
  const schema = CONTRACT_SCHEMAS[type];
  const issues: ContractIssue[] = [];
  const tidied = normalise(parsed, schema, [], repairs) as Record<string, Json>;
  derive(type, tidied, ctx, repairs, issues);
  // Derived fields are added last by `derive`: the schema's order again, silently (their addition is the repair).
  const doc = normalise(tidied, schema, [], []);
  const checked = schema.safeParse(doc);
  if (!checked.success) {
    // A field the derivation already explained (fileMap with no item to take) is named once.
    const named = new Set(issues.map((i) => i.field));
    issues.push(...checked.error.issues.flatMap((i) => issueOf(i, type)).filter((i) => !named.has(i.field)));
  }
  if (issues.length === 0) issues.push(...againstRepository(type, doc, ctx));
  if (issues.length > 0) return { ok: false, issues };
  const out = `${JSON.stringify(doc, null, 2)}\n`;
  // Indentation and spacing between tokens: a repair of its own when the author's layout was not already the normal one.
  if (`${JSON.stringify(parsed, null, 2)}\n` !== source)
    repairs.push({ field: ROOT, kind: 'layout', detail: 'written as JSON with two-space indents and a final newline' });
  return { ok: true, doc, text: out, repairs };
}
