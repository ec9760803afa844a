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
  /** The seqs of the entries whose decision verified. */
  readonly verified: ReadonlySet<number>;
}

export async function checkTaskDecisions(
  ctx: GateContext,
  taskId: string,
  path: string,
  entries: readonly LedgerEntry[],
  /** The contract in force at an entry (the task's contract can be adopted anew mid-task): its approval rules, its phases. */
  configAt: (seq: number) => Pick<Config, 'approvals' | 'roles'>,
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

  // Every move a person had to approve (the contract's rule: entering a listed phase at or above its risk, relying
  // on a waived check when waivers need a person, or leaving VERIFY after a run that found something in the tests)
  // relies on a verified approval given before it.
  for (const x of entries) {
    if (x.taskId !== taskId || x.kind !== 'transition') continue;
    const { approvals, roles } = configAt(x.seq);
    const found = x.fromPhase !== null && x.fromPhase === roles.verify ? verifyFindingsBefore(entries, x) : undefined;
    const relied = x.data['approval'];
    const risk = x.data['risk'];
    const waivers = x.data['waivers'];
    const waived = Array.isArray(waivers) && waivers.length > 0 && (approvals.waivers ?? 'person') === 'person';
    const risky =
      x.toPhase !== null &&
      approvals.enter.includes(x.toPhase) &&
      typeof risk === 'string' &&
      atLeast(risk as RiskLevel, approvals.minRisk);
    const needed = risky || waived || found !== undefined;
    if (typeof relied === 'number') {
      const d = verified.get(relied);
      if (!d || d.data['action'] !== 'approved' || d.seq > x.seq)
        problem(
          x,
          `the move ${x.fromPhase} → ${x.toPhase} relies on entry ${relied}, which is not a verified person's approval`,
        );
      // An approval answers the run it was asked about: one given before the run that found something is no answer.
      else if (found && !risky && !waived && d.seq < found.seq)
        problem(
          x,
          `the move ${x.fromPhase} → ${x.toPhase ?? 'done'} relies on entry ${relied}, given before the VERIFY run (entry ${found.seq}) whose findings it needed a person to decide on`,
          ErrorCode.APPROVAL_REQUIRED,
        );
    } else if (found) {
      problem(
        x,
        `the move ${x.fromPhase} → ${x.toPhase ?? 'done'} left ${x.fromPhase} after its run (entry ${found.seq}) found ${found.total === 1 ? 'something' : `${found.total} things`} in the tests (${found.shown}) and needed a person's approval, and none is recorded for it`,
        ErrorCode.APPROVAL_REQUIRED,
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
  return { problems, keyIds, valid: verified.size, verified: new Set(verified.keys()) };
}

/**
 * The findings of the last VERIFY run before `move` in the visit of the phase it leaves (as the engine's guard reads
 * them: the run's signed entry), or undefined when that run found nothing or there was none.
 */
function verifyFindingsBefore(
  entries: readonly LedgerEntry[],
  move: LedgerEntry,
): { seq: number; total: number; shown: string } | undefined {
  let run: LedgerEntry | undefined;
  for (const e of entries) {
    if (e.seq >= move.seq) break;
    if (e.taskId !== move.taskId) continue;
    // Entering the phase (again) starts a new visit: an earlier visit's run is not this move's.
    if ((e.kind === 'transition' || e.kind === 'backtrack') && e.toPhase === move.fromPhase) run = undefined;
    else if (e.kind === 'verify' && e.fromPhase === move.fromPhase) run = e;
  }
  const findings = run?.data['findings'];
  if (!run || !Array.isArray(findings) || findings.length === 0) return undefined;
  const total = typeof run.data['findingsTotal'] === 'number' ? run.data['findingsTotal'] : findings.length;
  const shown = (findings as { kind?: unknown; detail?: unknown }[])
    .slice(0, 3)
    .map((f) => `${String(f?.kind ?? '?')}: ${String(f?.detail ?? '')}`.slice(0, 200))
    .join('; ');
  return { seq: run.seq, total, shown };
}
