/**
 * @module Test isolation of the per-user state folder: imported first by the test helpers, it points this test
 * process (and every process it starts, which inherit its environment) at an XDG_STATE_HOME of its own, removed when
 * it exits, so that no test reads or writes the real ~/.local/state or another test file's keys and anchors. A process
 * started by a test that imports it again keeps the folder it was given.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOnExit } from './remove-on-exit.ts';

const MARK = 'autopilot-test-state-';

if (!(process.env['XDG_STATE_HOME'] ?? '').includes(MARK)) {
  const home = mkdtempSync(join(tmpdir(), MARK));
  process.env['XDG_STATE_HOME'] = home;
  if (process.env['AUTOPILOT_E2E_KEEP'] !== '1') removeOnExit(home);
}

/** This test process's XDG_STATE_HOME. */
export const STATE_HOME = process.env['XDG_STATE_HOME']!;
