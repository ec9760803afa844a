/**
 * E2E: `autopilot policy discover` through the real binary on real git repositories: a task's file map read with
 * each file's risk classes, policy verdict and expected size; the approvals and evidence ahead; settings suggested
 * from the git history and the ledger's VERIFY runs; `--write` changing only the config's suggested keys (comments
 * kept) and leaving a running task refused with CONFIG_CHANGED; and the refusals for a missing or broken file map.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { git, makeProject, makeRepo, run, type Repo } from './helpers.ts';

interface Report {
  task: { id: string; phase: string } | null;
  source: { kind: string; path?: string };
  files: {
    path: string;
    change: string;
    exists: boolean;
    expectedLines: number;
    basis: string;
    risk: { class: string }[];
    policy: { phase: string; verdict: string; ids: string[] };
  }[];
  diff: { files: number; expectedLines: number; maxLines: number };
  risk: { level: string };
  approvals: { phase: string; move: string; needs: string; reasons: string[] }[];
  evidence: { phase: string; artifacts: { name: string; producer: string }[] }[];
  history: {
    commits: number;
    lines: { p50: number; p95: number } | null;
    verify: { testMs: number[]; coverage: { totalPercent: number } | null };
  };
  suggestions: { key: string; current: number | null; suggested: number; differs: boolean }[];
  policyDigest: string;
  wrote?: { written: { key: string; to: number }[]; contractChanged: { taskId: string; keys: string[] }[] };
}

/** Commits `n` changes of known size: commit i adds i*10 lines to its own file. */
function commitHistory(repo: Repo, n: number): void {
  for (let i = 1; i <= n; i++) {
    repo.write(`lib/part${i}.js`, Array.from({ length: i * 10 }, (_, k) => `// line ${k}`).join('\n') + '\n');
    git(repo.dir, ['add', '-A']);
    git(repo.dir, ['commit', '-q', '-m', `part ${i}`]);
  }
}

describe('policy discover', { concurrency: true }, () => {
  it("reads the task's file map and reports files, policies, risk, approvals, evidence and history", async () => {
    const repo = await makeRepo({
      config: (c) => void ((c['approvals'] as Record<string, unknown>)['minRisk'] = 'medium'),
    });
    repo.write(
      '.autopilot/policies/main.cedar',
      `@id("no-migrations")\n@reason("migrations go through the DBA")\nforbid (principal, action == Autopilot::Action::"call", resource is Autopilot::ToolCall)\nwhen { resource.paths.containsAny(["db/001.sql"]) };\n`,
    );
    git(repo.dir, ['add', '-A']);
    git(repo.dir, ['commit', '-q', '-m', 'a policy']);
    commitHistory(repo, 6);
    await repo.driveTo('T-1', 'THINK');
    const r = await repo.ok<Report>(['policy', 'discover', 'T-1']);
    assert.deepEqual(r.task, { id: 'T-1', phase: 'THINK', status: 'active' });
    assert.deepEqual(r.source, { kind: 'file-map', path: 'evidence/T-1/plan/file_map.json' });
    assert.deepEqual(
      r.files.map((f) => [f.path, f.change, f.exists, f.policy.phase, f.policy.verdict, f.policy.ids]),
      [
        ['src/count.js', 'add', false, 'IMPLEMENT', 'allow', ['tools.call.IMPLEMENT']],
        ['test/count.test.js', 'add', false, 'IMPLEMENT', 'allow', ['tools.call.IMPLEMENT']],
      ],
    );
    // Both are new: each is expected to change as much as the history's median file touch.
    assert.equal(r.files[0]!.expectedLines, r.files[1]!.expectedLines);
    assert.match(r.files[0]!.basis, /median change of one file/);
    assert.equal(r.diff.expectedLines, r.files[0]!.expectedLines * 2);
    // The evidence still missing starts at THINK; IMPLEMENT's is Autopilot's to write.
    assert.equal(r.evidence[0]!.phase, 'THINK');
    assert.deepEqual(r.evidence[0]!.artifacts, [{ name: 'edge_cases.md', producer: 'agent' }]);
    assert.ok(
      r.evidence.find((e) => e.phase === 'IMPLEMENT')!.artifacts.every((a) => a.producer === 'autopilot'),
      'the diff is Autopilot’s',
    );
    assert.ok(
      !r.evidence.some((e) => ['STRATEGIZE', 'SPEC', 'PLAN'].includes(e.phase)),
      'passed phases are not listed',
    );
    // Six commits of 10..60 lines and the earlier ones: enough for a cap from the 95th percentile.
    assert.ok(r.history.commits >= 6);
    const cap = r.suggestions.find((s) => s.key === 'approvals.maxLines');
    assert.ok(cap, 'a diff cap is suggested');
    assert.equal(cap.suggested % 10, 0);
    assert.ok(cap.suggested >= 50 && cap.suggested >= r.history.lines!.p95);
    assert.equal(r.policyDigest.length, 64);

    // A proposed list wins over the file map: a migration (risk class, denied by the repository's policy) and a
    // file with history (its own past change), deleted (its lines).
    const listed = await repo.ok<Report>([
      'policy',
      'discover',
      'T-1',
      '--files',
      'db/001.sql,lib/part3.js,./src/slug.js',
    ]);
    assert.equal(listed.source.kind, 'list');
    const [migration, part3, slug] = listed.files;
    assert.deepEqual(
      [migration!.change, migration!.risk.map((x) => x.class), migration!.policy.verdict, migration!.policy.ids],
      ['add', ['migration'], 'ask', ['no-migrations', 'tools.ask.IMPLEMENT']],
    );
    assert.deepEqual(
      [part3!.change, part3!.expectedLines, part3!.basis],
      ['modify', 30, 'median of its 1 past change(s)'],
    );
    assert.equal(slug!.path, 'src/slug.js');
    assert.equal(listed.risk.level, 'high');
    // minRisk medium: entering PR needs a person, for the migration.
    const pr = listed.approvals.find((a) => a.move === 'enter' && a.phase === 'PR');
    assert.ok(
      pr && pr.needs === 'approval' && pr.reasons.some((x) => x === 'migration: db/001.sql'),
      JSON.stringify(listed.approvals),
    );

    // One path a line on stdin; the text form says what was found and that nothing was written.
    const stdin = await repo.run(['policy', 'discover', '--files', '-'], { input: 'lib/part1.js\n\nlib/part2.js\n' });
    assert.equal(stdin.code, 0, stdin.stderr);
    assert.match(stdin.stdout, /a task yet to start: 2 file\(s\) from the files given/);
    assert.match(stdin.stdout, /modify lib\/part1\.js {2}~10 lines/);
    assert.match(stdin.stdout, /approvals\.maxLines: 500 → \d+/);
    assert.match(stdin.stdout, /nothing written: add --write/);
  });

  it('suggests the test timeout and coverage from the ledger, and --write changes only those keys', async () => {
    const repo = await makeRepo();
    commitHistory(repo, 5);
    await repo.driveTo('T-1', 'REVIEW');
    await repo.ok(['task', 'start', 'T-2', '--title', 'next']);
    const before = readFileSync(repo.configFile, 'utf8');
    const dry = await repo.ok<Report>(['policy', 'discover', '--files', 'src/slug.js']);
    assert.equal(readFileSync(repo.configFile, 'utf8'), before, 'a dry run writes nothing');
    assert.equal(dry.history.verify.testMs.length, 1);
    const total = dry.history.verify.coverage!.totalPercent;
    assert.ok(total > 0 && total <= 100);
    const byKey = new Map(dry.suggestions.map((s) => [s.key, s]));
    assert.deepEqual(byKey.get('verify.coverageThreshold')!.suggested, Math.floor(total / 5) * 5);
    const timeout = byKey.get('commands.test.timeoutSeconds')!;
    assert.equal(timeout.current, 120);
    assert.equal(timeout.suggested, Math.max(60, Math.ceil((3 * dry.history.verify.testMs[0]!) / 10000) * 10));

    const wrote = await repo.ok<Report>(['policy', 'discover', '--files', 'src/slug.js', '--write']);
    const changed = dry.suggestions.filter((s) => s.differs);
    assert.ok(changed.length >= 2, JSON.stringify(dry.suggestions));
    assert.deepEqual(
      wrote.wrote!.written.map((w) => [w.key, w.to]),
      changed.map((s) => [s.key, s.suggested]),
    );
    const after = readFileSync(repo.configFile, 'utf8');
    // Comments stay; the values are the suggested ones.
    const comments = (t: string) => t.split('\n').filter((l) => l.trim().startsWith('#'));
    assert.deepEqual(comments(after), comments(before));
    const again = await repo.ok<Report>(['policy', 'discover', '--files', 'src/slug.js']);
    assert.ok(
      again.suggestions.every((s) => !s.differs),
      JSON.stringify(again.suggestions),
    );
    // T-1 and T-2 adopted the config before: the write names both, and a next move is refused until a person adopts.
    assert.deepEqual(wrote.wrote!.contractChanged.map((t) => t.taskId).sort(), ['T-1', 'T-2']);
    assert.ok(wrote.wrote!.contractChanged[0]!.keys.some((k) => changed.some((s) => k.startsWith(s.key))));
    await repo.refused(['advance', 'T-2'], 'CONFIG_CHANGED', 2);
    // Nothing left to write: a second --write changes nothing.
    const noop = await repo.run(['policy', 'discover', '--files', 'src/slug.js', '--write']);
    assert.equal(noop.code, 0);
    assert.match(noop.stdout, /nothing to write: \.autopilot\/config\.yaml already has the suggested values/);
    assert.equal(readFileSync(repo.configFile, 'utf8'), after);
  });

  it('refuses a task without a file map, a broken file map, an empty list and paths outside the repository', async () => {
    const repo = await makeRepo();
    const before = readFileSync(repo.configFile, 'utf8');
    await repo.refused(['policy', 'discover', 'T-9'], 'TASK_UNKNOWN', 1);
    await repo.ok(['task', 'start', 'T-1', '--title', 'no plan yet']);
    const missing = await repo.refused(['policy', 'discover', 'T-1', '--write'], 'EVIDENCE_MISSING', 2);
    assert.match(missing.message, /T-1 has no file_map\.json in PLAN yet .*pass the files instead/);
    assert.deepEqual([missing.details['phase'], missing.details['artifact']], ['PLAN', 'file_map.json']);
    repo.write('.autopilot/evidence/T-1/plan/file_map.json', '{"files": [');
    const broken = await repo.refused(['policy', 'discover', 'T-1'], 'EVIDENCE_INVALID', 2);
    assert.match(broken.message, /evidence\/T-1\/plan\/file_map\.json is not JSON/);
    repo.write(
      '.autopilot/evidence/T-1/plan/file_map.json',
      '{"files": [{"path": "../../etc/passwd", "change": "modify"}]}',
    );
    const outside = await repo.refused(['policy', 'discover', 'T-1'], 'EVIDENCE_INVALID', 2);
    assert.equal(outside.details['key'], 'files.0.path');
    const escape = await repo.refused(['policy', 'discover', '--files', 'src/a.js,/etc/passwd'], 'USAGE', 1);
    assert.equal(escape.details['argument'], 'files');
    await repo.refused(['policy', 'discover', '--files', ' , '], 'USAGE', 1);
    await repo.refused(['policy', 'discover', '--files', 'src/a.js', '--commits', 'x'], 'USAGE', 1);
    assert.equal(readFileSync(repo.configFile, 'utf8'), before, 'a refusal changes nothing');
  });

  it('init --discover reports the settings the history suggests and writes no more than init', async () => {
    const dir = makeProject();
    for (let i = 1; i <= 5; i++) {
      writeFileSync(join(dir, `lib${i}.js`), 'x\n'.repeat(i * 30));
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-q', '-m', `lib ${i}`]);
    }
    const dry = await run(['--json', '-C', dir, 'init', '--dry-run', '--discover']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(JSON.parse(dry.stdout).discovery, null, 'before the config exists there is nothing to read');
    const r = await run(['--json', '-C', dir, 'init', '--discover']);
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(r.stdout) as { discovery: Report };
    assert.equal(body.discovery.source.kind, 'none');
    assert.deepEqual(body.discovery.files, []);
    const cap = body.discovery.suggestions.find((s) => s.key === 'approvals.maxLines')!;
    assert.deepEqual([cap.current, cap.suggested], [500, 150]);
    assert.match(readFileSync(join(dir, '.autopilot', 'config.yaml'), 'utf8'), /maxLines: 500/);
    // Neither task nor files: the settings alone, and --write tunes the fresh config.
    const text = await run(['-C', dir, 'policy', 'discover', '--write']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /no task and no files: this repository's history/);
    assert.match(text.stdout, /wrote approvals\.maxLines 150 into \.autopilot\/config\.yaml/);
    assert.match(readFileSync(join(dir, '.autopilot', 'config.yaml'), 'utf8'), /maxLines: 150/);
  });
});
