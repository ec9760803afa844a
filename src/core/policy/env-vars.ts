/** @module Environment variables whose value makes an ordinary command run other code (pagers, editors, preloads). */
import type { CommandEnv } from './command-env.ts';
import type { ShellWord } from './shell-words.ts';

// Variables whose value is a command line that git, less, ssh or the shell will run.
const COMMAND_VARS = new Set([
  'GIT_PAGER',
  'PAGER',
  'MANPAGER',
  'GIT_EXTERNAL_DIFF',
  'GIT_EDITOR',
  'GIT_SEQUENCE_EDITOR',
  'EDITOR',
  'VISUAL',
  'GIT_SSH_COMMAND',
  'GIT_SSH',
  'GIT_ASKPASS',
  'SSH_ASKPASS',
  'GIT_PROXY_COMMAND',
  'PROMPT_COMMAND',
  'LESSOPEN',
  'LESSCLOSE',
  'SYSTEMD_PAGER',
]);

// Variables that make a program load code from elsewhere: the command could do anything.
const CODE_VARS = new Set([
  'PATH',
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
  'LD_AUDIT',
  'DYLD_INSERT_LIBRARIES',
  'BASH_ENV',
  'ENV',
  'NODE_OPTIONS',
  'NODE_PATH',
  'PYTHONPATH',
  'PYTHONSTARTUP',
  'PERL5OPT',
  'PERL5LIB',
  'RUBYOPT',
  'RUBYLIB',
  'GIT_EXEC_PATH',
  'GIT_TEMPLATE_DIR',
  'GIT_CONFIG',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_SYSTEM',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'IFS',
]);

/** Checks `NAME=value` (a prefix assignment, `export`, `env NAME=value`): a command in the value is classified, a code path is exec. */
export function checkEnvAssignment(
  name: string,
  value: ShellWord | undefined,
  env: CommandEnv,
  what = 'assignment',
): void {
  if (COMMAND_VARS.has(name)) {
    if (!value || value.text === '') return;
    if (!value.literal) env.findings.unknown(`${name}=${value.text}: the command in it is not a literal`);
    else env.script(value.text, `${name}=…`);
    return;
  }
  if (
    CODE_VARS.has(name) ||
    name.startsWith('GIT_CONFIG_KEY_') ||
    name.startsWith('GIT_CONFIG_VALUE_') ||
    name.startsWith('BASH_FUNC_')
  ) {
    env.findings.need('exec', `${name}=… (${what}) changes which code runs`);
  }
}
