/** @module The outbox's pure decisions: keys, backoff, who may claim a row, failures, a person's retry and drop; and git-only mode's config. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffMs,
  claimable,
  claimRow,
  decideOperator,
  deferRow,
  failRow,
  newOutboxRow,
  outboxKey,
  sentRow,
  type Backoff,
} from '../../src/core/outbox.ts';
import { defaultConfig, parseConfig, DEFAULT_EVIDENCE, GITHUB_EVIDENCE } from '../../src/core/config.ts';

const T0 = Date.UTC(2026, 0, 1);
const at = (s: number) => new Date(T0 + s * 1000);
const B: Backoff = { baseMs: 1000, maxMs: 5000, maxAttempts: 3, claimTtlMs: 60_000 };
const row = () => newOutboxRow('T-1', 7, 'push', { remote: 'origin' }, 7, at(0));

describe('outbox decisions', () => {
  it('keys a row by task, phase epoch and action', () => {
    assert.equal(outboxKey('T-1', 7, 'push'), 'T-1@7:push');
    assert.equal(row().key, 'T-1@7:push');
    assert.equal(row().state, 'pending');
  });

  it('puts a row off without counting the attempt, due again when its wait is over', () => {
    const claimed = claimRow(row(), 'tok', 'h', 1, at(0));
    assert.equal(claimed.attempts, 1);
    const put = deferRow(claimed, 'waiting for pr_template_filled.md', 2000, at(1));
    assert.equal(put.state, 'pending');
    assert.equal(put.attempts, 0);
    assert.equal(put.claimToken, null);
    assert.equal(put.lastError, 'waiting for pr_template_filled.md');
    assert.equal(claimable(put, at(2), false, B), false, 'a pending row waits for its time');
    assert.equal(claimable(put, at(3), false, B), true);
  });

  it('backs off 1, 2, 4 s and stays at the ceiling', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => backoffMs(n, B)),
      [1000, 2000, 4000, 5000, 5000],
    );
  });

  it('lets a pending row be claimed at once, a failed one after its backoff, a sending one when its dispatcher is gone or its claim old', () => {
    const r = row();
    assert.equal(claimable(r, at(0), false, B), true);
    const claimed = claimRow(r, 'tok', 'host-a', 10, at(1));
    assert.deepEqual([claimed.state, claimed.attempts, claimed.claimToken], ['sending', 1, 'tok']);
    assert.equal(claimable(claimed, at(2), false, B), false, 'a live dispatcher keeps its row');
    assert.equal(claimable(claimed, at(2), true, B), true, 'a dead one does not');
    assert.equal(claimable(claimed, at(61), false, B), true, 'nor one whose claim outlived its time');
    const failed = failRow(claimed, 'remote down', true, at(3), B);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.nextAt, at(4).toISOString());
    assert.equal(failed.claimToken, null);
    assert.equal(claimable(failed, at(3.5), false, B), false);
    assert.equal(claimable(failed, at(4), false, B), true);
    assert.equal(claimable(sentRow(failed, 9, at(5)), at(100), true, B), false);
  });

  it('stops a row after maxAttempts failures, or at once when no retry can help', () => {
    let r = row();
    for (let i = 1; i <= 3; i++) r = failRow(claimRow(r, `t${i}`, 'h', 1, at(i)), 'no', true, at(i), B);
    assert.equal(r.state, 'stopped');
    assert.equal(r.attempts, 3);
    assert.equal(failRow(claimRow(row(), 't', 'h', 1, at(1)), 'default branch', false, at(1), B).state, 'stopped');
  });

  it('lets a person retry a failed, stopped or dropped row and drop one not sent; refuses the rest with USAGE', () => {
    const stopped = failRow(claimRow(row(), 't', 'h', 1, at(1)), 'x', false, at(1), B);
    const retried = decideOperator(stopped, stopped.key, 'retry', at(2));
    assert.ok(retried.ok);
    assert.deepEqual([retried.value.state, retried.value.attempts, retried.value.lastError], ['pending', 0, null]);
    const dropped = decideOperator(row(), 'T-1@7:push', 'drop', at(2));
    assert.ok(dropped.ok);
    assert.equal(dropped.value.state, 'dropped');
    const sent = sentRow(claimRow(row(), 't', 'h', 1, at(1)), 9, at(2));
    for (const [r, op, says] of [
      [undefined, 'retry', /no outbox row T-1@7:push/],
      [sent, 'drop', /sent and recorded already/],
      [sent, 'retry', /sent and recorded already/],
      [claimRow(row(), 't', 'h', 1, at(1)), 'drop', /sending it now/],
      [row(), 'retry', /it is pending/],
    ] as const) {
      const d = decideOperator(r, 'T-1@7:push', op, at(3));
      assert.equal(d.ok, false);
      if (!d.ok) {
        assert.equal(d.error.code, 'USAGE');
        assert.match(d.error.message, says);
      }
    }
  });
});

describe('git-only mode in the config', () => {
  const prNames = (c: ReturnType<typeof defaultConfig>) => (c.evidence['PR'] ?? []).map((r) => r.name);

  it('is off by default and leaves the default contract (and its digest) alone', () => {
    const c = defaultConfig();
    assert.equal(c.pr, undefined);
    assert.ok(prNames(c).includes('pr_url.txt'));
  });

  it('asks PR for the pushed commit instead of a PR URL by default', () => {
    const r = parseConfig({ pr: { mode: 'git' } });
    assert.ok(r.ok);
    assert.deepEqual(r.value.pr, { mode: 'git', remote: 'origin' });
    assert.ok(!prNames(r.value).includes('pr_url.txt'));
    const pushed = r.value.evidence['PR']?.find((x) => x.name === 'pushed_commit.json');
    assert.equal(pushed?.producer, 'autopilot');
  });

  it('refuses a git-only config whose PR still needs pr_url.txt, or lacks pushed_commit.json, naming the key', () => {
    const withUrl = parseConfig({ pr: { mode: 'git' }, evidence: { PR: DEFAULT_EVIDENCE['PR'] } });
    assert.equal(withUrl.ok, false);
    if (!withUrl.ok) {
      assert.equal(withUrl.error.code, 'CONFIG_INVALID');
      assert.equal(withUrl.error.details['key'], 'evidence.PR.1');
      assert.match(withUrl.error.message, /replace pr_url\.txt with pushed_commit\.json/);
    }
    const without = parseConfig({ pr: { mode: 'git' }, evidence: { PR: [{ name: 'pr_template_filled.md' }] } });
    assert.equal(without.ok, false);
    if (!without.ok) assert.equal(without.error.details['key'], 'evidence.PR');
  });

  it('refuses a remote that is an option or a URL', () => {
    for (const remote of ['--upload-pack=touch x', 'https://example.com/x.git', '']) {
      const r = parseConfig({ pr: { mode: 'git', remote } });
      assert.equal(r.ok, false, remote);
      if (!r.ok) assert.equal(r.error.details['key'], 'pr.remote');
    }
  });
});

describe('github mode in the config', () => {
  const prRule = (c: ReturnType<typeof defaultConfig>, name: string) => c.evidence['PR']?.find((r) => r.name === name);

  it('asks PR for the URL the forge gave, written by Autopilot, and CI results with no red check', () => {
    const r = parseConfig({ pr: { mode: 'github', repository: 'acme/widgets', requiredChecks: ['build'] } });
    assert.ok(r.ok);
    assert.equal(prRule(r.value, 'pr_url.txt')?.producer, 'autopilot');
    assert.equal(prRule(r.value, 'pr_url.txt')?.required, true);
    assert.ok(prRule(r.value, 'ci_results.json')?.assert.some((a) => a.path === 'redChecks'));
    assert.equal(prRule(r.value, 'pushed_commit.json')?.producer, 'autopilot');
  });

  it('gives GitLab and Gitea the same contract as GitHub, and takes a GitLab subgroup path and a host list', () => {
    for (const mode of ['gitlab', 'gitea'] as const) {
      const r = parseConfig({ pr: { mode, requiredChecks: ['build'] } });
      assert.ok(r.ok, mode);
      assert.equal(prRule(r.value, 'pr_url.txt')?.producer, 'autopilot');
      assert.equal(prRule(r.value, 'pr_url.txt')?.required, true);
      assert.ok(prRule(r.value, 'ci_results.json')?.assert.some((a) => a.path === 'redChecks'));
    }
    const r = parseConfig({
      pr: {
        mode: 'auto',
        repository: 'acme/tools/widgets',
        forges: { 'git.example.com': 'gitea', 'gl.local:8443': 'gitlab' },
      },
    });
    assert.ok(r.ok);
    assert.deepEqual(r.value.pr?.forges, { 'git.example.com': 'gitea', 'gl.local:8443': 'gitlab' });
  });

  it('asks for the PR URL only when a forge gave one in auto mode', () => {
    const r = parseConfig({ pr: { mode: 'auto' } });
    assert.ok(r.ok);
    assert.equal(prRule(r.value, 'pr_url.txt')?.required, false);
    assert.equal(prRule(r.value, 'pushed_commit.json')?.required, true);
  });

  it('refuses a PR URL the agent would write, a bad repository or API URL, naming the key', () => {
    const agentUrl = parseConfig({
      pr: { mode: 'github' },
      evidence: {
        PR: [...(GITHUB_EVIDENCE['PR'] ?? []).filter((x) => x.name !== 'pr_url.txt'), { name: 'pr_url.txt' }],
      },
    });
    assert.equal(agentUrl.ok, false);
    if (!agentUrl.ok) assert.match(String(agentUrl.error.details['key']), /^evidence\.PR\.\d+\.producer$/);
    for (const [pr, key] of [
      [{ mode: 'github', repository: 'no-slash' }, 'pr.repository'],
      [{ mode: 'github', apiUrl: 'ftp://x' }, 'pr.apiUrl'],
      [{ mode: 'github', ciTimeoutSeconds: -1 }, 'pr.ciTimeoutSeconds'],
      [{ mode: 'bitbucket' }, 'pr.mode'],
      [{ mode: 'auto', forges: { 'git.example.com': 'bitbucket' } }, 'pr.forges.git.example.com'],
      [{ mode: 'auto', forges: { 'https://git.example.com': 'gitea' } }, 'pr.forges.https://git.example.com'],
    ] as const) {
      const r = parseConfig({ pr });
      assert.equal(r.ok, false, JSON.stringify(pr));
      if (!r.ok) assert.equal(r.error.details['key'], key);
    }
  });
});
