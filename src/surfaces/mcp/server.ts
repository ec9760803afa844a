/** @module The Autopilot MCP server: the tools and phase prompts over one engine, and the actor each MCP session acts as. */
import { createHash } from 'node:crypto';
import type * as z from 'zod';
import { McpServer, type ServerContext, type ToolCallback } from '@modelcontextprotocol/server';
import type { Result } from '../../core/errors.ts';
import type { Actor, Engine } from '../../engine/context.ts';
import { advertisedInput, advertisedOutput, refusalResult, runTool, type AnyTool, type InFlight } from './tool.ts';
import { registerPhasePrompts } from './prompts.ts';
import { withProgress } from './progress.ts';
import { taskStartTool } from './tools/task-start.ts';
import { taskStatusTool } from './tools/task-status.ts';
import { phaseAdvanceTool } from './tools/phase-advance.ts';
import { phaseBacktrackTool } from './tools/phase-backtrack.ts';
import { evidencePutTool } from './tools/evidence-put.ts';
import { evidenceCheckTool } from './tools/evidence-check.ts';
import { leaseAcquireTool } from './tools/lease-acquire.ts';
import { leaseRenewTool } from './tools/lease-renew.ts';
import { leaseReleaseTool } from './tools/lease-release.ts';
import { toolCheckTool } from './tools/tool-check.ts';
import { verifyRunTool } from './tools/verify-run.ts';
import { ledgerVerifyTool } from './tools/ledger-verify.ts';
import { approvalRequestTool } from './tools/approval-request.ts';
import { promptGetTool } from './tools/prompt-get.ts';
import { reviewGetTool } from './tools/review-get.ts';
import { similarTasksTool } from './tools/similar-tasks.ts';
import { packageVersion } from '../../engine/setup/package-info.ts';

/** Every tool, in the order `tools/list` shows them. */
export const TOOLS: readonly AnyTool[] = [
  taskStartTool,
  taskStatusTool,
  promptGetTool,
  evidencePutTool,
  evidenceCheckTool,
  phaseAdvanceTool,
  phaseBacktrackTool,
  verifyRunTool,
  toolCheckTool,
  leaseAcquireTool,
  leaseRenewTool,
  leaseReleaseTool,
  approvalRequestTool,
  reviewGetTool,
  similarTasksTool,
  ledgerVerifyTool,
] as AnyTool[];

/**
 * The tools of a reviewer session (`autopilot mcp --role reviewer`): it reads the work and writes the review rubric,
 * nothing else. The engine refuses a reviewer's other writes too (TOOL_NOT_ALLOWED_FOR_PERSONA); the short list
 * keeps a reviewer from trying them.
 */
export const REVIEWER_TOOLS: readonly AnyTool[] = [
  taskStatusTool,
  reviewGetTool,
  promptGetTool,
  evidencePutTool,
  evidenceCheckTool,
  ledgerVerifyTool,
] as AnyTool[];

/** The name the server gives itself; `.mcp.json` entries use it too, so tools appear as `mcp__autopilot__…`. */
export const SERVER_NAME = 'autopilot';
const SERVER_VERSION = packageVersion();

const REVIEWER_INSTRUCTIONS = [
  'You are the reviewer of a task another agent implemented: Autopilot does not let the hand that wrote the changes pass its own review.',
  'Read the work with review_get (the diff, the spec and plan, the test and coverage results), judge it, and write review_rubric.json with evidence_put in the REVIEW phase: each dimension (readability, maintainability, performance, security, governance) with pass and notes that say what you checked.',
  'You cannot write other evidence, move the task or edit the work tree; the working agent advances the task once your rubric is in.',
  'A refused call returns isError with {code, message, details}; the message says what to do next.',
].join('\n');

const INSTRUCTIONS = [
  'Autopilot carries every task through STRATEGIZE → SPEC → PLAN → THINK → IMPLEMENT → VERIFY → REVIEW → PR → MONITOR and records every step in a signed ledger.',
  'Start a task with task_start; read the phase instructions with prompt_get; write the evidence with evidence_put; move on with phase_advance. In VERIFY call verify_run; when it fails, phase_backtrack to IMPLEMENT.',
  'Before a tool call you are unsure of, ask tool_check. Phases cannot be skipped, Autopilot produces the diff and test evidence itself, and no tool approves your own work: approval_request only asks a person.',
  'A refused call returns isError with {code, message, details}; the message says what to do next.',
].join('\n');

export interface AutopilotServerOptions {
  /** The engine, opened once per process; the refusal (CONFIG_INVALID) when it could not be opened, which every tool then returns. */
  readonly engine: Result<Engine>;
  /** The session when the transport has none of its own (stdio: the process id). */
  readonly session: string;
  /** The lease holder of every session of this server (`resolveHolder` in holder.ts); each session its own when left out. */
  readonly holder?: string;
  /** `reviewer`: every session reviews ({@link REVIEWER_TOOLS}); a working agent's server when left out. */
  readonly role?: 'reviewer';
  /** Diagnostics: never stdout, which belongs to the protocol over stdio. */
  readonly log: (line: string) => void;
  /** Where running calls are tracked, for a shutdown that waits for them. */
  readonly inFlight?: InFlight;
}

/**
 * The actor of an MCP session: `mcp:<client name>:<session>` in the ledger.
 * The session is the server's process id over stdio and {@link httpSession} of
 * the Mcp-Session-Id over HTTP. Its lease holder is `holder` when the server
 * was given one (`resolveHolder` in holder.ts: `--holder`, AUTOPILOT_HOLDER, Claude
 * Code's session), else the actor id, so that every session holds leases of its
 * own and a second client is told LEASE_HELD.
 */
export function sessionActor(
  clientName: string | undefined,
  session: string,
  holder?: string,
  role?: 'reviewer',
): Actor {
  const client = (clientName ?? '').replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 64) || 'client';
  const id = `mcp:${client}:${session}`;
  return { id, holder: holder ?? id, sessionId: session, ...(role ? { role } : {}) };
}

/**
 * How an HTTP session is named in the ledger and telemetry: the first 16 hex
 * digits of the SHA-256 of its Mcp-Session-Id. The id itself lets whoever holds
 * it act in the session, and the ledger is committed with the work.
 */
export function httpSession(mcpSessionId: string): string {
  return createHash('sha256').update(mcpSessionId).digest('hex').slice(0, 16);
}

/**
 * The largest message a transport should read: room for the largest evidence
 * file the config allows, JSON-escaped, so that a file over the limit meets the
 * engine's EVIDENCE_INVALID rather than a transport error. At least 10 MiB.
 */
export function maxMessageBytes(engine: Result<Engine>): number {
  const evidence = engine.ok ? engine.value.config.limits.maxEvidenceBytes : 0;
  return Math.max(10 * 1024 * 1024, 2 * evidence + 1024 * 1024);
}

/** One MCP server instance (one a session): every tool of {@link TOOLS} and a prompt for every phase. */
export function createAutopilotServer(opts: AutopilotServerOptions): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, title: 'Autopilot', version: SERVER_VERSION },
    { instructions: opts.role === 'reviewer' ? REVIEWER_INSTRUCTIONS : INSTRUCTIONS },
  );
  const actorOf = (ctx: ServerContext) =>
    sessionActor(
      server.server.getClientVersion()?.name,
      ctx.sessionId === undefined ? opts.session : httpSession(ctx.sessionId),
      opts.holder,
      opts.role,
    );
  for (const tool of opts.role === 'reviewer' ? REVIEWER_TOOLS : TOOLS) {
    const handler = async (args: unknown, ctx: ServerContext) => {
      if (!opts.engine.ok) return refusalResult(opts.engine.error);
      const token = ctx.mcpReq._meta?.progressToken;
      const engine =
        token === undefined
          ? opts.engine.value
          : withProgress(opts.engine.value, (u) =>
              ctx.mcpReq.notify({
                method: 'notifications/progress',
                params: { progressToken: token, progress: u.progress, message: u.message },
              }),
            );
      const call = runTool(tool, { engine, actor: actorOf(ctx) }, args, opts.log);
      return opts.inFlight ? opts.inFlight.track(call) : call;
    };
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: advertisedInput(tool),
        outputSchema: advertisedOutput(tool),
        annotations: { title: tool.title, ...tool.annotations },
      },
      handler as ToolCallback<z.ZodObject>,
    );
  }
  if (opts.engine.ok) registerPhasePrompts(server, opts.engine.value);
  return server;
}
