/** @module Runs without a sandbox: the plain runner's workspace and outputs, and how the evidence says it was not sandboxed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRunner } from '../../src/adapters/process/index.ts';
import { isolationOf, logHeader, type CommandRecord } from '../../src/engine/evidence/producers/run-commands.ts';
import { removeOnExit } from '../helpers/remove-on-exit.ts';

const dir = mkdtempSync(join(tmpdir(), 'autopilot-plain-'));
removeOnExit(dir);

const req = {
  cwd: dir,
  env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
  timeoutMs: 10_000,
  maxOutputBytes: 1 << 20,
};

test('the plain runner works in cwd, removes the outputs before the command starts, and labels its isolation', async () => {
  mkdirSync(join(dir, 'reports'), { recursive: true });
  writeFileSync(join(dir, 'reports/junit.xml'), 'planted');
  const r = await new ProcessRunner({ isolation: 'none (sandbox.mode is off)' }).run({
    ...req,
    argv: ['/bin/sh', '-c', 'test -e reports/junit.xml && echo planted-seen; echo fresh > reports/junit.xml'],
    outputs: ['reports/junit.xml'],
  });
  assert.equal(r.exitCode, 0, r.output);
  assert.doesNotMatch(r.output, /planted-seen/);
  assert.equal(r.workspace, dir);
  assert.equal(r.isolation, 'none (sandbox.mode is off)');
  assert.equal(readFileSync(join(r.workspace, 'reports/junit.xml'), 'utf8'), 'fresh\n');
});

test('the plain runner refuses outputs outside cwd', async () => {
  await assert.rejects(new ProcessRunner().run({ ...req, argv: ['/bin/true'], outputs: ['../x'] }), /not inside/);
});

const record = (isolation: string): CommandRecord => ({
  name: 'x',
  argv: ['x'],
  exitCode: 0,
  signal: null,
  timedOut: false,
  durationMs: 1,
  startMs: 0,
  isolation,
  truncated: false,
});

test('the log header names the isolation, and shouts when there was none', () => {
  const sandboxed = logHeader([
    record('bwrap 0.8.0 (workspace: scratch copy)'),
    record('bwrap 0.8.0 (workspace: scratch copy)'),
  ]);
  assert.equal(sandboxed, '# isolation: bwrap 0.8.0 (workspace: scratch copy)\n');
  const none = logHeader([record('none (bubblewrap not available: bwrap not found)')]);
  assert.match(none, /^# isolation: none \(bubblewrap not available: bwrap not found\)\n/);
  assert.match(none, /NOT SANDBOXED/);
  assert.equal(isolationOf([record('a'), record('b'), record('a')]), 'a; b');
  assert.equal(isolationOf([]), 'no command ran');
});
