/** The command line behind the wall: which invocations it refuses, and why, from the marker or the variable. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wallRefusal } from '../../src/surfaces/cli/wall-gate.ts';
import { isPersonVerb } from '../../src/core/wall.ts';

const INSIDE = { AUTOPILOT_WALL: '1' };

describe('the command line behind the wall', () => {
  it('runs everything outside the wall', () => {
    assert.equal(wallRefusal(['approve', 'T-1', '--reason', 'ok'], {}, false), undefined);
    assert.equal(wallRefusal(['--holder', 'x', 'lease', 'acquire', 'T-1'], {}, false), undefined);
  });

  it('answers help and version inside', () => {
    for (const args of [['--help'], ['--version'], ['task', 'status', '--help'], ['help'], []])
      assert.equal(wallRefusal(args, INSIDE, false), undefined, args.join(' '));
  });

  it("refuses a person's verbs, by the variable or by the marker alone", () => {
    for (const [args, shown] of [
      [['approve', 'T-1', '--reason', 'ok'], 'autopilot approve'],
      [['--json', 'reject', 'T-1'], 'autopilot reject'],
      [['attest', 'update'], 'autopilot attest update'],
      [['attest', 'baseline'], 'autopilot attest baseline'],
      [['store', 'copy', 'a', 'b'], 'autopilot store copy'],
      [['init', '--dry-run'], 'autopilot init'],
    ] as const) {
      for (const [env, marker] of [
        [INSIDE, false],
        [{}, true],
      ] as const) {
        const r = wallRefusal(args, env, marker);
        assert.equal(r?.code, 'TOOL_NOT_ALLOWED_IN_PHASE', args.join(' '));
        assert.ok(r?.message.startsWith(`${shown} is a person's decision`), r?.message);
      }
    }
    assert.equal(isPersonVerb('attest', 'check'), false);
  });

  it('refuses another holder, repository or store, and every other verb with the way forward', () => {
    for (const args of [
      ['--holder', 'agent-b', 'lease', 'acquire', 'T-1'],
      ['--holder=agent-b', 'advance', 'T-1'],
      ['-C', '/elsewhere', 'task', 'list'],
      ['--cwd', '/elsewhere', 'task', 'list'],
    ])
      assert.match(wallRefusal(args, INSIDE, false)?.message ?? '', /cannot name another holder, repository or store/);
    assert.match(
      wallRefusal(['task', 'status', 'T-1'], { ...INSIDE, AUTOPILOT_STORE: 'sqlite:/tmp/x' }, false)?.message ?? '',
      /AUTOPILOT_STORE/,
    );
    const plain = wallRefusal(['advance', 'T-1'], INSIDE, false);
    assert.equal(plain?.details['reason'], 'wall');
    assert.match(plain?.message ?? '', /^autopilot advance cannot run behind Autopilot's wall.*phase_advance/);
  });
});
