/**
 * Unit: the pieces of a person's decision that need no browser: the decision's fields as read from untrusted JSON,
 * an entry checked against the decision it claims to record, replays by nonce and counter, and the one-time
 * registration code (single use, expiry, burnt after wrong tries) on a clock the test moves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decisionText,
  entryMismatch,
  isPersonDecision,
  parseDecision,
  type PersonDecision,
} from '../../src/core/decision.ts';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import { DecisionReplay } from '../../src/engine/ledger/passkeys.ts';
import { CODE_TRIES, CODE_TTL_MS, RegistrationCodes } from '../../src/surfaces/http/registration.ts';
import { ManualClock } from '../helpers/clock.ts';

const DECISION: PersonDecision = {
  v: 1,
  task: 'T-1',
  phase: 'REVIEW',
  decision: 'approve',
  backtrackTo: null,
  diff: 'a'.repeat(64),
  note: 'reviewed',
  answers: 7,
  nonce: 'n-1',
  expires: '2026-01-01T00:10:00.000Z',
  origin: 'http://localhost:4400',
  rpId: 'localhost',
};

function entryFor(d: PersonDecision, over: Partial<LedgerEntry> = {}, data: Record<string, unknown> = {}): LedgerEntry {
  return {
    seq: 9,
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
    signature: '',
    keyId: 'k',
    ts: '2026-01-01T00:05:00.000Z',
    taskId: d.task,
    kind: 'approval',
    fromPhase: d.phase,
    toPhase: 'PR',
    actor: 'person:Dana',
    artifacts: [],
    data: { action: 'approved', reason: d.note, diff: d.diff, answers: d.answers, ...data },
    ...over,
  };
}

describe('a decision as signed bytes', () => {
  it('has one canonical text, whatever the key order', () => {
    const shuffled = Object.fromEntries(Object.entries(DECISION).reverse()) as unknown as PersonDecision;
    assert.equal(decisionText(shuffled), decisionText(DECISION));
    assert.ok(decisionText(DECISION).startsWith('{"answers":7,"backtrackTo":null,"decision":"approve"'));
  });

  it('reads only a well-formed version 1 decision, naming what is wrong', () => {
    assert.equal(parseDecision(DECISION).ok, true);
    const bad: [unknown, RegExp][] = [
      [null, /not an object/],
      [{ ...DECISION, extra: 1 }, /the fields/],
      [{ ...DECISION, v: 2 }, /version 1/],
      [{ ...DECISION, decision: 'merge' }, /decision must be one of/],
      [{ ...DECISION, diff: 'abc' }, /SHA-256/],
      [{ ...DECISION, answers: 'seven' }, /answers/],
      [{ ...DECISION, expires: 'soon' }, /expires a time/],
    ];
    for (const [value, reason] of bad) {
      const r = parseDecision(value);
      assert.equal(r.ok, false, JSON.stringify(value));
      if (!r.ok) assert.match(r.reason, reason);
    }
  });

  it('an entry agrees with the decision it records, or the first difference is named', () => {
    assert.equal(entryMismatch(entryFor(DECISION), DECISION), null);
    const cases: [LedgerEntry, RegExp][] = [
      [entryFor(DECISION, { taskId: 'T-2' }), /about T-2/],
      [entryFor(DECISION, { fromPhase: 'PR' }), /in PR/],
      [entryFor(DECISION, {}, { action: 'escalated' }), /records approval escalated/],
      [entryFor(DECISION, {}, { reason: 'changed' }), /note differs/],
      [entryFor(DECISION, {}, { diff: 'b'.repeat(64) }), /diff digest differs/],
      [entryFor(DECISION, {}, { backtrackTo: 'PLAN' }), /phase to go back to/],
      [entryFor(DECISION, {}, { answers: 8 }), /request answered/],
      [entryFor(DECISION, { ts: '2026-01-01T00:11:00.000Z' }), /after the decision expired/],
      [entryFor(DECISION, { kind: 'task_aborted' }), /records task_aborted/],
    ];
    for (const [entry, reason] of cases) assert.match(entryMismatch(entry, DECISION) ?? '', reason);
  });

  it("an allowance of the gate's files signs each file's digest; the entry must name exactly those", () => {
    const inputs = [
      { path: '.github/workflows/autopilot-gate.yml', sha256: 'c'.repeat(64) },
      { path: '.gitlab/autopilot-gate.gitlab-ci.yml', sha256: 'd'.repeat(64) },
    ];
    const allow: PersonDecision = { ...DECISION, decision: 'adopt_gate_inputs', answers: null, inputs };
    assert.equal(parseDecision(allow).ok, true);
    const bad: [unknown, RegExp][] = [
      [{ ...DECISION, inputs }, /the fields/],
      [Object.fromEntries(Object.entries(allow).filter(([k]) => k !== 'inputs')), /the fields/],
      [{ ...allow, inputs: [] }, /non-empty list/],
      [{ ...allow, inputs: [{ path: '../x.yml', sha256: 'c'.repeat(64) }] }, /relative path inside the repository/],
      [{ ...allow, inputs: [{ path: '/etc/x.yml', sha256: 'c'.repeat(64) }] }, /relative path inside the repository/],
      [{ ...allow, inputs: [{ path: 'a.yml', sha256: 'abc' }] }, /sha256 of a\.yml/],
      [{ ...allow, inputs: [{ path: 'a.yml', sha256: 'c'.repeat(64), by: 'x' }] }, /exactly the fields/],
      [{ ...allow, inputs: [...inputs].reverse() }, /sorted by path/],
    ];
    for (const [value, reason] of bad) {
      const r = parseDecision(value);
      assert.equal(r.ok, false, JSON.stringify(value));
      if (!r.ok) assert.match(r.reason, reason);
    }
    const entry = (data: Record<string, unknown>, kind = 'gate_inputs_adopted') =>
      entryFor(
        allow,
        { kind: kind as LedgerEntry['kind'], toPhase: null },
        { action: undefined, answers: undefined, inputs, ...data },
      );
    assert.equal(entryMismatch(entry({}), allow), null);
    assert.equal(isPersonDecision(entry({})), true);
    assert.match(entryMismatch(entry({ inputs: inputs.slice(0, 1) }), allow) ?? '', /gate inputs allowed differ/);
    assert.match(
      entryMismatch(entry({ inputs: [{ ...inputs[0]!, sha256: 'e'.repeat(64) }, inputs[1]] }), allow) ?? '',
      /gate inputs allowed differ/,
    );
    assert.match(
      entryMismatch(entry({}, 'contract_adopted'), allow) ?? '',
      /allows gate inputs, the entry is a contract_adopted/,
    );
  });

  it("a person's review signs the rubric's name and digest; the entry must be evidence in the role person with that file", () => {
    const rubric = { name: 'review_rubric.json', sha256: 'f'.repeat(64) };
    const review: PersonDecision = { ...DECISION, decision: 'review', answers: null, rubric };
    assert.equal(parseDecision(review).ok, true);
    const bad: [unknown, RegExp][] = [
      [{ ...DECISION, rubric }, /the fields/],
      [Object.fromEntries(Object.entries(review).filter(([k]) => k !== 'rubric')), /the fields/],
      [{ ...review, rubric: { name: 'review_rubric.json' } }, /rubric must be an object/],
      [{ ...review, rubric: { ...rubric, name: '../x.json' } }, /artifact name/],
      [{ ...review, rubric: { ...rubric, sha256: 'abc' } }, /sha256 must be hex/],
    ];
    for (const [value, reason] of bad) {
      const r = parseDecision(value);
      assert.equal(r.ok, false, JSON.stringify(value));
      if (!r.ok) assert.match(r.reason, reason);
    }
    const entry = (over: Partial<LedgerEntry> = {}, data: Record<string, unknown> = {}) =>
      entryFor(
        review,
        {
          kind: 'evidence',
          toPhase: null,
          artifacts: [{ path: 'evidence/T-1/review/review_rubric.json', sha256: rubric.sha256, producer: 'agent' }],
          ...over,
        },
        { action: undefined, answers: undefined, role: 'person', holder: 'person:Dana', ...data },
      );
    assert.equal(entryMismatch(entry(), review), null);
    assert.equal(isPersonDecision(entry()), true, "evidence in the role person is a person's decision");
    assert.equal(isPersonDecision(entry({}, { role: 'reviewer' })), false, "a reviewer session's is not");
    assert.equal(isPersonDecision(entry({}, { role: undefined })), false, "nor a working agent's");
    assert.match(
      entryMismatch(entry({}, { role: 'reviewer' }), review) ?? '',
      /a review, the entry a evidence reviewer/,
    );
    const other = [
      { path: 'evidence/T-1/review/review_rubric.json', sha256: 'e'.repeat(64), producer: 'agent' as const },
    ];
    assert.match(entryMismatch(entry({ artifacts: other }), review) ?? '', /rubric recorded differs/);
    assert.match(entryMismatch(entry({}, { reason: 'other' }), review) ?? '', /note differs/);
    assert.match(entryMismatch(entryFor(review), review) ?? '', /a review, the entry a approval/);
  });

  it("every approval with a decision and every abort is a person's decision; a request is not", () => {
    assert.equal(isPersonDecision(entryFor(DECISION)), true);
    assert.equal(isPersonDecision(entryFor(DECISION, { actor: 'agent:x' })), true, 'whoever it names');
    assert.equal(isPersonDecision(entryFor(DECISION, {}, { action: 'requested' })), false);
    assert.equal(isPersonDecision(entryFor(DECISION, { kind: 'task_aborted' })), true);
    assert.equal(isPersonDecision(entryFor(DECISION, { kind: 'transition' })), false);
  });
});

describe('replays', () => {
  it('a nonce works once; a counting credential must count up; one that keeps no counter may stay at 0', () => {
    const r = new DecisionReplay();
    assert.equal(r.see(1, { credentialId: 'a', counter: 1, nonce: 'x' }), null);
    assert.match(r.see(2, { credentialId: 'b', counter: 0, nonce: 'x' }) ?? '', /nonce was already used by entry 1/);
    assert.match(r.see(3, { credentialId: 'a', counter: 1, nonce: 'y' }) ?? '', /counter 1 does not exceed 1/);
    assert.equal(r.see(4, { credentialId: 'a', counter: 5, nonce: 'z' }), null);
    assert.equal(r.see(5, { credentialId: 'c', counter: 0, nonce: 'p' }), null);
    assert.equal(r.see(6, { credentialId: 'c', counter: 0, nonce: 'q' }), null);
    assert.match(r.see(7, { credentialId: 'a', counter: 0, nonce: 'r' }) ?? '', /does not exceed 5/);
  });
});

describe('the one-time registration code', () => {
  const make = () => {
    const clock = new ManualClock();
    const printed: string[] = [];
    const codes = new RegistrationCodes(
      () => clock.now().getTime(),
      (code) => void printed.push(code),
    );
    return { clock, printed, codes };
  };

  it('is printed, typed in any case with or without its dash, and replaced once used', () => {
    const { printed, codes } = make();
    const { code } = codes.current();
    assert.match(code, /^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    assert.deepEqual(printed, [code]);
    assert.equal(codes.check(code.toLowerCase().replace('-', ' ')), 'ok');
    codes.begin('Dana', 'challenge-1');
    assert.equal(codes.pending('Dana'), 'challenge-1');
    assert.equal(codes.pending('Eve'), undefined, 'the challenge is for the registration under way');
    codes.consume('Dana');
    assert.equal(printed.length, 2, 'a new code is printed');
    assert.equal(codes.check(code), 'wrong', 'the used code never works again');
    assert.equal(codes.pending('Dana'), undefined);
  });

  it('expires, and is burnt after too many wrong tries; each time a new one is printed', () => {
    const { clock, printed, codes } = make();
    const first = codes.current().code;
    clock.advance(CODE_TTL_MS + 1);
    assert.equal(codes.check(first), 'expired');
    assert.equal(printed.length, 2);
    const second = printed[1]!;
    for (let i = 1; i < CODE_TRIES; i++) assert.equal(codes.check('AAAA-AAAA'), 'wrong');
    assert.equal(printed.length, 2, 'not yet burnt');
    assert.equal(codes.check('AAAA-AAAA'), 'wrong');
    assert.equal(printed.length, 3, 'burnt: a new one is printed');
    assert.equal(codes.check(second), 'wrong');
    assert.equal(codes.check(printed[2]!), 'ok');
  });
});
