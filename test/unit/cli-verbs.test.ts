/** The command line's verb table: every verb registered once, in order, each leaf routed through main's wrapper. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { registerVerbs, VERBS } from '../../src/surfaces/cli/commands/index.ts';
import type { Act } from '../../src/surfaces/cli/commands/shared.ts';

/** A wrapper standing in for main's: it counts what it wraps and records the positional arguments of each call. */
function recordingAct() {
  const rec = { wrapped: 0, calls: [] as unknown[][], act: undefined as unknown as Act };
  rec.act = () => {
    rec.wrapped++;
    return async (...args: unknown[]) => {
      rec.calls.push(args.slice(0, -2));
    };
  };
  return rec;
}

function program(act: Act): Command {
  const p = new Command('autopilot').exitOverride();
  registerVerbs(p, act);
  return p;
}

const leaves = (c: Command): Command[] => (c.commands.length ? c.commands.flatMap(leaves) : [c]);

describe('the verb table', () => {
  it('registers the verbs in the order of the table, each once', () => {
    const p = program(recordingAct().act);
    assert.deepEqual(
      p.commands.map((c) => c.name()),
      VERBS.map((v) => v.name),
    );
    assert.equal(new Set(VERBS.map((v) => v.name)).size, VERBS.length);
    for (const c of p.commands) assert.ok(c.description().length > 0, `${c.name()} has a description`);
  });

  it('routes every leaf verb through the wrapper it is handed, and only through it', async () => {
    const rec = recordingAct();
    const p = program(rec.act);
    const all = p.commands.flatMap(leaves);
    // lease acquire|renew|release, task start|list|…: one wrapped action per leaf, none left without one.
    assert.equal(rec.wrapped, all.length);
    assert.ok(all.length > VERBS.length, 'groups hold several verbs');
    await p.parseAsync(['advance', 'T-7', '--to', 'SPEC'], { from: 'user' });
    await p.parseAsync(['lease', 'renew', 'T-8'], { from: 'user' });
    await p.parseAsync(['evidence', 'check', 'T-9', 'PLAN'], { from: 'user' });
    assert.deepEqual(rec.calls, [['T-7'], ['T-8'], ['T-9', 'PLAN']]);
  });

  it('refuses a table whose registration adds another verb than it names', () => {
    const wrong = [{ name: 'advance', register: (p: Command) => void p.command('backtrack') }];
    assert.throws(
      () => registerVerbs(new Command('autopilot'), recordingAct().act, wrong),
      /the registration of advance added backtrack/,
    );
    assert.throws(
      () => registerVerbs(new Command('autopilot'), recordingAct().act, [{ name: 'gate', register: () => {} }]),
      /the registration of gate added nothing/,
    );
  });
});
