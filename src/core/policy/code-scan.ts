/** @module Inline programs of other languages (`python -c`, `node -e`, awk): their string literals searched for command lines. */
import type { Capability } from './capabilities.ts';
import type { CommandEnv } from './command-env.ts';
import { Findings } from './findings.ts';

/** Capabilities worth reporting from a command line found inside a string: the ones no exec covers. */
export const SENSITIVE: ReadonlySet<Capability> = new Set([
  'vcs:commit',
  'vcs:push',
  'pr:create',
  'net',
  'deploy',
  'agent',
]);

const COMMANDS = new Set([
  'git',
  'gh',
  'hub',
  'glab',
  'curl',
  'wget',
  'ssh',
  'scp',
  'rsync',
  'nc',
  'kubectl',
  'helm',
  'terraform',
  'docker',
  'npm',
  'pip',
  'aws',
  'gcloud',
  'claude',
  'codex',
]);
const MAX_CODE = 16 * 1024;

/** The string literals of a program ('…', "…", `…`), in order, backslash escapes kept simple. */
export function stringLiterals(code: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < code.length && code.length <= MAX_CODE; i++) {
    const q = code[i];
    if (q !== '"' && q !== "'" && q !== '`') continue;
    let s = '';
    let j = i + 1;
    for (; j < code.length && code[j] !== q; j++) {
      if (code[j] === '\\' && j + 1 < code.length) s += code[++j];
      else s += code[j];
    }
    out.push(s);
    i = j;
  }
  return out;
}

/**
 * Adds what the command lines inside a program's strings would need: a string with spaces is
 * parsed as a script (`os.system("git push")`), and a string naming a command is joined with the
 * strings after it (`subprocess.run(["git", "push"])`). Only capabilities no exec covers are added.
 */
export function scanCode(code: string, env: CommandEnv, what: string): void {
  const literals = stringLiterals(code);
  const scripts = literals.filter((s) => /\s/.test(s.trim()));
  literals.forEach((s, i) => {
    if (COMMANDS.has(s)) scripts.push([s, ...literals.slice(i + 1, i + 4)].join(' '));
  });
  for (const script of scripts) {
    const scratch = new Findings();
    env.derive({ findings: scratch }).script(script, what);
    for (const cap of scratch.capabilities) {
      if (SENSITIVE.has(cap))
        env.findings.need(cap, `${script.trim().split(/\s+/).slice(0, 3).join(' ')} inside ${what}`);
    }
  }
}
