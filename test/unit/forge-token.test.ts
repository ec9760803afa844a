/**
 * @module The forge token is Autopilot's alone: read from the dispatching process's environment or a 0600 file in the
 * per-user state folder, and never handed to an evidence command, even one whose spec names it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORGE_TOKEN_VARS, readForgeToken } from '../../src/engine/repo/forge.ts';
import { commandEnv } from '../../src/engine/evidence/producers/run-commands.ts';
import type { Engine } from '../../src/engine/context.ts';

const engineWith = (forgeTokenFile: string) => ({ layout: { user: { forgeTokenFile } } }) as unknown as Engine;

describe('the forge token', () => {
  it('comes from AUTOPILOT_FORGE_TOKEN first, then GITHUB_TOKEN', () => {
    const e = engineWith('/nonexistent/forge-token');
    assert.deepEqual(readForgeToken(e, { AUTOPILOT_FORGE_TOKEN: 'a', GITHUB_TOKEN: 'b' }), { ok: true, value: 'a' });
    assert.deepEqual(readForgeToken(e, { GITHUB_TOKEN: 'b' }), { ok: true, value: 'b' });
  });

  it("reads each forge's own variable after AUTOPILOT_FORGE_TOKEN, and names it when none is set", () => {
    const e = engineWith('/nonexistent/forge-token');
    const env = { GITHUB_TOKEN: 'gh', GITLAB_TOKEN: 'gl', GITEA_TOKEN: 'gt' };
    assert.deepEqual(readForgeToken(e, env, 'gitlab'), { ok: true, value: 'gl' });
    assert.deepEqual(readForgeToken(e, env, 'gitea'), { ok: true, value: 'gt' });
    assert.deepEqual(readForgeToken(e, { ...env, AUTOPILOT_FORGE_TOKEN: 'a' }, 'gitea'), { ok: true, value: 'a' });
    // Another forge's token is not this one's.
    const none = readForgeToken(e, { GITHUB_TOKEN: 'gh' }, 'gitlab');
    assert.equal(none.ok, false);
    if (!none.ok) assert.match(none.error.message, /set AUTOPILOT_FORGE_TOKEN \(or GITLAB_TOKEN\)/);
    for (const k of ['GITLAB_TOKEN', 'GITEA_TOKEN']) assert.ok(FORGE_TOKEN_VARS.includes(k), k);
  });

  it('else from the file in the per-user state, only when it is 0600; refused with the file named otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'forge-token-'));
    const file = join(dir, 'forge-token');
    const none = readForgeToken(engineWith(file), {});
    assert.equal(none.ok, false);
    if (!none.ok) {
      assert.equal(none.error.code, 'CONFIG_INVALID');
      assert.equal(none.error.details['key'], 'forge-token');
      assert.match(none.error.message, /set AUTOPILOT_FORGE_TOKEN \(or GITHUB_TOKEN\).*mode 0600/);
    }
    writeFileSync(file, 'ghp_secret_from_file\n');
    chmodSync(file, 0o644);
    const open = readForgeToken(engineWith(file), {});
    assert.equal(open.ok, false);
    if (!open.ok) {
      assert.match(open.error.message, /may be read by others \(mode 644\): chmod 600/);
      assert.doesNotMatch(open.error.message, /ghp_secret_from_file/);
    }
    chmodSync(file, 0o600);
    assert.deepEqual(readForgeToken(engineWith(file), {}), { ok: true, value: 'ghp_secret_from_file' });
  });

  it('is never in an evidence command environment, even when the command spec names it', () => {
    const saved = Object.fromEntries(FORGE_TOKEN_VARS.map((k) => [k, process.env[k]]));
    try {
      for (const k of FORGE_TOKEN_VARS) process.env[k] = `secret-${k}`;
      process.env['SOME_TOOL_HOME'] = '/opt/tool';
      const env = commandEnv({
        run: ['true'],
        env: [...FORGE_TOKEN_VARS, 'SOME_TOOL_HOME'],
        timeoutSeconds: 10,
      } as unknown as Parameters<typeof commandEnv>[0]);
      for (const k of FORGE_TOKEN_VARS) assert.equal(env[k], undefined, k);
      assert.equal(env['SOME_TOOL_HOME'], '/opt/tool', 'other named variables still pass');
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      delete process.env['SOME_TOOL_HOME'];
    }
  });
});
