/**
 * E2E: the wording of what the common verbs and tools print, with counts of 1
 * (one task, one finding, one artifact, one evidence file): no "1 tasks" or
 * "1 findings", and no doubled period where a message that ends with one is
 * continued.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { makeRepo, P, type CliResult } from './helpers.ts';
import { callOk, callRefused, connectStdio, type McpSession } from './mcp-helpers.ts';

/** Nouns the verbs count; "1 <plural>" of any of them is a defect. */
const NOUNS = [
  'artifacts',
  'tasks',
  'entries',
  'ledger entries',
  'problems',
  'findings',
  'files',
  'evidence files',
  'evidence digests',
  'lines',
  'tests',
  'errors',
  'refusals',
  'backtracks',
  'leases',
  'keys',
  'alerts',
  'times',
  'phases',
  'bytes',
  'more findings',
];
const ONE_PLURAL = new RegExp(`(?<![\\d.,/])\\b1 (${NOUNS.join('|')})\\b`);
// Two periods that are not an ellipsis ("...") or a relative path ("../").
const DOUBLED = /(?<!\.)\.\.(?![./])/;

function wording(label: string, text: string): void {
  assert.doesNotMatch(text, ONE_PLURAL, `${label}: a count of 1 with a plural noun:\n${text}`);
  assert.doesNotMatch(text, DOUBLED, `${label}: a doubled period:\n${text}`);
}

// The command line and the MCP server below work as one agent, so neither meets the other's lease.
const HOLDER = { AUTOPILOT_HOLDER: 'wording-agent' };

const out = (r: CliResult) => `${r.stdout}${r.stderr}`;

const sessions: McpSession[] = [];
after(async () => {
  for (const s of sessions) await s.close();
});

describe('wording of counts and sentences', () => {
  it('says "1 task", "1 finding", "1 artifact" and never ".." in the common verbs and tools', async () => {
    const repo = await makeRepo();
    const taskId = 'W-1';
    const seen: [string, string][] = [];
    // Each verb in plain text; a verb that changes nothing also with --json, whose messages are the same words.
    const cli = async (args: string[], alsoJson = false) => {
      const r = await repo.run(args, { env: HOLDER });
      seen.push([`autopilot ${args.join(' ')}`, out(r)]);
      if (alsoJson) seen.push([`autopilot --json ${args.join(' ')}`, (await repo.json(args, { env: HOLDER })).stdout]);
      return r;
    };

    await cli(['task', 'start', taskId, '--title', 'wording']);
    // A strategy that lacks exactly one section: one finding, whose problem and fix end with periods.
    const oneShort = P.STRATEGY.replace(/## Risks\n[^#]*/, '');
    repo.write('notes/strategy.md', oneShort);
    const added = await cli(['evidence', 'add', taskId, 'STRATEGIZE', 'notes/strategy.md']);
    assert.match(out(added), /Section "Risks" is missing/, out(added));
    const check = await cli(['evidence', 'check', taskId], true);
    assert.notEqual(check.code, 0);
    const refused = await cli(['advance', taskId]);
    assert.equal(refused.code, 2, out(refused));
    assert.match(out(refused), /Risks/);

    repo.write('notes/strategy.md', P.STRATEGY);
    await cli(['evidence', 'add', taskId, 'STRATEGIZE', 'notes/strategy.md']);
    const advanced = await cli(['advance', taskId]);
    assert.equal(advanced.code, 0, out(advanced));
    assert.match(out(advanced), /1 artifact recorded/);
    for (const args of [
      ['task', 'list'],
      ['task', 'status', taskId],
      ['ledger', 'verify'],
      ['metrics'],
      ['slo'],
      ['guard', taskId, '--tool', 'Bash', '--input', JSON.stringify({ command: 'git push origin main' })],
    ]) {
      await cli(args, true);
    }
    const verified = seen.find(([label]) => label === 'autopilot ledger verify')?.[1] ?? '';
    // The task's adopted contract and its strategy: two evidence files, one task.
    assert.match(verified, /, 1 task, 2 evidence files match their digests/);
    const listed = seen.find(([label]) => label === 'autopilot metrics')?.[1] ?? '';
    assert.match(listed, /\b1 task\b/);

    // The same wording over MCP: a put with one finding, a check, and a refusal whose message gets its next step.
    const s = await connectStdio(repo.dir, 'wording', { env: HOLDER });
    sessions.push(s);
    const put = await s.client.callTool({
      name: 'evidence_put',
      arguments: { taskId, phase: 'SPEC', name: 'spec.md', content: P.SPEC.replace(/## KPIs[\s\S]*/, '') },
    });
    const putText = (put.content as { text: string }[])[0]?.text ?? '';
    assert.match(putText, /1 finding against the contract: fix it and/);
    seen.push(['evidence_put', putText]);
    const checked = await callOk<{ findings: unknown[] }>(s.client, 'evidence_check', { taskId });
    assert.equal(checked.findings.length, 1);
    const refusal = await callRefused(s.client, 'phase_advance', { taskId }, 'EVIDENCE_INVALID');
    seen.push(['phase_advance', refusal.message]);
    assert.match(refusal.message, /\. Next: /);

    for (const [label, text] of seen) wording(label, text);
  });
});
