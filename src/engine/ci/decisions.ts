/**
 * @module The people's decisions a bundle records: each one's passkey assertion checked against the registration it
 * carries (a `person_registered` entry whose signature must verify with a committed key, and with a trusted one when
 * the gate has them), no nonce used twice, counters that grow; and every move that needed a person's approval (a risky
 * move, or one relying on a waived check under `approvals.waivers: person`) relies on such a decision. A contract's
 * adoption is a person's decision too.
 */
import { ErrorCode } from '../../core/errors.ts';
import { isPersonDecision } from '../../core/decision.ts';
import { canonicalPayload, type LedgerEntry } from '../../core/ledger.ts';
import { atLeast, type RiskLevel } from '../../core/risk.ts';
import type { Config } from '../../core/config.ts';
import { chainCrypto } from '../ledger/keys.ts';
import { checkDecision, DecisionReplay, proofOf } from '../ledger/passkeys.ts';
import type { GateContext } from './check-bundle.ts';
import type { CiProblem } from './report.ts';

/** What the decisions of one bundle come to: problems, and the keys that signed the registrations they rely on. */
export interface DecisionsChecked {
  readonly problems: CiProblem[];
  readonly keyIds: Set<string>;
  /** Entries whose decision verified. */
  readonly valid: number;
}

export async function checkTaskDecisions(
  ctx: GateContext,
  taskId: string,
  path: string,
  entries: readonly LedgerEntry[],
  /** The approval rules of the contract in force at an entry (the task's contract can be adopted anew mid-task). */
  approvalsAt: (seq: number) => Config['approvals'],
): Promise<DecisionsChecked> {
  const problems: CiProblem[] = [];
  const keyIds = new Set<string>();
  const crypto = chainCrypto(ctx.keys);
  const replay = new DecisionReplay();
  const verified = new Map<number, LedgerEntry>();
  const problem = (x: LedgerEntry, reason: string, code: ErrorCode = ErrorCode.LEDGER_TAMPERED) =>
    problems.push({ taskId, check: 'decision', code, file: path, seq: x.seq, reason });

  for (const x of entries) {
    if (x.taskId !== taskId || !isPersonDecision(x)) continue;
    const reg = proofOf(x)?.registration as LedgerEntry | undefined;
    // The registration travels inside the decision: it counts only when a committed key signed it as it is.
    let registration: LedgerEntry | undefined;
    if (reg && typeof reg === 'object' && reg.kind === 'person_registered') {
      let hash = '';
      try {
        hash = crypto.sha256(canonicalPayload(reg));
      } catch {
        // not an entry: refused below
      }
      if (hash === reg.hash && crypto.verify(reg.keyId, reg.hash, reg.signature)) {
        registration = reg;
        keyIds.add(reg.keyId);
      } else {
        problem(x, `the passkey registration it relies on is not signed by a committed key (${String(reg.keyId)})`);
        continue;
      }
    }
    const check = await checkDecision(x, registration);
    const reason = check.ok ? replay.see(x.seq, check) : check.reason;
    if (reason) problem(x, `not a person's decision: ${reason}`);
    else verified.set(x.seq, x);
  }

  // Every move a person had to approve (the contract's rule: entering a listed phase at or above its risk, or relying
  // on a waived check when waivers need a person) relies on a verified approval given before it.
  for (const x of entries) {
    if (x.taskId !== taskId || x.kind !== 'transition') continue;
    const approvals = approvalsAt(x.seq);
    const relied = x.data['approval'];
    const risk = x.data['risk'];
    const waivers = x.data['waivers'];
    const waived = Array.isArray(waivers) && waivers.length > 0 && (approvals.waivers ?? 'person') === 'person';
    const risky =
      x.toPhase !== null &&
      approvals.enter.includes(x.toPhase) &&
      typeof risk === 'string' &&
      atLeast(risk as RiskLevel, approvals.minRisk);
    const needed = risky || waived;
    if (typeof relied === 'number') {
      const d = verified.get(relied);
      if (!d || d.data['action'] !== 'approved' || d.seq > x.seq)
        problem(
          x,
          `the move ${x.fromPhase} → ${x.toPhase} relies on entry ${relied}, which is not a verified person's approval`,
        );
    } else if (needed) {
      problem(
        x,
        risky
          ? `the move ${x.fromPhase} → ${x.toPhase} of a ${String(risk)}-risk change needed a person's approval, and none is recorded for it`
          : `the move ${x.fromPhase} → ${x.toPhase ?? 'done'} relied on a waived check (${(waivers as { check?: unknown }[]).map((w) => String(w.check)).join(', ')}) and needed a person's approval, and none is recorded for it`,
        ErrorCode.APPROVAL_REQUIRED,
      );
    }
  }
  return { problems, keyIds, valid: verified.size };
}
