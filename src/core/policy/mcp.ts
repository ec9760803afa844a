/** @module MCP tools: `mcp__server__tool` names, Autopilot's own tools, and third-party servers as configured. */
import { isCapability, type Capability } from './capabilities.ts';
import type { Findings } from './findings.ts';
import type { McpServerPolicy } from './policy.ts';

/** The server name of Autopilot's own MCP server. */
export const AUTOPILOT_SERVER = 'autopilot';

/**
 * Autopilot's own MCP tools. Process control (`phase_advance`, leases, `task_start`, …) needs no
 * capability at all, so it is allowed in every phase whatever the policy says: the engine checks
 * those moves itself (skips, evidence, leases). `evidence_put` is write:evidence, `verify_run`
 * runs the configured commands (exec:test), the rest reads.
 */
export const AUTOPILOT_TOOLS: Readonly<Record<string, readonly Capability[]>> = {
  task_start: [],
  task_status: ['read'],
  phase_advance: [],
  phase_backtrack: [],
  evidence_put: ['write:evidence'],
  evidence_check: ['read'],
  lease_acquire: [],
  lease_renew: [],
  lease_release: [],
  tool_check: ['read'],
  verify_run: ['exec:test'],
  ledger_verify: ['read'],
  approval_request: [],
  prompt_get: ['read'],
  review_get: ['read'],
  similar_tasks: ['read'],
};

/** Splits `mcp__server__tool` (Claude Code, Codex) into server and tool; undefined for other names. */
export function splitMcpName(name: string): { readonly server: string; readonly tool: string } | undefined {
  if (!name.startsWith('mcp__')) return undefined;
  const rest = name.slice('mcp__'.length);
  const sep = rest.indexOf('__');
  if (sep <= 0 || sep + 2 >= rest.length) return undefined;
  return { server: rest.slice(0, sep), tool: rest.slice(sep + 2) };
}

/** Classifies one MCP tool of `server`: Autopilot's table, else the config, else unknown. */
export function classifyMcpTool(
  server: string | undefined,
  tool: string,
  servers: Readonly<Record<string, McpServerPolicy>> | undefined,
  findings: Findings,
): void {
  const what = `MCP tool ${server ?? '?'}/${tool}`;
  if (server === undefined)
    return findings.unknown(`${what}: the MCP server is not named, so its tool cannot be looked up`);
  const own = server === AUTOPILOT_SERVER ? AUTOPILOT_TOOLS[tool] : undefined;
  if (server === AUTOPILOT_SERVER && !own) return findings.unknown(`${what}: not one of Autopilot's MCP tools`);
  const config = servers?.[server];
  const caps = own ?? config?.tools[tool] ?? config?.default;
  if (!caps) {
    return findings.unknown(
      config
        ? `${what}: not listed for server ${server} in tools.mcpServers, and the server has no default`
        : `${what}: server ${server} is not in tools.mcpServers`,
    );
  }
  if (caps.length === 0) findings.reason(`${what} needs no capability`);
  for (const cap of caps) if (isCapability(cap)) findings.need(cap, what);
}
