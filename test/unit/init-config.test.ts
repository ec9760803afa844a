/**
 * Unit: the config `init` writes. Every section of the defaults is there, each with a comment, and the text
 * parses back to exactly the defaults with the detected commands; a note for a test command that could not
 * be written stands where the command would be. The files init writes are the ones `task start` asks to
 * have committed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMap, parseDocument, type YAMLMap } from 'yaml';
import { defaultConfig, parseConfig } from '../../src/core/config.ts';
import { renderConfig } from '../../src/engine/setup/init.ts';

const COMMANDS = {
  test: {
    run: ['python3', '-m', 'pytest', '--junitxml=reports/junit.xml'],
    junit: 'reports/junit.xml',
    lcov: 'coverage/lcov.info',
  },
  lint: { run: ['python3', '-m', 'ruff', 'check', '.'] },
  smoke: [],
  ci: [],
};

describe('the config init writes', () => {
  it('spells out every section of the defaults, each with a comment', () => {
    const text = renderConfig({ commands: COMMANDS });
    const doc = parseDocument(text);
    assert.ok(isMap(doc.contents));
    const items = (doc.contents as YAMLMap).items;
    const keys = items.map((p) => String((p.key as { value: unknown }).value));
    assert.deepEqual([...keys].sort(), Object.keys(defaultConfig()).sort());
    for (const section of ['sandbox', 'tools', 'attest', 'approvals', 'store', 'alerts', 'slo'])
      assert.ok(keys.includes(section), `${section} is written`);
    for (const p of items) {
      const key = String((p.key as { value: unknown }).value);
      const comment =
        (p.key as { commentBefore?: string }).commentBefore ?? (key === 'version' ? doc.commentBefore : '');
      assert.ok(comment && comment.trim().length > 10, `${key} has a comment`);
    }
    assert.ok(
      text.includes('\n#   IMPLEMENT: [read, search, write:evidence, write:source, exec, exec:test]\n'),
      "the tools section's comment lists the default capabilities",
    );
    assert.ok(text.includes('GOCACHE, GOMODCACHE, PIP_CACHE_DIR'), "the sandbox section's comment names the caches");
    // Each evidence rule's filler checks are written out in full, not as anchors and aliases a person cannot edit apart.
    assert.doesNotMatch(text, /(^|\s)[&*]a\d+\b/m, 'no YAML anchors or aliases');
    assert.ok(text.includes('\n      distinctWords:\n'), 'a Markdown rule spells its distinctWords settings out');
    assert.ok(text.includes('groundedIn: the spec'), 'the evidence comment explains groundedIn');
  });

  it('parses back to the defaults with the commands it was given', () => {
    const parsed = parseConfig(parseDocument(renderConfig({ commands: COMMANDS })).toJS());
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error.message);
    const expected = parseConfig({ commands: COMMANDS });
    assert.ok(expected.ok);
    assert.deepEqual(parsed.value, expected.value);
    const bare = parseConfig(parseDocument(renderConfig()).toJS());
    assert.ok(bare.ok);
    assert.deepEqual(bare.value, defaultConfig());
    const moved = parseConfig(parseDocument(renderConfig({ stateDir: 'state' })).toJS());
    assert.ok(moved.ok);
    assert.equal(moved.value.stateDir, 'state');
  });

  it('a note for a test command that could not be written stands at the top of commands', () => {
    const text = renderConfig({
      commands: { smoke: [], ci: [] },
      commandNotes: { test: 'detected: unittest (python); no test command written\ninstall pytest' },
    });
    assert.match(
      text,
      /^commands:\n {2}# detected: unittest \(python\); no test command written\n {2}# install pytest\n {2}smoke: \[\]$/m,
    );
    const parsed = parseConfig(parseDocument(text).toJS());
    assert.ok(parsed.ok);
    assert.equal(parsed.value.commands.test, undefined);
  });
});
