/**
 * Unit: the decision journal hooked at the store's commit, the context fabric
 * of a transition, and the `tasks_rejected_for_process_violation` counter that
 * `append` emits for aborts and a person's rejections.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EntryDraft } from '../../src/core/ledger.ts';
import type { TaskState } from '../../src/core/task.ts';
import { MemoryStore } from '../../src/adapters/memory/index.ts';
import { append } from '../../src/engine/ledger/record.ts';
import { journaled, journalLine } from '../../src/engine/ledger/journal.ts';
import { decideSoft, registerSoft } from '../helpers/passkey.ts';
import { countersOf } from '../../src/engine/telemetry/metrics.ts';
import { contextHash, phaseContext } from '../../src/engine/task/phase-context.ts';
import { DEFAULT_PHASES } from '../../src/core/phases.ts';
import { entrySpanId, type AutopilotEvent } from '../../src/ports/events.ts';
import type { Engine } from '../../src/engine/context.ts';
import { draft, makeSigner, tempDir, testEngine } from '../helpers/ledger.ts';

const signer = makeSigner();
const sha = (c: string) => c.repeat(64);

function engineIn(dir: string): { e: Engine; events: AutopilotEvent[] } {
  const events: AutopilotEvent[] = [];
  const base = testEngine(journaled(new MemoryStore(), join(dir, '.autopilot', 'journal')), signer, undefined, dir);
  return { e: { ...base, sink: { emit: (ev) => void events.push(ev), flush: async () => {} } }, events };
}

const put = (engine: Engine, ...drafts: Partial<EntryDraft>[]) =>
  engine.store.transact(async (tx) => {
    const out = [];
    for (const d of drafts) out.push(await append(engine, tx, draft(d)));
    return out;
  });

function journal(dir: string, taskId = 'T-1'): string[] {
  return readFileSync(join(dir, '.autopilot', 'journal', `${taskId}.md`), 'utf8').split('\n');
}

describe('the decision journal', () => {
  it('writes one line per decision once it is committed, with reason, evidence links, ledger entry and span', async () => {
    const t = tempDir('autopilot-journal-');
    try {
      const { e } = engineIn(t.dir);
      const hostile = 'the test fails [click](http://evil.example) <img src=x> `rm -rf` | *bold*\nsecond line';
      const entries = await put(
        e,
        { kind: 'task_started', toPhase: 'STRATEGIZE', data: { title: 'Add wordCount' } },
        {
          kind: 'evidence',
          fromPhase: 'STRATEGIZE',
          artifacts: [{ path: 'evidence/T-1/strategize/strategy.md', sha256: sha('a'), producer: 'agent' }],
        },
        {
          kind: 'violation',
          fromPhase: 'STRATEGIZE',
          toPhase: 'IMPLEMENT',
          data: { action: 'advance', code: 'PHASE_SKIP', message: 'cannot skip from STRATEGIZE to IMPLEMENT' },
        },
        {
          kind: 'transition',
          fromPhase: 'STRATEGIZE',
          toPhase: 'SPEC',
          artifacts: [{ path: 'evidence/T-1/strategize/strategy.md', sha256: sha('a'), producer: 'agent' }],
          data: { summary: 'strategy agreed', context: { hash: sha('c') } },
        },
        {
          kind: 'tool_blocked',
          fromPhase: 'SPEC',
          data: { decision: 'deny', tool: 'Edit', reason: 'SPEC does not allow write:source' },
        },
        {
          kind: 'prompt_drift',
          fromPhase: 'SPEC',
          toPhase: 'PLAN',
          data: { action: 'drift', baseline: '1', changes: [{ input: 'file:AGENTS.md', change: 'modified' }] },
        },
        {
          kind: 'attestation',
          fromPhase: 'SPEC',
          toPhase: 'PLAN',
          data: { action: 'drift', baseline: '1', changes: [{ input: 'file:CLAUDE.md', change: 'added' }] },
        },
        {
          kind: 'backtrack',
          fromPhase: 'SPEC',
          toPhase: 'STRATEGIZE',
          artifacts: [{ path: 'evidence/T-1/.stale/1/strategize/strategy.md', sha256: sha('a'), producer: 'agent' }],
          data: { reason: hostile },
        },
        {
          kind: 'approval',
          fromPhase: 'STRATEGIZE',
          toPhase: 'PR',
          data: { action: 'requested', by: 'policy', reasons: ['src/auth/ is a risky path', '600 changed lines'] },
        },
        {
          kind: 'approval',
          fromPhase: 'STRATEGIZE',
          actor: 'cli:alice',
          data: {
            action: 'changes_requested',
            by: 'cli:alice',
            reason: 'skipped the threat model',
            backtrackTo: 'THINK',
          },
        },
        { kind: 'lease', fromPhase: 'STRATEGIZE', data: { op: 'acquire' } },
        { kind: 'task_aborted', fromPhase: 'STRATEGIZE', data: { reason: 'superseded by T-2' } },
      );
      const lines = journal(t.dir);
      assert.equal(lines[0], '# Decision journal: T-1');
      const decisions = lines.filter((l) => l.startsWith('- '));
      const bySeq = new Map(entries.map((x) => [x.seq, x]));
      assert.deepEqual(
        decisions.map((l) => Number(/ · #(\d+) /.exec(l)?.[1])),
        entries.filter((x) => x.kind !== 'evidence' && x.kind !== 'lease').map((x) => x.seq),
        'every decision, in ledger order; evidence and lease entries are not decisions',
      );
      for (const l of decisions) {
        const seq = Number(/ · #(\d+) /.exec(l)?.[1]);
        const entry = bySeq.get(seq)!;
        assert.ok(l.startsWith(`- ${entry.ts} · #${seq} \`${entry.hash.slice(0, 12)}\``), l);
        const withSpan = ['task_started', 'transition', 'backtrack', 'violation', 'tool_blocked'].includes(entry.kind);
        assert.equal(
          l.includes(`span \`${entrySpanId('T-1', seq)}\``),
          withSpan,
          `${entry.kind}: span id ${withSpan ? 'named' : 'absent'}`,
        );
      }
      const line = (kind: string) =>
        decisions[
          entries.filter((x) => x.kind !== 'evidence' && x.kind !== 'lease').findIndex((x) => x.kind === kind)
        ]!;
      assert.match(line('task_started'), /\*\*started\*\* in STRATEGIZE — Add wordCount/);
      assert.match(line('violation'), /\*\*refused\*\* PHASE_SKIP \(advance in STRATEGIZE → IMPLEMENT\) — cannot skip/);
      assert.match(line('transition'), /\*\*moved\*\* STRATEGIZE → SPEC — strategy agreed · context `cccccccccccc`/);
      assert.match(line('transition'), /evidence: \[strategy\.md\]\(\.\.\/evidence\/T-1\/strategize\/strategy\.md\)$/);
      assert.match(line('tool_blocked'), /\*\*tool denied\*\* Edit in SPEC — SPEC does not allow write:source/);
      assert.match(line('prompt_drift'), /\*\*drift\*\* .* on SPEC → PLAN — file:AGENTS\.md modified/);
      assert.match(
        line('attestation'),
        /\*\*drift\*\* .* on SPEC → PLAN — file:CLAUDE\.md added/,
        'a drift warning of an older ledger',
      );
      assert.match(line('backtrack'), /\*\*backtracked\*\* SPEC ↩ STRATEGIZE — /);
      assert.match(line('backtrack'), /\[strategy\.md\]\(\.\.\/evidence\/T-1\/\.stale\/1\/strategize\/strategy\.md\)/);
      const approvals = decisions.filter(
        (l) => l.includes('**approval requested**') || l.includes('**changes requested**'),
      );
      assert.match(
        approvals[0]!,
        /\*\*approval requested\*\* for PR by policy — src\/auth\/ is a risky path; 600 changed lines/,
      );
      assert.match(
        approvals[1]!,
        /\*\*changes requested\*\* \(back to THINK\) by cli:alice — skipped the threat model/,
      );
      assert.match(line('task_aborted'), /\*\*aborted\*\* in STRATEGIZE — superseded by T-2/);

      const reason = line('backtrack');
      assert.ok(!reason.includes('[click](http'), 'an agent cannot plant a link');
      assert.doesNotMatch(reason, /(^|[^\\])<img/, 'nor HTML');
      assert.ok(
        reason.includes('\\[click\\]') &&
          reason.includes('\\<img') &&
          reason.includes('\\`rm -rf\\`') &&
          reason.includes('\\|') &&
          reason.includes('\\*bold\\*'),
        reason,
      );
      assert.ok(reason.includes('second line'), 'a newline in a reason stays on the line');
      assert.equal(lines.filter((l) => l.startsWith('# ')).length, 1, 'one heading');
    } finally {
      t.remove();
    }
  });

  it('writes nothing for a transaction that rolls back', async () => {
    const t = tempDir('autopilot-journal-');
    try {
      const { e } = engineIn(t.dir);
      await put(e, { kind: 'task_started', toPhase: 'STRATEGIZE' });
      await assert.rejects(
        e.store.transact(async (tx) => {
          await append(e, tx, draft({ kind: 'transition', fromPhase: 'STRATEGIZE', toPhase: 'SPEC' }));
          throw new Error('the move failed half-way');
        }),
        /half-way/,
      );
      assert.equal((await e.store.entries()).length, 1, 'the store rolled back');
      assert.deepEqual(
        journal(t.dir)
          .filter((l) => l.startsWith('- '))
          .map((l) => /\*\*(\w+)\*\*/.exec(l)?.[1]),
        ['started'],
        'the journal holds only what the ledger holds',
      );
      assert.ok(!existsSync(join(t.dir, '.autopilot', 'journal', 'T-2.md')));
    } finally {
      t.remove();
    }
  });

  it('counts a task a person aborts once, as the approval flow emits it and as metrics reconstruct it; requested changes do not count', async () => {
    const t = tempDir('autopilot-journal-');
    try {
      const { e, events } = engineIn(t.dir);
      await put(
        e,
        { kind: 'task_started', toPhase: 'STRATEGIZE' },
        { kind: 'transition', fromPhase: 'STRATEGIZE', toPhase: 'SPEC' },
      );
      // A decision signs the digest of the task's diff: the folder is a git work tree.
      execFileSync('git', ['init', '-q'], { cwd: t.dir });
      const key = await registerSoft(e, 'alice');
      const changes = await decideSoft(e, key, {
        taskId: 'T-1',
        decision: 'request_changes',
        note: 'write the threat model',
        backtrackTo: 'STRATEGIZE',
      });
      assert.ok(changes.ok, changes.ok ? '' : changes.error.message);
      const aborted = await decideSoft(e, key, { taskId: 'T-1', decision: 'abort', note: 'the evidence was made up' });
      assert.ok(aborted.ok, aborted.ok ? '' : aborted.error.message);
      const emitted = events.filter(
        (ev) => ev.type === 'counter' && ev.name === 'tasks_rejected_for_process_violation',
      );
      assert.deepEqual(
        emitted.map((ev) => (ev.type === 'counter' ? [ev.value, ev.attributes] : null)),
        [[1, { phase: 'STRATEGIZE' }]],
        'once: append itself does not count it again',
      );
      const { breakdown } = countersOf(await e.store.entries());
      // The request for changes sent the task back (a backtrack, counted as one); only the abort is a rejection.
      assert.deepEqual(breakdown, [
        { name: 'phase_backtracks', attributes: { from: 'SPEC', to: 'STRATEGIZE' }, value: 1 },
        { name: 'tasks_rejected_for_process_violation', attributes: { phase: 'STRATEGIZE' }, value: 1 },
      ]);
      assert.equal((await e.store.getTask('T-1'))?.status, 'aborted');
      assert.match(
        journal(t.dir)
          .filter((l) => l.startsWith('- '))
          .at(-1)!,
        /\*\*aborted\*\* in STRATEGIZE — the evidence was made up · by person:alice$/,
      );
    } finally {
      t.remove();
    }
  });

  it('has no line for entries that are not decisions', () => {
    const [evidence] = [
      { ...draft({ kind: 'evidence' }), seq: 1, prevHash: '', ts: '', keyId: '', hash: sha('a'), signature: '' },
    ];
    assert.equal(journalLine(evidence!), null);
  });
});

describe('the context fabric', () => {
  const art = (path: string, c: string, seq = 1) => ({ path, sha256: sha(c), producer: 'agent' as const, seq });
  const state = (phase: string, artifacts: ReturnType<typeof art>[]): TaskState => ({
    taskId: 'T-1',
    title: '',
    status: 'active',
    phase,
    baseCommit: null,
    startedAt: '',
    updatedAt: '',
    phaseEnteredAt: '',
    phaseEpoch: 1,
    lastSeq: 1,
    visits: {},
    artifacts: Object.fromEntries(artifacts.map((a) => [a.path, a])),
    counts: { refusals: 0, backtracks: 0, skips: 0 },
  });

  it('builds on the live artifacts of earlier phases, not the current one nor those moved aside, and digests the three parts', () => {
    const s = state('PLAN', [
      art('evidence/T-1/spec/spec.md', 'b'),
      art('evidence/T-1/strategize/strategy.md', 'a'),
      art('evidence/T-1/plan/plan.md', 'c'),
      art('evidence/T-1/.stale/1/strategize/strategy.md', 'd'),
    ]);
    const outputs = [
      { path: 'evidence/T-1/plan/plan.md', sha256: sha('c'), producer: 'agent' as const },
      { path: 'evidence/T-1/plan/file_map.json', sha256: sha('e'), producer: 'agent' as const },
    ];
    const c = phaseContext(DEFAULT_PHASES, s, outputs, 'plan agreed with the team');
    assert.deepEqual(c.inputs, [
      { path: 'evidence/T-1/spec/spec.md', sha256: sha('b') },
      { path: 'evidence/T-1/strategize/strategy.md', sha256: sha('a') },
    ]);
    assert.deepEqual(c.outputs, [
      { path: 'evidence/T-1/plan/file_map.json', sha256: sha('e') },
      { path: 'evidence/T-1/plan/plan.md', sha256: sha('c') },
    ]);
    assert.equal(c.summary, 'plan agreed with the team');
    assert.match(c.hash, /^[0-9a-f]{64}$/);
    assert.equal(contextHash(c), c.hash);
    assert.notEqual(contextHash({ ...c, summary: 'something else' }), c.hash, 'the summary is covered');
    assert.notEqual(contextHash({ ...c, inputs: c.inputs.slice(1) }), c.hash, 'the inputs are covered');
    assert.equal(
      phaseContext(DEFAULT_PHASES, s, [...outputs].reverse(), 'plan agreed with the team').hash,
      c.hash,
      'order does not matter',
    );
    assert.equal(phaseContext(DEFAULT_PHASES, state('STRATEGIZE', []), [], '  ').summary, null);
  });
});
