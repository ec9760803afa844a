/** @module The phase policy: which capabilities each phase allows, its defaults and its config schema. */
import { z } from 'zod';
import type { Phase } from '../phases.ts';
import { capabilitySchema, type Capability } from './capabilities.ts';

const THINKING: readonly Capability[] = ['read', 'search', 'write:evidence'];

/**
 * The default tool policy of the product: thinking phases read and write evidence only,
 * IMPLEMENT may change and run code, VERIFY/REVIEW/MONITOR may run tests, PR may commit,
 * push and open the pull request. `net`, `agent` and `deploy` are allowed nowhere.
 */
export const DEFAULT_TOOL_POLICY: Readonly<Record<Phase, readonly Capability[]>> = {
  STRATEGIZE: THINKING,
  SPEC: THINKING,
  PLAN: THINKING,
  THINK: THINKING,
  IMPLEMENT: ['read', 'search', 'write:evidence', 'write:source', 'exec', 'exec:test'],
  VERIFY: ['read', 'search', 'write:evidence', 'exec:test'],
  REVIEW: ['read', 'search', 'write:evidence', 'exec:test'],
  PR: ['read', 'search', 'write:evidence', 'exec:test', 'vcs:commit', 'vcs:push', 'pr:create'],
  MONITOR: ['read', 'search', 'write:evidence', 'exec:test'],
};

const capabilityList = z.array(capabilitySchema);

const mcpServerSchema = z
  .object({
    /** Capabilities of the server's tools that `tools` does not list; absent means those tools are unknown (denied). */
    default: capabilityList.optional(),
    /** Capabilities per tool name (the bare name, without the `mcp__server__` prefix). */
    tools: z.record(z.string().min(1), capabilityList).default({}),
  })
  .strict();

/**
 * The `tools` section of the config. `phases` overrides the default list of the phases it
 * names (the others keep {@link DEFAULT_TOOL_POLICY}); `ask` lists capabilities that a person
 * may approve instead of a flat denial; `mcpServers` says what third-party MCP tools do.
 */
export const toolPolicySchema = z
  .object({
    phases: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'upper-case phase name'), capabilityList).default({}),
    ask: capabilityList.default([]),
    mcpServers: z.record(z.string().min(1), mcpServerSchema).default({}),
  })
  .strict();

/** The `tools` section as written in the config, defaults filled in. */
export type ToolPolicyConfig = z.infer<typeof toolPolicySchema>;

/** What the config says one MCP server's tools do. */
export type McpServerPolicy = z.infer<typeof mcpServerSchema>;

/** The resolved policy that {@link decideToolCall} applies. */
export interface ToolPolicy {
  /** Allowed capabilities per phase, in process order. A phase that is missing allows nothing. */
  readonly phases: Readonly<Record<Phase, readonly Capability[]>>;
  /** Capabilities a person may approve where the phase does not allow them. */
  readonly ask: readonly Capability[];
  /** Third-party MCP servers, by server name. */
  readonly mcpServers: Readonly<Record<string, McpServerPolicy>>;
}

/**
 * Builds the policy to apply from the config section (or none): the config's phase lists
 * replace the default ones, every phase of `phases` (the process order) gets a list, and
 * a phase without a default and without config allows nothing.
 */
export function resolveToolPolicy(config?: Partial<ToolPolicyConfig>, phases?: readonly Phase[]): ToolPolicy {
  const order = phases ?? Object.keys(DEFAULT_TOOL_POLICY);
  const resolved: Record<Phase, readonly Capability[]> = {};
  for (const phase of order) resolved[phase] = config?.phases?.[phase] ?? DEFAULT_TOOL_POLICY[phase] ?? [];
  for (const [phase, caps] of Object.entries(config?.phases ?? {})) resolved[phase] ??= caps;
  return { phases: resolved, ask: config?.ask ?? [], mcpServers: config?.mcpServers ?? {} };
}

/** The default policy, resolved. */
export const DEFAULT_POLICY: ToolPolicy = resolveToolPolicy();
