/**
 * @module The phase prompt: the instructions Autopilot gives an agent for a
 * phase. A pure function of the config and the phase, so its digest is stable:
 * anything volatile (attempt counters, times) is never part of it.
 */
import type { ArtifactRule, Config } from './config.ts';
import { nextPhase } from './phases.ts';
import { allowedCapabilities } from './policy/tool-policy.ts';

const PURPOSE: Record<string, string> = {
  STRATEGIZE:
    'Decide what problem is worth solving and how: the problem, objectives, scope, non-goals, risks and the strategy.',
  SPEC: 'Turn the strategy into a specification that can be checked: acceptance criteria as a list, and the KPIs that show success.',
  PLAN: 'Break the work down, and name every file the change will touch and why (file_map.json).',
  THINK: 'Think before coding: list the edge cases and how each is mitigated.',
  IMPLEMENT: 'Change the source. Autopilot records the diff from the base commit itself when you advance.',
  VERIFY:
    'Autopilot runs the build and the tests and measures coverage of the lines you changed. Fix failures by backtracking to IMPLEMENT.',
  REVIEW:
    'Review the change against the rubric (readability, maintainability, performance, security, governance); Autopilot runs the linter.',
  PR: 'Describe the change for reviewers (summary, risks, rollback) and open the pull request; Autopilot runs the CI commands.',
  MONITOR: 'Watch the change in use: Autopilot runs the smoke commands and records the deployment status.',
};

function describeRule(r: ArtifactRule): string {
  const checks: string[] = [];
  for (const s of r.sections) {
    checks.push(
      s.list
        ? `"${s.heading}" with a list of at least ${s.minItems} item(s)`
        : `"${s.heading}" with at least ${s.minWords} words or a list`,
    );
  }
  if (r.minWords) checks.push(`at least ${r.minWords} words`);
  if (r.schema) checks.push('valid against its JSON Schema');
  for (const a of r.assert) checks.push(`${a.path} ${a.op} ${JSON.stringify(a.value)}`);
  for (const m of r.mustMatch) checks.push(`matches /${m}/`);
  const who = r.producer === 'autopilot' ? 'produced by Autopilot; do not write it' : 'you write it';
  return `- ${r.name} (${who}${r.required ? '' : ', optional'})${checks.length ? `: ${checks.join('; ')}` : ''}`;
}

/** The stable instructions for `phase`, given the capabilities its tool policy allows. */
export function phasePrompt(config: Config, phase: string, allowed: readonly string[]): string {
  const rules = config.evidence[phase] ?? [];
  const next = nextPhase(config.phases, phase);
  return [
    `# Autopilot: ${phase}`,
    '',
    PURPOSE[phase] ?? `Produce the evidence of ${phase}.`,
    '',
    '## Evidence',
    `Put files with evidence_put (or \`autopilot evidence add <TASK> ${phase} <FILE>\`); they land in ${config.stateDir}/evidence/<TASK>/${phase.toLowerCase()}/.`,
    ...(rules.length ? rules.map(describeRule) : ['- none']),
    '',
    '## Allowed tools',
    `Capabilities allowed in ${phase}: ${allowed.length ? allowed.join(', ') : 'none'}. Other tool calls are denied.`,
    '',
    '## Moving on',
    next
      ? `When the evidence meets the contract, call phase_advance (or \`autopilot advance <TASK>\`) to enter ${next}. Skipping phases is refused and recorded.`
      : 'When the evidence meets the contract, call phase_advance to finish the task.',
    'If an earlier phase turns out wrong, call phase_backtrack with the phase and a reason; every later phase is then passed again.',
  ].join('\n');
}

/**
 * Every phase's prompt, one after the other: the instructions an agent has in front of it, and so the "template"
 * whose text its evidence must not copy. (A headings-only skeleton needs no check of its own: its sections are
 * empty, which the section rules refuse.)
 */
export function allPhasePrompts(config: Config): string {
  return config.phases.map((p) => phasePrompt(config, p, allowedCapabilities(config, p))).join('\n\n');
}
