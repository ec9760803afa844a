/**
 * @module An MCP tool call over stdio, as an agent makes it: `node
 * bin/autopilot.js mcp` spawned in the bench repository, the official MCP
 * client connected to it, `task_status` called and answered. The server's
 * start is not timed; each call's round trip is.
 */
import { callTool, connectAutopilot } from '../src/surfaces/mcp/client.ts';
import { measure, type Stats } from './stats.ts';

/** Times `n` `task_status` calls on `taskId` in the repository at `dir`. */
export async function benchMcp(dir: string, taskId: string, n: number): Promise<Stats[]> {
  const t0 = performance.now();
  const conn = await connectAutopilot(dir, 'autopilot-bench');
  const startMs = performance.now() - t0;
  try {
    const row = await measure(
      'MCP task_status over stdio',
      n,
      async () => {
        const r = await callTool(conn.client, 'task_status', { taskId });
        if (!r.ok) throw new Error(`task_status refused: ${r.error.message}`);
      },
      { warmup: 20 },
    );
    return [
      {
        ...row,
        note: `official MCP client ↔ \`autopilot mcp\` (server start and connect: ${startMs.toFixed(0)} ms, not in the numbers)`,
      },
    ];
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${conn.stderr()}`);
  } finally {
    await conn.close();
  }
}
