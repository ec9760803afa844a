/**
 * Fuzz: thousands of generated and mutated inputs to every MCP tool, through the
 * official client over an in-memory linked transport to the real server. Every
 * answer must be a result or a protocol error the SDK gives for arguments its
 * schema turns away: a refusal carries `{code, message, details}` with a code of
 * the contract (never INTERNAL, which is a bug), the server never dies, and no
 * file is written outside the state folder. AUTOPILOT_TORTURE=long runs ten times as many.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { ErrorCode } from '../../src/core/errors.ts';
import { closeEngine } from '../../src/engine/context.ts';
import { createAutopilotServer } from '../../src/surfaces/mcp/server.ts';
import * as P from '../../src/surfaces/demo/project.ts';
import { assertSameFiles, makeRepo } from '../e2e/helpers.ts';
import { openRepoEngine } from '../torture/harness.ts';
import { LONG, mulberry32, seedsFor, withSeed } from '../torture/random.ts';
import { Gen } from './generate.ts';
import { outsideState, SENTINEL } from './outside.ts';

const CALLS = LONG ? 20_000 : 2_000;
const CODES = new Set<string>(Object.values(ErrorCode));

/** Valid inputs of each tool, to mutate; and how often a tool is drawn (ledger_verify walks the whole ledger). */
const VALID: Record<string, { weight: number; inputs: Record<string, unknown>[] }> = {
  task_start: { weight: 3, inputs: [{ taskId: 'F-1', title: 'fuzz' }, { taskId: 'T-9' }] },
  task_status: { weight: 3, inputs: [{ taskId: 'T-1' }] },
  prompt_get: { weight: 2, inputs: [{ phase: 'SPEC' }, { taskId: 'T-1' }] },
  evidence_put: {
    weight: 6,
    inputs: [
      { taskId: 'T-1', phase: 'SPEC', name: 'spec.md', content: P.SPEC },
      { taskId: 'T-2', phase: 'STRATEGIZE', name: 'strategy.md', content: P.HOLLOW_STRATEGY },
      { taskId: 'T-1', phase: 'SPEC', name: 'notes.md', content: 'x', token: 1 },
    ],
  },
  evidence_check: { weight: 3, inputs: [{ taskId: 'T-1' }, { taskId: 'T-1', phase: 'STRATEGIZE' }] },
  phase_advance: { weight: 5, inputs: [{ taskId: 'T-1' }, { taskId: 'T-2', to: 'PR', summary: 'x' }] },
  phase_backtrack: { weight: 4, inputs: [{ taskId: 'T-1', to: 'STRATEGIZE', reason: 'fuzz' }] },
  verify_run: { weight: 1, inputs: [{ taskId: 'T-2' }] },
  tool_check: {
    weight: 5,
    inputs: [
      { taskId: 'T-1', tool: 'Bash', input: { command: 'git push' } },
      { tool: 'Edit', input: { file_path: 'src/a.ts' }, client: 'claude' },
      { tool: 'Write', input: '{"file_path":"/etc/x"}' },
    ],
  },
  lease_acquire: { weight: 3, inputs: [{ taskId: 'T-1', holder: 'x', ttlSeconds: 5 }, { taskId: 'T-2' }] },
  lease_renew: { weight: 2, inputs: [{ taskId: 'T-1', token: 1 }] },
  lease_release: { weight: 2, inputs: [{ taskId: 'T-1', token: 1 }] },
  approval_request: {
    weight: 2,
    inputs: [
      { taskId: 'T-1', reason: 'why', to: 'PR' },
      { taskId: 'T-1', reason: 'tool', tool: 'Bash', input: { command: 'git push' } },
    ],
  },
  ledger_verify: { weight: 0.2, inputs: [{}] },
  review_get: { weight: 1, inputs: [{ taskId: 'T-1' }, { taskId: 'T-2' }] },
  similar_tasks: {
    weight: 1,
    inputs: [{ taskId: 'T-1' }, { title: 'fuzz the counter', files: ['src/count.js'], limit: 2, minScore: 0.5 }],
  },
};

describe('MCP fuzz', () => {
  for (const seed of seedsFor('fuzz-mcp'))
    it(
      `answers ${CALLS} hostile tool calls with results or structured refusals (seed ${seed})`,
      { timeout: LONG ? 3_600_000 : 240_000 },
      () =>
        withSeed(seed, 'fuzz/mcp', async () => {
          const g = new Gen(mulberry32(seed));
          const repo = await makeRepo();
          await repo.driveTo('T-1', 'SPEC');
          await repo.driveTo('T-2', 'STRATEGIZE');
          rmSync(SENTINEL, { force: true });
          const before = outsideState(repo.dir);
          const engine = await openRepoEngine(repo.dir);
          const logged: string[] = [];
          const server = createAutopilotServer({
            engine: { ok: true, value: engine },
            session: 'fuzz',
            log: (l) => logged.push(l),
          });
          const [a, b] = InMemoryTransport.createLinkedPair();
          await server.connect(a);
          const client = new Client({ name: 'fuzz', version: '1.0.0' });
          await client.connect(b);
          const { tools } = await client.listTools();
          assert.deepEqual(tools.map((t) => t.name).sort(), Object.keys(VALID).sort(), 'every tool is fuzzed');
          const names = Object.keys(VALID);
          const total = names.reduce((n, k) => n + VALID[k]!.weight, 0);
          const pickTool = () => {
            let r = g.random() * total;
            for (const k of names) if ((r -= VALID[k]!.weight) < 0) return k;
            return names[0]!;
          };
          const problems: string[] = [];
          const tally = { ok: 0, refused: 0, invalid: 0, protocol: 0 };
          try {
            for (let i = 0; i < CALLS && problems.length < 10; i++) {
              const name = g.chance(0.02) ? g.string().slice(0, 60) : pickTool();
              const valid = VALID[name]?.inputs ?? [{}];
              const r = g.random();
              const args =
                r < 0.6
                  ? g.mutate(g.pick(valid))
                  : r < 0.8
                    ? (Object.fromEntries(Object.keys(g.pick(valid)).map((k) => [k, g.string()])) as Record<
                        string,
                        unknown
                      >)
                    : (g.value(2) as Record<string, unknown>);
              const what = `call ${i} ${name} ${JSON.stringify(args)?.slice(0, 300)} (seed ${seed})`;
              try {
                const res = (await client.callTool(
                  {
                    name,
                    arguments: args && typeof args === 'object' && !Array.isArray(args) ? args : { value: args },
                  },
                  { timeout: 60_000 },
                )) as {
                  isError?: boolean;
                  structuredContent?: Record<string, unknown>;
                  content: { type: string; text?: string }[];
                };
                if (!res.isError) {
                  tally.ok++;
                  if (!res.structuredContent || typeof res.structuredContent !== 'object')
                    problems.push(`${what}: a success without structured content`);
                  continue;
                }
                const s = res.structuredContent;
                if (!s) {
                  // Arguments that do not fit the tool's schema are a USAGE refusal too, never a bare text.
                  problems.push(
                    `${what}: an error result without structured content: ${JSON.stringify(res.content).slice(0, 300)}`,
                  );
                  continue;
                }
                if (s['code'] === ErrorCode.USAGE) tally.invalid++;
                else tally.refused++;
                if (Object.keys(s).sort().join() !== 'code,details,message')
                  problems.push(`${what}: refusal shape ${Object.keys(s).join()}`);
                else if (!CODES.has(String(s['code'])) || s['code'] === ErrorCode.INTERNAL)
                  problems.push(`${what}: refused with ${String(s['code'])}: ${String(s['message']).slice(0, 300)}`);
                else if (typeof s['message'] !== 'string' || (s['message'] as string).length < 10)
                  problems.push(`${what}: a refusal without a message`);
              } catch (err) {
                tally.protocol++;
                const code = (err as { code?: number }).code;
                // JSON-RPC's "invalid params" for an unknown tool name is the protocol's own structured error.
                if (code !== -32602) problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
              }
            }
            const alive = (await client.callTool({ name: 'task_status', arguments: { taskId: 'T-1' } })) as {
              isError?: boolean;
            };
            assert.notEqual(alive.isError, true, 'the server still answers');
          } finally {
            await client.close();
            await closeEngine(engine);
          }
          process.stdout.write(`# MCP fuzz: seed ${seed}, ${JSON.stringify(tally)}\n`);
          assert.deepEqual(problems, []);
          assert.deepEqual(logged, [], 'no tool failed with a bug (the server logs those)');
          assertSameFiles(before, outsideState(repo.dir), 'the files outside the state folder');
          assert.equal(existsSync(SENTINEL), false, 'no input was run as a command');
          assert.ok(tally.ok > 0 && tally.refused > 0 && tally.invalid > 0, 'the inputs reached every kind of answer');
        }),
    );
});
