/** @module `autopilot approve|reject <TASK> --reason TEXT`: a person's decision on a task waiting for approval. */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import pc from 'picocolors';
import { decide, type Decision } from '../../../engine/approval-gate.ts';
import { approvalTokenFile } from '../../../engine/approval-token.ts';
import { done, UsageError, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';

interface DecisionOptions extends GlobalOptions {
  reason: string;
  by?: string;
  tokenFile?: string;
  to?: string;
  escalate?: boolean;
  abort?: boolean;
}

function tokenFrom(opts: DecisionOptions): string | undefined {
  if (opts.tokenFile) {
    try {
      return readFileSync(opts.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`cannot read --token-file: ${(err as Error).message}`, 'token-file');
    }
  }
  return process.env['AUTOPILOT_APPROVAL_TOKEN'];
}

function person(opts: DecisionOptions): string {
  if (opts.by) return `person:${opts.by}`;
  try {
    return `person:${userInfo().username}`;
  } catch {
    return 'person:unknown';
  }
}

async function run(taskId: string, decision: Decision, opts: DecisionOptions): Promise<VerbResult> {
  const token = tokenFrom(opts);
  return withEngine(opts, async (e) => {
    const r = await decide(e, { id: person(opts) }, {
      taskId,
      decision,
      reason: opts.reason,
      token,
      ...(opts.to ? { backtrackTo: opts.to } : {}),
    });
    if (!r.ok) {
      if (r.error.details['reason'] === 'token') {
        return { ok: false, error: { ...r.error, message: `${r.error.message}; this installation's token is in ${approvalTokenFile(e.layout)}` } };
      }
      return r;
    }
    const verb = { approve: 'approved', request_changes: 'requested changes on', escalate: 'escalated', abort: 'aborted' }[decision];
    return done({ decision, task: r.value.task, seq: r.value.entry.seq }, `${pc.bold(person(opts))} ${verb} ${taskId} (ledger entry ${r.value.entry.seq}, signed)`);
  });
}

export function approveVerb(taskId: string, opts: DecisionOptions): Promise<VerbResult> {
  return run(taskId, 'approve', opts);
}

export function rejectVerb(taskId: string, opts: DecisionOptions): Promise<VerbResult> {
  if (opts.abort && opts.escalate) throw new UsageError('--abort and --escalate exclude each other', 'abort');
  const decision: Decision = opts.abort ? 'abort' : opts.escalate ? 'escalate' : 'request_changes';
  return run(taskId, decision, opts);
}
