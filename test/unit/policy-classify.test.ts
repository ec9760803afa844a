import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CAPABILITIES, isCapability, sortCapabilities } from '../../src/core/policy/capabilities.ts';
import { classifyToolCall } from '../../src/core/policy/classify.ts';
import { reasonsOf } from '../../src/core/policy/findings.ts';
import { patchPaths } from '../../src/core/policy/patch.ts';
import { classifyPath, normalizeAbsolute, resolvePath } from '../../src/core/policy/paths.ts';
import { sedEffect } from '../../src/core/policy/sed-script.ts';
import { decodeAnsiC } from '../../src/core/policy/shell-words.ts';
import { classifyShell, MAX_SHELL_SOURCE } from '../../src/core/policy/shell.ts';
import { splitMcpName } from '../../src/core/policy/mcp.ts';
import { parseOptions } from '../../src/core/policy/options.ts';
import { plainWord } from '../../src/core/policy/shell-words.ts';
import { splitGitWords } from '../../src/core/policy/git.ts';
import mvdan from 'mvdan-sh';
import { parseBash, walk } from '../../src/core/policy/shell-ast.ts';
import { TABLE, TABLE_CONTEXT } from './policy-table.ts';

describe('policy table: every real-world tool call classifies as expected', () => {
  it('holds at least 150 rows, Bash and every client', () => {
    assert.ok(TABLE.length >= 150, `only ${TABLE.length} rows`);
    for (const client of ['claude', 'codex', 'cursor', 'mcp', 'generic'] as const) {
      assert.ok(
        TABLE.some((r) => r.call.client === client),
        `no row for ${client}`,
      );
    }
    const names = TABLE.map((r) => r.name);
    assert.equal(
      new Set(names).size,
      names.length,
      `duplicate row names: ${names.filter((n, i) => names.indexOf(n) !== i).join(', ')}`,
    );
  });
  for (const row of TABLE) {
    it(row.name, () => {
      const c = classifyToolCall(row.call, TABLE_CONTEXT);
      const shown = JSON.stringify(c, null, 1);
      assert.equal(c.unknown, row.unknown ?? false, `unknown: ${shown}`);
      if (row.caps) assert.deepEqual(c.capabilities, sortCapabilities(row.caps), `capabilities: ${shown}`);
      for (const p of row.paths ?? []) assert.ok(c.paths?.includes(p), `path ${p}: ${shown}`);
      assert.ok(reasonsOf(c).length > 0, 'every classification explains itself');
    });
  }
});

describe('capabilities', () => {
  it('lists the twelve capabilities and recognizes them', () => {
    assert.equal(CAPABILITIES.length, 12);
    assert.ok(isCapability('vcs:push'));
    assert.ok(!isCapability('vcs:force'));
    assert.deepEqual(sortCapabilities(['deploy', 'read', 'read']), ['read', 'deploy']);
  });
});

describe('classifier building blocks', () => {
  it('decodes ANSI-C strings like bash', () => {
    assert.equal(decodeAnsiC('\\x67it'), 'git');
    assert.equal(decodeAnsiC('\\147\\151\\164'), 'git');
    assert.equal(decodeAnsiC('\\u00e9\\U0001F600'), 'é😀');
    assert.equal(decodeAnsiC("a\\tb\\nc\\\\d\\'e"), "a\tb\nc\\d'e");
    assert.equal(decodeAnsiC('\\cA'), '\x01');
    assert.equal(decodeAnsiC('git\\x00push'), 'git', 'a NUL ends the string');
    assert.equal(decodeAnsiC('\\q'), '\\q', 'an unknown escape stays');
  });
  it('resolves paths with string operations only', () => {
    assert.equal(normalizeAbsolute('/a/./b//c/../d'), '/a/b/d');
    assert.equal(normalizeAbsolute('/../../x'), '/x');
    assert.equal(resolvePath('x/../y', '/repo'), '/repo/y');
    assert.equal(resolvePath('/etc/passwd', '/repo'), '/etc/passwd');
    const scope = { repoRoot: '/repo/', evidenceDir: '.autopilot/evidence/T-1', stateDir: '.autopilot' };
    assert.equal(classifyPath('.autopilot/evidence/T-1', '/repo', scope).kind, 'evidence');
    assert.equal(classifyPath('.autopilot/evidence/T-10/a', '/repo', scope).kind, 'state');
    assert.equal(classifyPath('/dev/null', '/repo', scope).kind, 'device');
    assert.equal(classifyPath('/tmp/../repo/src/a.ts', '/repo', scope).kind, 'source');
    assert.equal(
      classifyPath('a', '/repo', { repoRoot: '/repo', evidenceDir: '' }).kind,
      'source',
      'an empty evidence dir holds nothing',
    );
    assert.equal(
      classifyPath('a', '/repo', { repoRoot: '/repo', evidenceDir: '.' }).kind,
      'source',
      'the root is never the evidence folder',
    );
  });
  it('scans sed scripts for w and e', () => {
    assert.deepEqual(sedEffect('s/a/b/g'), { kind: 'read' });
    assert.deepEqual(sedEffect('1,20p;/x/d'), { kind: 'read' });
    assert.deepEqual(sedEffect('s/a/b/w out.txt'), { kind: 'write', file: 'out.txt' });
    assert.deepEqual(sedEffect('1w out.txt'), { kind: 'write', file: 'out.txt' });
    assert.deepEqual(sedEffect('s/a/date/e'), { kind: 'exec' });
    assert.deepEqual(sedEffect('e ls'), { kind: 'exec' });
    assert.deepEqual(sedEffect('s|/usr|/opt|g'), { kind: 'read' });
  });
  it('reads apply_patch headers', () => {
    assert.deepEqual(
      patchPaths(
        '*** Begin Patch\n*** Add File: a.md\n+x\n*** Update File: b.ts\n*** Move to: c.ts\n*** Delete File: d.ts\n*** End Patch',
      ),
      ['a.md', 'b.ts', 'c.ts', 'd.ts'],
    );
    assert.equal(patchPaths('nothing here'), undefined);
  });
  it('splits MCP names', () => {
    assert.deepEqual(splitMcpName('mcp__autopilot__phase_advance'), { server: 'autopilot', tool: 'phase_advance' });
    assert.deepEqual(splitMcpName('mcp__my_server__do__it'), { server: 'my_server', tool: 'do__it' });
    assert.equal(splitMcpName('mcp__broken'), undefined);
    assert.equal(splitMcpName('Bash'), undefined);
  });
  it('parses options like getopt', () => {
    const p = parseOptions(['-u', 'root', '-H', 'git', 'push'].map(plainWord), { short: 'u' });
    assert.deepEqual(
      p.options.map((o) => [o.name, o.value?.text]),
      [
        ['-u', 'root'],
        ['-H', undefined],
      ],
    );
    assert.equal(p.firstOperand, 3);
    const q = parseOptions(['-uroot', '--', '-x'].map(plainWord), { short: 'u' });
    assert.equal(q.options[0]?.value?.text, 'root');
    assert.deepEqual(
      q.operands.map((w) => w.text),
      ['-x'],
    );
    const r = parseOptions(['a', '-f', 'b', '--out=c'].map(plainWord), { permute: true });
    assert.deepEqual(
      r.operands.map((w) => w.text),
      ['a', 'b'],
    );
    assert.deepEqual(
      r.options.map((o) => o.name),
      ['-f', '--out'],
    );
  });
  it('splits git alias values', () => {
    assert.deepEqual(splitGitWords(`commit -m "a b" 'c d' e\\ f`), ['commit', '-m', 'a b', 'c d', 'e f']);
  });
  it('treats an overlong command line as unknown without parsing it', () => {
    const f = classifyShell(`echo ${'a'.repeat(MAX_SHELL_SOURCE)}`, TABLE_CONTEXT);
    assert.equal(f.result().unknown, true);
  });
  it('stops following nested scripts at a fixed depth', () => {
    let cmd = 'git push';
    for (let i = 0; i < 10; i++) cmd = `bash -c ${JSON.stringify(cmd)}`;
    const c = classifyShell(cmd, TABLE_CONTEXT).result();
    assert.equal(c.unknown, true);
  });
  it('never throws on odd input', () => {
    for (const input of [null, 42, 'x', [], { command: 42 }, { command: ['git', 1] }, '{"command":"ls"}']) {
      for (const tool of [
        'Bash',
        'shell',
        'Write',
        'apply_patch',
        'beforeMCPExecution',
        'write_stdin',
        'mcp__autopilot__task_status',
      ]) {
        const c = classifyToolCall({ client: 'generic', tool, input }, TABLE_CONTEXT);
        assert.ok(Array.isArray(c.capabilities));
      }
    }
  });
  it("walks every node mvdan/sh's own syntax.Walk visits, in the same order", () => {
    const { syntax } = mvdan as unknown as {
      syntax: {
        NewParser(): { Parse(s: string, n: string): object };
        Walk(n: object, f: (n: object | null) => boolean): void;
        NodeType(n: object): string;
      };
    };
    const parser = syntax.NewParser();
    const sources = TABLE.map((r) =>
      r.call.tool === 'Bash' ? (r.call.input as { command?: unknown }).command : undefined,
    ).filter((c): c is string => typeof c === 'string');
    sources.push(
      'for ((i=0;i<3;i++)); do echo $((i*2)); done; select x in a b; do :; done; let "x=$(id)"; declare -A m=([k]=$(id)); echo ${x/$(a)/$(b)} ${x:$(c):1}; [[ $(d) =~ e ]]; (( $(f) ))',
    );
    let compared = 0;
    for (const source of sources) {
      let theirs: object;
      try {
        theirs = parser.Parse(source, '');
      } catch {
        continue;
      }
      const expected: string[] = [];
      syntax.Walk(theirs, (n) => {
        if (n) expected.push(syntax.NodeType(n));
        return true;
      });
      const actual: string[] = [];
      walk(parseBash(source, 0), (type) => actual.push(type));
      // Every node Walk visits is visited, in the same order; extras (the `export` keyword of a
      // DeclClause, the Expansion of `${X:-…}`) only make the walk more thorough.
      let k = 0;
      for (const t of actual) if (t === expected[k]) k++;
      assert.equal(k, expected.length, `${source}: missed ${expected.slice(k).join(' ')}`);
      compared++;
    }
    assert.ok(compared > 100);
  });
  it('caches shell classifications per command and context', () => {
    const a = classifyToolCall(
      { client: 'claude', tool: 'Bash', input: { command: 'echo x > notes.md' } },
      { ...TABLE_CONTEXT, evidenceDir: '.' },
    );
    const b = classifyToolCall(
      { client: 'claude', tool: 'Bash', input: { command: 'echo x > notes.md', cwd: '/repo/.autopilot/evidence/T-1' } },
      TABLE_CONTEXT,
    );
    const c = classifyToolCall(
      { client: 'claude', tool: 'Bash', input: { command: 'echo x > notes.md' } },
      TABLE_CONTEXT,
    );
    assert.deepEqual(a.capabilities, ['read', 'write:source']);
    assert.deepEqual(b.capabilities, ['read', 'write:evidence']);
    assert.deepEqual(c.capabilities, ['read', 'write:source']);
    c.capabilities.push('deploy');
    assert.deepEqual(
      classifyToolCall({ client: 'claude', tool: 'Bash', input: { command: 'echo x > notes.md' } }, TABLE_CONTEXT)
        .capabilities,
      ['read', 'write:source'],
      'a cached result cannot be changed by a caller',
    );
  });
  it('accepts a JSON string as the input', () => {
    const c = classifyToolCall(
      { client: 'cursor', tool: 'beforeShellExecution', input: '{"command":"git push"}' },
      TABLE_CONTEXT,
    );
    assert.deepEqual(c.capabilities, ['vcs:push']);
  });
});
