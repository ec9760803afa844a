/** Unit: the compiled prompts' texts kept in the state folder, written once and read only while they match the ledger's digest. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { normalizeForDigest } from '../../src/core/drift.ts';
import { sha256Hex } from '../../src/engine/repo/files.ts';
import { promptsDir, readPromptText, storePromptText } from '../../src/engine/drift/prompt-text.ts';

const dirs: string[] = [];
const stateDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'prompt-text-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const TEXT = '# Autopilot: PLAN  \r\n\r\nBreak the work down.\n\n';
const SHA = sha256Hex(normalizeForDigest(TEXT));

describe('prompt texts', () => {
  it('stores the normalised text under its digest, with a .gitignore that keeps the folder out of commits', () => {
    const s = stateDir();
    storePromptText(s, TEXT, SHA);
    const file = join(promptsDir(s), `${SHA}.txt`);
    assert.equal(readFileSync(file, 'utf8'), '# Autopilot: PLAN\n\nBreak the work down.');
    assert.equal(sha256Hex(readFileSync(file)), SHA);
    assert.match(readFileSync(join(promptsDir(s), '.gitignore'), 'utf8'), /^\*$/m);
    assert.deepEqual(readPromptText(s, SHA), { state: 'matches', text: '# Autopilot: PLAN\n\nBreak the work down.' });
  });

  it('writes a text once: a second move with the same prompt leaves the file as it is', () => {
    const s = stateDir();
    storePromptText(s, TEXT, SHA);
    const file = join(promptsDir(s), `${SHA}.txt`);
    writeFileSync(file, 'edited');
    storePromptText(s, TEXT, SHA);
    assert.equal(readFileSync(file, 'utf8'), 'edited', 'not rewritten, so an edit stays visible as a mismatch');
    assert.deepEqual(readPromptText(s, SHA), { state: 'mismatch', sha256: sha256Hex('edited') });
  });

  it('reports a text never stored as missing, and ignores a digest that is not one', () => {
    const s = stateDir();
    assert.deepEqual(readPromptText(s, SHA), { state: 'missing' });
    storePromptText(s, TEXT, '../../escape');
    assert.throws(() => readdirSync(promptsDir(s)), /ENOENT/, 'nothing written for a malformed digest');
    assert.deepEqual(readPromptText(s, '../config.yaml'), { state: 'missing' });
  });
});
