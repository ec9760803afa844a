/** @module The forge's pure decisions: which repository a remote names, and the verdict on a commit's checks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  githubRepoOf,
  judgeChecks,
  pullBody,
  commentMarker,
  parseRepository,
  remoteForgeOf,
} from '../../src/core/forge.ts';
import type { ForgeCheck } from '../../src/ports/forge.ts';

const check = (name: string, state: ForgeCheck['state'], detail: string = state): ForgeCheck => ({
  name,
  kind: 'check_run',
  state,
  detail,
  url: null,
});

describe('forge decisions', () => {
  it('reads a github.com repository from https, ssh and scp-like remotes, and nothing else', () => {
    for (const url of [
      'https://github.com/acme/widgets.git',
      'https://x-access-token:abc@github.com/acme/widgets',
      'git@github.com:acme/widgets.git',
      'ssh://git@github.com/acme/widgets.git',
    ])
      assert.deepEqual(githubRepoOf(url), { owner: 'acme', name: 'widgets' }, url);
    for (const url of ['https://gitlab.com/acme/widgets.git', 'file:///tmp/x.git', 'https://github.com/acme', '../x'])
      assert.equal(githubRepoOf(url), null, url);
  });

  it('tells the forge and repository of a remote: github.com, gitlab.com with subgroups, and configured hosts', () => {
    const hosts = { 'git.example.com': 'gitea', 'gl.internal:8443': 'gitlab' } as const;
    const cases: [string, string | null, string?][] = [
      ['https://github.com/acme/widgets.git', 'github acme/widgets'],
      ['git@gitlab.com:acme/widgets.git', 'gitlab acme/widgets'],
      ['https://oauth2:tok@gitlab.com/acme/tools/widgets', 'gitlab acme/tools/widgets'],
      ['ssh://git@gitlab.com:2222/acme/widgets.git', 'gitlab acme/widgets'],
      ['https://git.example.com/acme/widgets.git', 'gitea acme/widgets'],
      ['git@GIT.example.com:acme/widgets', 'gitea acme/widgets'],
      ['https://gl.internal:8443/a/b/c.git', 'gitlab a/b/c'],
      // A host nobody named, a port the config does not name, a path too deep for Gitea, local paths: no forge.
      ['https://code.example.org/acme/widgets.git', null],
      ['https://gl.internal/a/b.git', null],
      ['https://git.example.com/a/b/c.git', null],
      ['https://github.com/acme', null],
      ['file:///tmp/x.git', null],
      ['/srv/git/x.git', null],
      ['https://gitlab.com/acme/../widgets', null],
    ];
    for (const [url, want] of cases) {
      const r = remoteForgeOf(url, hosts);
      assert.equal(r ? `${r.kind} ${r.repo.owner}/${r.repo.name}` : null, want, url);
    }
    assert.deepEqual(parseRepository('acme/tools/widgets', 'gitlab'), { owner: 'acme/tools', name: 'widgets' });
    assert.equal(parseRepository('acme/tools/widgets', 'gitea'), null);
    assert.equal(parseRepository('acme', 'gitlab'), null);
  });

  it('passes green checks with every required one there, and waits for pending or missing required ones', () => {
    assert.deepEqual(judgeChecks([check('build', 'success')], ['build'], false), {
      passed: true,
      waiting: [],
      redChecks: '',
    });
    const w = judgeChecks([check('build', 'pending', 'in_progress')], ['build', 'e2e'], false);
    assert.equal(w.passed, false);
    assert.deepEqual(w.waiting, ['build', 'e2e']);
    assert.equal(w.redChecks, '');
  });

  it('names red checks at once, and missing or still-running required ones when the wait is over', () => {
    const red = judgeChecks([check('build', 'failure', 'timed_out'), check('lint', 'success')], [], false);
    assert.equal(red.passed, false);
    assert.equal(red.redChecks, 'build (timed_out)');
    const late = judgeChecks([check('slow', 'pending', 'queued')], ['e2e'], true);
    assert.equal(late.passed, false);
    assert.equal(late.redChecks, 'e2e (missing), slow (still queued when the wait ended)');
    const none = judgeChecks([], [], true);
    assert.equal(none.passed, false, 'a commit no CI looked at is not green');
    assert.match(none.redChecks, /no check reported/);
  });

  it('puts the evidence summary, with its marker, under the agent template in the PR body', () => {
    const body = pullBody('## Summary\nx\n', {
      taskId: 'T-1',
      phases: ['SPEC', 'PLAN'],
      tests: { total: 3, failed: 0 },
      coverage: { changedPct: 90, meetsThreshold: true },
      ledgerHead: { seq: 7, hash: 'ab'.repeat(32) },
      bundle: { path: '.autopilot/attestations/T-1.jsonl', sha256: 'cd'.repeat(32) },
    });
    assert.ok(body.startsWith('## Summary\nx\n\n---\n\n'));
    assert.ok(body.includes(commentMarker('T-1')));
    assert.match(body, /Tests: 3 run, 0 failed/);
    assert.match(body, /Ledger head: #7/);
    assert.ok(
      body.includes(`Attestation bundle: \`.autopilot/attestations/T-1.jsonl\`, sha256 \`${'cd'.repeat(32)}\``),
    );
  });
});
