/**
 * E2E: a task through all nine phases with the CLI only (a backtrack from
 * VERIFY to IMPLEMENT on the way), the ledger verified and exported (JSONL and
 * in-toto/DSSE, signatures checked), the finished task sealed; and, alongside,
 * the integrity and lease refusals: a failing test, Autopilot's evidence edited,
 * evidence or ledger rows tampered with, two holders, a stale token, explicit leases.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import canonicalize from 'canonicalize';
import { P, git, makeRepo, parseLines, sourceFile, tempDir, type LedgerRow, type Repo } from './helpers.ts';

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

interface Artifact {
  path: string;
  sha256: string;
  producer: string;
}
interface Task {
  taskId: string;
  status: string;
  phase: string;
  baseCommit: string;
  visits: Record<string, number>;
  counts: { refusals: number; backtracks: number; skips: number };
}
interface Moved {
  task: Task;
  from: string;
  to: string | null;
  seq: number;
  artifacts: Artifact[];
}
type Entry = LedgerRow;

/** Files that differ between two snapshots. */
function changedFiles(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

/** Checks an entry the way an outside verifier would: its hash over the canonical JSON, its ed25519 signature. */
function checkEntry(entry: Entry, publicKeyPem: string): void {
  const { seq, prevHash, ts, taskId, kind, fromPhase, toPhase, actor, artifacts, data, keyId } = entry;
  const hash = sha256(
    canonicalize({ seq, prevHash, ts, taskId, kind, fromPhase, toPhase, actor, artifacts, data, keyId }) ?? '',
  );
  assert.equal(entry.hash, hash, `hash of entry ${seq}`);
  assert.ok(
    verify(null, Buffer.from(entry.hash, 'hex'), createPublicKey(publicKeyPem), Buffer.from(entry.signature, 'base64')),
    `signature of entry ${seq}`,
  );
}

describe('the whole process through the CLI', { concurrency: true }, () => {
  it('one task through all nine phases with a backtrack from VERIFY to IMPLEMENT; the ledger verifies and exports', async (t) => {
    const repo = await makeRepo({ urgent: true });
    const add = async (phase: string, name: string, content: string) => {
      const body = await repo.ok<{ path: string; sha256: string; seq: number; findings: unknown[] }>([
        'evidence',
        'add',
        'T-1',
        phase,
        sourceFile(name, content),
      ]);
      assert.equal(body.path, `evidence/T-1/${phase.toLowerCase()}/${name}`);
      assert.equal(body.sha256, sha256(content));
      assert.deepEqual(body.findings, []);
      assert.equal(readFileSync(join(repo.stateDir, body.path), 'utf8'), content);
      return body;
    };
    const advance = async (from: string, to: string | null) => {
      const body = await repo.ok<Moved>(['advance', 'T-1']);
      assert.deepEqual([body.from, body.to], [from, to]);
      assert.equal(body.task.phase, to ?? from);
      assert.equal(body.task.status, to ? 'active' : 'done');
      return body;
    };

    await t.test('start, then STRATEGIZE → SPEC → PLAN → THINK → IMPLEMENT', async () => {
      const started = await repo.ok<{ task: Task; seq: number }>(['task', 'start', 'T-1', '--title', 'Add wordCount']);
      assert.equal(started.task.phase, 'STRATEGIZE');
      assert.equal(started.task.status, 'active');
      assert.equal(started.task.baseCommit, git(repo.dir, ['rev-parse', 'HEAD']).trim());
      await add('STRATEGIZE', 'strategy.md', P.STRATEGY);
      const moved = await advance('STRATEGIZE', 'SPEC');
      assert.deepEqual(moved.artifacts, [
        { path: 'evidence/T-1/strategize/strategy.md', sha256: sha256(P.STRATEGY), producer: 'agent' },
      ]);
      await add('spec', 'spec.md', P.SPEC);
      await advance('SPEC', 'PLAN');
      await Promise.all([add('PLAN', 'plan.md', P.PLAN), add('PLAN', 'file_map.json', P.FILE_MAP)]);
      await advance('PLAN', 'THINK');
      await add('THINK', 'edge_cases.md', P.EDGE_CASES);
      await advance('THINK', 'IMPLEMENT');
    });

    let firstDiff = '';
    await t.test('IMPLEMENT → VERIFY: Autopilot takes the diff from git; the tests fail', async () => {
      repo.write('src/count.js', P.COUNT_BUGGY);
      repo.write('test/count.test.js', P.COUNT_TEST);
      const moved = await advance('IMPLEMENT', 'VERIFY');
      assert.deepEqual(
        moved.artifacts.map((a) => [a.path, a.producer]),
        [
          ['evidence/T-1/implement/git_diff.patch', 'autopilot'],
          ['evidence/T-1/implement/modified_files.json', 'autopilot'],
        ],
      );
      firstDiff = readFileSync(join(repo.phaseDir('T-1', 'IMPLEMENT'), 'git_diff.patch'), 'utf8');
      assert.match(firstDiff, /^\+\s+return text\.split/m);
      const modified = JSON.parse(
        readFileSync(join(repo.phaseDir('T-1', 'IMPLEMENT'), 'modified_files.json'), 'utf8'),
      ) as {
        files: { path: string; inFileMap: boolean }[];
        outsideFileMap: string[];
      };
      assert.deepEqual(
        modified.files.map((f) => [f.path, f.inFileMap]),
        [
          ['src/count.js', true],
          ['test/count.test.js', true],
        ],
      );
      assert.deepEqual(modified.outsideFileMap, []);

      const err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
      assert.ok((err.details['findings'] as string[]).some((f) => /tests failed/.test(f)));
      assert.deepEqual(
        (err.details['commands'] as { name: string }[]).map((c) => c.name),
        ['build', 'test'],
      );
      assert.equal(repo.task('T-1')?.phase, 'VERIFY');
    });

    await t.test(
      'backtrack to IMPLEMENT: the stale evidence is kept under .stale/1, and the phases must be passed again',
      async () => {
        const back = await repo.ok<{ from: string; to: string; archived: { from: string; to: string }[]; task: Task }>([
          'backtrack',
          'T-1',
          '--to',
          'implement',
          '--reason',
          'wordCount counts an empty word for leading white space',
        ]);
        assert.deepEqual([back.from, back.to, back.task.phase], ['VERIFY', 'IMPLEMENT', 'IMPLEMENT']);
        assert.equal(back.task.counts.backtracks, 1);
        const stale = [
          'implement/git_diff.patch',
          'implement/modified_files.json',
          'verify/build_output.log',
          'verify/coverage_report.json',
          'verify/impact.json',
          'verify/mutation_report.json',
          'verify/secrets_scan.json',
          'verify/test_inventory.json',
          'verify/test_results.json',
          'verify/verify_run.json',
        ];
        assert.deepEqual(
          back.archived,
          stale.map((f) => ({ from: `evidence/T-1/${f}`, to: `evidence/T-1/.stale/1/${f}` })),
        );
        for (const f of stale) assert.ok(existsSync(join(repo.evidenceDir, 'T-1', '.stale', '1', f)), f);
        assert.equal(
          readFileSync(join(repo.evidenceDir, 'T-1', '.stale', '1', 'implement', 'git_diff.patch'), 'utf8'),
          firstDiff,
        );
        assert.equal(existsSync(repo.phaseDir('T-1', 'IMPLEMENT')), false);
        assert.equal(existsSync(repo.phaseDir('T-1', 'VERIFY')), false);
        const entry = repo.ledger('T-1').find((e) => e.kind === 'backtrack')!;
        assert.deepEqual(
          entry.artifacts.map((a) => a.path),
          stale.map((f) => `evidence/T-1/.stale/1/${f}`),
        );

        const err = await repo.refused(['advance', 'T-1', '--to', 'REVIEW'], 'PHASE_SKIP', 2);
        assert.deepEqual([err.details['from'], err.details['next']], ['IMPLEMENT', 'VERIFY']);
      },
    );

    await t.test('IMPLEMENT → VERIFY → REVIEW → PR → MONITOR → done, with the fix', async () => {
      repo.write('src/count.js', P.COUNT_FIXED);
      await advance('IMPLEMENT', 'VERIFY');
      assert.notEqual(readFileSync(join(repo.phaseDir('T-1', 'IMPLEMENT'), 'git_diff.patch'), 'utf8'), firstDiff);
      const verified = await repo.ok<{
        passed: boolean;
        tests: { total: number; failed: number };
        coverage: { percent: number };
      }>(['verify', 'T-1']);
      assert.equal(verified.passed, true);
      assert.deepEqual([verified.tests.total, verified.tests.failed], [5, 0]);
      assert.ok(verified.coverage.percent >= 80);
      const toReview = await advance('VERIFY', 'REVIEW');
      assert.deepEqual(
        toReview.artifacts.map((a) => a.path),
        [
          'build_output.log',
          'coverage_report.json',
          'impact.json',
          'mutation_report.json',
          'secrets_scan.json',
          'test_inventory.json',
          'test_results.json',
          'verify_run.json',
        ].map((f) => `evidence/T-1/verify/${f}`),
      );
      // REVIEW is not self-review: the rubric comes from a second hand, in the reviewer role.
      await repo.ok(['evidence', 'add', 'T-1', 'REVIEW', sourceFile('review_rubric.json', P.RUBRIC)], {
        env: { AUTOPILOT_HOLDER: 'reviewer-1', AUTOPILOT_ROLE: 'reviewer' },
      });
      const toPr = await advance('REVIEW', 'PR');
      assert.ok(
        toPr.artifacts.some(
          (a) => a.path === 'evidence/T-1/review/code_quality_score.json' && a.producer === 'autopilot',
        ),
      );
      await Promise.all([
        add('PR', 'pr_template_filled.md', P.PR_TEMPLATE),
        add('PR', 'pr_url.txt', 'https://git.example.com/textkit/pull/1\n'),
      ]);
      await advance('PR', 'MONITOR');
      const finished = await advance('MONITOR', null);
      assert.deepEqual(
        finished.artifacts.map((a) => a.path),
        ['evidence/T-1/monitor/deployment_status.json', 'evidence/T-1/monitor/smoke_test_results.json'],
      );
    });

    await t.test('task status, ledger verify, show and export (JSONL and in-toto DSSE)', async () => {
      const head = repo.head()!;
      // Read-only: all at once.
      const [status, verified, shown, exported, intoto] = await Promise.all([
        repo.ok<{ task: Task }>(['task', 'status', 'T-1']),
        repo.ok<{
          entries: number;
          tasks: number;
          artifacts: number;
          problems: unknown[];
          head: { seq: number; hash: string };
        }>(['ledger', 'verify']),
        repo.ok<{ entries: Entry[] }>(['ledger', 'show', '--task', 'T-1']),
        repo.run(['--json', 'ledger', 'export', '--format', 'jsonl']),
        repo.run(['ledger', 'export', '--format', 'intoto', '--task', 'T-1']),
      ]);
      assert.equal(status.task.status, 'done');
      assert.equal(status.task.visits['IMPLEMENT'], 2);
      assert.equal(status.task.visits['VERIFY'], 2);
      assert.deepEqual(verified.head, head);
      assert.equal(verified.entries, head.seq);
      assert.equal(verified.tasks, 1);
      assert.deepEqual(verified.problems, []);
      assert.ok(verified.artifacts >= 20);

      assert.ok(shown.entries.every((e) => e.taskId === 'T-1'));
      const moves = shown.entries
        .filter((e) => e.kind === 'transition' || e.kind === 'backtrack')
        .map((e) => `${e.fromPhase}>${e.toPhase ?? 'DONE'}`);
      assert.deepEqual(moves, [
        'STRATEGIZE>SPEC',
        'SPEC>PLAN',
        'PLAN>THINK',
        'THINK>IMPLEMENT',
        'IMPLEMENT>VERIFY',
        'VERIFY>IMPLEMENT',
        'IMPLEMENT>VERIFY',
        'VERIFY>REVIEW',
        'REVIEW>PR',
        'PR>MONITOR',
        'MONITOR>DONE',
      ]);
      assert.deepEqual(
        shown.entries.filter((e) => e.kind === 'violation').map((e) => e.data['code']),
        ['VERIFY_FAILED', 'PHASE_SKIP'],
      );
      assert.deepEqual(
        shown.entries.filter((e) => e.kind === 'verify').map((e) => e.data['passed']),
        [false, true],
      );

      assert.equal(exported.code, 0, exported.stderr);
      const lines = parseLines<Entry>(exported.stdout);
      assert.deepEqual(
        lines.map((e) => e.seq),
        Array.from({ length: head.seq }, (_, i) => i + 1),
      );
      const keyId = lines[0]!.keyId;
      const pem = readFileSync(join(repo.userState.keysDir, `${keyId}.pub.pem`), 'utf8');
      lines.forEach((e, i) => {
        assert.equal(e.prevHash, i === 0 ? '0'.repeat(64) : lines[i - 1]!.hash);
        checkEntry(e, pem);
      });
      assert.equal(lines[lines.length - 1]!.hash, head.hash);

      assert.equal(intoto.code, 0, intoto.stderr);
      const envelopes = parseLines<{
        payloadType: string;
        payload: string;
        signatures: { keyid: string; sig: string }[];
      }>(intoto.stdout);
      const taskLines = lines.filter((e) => e.taskId === 'T-1');
      assert.equal(envelopes.length, taskLines.length);
      envelopes.forEach((env, i) => {
        assert.equal(env.payloadType, 'application/vnd.in-toto+json');
        const payload = Buffer.from(env.payload, 'base64');
        const pae = Buffer.concat([
          Buffer.from(`DSSEv1 ${Buffer.byteLength(env.payloadType)} ${env.payloadType} ${payload.length} `),
          payload,
        ]);
        assert.equal(env.signatures.length, 1);
        const key = createPublicKey(readFileSync(join(repo.userState.keysDir, `${env.signatures[0]!.keyid}.pub.pem`)));
        assert.ok(
          verify(null, pae, key, Buffer.from(env.signatures[0]!.sig, 'base64')),
          `DSSE signature of envelope ${i}`,
        );
        // A changed payload does not verify.
        const forged = Buffer.concat([pae.subarray(0, -1), Buffer.from(' ')]);
        assert.equal(verify(null, forged, key, Buffer.from(env.signatures[0]!.sig, 'base64')), false);
        const statement = JSON.parse(payload.toString('utf8')) as {
          _type: string;
          subject: { name: string; digest: { sha256: string } }[];
          predicateType: string;
          predicate: Entry;
        };
        const entry = taskLines[i]!;
        assert.equal(statement._type, 'https://in-toto.io/Statement/v1');
        assert.equal(typeof statement.predicateType, 'string');
        assert.deepEqual(statement.predicate, entry);
        assert.deepEqual(
          statement.subject,
          entry.artifacts.length
            ? entry.artifacts.map((a) => ({ name: a.path, digest: { sha256: a.sha256 } }))
            : [{ name: `ledger/${entry.seq}`, digest: { sha256: entry.hash } }],
        );
      });
      const done = JSON.parse(Buffer.from(envelopes[envelopes.length - 1]!.payload, 'base64').toString('utf8')) as {
        subject: { name: string }[];
      };
      assert.deepEqual(
        done.subject.map((s) => s.name),
        ['evidence/T-1/monitor/deployment_status.json', 'evidence/T-1/monitor/smoke_test_results.json'],
      );
    });

    await t.test('a finished task is sealed: TASK_DONE for every move, nothing changes', async () => {
      const strategy = sourceFile('strategy.md', P.STRATEGY);
      const files = repo.snapshot();
      const task = repo.task('T-1')!;
      const cases = [
        [['advance', 'T-1'], true],
        [['backtrack', 'T-1', '--to', 'IMPLEMENT', '--reason', 'one more change'], true],
        [['evidence', 'add', 'T-1', 'MONITOR', strategy, '--as', 'notes.md'], false],
        [['verify', 'T-1'], false],
        [['lease', 'acquire', 'T-1'], false],
      ] as const;
      // All at once: each is checked against the state before any of them.
      const errors = await Promise.all(cases.map(([args]) => repo.refused(args, 'TASK_DONE', 2)));
      const entries = repo.ledger('T-1');
      errors.forEach((err, i) => {
        assert.deepEqual([err.details['taskId'], err.details['status']], ['T-1', 'done']);
        const seq = err.details['seq'];
        if (cases[i]![1]) assert.equal(entries.find((e) => e.seq === seq)?.data['code'], 'TASK_DONE');
        else assert.equal(seq, undefined);
      });
      assert.deepEqual(changedFiles(files, repo.snapshot()), []);
      const after = repo.task('T-1')!;
      assert.deepEqual([after.status, after.phase, after.artifacts], [task.status, task.phase, task.artifacts]);
      await repo.ok(['ledger', 'verify']);
    });
  });

  it('VERIFY_FAILED: a failing test; verify and advance both refuse and record it', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'VERIFY', { buggy: true });
    const before = repo.snapshot();
    const err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    assert.match(err.message, /2 of 5 tests failed/);
    assert.match(err.message, /backtrack T-1 --to IMPLEMENT/);
    const seq = err.details['seq'] as number;
    const entries = repo.ledger('T-1');
    assert.equal(entries.find((e) => e.seq === seq)?.data['code'], 'VERIFY_FAILED');
    const run = entries.find((e) => e.seq === seq - 1)!;
    assert.deepEqual([run.kind, run.data['passed']], ['verify', false]);
    // Only Autopilot's VERIFY evidence was written (and the reports of the test run, when it ran in place, and the
    // code atlas's cache in the state folder).
    const produced = [
      'build_output.log',
      'coverage_report.json',
      'impact.json',
      'mutation_report.json',
      'secrets_scan.json',
      'test_inventory.json',
      'test_results.json',
      'verify_run.json',
    ].map((f) => `.autopilot/evidence/T-1/verify/${f}`);
    const changed = changedFiles(before, repo.snapshot());
    assert.deepEqual(
      changed.filter(
        (f) =>
          !produced.includes(f) &&
          f !== 'coverage/lcov.info' &&
          f !== 'reports/junit.xml' &&
          !f.startsWith('.autopilot/atlas/'),
      ),
      [],
    );
    for (const f of produced) assert.ok(changed.includes(f), f);
    const results = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'test_results.json'), 'utf8')) as {
      totals: { failed: number };
    };
    assert.equal(results.totals.failed, 2);

    // advance reuses that run (the source did not change) and refuses the same way.
    const again = await repo.refusedUnchanged(['advance', 'T-1'], 'VERIFY_FAILED', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.equal(again.details['phase'], 'VERIFY');
    assert.ok((again.details['findings'] as { rule: string }[]).some((f) => f.rule === 'json-assert'));
  });

  it("EVIDENCE_PROTECTED: Autopilot's VERIFY evidence edited on disk before advancing", async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'VERIFY');
    await repo.verify('T-1');
    const file = join(repo.phaseDir('T-1', 'VERIFY'), 'test_results.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { totals: { total: number } };
    doc.totals.total += 10;
    writeFileSync(file, JSON.stringify(doc));
    const err = await repo.refusedUnchanged(['advance', 'T-1'], 'EVIDENCE_PROTECTED', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.equal(err.details['phase'], 'VERIFY');
    const findings = err.details['findings'] as { file: string; rule: string }[];
    assert.deepEqual(
      findings.map((f) => [f.file, f.rule]),
      [['evidence/T-1/verify/test_results.json', 'protected']],
    );
  });

  it("EVIDENCE_PROTECTED: VERIFY files no rule names (impact.json, secrets_scan.json) are Autopilot's too", async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'VERIFY');
    await repo.verify('T-1');
    // Replaced through Autopilot: refused like the files the config's rules name.
    const fake = join(tempDir('fake'), 'secrets_scan.json');
    writeFileSync(fake, '{"passed": true, "findings": []}\n');
    const put = await repo.refusedUnchanged(['evidence', 'add', 'T-1', 'VERIFY', fake], 'EVIDENCE_PROTECTED', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.match(put.message, /secrets_scan\.json is produced by Autopilot itself/);
    // Edited on disk: the move out of VERIFY is refused, naming the file.
    writeFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'impact.json'), '{"tests": []}\n');
    const err = await repo.refusedUnchanged(['advance', 'T-1'], 'EVIDENCE_PROTECTED', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.deepEqual(
      (err.details['findings'] as { file: string; rule: string }[]).map((f) => [f.file, f.rule]),
      [['evidence/T-1/verify/impact.json', 'protected']],
    );
  });

  it('LEDGER_TAMPERED: evidence of a passed phase changed on disk (exit 3), found by ledger verify and by advance', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const file = join(repo.phaseDir('T-1', 'STRATEGIZE'), 'strategy.md');
    writeFileSync(file, P.STRATEGY.replace('Editors', 'Nobody'));
    const path = 'evidence/T-1/strategize/strategy.md';
    let err = await repo.refusedUnchanged(['ledger', 'verify'], 'LEDGER_TAMPERED', 3, { violation: false });
    const problems = err.details['problems'] as { kind: string; path: string; seq: number; reason: string }[];
    assert.deepEqual(
      problems.map((p) => [p.kind, p.path]),
      [['evidence', path]],
    );
    const recorded = repo.ledger('T-1').find((e) => e.kind === 'transition' && e.fromPhase === 'STRATEGIZE')!;
    assert.equal(problems[0]!.seq, recorded.seq);
    assert.match(err.message, new RegExp(`at entry ${recorded.seq}: ${path} changed`));

    await repo.put('T-1', 'SPEC', 'spec.md', P.SPEC);
    err = await repo.refusedUnchanged(['advance', 'T-1'], 'LEDGER_TAMPERED', 3, { taskId: 'T-1', violation: true });
    assert.deepEqual([err.details['path'], err.details['reason']], [path, 'changed']);

    // Put back, the evidence matches its digest again; the refusals are part of the verified chain.
    writeFileSync(file, P.STRATEGY);
    await repo.ok(['ledger', 'verify']);
  });

  it('LEDGER_TAMPERED: a ledger, task or key row or the schema changed in the SQLite file; ledger verify names what', async () => {
    const tamper = async (
      how: (repo: Repo, target: LedgerRow) => void,
      check: (details: Record<string, unknown>, target: LedgerRow, message: string) => void,
    ) => {
      const repo = await makeRepo();
      await repo.driveTo('T-1', 'PLAN');
      const target = repo.ledger('T-1').find((e) => e.kind === 'transition' && e.toPhase === 'PLAN')!;
      how(repo, target);
      const err = await repo.refused(['ledger', 'verify'], 'LEDGER_TAMPERED', 3);
      check(err.details, target, err.message);
    };
    const first = (d: Record<string, unknown>) =>
      (d['problems'] as { kind: string; seq?: number; reason: string }[])[0]!;
    await Promise.all([
      // The row's content changed: its hash no longer matches.
      tamper(
        (repo, target) =>
          repo.sql(`DROP TRIGGER ledger_no_update; UPDATE ledger SET actor = 'mallory' WHERE seq = ${target.seq};`),
        (d, target, message) => {
          assert.deepEqual(first(d), {
            kind: 'chain',
            seq: target.seq,
            reason: 'hash does not match the entry content',
          });
          assert.match(message, new RegExp(`at entry ${target.seq}:`));
        },
      ),
      // The last row changed and re-hashed: the signature gives it away.
      tamper(
        (repo) => {
          const { seq, prevHash, ts, taskId, kind, fromPhase, toPhase, artifacts, data, keyId } = repo.ledger().at(-1)!;
          const hash = sha256(
            canonicalize({
              seq,
              prevHash,
              ts,
              taskId,
              kind,
              fromPhase,
              toPhase,
              actor: 'mallory',
              artifacts,
              data,
              keyId,
            }) ?? '',
          );
          repo.sql(
            `DROP TRIGGER ledger_no_update; UPDATE ledger SET actor = 'mallory', hash = '${hash}' WHERE seq = ${seq};`,
          );
        },
        (d) => {
          const p = first(d);
          assert.equal(p.kind, 'chain');
          assert.equal(p.seq, (d['head'] as { seq: number }).seq);
          assert.match(p.reason, /signature does not verify/);
        },
      ),
      // A signature's padding changed to a character outside base64: a lenient decoder reads the same bytes.
      tamper(
        (repo, target) =>
          repo.sql(
            `DROP TRIGGER ledger_no_update; UPDATE ledger SET signature = substr(signature, 1, length(signature) - 2) || '*=' WHERE seq = ${target.seq};`,
          ),
        (d, target) => {
          const p = first(d);
          assert.deepEqual([p.kind, p.seq], ['chain', target.seq]);
          assert.match(p.reason, /^signature does not verify/);
        },
      ),
      // A value of the wrong type where a damaged record put it: a clear refusal, not a crash.
      tamper(
        (repo, target) =>
          repo.sql(`DROP TRIGGER ledger_no_update; UPDATE ledger SET signature = x'6e' WHERE seq = ${target.seq};`),
        (d, target, message) => {
          assert.deepEqual([d['table'], d['row'], d['column']], ['ledger', target.seq, 'signature']);
          assert.match(message, /corrupt row in the store: column signature of ledger entry \d+ is a blob, not text/);
        },
      ),
      // A task's stored state that is no state at all.
      tamper(
        (repo) => repo.sql("UPDATE tasks SET state = 'null' WHERE task_id = 'T-1'"),
        (d, _target, message) => {
          assert.deepEqual([d['table'], d['row'], d['column']], ['tasks', 'T-1', 'state']);
          assert.match(message, /corrupt row in the store: column state of task T-1 is not a task's state/);
        },
      ),
      // The public key's text changed: it no longer reads as a key, so no signature by it verifies.
      tamper(
        (repo) => repo.sql("UPDATE keys SET public_key = replace(public_key, '=', '*')"),
        (d) => {
          const p = first(d);
          assert.deepEqual([p.kind, p.seq], ['chain', 1]);
          assert.match(p.reason, /^signature does not verify/);
        },
      ),
      // The last row deleted: the chain is whole, but it no longer holds the head anchored in this user's state
      // folder (said first: it explains the rest), and the task's state no longer matches it.
      tamper(
        (repo) =>
          repo.sql('DROP TRIGGER ledger_no_delete; DELETE FROM ledger WHERE seq = (SELECT MAX(seq) FROM ledger);'),
        (d) => {
          const problems = d['problems'] as { kind: string; reason: string }[];
          assert.equal(problems[0]!.kind, 'history');
          assert.match(problems[0]!.reason, /entries were removed/);
          assert.ok(
            problems.some((p) => p.kind === 'projection' && /T-1/.test(p.reason)),
            JSON.stringify(problems),
          );
        },
      ),
      // The schema's text changed under the data: a column the ledger needs is gone by that name.
      tamper(
        (repo) =>
          repo.sql(
            "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = replace(sql, 'signature', 'signatura') WHERE name = 'ledger'; PRAGMA writable_schema = RESET;",
            {
              schema: true,
            },
          ),
        (d, _target, message) => {
          assert.equal(d['reason'], 'schema');
          assert.match(message, /schema is not the one Autopilot made .*signature/);
        },
      ),
    ]);
  });

  it('LEDGER_TAMPERED: a lease row holding a value of the wrong type is refused where it is read, naming the task', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    await repo.ok(['lease', 'acquire', 'T-1', '--holder', 'agent-a']);
    repo.sql("UPDATE leases SET token = 'seven' WHERE task_id = 'T-1'");
    for (const args of [
      ['task', 'status', 'T-1'],
      ['advance', 'T-1', '--holder', 'agent-a'],
    ]) {
      const err = await repo.refused(args, 'LEDGER_TAMPERED', 3);
      assert.equal(err.details['where'], 'the lease of task T-1', args.join(' '));
      assert.equal(err.details['column'], 'token', args.join(' '));
      assert.match(
        err.message,
        /corrupt row in the store: column token of the lease of task T-1 is text, not an integer/,
      );
    }
  });

  it('LEDGER_TAMPERED: a public key stored as a blob of the same bytes is a corrupt row, named by ledger verify', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    // The bytes stay the same, so every signature would still check: only the value's type says the row was changed.
    repo.sql('UPDATE keys SET public_key = CAST(public_key AS BLOB)');
    const err = await repo.refused(['ledger', 'verify'], 'LEDGER_TAMPERED', 3);
    assert.match(err.message, /corrupt row in the store: column public_key of key [0-9a-f]+ is a blob, not text/);
    assert.match(String(err.details['where']), /^key [0-9a-f]+$/);
    assert.deepEqual([err.details['table'], err.details['column']], ['keys', 'public_key']);
  });

  it('LEASE_HELD: a second holder is refused on lease, evidence and advance; nothing changes', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const a = await repo.ok<{ change: string; lease: { holder: string; phase: string; token: number } }>([
      'lease',
      'acquire',
      'T-1',
      '--holder',
      'agent-a',
      '--ttl',
      '600',
    ]);
    assert.deepEqual([a.change, a.lease.holder, a.lease.phase], ['acquired', 'agent-a', 'SPEC']);
    const t = { taskId: 'T-1', violation: true };
    const spec = sourceFile('spec.md', P.SPEC);
    for (const args of [
      ['lease', 'acquire', 'T-1', '--holder', 'agent-b'],
      ['--holder', 'agent-b', 'evidence', 'add', 'T-1', 'SPEC', spec],
      ['advance', 'T-1', '--holder', 'agent-b'],
    ]) {
      const err = await repo.refusedUnchanged(args, 'LEASE_HELD', 2, t);
      assert.deepEqual(
        [err.details['holder'], err.details['phase'], err.details['token']],
        ['agent-a', 'SPEC', a.lease.token],
      );
      assert.equal(typeof err.details['expiresAt'], 'string');
    }
    // The holder goes on.
    await repo.ok(['evidence', 'add', 'T-1', 'SPEC', spec, '--holder', 'agent-a']);
    const moved = await repo.ok<Moved>(['advance', 'T-1', '--holder', 'agent-a', '--token', String(a.lease.token)]);
    assert.equal(moved.to, 'PLAN');
  });

  it('LEASE_FENCED: a stale --token after the lease changed hands', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const a = await repo.ok<{ lease: { token: number } }>(['lease', 'acquire', 'T-1', '--holder', 'agent-a']);
    await repo.ok(['lease', 'release', 'T-1', '--holder', 'agent-a']);
    const b = await repo.ok<{ lease: { token: number; holder: string } }>([
      'lease',
      'acquire',
      'T-1',
      '--holder',
      'agent-b',
    ]);
    assert.ok(b.lease.token > a.lease.token);
    const stale = String(a.lease.token);
    const t = { taskId: 'T-1', violation: true };
    for (const args of [
      ['advance', 'T-1', '--holder', 'agent-a', '--token', stale],
      ['evidence', 'add', 'T-1', 'SPEC', sourceFile('spec.md', P.SPEC), '--holder', 'agent-b', '--token', stale],
    ]) {
      const err = await repo.refusedUnchanged(args, 'LEASE_FENCED', 2, t);
      assert.deepEqual(
        [err.details['token'], err.details['current'], err.details['holder']],
        [a.lease.token, b.lease.token, 'agent-b'],
      );
    }
  });

  it('LEASE_REQUIRED: with leases: {mode: explicit}, nothing moves without a lease', async () => {
    const repo = await makeRepo({ config: (c) => void (c['leases'] = { mode: 'explicit', ttlSeconds: 300 }) });
    await repo.driveTo('T-1', 'STRATEGIZE');
    const strategy = sourceFile('strategy.md', P.STRATEGY);
    const t = { taskId: 'T-1', violation: true };
    for (const args of [
      ['evidence', 'add', 'T-1', 'STRATEGIZE', strategy, '--holder', 'agent-a'],
      ['advance', 'T-1', '--holder', 'agent-a'],
    ]) {
      const err = await repo.refusedUnchanged(args, 'LEASE_REQUIRED', 2, t);
      assert.deepEqual([err.details['phase'], err.details['holder']], ['STRATEGIZE', 'agent-a']);
      assert.match(err.message, /lease acquire T-1/);
    }
    const a = await repo.ok<{ lease: { token: number } }>(['lease', 'acquire', 'T-1', '--holder', 'agent-a']);
    await repo.ok([
      'evidence',
      'add',
      'T-1',
      'STRATEGIZE',
      strategy,
      '--holder',
      'agent-a',
      '--token',
      String(a.lease.token),
    ]);
    const moved = await repo.ok<Moved>(['advance', 'T-1', '--holder', 'agent-a', '--token', String(a.lease.token)]);
    assert.equal(moved.to, 'SPEC');
  });
});
