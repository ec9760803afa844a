/** @module `autopilot approve|reject <TASK> --reason TEXT`: a person's decision on a task waiting for approval. */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { userInfo } from 'node:os';
import pc from 'picocolors';
import { decide, type Decision } from '../../../engine/approvals/guard.ts';
import { approvalTokenFile } from '../../../engine/approvals/token.ts';
import { done, UsageError, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';

interface DecisionOptions extends GlobalOptions {
  reason: string;
  by?: string;
  tokenFile?: string;
  to?: string;
  escalate?: boolean;
  abort?: boolean;
  adoptContract?: boolean;
}

/** A token file is small and regular: /dev/zero, a FIFO or a huge file would never end reading. */
const MAX_TOKEN_FILE = 4096;

function tokenFrom(opts: DecisionOptions): string | undefined {
  if (opts.tokenFile) {
    let fd: number | undefined;
    try {
      fd = openSync(opts.tokenFile, constants.O_RDONLY | constants.O_NONBLOCK);
      const st = fstatSync(fd);
      if (!st.isFile() || st.size > MAX_TOKEN_FILE)
        throw new Error(`not a regular file of at most ${MAX_TOKEN_FILE} bytes`);
      const buf = Buffer.alloc(st.size);
      const n = readSync(fd, buf, 0, st.size, 0);
      return buf.subarray(0, n).toString('utf8').trim();
    } catch (err) {
      throw new UsageError(`cannot read --token-file: ${(err as Error).message}`, 'token-file');
    } finally {
      if (fd !== undefined) closeSync(fd);
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
    const r = await decide(
      e,
      { id: person(opts) },
      {
        taskId,
        decision,
        reason: opts.reason,
        token,
        ...(opts.to ? { backtrackTo: opts.to } : {}),
      },
    );
    if (!r.ok) {
      if (r.error.details['reason'] === 'token') {
        return {
          ok: false,
          error: {
            ...r.error,
            message: `${r.error.message}; this installation's token is in ${approvalTokenFile(e.layout)}`,
          },
        };
      }
      return r;
    }
    const verb = {
      approve: 'approved',
      request_changes: 'requested changes on',
      escalate: 'escalated',
      abort: 'aborted',
      adopt_contract: 'adopted the current config as the contract of',
    }[decision];
    return done(
      { decision, task: r.value.task, seq: r.value.entry.seq },
      `${pc.bold(person(opts))} ${verb} ${taskId} (ledger entry ${r.value.entry.seq}, signed)`,
    );
  });
}

export function approveVerb(taskId: string, opts: DecisionOptions): Promise<VerbResult> {
  return run(taskId, opts.adoptContract ? 'adopt_contract' : 'approve', opts);
}

export function rejectVerb(taskId: string, opts: DecisionOptions): Promise<VerbResult> {
  if (opts.abort && opts.escalate) throw new UsageError('--abort and --escalate exclude each other', 'abort');
  const decision: Decision = opts.abort ? 'abort' : opts.escalate ? 'escalate' : 'request_changes';
  return run(taskId, decision, opts);
}
