/**
 * @module `autopilot approve|reject <TASK> --reason TEXT` (and `approve --adopt-contract`): where a person decides. A decision is a passkey assertion
 * made in the dashboard, which a terminal cannot make: these verbs check the task, say where its decision page is,
 * and refuse with APPROVAL_REQUIRED. They record nothing.
 */
import { ErrorCode } from '../../../core/errors.ts';
import type { Decision } from '../../../core/decision.ts';
import { intOption, UsageError, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';
import { DEFAULT_PORT } from './serve.ts';
import { loadTask } from '../../../engine/ledger/load-task.ts';

interface DecisionOptions extends GlobalOptions {
  reason: string;
  to?: string;
  escalate?: boolean;
  abort?: boolean;
  port?: string;
  adoptContract?: boolean;
  changeModes?: boolean;
  allowGateWorkflow?: boolean;
}

const WORD: Record<Decision, string> = {
  approve: 'Approve',
  request_changes: 'Request changes',
  escalate: 'Escalate',
  abort: 'Abort',
  adopt_contract: 'Adopt the new contract',
  adopt_gate_inputs: 'Allow the gate workflow',
  review: 'Sign the review',
  change_modes: 'Change the modes',
};

/** The panel's card of each decision: adoptions have their own, beside the waiting approvals. */
const CARD: Partial<Record<Decision, string>> = {
  adopt_contract: 'contract',
  change_modes: 'contract',
  adopt_gate_inputs: 'gate-inputs',
};

async function run(taskId: string, decision: Decision, opts: DecisionOptions): Promise<VerbResult> {
  if (!opts.reason.trim()) throw new UsageError('a decision needs a reason: --reason "…"', 'reason');
  const port = intOption(opts.port, 'port') ?? DEFAULT_PORT;
  if (port < 1 || port > 65535) throw new UsageError(`--port needs a port number from 1 to 65535, got ${port}`, 'port');
  return withEngine(opts, async (engine) => {
    const loaded = await loadTask(engine.store, taskId);
    if (!loaded.ok) return loaded;
    const task = loaded.value;
    if (task.status !== 'active')
      return {
        ok: false,
        error: {
          code: ErrorCode.TASK_DONE,
          message: `task ${taskId} is ${task.status}: there is nothing left to decide`,
          details: { taskId, status: task.status },
        },
      };
    const url = `http://localhost:${port}/approvals#${CARD[decision] ?? 'task'}-${encodeURIComponent(taskId)}`;
    return {
      ok: false,
      error: {
        code: ErrorCode.APPROVAL_REQUIRED,
        message: `a person's decision is a passkey assertion, which a terminal cannot make: run autopilot serve, open ${url}, write your note and press "${WORD[decision]}" (your registered passkey signs it). Nothing was recorded`,
        details: { reason: 'passkey', taskId, decision, url },
      },
    };
  });
}

export function approveVerb(taskId: string, opts: DecisionOptions): Promise<VerbResult> {
  if ([opts.adoptContract, opts.changeModes, opts.allowGateWorkflow].filter(Boolean).length > 1)
    throw new UsageError(
      '--adopt-contract, --change-modes and --allow-gate-workflow exclude each other',
      'allow-gate-workflow',
    );
  return run(
    taskId,
    opts.adoptContract
      ? 'adopt_contract'
      : opts.changeModes
        ? 'change_modes'
        : opts.allowGateWorkflow
          ? 'adopt_gate_inputs'
          : 'approve',
    opts,
  );
}

export function rejectVerb(taskId: string, opts: DecisionOptions): Promise<VerbResult> {
  if (opts.abort && opts.escalate) throw new UsageError('--abort and --escalate exclude each other', 'abort');
  const decision: Decision = opts.abort ? 'abort' : opts.escalate ? 'escalate' : 'request_changes';
  return run(taskId, decision, opts);
}
