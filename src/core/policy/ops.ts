/** @module Operations and agents: containers, clusters, infrastructure, clouds, other coding agents, and Autopilot's own CLI. */
import { isPersonVerb } from '../wall.ts';
import type { Capability } from './capabilities.ts';
import type { Handler } from './command-env.ts';
import { hasOption, parseOptions } from './options.ts';
import { isExact, plainWord, type ShellWord } from './shell-words.ts';

const fixed =
  (cap: Capability): Handler =>
  (_args, cx) =>
    cx.env.findings.need(cap, cx.name);

const CONTAINER: Readonly<Record<string, Capability>> = {
  push: 'deploy',
  pull: 'net',
  login: 'net',
  logout: 'net',
  search: 'net',
  images: 'read',
  image: 'read',
  ps: 'read',
  inspect: 'read',
  logs: 'read',
  version: 'read',
  info: 'read',
  history: 'read',
  top: 'read',
  stats: 'read',
  port: 'read',
  diff: 'read',
  events: 'read',
};

const container: Handler = (args, cx) => {
  const p = parseOptions(args, { short: 'Hc', long: ['--host', '--context', '--config', '--log-level'] });
  const sub = args[p.firstOperand];
  const f = cx.env.findings;
  if (!sub) return f.need('read', cx.name);
  if (!isExact(sub)) return f.unknown(`${cx.name} ${sub.text}: the subcommand is not a literal`);
  const rest = parseOptions(args.slice(p.firstOperand + 1), { permute: true });
  const second = rest.operands[0]?.text;
  const what = `${cx.name} ${sub.text}`;
  if ((sub.text === 'compose' || sub.text === 'buildx' || sub.text === 'image') && second === 'push')
    return f.need('deploy', `${what} push`);
  if (hasOption(rest, '--push')) return f.need('deploy', `${what} --push`);
  if (sub.text === 'image' && second === 'pull') return f.need('net', `${what} pull`);
  f.need(CONTAINER[sub.text] ?? 'exec', what);
};

const terraform: Handler = (args, cx) => {
  const p = parseOptions(args, {});
  const sub = args[p.firstOperand]?.text ?? '';
  const second = args[p.firstOperand + 1]?.text ?? '';
  const f = cx.env.findings;
  const what = `${cx.name} ${sub}`.trim();
  if (
    ['apply', 'destroy', 'import', 'taint', 'untaint', 'force-unlock'].includes(sub) ||
    (sub === 'state' && ['push', 'rm', 'mv', 'replace-provider'].includes(second))
  )
    return f.need('deploy', what);
  if (['init', 'plan', 'refresh', 'get', 'providers', 'login', 'logout'].includes(sub)) return f.need('net', what);
  if (sub === 'fmt')
    return args.some((w) => w.text === '-check' || w.text === '--check')
      ? f.need('exec:test', `${what} -check`)
      : cx.env.write(plainWord('.'), what);
  if (sub === 'validate') return f.need('exec:test', what);
  f.need(
    ['show', 'output', 'version', 'graph', 'workspace', 'state', '-version', '-help', ''].includes(sub)
      ? 'read'
      : 'exec',
    what,
  );
};

const pulumiLike =
  (deploySubs: readonly string[], netSubs: readonly string[]): Handler =>
  (args, cx) => {
    const sub = args.find((w) => !w.text.startsWith('-'))?.text ?? '';
    const what = `${cx.name} ${sub}`.trim();
    if (deploySubs.includes(sub)) return cx.env.findings.need('deploy', what);
    if (netSubs.includes(sub)) return cx.env.findings.need('net', what);
    cx.env.findings.need(
      sub === '' || sub === 'version' || sub === '--version' || sub === 'help' ? 'read' : 'exec',
      what,
    );
  };

const helm: Handler = (args, cx) => {
  const sub = args.find((w) => !w.text.startsWith('-'))?.text ?? '';
  if (
    ['template', 'lint', 'version', 'env', 'show', 'list', 'ls', 'status', 'get', 'history', 'help', ''].includes(sub)
  ) {
    return cx.env.findings.need(sub === 'template' || sub === 'lint' ? 'exec:test' : 'read', `helm ${sub}`.trim());
  }
  cx.env.findings.need('deploy', `helm ${sub}`);
};

const AUTOPILOT_PROCESS = new Set(['advance', 'backtrack', 'lease']);
const AUTOPILOT_READ = new Set([
  'doctor',
  'guard',
  'hook',
  'status',
  'list',
  'ledger',
  'help',
  '--help',
  '--version',
  '-V',
]);

// `autopilot …` run by the agent: process moves need no capability, reads are read; a person's verbs (approve,
// reject, attest baseline|update, store, init) and a holder, repository or store named by the agent are refused,
// whatever runs the command line (npx, npm exec, node bin/autopilot.js).
const autopilot: Handler = (args, cx) => {
  const f = cx.env.findings;
  const rest: ShellWord[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.text.split('=')[0]!;
    if (a.text === '--' && rest.length === 0) continue;
    if (['--holder', '-C', '--cwd', '--config', '--store'].includes(name)) {
      return f.unknown(
        `autopilot ${name}: an agent's command acts as its session, in its repository; it cannot name another holder, repository or store`,
      );
    }
    if (a.text === '--json' && rest.length === 0) continue;
    rest.push(a);
  }
  const sub = rest[0]?.text ?? '';
  const second = rest[1]?.text ?? '';
  const what = `autopilot ${sub}`.trim();
  if (isPersonVerb(sub, second))
    return f.unknown(`${what}${sub === 'attest' ? ` ${second}` : ''}: a person's command, never an agent's`);
  if (AUTOPILOT_PROCESS.has(sub) || (sub === 'task' && second === 'start'))
    return f.reason(`${what} needs no capability: it is process control, checked by the engine`);
  // git's commit-msg hook adds a trailer to the file it is given: run by hand on any file, it writes that file.
  if (sub === 'hook' && second === 'git' && rest[2]?.text === 'commit-msg')
    return cx.env.write(rest[3], 'autopilot hook git commit-msg');
  if (sub === 'task' || AUTOPILOT_READ.has(sub) || sub === '') return f.need('read', what);
  if (sub === 'evidence') return f.need(second === 'add' ? 'write:evidence' : 'read', `${what} ${second}`.trim());
  if (sub === 'verify' || sub === 'gate') return f.need('exec:test', what);
  if (sub === 'attest') return f.need('read', `${what} ${second}`.trim());
  if (sub === 'exec') {
    // The wall's own verb: what it runs is classified as if run bare (the wall only takes capabilities away).
    const at = rest.findIndex((w) => w.text === '--');
    return at > 0 ? cx.run(rest.slice(at + 1)) : f.unknown('autopilot exec without -- before its command');
  }
  f.need('exec', what);
};

/** The operations tools and agents, by name. */
export const OPS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...['docker', 'podman', 'nerdctl', 'docker-compose', 'podman-compose'].map((n): [string, Handler] => [n, container]),
  ...[
    'kubectl',
    'oc',
    'k9s',
    'skaffold',
    'argocd',
    'flux',
    'istioctl',
    'linkerd',
    'kubectx',
    'kubens',
    'tilt',
    'nomad',
    'consul',
  ].map((n): [string, Handler] => [n, fixed('deploy')]),
  ['helm', helm],
  ['kustomize', fixed('read')],
  ...['terraform', 'tofu', 'terragrunt'].map((n): [string, Handler] => [n, terraform]),
  [
    'pulumi',
    pulumiLike(['up', 'update', 'destroy', 'import', 'refresh', 'cancel'], ['preview', 'login', 'new', 'plugin']),
  ],
  ['cdk', pulumiLike(['deploy', 'destroy', 'bootstrap', 'import', 'watch'], ['synth', 'diff', 'ls', 'list', 'doctor'])],
  ...['serverless', 'sls'].map((n): [string, Handler] => [
    n,
    pulumiLike(['deploy', 'remove', 'rollback'], ['info', 'logs', 'invoke', 'package']),
  ]),
  ...[
    'vercel',
    'netlify',
    'firebase',
    'fly',
    'flyctl',
    'heroku',
    'wrangler',
    'railway',
    'surge',
    'ansible',
    'ansible-playbook',
    'aws',
    'gcloud',
    'gsutil',
    'bq',
    'az',
    'doctl',
    'eb',
    'cf',
    'ibmcloud',
    'oci',
    'linode-cli',
    'hcloud',
    'scw',
    'sam',
    'amplify',
    'eksctl',
    'kamal',
    'capistrano',
    'deployer',
    'octopus',
  ].map((n): [string, Handler] => [n, fixed('deploy')]),
  ...['gem'].map((n): [string, Handler] => [
    n,
    pulumiLike(['push', 'yank', 'owner'], ['install', 'update', 'fetch', 'search', 'sources']),
  ]),
  ...[
    'claude',
    'codex',
    'cursor-agent',
    'aider',
    'gemini',
    'opencode',
    'amp',
    'goose',
    'qwen',
    'crush',
    'cline',
    'openhands',
    'devin',
    'copilot',
    'llm',
    'sgpt',
    'ollama',
  ].map((n): [string, Handler] => [n, fixed('agent')]),
  ['autopilot', autopilot],
]);
