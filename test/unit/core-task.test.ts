import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EntryDraft, LedgerEntry } from '../../src/core/ledger.ts';
import {
  applyEntry,
  checkTaskId,
  checkTitle,
  decideAdvance,
  decideBacktrack,
  foldTask,
  stalePhases,
  type TaskState,
} from '../../src/core/task.ts';
import { defaultConfig, parseConfig, type Config } from '../../src/core/config.ts';
import { ErrorCode, type Result } from '../../src/core/errors.ts';
import { draft, makeSigner, seal, T0 } from '../helpers/ledger.ts';

const signer = makeSigner();
const config = defaultConfig();
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

/** Seals drafts into a chain, one second apart. */
function entries(...drafts: Partial<EntryDraft>[]): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const [i, d] of drafts.entries()) out.push(seal(signer, out.at(-1) ?? null, draft(d), iso(i)));
  return out;
}

const art = (path: string, c = 'a') => ({ path, sha256: c.repeat(64), producer: 'agent' as const });
const start = (
  data: Record<string, unknown> = { title: 'Fix the login', baseCommit: 'abc123' },
): Partial<EntryDraft> => ({
  kind: 'task_started',
  toPhase: 'STRATEGIZE',
  data,
});
const move = (from: string, to: string, extra: Partial<EntryDraft> = {}): Partial<EntryDraft> => ({
  kind: 'transition',
  fromPhase: from,
  toPhase: to,
  ...extra,
});

function fold(...drafts: Partial<EntryDraft>[]): TaskState {
  const s = foldTask(entries(...drafts));
  assert.ok(s, 'the fold gave no state');
  return s;
}

/** Deep-freezes a value so that a fold that mutates its input throws. */
function frozen<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) frozen(x);
    Object.freeze(v);
  }
  return v;
}

/** A task in `phase`, folded the way the engine gets there. */
function at(phase: string, cfg: Config = config): TaskState {
  const path = cfg.phases.slice(0, cfg.phases.indexOf(phase) + 1);
  assert.ok(path.length > 0, `no phase ${phase}`);
  return fold({ ...start(), toPhase: path[0] }, ...path.slice(1).map((p, i) => move(path[i]!, p)));
}

function refused(r: Result<unknown>, code: string): Record<string, unknown> {
  assert.equal(r.ok, false, `expected ${code}, got ${JSON.stringify(r)}`);
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.error.code, code, r.error.message);
  return { ...r.error.details, message: r.error.message };
}

describe('task fold', () => {
  it('starts a task from task_started', () => {
    const [e] = entries(start());
    const s = applyEntry(undefined, e!);
    assert.deepEqual(s, {
      taskId: 'T-1',
      title: 'Fix the login',
      status: 'active',
      phase: 'STRATEGIZE',
      baseCommit: 'abc123',
      startedAt: iso(0),
      updatedAt: iso(0),
      phaseEnteredAt: iso(0),
      phaseEpoch: 1,
      lastSeq: 1,
      visits: { STRATEGIZE: 1 },
      artifacts: {},
      counts: { refusals: 0, backtracks: 0, skips: 0 },
    });
  });

  it('tolerates a start without title or base commit', () => {
    const s = fold(start({ title: 42 }));
    assert.equal(s.title, '');
    assert.equal(s.baseCommit, null);
  });

  it('ignores entries before the start, and an empty fold is no task', () => {
    const [e] = entries(move('STRATEGIZE', 'SPEC'));
    assert.equal(applyEntry(undefined, e!), undefined);
    assert.equal(foldTask([]), undefined);
  });

  it('moves on a transition: phase, epoch, entry time, visits and artifacts', () => {
    const s = fold(
      start(),
      { kind: 'evidence', artifacts: [art('evidence/T-1/strategize/strategy.md')] },
      move('STRATEGIZE', 'SPEC', { artifacts: [art('evidence/T-1/strategize/strategy.md', 'b')] }),
    );
    assert.equal(s.phase, 'SPEC');
    assert.equal(s.phaseEpoch, 3);
    assert.equal(s.lastSeq, 3);
    assert.equal(s.phaseEnteredAt, iso(2));
    assert.equal(s.updatedAt, iso(2));
    assert.equal(s.startedAt, iso(0));
    assert.deepEqual(s.visits, { STRATEGIZE: 1, SPEC: 1 });
    // The transition's digest replaces the evidence entry's, with its seq.
    assert.deepEqual(s.artifacts, {
      'evidence/T-1/strategize/strategy.md': { ...art('evidence/T-1/strategize/strategy.md', 'b'), seq: 3 },
    });
  });

  it('records evidence without moving the phase or its epoch', () => {
    const s = fold(
      start(),
      move('STRATEGIZE', 'SPEC'),
      { kind: 'evidence', artifacts: [art('evidence/T-1/spec/spec.md')] },
      { kind: 'verify', artifacts: [art('evidence/T-1/spec/x.json', 'c')] },
    );
    assert.equal(s.phase, 'SPEC');
    assert.equal(s.phaseEpoch, 2);
    assert.equal(s.lastSeq, 4);
    assert.equal(s.updatedAt, iso(3));
    assert.equal(s.phaseEnteredAt, iso(1));
    assert.deepEqual(Object.keys(s.artifacts).sort(), ['evidence/T-1/spec/spec.md', 'evidence/T-1/spec/x.json']);
    assert.equal(s.artifacts['evidence/T-1/spec/spec.md']?.seq, 3);
    assert.equal(s.artifacts['evidence/T-1/spec/x.json']?.seq, 4);
  });

  it('finishes on a done transition, keeping the last phase', () => {
    const s = fold(
      start(),
      move('STRATEGIZE', 'SPEC'),
      move('SPEC', 'SPEC', { toPhase: null, data: { status: 'done' }, artifacts: [art('evidence/T-1/spec/spec.md')] }),
    );
    assert.equal(s.status, 'done');
    assert.equal(s.phase, 'SPEC');
    assert.deepEqual(s.visits, { STRATEGIZE: 1, SPEC: 1 });
    assert.equal(s.phaseEpoch, 2);
    assert.equal(s.artifacts['evidence/T-1/spec/spec.md']?.seq, 3);
  });

  it('backtracks: archived artifacts leave, the archive copies come in, the counter grows', () => {
    const strategy = 'evidence/T-1/strategize/strategy.md';
    const spec = 'evidence/T-1/spec/spec.md';
    const plan = 'evidence/T-1/plan/plan.md';
    const s = fold(
      start(),
      { kind: 'evidence', artifacts: [art(strategy)] },
      move('STRATEGIZE', 'SPEC'),
      { kind: 'evidence', artifacts: [art(spec)] },
      move('SPEC', 'PLAN'),
      { kind: 'evidence', artifacts: [art(plan)] },
      {
        kind: 'backtrack',
        fromPhase: 'PLAN',
        toPhase: 'SPEC',
        artifacts: [art('evidence/T-1/.stale/1/spec/spec.md'), art('evidence/T-1/.stale/1/plan/plan.md')],
        data: {
          reason: 'the spec missed a case',
          archived: [
            { from: spec, to: 'evidence/T-1/.stale/1/spec/spec.md' },
            { from: plan, to: 'evidence/T-1/.stale/1/plan/plan.md' },
          ],
        },
      },
    );
    assert.equal(s.phase, 'SPEC');
    assert.equal(s.phaseEpoch, 7);
    assert.equal(s.phaseEnteredAt, iso(6));
    assert.deepEqual(s.visits, { STRATEGIZE: 1, SPEC: 2, PLAN: 1 });
    assert.deepEqual(s.counts, { refusals: 0, backtracks: 1, skips: 0 });
    assert.deepEqual(
      Object.keys(s.artifacts).sort(),
      [strategy, 'evidence/T-1/.stale/1/plan/plan.md', 'evidence/T-1/.stale/1/spec/spec.md'].sort(),
    );
    assert.equal(s.artifacts[strategy]?.seq, 2, 'evidence of an earlier phase stays');
    assert.equal(s.artifacts['evidence/T-1/.stale/1/spec/spec.md']?.seq, 7);
  });

  it('counts refusals and skips from violations and blocked tools', () => {
    const s = fold(
      start(),
      { kind: 'violation', data: { code: ErrorCode.PHASE_SKIP } },
      { kind: 'violation', data: { code: ErrorCode.EVIDENCE_MISSING } },
      { kind: 'violation', data: { code: ErrorCode.PHASE_SKIP } },
      { kind: 'tool_blocked', data: { tool: 'Edit' } },
    );
    assert.deepEqual(s.counts, { refusals: 4, backtracks: 0, skips: 2 });
    assert.equal(s.phase, 'STRATEGIZE');
    assert.equal(s.lastSeq, 5);
  });

  it('aborts, and passes other kinds through with only the sequence moving', () => {
    const leased = fold(start(), { kind: 'lease', data: { change: 'acquired' } }, { kind: 'attestation' });
    const base = fold(start());
    assert.deepEqual(leased, { ...base, lastSeq: 3, updatedAt: iso(2) });
    assert.equal(fold(start(), { kind: 'task_aborted' }).status, 'aborted');
  });

  it('never mutates the state it is given', () => {
    const es = entries(
      start(),
      { kind: 'evidence', artifacts: [art('a')] },
      move('STRATEGIZE', 'SPEC'),
      { kind: 'violation', data: { code: ErrorCode.PHASE_SKIP } },
      {
        kind: 'backtrack',
        fromPhase: 'SPEC',
        toPhase: 'STRATEGIZE',
        data: { archived: [{ from: 'a', to: 'b' }] },
      },
    );
    let s: TaskState | undefined;
    for (const e of es) s = applyEntry(s === undefined ? s : frozen(structuredClone(s)), e);
    assert.deepEqual(s, foldTask(es));
  });
});

describe('decideAdvance', () => {
  it('goes to the next phase, named or not', () => {
    assert.deepEqual(decideAdvance(at('STRATEGIZE'), undefined, config), {
      ok: true,
      value: { from: 'STRATEGIZE', to: 'SPEC' },
    });
    assert.deepEqual(decideAdvance(at('PLAN'), 'THINK', config), { ok: true, value: { from: 'PLAN', to: 'THINK' } });
  });

  it('finishes the task when leaving the last phase', () => {
    assert.deepEqual(decideAdvance(at('MONITOR'), undefined, config), {
      ok: true,
      value: { from: 'MONITOR', to: null },
    });
  });

  it('refuses a skip forward, naming the phases to pass first', () => {
    const d = refused(decideAdvance(at('STRATEGIZE'), 'THINK', config), ErrorCode.PHASE_SKIP);
    assert.equal(d['from'], 'STRATEGIZE');
    assert.equal(d['to'], 'THINK');
    assert.equal(d['next'], 'SPEC');
    assert.match(String(d['message']), /pass SPEC, PLAN first/);
  });

  it('refuses a move backwards or in place, pointing at backtrack', () => {
    for (const to of ['SPEC', 'PLAN']) {
      const d = refused(decideAdvance(at('PLAN'), to, config), ErrorCode.PHASE_SKIP);
      assert.equal(d['next'], 'THINK');
      assert.match(String(d['message']), new RegExp(`to go back from PLAN to ${to}, backtrack$`));
      assert.deepEqual([d['taskId'], d['back']], ['T-1', true]);
    }
  });

  it('refuses an unknown phase', () => {
    const d = refused(decideAdvance(at('PLAN'), 'DEPLOY', config), ErrorCode.PHASE_UNKNOWN);
    assert.equal(d['phase'], 'DEPLOY');
    assert.deepEqual(d['known'], config.phases);
  });

  it('refuses any move of a finished or aborted task', () => {
    const done = { ...at('MONITOR'), status: 'done' as const };
    const aborted = { ...at('SPEC'), status: 'aborted' as const };
    assert.deepEqual(refused(decideAdvance(done, undefined, config), ErrorCode.TASK_DONE)['status'], 'done');
    assert.deepEqual(refused(decideAdvance(aborted, 'PLAN', config), ErrorCode.ABORTED)['status'], 'aborted');
  });
});

describe('decideBacktrack', () => {
  it('goes to any earlier phase with a reason', () => {
    assert.deepEqual(decideBacktrack(at('VERIFY'), 'SPEC', 'the spec was wrong', config), {
      ok: true,
      value: { from: 'VERIFY', to: 'SPEC' },
    });
    assert.deepEqual(decideBacktrack(at('SPEC'), 'STRATEGIZE', 'x', config), {
      ok: true,
      value: { from: 'SPEC', to: 'STRATEGIZE' },
    });
  });

  it('refuses the same or a later phase', () => {
    for (const to of ['PLAN', 'THINK', 'MONITOR']) {
      const d = refused(decideBacktrack(at('PLAN'), to, 'reason', config), ErrorCode.PHASE_SKIP);
      assert.equal(d['from'], 'PLAN');
      assert.equal(d['to'], to);
      assert.equal(d['next'], 'THINK');
    }
  });

  it('needs a reason that is more than blanks', () => {
    for (const reason of ['', '   ', '\n\t']) {
      assert.equal(refused(decideBacktrack(at('PLAN'), 'SPEC', reason, config), ErrorCode.USAGE)['argument'], 'reason');
    }
  });

  it('refuses an unknown phase and a finished task', () => {
    assert.equal(refused(decideBacktrack(at('PLAN'), 'NOPE', 'r', config), ErrorCode.PHASE_UNKNOWN)['phase'], 'NOPE');
    assert.equal(
      refused(decideBacktrack({ ...at('PLAN'), status: 'done' }, 'SPEC', 'r', config), ErrorCode.TASK_DONE)['taskId'],
      'T-1',
    );
  });

  it('only backtracks from the phases the config allows', () => {
    const parsed = parseConfig({ process: { backtrackFrom: ['VERIFY', 'REVIEW'] } });
    assert.ok(parsed.ok);
    const cfg = parsed.value;
    const d = refused(decideBacktrack(at('PLAN', cfg), 'SPEC', 'r', cfg), ErrorCode.PHASE_SKIP);
    assert.match(String(d['message']), /process\.backtrackFrom: VERIFY, REVIEW/);
    assert.deepEqual(decideBacktrack(at('VERIFY', cfg), 'SPEC', 'r', cfg), {
      ok: true,
      value: { from: 'VERIFY', to: 'SPEC' },
    });
    assert.deepEqual(decideBacktrack(at('REVIEW', cfg), 'IMPLEMENT', 'r', cfg), {
      ok: true,
      value: { from: 'REVIEW', to: 'IMPLEMENT' },
    });
  });

  it('names the phases a backtrack makes stale', () => {
    assert.deepEqual(stalePhases(config, 'THINK', 'SPEC'), ['SPEC', 'PLAN', 'THINK']);
    assert.deepEqual(stalePhases(config, 'SPEC', 'STRATEGIZE'), ['STRATEGIZE', 'SPEC']);
  });
});

describe('checkTaskId', () => {
  it('accepts folder-safe ids and refuses the rest', () => {
    for (const id of ['T-1', 'JIRA-123', 'a', 'x.y_z-1', 'A'.repeat(64)])
      assert.deepEqual(checkTaskId(id), { ok: true, value: id });
    for (const id of ['', '.hidden', '-dash', 'a/b', 'a\\b', 'a..b', 'A'.repeat(65), 'has space', 'é']) {
      assert.equal(refused(checkTaskId(id), ErrorCode.USAGE)['argument'], 'taskId', id);
    }
  });
});

describe('task_renamed', () => {
  it('changes the title and nothing else', () => {
    const before = fold(start(), move('STRATEGIZE', 'SPEC'));
    const after = fold(start(), move('STRATEGIZE', 'SPEC'), {
      kind: 'task_renamed',
      fromPhase: 'SPEC',
      data: { title: 'Fix the login redirect only', previousTitle: 'Fix the login' },
    });
    assert.equal(after.title, 'Fix the login redirect only');
    assert.deepEqual({ ...after, title: before.title, updatedAt: before.updatedAt, lastSeq: before.lastSeq }, before);
  });

  it('keeps the title when the entry carries none', () => {
    const s = fold(start(), { kind: 'task_renamed', fromPhase: 'STRATEGIZE', data: {} });
    assert.equal(s.title, 'Fix the login');
  });
});

describe('checkTitle', () => {
  it('trims; refuses empty (when required), over-long and multi-line titles with USAGE', () => {
    assert.deepEqual(checkTitle('  A title ', true), { ok: true, value: 'A title' });
    assert.deepEqual(checkTitle('', false), { ok: true, value: '' });
    assert.equal(checkTitle('x'.repeat(200), true).ok, true);
    for (const bad of ['', '  ', 'x'.repeat(201), 'a\nb', 'tab\tin']) {
      const r = checkTitle(bad, true);
      assert.equal(r.ok, false, JSON.stringify(bad));
      if (!r.ok) assert.deepEqual([r.error.code, r.error.details], [ErrorCode.USAGE, { argument: 'title' }]);
    }
  });
});
