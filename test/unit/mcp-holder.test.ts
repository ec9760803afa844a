/** Unit: the lease holder an MCP server takes, from its option, the environment or the session, in that order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveHolder, type HolderInputs } from '../../src/surfaces/mcp/holder.ts';

const inputs = (over: Partial<HolderInputs>): HolderInputs => ({
  option: undefined,
  env: {},
  transport: 'stdio',
  ...over,
});

describe('resolveHolder', () => {
  it('takes --holder, then AUTOPILOT_HOLDER, then Claude Code session over stdio, then the session', () => {
    const env = { AUTOPILOT_HOLDER: 'from-env', CLAUDE_CODE_SESSION_ID: 'c0ffee' };
    assert.deepEqual(resolveHolder(inputs({ option: ' agent-a ', env })), {
      ok: true,
      value: { holder: 'agent-a', source: '--holder' },
    });
    assert.deepEqual(resolveHolder(inputs({ env })), {
      ok: true,
      value: { holder: 'from-env', source: 'AUTOPILOT_HOLDER' },
    });
    assert.deepEqual(resolveHolder(inputs({ env: { CLAUDE_CODE_SESSION_ID: 'c0ffee' } })), {
      ok: true,
      value: { holder: 'claude:c0ffee', source: 'CLAUDE_CODE_SESSION_ID' },
    });
    assert.deepEqual(resolveHolder(inputs({})), { ok: true, value: { holder: undefined, source: 'session' } });
  });

  it("does not read Claude Code's session over HTTP, where it names whoever started the server", () => {
    const r = resolveHolder(inputs({ transport: 'http', env: { CLAUDE_CODE_SESSION_ID: 'c0ffee' } }));
    assert.deepEqual(r, { ok: true, value: { holder: undefined, source: 'session' } });
    const named = resolveHolder(inputs({ transport: 'http', option: 'agent-a' }));
    assert.deepEqual(named, { ok: true, value: { holder: 'agent-a', source: '--holder' } });
  });

  it('treats an empty value as absent and refuses a malformed one instead of falling through', () => {
    assert.deepEqual(resolveHolder(inputs({ option: '', env: { AUTOPILOT_HOLDER: 'b' } })), {
      ok: true,
      value: { holder: 'b', source: 'AUTOPILOT_HOLDER' },
    });
    for (const [over, argument] of [
      [{ option: '   ' }, 'holder'],
      [{ option: 'x'.repeat(201) }, 'holder'],
      [{ option: 'a\nb' }, 'holder'],
      [{ env: { AUTOPILOT_HOLDER: 'a\u0007' } }, 'AUTOPILOT_HOLDER'],
      [{ env: { CLAUDE_CODE_SESSION_ID: 'x'.repeat(300) } }, 'CLAUDE_CODE_SESSION_ID'],
    ] as const) {
      const r = resolveHolder(inputs(over));
      assert.equal(r.ok, false, JSON.stringify(over));
      if (r.ok) continue;
      assert.equal(r.error.code, 'USAGE');
      assert.deepEqual(r.error.details, { argument });
      assert.match(r.error.message, /1 to 200 printable characters/);
    }
    assert.equal(resolveHolder(inputs({ option: 'x'.repeat(200) })).ok, true);
  });
});
