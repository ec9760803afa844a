/**
 * @module PR's CI from the forge reads the checks of the pull request's head commit, and of the commit Autopilot
 * pushed while the forge names no head yet (GitLab fills a new merge request's `sha` after it has looked at it).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { produceForgeCi } from '../../src/engine/evidence/producers/ci-forge.ts';
import type { Engine } from '../../src/engine/context.ts';
import type { TaskState } from '../../src/core/task.ts';
import type { Forge, ForgeCheck } from '../../src/ports/forge.ts';

const root = mkdtempSync(join(tmpdir(), 'ci-forge-'));
after(() => rmSync(root, { recursive: true, force: true }));

const PUSHED = 'a'.repeat(40);

/** An engine over a real evidence folder, whose forge answers with a pull request naming `headSha`. */
function setup(headSha: string) {
  const evidenceDir = mkdtempSync(join(root, 'evidence-'));
  mkdirSync(join(evidenceDir, 'T-1', 'pr'), { recursive: true });
  writeFileSync(
    join(evidenceDir, 'T-1', 'pr', 'pushed_commit.json'),
    JSON.stringify({ branch: 'task/T-1', commit: PUSHED }),
  );
  execFileSync('git', ['init', '-q', root]);
  const asked: string[] = [];
  const forge = {
    kind: 'gitlab',
    findOpenPull: async () => ({
      number: 1,
      url: 'https://gl.test/mr/1',
      headSha,
      headRef: 'task/T-1',
      baseRef: 'main',
    }),
    checks: async (sha: string): Promise<ForgeCheck[]> => {
      asked.push(sha);
      return [{ name: 'build', kind: 'check_run', state: 'success', detail: 'success', url: null }];
    },
  } as unknown as Forge;
  const engine = {
    config: {
      pr: { mode: 'gitlab', repository: 'acme/widgets', apiUrl: 'http://127.0.0.1:1', requiredChecks: ['build'] },
    },
    layout: { root, evidenceDir, user: { forgeTokenFile: join(root, 'none') } },
    forge: async () => forge,
  } as unknown as Engine;
  return { engine, asked };
}

describe("PR's CI from the forge", () => {
  const state = { taskId: 'T-1', phase: 'PR' } as TaskState;
  const quiet = { sleep: async () => undefined, progress: () => undefined };

  for (const [head, want] of [
    ['b'.repeat(40), 'b'.repeat(40)],
    ['', PUSHED],
  ] as const)
    it(`reads the checks of ${head ? 'the head the forge names' : 'the pushed commit while the forge names none'}`, async () => {
      const saved = process.env['GITLAB_TOKEN'];
      process.env['GITLAB_TOKEN'] = 'gl';
      try {
        const { engine, asked } = setup(head);
        const ci = JSON.parse((await produceForgeCi(engine, state, quiet.sleep, quiet.progress)).content);
        assert.deepEqual(asked, [want]);
        assert.equal(ci.commit, want);
        assert.equal(ci.passed, true);
      } finally {
        if (saved === undefined) delete process.env['GITLAB_TOKEN'];
        else process.env['GITLAB_TOKEN'] = saved;
      }
    });
});
