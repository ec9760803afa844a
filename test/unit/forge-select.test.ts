/**
 * @module Which forge a task's PR goes to: `pr.mode` names one, or `auto` reads it from the remote's URL in a real git
 * repository (github.com, gitlab.com, or a host in `pr.forges`); the API address follows the remote's host unless
 * `pr.apiUrl` names it; what cannot be told is refused with the key to set.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openForge, resolvePrMode } from '../../src/engine/repo/forge.ts';
import type { Engine } from '../../src/engine/context.ts';
import type { Forge, ForgeSpec } from '../../src/ports/forge.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A git repository whose origin is `url`, and an engine over it that records the spec a forge is opened with. */
function engineAt(url: string | null, pr: Record<string, unknown>) {
  const root = mkdtempSync(join(tmpdir(), 'forge-select-'));
  dirs.push(root);
  execFileSync('git', ['init', '-q', root]);
  if (url) execFileSync('git', ['-C', root, 'remote', 'add', 'origin', url]);
  const opened: ForgeSpec[] = [];
  const engine = {
    config: { pr: { remote: 'origin', ...pr } },
    layout: { root, user: { forgeTokenFile: join(root, 'no-token') } },
    forge: async (spec: ForgeSpec) => {
      opened.push(spec);
      return { kind: spec.kind } as Forge;
    },
  } as unknown as Engine;
  return { engine, opened };
}

/** Runs `f` with the forge token variables set as given, and the others unset. */
async function withTokens<T>(env: Record<string, string>, f: () => Promise<T>): Promise<T> {
  const names = ['AUTOPILOT_FORGE_TOKEN', 'GITHUB_TOKEN', 'GITLAB_TOKEN', 'GITEA_TOKEN'];
  const saved = Object.fromEntries(names.map((k) => [k, process.env[k]]));
  for (const k of names) delete process.env[k];
  Object.assign(process.env, env);
  try {
    return await f();
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

describe('the forge of a task', () => {
  it('auto mode follows the remote: github.com, gitlab.com, a configured host, else git-only', async () => {
    const forges = { 'git.example.com': 'gitea', 'gl.internal': 'gitlab' };
    for (const [url, want] of [
      ['git@github.com:acme/widgets.git', 'github'],
      ['https://gitlab.com/acme/tools/widgets.git', 'gitlab'],
      ['https://git.example.com/acme/widgets.git', 'gitea'],
      ['ssh://git@gl.internal/acme/widgets.git', 'gitlab'],
      ['https://code.example.org/acme/widgets.git', 'git'],
      ['file:///srv/widgets.git', 'git'],
    ] as const)
      assert.equal(await resolvePrMode(engineAt(url, { mode: 'auto', forges }).engine), want, url);
    assert.equal(await resolvePrMode(engineAt(null, { mode: 'auto' }).engine), 'git');
    assert.equal(await resolvePrMode(engineAt('https://gitlab.com/a/b', { mode: 'gitea' }).engine), 'gitea');
  });

  it('opens GitLab and Gitea at the API of the remote host, with their own token', async () => {
    const gl = engineAt('https://gitlab.com/acme/tools/widgets.git', { mode: 'auto' });
    const r1 = await withTokens({ GITLAB_TOKEN: 'gl-secret', GITHUB_TOKEN: 'gh' }, () => openForge(gl.engine));
    assert.ok(r1.ok);
    assert.deepEqual(gl.opened, [
      {
        kind: 'gitlab',
        repo: { owner: 'acme/tools', name: 'widgets' },
        apiUrl: 'https://gitlab.com/api/v4',
        token: 'gl-secret',
      },
    ]);
    const gt = engineAt('git@git.example.com:acme/widgets.git', {
      mode: 'auto',
      forges: { 'git.example.com': 'gitea' },
    });
    const r2 = await withTokens({ GITEA_TOKEN: 'gt-secret' }, () => openForge(gt.engine));
    assert.ok(r2.ok);
    assert.deepEqual(gt.opened[0], {
      kind: 'gitea',
      repo: { owner: 'acme', name: 'widgets' },
      apiUrl: 'https://git.example.com/api/v1',
      token: 'gt-secret',
    });
    // pr.repository and pr.apiUrl win over the remote (a file:// remote in front of a forge, as in the tests).
    const named = engineAt('file:///srv/widgets.git', {
      mode: 'gitlab',
      repository: 'g/s/w',
      apiUrl: 'http://127.0.0.1:1/api/v4',
    });
    assert.ok((await withTokens({ AUTOPILOT_FORGE_TOKEN: 'a' }, () => openForge(named.engine))).ok);
    assert.deepEqual(named.opened[0]?.repo, { owner: 'g/s', name: 'w' });
    assert.equal(named.opened[0]?.apiUrl, 'http://127.0.0.1:1/api/v4');
  });

  it('refuses, naming the key, when the forge, the repository, the API or the token cannot be told', async () => {
    const cases: [string | null, Record<string, unknown>, Record<string, string>, string, RegExp][] = [
      [
        'https://code.example.org/a/b.git',
        { mode: 'auto' },
        { GITHUB_TOKEN: 't' },
        'pr.mode',
        /no known forge.*pr\.forges/,
      ],
      [
        'file:///srv/w.git',
        { mode: 'gitea' },
        { GITEA_TOKEN: 't' },
        'pr.repository',
        /does not name a Gitea repository/,
      ],
      [
        'file:///srv/w.git',
        { mode: 'gitea', repository: 'a/b/c' },
        { GITEA_TOKEN: 't' },
        'pr.repository',
        /not a Gitea repository/,
      ],
      [
        'file:///srv/w.git',
        { mode: 'gitlab', repository: 'a/b' },
        { GITLAB_TOKEN: 't' },
        'pr.apiUrl',
        /set pr\.apiUrl.*\/api\/v4/,
      ],
      ['https://gitlab.com/a/b', { mode: 'gitlab' }, { GITHUB_TOKEN: 't' }, 'forge-token', /\(or GITLAB_TOKEN\)/],
    ];
    for (const [url, pr, env, key, message] of cases) {
      const { engine, opened } = engineAt(url, pr);
      const r = await withTokens(env, () => openForge(engine));
      assert.equal(r.ok, false, JSON.stringify(pr));
      if (!r.ok) {
        assert.equal(r.error.details['key'], key, JSON.stringify(pr));
        assert.match(r.error.message, message);
      }
      assert.deepEqual(opened, [], 'nothing is opened');
    }
  });
});
