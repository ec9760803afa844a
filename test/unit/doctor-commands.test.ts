/**
 * Unit: what doctor finds in the way of a configured command starting, on a machine described by a probe:
 * the program, the programs an `sh -c` script runs (shell words and quoted text left alone), `python -m`'s
 * module, and a package binary that npx would fetch.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { commandStartProblems } from '../../src/engine/setup/doctor.ts';
import type { DetectProbe } from '../../src/engine/setup/detect.ts';
import { detectRepository } from '../../src/engine/setup/detect.ts';

const ROOT = mkdtempSync(join(tmpdir(), 'autopilot-doctor-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));
mkdirSync(join(ROOT, 'node_modules', '.bin'), { recursive: true });
writeFileSync(join(ROOT, 'node_modules', '.bin', 'vitest'), '#!/bin/sh\n', { mode: 0o755 });

const machine = (programs: string[], modules: string[] = []): DetectProbe => ({
  onPath: (name) => programs.includes(name),
  pythonHas: (_python, module) => modules.includes(module),
});

describe('doctor: can a configured command start?', () => {
  it('the program on PATH, or by path', () => {
    assert.deepEqual(commandStartProblems(ROOT, ['pytest'], machine(['pytest'])), []);
    assert.deepEqual(commandStartProblems(ROOT, ['python', '-m', 'pytest'], machine(['python3'])), [
      'python is not on PATH',
    ]);
    assert.deepEqual(commandStartProblems(ROOT, ['./gradlew', 'test'], machine([])), [
      './gradlew does not exist or cannot be run',
    ]);
  });

  it('python -m: the module must import; npx: the binary must be installed', () => {
    const probe = machine(['python3', 'npx'], ['pytest']);
    assert.deepEqual(commandStartProblems(ROOT, ['python3', '-m', 'pytest'], probe), []);
    assert.deepEqual(commandStartProblems(ROOT, ['python3', '-m', 'ruff', 'check', '.'], probe), [
      'python3 cannot import ruff (is it installed for this interpreter?)',
    ]);
    assert.deepEqual(commandStartProblems(ROOT, ['npx', 'vitest', 'run'], probe), []);
    assert.deepEqual(commandStartProblems(ROOT, ['npx', 'jest'], probe), [
      'jest is not installed in node_modules (npx would try to fetch it from the registry)',
    ]);
  });

  it("sh -c: each program the script runs, not the shell's own words, assignments or quoted text", () => {
    const detected = detectRepository(join(import.meta.dirname, '..', 'fixtures', 'repos', 'java-maven'));
    const maven = detected.testRunners[0]!.command.run;
    assert.deepEqual(commandStartProblems(ROOT, maven, machine(['sh', 'mkdir', 'sed'])), ['mvn is not on PATH']);
    assert.deepEqual(commandStartProblems(ROOT, maven, machine(['sh', 'mkdir', 'sed', 'mvn'])), []);
    const go = ['sh', '-c', 'mkdir -p reports && go test -count=1 -json ./... > reports/go-test.json'];
    assert.deepEqual(commandStartProblems(ROOT, go, machine(['sh', 'mkdir'])), ['go is not on PATH']);
  });
});
