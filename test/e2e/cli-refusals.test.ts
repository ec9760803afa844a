/**
 * E2E: the refusals the CLI gives for bad moves and bad input, through the real
 * binary, each checked for its exit code, error code and details, and for
 * changing nothing: no evidence written, the task where it was, and (for the
 * refusals of a task) a `violation` entry in the ledger naming the code.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { P, PHASES, makeRepo, parseOne, run, sourceFile, tempDir } from './helpers.ts';

interface Finding {
  file: string;
  rule: string;
  problem: string;
  fix: string;
}
const findingsOf = (details: Record<string, unknown>) => details['findings'] as Finding[];

describe('refusals through the CLI', { concurrency: true }, () => {
  it('PHASE_SKIP: advance --to a later phase, backtrack forward, evidence or verify ahead of the phase', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    const t = { taskId: 'T-1', violation: true };

    let err = await repo.refusedUnchanged(['advance', 'T-1', '--to', 'IMPLEMENT'], 'PHASE_SKIP', 2, t);
    assert.deepEqual({ ...err.details, seq: 0 }, { from: 'STRATEGIZE', to: 'IMPLEMENT', next: 'SPEC', seq: 0 });
    assert.match(err.message, /pass SPEC, PLAN, THINK first/);

    // Phase names are case-insensitive; the refusal names the canonical one.
    err = await repo.refusedUnchanged(['advance', 'T-1', '--to', 'think'], 'PHASE_SKIP', 2, t);
    assert.equal(err.details['to'], 'THINK');

    err = await repo.refusedUnchanged(
      ['backtrack', 'T-1', '--to', 'SPEC', '--reason', 'the wrong way round'],
      'PHASE_SKIP',
      2,
      t,
    );
    assert.deepEqual(
      [err.details['from'], err.details['to'], err.details['remedy']],
      ['STRATEGIZE', 'SPEC', { forward: true }],
    );
    assert.equal(
      err.message,
      'backtrack only goes to an earlier phase than STRATEGIZE; to move forward, advance; use: autopilot advance T-1',
    );

    err = await repo.refusedUnchanged(
      ['evidence', 'add', 'T-1', 'SPEC', sourceFile('spec.md', P.SPEC)],
      'PHASE_SKIP',
      2,
      t,
    );
    assert.deepEqual([err.details['from'], err.details['to'], err.details['next']], ['STRATEGIZE', 'SPEC', 'SPEC']);

    err = await repo.refusedUnchanged(['verify', 'T-1'], 'PHASE_SKIP', 2, t);
    assert.deepEqual([err.details['from'], err.details['to']], ['STRATEGIZE', 'VERIFY']);

    // A lease on a later phase is working ahead too.
    err = await repo.refusedUnchanged(['lease', 'acquire', 'T-1', '--phase', 'plan'], 'PHASE_SKIP', 2, t);
    assert.deepEqual([err.details['from'], err.details['to']], ['STRATEGIZE', 'PLAN']);

    const task = repo.task('T-1')!;
    assert.equal(task.counts.skips, 6);
    assert.equal(task.counts.refusals, 6);
  });

  it('PHASE_SKIP: backtrack to the current phase, from a later phase', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'PLAN');
    const err = await repo.refusedUnchanged(
      ['backtrack', 'T-1', '--to', 'PLAN', '--reason', 'again'],
      'PHASE_SKIP',
      2,
      { taskId: 'T-1', violation: true },
    );
    assert.deepEqual([err.details['from'], err.details['to'], err.details['next']], ['PLAN', 'PLAN', 'THINK']);
  });

  it('PHASE_UNKNOWN: advance --to NOPE, evidence add T-1 NOPE f, backtrack --to NOPE (exit 1)', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const t = { taskId: 'T-1', violation: true };
    for (const args of [
      ['advance', 'T-1', '--to', 'NOPE'],
      ['evidence', 'add', 'T-1', 'NOPE', sourceFile('f.md', '# f\n')],
      ['backtrack', 'T-1', '--to', 'NOPE', '--reason', 'no such phase'],
    ]) {
      const err = await repo.refusedUnchanged(args, 'PHASE_UNKNOWN', 1, t);
      assert.equal(err.details['phase'], 'NOPE');
      assert.deepEqual(err.details['known'], [...PHASES]);
    }
  });

  it('TASK_UNKNOWN for every verb that names a task, task ids like ../x and a/b included (exit 1)', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    const strategy = sourceFile('strategy.md', P.STRATEGY);
    for (const [args, taskId] of [
      [['advance', 'T-9'], 'T-9'],
      [['backtrack', 'T-9', '--to', 'STRATEGIZE', '--reason', 'x'], 'T-9'],
      [['verify', 'T-9'], 'T-9'],
      [['task', 'status', 'T-9'], 'T-9'],
      [['lease', 'acquire', 'T-9'], 'T-9'],
      [['task', 'context', 'T-9'], 'T-9'],
      [['evidence', 'check', 'T-9'], 'T-9'],
      [['guard', 'T-9', '--tool', 'Read'], 'T-9'],
      [['advance', '../x'], '../x'],
      [['evidence', 'add', 'a/b', 'STRATEGIZE', strategy], 'a/b'],
      [['evidence', 'add', '../T-1', 'STRATEGIZE', strategy], '../T-1'],
    ] as const) {
      const err = await repo.refusedUnchanged(args, 'TASK_UNKNOWN', 1, { violation: false });
      assert.deepEqual(err.details, { taskId });
      // The engine's message names no command; the command line adds its own next step.
      assert.equal(
        err.message,
        args[0] === 'advance'
          ? `no task ${taskId}; start it with: autopilot task start ${taskId}, or list tasks with: autopilot task list`
          : `no task ${taskId}; list tasks with: autopilot task list`,
      );
    }
    // Nothing appeared next to or above the task folders: only T-1's own, with the contract it adopted at its start.
    assert.deepEqual(readdirSync(repo.evidenceDir), ['T-1']);
    assert.deepEqual(readdirSync(join(repo.evidenceDir, 'T-1')), ['contract.yaml']);
    assert.equal(existsSync(join(repo.stateDir, 'x')), false);
  });

  it('USAGE: task start with an id that is not a plain name (exit 1), nothing created', async () => {
    const repo = await makeRepo();
    for (const id of ['../x', 'a/b', '.hidden']) {
      const err = await repo.refusedUnchanged(['task', 'start', id], 'USAGE', 1, { violation: false });
      assert.equal(err.details['argument'], 'taskId');
    }
    assert.equal(repo.ledger().length, 0);
  });

  it('TASK_EXISTS: starting a task twice (exit 2)', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const err = await repo.refusedUnchanged(['task', 'start', 'T-1', '--title', 'again'], 'TASK_EXISTS', 2, {
      taskId: 'T-1',
      violation: false,
    });
    assert.deepEqual(err.details, { taskId: 'T-1', phase: 'SPEC' });
  });

  it('EVIDENCE_MISSING: advance with nothing written; evidence check says the same without recording', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    let err = await repo.refusedUnchanged(['advance', 'T-1'], 'EVIDENCE_MISSING', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.equal(err.details['phase'], 'STRATEGIZE');
    assert.deepEqual(
      findingsOf(err.details).map((f) => [f.file, f.rule]),
      [['evidence/T-1/strategize/strategy.md', 'missing']],
    );
    err = await repo.refusedUnchanged(['evidence', 'check', 'T-1'], 'EVIDENCE_MISSING', 2, {
      taskId: 'T-1',
      violation: false,
    });
    assert.equal(findingsOf(err.details)[0]?.rule, 'missing');
  });

  it('EVIDENCE_INVALID: a hollow strategy.md is stored with findings, and advance refuses it', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    const added = await repo.ok<{ path: string; findings: Finding[] }>([
      'evidence',
      'add',
      'T-1',
      'STRATEGIZE',
      sourceFile('strategy.md', P.HOLLOW_STRATEGY),
    ]);
    assert.equal(added.path, 'evidence/T-1/strategize/strategy.md');
    assert.equal(added.findings.length, 6);
    const err = await repo.refusedUnchanged(['advance', 'T-1'], 'EVIDENCE_INVALID', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.equal(err.details['phase'], 'STRATEGIZE');
    const findings = findingsOf(err.details);
    assert.deepEqual(
      findings.map((f) => f.problem.match(/"([^"]+)"/)?.[1]),
      ['Problem', 'Objectives', 'Scope', 'Non-goals', 'Risks', 'Strategy'],
    );
    for (const f of findings) assert.equal(f.file, 'evidence/T-1/strategize/strategy.md');
  });

  it('EVIDENCE_INVALID: a file_map.json that does not meet its schema, or is no JSON', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'PLAN');
    await repo.put('T-1', 'PLAN', 'plan.md', P.PLAN);
    await repo.put('T-1', 'PLAN', 'file_map.json', '{"files": [');
    let err = await repo.refusedUnchanged(['advance', 'T-1'], 'EVIDENCE_INVALID', 2, {
      taskId: 'T-1',
      violation: true,
    });
    let findings = findingsOf(err.details);
    assert.deepEqual(
      findings.map((f) => [f.file, f.rule]),
      [['evidence/T-1/plan/file_map.json', 'json-parse']],
    );

    const bad = JSON.stringify({ files: [{ path: 'src/count.js', change: 'rewrite' }] });
    const added = await repo.ok<{ findings: Finding[] }>([
      'evidence',
      'add',
      'T-1',
      'PLAN',
      sourceFile('map.json', bad),
      '--as',
      'file_map.json',
    ]);
    assert.ok(added.findings.length > 0);
    err = await repo.refusedUnchanged(['advance', 'T-1'], 'EVIDENCE_INVALID', 2, { taskId: 'T-1', violation: true });
    // The map's path names no file yet and is not marked as added, so the citation check names it too.
    findings = findingsOf(err.details).filter((f) => f.rule !== 'grounding');
    assert.ok(findings.length > 0);
    for (const f of findings) assert.deepEqual([f.file, f.rule], ['evidence/T-1/plan/file_map.json', 'json-schema']);
  });

  it("EVIDENCE_PROTECTED: adding Autopilot's own artifacts, or to a phase already passed", async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'IMPLEMENT');
    const t = { taskId: 'T-1', violation: true };
    for (const name of ['git_diff.patch', 'modified_files.json']) {
      const err = await repo.refusedUnchanged(
        ['evidence', 'add', 'T-1', 'IMPLEMENT', sourceFile('x', 'diff --git a/x b/x\n'), '--as', name],
        'EVIDENCE_PROTECTED',
        2,
        t,
      );
      assert.deepEqual(
        { ...err.details, seq: 0 },
        { taskId: 'T-1', phase: 'IMPLEMENT', name, producer: 'autopilot', seq: 0 },
      );
      assert.match(err.message, /Autopilot writes it when the task advances$/);
    }
    const err = await repo.refusedUnchanged(
      ['evidence', 'add', 'T-1', 'think', sourceFile('edge_cases.md', P.EDGE_CASES)],
      'EVIDENCE_PROTECTED',
      2,
      t,
    );
    assert.deepEqual(
      { ...err.details, seq: 0 },
      {
        taskId: 'T-1',
        phase: 'THINK',
        name: 'edge_cases.md',
        producer: 'sealed',
        remedy: { backtrackTo: 'THINK' },
        seq: 0,
      },
    );
    // The engine says what is wrong; the command line adds the command that fixes it.
    assert.equal(
      err.message,
      'THINK is already passed and its evidence is sealed; to change it, backtrack to THINK; go back with: autopilot backtrack T-1 --to THINK --reason "…"',
    );
    assert.equal(existsSync(join(repo.phaseDir('T-1', 'IMPLEMENT'), 'git_diff.patch')), false);
  });

  it('PATH_OUTSIDE_EVIDENCE: --as ../x.md and --as a/b.md', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    const src = sourceFile('strategy.md', P.STRATEGY);
    for (const name of ['../x.md', 'a/b.md', '../../../../x.md']) {
      const err = await repo.refusedUnchanged(
        ['evidence', 'add', 'T-1', 'STRATEGIZE', src, '--as', name],
        'PATH_OUTSIDE_EVIDENCE',
        2,
        { taskId: 'T-1', violation: true },
      );
      assert.deepEqual({ ...err.details, seq: 0 }, { name, reason: 'path', seq: 0 });
    }
    assert.equal(existsSync(join(repo.evidenceDir, 'T-1', 'x.md')), false);
    assert.equal(existsSync(repo.path('x.md')), false);
  });

  it('PATH_OUTSIDE_EVIDENCE: a source FILE that is a symlink is not followed', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    const target = sourceFile('strategy.md', P.STRATEGY);
    const link = join(tempDir('links'), 'strategy.md');
    symlinkSync(target, link);
    const err = await repo.refusedUnchanged(
      ['evidence', 'add', 'T-1', 'STRATEGIZE', link],
      'PATH_OUTSIDE_EVIDENCE',
      2,
      { taskId: 'T-1', violation: true },
    );
    assert.deepEqual([err.details['name'], err.details['reason']], [link, 'symlink']);
  });

  it('PATH_OUTSIDE_EVIDENCE: a symlinked phase or task folder inside .autopilot/evidence is never written through', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const outside = tempDir('outside');
    // The phase folder is a symlink to a folder outside the repository.
    symlinkSync(outside, repo.phaseDir('T-1', 'SPEC'));
    const spec = sourceFile('spec.md', P.SPEC);
    let err = await repo.refusedUnchanged(['evidence', 'add', 'T-1', 'SPEC', spec], 'PATH_OUTSIDE_EVIDENCE', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.equal(err.details['reason'], 'symlink');
    assert.equal(err.details['name'], repo.phaseDir('T-1', 'SPEC'));
    assert.deepEqual(readdirSync(outside), []);
    // The gate does not read through it either.
    err = await repo.refusedUnchanged(['advance', 'T-1'], 'EVIDENCE_INVALID', 2, { taskId: 'T-1', violation: true });
    assert.equal(findingsOf(err.details)[0]?.rule, 'symlink');

    // The task folder is a symlink (to a copy of itself elsewhere).
    const moved = join(tempDir('outside'), 'T-1');
    renameSync(join(repo.evidenceDir, 'T-1'), moved);
    symlinkSync(moved, join(repo.evidenceDir, 'T-1'));
    const before = readdirSync(moved).sort();
    err = await repo.refusedUnchanged(['evidence', 'add', 'T-1', 'SPEC', spec], 'PATH_OUTSIDE_EVIDENCE', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.equal(err.details['name'], join(repo.evidenceDir, 'T-1'));
    assert.deepEqual(readdirSync(moved).sort(), before);
  });

  it('bad source files: missing or a folder (USAGE, exit 1, nothing recorded)', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    const dir = tempDir('a-folder');
    for (const file of [join(dir, 'nope.md'), dir]) {
      const err = await repo.refusedUnchanged(
        ['evidence', 'add', 'T-1', 'STRATEGIZE', file, '--as', 'strategy.md'],
        'USAGE',
        1,
        { taskId: 'T-1', violation: false },
      );
      assert.deepEqual(err.details, { argument: 'file' });
    }
  });

  it('bad source files: binary (NUL bytes) or invalid UTF-8 are refused, not stored (EVIDENCE_INVALID)', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    const cases = [
      ['binary', Buffer.concat([Buffer.from('# Problem\n'), Buffer.from([0, 1, 2, 0])])],
      ['utf8', Buffer.concat([Buffer.from('# Problem\nna'), Buffer.from([0xff, 0xfe]), Buffer.from('ve\n')])],
    ] as const;
    for (const [rule, bytes] of cases) {
      const err = await repo.refusedUnchanged(
        ['evidence', 'add', 'T-1', 'STRATEGIZE', sourceFile('strategy.md', bytes)],
        'EVIDENCE_INVALID',
        2,
        { taskId: 'T-1', violation: true },
      );
      assert.equal(err.details['phase'], 'STRATEGIZE');
      assert.deepEqual(
        findingsOf(err.details).map((f) => [f.file, f.rule]),
        [['evidence/T-1/strategize/strategy.md', rule]],
      );
    }
    assert.equal(existsSync(repo.phaseDir('T-1', 'STRATEGIZE')), false);
  });

  it('bad source files: over limits.maxEvidenceBytes (EVIDENCE_INVALID, exit 2)', async () => {
    const repo = await makeRepo({
      config: (c) => void (c['limits'] = { maxEvidenceBytes: 2048, maxLogBytes: 1 << 20 }),
    });
    await repo.driveTo('T-1', 'STRATEGIZE');
    const big = sourceFile('strategy.md', `${P.STRATEGY}\n${'More words of strategy. '.repeat(200)}`);
    const err = await repo.refusedUnchanged(['evidence', 'add', 'T-1', 'STRATEGIZE', big], 'EVIDENCE_INVALID', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.deepEqual(
      findingsOf(err.details).map((f) => f.rule),
      ['size'],
    );
    assert.match(err.message, /2048-byte/);
    // Under the limit, the same content goes in.
    const small = sourceFile('strategy.md', P.STRATEGY);
    assert.ok(P.STRATEGY.length < 2048);
    await repo.ok(['evidence', 'add', 'T-1', 'STRATEGIZE', small]);
  });

  it('CONFIG_INVALID: corrupt YAML, an unknown key, a wrong type; named, exit 1, nothing recorded', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const cases: [string, (c: Record<string, unknown>) => void, string][] = [
      ['bogus', (c) => void (c['bogus'] = 1), 'bogus'],
      [
        'commands.tset',
        (c) => void ((c['commands'] as Record<string, unknown>)['tset'] = { run: ['x'] }),
        'commands.tset',
      ],
      ['limits.maxEvidenceBytes', (c) => void (c['limits'] = { maxEvidenceBytes: 'big' }), 'limits.maxEvidenceBytes'],
    ];
    for (const [what, edit, key] of cases) {
      const copy = await makeRepo({ config: edit });
      const err = await copy.refusedUnchanged(['advance', 'T-1'], 'CONFIG_INVALID', 1, { violation: false });
      assert.equal(err.details['key'], key, what);
      assert.equal(err.details['file'], copy.configFile);
      assert.match(err.message, new RegExp(`config key ${key.replace('.', '\\.')}`));
    }
    repo.write('.autopilot/config.yaml', 'version: 1\nphases: [STRATEGIZE, SPEC\nleases: {mode: off}\n');
    const err = await repo.refusedUnchanged(['advance', 'T-1'], 'CONFIG_INVALID', 1, {
      taskId: 'T-1',
      violation: false,
    });
    assert.equal(err.details['key'], '(yaml)');
    assert.equal(typeof err.details['line'], 'number');
    assert.match(err.message, /YAML syntax error/);
  });

  it('USAGE: a missing required option, a bad --token, a bad --format, an unknown command, a group without its verb (exit 1, one JSON object)', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const cases: [string[], string][] = [
      [['backtrack', 'T-1', '--to', 'STRATEGIZE'], 'commander.missingMandatoryOptionValue'],
      [['advance', 'T-1', '--token', 'abc'], 'token'],
      [['ledger', 'export', '--format', 'xml'], 'format'],
      [['advance', 'T-1', '--bogus'], 'commander.unknownOption'],
      [['frobnicate'], 'commander.unknownCommand'],
      [['task'], 'command'],
      [['ledger', '--json'], 'command'],
    ];
    for (const [args, argument] of cases) {
      const err = await repo.refusedUnchanged(args, 'USAGE', 1, { taskId: 'T-1', violation: false });
      assert.equal(err.details['argument'], argument, args.join(' '));
    }
    // A group named without a verb says which verbs it has.
    const group = await repo.refused(['ledger'], 'USAGE', 1);
    assert.deepEqual(group.details['commands'], ['verify', 'show', 'export']);
    assert.match(group.message, /autopilot ledger --help/);
    // A backtrack with an empty reason is refused by the process and recorded.
    const err = await repo.refusedUnchanged(['backtrack', 'T-1', '--to', 'STRATEGIZE', '--reason', '  '], 'USAGE', 1, {
      taskId: 'T-1',
      violation: true,
    });
    assert.equal(err.details['argument'], 'reason');
  });

  it('USAGE: init outside a git repository writes nothing', async () => {
    const dir = tempDir('not-git');
    mkdirSync(join(dir, 'sub'));
    for (const args of [
      ['--json', '-C', dir, 'init'],
      ['--json', 'init'],
    ]) {
      const r = await run(args, { cwd: join(dir, 'sub') });
      const body = parseOne<{ ok: boolean; error: { code: string; details: Record<string, unknown> } }>(r);
      assert.equal(r.code, 1);
      assert.equal(body.error.code, 'USAGE');
      assert.equal(body.error.details['argument'], 'cwd');
    }
    assert.deepEqual(readdirSync(dir), ['sub']);
    assert.deepEqual(readdirSync(join(dir, 'sub')), []);
  });
});
