/** @module What every Autopilot MCP tool shares: its shape, the argument and output schemas they have in common, and how an outcome becomes a tool result. */
import * as z from 'zod';
import type { CallToolResult, StandardSchemaWithJSON, ToolAnnotations } from '@modelcontextprotocol/server';
import { AutopilotError, ErrorCode, ok, refuse, remedyOf, type Refusal, type Result } from '../../core/errors.ts';
import type { TaskState } from '../../core/task.ts';
import type { Lease } from '../../core/lease.ts';
import type { Actor, Engine } from '../../engine/context.ts';
import { clause } from '../../core/phrasing.ts';

/** What a tool's handler works with: the server's engine and the session's actor. */
export interface ToolContext {
  readonly engine: Engine;
  readonly actor: Actor;
}

/** One MCP tool: a name, what a model reads about it, its schemas and hints, and a handler that calls the engine. */
export interface ToolSpec<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly input: I;
  readonly output: O;
  readonly annotations: ToolAnnotations;
  run(ctx: ToolContext, args: z.output<I>): Promise<Result<z.output<O>>>;
  /** One line on the outcome, the first text block of the result. */
  summary(value: z.output<O>): string;
}

/** Keeps the spec's types tied together where it is written. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(spec: ToolSpec<I, O>): ToolSpec<I, O> {
  return spec;
}

/** A tool of any schema, as the server registers it. */
export type AnyTool = ToolSpec<z.ZodObject, z.ZodObject>;

const REFUSAL_NOTE =
  'A refusal is a result with isError true and structuredContent {code, message, details}; the message says what to do next, and the refusal is recorded in the ledger.';

/** The closing lines every tool description shares. */
export function describeTool(...lines: string[]): string {
  return [...lines, REFUSAL_NOTE].join('\n');
}

// -- arguments shared across tools: same name, same meaning

export const arg = {
  taskId: z
    .string()
    .min(1)
    .max(200)
    .describe('The task id given to task_start, e.g. "T-1" (letters, digits, ".", "-", "_"; at most 64).'),
  phase: z
    .string()
    .min(1)
    .max(100)
    .describe(
      'A phase name, any case: STRATEGIZE, SPEC, PLAN, THINK, IMPLEMENT, VERIFY, REVIEW, PR or MONITOR (the repository config may name others).',
    ),
  token: z
    .number()
    .int()
    .min(0)
    .describe(
      'Optional fencing token: the lease token you were given (lease_acquire, task_status). A stale token is refused with LEASE_FENCED.',
    ),
  reason: z.string().min(1).max(2000),
};

// -- outputs shared across tools

export const findingOut = z
  .object({
    file: z.string().describe('the artifact, relative to the state folder'),
    rule: z.string().describe('the rule it breaks: missing, section-missing, json-schema, …'),
    problem: z.string(),
    fix: z.string().describe('what to do about it'),
    field: z.string().optional().describe("a typed contract's dotted field the finding is about"),
  })
  .describe('one defect in one evidence file');

export const taskOut = z.object({
  taskId: z.string(),
  title: z.string(),
  status: z.enum(['active', 'done', 'aborted']),
  phase: z.string().describe('the current phase; the last one for a finished task'),
  baseCommit: z
    .string()
    .nullable()
    .describe('the commit the task started from; the IMPLEMENT diff is taken against it'),
  startedAt: z.string(),
  updatedAt: z.string(),
  phaseEnteredAt: z.string(),
  visit: z.number().int().describe('how many times the current phase has been entered (more than 1 after a backtrack)'),
  counts: z.object({ refusals: z.number().int(), backtracks: z.number().int(), skips: z.number().int() }),
  lastSeq: z.number().int().describe('the ledger entry that last changed the task'),
});

export const leaseOut = z.object({
  taskId: z.string(),
  phase: z.string(),
  holder: z.string().nullable().describe('who holds it; null when released or expired'),
  token: z.number().int().describe('the fencing token: pass it as token to prove you still hold the lease'),
  acquiredAt: z.string(),
  expiresAt: z.string(),
});

/** A refusal's structured content: the same three fields for every tool and every code. */
export const refusalOut = z
  .object({
    code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]).describe('the refusal code'),
    message: z.string().describe('what failed and what to do next, in terms of the tools'),
    details: z.record(z.string(), z.unknown()).describe("the code's details (see the tool's description)"),
  })
  .describe('a refusal: the result has isError true');

/**
 * The output schema a tool advertises: its success shape or the refusal shape.
 *
 * A refusal carries `structuredContent` (the contract: `{code, message,
 * details}` for a program to act on), and clients built on the TypeScript SDK
 * 1.x, the MCP Inspector among them, validate `structuredContent` against the
 * tool's `outputSchema` even when `isError` is true: with the success shape
 * alone every refusal failed there (-32602) and its code and advice were lost.
 * Either/or keeps the schema honest: a result is exactly one of the two shapes,
 * each strict (no extra properties), where folding optional refusal fields
 * into every output would make every success field optional in the schema.
 * Every member is an object, so the SDK advertises the union with
 * `type: 'object'` at its root, as MCP requires (`{type, anyOf: [success,
 * refusal]}`), and does not wrap it for clients of the 2025 protocol.
 */
export function advertisedOutput(tool: AnyTool): z.ZodType {
  return z.union([tool.output, refusalOut]);
}

/**
 * The input schema the SDK is given: it advertises the tool's strict schema in `tools/list` and accepts every
 * object, so that arguments the schema refuses reach {@link runTool}, which answers them as a refusal with a code
 * (USAGE) and its advice. The SDK's own check would answer a bare "Input validation error" text with no code.
 */
export function advertisedInput(tool: AnyTool): StandardSchemaWithJSON<Record<string, unknown>> {
  const std = tool.input['~standard'];
  return {
    '~standard': {
      version: 1,
      vendor: 'autopilot',
      validate: (value) =>
        value !== null && typeof value === 'object' && !Array.isArray(value)
          ? { value: value as Record<string, unknown> }
          : { issues: [{ message: 'the arguments must be an object' }] },
      jsonSchema: std.jsonSchema,
    },
  };
}

/** The arguments checked against the tool's strict schema: the parsed value, or a USAGE refusal naming each problem. */
export function checkArguments(tool: AnyTool, args: unknown): Result<z.output<z.ZodObject>> {
  const parsed = tool.input.safeParse(args ?? {});
  if (parsed.success) return ok(parsed.data);
  const issues = parsed.error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(arguments)',
    message:
      i.code === 'unrecognized_keys'
        ? `unknown argument${i.keys.length === 1 ? '' : 's'}: ${i.keys.join(', ')}`
        : i.code === 'invalid_type' && / received undefined$/.test(i.message)
          ? `missing (${i.expected} required)`
          : i.message,
  }));
  const known = Object.keys(tool.input.shape);
  return refuse(
    ErrorCode.USAGE,
    `invalid arguments for ${tool.name}: ${issues.map((i) => (i.path === '(arguments)' ? i.message : `${i.path}: ${i.message}`)).join('; ')}`,
    { tool: tool.name, issues, known },
  );
}

/** The task as the tools show it: its state without the artifact map. */
export function taskView(t: TaskState): z.output<typeof taskOut> {
  return {
    taskId: t.taskId,
    title: t.title,
    status: t.status,
    phase: t.phase,
    baseCommit: t.baseCommit,
    startedAt: t.startedAt,
    updatedAt: t.updatedAt,
    phaseEnteredAt: t.phaseEnteredAt,
    visit: t.visits[t.phase] ?? 0,
    counts: { refusals: t.counts.refusals, backtracks: t.counts.backtracks, skips: t.counts.skips },
    lastSeq: t.lastSeq,
  };
}

export function leaseView(l: Lease): z.output<typeof leaseOut> {
  return {
    taskId: l.taskId,
    phase: l.phase,
    holder: l.holder,
    token: l.token,
    acquiredAt: l.acquiredAt,
    expiresAt: l.expiresAt,
  };
}

// -- results

type Details = Record<string, unknown>;

/** The step for a failure of commands (details.remedy): a person fixes the setup and the step runs again, or back. */
function failureStep(d: Details, forward: string): string | undefined {
  const remedy = remedyOf(d);
  if (!remedy) return undefined;
  const steps: string[] = [];
  if (remedy.retry)
    steps.push(
      `the config or the machine must be fixed first (details.failures; tell a person if you cannot), then call ${remedy.retry === 'verify' ? 'verify_run' : 'phase_advance'} again`,
    );
  if (remedy.backtrackTo)
    steps.push(`call phase_backtrack to ${remedy.backtrackTo} with the reason, fix the code, ${forward}`);
  return steps.length ? steps.join('; ') : undefined;
}

/**
 * The next step after a refusal, in terms of the MCP tools (the engine's messages name no tool and no CLI verb):
 * a sentence by code, or one built from the refusal's details where they say more (details.remedy).
 */
const NEXT: Partial<Record<ErrorCode, string | ((details: Details) => string | undefined)>> = {
  PHASE_SKIP: (d) =>
    remedyOf(d)?.forward
      ? 'call phase_advance to move forward'
      : 'finish the current phase and call phase_advance without `to`, or phase_backtrack to an earlier phase',
  PHASE_UNKNOWN: 'use one of the phases in details.known',
  TASK_UNKNOWN: 'check the id (task_status reads a task), or start the task with task_start',
  USAGE:
    'call the tool again with the arguments its input schema names (details.known); details.issues says what was wrong',
  TASK_EXISTS: 'read it with task_status, or call task_start with another id',
  TASK_DONE: 'start a new task with task_start for new work',
  ESCALATED:
    'a person escalated the task: stop working on it and wait; a person releases it by approving in the dashboard, or aborts it (check with task_status)',
  ABORTED:
    'a person aborted the task: stop working on it; start a new task with task_start only if a person asks for one',
  EVIDENCE_MISSING: 'write each missing file with evidence_put (details.findings), then call phase_advance again',
  EVIDENCE_INVALID: (d) =>
    failureStep(d, 'and advance through the phases again') ??
    'fix each of details.findings, put the file again with evidence_put, then call phase_advance again',
  EVIDENCE_PROTECTED: (d) =>
    d['producer'] === 'sealed' && typeof d['phase'] === 'string'
      ? `call phase_backtrack to ${d['phase']} with the reason, then put the file again with evidence_put`
      : "leave Autopilot's artifacts to Autopilot (phase_advance, verify_run write them); to change a passed phase, call phase_backtrack",
  PATH_OUTSIDE_EVIDENCE: 'use a plain file name such as strategy.md',
  LEASE_HELD:
    "another session works on this task: work on another task, or try again after details.expiresAt; when details.reason is 'move-running' or 'moved', another move of the task runs or ran: call task_status once it is done, then move again only if the task still needs it",
  LEASE_REQUIRED: 'call lease_acquire, then try again',
  LEASE_FENCED: 'another session held the task since: call task_status, then lease_acquire, before doing anything else',
  PROMPT_DRIFT:
    'restore the instruction files as they were, or ask a person to record the change as the new baseline; you cannot accept it yourself',
  TOOL_NOT_ALLOWED_IN_PHASE: (d) =>
    d['unattached'] === 'no-task'
      ? 'start a task with task_start first'
      : d['unattached'] === 'several-tasks'
        ? "call tool_check again with the task's taskId"
        : undefined,
  APPROVAL_REQUIRED: (d) => {
    const back = remedyOf(d)?.backtrackTo;
    return back
      ? `call phase_backtrack to ${back} with the person's note as the reason, then pass the phases again`
      : 'call approval_request and wait for a person to decide';
  },
  VERIFY_FAILED: (d) =>
    failureStep(d, 'advance to the verify phase again and call verify_run') ??
    'fix what details.findings name: call phase_backtrack to the phase where the code changes, fix it, and call verify_run again in the verify phase',
  LEDGER_TAMPERED: 'stop and tell a person; do not try to repair the ledger or the evidence',
  CONFIG_INVALID: 'a person must fix .autopilot/config.yaml (or set Autopilot up again) and restart this MCP server',
  CONFIG_CHANGED:
    "restore .autopilot/config.yaml to the task's contract (the keys in details.keys), or ask a person to adopt the new config for the task with approval_request; you cannot adopt it yourself",
  TOOL_NOT_ALLOWED_FOR_PERSONA: (d) =>
    d['persona'] !== undefined
      ? "do this phase's work with the capabilities in details.allowed; what needs more belongs to a later phase (call phase_advance when this one is done), or a person changes the persona in the config"
      : 'this session is a reviewer: read the work with review_get and write the review rubric (details.allowed) with evidence_put; the working agent does everything else',
  WAIVER_REQUIRED:
    'a person must configure the check (details.fix) or waive it with a reason in .autopilot/config.yaml; tell them, then call phase_advance again',
};

/** A refusal as MCP carries it: `isError`, and `{code, message, details}` both structured and as text. */
export function refusalResult(refusal: Refusal): CallToolResult {
  const step = NEXT[refusal.code];
  const next = typeof step === 'function' ? step(refusal.details) : step;
  const error = next ? { ...refusal, message: `${clause(refusal.message)}. Next: ${next}.` } : refusal;
  const structured = { code: error.code, message: error.message, details: error.details };
  return {
    isError: true,
    content: [
      { type: 'text', text: `refused: ${error.code}: ${error.message}` },
      { type: 'text', text: JSON.stringify(structured) },
    ],
    structuredContent: structured,
  };
}

/** A success: the summary line, then the structured content serialized for clients that read text only. */
export function successResult(summary: string, value: Record<string, unknown>): CallToolResult {
  return {
    content: [
      { type: 'text', text: summary },
      { type: 'text', text: JSON.stringify(value) },
    ],
    structuredContent: value,
  };
}

/** The tool calls still running, so that the engine is closed only after the last one has finished. */
export class InFlight {
  readonly #calls = new Set<Promise<unknown>>();

  track<T>(call: Promise<T>): Promise<T> {
    this.#calls.add(call);
    void call.finally(() => this.#calls.delete(call)).catch(() => {});
    return call;
  }

  /** Settles once no call is running. */
  async idle(): Promise<void> {
    while (this.#calls.size > 0) await Promise.allSettled([...this.#calls]);
  }
}

/**
 * Runs a tool's handler and turns whatever happens into a tool result: a
 * refusal, an integrity failure the engine threw (with its code), or a bug
 * (INTERNAL, logged with its stack). The server never dies of a tool call.
 */
export async function runTool(
  tool: AnyTool,
  ctx: ToolContext,
  args: unknown,
  log: (line: string) => void,
): Promise<CallToolResult> {
  const checked = checkArguments(tool, args);
  if (!checked.ok) return refusalResult(checked.error);
  try {
    const r = await tool.run(ctx, checked.value);
    return r.ok ? successResult(tool.summary(r.value), r.value) : refusalResult(r.error);
  } catch (err) {
    if (err instanceof AutopilotError) return refusalResult(err.toRefusal());
    log(`${tool.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return refusalResult({
      code: ErrorCode.INTERNAL,
      message: `internal error in ${tool.name}: ${clause(err instanceof Error ? err.message : String(err))}. Read the task with task_status before trying again; if it persists, tell a person`,
      details: {},
    });
  }
}
