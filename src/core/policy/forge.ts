/** @module Code-forge CLIs: gh, hub and glab, whose subcommands open pull requests, merge, or only read. */
import type { Capability } from './capabilities.ts';
import type { Cx } from './command-env.ts';
import { classifyGit } from './git.ts';
import { parseOptions } from './options.ts';
import { isExact, type ShellWord } from './shell-words.ts';

type Table = Readonly<Record<string, Capability>>;

const GH: Readonly<Record<string, { readonly sub: Table; readonly other: Capability }>> = {
  pr: {
    sub: {
      create: 'pr:create',
      new: 'pr:create',
      edit: 'pr:create',
      comment: 'pr:create',
      close: 'pr:create',
      reopen: 'pr:create',
      ready: 'pr:create',
      review: 'pr:create',
      lock: 'pr:create',
      unlock: 'pr:create',
      merge: 'vcs:push',
      'update-branch': 'vcs:push',
      checkout: 'write:source',
      co: 'write:source',
      view: 'read',
      list: 'read',
      ls: 'read',
      status: 'read',
      checks: 'read',
      diff: 'read',
    },
    other: 'net',
  },
  issue: { sub: { list: 'read', ls: 'read', view: 'read', status: 'read' }, other: 'net' },
  run: { sub: { list: 'read', ls: 'read', view: 'read', watch: 'read' }, other: 'net' },
  workflow: {
    sub: { list: 'read', ls: 'read', view: 'read', run: 'deploy', enable: 'deploy', disable: 'deploy' },
    other: 'net',
  },
  repo: { sub: { view: 'read', list: 'read', ls: 'read', sync: 'vcs:push' }, other: 'net' },
  release: {
    sub: {
      list: 'read',
      ls: 'read',
      view: 'read',
      create: 'deploy',
      new: 'deploy',
      upload: 'deploy',
      edit: 'deploy',
      delete: 'deploy',
      'delete-asset': 'deploy',
    },
    other: 'net',
  },
  auth: { sub: { status: 'read' }, other: 'net' },
  alias: { sub: { list: 'read', ls: 'read' }, other: 'exec' },
  config: { sub: { get: 'read', list: 'read' }, other: 'exec' },
  extension: { sub: { list: 'read', ls: 'read', browse: 'read', exec: 'exec' }, other: 'net' },
  ext: { sub: { list: 'read', ls: 'read', exec: 'exec' }, other: 'net' },
  copilot: { sub: {}, other: 'agent' },
  status: { sub: {}, other: 'read' },
  help: { sub: {}, other: 'read' },
  version: { sub: {}, other: 'read' },
  completion: { sub: {}, other: 'read' },
  browse: { sub: {}, other: 'net' },
  api: { sub: {}, other: 'net' },
  search: { sub: {}, other: 'net' },
  gist: { sub: {}, other: 'net' },
  secret: { sub: {}, other: 'net' },
  variable: { sub: {}, other: 'net' },
  codespace: { sub: {}, other: 'net' },
  cs: { sub: {}, other: 'net' },
  'ssh-key': { sub: {}, other: 'net' },
  'gpg-key': { sub: {}, other: 'net' },
  label: { sub: {}, other: 'net' },
  cache: { sub: {}, other: 'net' },
  ruleset: { sub: {}, other: 'net' },
  project: { sub: {}, other: 'net' },
  org: { sub: {}, other: 'net' },
  attestation: { sub: {}, other: 'net' },
};

function operands(args: readonly ShellWord[], cx: Cx, tool: string): string[] | undefined {
  const p = parseOptions(args, { short: 'R', long: ['--repo', '--hostname'], permute: true });
  const words = p.operands.slice(0, 2);
  const bad = words.find((w) => !isExact(w));
  if (bad) {
    cx.env.findings.unknown(`${tool} ${bad.text}: the subcommand is not a literal`);
    return undefined;
  }
  return words.map((w) => w.text);
}

/** Classifies `gh ARGS…`: `gh pr create` is pr:create, `gh pr merge` vcs:push, reads are read, the rest net. */
export function classifyGh(args: readonly ShellWord[], cx: Cx): void {
  const ops = operands(args, cx, 'gh');
  if (!ops) return;
  const [group, sub] = ops;
  const f = cx.env.findings;
  if (group === undefined) return f.need('read', 'gh');
  const entry = GH[group];
  if (!entry)
    return f.unknown(`gh ${group}: not a gh command Autopilot knows (a gh alias or extension hides what it runs)`);
  const cap =
    (sub !== undefined ? entry.sub[sub] : undefined) ??
    (sub === undefined && entry.other === 'net' ? 'read' : entry.other);
  f.need(cap, sub !== undefined ? `gh ${group} ${sub}` : `gh ${group}`);
}

const HUB: Table = {
  'pull-request': 'pr:create',
  'ci-status': 'read',
  browse: 'read',
  compare: 'read',
  create: 'net',
  fork: 'net',
  sync: 'net',
  delete: 'net',
  api: 'net',
  issue: 'net',
  gist: 'net',
};

/** Classifies `hub ARGS…`: its own commands, else the git command it wraps. */
export function classifyHub(args: readonly ShellWord[], cx: Cx): void {
  const first = args[0];
  const f = cx.env.findings;
  if (isExact(first) && first.text === 'pr') {
    const sub = args[1]?.text;
    return f.need(sub === 'checkout' ? 'write:source' : 'read', `hub pr ${sub ?? ''}`.trim());
  }
  if (isExact(first) && first.text === 'release') {
    const sub = args[1]?.text;
    return f.need(
      sub === 'create' || sub === 'edit' || sub === 'delete' ? 'deploy' : 'read',
      `hub release ${sub ?? ''}`.trim(),
    );
  }
  const cap = isExact(first) ? HUB[first.text] : undefined;
  if (cap && first) return f.need(cap, `hub ${first.text}`);
  classifyGit(args, cx);
}

const GLAB_MR: Table = {
  create: 'pr:create',
  new: 'pr:create',
  merge: 'vcs:push',
  list: 'read',
  view: 'read',
  diff: 'read',
  checkout: 'write:source',
};

/** Classifies `glab ARGS…` (GitLab): `glab mr create` is pr:create. */
export function classifyGlab(args: readonly ShellWord[], cx: Cx): void {
  const ops = operands(args, cx, 'glab');
  if (!ops) return;
  const [group, sub] = ops;
  const f = cx.env.findings;
  if (group === undefined) return f.need('read', 'glab');
  if (group === 'mr') return f.need((sub ? GLAB_MR[sub] : undefined) ?? 'pr:create', `glab mr ${sub ?? ''}`.trim());
  if (group === 'release')
    return f.need(sub === 'list' || sub === 'view' ? 'read' : 'deploy', `glab release ${sub ?? ''}`.trim());
  if (group === 'ci' || group === 'pipeline')
    return f.need(
      sub === 'run' || sub === 'retry' || sub === 'trigger' ? 'deploy' : 'read',
      `glab ${group} ${sub ?? ''}`.trim(),
    );
  f.need(group === 'help' || group === 'version' ? 'read' : 'net', `glab ${group}`);
}
