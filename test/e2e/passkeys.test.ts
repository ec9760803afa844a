/**
 * E2E (real repository, SQLite store, the binary for `ledger verify` and `gate`): a person's decision is a passkey
 * assertion. Forged decisions (an unregistered credential, a replayed assertion, a changed note, a changed diff
 * digest) are refused when offered, and flagged by `ledger verify` and the CI gate when written into the ledger by
 * someone holding the installation key. The passkey is a software one here; the dashboard tests use Chromium's.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { canonicalPayload, type LedgerEntry } from '../../src/core/ledger.ts';
import type { PersonDecision } from '../../src/core/decision.ts';
import { decide } from '../../src/engine/approvals/passkeys.ts';
import type { PasskeyProof } from '../../src/engine/ledger/passkeys.ts';
import { append } from '../../src/engine/ledger/record.ts';
import { keyIdOf, loadSigner, type Signer } from '../../src/engine/ledger/keys.ts';
import { sha256Hex } from '../../src/engine/repo/files.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { startTask } from '../../src/engine/task/start.ts';
import { advance } from '../../src/engine/task/advance.ts';
import { INTOTO_PAYLOAD_TYPE, preAuthEncoding, statementFor, type Envelope } from '../../src/core/dsse.ts';
import type { CiGateReport, CiProblem } from '../../src/engine/ci/gate.ts';
import { P, git, makeRepo, parseOne, run, tempDir, type Repo } from './helpers.ts';
import { decideSoft, registerSoft, signSoft, SoftPasskey } from '../helpers/passkey.ts';

type R<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string; details?: unknown } };
function must<T>(r: R<T>, what: string): T {
  if (!r.ok) throw new Error(`${what}: ${r.error.code} ${r.error.message}`);
  return r.value;
}
function refused(r: R<unknown>, pattern: RegExp): void {
  assert.equal(r.ok, false, 'refused');
  if (!r.ok) {
    assert.equal(r.error.code, 'APPROVAL_REQUIRED', r.error.message);
    assert.match(r.error.message, pattern);
  }
}

/** A task whose move into SPEC needs a person (every change is at least low risk), with Dana's passkey registered. */
async function waitingTask(): Promise<{ repo: Repo; dana: SoftPasskey }> {
  const repo = await makeRepo({ config: (c) => void (c['approvals'] = { enter: ['SPEC'], minRisk: 'low' }) });
  const dana = await repo.fixture('T-1', async (engine, actor) => {
    must(await startTask(engine, actor, { taskId: 'T-1', title: 'Count words' }), 'start');
    must(
      await putEvidence(engine, actor, {
        taskId: 'T-1',
        phase: 'STRATEGIZE',
        name: 'strategy.md',
        content: Buffer.from(P.STRATEGY),
      }),
      'put',
    );
    const moved = await advance(engine, actor, { taskId: 'T-1' });
    assert.equal(moved.ok ? '' : moved.error.code, 'APPROVAL_REQUIRED', 'the move waits for a person');
    return registerSoft(engine, 'Dana Reviewer');
  });
  return { repo, dana };
}

/** `ledger verify --json`: its exit code and problems. */
async function ledgerVerify(repo: Repo) {
  const r = await run(['--json', '-C', repo.dir, 'ledger', 'verify']);
  const body = parseOne<{
    ok: boolean;
    error?: { code: string; details: { problems: { kind: string; seq?: number; reason: string }[] } };
  }>(r);
  return { code: r.code, body, problems: body.error?.details.problems ?? [] };
}

describe('passkey decisions', { concurrency: true }, () => {
  it('the engine refuses a forged decision: unregistered credential, replayed assertion, changed note, changed diff digest, another task', async () => {
    const { repo, dana } = await waitingTask();
    await repo.withEngine(async (engine) => {
      const draft = { taskId: 'T-1', decision: 'approve' as const, note: 'strategy reviewed' };
      const head = (await engine.store.head())!.seq;

      // A credential nobody registered signs a real decision.
      const stranger = new SoftPasskey();
      refused(await decideSoft(engine, stranger, draft), /credential .* is not registered/);

      // Dana signs, then the decision is changed after signing.
      const signed = await signSoft(engine, dana, draft);
      const changedNote = { ...signed, decision: { ...signed.decision, note: 'ship it, no review needed' } };
      refused(await decide(engine, changedNote), /assertion does not verify/);
      const changedDiff = { ...signed, decision: { ...signed.decision, diff: sha256Hex('another diff') } };
      refused(await decide(engine, changedDiff), /assertion does not verify/);
      // Signed for one origin, sent as if from another.
      const elsewhere = await signSoft(engine, dana, draft);
      const moved = { ...elsewhere, decision: { ...elsewhere.decision, origin: 'http://localhost:4401' } };
      refused(await decide(engine, moved), /assertion does not verify/);
      assert.equal((await engine.store.head())!.seq, head, 'nothing was recorded');

      // The real one is recorded; sent again, it is a replay.
      const recorded = must(await decide(engine, signed), 'the signed decision');
      assert.equal(recorded.entry.actor, 'person:Dana Reviewer');
      assert.equal(recorded.entry.data['reason'], 'strategy reviewed');
      const proof = recorded.entry.data['passkey'] as PasskeyProof;
      assert.equal(proof.response.id, dana.credentialId);
      assert.equal(proof.registration.kind, 'person_registered');
      refused(await decide(engine, signed), /nonce was already used|counter/);

      // An assertion over one decision offered for another: the signature covers the whole decision.
      const other = await signSoft(engine, dana, { ...draft, decision: 'escalate', note: 'ask the platform team' });
      refused(
        await decide(engine, { decision: other.decision, response: signed.response }),
        /assertion does not verify/,
      );
      must(await decide(engine, other), 'the escalation as signed');
      assert.equal((await engine.store.head())!.seq, head + 2, 'two decisions, nothing else');
    });
    const verified = await ledgerVerify(repo);
    assert.equal(verified.code, 0, JSON.stringify(verified.body));
  });

  it('a decision is stale once the diff or the task moved on since it was prepared', async () => {
    const { repo, dana } = await waitingTask();
    await repo.withEngine(async (engine) => {
      const signed = await signSoft(engine, dana, { taskId: 'T-1', decision: 'approve', note: 'looks fine' });
      repo.write('src/sneaky.js', 'export const x = 1;\n');
      refused(await decide(engine, signed), /diff of T-1 changed since the decision was prepared/);
    });
  });

  it('approve and reject at a terminal record nothing: they name the decision page and refuse, token or not', async () => {
    const { repo } = await waitingTask();
    const head = repo.head();
    const approve = await repo.json<{ ok: false; error: { code: string; message: string; details: { url: string } } }>(
      ['approve', 'T-1', '--reason', 'I approve my own work'],
      { env: { AUTOPILOT_APPROVAL_TOKEN: 'anything' } },
    );
    assert.equal(approve.code, 2);
    assert.equal(approve.body.error.code, 'APPROVAL_REQUIRED');
    assert.equal(approve.body.error.details.url, 'http://localhost:4400/approvals#task-T-1');
    assert.match(approve.body.error.message, /passkey assertion, which a terminal cannot make/);
    const reject = await repo.json<{ error: { code: string; details: { url: string; decision: string } } }>([
      'reject',
      'T-1',
      '--abort',
      '--reason',
      'stop',
      '--port',
      '4401',
    ]);
    assert.equal(reject.code, 2);
    assert.deepEqual(
      [reject.body.error.details.decision, reject.body.error.details.url],
      ['abort', 'http://localhost:4401/approvals#task-T-1'],
    );
    const unknown = await repo.json<{ error: { code: string } }>(['approve', 'T-9', '--reason', 'x']);
    assert.equal(unknown.body.error.code, 'TASK_UNKNOWN');
    assert.deepEqual(repo.head(), head, 'nothing was recorded');
    const help = await repo.run(['approve', '--help']);
    assert.match(help.stdout, /WebAuthn \(passkey\) assertion/);
  });

  it('ledger verify flags decisions written into the ledger by hand: wrong credential, replayed assertion, changed note, changed diff digest, no assertion at all', async () => {
    const { repo, dana } = await waitingTask();
    const forged = await repo.withEngine(async (engine) => {
      const good = must(
        await decideSoft(engine, dana, { taskId: 'T-1', decision: 'escalate', note: 'needs the platform team' }),
        'a real decision',
      ).entry;
      const proof = good.data['passkey'] as PasskeyProof;
      const stranger = new SoftPasskey();
      const strangers = await signSoft(engine, stranger, {
        taskId: 'T-1',
        decision: 'approve',
        note: 'I approve my own work',
      });
      // Whoever holds the installation key can append anything; each of these must still be caught.
      const write = (data: Record<string, unknown>, actor = 'person:Dana Reviewer') =>
        engine.store.transact((tx) =>
          append(engine, tx, {
            taskId: 'T-1',
            kind: 'approval',
            fromPhase: 'STRATEGIZE',
            toPhase: 'SPEC',
            actor,
            artifacts: [],
            data: { by: actor, ...data },
          }),
        );
      const base = (d: PersonDecision) => ({
        action: 'approved',
        reason: d.note,
        diff: d.diff,
        ...(d.answers !== null ? { answers: d.answers } : {}),
      });
      const wrongCredential = await write({
        ...base(strangers.decision),
        passkey: { ...strangers, registration: proof.registration },
      });
      const replayed = await write({ ...good.data, passkey: proof }); // the same signed decision again
      const note = { ...proof.decision, decision: 'approve' as const, note: 'approved, all good' };
      const changedNote = await write({ ...base(note), passkey: { ...proof, decision: note } });
      const digest = { ...proof.decision, decision: 'approve' as const, diff: sha256Hex('a smaller diff') };
      const changedDiff = await write({ ...base(digest), passkey: { ...proof, decision: digest } });
      const bare = await write({ action: 'approved', reason: 'trust me' });
      const agent = await write({ action: 'approved', reason: 'self-approved' }, 'agent:claude');
      return { wrongCredential, replayed, changedNote, changedDiff, bare, agent };
    });
    const v = await ledgerVerify(repo);
    assert.equal(v.code, 3, JSON.stringify(v.body));
    assert.equal(v.body.error?.code, 'LEDGER_TAMPERED');
    const reasonOf = (x: LedgerEntry) => {
      const p = v.problems.find((q) => q.kind === 'decision' && q.seq === x.seq);
      assert.ok(p, `entry ${x.seq} is flagged: ${JSON.stringify(v.problems)}`);
      return p.reason;
    };
    assert.match(reasonOf(forged.wrongCredential), /credential .* is not registered/);
    assert.match(reasonOf(forged.replayed), /nonce was already used by entry/);
    assert.match(reasonOf(forged.changedNote), /assertion does not verify/);
    assert.match(reasonOf(forged.changedDiff), /assertion does not verify/);
    assert.match(reasonOf(forged.bare), /without a passkey assertion/);
    assert.match(reasonOf(forged.agent), /without a passkey assertion/);
    assert.equal(v.problems.length, 6, 'the real decision verifies');
  });

  describe('the CI gate', () => {
    let source: Repo;
    let base: string;
    let key: Signer;
    const BUNDLE = '.autopilot/attestations/T-1.jsonl';

    before(async () => {
      const made = await waitingTask();
      source = made.repo;
      // The approvals policy is the base branch's: the gate takes the config from there.
      git(source.dir, ['add', '.autopilot/config.yaml']);
      git(source.dir, ['commit', '-q', '-m', 'approvals: a person approves the move into SPEC']);
      base = git(source.dir, ['rev-parse', 'HEAD']).trim();
      git(source.dir, ['checkout', '-q', '-b', 'task/T-1']);
      await source.withEngine(async (engine) =>
        must(
          await decideSoft(engine, made.dana, { taskId: 'T-1', decision: 'approve', note: 'strategy agreed' }),
          'ok',
        ),
      );
      await source.driveTo('T-1', 'PR');
      key = loadSigner(source.userState.keysDir);
      git(source.dir, ['add', '-A']);
      git(source.dir, ['commit', '-q', '-m', 'T-1 with its bundle']);
    });

    const clone = () => {
      const dir = tempDir('clone');
      git(dir, ['clone', '-q', '--branch', 'task/T-1', source.dir, '.']);
      return dir;
    };
    const gate = async (dir: string, env: Record<string, string> = {}) => {
      const r = await run(['--json', '-C', dir, 'gate', '--base', base], { env });
      return {
        code: r.code,
        body: parseOne<({ ok: true } & CiGateReport) | { ok: false; error: { code: string; details: CiGateReport } }>(
          r,
        ),
      };
    };
    const entriesOf = (dir: string): LedgerEntry[] =>
      git(dir, ['show', `HEAD:${BUNDLE}`])
        .trimEnd()
        .split('\n')
        .map(
          (l) =>
            (
              JSON.parse(Buffer.from((JSON.parse(l) as Envelope).payload, 'base64').toString('utf8')) as {
                predicate: LedgerEntry;
              }
            ).predicate,
        );
    /** Rewrites the bundle with `edit` applied, every later entry re-chained and re-signed with the real key. */
    const rewrite = (dir: string, edit: (x: LedgerEntry) => LedgerEntry) => {
      const out: LedgerEntry[] = [];
      for (const x of entriesOf(dir)) {
        const { hash: _h, signature: _s, ...rest } = edit(x);
        const prev = out.at(-1);
        const unsigned = prev ? { ...rest, prevHash: prev.hash } : rest;
        const hash = sha256Hex(canonicalPayload(unsigned));
        out.push({ ...unsigned, hash, signature: key.sign(hash) });
      }
      const lines = out.map((x) => {
        const payload = Buffer.from(JSON.stringify(statementFor(x)), 'utf8');
        const env: Envelope = {
          payloadType: INTOTO_PAYLOAD_TYPE,
          payload: payload.toString('base64'),
          signatures: [{ keyid: key.keyId, sig: key.signBytes(preAuthEncoding(INTOTO_PAYLOAD_TYPE, payload)) }],
        };
        return JSON.stringify(env);
      });
      const file = join(dir, BUNDLE);
      writeFileSync(file, `${lines.join('\n')}\n`);
      git(dir, ['commit', '-q', '-am', 'rewritten']);
    };

    it('passes a task whose move into SPEC relied on a passkey approval, and names the approval it checked', async () => {
      const dir = clone();
      const r = await gate(dir);
      assert.equal(r.code, 0, JSON.stringify(r.body));
      const moved = entriesOf(dir).find((x) => x.kind === 'transition' && x.toPhase === 'SPEC')!;
      const approval = entriesOf(dir).find((x) => x.seq === moved.data['approval'])!;
      assert.equal(approval.data['action'], 'approved');
      assert.equal(approval.actor, 'person:Dana Reviewer');
    });

    it('fails a changed note in the approval, re-signed with the real key: LEDGER_TAMPERED at that entry', async () => {
      const dir = clone();
      rewrite(dir, (x) =>
        x.kind === 'approval' && x.data['action'] === 'approved'
          ? { ...x, data: { ...x.data, reason: 'no review needed' } }
          : x,
      );
      const r = await gate(dir);
      assert.equal(r.code, 3);
      assert.equal(r.body.ok, false);
      if (r.body.ok) return;
      const p = r.body.error.details.problems.find((q: CiProblem) => q.check === 'decision');
      assert.ok(p, JSON.stringify(r.body.error.details.problems));
      assert.match(p.reason, /the note differs from the signed one/);
    });

    it('fails a move that needed a person when the approval it relied on is taken out: APPROVAL_REQUIRED', async () => {
      const dir = clone();
      rewrite(dir, (x) => {
        if (x.kind !== 'transition' || x.toPhase !== 'SPEC') return x;
        const { approval: _a, ...data } = x.data;
        return { ...x, data };
      });
      const r = await gate(dir);
      assert.equal(r.code, 2);
      assert.equal(r.body.ok ? '' : r.body.error.code, 'APPROVAL_REQUIRED');
      if (r.body.ok) return;
      const p = r.body.error.details.problems.find((q: CiProblem) => q.check === 'decision');
      assert.match(p?.reason ?? '', /STRATEGIZE → SPEC of a low-risk change needed a person's approval/);
    });

    it('a passkey registered by an entry signed with a key of its own: flagged once the trusted keys are pinned', async () => {
      // Whoever can push can make a key pair, commit its public half and sign a registration of their own credential.
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const mallory: Signer = {
        keyId: keyIdOf(publicKey),
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        sign: (hash) => sign(null, Buffer.from(hash, 'hex'), privateKey).toString('base64'),
        signBytes: (data) => sign(null, data, privateKey).toString('base64'),
      };
      const dir = clone();
      rewrite(dir, (x) => {
        const proof = x.data['passkey'] as PasskeyProof | undefined;
        if (!proof) return x;
        const { hash: _h, signature: _s, ...reg } = proof.registration;
        const unsigned = { ...reg, keyId: mallory.keyId };
        const hash = sha256Hex(canonicalPayload(unsigned));
        const registration = { ...unsigned, hash, signature: mallory.sign(hash) };
        return { ...x, data: { ...x.data, passkey: { ...proof, registration } } };
      });
      // Its own registration is no longer the one in the chain: uncommitted, the key is unknown.
      const unknown = await gate(dir);
      assert.equal(unknown.code, 3);
      const keysDir = join(dir, '.autopilot', 'attestations', 'keys');
      writeFileSync(join(keysDir, `${mallory.keyId}.pub.pem`), mallory.publicKeyPem);
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-q', '-m', 'a key of my own']);
      const pinned = await gate(dir, { AUTOPILOT_TRUSTED_KEYS: key.keyId });
      assert.equal(pinned.code, 3, JSON.stringify(pinned.body));
      if (pinned.body.ok) return;
      assert.ok(
        pinned.body.error.details.problems.some((p: CiProblem) =>
          new RegExp(`signed by key ${mallory.keyId}, which is not a trusted key`).test(p.reason),
        ),
        JSON.stringify(pinned.body.error.details.problems),
      );
    });
  });
});
