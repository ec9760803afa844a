/**
 * E2E: `autopilot gate` on a branch cloned to a fresh folder, without the store
 * or the private key. A task taken to PR through the engine passes; every
 * tamper fails and the report names the task, the entry, the file and the
 * reason. And `init` writes the CI job that runs the gate.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { INTOTO_PAYLOAD_TYPE, preAuthEncoding, statementFor, type Envelope } from '../../src/core/dsse.ts';
import { canonicalPayload, type LedgerEntry } from '../../src/core/ledger.ts';
import { keyIdOf, loadSigner, type Signer } from '../../src/engine/ledger/keys.ts';
import { sha256Hex } from '../../src/engine/repo/files.ts';
import { configDigest } from '../../src/engine/repo/config-digest.ts';
import { append } from '../../src/engine/ledger/record.ts';
import { adoptContract } from '../../src/engine/approvals/adopt.ts';
import type { CiProblem, CiGateReport } from '../../src/engine/ci/gate.ts';
import { runsBareNpx } from '../../src/engine/setup/doctor.ts';
import { packageVersion } from '../../src/engine/setup/package-info.ts';
import { applyInit, planInit } from '../../src/engine/setup/init.ts';
import { openStoreFor } from '../../src/surfaces/compose.ts';
import {
  COMMANDS,
  P,
  Repo,
  git,
  makeProject,
  makeRepo,
  parseOne,
  run,
  tempDir,
  writeFile,
  type CliResult,
} from './helpers.ts';
import { SLUG_STRING_EVIDENCE } from '../helpers/evidence.ts';

const BRANCH = 'task/T-1';
const BUNDLE = '.autopilot/attestations/T-1.jsonl';

type GateBody =
  ({ ok: true } & CiGateReport) | { ok: false; error: { code: string; message: string; details: CiGateReport } };

let source: Repo;
let base: string;
let agentKey: Signer;

/** A fresh clone of the task's branch: no store, no private key, only what was committed. */
function clone(branch = BRANCH): string {
  const dir = tempDir('clone');
  git(dir, ['clone', '-q', '--branch', branch, source.dir, '.']);
  return dir;
}

function commit(dir: string, message: string): void {
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', message]);
}

async function gate(dir: string, args: string[] = ['--base', base]): Promise<CliResult & { body: GateBody }> {
  const r = await run(['--json', '-C', dir, 'gate', ...args]);
  return { ...r, body: parseOne<GateBody>(r) };
}

/** Runs the gate, which must fail with `code` and `exit`; returns its problems. */
async function gateFails(dir: string, code: string, exit: number, args?: string[]): Promise<CiProblem[]> {
  const r = await gate(dir, args);
  assert.equal(r.body.ok, false, `the gate should fail: ${r.stdout}`);
  if (r.body.ok) throw new Error('unreachable');
  assert.equal(r.body.error.code, code, r.body.error.message);
  assert.equal(r.code, exit, r.body.error.message);
  return r.body.error.details.problems ?? [];
}

/** Each field of a problem as a value, or a pattern its text must match. */
type ProblemMatch = { [K in keyof CiProblem]?: CiProblem[K] | RegExp };

function findProblem(problems: CiProblem[], match: ProblemMatch): CiProblem {
  const found = problems.find((p) =>
    Object.entries(match).every(([k, v]: [string, unknown]) =>
      v instanceof RegExp ? v.test(String(p[k as keyof CiProblem])) : p[k as keyof CiProblem] === v,
    ),
  );
  assert.ok(
    found,
    `a problem like ${JSON.stringify(match, (_k, v: unknown) => (v instanceof RegExp ? v.source : v))} in ${JSON.stringify(problems, null, 1)}`,
  );
  return found;
}

function bundleLines(dir: string): string[] {
  return readFileSync(join(dir, BUNDLE), 'utf8').trimEnd().split('\n');
}

function writeBundleLines(dir: string, lines: string[]): void {
  writeFileSync(join(dir, BUNDLE), `${lines.join('\n')}\n`);
}

function entryOf(line: string): LedgerEntry {
  const env = JSON.parse(line) as Envelope;
  return (JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as { predicate: LedgerEntry }).predicate;
}

/** An envelope for `entry`, DSSE-signed by `signer` (keyId, signBytes). */
function envelope(entry: LedgerEntry, signer: Pick<Signer, 'keyId' | 'signBytes'>): string {
  const payload = Buffer.from(JSON.stringify(statementFor(entry)), 'utf8');
  const env: Envelope = {
    payloadType: INTOTO_PAYLOAD_TYPE,
    payload: payload.toString('base64'),
    signatures: [{ keyid: signer.keyId, sig: signer.signBytes(preAuthEncoding(INTOTO_PAYLOAD_TYPE, payload)) }],
  };
  return JSON.stringify(env);
}

/** Seals an entry as the ledger does: hash over the canonical payload, signed by `signer`. */
function seal(entry: Omit<LedgerEntry, 'hash' | 'signature'>, signer: Signer): LedgerEntry {
  const hash = sha256Hex(canonicalPayload(entry));
  return { ...entry, hash, signature: signer.sign(hash) };
}

function isIgnored(dir: string, path: string): boolean {
  return spawnSync('git', ['check-ignore', '-q', '--no-index', path], { cwd: dir }).status === 0;
}

describe('the CI gate', { concurrency: true }, () => {
  describe('autopilot gate on a fresh clone of the branch', { concurrency: true }, () => {
    before(async () => {
      source = await makeRepo({ urgent: true });
      base = git(source.dir, ['rev-parse', 'HEAD']).trim();
      git(source.dir, ['checkout', '-q', '-b', BRANCH]);
      await source.driveTo('T-1', 'PR');
      agentKey = loadSigner(source.userState.keysDir);
      commit(source.dir, 'T-1: wordCount, with its evidence and attestation bundle');
    });

    it('passes for a task taken to PR; the bundle, the key and the evidence are committed, the store and the private key are not', async () => {
      const dir = clone();
      assert.equal(existsSync(join(dir, '.autopilot', 'autopilot.db')), false);
      assert.equal(existsSync(join(dir, '.autopilot', 'keys')), false);
      assert.deepEqual(readdirSync(join(dir, '.autopilot', 'attestations', 'keys')), [`${agentKey.keyId}.pub.pem`]);
      assert.ok(isIgnored(source.dir, '.autopilot/keys/private.pem'));
      assert.equal(isIgnored(source.dir, `.autopilot/attestations/keys/${agentKey.keyId}.pub.pem`), false);

      // The bundle: the chain from the task's first entry to the transition into PR.
      const entries = bundleLines(dir).map(entryOf);
      const ledger = source.ledger();
      const first = ledger.find((e) => e.taskId === 'T-1')!;
      assert.equal(entries[0]!.seq, first.seq);
      assert.equal(entries[0]!.kind, 'task_started');
      const last = entries.at(-1)!;
      assert.deepEqual([last.kind, last.toPhase], ['transition', 'PR']);
      assert.deepEqual(
        entries.map((entry) => entry.hash),
        ledger.filter((e) => e.seq >= first.seq && e.seq <= last.seq).map((e) => e.hash),
      );

      const r = await gate(dir);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.body.ok, true);
      if (!r.body.ok) return;
      assert.equal(r.body.passed, true);
      assert.deepEqual(r.body.problems, []);
      assert.equal(r.body.base.mergeBase, base);
      assert.deepEqual(r.body.keys, [{ keyId: agentKey.keyId, new: true }]);
      const [task] = r.body.tasks;
      assert.equal(task?.taskId, 'T-1');
      assert.equal(task.bundle, BUNDLE);
      assert.deepEqual(
        [task.fromSeq, task.toSeq, task.entries, task.phase],
        [first.seq, last.seq, entries.length, 'PR'],
      );
      assert.ok(task.artifacts >= 10, `evidence files checked: ${task.artifacts}`);
      assert.ok(!('skipped' in task.verify), JSON.stringify(task.verify));
      if ('skipped' in task.verify) return;
      assert.equal(task.verify.passed, true);
      assert.equal(task.verify.sameCode, true);
      assert.deepEqual(task.verify.tests, task.verify.recorded);
      assert.equal(task.verify.tests?.total, 5);
      assert.equal(task.verify.coverage?.meetsThreshold, true);
    });

    it('an edited evidence file: LEDGER_TAMPERED (exit 3), naming the file and the entry that recorded it', async () => {
      const dir = clone();
      const rel = '.autopilot/evidence/T-1/verify/test_results.json';
      const doc = JSON.parse(readFileSync(join(dir, rel), 'utf8')) as { totals: { total: number } };
      doc.totals.total += 10;
      writeFileSync(join(dir, rel), JSON.stringify(doc, null, 2) + '\n');
      commit(dir, 'more tests, on paper');
      const problems = await gateFails(dir, 'LEDGER_TAMPERED', 3);
      const p = findProblem(problems, { taskId: 'T-1', check: 'evidence', file: rel, reason: /changed after entry/ });
      const recorded = source.task('T-1')!.artifacts['evidence/T-1/verify/test_results.json']!;
      assert.equal(p.seq, recorded.seq);
    });

    it('a removed envelope line: LEDGER_TAMPERED, a sequence gap at the entry after it', async () => {
      const dir = clone();
      const lines = bundleLines(dir);
      const removed = entryOf(lines[5]!);
      lines.splice(5, 1);
      writeBundleLines(dir, lines);
      commit(dir, 'one entry less');
      const problems = await gateFails(dir, 'LEDGER_TAMPERED', 3);
      findProblem(problems, {
        taskId: 'T-1',
        check: 'chain',
        file: BUNDLE,
        line: 6,
        seq: removed.seq + 1,
        reason: /sequence gap/,
      });
    });

    it('a reordered pair of envelopes: LEDGER_TAMPERED, naming the entries out of order', async () => {
      const dir = clone();
      const lines = bundleLines(dir);
      const [a, b] = [lines[3]!, lines[4]!];
      lines[3] = b;
      lines[4] = a;
      writeBundleLines(dir, lines);
      commit(dir, 'swapped');
      const problems = await gateFails(dir, 'LEDGER_TAMPERED', 3);
      findProblem(problems, {
        taskId: 'T-1',
        check: 'chain',
        file: BUNDLE,
        line: 4,
        seq: entryOf(b).seq,
        reason: /sequence gap/,
      });
    });

    it('an envelope signed by another key: LEDGER_TAMPERED, unknown key', async () => {
      const dir = clone();
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const other = {
        keyId: keyIdOf(publicKey),
        signBytes: (data: Uint8Array) => sign(null, data, privateKey).toString('base64'),
      };
      const lines = bundleLines(dir);
      const entry = entryOf(lines[2]!);
      lines[2] = envelope(entry, other);
      writeBundleLines(dir, lines);
      commit(dir, 're-signed');
      const problems = await gateFails(dir, 'LEDGER_TAMPERED', 3);
      findProblem(problems, {
        taskId: 'T-1',
        check: 'signature',
        file: BUNDLE,
        line: 3,
        seq: entry.seq,
        reason: new RegExp(`unknown key ${other.keyId}`),
      });
    });

    it('trusted keys: a chain re-signed with a key committed on the branch fails once the keys are pinned; the real key passes', async () => {
      // Whoever can push can make a key pair, commit its public half and re-seal the whole chain with it.
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const mallory: Signer = {
        keyId: keyIdOf(publicKey),
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        sign: (hash) => sign(null, Buffer.from(hash, 'hex'), privateKey).toString('base64'),
        signBytes: (data) => sign(null, data, privateKey).toString('base64'),
      };
      const forgedDir = clone();
      const forged: LedgerEntry[] = [];
      for (const e of bundleLines(forgedDir).map(entryOf)) {
        const { hash: _h, signature: _s, ...rest } = e;
        forged.push(seal({ ...rest, keyId: mallory.keyId, prevHash: forged.at(-1)?.hash ?? e.prevHash }, mallory));
      }
      writeBundleLines(
        forgedDir,
        forged.map((entry) => envelope(entry, mallory)),
      );
      writeFileSync(
        join(forgedDir, '.autopilot', 'attestations', 'keys', `${mallory.keyId}.pub.pem`),
        mallory.publicKeyPem,
      );
      commit(forgedDir, 're-sealed with a key of my own');
      const r = await run(['--json', '-C', forgedDir, 'gate', '--base', base], {
        env: { AUTOPILOT_TRUSTED_KEYS: agentKey.keyId },
      });
      const body = parseOne<GateBody>(r);
      assert.equal(r.code, 3, r.stdout);
      assert.ok(!body.ok && body.error.code === 'LEDGER_TAMPERED', r.stdout);
      if (body.ok) return;
      const problems = body.error.details.problems ?? [];
      findProblem(problems, {
        taskId: 'T-1',
        check: 'signature',
        file: BUNDLE,
        reason: new RegExp(
          `signed by key ${mallory.keyId}, which is not a trusted key \\(trusted: ${agentKey.keyId}\\)`,
        ),
      });
      assert.equal(problems.length, 1, JSON.stringify(problems));
      // Unpinned (a CI variable nobody set arrives empty), every committed key counts: the report flags the new one.
      const open = await run(['--json', '-C', forgedDir, 'gate', '--base', base], {
        env: { AUTOPILOT_TRUSTED_KEYS: '' },
      });
      const openBody = parseOne<GateBody>(open);
      assert.equal(open.code, 0, open.stdout);
      assert.ok(
        openBody.ok && openBody.keys.some((k) => k.keyId === mallory.keyId && k.new && k.trusted === undefined),
        open.stdout,
      );

      // In CI (CI=true, as CI services set it, or --ci) an empty or absent pin is refused before anything is read.
      for (const [args, env] of [
        [[], { CI: 'true', AUTOPILOT_TRUSTED_KEYS: '' }],
        [['--ci'], {}],
      ] as const) {
        const ci = await run(['--json', '-C', forgedDir, 'gate', '--base', base, ...args], { env });
        const ciBody = parseOne<GateBody>(ci);
        assert.equal(ci.code, 1, ci.stdout);
        assert.ok(!ciBody.ok && ciBody.error.code === 'CONFIG_INVALID', ci.stdout);
        if (ciBody.ok) return;
        assert.equal((ciBody.error.details as unknown as Record<string, unknown>)['key'], 'AUTOPILOT_TRUSTED_KEYS');
        assert.match(ciBody.error.message, /without trusted keys.*a CI variable a branch cannot change/);
      }

      // The untouched branch, with the real key pinned: passes, and the report says which keys are trusted.
      const pinned = await run(['--json', '-C', clone(), 'gate', '--base', base, '--trusted-keys', agentKey.keyId], {
        env: { CI: 'true' },
      });
      const pinnedBody = parseOne<GateBody>(pinned);
      assert.equal(pinned.code, 0, pinned.stdout + pinned.stderr);
      assert.ok(pinnedBody.ok);
      if (!pinnedBody.ok) return;
      assert.deepEqual(pinnedBody.keys, [{ keyId: agentKey.keyId, new: true, trusted: true }]);
      assert.equal(pinnedBody.inputs.ci, true);

      // Something that is no key id is a usage error.
      const bad = await gate(clone(), ['--base', base, '--trusted-keys', 'not-a-key']);
      assert.equal(bad.code, 1);
      assert.ok(
        !bad.body.ok && bad.body.error.code === 'USAGE' && /"not-a-key" is not one/.test(bad.body.error.message),
        bad.stdout,
      );
    });

    it('a forged entry with a recomputed hash but no valid signature: LEDGER_TAMPERED at that entry', async () => {
      const dir = clone();
      const lines = bundleLines(dir);
      const i = lines.findLastIndex((l) => entryOf(l).kind === 'verify');
      const original = entryOf(lines[i]!);
      const { hash: _h, signature, ...rest } = original;
      const data = { ...rest.data, tests: { ...(rest.data['tests'] as object), total: 50, passed: 50 } };
      const forged = { ...rest, data, hash: sha256Hex(canonicalPayload({ ...rest, data })), signature };
      // The envelope keeps its old DSSE signature: whoever forged the entry has no key.
      const env = JSON.parse(lines[i]!) as Envelope;
      lines[i] = JSON.stringify({
        ...env,
        payload: Buffer.from(JSON.stringify(statementFor(forged)), 'utf8').toString('base64'),
      });
      writeBundleLines(dir, lines);
      commit(dir, 'forged');
      const problems = await gateFails(dir, 'LEDGER_TAMPERED', 3);
      findProblem(problems, {
        taskId: 'T-1',
        check: 'signature',
        seq: original.seq,
        line: i + 1,
        reason: /entry's signature does not verify/,
      });
      findProblem(problems, {
        taskId: 'T-1',
        check: 'signature',
        seq: original.seq,
        line: i + 1,
        reason: /DSSE signature .* does not verify/,
      });
      findProblem(problems, { taskId: 'T-1', check: 'chain', seq: original.seq + 1, reason: /prevHash/ });
    });

    it('a skipped phase, in a chain re-signed with the real key: PHASE_SKIP (exit 2), naming the transition', async () => {
      const dir = clone();
      const entries = bundleLines(dir).map(entryOf);
      const dropped = entries.findIndex((entry) => entry.kind === 'transition' && entry.fromPhase === 'SPEC');
      assert.ok(dropped > 0);
      // Whoever holds the private key can re-seal the chain: the gate must still see the skip.
      const forged: LedgerEntry[] = entries.slice(0, dropped);
      for (const e of entries.slice(dropped + 1)) {
        const prev = forged[forged.length - 1]!;
        const { hash: _h, signature: _s, ...rest } = e;
        forged.push(seal({ ...rest, seq: prev.seq + 1, prevHash: prev.hash }, agentKey));
      }
      writeBundleLines(
        dir,
        forged.map((entry) => envelope(entry, agentKey)),
      );
      commit(dir, 'no SPEC → PLAN');
      const problems = await gateFails(dir, 'PHASE_SKIP', 2);
      const next = forged.find((entry) => entry.kind === 'transition' && entry.fromPhase === 'PLAN')!;
      findProblem(problems, {
        taskId: 'T-1',
        check: 'process',
        seq: next.seq,
        file: BUNDLE,
        reason: /PLAN → THINK does not follow: the task was in SPEC/,
      });
    });

    it('a REVIEW passed on a rubric by the hand that worked IMPLEMENT, in a chain re-signed with the real key: EVIDENCE_INVALID (exit 2), naming the move out of REVIEW', async () => {
      const dir = clone();
      const entries = bundleLines(dir).map(entryOf);
      const review = entries.findIndex(
        (entry) => entry.kind === 'evidence' && entry.data['name'] === 'review_rubric.json',
      );
      assert.ok(review > 0);
      assert.deepEqual([entries[review]!.data['holder'], entries[review]!.data['role']], ['reviewer-1', 'reviewer']);
      // Whoever holds the private key can rewrite who wrote the rubric: the gate judges the hands it then reads.
      const forged: LedgerEntry[] = entries.slice(0, review);
      for (const [i, e] of entries.slice(review).entries()) {
        const prev = forged[forged.length - 1]!;
        const { hash: _h, signature: _s, ...rest } = e;
        const data = i === 0 ? { ...rest.data, holder: 'fixture', role: undefined } : rest.data;
        forged.push(seal({ ...rest, data: JSON.parse(JSON.stringify(data)), prevHash: prev.hash }, agentKey));
      }
      writeBundleLines(
        dir,
        forged.map((entry) => envelope(entry, agentKey)),
      );
      commit(dir, 'the implementer reviewed itself');
      const problems = await gateFails(dir, 'EVIDENCE_INVALID', 2);
      const out = forged.find((entry) => entry.kind === 'transition' && entry.fromPhase === 'REVIEW')!;
      findProblem(problems, {
        taskId: 'T-1',
        check: 'evidence',
        seq: out.seq,
        file: '.autopilot/evidence/T-1/review/review_rubric.json',
        reason:
          /REVIEW was passed \(entry \d+\) without a review by another hand: .*written by fixture .*also worked IMPLEMENT/,
      });
    });

    it('a task recorded before entries named their hands (no holder on any entry) is not judged by the review rule', async () => {
      const dir = clone();
      const entries = bundleLines(dir).map(entryOf);
      const older: LedgerEntry[] = [];
      for (const e of entries) {
        const { hash: _h, signature: _s, ...rest } = e;
        const data = { ...rest.data, holder: undefined, role: undefined };
        const prevHash = older.length ? older[older.length - 1]!.hash : rest.prevHash;
        older.push(seal({ ...rest, data: JSON.parse(JSON.stringify(data)), prevHash }, agentKey));
      }
      assert.ok(older.some((entry) => entry.kind === 'transition' && entry.fromPhase === 'REVIEW'));
      writeBundleLines(
        dir,
        older.map((entry) => envelope(entry, agentKey)),
      );
      commit(dir, 'a bundle from before hands were recorded');
      const r = await gate(dir);
      const problems = r.body.ok ? [] : ((r.body.error.details as { problems?: CiProblem[] }).problems ?? []);
      assert.deepEqual(
        problems.filter((p) => /without a review by another hand/.test(p.reason)),
        [],
        JSON.stringify(problems),
      );
    });

    it('a test that fails on the branch: VERIFY_FAILED (exit 2), the re-run differs from the recorded one', async () => {
      const dir = clone();
      writeFile(dir, 'src/count.js', P.COUNT_BUGGY);
      commit(dir, 'a change after VERIFY');
      const problems = await gateFails(dir, 'VERIFY_FAILED', 2);
      const results = '.autopilot/evidence/T-1/verify/test_results.json';
      findProblem(problems, {
        taskId: 'T-1',
        check: 'verify',
        file: results,
        reason: /re-run on this checkout fails: .*tests failed/,
      });
      findProblem(problems, {
        taskId: 'T-1',
        check: 'verify',
        file: results,
        reason: /re-run ran 5 tests with 2 failing; the recorded run had 5 with 0 failing/,
      });
      findProblem(problems, { taskId: 'T-1', check: 'verify', reason: /not the code VERIFY ran on/ });
      for (const p of problems) assert.equal(typeof p.seq, 'number');
    });

    it('a failing re-run shows the failed test cases and the tail of the build and test output, in --json and in text', async () => {
      const dir = clone();
      writeFile(dir, 'src/count.js', P.COUNT_BUGGY);
      commit(dir, 'a change after VERIFY');
      const r = await gate(dir);
      assert.equal(r.code, 2, r.stdout);
      assert.ok(!r.body.ok);
      if (r.body.ok) return;
      const task = r.body.error.details.tasks.find((t) => t.taskId === 'T-1')!;
      assert.ok(!('skipped' in task.verify), JSON.stringify(task.verify));
      if ('skipped' in task.verify) return;
      assert.equal(task.verify.passed, false);
      // The failed cases, by name, with the assertion's message.
      const failed = task.verify.failedCases ?? [];
      assert.deepEqual(failed.map((c) => c.name).sort(), [
        'empty and white-space-only text has no words',
        'runs of white space and surrounding space count once',
      ]);
      for (const c of failed) {
        assert.ok(['failed', 'error'].includes(c.status), c.status);
        assert.match(c.message ?? '', /Expected values to be strictly equal|expected/i);
      }
      // The output of both commands, in the order they ran; the test output names the failures too.
      const logs = task.verify.logs ?? [];
      assert.deepEqual(
        logs.map((l) => l.command),
        ['build', 'test'],
      );
      const testLog = logs[1]!;
      assert.ok(testLog.tail.length > 0 && testLog.tail.length <= 40, `${testLog.tail.length} lines`);
      assert.ok(testLog.lines >= testLog.tail.length);
      assert.match(testLog.tail.join('\n'), /✖ runs of white space and surrounding space count once/);

      // Text: the same, under the failing task, on stdout; the refusal on stderr.
      const text = await run(['-C', dir, 'gate', '--base', base]);
      assert.equal(text.code, 2);
      const out = text.stdout;
      const at = (s: string) => {
        const i = out.indexOf(s);
        assert.ok(i >= 0, `${s} in:\n${out}`);
        return i;
      };
      assert.ok(at('✗ autopilot gate failed') < at('✗ T-1'));
      assert.ok(at('✗ T-1') < at('failed tests:'));
      assert.ok(at('failed tests:') < at('✗ empty and white-space-only text has no words'));
      assert.ok(at('failed tests:') < at('test output'));
      assert.match(out, /│ ✖ runs of white space and surrounding space count once/);
      assert.match(text.stderr, /VERIFY_FAILED/);
    });

    it('a clean rebase onto a newer main passes, compared as a patch; a rebase that changes a line of the task fails', async () => {
      const dir = clone();
      // main moves on: a change to a file the task does not touch.
      git(dir, ['checkout', '-q', '-b', 'newer-main', 'origin/main']);
      writeFile(dir, 'src/slug.js', `// Slugs are plain ASCII.\n${P.PROJECT_FILES['src/slug.js']!}`);
      commit(dir, 'main: a note on slugs');
      git(dir, ['checkout', '-q', BRANCH]);
      git(dir, ['rebase', '-q', 'newer-main']);
      assert.notEqual(git(dir, ['merge-base', 'HEAD', 'newer-main']).trim(), base);

      const r = await gate(dir, ['--base', 'newer-main']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(r.body.ok);
      if (!r.body.ok) return;
      const v = r.body.tasks[0]!.verify;
      assert.ok(!('skipped' in v), JSON.stringify(v));
      if ('skipped' in v) return;
      assert.equal(v.sameCode, true);
      assert.equal(v.compared?.how, 'patch-id');
      assert.equal(v.compared?.role, 'merge-base');
      assert.equal(v.compared?.from, git(dir, ['rev-parse', 'newer-main']).trim());
      assert.match(v.compared?.why ?? '', /rebased onto, or merged with, a newer base/);

      // The same rebase, with one line of the task's change edited on the way: the tests still pass, the patch differs.
      writeFile(
        dir,
        'src/count.js',
        P.COUNT_FIXED.replace('runs of non-space characters', 'runs of non-blank characters'),
      );
      git(dir, ['commit', '-q', '-a', '--amend', '--no-edit']);
      const problems = await gateFails(dir, 'VERIFY_FAILED', 2, ['--base', 'newer-main']);
      findProblem(problems, {
        taskId: 'T-1',
        check: 'verify',
        file: '.autopilot/evidence/T-1/verify/verify_run.json',
        reason:
          /not the patch VERIFY checked: the branch's diff from the merge-base .* rebased onto, or merged with, a newer base/,
      });
      assert.equal(problems.length, 1, JSON.stringify(problems));
    });

    it('no bundle at all: EVIDENCE_MISSING (exit 2), a change made without Autopilot; the base defaults to the merge-base with origin/main', async () => {
      const dir = clone('main');
      git(dir, ['checkout', '-q', '-b', 'quick-fix']);
      writeFile(dir, 'src/count.js', P.COUNT_FIXED);
      commit(dir, 'a change without Autopilot');
      const r = await gate(dir, []);
      assert.equal(r.code, 2);
      assert.equal(r.body.ok, false);
      if (r.body.ok) return;
      assert.equal(r.body.error.code, 'EVIDENCE_MISSING');
      assert.match(r.body.error.message, /no attestation bundle .* between origin\/main .* made without Autopilot/);
      const text = await run(['-C', dir, 'gate']);
      assert.equal(text.code, 2);
      assert.match(text.stderr, /EVIDENCE_MISSING.*without Autopilot/);
    });
  });

  describe('each task is judged by the contract it adopted', { concurrency: true }, () => {
    it('two tasks, the second under a config changed on the base branch: both pass, each judged by its own contract', async () => {
      const repo = await makeRepo();
      git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
      await repo.driveTo('T-1', 'PR');
      commit(repo.dir, 'T-1');
      const first = readFileSync(repo.path('.autopilot/evidence/T-1/contract.yaml'), 'utf8');
      assert.equal(first, readFileSync(repo.configFile, 'utf8'), 'the contract is the config file as it was');
      // A later task's contract, changed on main: a lower threshold and a longer test timeout.
      git(repo.dir, ['checkout', '-q', 'main']);
      repo.editConfig((c) => {
        (c['verify'] as Record<string, unknown>)['coverageThreshold'] = 50;
        ((c['commands'] as Record<string, unknown>)['test'] as Record<string, unknown>)['timeoutSeconds'] = 90;
      });
      commit(repo.dir, 'config: threshold 50');
      git(repo.dir, ['checkout', '-q', BRANCH]);
      git(repo.dir, ['merge', '-q', '--no-edit', 'main']);
      // T-2 is another change (slugify takes any title), with evidence that names what it touches.
      await repo.driveTo('T-2', 'IMPLEMENT', { evidence: SLUG_STRING_EVIDENCE });
      repo.write(
        'src/slug.js',
        P.PROJECT_FILES['src/slug.js']!.replace('return title', 'const text = String(title);\n  return text'),
      );
      await repo.driveTo('T-2', 'PR', { evidence: SLUG_STRING_EVIDENCE });
      commit(repo.dir, 'T-2');
      assert.notEqual(readFileSync(repo.path('.autopilot/evidence/T-2/contract.yaml'), 'utf8'), first);

      const dir = tempDir('clone');
      git(dir, ['clone', '-q', '--branch', BRANCH, repo.dir, '.']);
      const r = await gate(dir, ['--base', 'origin/main']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(r.body.ok);
      if (!r.body.ok) return;
      // T-1 started on main before the change, T-2 after main's change came in: both configs are the base branch's.
      assert.equal(r.body.inputs.base?.commit, git(dir, ['rev-parse', 'origin/main']).trim());
      assert.deepEqual(
        r.body.inputs.trusted.map((t) => t.source),
        ['base', 'base'],
        "the config at T-1's base commit on main, and main's config now",
      );
      const byId = new Map(r.body.tasks.map((t) => [t.taskId, t]));
      assert.deepEqual([...byId.keys()].sort(), ['T-1', 'T-2']);
      for (const id of ['T-1', 'T-2']) {
        const contract = byId.get(id)!.contract;
        assert.equal(contract?.source, 'task');
        assert.equal(contract?.file, `.autopilot/evidence/${id}/contract.yaml`);
      }
      assert.notEqual(byId.get('T-1')!.contract?.digest, byId.get('T-2')!.contract?.digest);
      // VERIFY is re-run for T-2, the later one, under T-2's contract.
      const v = byId.get('T-2')!.verify;
      assert.ok(!('skipped' in v), JSON.stringify(v));
      if ('skipped' in v) return;
      assert.equal(v.coverage?.threshold, 50);
    });

    it('a move made under a weakened config, restored afterwards, fails the gate at that move', async () => {
      const repo = await makeRepo();
      const start = git(repo.dir, ['rev-parse', 'HEAD']).trim();
      git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
      const original = readFileSync(repo.configFile, 'utf8');
      await repo.driveTo('T-1', 'VERIFY');
      // VERIFY passed with no coverage asked for, then the config put back as it was. Autopilot refuses that move
      // (CONFIG_CHANGED), so the local check is bypassed as an agent with write access to the store could: the
      // task's projection is told the weakened config is its contract, for that one move.
      repo.editConfig((c) => void ((c['verify'] as Record<string, unknown>)['coverageThreshold'] = 0));
      await repo.refused(['advance', 'T-1'], 'CONFIG_CHANGED', 2);
      const adopted = repo.task('T-1')!.contract!.digest;
      const weak = await repo.withEngine(async (engine) => configDigest(engine.config));
      const setContract = (digest: string) =>
        repo.sql(`UPDATE tasks SET state = json_set(state, '$.contract.digest', '${digest}') WHERE task_id = 'T-1'`);
      setContract(weak);
      await repo.driveTo('T-1', 'REVIEW');
      writeFileSync(repo.configFile, original);
      setContract(adopted);
      await repo.driveTo('T-1', 'PR');
      commit(repo.dir, 'T-1');
      const weakened = repo.ledger('T-1').find((e) => e.kind === 'transition' && e.fromPhase === 'VERIFY')!;

      const dir = tempDir('clone');
      git(dir, ['clone', '-q', '--branch', BRANCH, repo.dir, '.']);
      const problems = await gateFails(dir, 'EVIDENCE_INVALID', 2, ['--base', start]);
      findProblem(problems, {
        taskId: 'T-1',
        check: 'config',
        seq: weakened.seq,
        file: BUNDLE,
        reason: /the move VERIFY → REVIEW was checked against another config .* than the contract T-1 had adopted/,
      });
      assert.equal(problems.filter((p) => p.check === 'config').length, 1, 'only the move made under it');
    });

    it('a contract a person adopted mid-task judges the moves after it; the gate passes and names it', async () => {
      const repo = await makeRepo();
      const start = git(repo.dir, ['rev-parse', 'HEAD']).trim();
      git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
      await repo.driveTo('T-1', 'VERIFY');
      repo.editConfig((c) => void ((c['verify'] as Record<string, unknown>)['coverageThreshold'] = 60));
      await repo.adoptConfig('T-1', 'the team settled on 60% for changed lines');
      await repo.driveTo('T-1', 'PR');
      commit(repo.dir, 'T-1');
      const adoption = repo.ledger('T-1').find((e) => e.kind === 'contract_adopted')!;
      assert.equal(adoption.actor, 'person:tester');
      assert.deepEqual(adoption.data['keys'], ['verify.coverageThreshold']);

      const dir = tempDir('clone');
      git(dir, ['clone', '-q', '--branch', BRANCH, repo.dir, '.']);
      const r = await gate(dir, ['--base', start]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(r.body.ok);
      if (!r.body.ok) return;
      const contract = r.body.tasks[0]!.contract!;
      assert.deepEqual(
        contract.adopted?.map((a) => [a.seq, a.file, a.by]),
        [[adoption.seq, '.autopilot/evidence/T-1/contract.2.yaml', 'person:tester']],
      );
      const v = r.body.tasks[0]!.verify;
      assert.ok(!('skipped' in v) && v.coverage?.threshold === 60, 'VERIFY is re-run under the adopted contract');
    });

    it('an adoption no passkey signed is a forged decision: the gate fails at it, LEDGER_TAMPERED', async () => {
      const repo = await makeRepo();
      const start = git(repo.dir, ['rev-parse', 'HEAD']).trim();
      git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
      await repo.driveTo('T-1', 'VERIFY');
      repo.editConfig((c) => void ((c['verify'] as Record<string, unknown>)['coverageThreshold'] = 60));
      // Appended with the installation key but without a person's passkey assertion, as a modified copy could.
      const forged = await repo.withEngine(async (engine) => {
        const state = (await engine.store.getTask('T-1'))!;
        const r = await engine.store.transact((tx) =>
          adoptContract(engine, tx, state, { id: 'person:tester' }, 'nobody decided this', {}),
        );
        assert.ok(r.ok, r.ok ? '' : r.error.message);
        return r.value.entry;
      });
      await repo.driveTo('T-1', 'PR');
      commit(repo.dir, 'T-1');

      const dir = tempDir('clone');
      git(dir, ['clone', '-q', '--branch', BRANCH, repo.dir, '.']);
      const problems = await gateFails(dir, 'LEDGER_TAMPERED', 3, ['--base', start]);
      findProblem(problems, {
        taskId: 'T-1',
        check: 'decision',
        seq: forged.seq,
        reason: /not a person's decision: a person's decision without a passkey assertion/,
      });
    });

    it('a passed phase whose evidence does not meet its contract fails the gate, though the chain is sound', async () => {
      const repo = await makeRepo();
      const start = git(repo.dir, ['rev-parse', 'HEAD']).trim();
      git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
      // A hollow strategy is stored (evidence add keeps what it is given, with its findings), and STRATEGIZE is
      // passed by a transition signed with the real key but appended without the gate, as a modified copy of
      // Autopilot could: every digest, signature and config digest checks out.
      await repo.driveTo('T-1', 'STRATEGIZE');
      await repo.put('T-1', 'STRATEGIZE', 'strategy.md', '# Strategy\n\n## Problem\n\nTBD\n');
      await repo.fixture('T-1', async (engine) => {
        const state = (await engine.store.getTask('T-1'))!;
        await engine.store.transact((tx) =>
          append(engine, tx, {
            taskId: 'T-1',
            kind: 'transition',
            fromPhase: 'STRATEGIZE',
            toPhase: 'SPEC',
            actor: 'fixture',
            artifacts: Object.values(state.artifacts)
              .filter((a) => a.path.includes('/strategize/'))
              .map(({ path, sha256, producer }) => ({ path, sha256, producer })),
            data: { configDigest: configDigest(engine.config) },
          }),
        );
      });
      await repo.driveTo('T-1', 'PR');
      commit(repo.dir, 'T-1');
      const passed = repo.ledger('T-1').find((e) => e.kind === 'transition' && e.fromPhase === 'STRATEGIZE')!;

      const dir = tempDir('clone');
      git(dir, ['clone', '-q', '--branch', BRANCH, repo.dir, '.']);
      const problems = await gateFails(dir, 'EVIDENCE_INVALID', 2, ['--base', start]);
      findProblem(problems, {
        taskId: 'T-1',
        check: 'evidence',
        seq: passed.seq,
        file: '.autopilot/evidence/T-1/strategize/strategy.md',
        reason: /STRATEGIZE was passed \(entry \d+\) on strategy\.md, which does not meet the task's contract/,
      });
      assert.equal(problems.length, 1, JSON.stringify(problems));
    });

    it('the branch vouches for nothing: a config weakened on it, a task started under it and a changed gate workflow fail', async () => {
      const repo = await makeRepo();
      const start = git(repo.dir, ['rev-parse', 'HEAD']).trim();
      git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
      repo.editConfig((c) => void ((c['verify'] as Record<string, unknown>)['coverageThreshold'] = 0));
      commit(repo.dir, 'config: no coverage asked for');
      await repo.driveTo('T-1', 'PR');
      commit(repo.dir, 'T-1');
      const started = repo.ledger('T-1').find((e) => e.kind === 'task_started')!;

      const dir = tempDir('clone');
      git(dir, ['clone', '-q', '--branch', BRANCH, repo.dir, '.']);
      const problems = await gateFails(dir, 'CONFIG_CHANGED', 2, ['--base', start]);
      findProblem(problems, {
        taskId: 'T-1',
        check: 'inputs',
        seq: started.seq,
        file: BUNDLE,
        reason: /T-1 was started under a config .* that is not the base branch's .* and that no person adopted/,
      });
      findProblem(problems, {
        taskId: null,
        check: 'inputs',
        file: '.autopilot/config.yaml',
        reason: /the branch changes \.autopilot\/config\.yaml .* and no person adopted the new config/,
      });
      assert.equal(problems.length, 2, JSON.stringify(problems));
    });

    it("a branch that changes the gate's own workflow fails, however well its task went", async () => {
      const repo = await makeRepo();
      const start = git(repo.dir, ['rev-parse', 'HEAD']).trim();
      git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
      const wf = '.github/workflows/autopilot-gate.yml';
      assert.ok(existsSync(repo.path(wf)), 'init wrote the workflow on main');
      repo.write(wf, readFileSync(repo.path(wf), 'utf8').replace(/gate --base/, 'gate --help --base'));
      commit(repo.dir, 'a gate that never fails');
      await repo.driveTo('T-1', 'PR');
      commit(repo.dir, 'T-1');
      const dir = tempDir('clone');
      git(dir, ['clone', '-q', '--branch', BRANCH, repo.dir, '.']);
      const problems = await gateFails(dir, 'CONFIG_CHANGED', 2, ['--base', start]);
      findProblem(problems, { taskId: null, check: 'inputs', file: wf, reason: /changes the gate's own workflow/ });
      assert.equal(problems.length, 1, JSON.stringify(problems));
    });

    it('the contract is Autopilot evidence: recorded at start; an edit of it is caught by advance and ledger verify', async () => {
      const repo = await makeRepo();
      const started = await repo.ok<{ task: { artifacts: Record<string, { producer: string; sha256: string }> } }>([
        'task',
        'start',
        'T-1',
      ]);
      const rel = 'evidence/T-1/contract.yaml';
      const abs = join(repo.stateDir, rel);
      const entry = repo.ledger('T-1').find((e) => e.kind === 'task_started')!;
      assert.deepEqual(entry.artifacts, [{ path: rel, sha256: sha256Hex(readFileSync(abs)), producer: 'autopilot' }]);
      assert.equal(started.task.artifacts[rel]?.producer, 'autopilot');
      // The agent writes a weaker contract of its own over it.
      writeFileSync(abs, readFileSync(abs, 'utf8').replace('coverageThreshold: 80', 'coverageThreshold: 0'));
      assert.notEqual(sha256Hex(readFileSync(abs)), entry.artifacts[0]!.sha256);
      await repo.put('T-1', 'STRATEGIZE', 'strategy.md', P.AGENT_EVIDENCE['STRATEGIZE']![0]![1]);
      const refused = await repo.refused(['advance', 'T-1'], 'LEDGER_TAMPERED', 3);
      assert.match(refused.message, /evidence\/T-1\/contract\.yaml/);
      const verify = await repo.json<{ ok: boolean; problems?: { path?: string }[] }>(['ledger', 'verify']);
      assert.equal(verify.code, 3, verify.stdout);
      assert.ok(verify.stdout.includes(rel), verify.stdout);
    });
  });

  describe('a repository whose .gitignore has *.log', { concurrency: true }, () => {
    let logRepo: Repo;
    let logBase: string;
    const LOG = '.autopilot/evidence/T-1/verify/build_output.log';

    before(async () => {
      const dir = makeProject();
      writeFileSync(join(dir, '.gitignore'), `${readFileSync(join(dir, '.gitignore'), 'utf8')}*.log\n`);
      commit(dir, 'logs stay local');
      const plan = await planInit(dir, { commands: COMMANDS });
      if (!plan.ok) throw new Error(plan.error.message);
      await applyInit(plan.value, openStoreFor);
      commit(dir, 'autopilot init');
      logBase = git(dir, ['rev-parse', 'HEAD']).trim();
      git(dir, ['checkout', '-q', '-b', BRANCH]);
      logRepo = new Repo(dir, true);
      await logRepo.driveTo('T-1', 'PR');
      commit(dir, 'T-1, committed with git add -A as anyone would');
    });

    function logClone(): string {
      const dir = tempDir('clone');
      git(dir, ['clone', '-q', '--branch', BRANCH, logRepo.dir, '.']);
      return dir;
    }

    it("init's lines keep the evidence committable: build_output.log is committed and the gate passes", async () => {
      assert.ok(isIgnored(logRepo.dir, 'server.log'), "the repository's own pattern still applies elsewhere");
      assert.equal(isIgnored(logRepo.dir, LOG), false);
      assert.ok(git(logRepo.dir, ['ls-files']).split('\n').includes(LOG));
      const r = await gate(logClone(), ['--base', logBase]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.body.ok, true);
    });

    it('a recorded file left out of the commit is EVIDENCE_MISSING (exit 2), naming the pattern that hid it and the fix', async () => {
      // As in a repository set up before init wrote the state folder's own .gitignore: *.log wins again.
      const dir = logClone();
      git(dir, ['rm', '-q', '--', '.autopilot/.gitignore']);
      git(dir, ['rm', '-q', '--cached', '--', LOG]);
      commit(dir, 'without the evidence .gitignore');
      assert.ok(isIgnored(dir, LOG));
      const problems = await gateFails(dir, 'EVIDENCE_MISSING', 2, ['--base', logBase]);
      const p = findProblem(problems, { taskId: 'T-1', check: 'evidence', code: 'EVIDENCE_MISSING', file: LOG });
      assert.match(p.reason, /not committed at HEAD/);
      assert.match(p.reason, /the \.gitignore pattern \*\.log \(\.gitignore:\d+\) hides it/);
      assert.match(p.reason, new RegExp(`git add -f ${LOG.replace(/\./g, '\\.')}`));
      assert.equal(typeof p.seq, 'number');
      assert.ok(
        problems.every((q) => q.code !== 'LEDGER_TAMPERED'),
        JSON.stringify(problems),
      );
      // Committed with different bytes it is still tampering.
      writeFileSync(join(dir, LOG), 'all green, trust me\n');
      git(dir, ['add', '-f', '--', LOG]);
      commit(dir, 'a log of my own');
      const tampered = await gateFails(dir, 'LEDGER_TAMPERED', 3, ['--base', logBase]);
      findProblem(tampered, { taskId: 'T-1', check: 'evidence', file: LOG, reason: /changed after entry/ });
    });
  });

  describe('init writes the CI job that runs the gate', { concurrency: true }, () => {
    it('GitHub Actions when there is no CI: shown by --dry-run, written once, the public keys not ignored even under *.pem', async () => {
      const repo = new Repo(makeProject());
      writeFileSync(repo.path('.gitignore'), `${readFileSync(repo.path('.gitignore'), 'utf8')}*.pem\nkeys/\n`);
      const dry = await repo.ok<{ changes: { path: string; action: string; after: string }[] }>(['init', '--dry-run']);
      const workflow = dry.changes.find((c) => c.path === '.github/workflows/autopilot-gate.yml');
      assert.equal(workflow?.action, 'create');
      const doc = parseYaml(workflow.after) as {
        on: unknown;
        jobs: {
          gate: {
            steps: { uses?: string; with?: Record<string, unknown>; run?: string; env?: Record<string, string> }[];
          };
        };
      };
      assert.ok(doc.on && typeof doc.on === 'object' && 'pull_request' in doc.on);
      const steps = doc.jobs.gate.steps;
      assert.equal(steps.find((s) => s.uses?.startsWith('actions/checkout'))?.with?.['fetch-depth'], 0);
      assert.equal(steps.find((s) => s.uses?.startsWith('actions/setup-node'))?.with?.['node-version'], 20);
      // The project does not have agent-autopilot among its dependencies: the job installs the version that
      // wrote it, then runs that install (never a bare npx, which would fetch another package).
      const runs = steps.flatMap((s) => (s.run ? [s.run] : []));
      assert.deepEqual(runs.slice(-2), [
        `npm install --global agent-autopilot@${packageVersion()}`,
        'autopilot gate --base ${{ github.event.pull_request.base.sha }}',
      ]);
      assert.ok(runs.every((r) => !runsBareNpx(r)));
      const gateStep = steps.find((s) => s.run === 'autopilot gate --base ${{ github.event.pull_request.base.sha }}');
      assert.deepEqual(
        gateStep?.env,
        { AUTOPILOT_TRUSTED_KEYS: '${{ vars.AUTOPILOT_TRUSTED_KEYS }}' },
        'the trusted keys come from a repository variable',
      );
      assert.equal(existsSync(repo.path('.github')), false, '--dry-run writes nothing');

      const first = await repo.ok<{ changes: { path: string; action: string }[] }>(['init']);
      assert.deepEqual(first.changes.find((c) => c.path === '.github/workflows/autopilot-gate.yml')?.action, 'create');
      assert.equal(readFileSync(repo.path('.github/workflows/autopilot-gate.yml'), 'utf8'), workflow.after);
      const files = repo.snapshot();
      const second = await repo.ok<{ changes: { path: string; action: string }[] }>(['init']);
      assert.deepEqual(
        second.changes.map((c) => c.action),
        second.changes.map(() => 'unchanged'),
      );
      assert.deepEqual(repo.snapshot(), files);
      assert.equal(isIgnored(repo.dir, '.autopilot/attestations/keys/0123456789abcdef.pub.pem'), false);
      assert.ok(isIgnored(repo.dir, '.autopilot/keys/private.pem'));
      assert.ok(isIgnored(repo.dir, 'elsewhere/server.pem'), "the repository's own patterns still apply elsewhere");
    });

    it('GitLab CI: a job file and an include appended to .gitlab-ci.yml; an existing include is left alone, with a note', async () => {
      const repo = new Repo(makeProject());
      const ci = 'stages: [test]\n\nunit:\n  stage: test\n  script:\n    - npm test\n';
      repo.write('.gitlab-ci.yml', ci);
      const first = await repo.ok<{ changes: { path: string; action: string }[]; notes: string[] }>(['init']);
      assert.deepEqual(
        first.changes
          .filter((c) => c.path.includes('gitlab') || c.path.includes('.github'))
          .map((c) => [c.path, c.action]),
        [
          ['.gitlab/autopilot-gate.gitlab-ci.yml', 'create'],
          ['.gitlab-ci.yml', 'update'],
        ],
      );
      assert.deepEqual(
        first.notes.filter((n) => /gitlab/i.test(n)),
        [],
      );
      const after = readFileSync(repo.path('.gitlab-ci.yml'), 'utf8');
      assert.ok(after.startsWith(ci));
      const parsed = parseYaml(after) as { include: { local: string }[]; unit: { script: string[] } };
      assert.deepEqual(parsed.include, [{ local: '.gitlab/autopilot-gate.gitlab-ci.yml' }]);
      assert.deepEqual(parsed.unit.script, ['npm test']);
      const job = parseYaml(readFileSync(repo.path('.gitlab/autopilot-gate.gitlab-ci.yml'), 'utf8')) as Record<
        string,
        { script: string[]; variables: Record<string, string> }
      >;
      assert.equal(job['autopilot-gate']?.variables['GIT_DEPTH'], '0');
      assert.deepEqual(job['autopilot-gate']?.script.slice(-2), [
        `npm install --global agent-autopilot@${packageVersion()}`,
        'autopilot gate --base "$CI_MERGE_REQUEST_DIFF_BASE_SHA"',
      ]);
      const files = repo.snapshot();
      const second = await repo.ok<{ changes: { action: string }[] }>(['init']);
      assert.ok(second.changes.every((c) => c.action === 'unchanged'));
      assert.deepEqual(repo.snapshot(), files);

      const other = new Repo(makeProject());
      const withInclude = 'include:\n  - local: ci/common.yml\n';
      other.write('.gitlab-ci.yml', withInclude);
      const plan = await other.ok<{ changes: { path: string; action: string }[]; notes: string[] }>([
        'init',
        '--dry-run',
      ]);
      assert.equal(
        plan.changes.find((c) => c.path === '.gitlab-ci.yml'),
        undefined,
      );
      assert.equal(plan.changes.find((c) => c.path === '.gitlab/autopilot-gate.gitlab-ci.yml')?.action, 'create');
      assert.match(plan.notes.join('\n'), /include:.*- local: \.gitlab\/autopilot-gate\.gitlab-ci\.yml/);
    });
  });
});
