/**
 * @module People and their decisions: registering a person's passkey (a signed `person_registered` entry holding the
 * credential's public key), preparing a decision for a person to sign, and recording it once its WebAuthn assertion
 * verifies. A decision without a valid assertion from a registered credential is refused: no agent can make one.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { normalizePhase, phaseIndex } from '../../core/phases.ts';
import { refusePhaseUnknown, type TaskState, refuseInactive } from '../../core/task.ts';
import {
  ACTION_OF,
  DECISION_KINDS,
  decisionText,
  entryMismatch,
  isPersonDecision,
  parseDecision,
  type Decision,
  type PersonDecision,
} from '../../core/decision.ts';
import { Counter } from '../../ports/events.ts';
import { append } from '../ledger/record.ts';
import {
  checkAssertion,
  credentialOf,
  DecisionReplay,
  proofOf,
  registrationsOf,
  type PasskeyProof,
  type RegisteredCredential,
} from '../ledger/passkeys.ts';
import { taskDiff } from '../evidence/producers/diff.ts';
import { approvalState } from './guard.ts';
import { adoptable, adoptContract } from './adopt.ts';
import { adoptableGateInputs, adoptGateInputs } from './gate-inputs.ts';
import { modeChanges } from './modes.ts';
import type { GateInput, ModeChange, SignedRubric } from '../../core/decision.ts';
import { checkPersonRubric, writePersonRubric, type CheckedRubric } from './person-review.ts';
import { sha256Hex } from '../repo/files.ts';
import { configDigest } from '../repo/config-digest.ts';
import type { Engine } from '../context.ts';

/** Where the dashboard is, for WebAuthn: its origin (`http://localhost:4400`) and relying party id (`localhost`). */
export interface RelyingParty {
  readonly origin: string;
  readonly rpId: string;
}

/** How long a person has to sign a prepared decision. */
export const DECISION_TTL_MS = 10 * 60 * 1000;

/** A person's name as recorded: letters, digits, spaces and . ' @ _ - (64 at most). */
export const PERSON_NAME = /^[\p{L}\p{N}][\p{L}\p{N} .'@_-]{0,63}$/u;

const refusedPasskey = (message: string, reason: string, extra: Record<string, unknown> = {}) =>
  refuse(ErrorCode.APPROVAL_REQUIRED, message, { reason, ...extra });

/** Every registered credential, by id, from the ledger. */
export async function registeredCredentials(engine: Engine): Promise<Map<string, LedgerEntry>> {
  return registrationsOf(await engine.store.entries({ kind: 'person_registered' }));
}

/** The options a browser needs to create a passkey for `name` (the challenge is the caller's to keep). */
export async function registrationOptions(
  engine: Engine,
  rp: RelyingParty,
  name: string,
): Promise<Result<PublicKeyCredentialCreationOptionsJSON>> {
  if (!PERSON_NAME.test(name))
    return refuse(ErrorCode.USAGE, "a person's name has up to 64 letters, digits, spaces or . ' @ _ -", {
      argument: 'name',
    });
  const existing = [...(await registeredCredentials(engine)).values()].map((x) => credentialOf(x)!);
  return ok(
    await generateRegistrationOptions({
      rpName: 'Autopilot',
      rpID: rp.rpId,
      userName: name,
      userDisplayName: name,
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: [...c.transports] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    }),
  );
}

/**
 * Verifies a new passkey (user verification required) and records it as a `person_registered` entry signed by this
 * installation's key. The caller has already checked the one-time registration code.
 */
export async function registerPasskey(
  engine: Engine,
  rp: RelyingParty,
  req: { readonly name: string; readonly response: RegistrationResponseJSON; readonly expectedChallenge: string },
): Promise<Result<{ entry: LedgerEntry; credential: RegisteredCredential }>> {
  if (!PERSON_NAME.test(req.name))
    return refuse(ErrorCode.USAGE, "a person's name has up to 64 letters, digits, spaces or . ' @ _ -", {
      argument: 'name',
    });
  let info;
  try {
    const v = await verifyRegistrationResponse({
      response: req.response,
      expectedChallenge: req.expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: true,
    });
    if (!v.verified || !v.registrationInfo) return refusedPasskey('the new passkey did not verify', 'passkey');
    info = v.registrationInfo;
  } catch (err) {
    return refusedPasskey(`the new passkey did not verify: ${(err as Error).message}`, 'passkey');
  }
  const credential: RegisteredCredential = {
    name: req.name,
    credentialId: info.credential.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: [...(info.credential.transports ?? [])],
    rpId: rp.rpId,
    origin: rp.origin,
  };
  return engine.store.transact(async (tx) => {
    const known = registrationsOf(await engine.store.entries({ kind: 'person_registered' }));
    if (known.has(credential.credentialId))
      return refusedPasskey('this passkey is registered already', 'registered', {
        credentialId: credential.credentialId,
      });
    const entry = await append(engine, tx, {
      taskId: null,
      kind: 'person_registered',
      fromPhase: null,
      toPhase: null,
      actor: `person:${req.name}`,
      artifacts: [],
      data: { ...credential },
    });
    return ok({ entry, credential });
  });
}

/** What a person is asked to sign: the decision, and the WebAuthn options whose challenge is its digest. */
export interface PreparedDecision {
  readonly decision: PersonDecision;
  /** The decision's canonical JSON, as signed. */
  readonly text: string;
  readonly options: PublicKeyCredentialRequestOptionsJSON;
}

export interface DecisionDraft {
  readonly taskId: string;
  readonly decision: Decision;
  readonly note: string;
  /** For request_changes: the phase the agent must go back to. */
  readonly backtrackTo?: string;
  /** For review: the rubric's bytes, checked against its artifact's rule before anything is signed. */
  readonly rubric?: Uint8Array;
}

/**
 * Builds the decision a person signs for a task as it is now: its phase, the request waiting, the digest of its
 * current diff, a fresh nonce and an expiry. Nothing is recorded.
 */
export async function prepareDecision(
  engine: Engine,
  rp: RelyingParty,
  req: DecisionDraft,
): Promise<Result<PreparedDecision>> {
  const note = req.note.trim();
  if (!note) return refuse(ErrorCode.USAGE, 'a decision needs a note for the agent', { argument: 'reason' });
  let backtrackTo: string | null = null;
  if (req.decision === 'request_changes') {
    if (!req.backtrackTo)
      return refuse(ErrorCode.USAGE, 'requesting changes needs the phase to go back to', { argument: 'backtrackTo' });
    const phase = normalizePhase(engine.config.phases, req.backtrackTo);
    if (!phase) return refusePhaseUnknown(req.backtrackTo, engine.config);
    backtrackTo = phase;
  }
  const state = await activeTask(engine, req.taskId);
  if (!state.ok) return state;
  // A request for changes sends the task back: to an earlier phase than the one it is in.
  if (
    backtrackTo &&
    phaseIndex(engine.config.phases, backtrackTo) >= phaseIndex(engine.config.phases, state.value.phase)
  )
    return refuse(
      ErrorCode.USAGE,
      `requesting changes sends ${state.value.taskId} back to an earlier phase than ${state.value.phase}, not to ${backtrackTo}`,
      { argument: 'backtrackTo' },
    );
  // An adoption signs the digest of the config loaded now: there must be a change to adopt.
  if (req.decision === 'adopt_contract') {
    const change = adoptable(engine, state.value);
    if (!change.ok) return change;
  }
  // A change of modes signs each mode changed, from and to, and the digest of the config that holds them.
  let modes: ModeChange[] | undefined;
  if (req.decision === 'change_modes') {
    const changed = modeChanges(engine, state.value);
    if (!changed.ok) return changed;
    modes = changed.value;
  }
  // An allowance of the gate's files signs the digest of each changed one as it is now.
  let inputs: GateInput[] | undefined;
  if (req.decision === 'adopt_gate_inputs') {
    const changed = await adoptableGateInputs(engine, state.value);
    if (!changed.ok) return changed;
    inputs = changed.value;
  }
  // A review signs the digest of the rubric as the person filled it in, once it meets its artifact's rule.
  let rubric: SignedRubric | undefined;
  if (req.decision === 'review') {
    if (!req.rubric)
      return refuse(ErrorCode.USAGE, "a review needs the rubric: fill in the task page's review form", {
        argument: 'rubric',
      });
    const checked = await checkPersonRubric(engine, state.value, req.rubric);
    if (!checked.ok) return checked;
    rubric = { name: checked.value.rules.artifact, sha256: checked.value.sha256 };
  }
  const credentials = await registeredCredentials(engine);
  if (credentials.size === 0)
    return refusedPasskey(
      'no person has registered a passkey yet: register one on the dashboard first, with the code autopilot serve printed',
      'unregistered',
    );
  const answers = approvalState(
    await engine.store.entries({ taskId: state.value.taskId, kind: 'approval', fromSeq: state.value.phaseEpoch }),
    state.value,
  ).request;
  const decision: PersonDecision = {
    v: 1,
    task: state.value.taskId,
    phase: state.value.phase,
    decision: req.decision,
    backtrackTo,
    diff: (await taskDiff(engine, state.value)).sha256,
    note: note.slice(0, 2000),
    answers: answers?.seq ?? null,
    nonce: randomBytes(16).toString('base64url'),
    expires: new Date(engine.clock.now().getTime() + DECISION_TTL_MS).toISOString(),
    origin: rp.origin,
    rpId: rp.rpId,
    ...(req.decision === 'adopt_contract' || modes ? { contract: configDigest(engine.config) } : {}),
    ...(modes ? { modes } : {}),
    ...(inputs ? { inputs } : {}),
    ...(rubric ? { rubric } : {}),
  };
  const text = decisionText(decision);
  const options = await generateAuthenticationOptions({
    rpID: rp.rpId,
    challenge: createHash('sha256').update(text).digest(),
    userVerification: 'required',
    timeout: DECISION_TTL_MS,
    allowCredentials: [...credentials.values()].map((x) => {
      const c = credentialOf(x)!;
      return { id: c.credentialId, transports: [...c.transports] };
    }),
  });
  return ok({ decision, text, options });
}

async function activeTask(engine: Engine, taskId: string): Promise<Result<TaskState>> {
  const state = await engine.store.getTask(taskId);
  if (!state) return refuse(ErrorCode.TASK_UNKNOWN, `no task ${taskId}`, { taskId });
  if (state.status !== 'active') return refuseInactive(state, 'there is nothing left to decide');
  return ok(state);
}

/** A signed decision as the browser returns it: the decision and the assertion over it. */
export interface SignedDecision {
  readonly decision: unknown;
  readonly response: unknown;
  /** For a review: the rubric's text, whose SHA-256 the decision signed. */
  readonly content?: unknown;
}

/**
 * Records a person's decision: the assertion must verify against a registered credential over exactly this decision,
 * the decision must still describe the task (phase, waiting request, diff), be unexpired and unused, and the
 * credential's counter must grow. The entry names the person the credential belongs to and carries the proof.
 */
export async function decide(
  engine: Engine,
  signed: SignedDecision,
): Promise<Result<{ task: TaskState; entry: LedgerEntry; person: string }>> {
  const parsed = parseDecision(signed.decision);
  if (!parsed.ok) return refuse(ErrorCode.USAGE, `the signed decision is malformed: ${parsed.reason}`, {});
  const d = parsed.value;
  const now = engine.clock.now().getTime();
  const expires = Date.parse(d.expires);
  if (now > expires || expires - now > DECISION_TTL_MS + 60_000)
    return refusedPasskey('the decision expired before it was recorded: open the task again and decide anew', 'stale');
  const credentialId = (signed.response as { id?: unknown } | null)?.id;
  const registration =
    typeof credentialId === 'string' ? (await registeredCredentials(engine)).get(credentialId) : undefined;
  const check = await checkAssertion(d, signed.response, registration);
  if (!check.ok) return refusedPasskey(`not a person's decision: ${check.reason}`, 'passkey');
  const cred = credentialOf(registration!)!;
  const person = `person:${cred.name}`;
  const state = await activeTask(engine, d.task);
  if (!state.ok) return state;
  // The diff must be the one the person saw.
  if ((await taskDiff(engine, state.value)).sha256 !== d.diff)
    return refusedPasskey(
      `the diff of ${d.task} changed since the decision was prepared: look again and decide anew`,
      'stale',
    );
  // A review writes the rubric the person signed, byte for byte, and only while it still meets its rule.
  let rubric: { checked: CheckedRubric; bytes: Uint8Array } | undefined;
  if (d.decision === 'review') {
    const bytes = typeof signed.content === 'string' ? Buffer.from(signed.content, 'utf8') : undefined;
    if (!bytes || !d.rubric || sha256Hex(bytes) !== d.rubric.sha256)
      return refuse(ErrorCode.USAGE, 'the rubric sent is not the one the passkey signed: fill in the review again', {
        argument: 'content',
      });
    const checked = await checkPersonRubric(engine, state.value, bytes);
    if (!checked.ok) return checked;
    if (checked.value.rules.artifact !== d.rubric.name)
      return refusedPasskey(`the review rubric is now ${checked.value.rules.artifact}: review anew`, 'stale');
    rubric = { checked: checked.value, bytes };
  }

  return engine.store.transact(async (tx) => {
    const now = await tx.getTask(d.task);
    if (!now) return refuse(ErrorCode.TASK_UNKNOWN, `no task ${d.task}`, { taskId: d.task });
    if (now.status !== 'active') return refuseInactive(now, 'there is nothing left to decide');
    const answers = approvalState(
      await engine.store.entries({ taskId: now.taskId, kind: 'approval', fromSeq: now.phaseEpoch }),
      now,
    ).request;
    if (now.phase !== d.phase || (answers?.seq ?? null) !== d.answers)
      return refusedPasskey(
        `${d.task} moved since the decision was prepared (now in ${now.phase}): look again and decide anew`,
        'stale',
      );
    // The contract adopted must be the config loaded now: the one the person saw.
    if (
      (d.decision === 'adopt_contract' || d.decision === 'change_modes') &&
      d.contract !== configDigest(engine.config)
    )
      return refusedPasskey(`the config changed since the adoption was prepared: look again and decide anew`, 'stale');
    if (d.decision === 'change_modes') {
      const changed = modeChanges(engine, now);
      if (!changed.ok || JSON.stringify(changed.value) !== JSON.stringify(d.modes))
        return refusedPasskey(`the modes changed since the decision was prepared: look again and decide anew`, 'stale');
    }
    // The gate's files allowed must be the files as they are now: the ones the person saw.
    let inputs: GateInput[] = [];
    if (d.decision === 'adopt_gate_inputs') {
      const changed = await adoptableGateInputs(engine, now);
      if (!changed.ok || JSON.stringify(changed.value) !== JSON.stringify(d.inputs))
        return refusedPasskey(
          `the gate's files changed since the decision was prepared: look again and decide anew`,
          'stale',
        );
      inputs = changed.value;
    }
    // Replays: every earlier decision in order, for its nonce and the credential's counter.
    const replay = new DecisionReplay();
    const earlierDecisions: LedgerEntry[] = [];
    for (const kind of DECISION_KINDS) earlierDecisions.push(...(await engine.store.entries({ kind })));
    // In ledger order across kinds: a credential's counter grows from one decision to the next, whatever their kind.
    for (const x of earlierDecisions.sort((a, b) => a.seq - b.seq)) {
      const p = isPersonDecision(x) ? proofOf(x) : null;
      const earlier = p && parseDecision(p.decision);
      if (!p || !earlier?.ok) continue;
      const counter = counterOf(p);
      replay.see(x.seq, { credentialId: String(p.response?.id), counter, nonce: earlier.value.nonce });
    }
    const replayed = replay.see(Number.MAX_SAFE_INTEGER, check);
    if (replayed) return refusedPasskey(`not a person's decision: ${replayed}`, 'replay');

    const proof: PasskeyProof = {
      decision: d,
      response: signed.response as PasskeyProof['response'],
      registration: registration!,
    };
    const base = { taskId: now.taskId, fromPhase: now.phase, actor: person, artifacts: [] };
    const common = { reason: d.note, by: person, diff: d.diff, passkey: proof };
    let entry: LedgerEntry;
    if (d.decision === 'adopt_contract' || d.decision === 'change_modes') {
      // The adopted contract's text is written as its next version; the entry carries the proof like the others, and
      // a change of modes the modes the person signed.
      const adopted = await adoptContract(engine, tx, now, { id: person }, d.note, {
        diff: d.diff,
        passkey: proof,
        ...(d.modes ? { modes: d.modes } : {}),
      });
      if (!adopted.ok) return adopted;
      entry = adopted.value.entry;
    } else if (d.decision === 'adopt_gate_inputs') {
      entry = await adoptGateInputs(engine, tx, now, { id: person }, d.note, inputs, { diff: d.diff, passkey: proof });
    } else if (d.decision === 'review') {
      const written = await writePersonRubric(engine, tx, now, person, rubric!.checked, rubric!.bytes, common);
      if (!written.ok) return written;
      entry = written.value;
    } else if (d.decision === 'abort') {
      entry = await append(engine, tx, { ...base, kind: 'task_aborted', toPhase: null, data: common });
    } else {
      entry = await append(engine, tx, {
        ...base,
        kind: 'approval',
        toPhase: answers?.toPhase ?? null,
        data: {
          action: ACTION_OF[d.decision],
          ...common,
          ...(answers ? { answers: answers.seq } : {}),
          ...(d.backtrackTo ? { backtrackTo: d.backtrackTo } : {}),
        },
      });
    }
    // What was recorded is what was signed; anything else is a bug, not a refusal.
    const mismatch = entryMismatch(entry, d);
    if (mismatch) throw new Error(`the recorded decision does not match the signed one: ${mismatch}`);
    if (d.decision === 'abort') {
      const t = Date.now();
      engine.sink.emit({
        type: 'counter',
        name: Counter.tasks_rejected_for_process_violation,
        value: 1,
        attributes: { phase: now.phase },
        taskId: now.taskId,
        startMs: t,
        endMs: t,
        actor: person,
      });
    }
    return ok({ task: (await tx.getTask(now.taskId)) ?? now, entry, person });
  });
}

/** The signature counter in an assertion's authenticator data (bytes 33–36, big-endian). */
function counterOf(p: PasskeyProof): number {
  try {
    const data = Buffer.from(p.response.response.authenticatorData, 'base64url');
    return data.length >= 37 ? data.readUInt32BE(33) : 0;
  } catch {
    return 0;
  }
}
