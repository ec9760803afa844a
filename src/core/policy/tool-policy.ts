/** @module The resolved tool policy of a config: which capabilities each phase allows. */
import type { Config } from '../config.ts';
import { resolveToolPolicy, type ToolPolicy } from './policy.ts';

const cache = new WeakMap<Config, ToolPolicy>();

export function toolPolicyOf(config: Config): ToolPolicy {
  let policy = cache.get(config);
  if (!policy) {
    policy = resolveToolPolicy(config.tools, config.phases);
    cache.set(config, policy);
  }
  return policy;
}

export function allowedCapabilities(config: Config, phase: string): readonly string[] {
  return toolPolicyOf(config).phases[phase] ?? [];
}
