/**
 * @module The paths no agent may change, and the ones it may not even name: the guard's first layer in front of the
 * wall, for clear messages and for clients that have no wall. A parser cannot tell what a program does with a path it
 * is given, so the rule is about naming: a tool call that names Autopilot's secrets (the store, the keys, the approval
 * token, the per-user state folder) is denied whatever it does; one that names what only Autopilot and people change
 * (the state folder, git's hooks and config, the agent settings, the switch `core.hooksPath`) is denied unless all it
 * does is read. Paths are found as paths (after `..`, globs that could match them, variables set in the same command)
 * and as text (inline programs in any language, here-documents, `xargs` input).
 */
import { normalizeAbsolute, resolvePath, type PathScope } from './paths.ts';

/** What a mention touches. */
export type MentionKind = 'secret' | 'guarded' | 'setting';

/** One protected thing a tool call names. */
export interface Mention {
  readonly kind: MentionKind;
  /** The protected path or setting, repo-relative where it is inside the repository. */
  readonly what: string;
  /**
   * True when a path resolves to it (a word that is a path, a glob that matches it); false when it is only found in
   * text (an inline program, a here-document), where it may be a mere word: a read may name a secret that way.
   */
  readonly strong: boolean;
}

/** Agent settings and git's controls, relative to the repository's root: changed only by Autopilot and people. */
export const GUARDED_IN_REPO: readonly string[] = [
  '.git/hooks',
  '.git/config',
  '.claude',
  '.mcp.json',
  '.codex',
  '.cursor/hooks.json',
  'AGENTS.md',
];

/** git settings that switch Autopilot's hooks off or reroute them. */
export const GUARDED_SETTINGS: readonly string[] = ['core.hooksPath'];

/** Names that stay secret wherever they appear: the approval token and the store's files. */
const SECRET_NAMES = ['approval-token', 'autopilot.db', 'forge-token'];

/** The protected paths of one repository and task, as absolute paths. */
export interface Protection {
  readonly root: string;
  readonly secret: readonly string[];
  readonly guarded: readonly string[];
  /** Inside a guarded path, what the agent may write: the task's own evidence folder. */
  readonly open: readonly string[];
  /** Inside an open path, still guarded: the artifacts Autopilot produces. */
  readonly produced: readonly string[];
  /** Path fragments searched as text (`.autopilot`, `.git/hooks`, …), with the absolute path each stands for. */
  readonly fragments: readonly { readonly text: string; readonly abs: string }[];
}

/** What the classifier is told about protection besides the state folder and the evidence folder. */
export interface ProtectionScope {
  /** Artifacts Autopilot produces in the task's evidence folder, repo-relative (`…/T-1/verify/test_results.json`). */
  readonly produced?: readonly string[];
  /** Further secret folders, absolute: the per-user state folder. */
  readonly secretDirs?: readonly string[];
  /** Further guarded paths, absolute: git's hooks folder when `core.hooksPath` or a worktree puts it elsewhere. */
  readonly guardedPaths?: readonly string[];
  /** The real path of an absolute path (symlinks resolved), for file tools; absent in pure tests. */
  readonly realpath?: (absolute: string) => string;
}

/** Builds the protection of a scope (memoised by the caller when it cares). */
export function protectionOf(scope: PathScope & ProtectionScope): Protection {
  const root = normalizeAbsolute(scope.repoRoot);
  const state = scope.stateDir && scope.stateDir.trim() !== '' ? resolvePath(scope.stateDir, root) : undefined;
  const evidence = scope.evidenceDir.trim() !== '' ? resolvePath(scope.evidenceDir, root) : undefined;
  const secret = [
    ...(state ? [`${state}/autopilot.db`, `${state}/keys`] : []),
    ...(scope.secretDirs ?? []).map(normalizeAbsolute),
  ];
  const guarded = [
    ...(state ? [state] : []),
    ...GUARDED_IN_REPO.map((p) => `${root}/${p}`),
    ...(scope.guardedPaths ?? []).map(normalizeAbsolute),
  ];
  const fragments = [
    ...(state && state !== root ? [{ text: state.slice(root.length + 1), abs: state }] : []),
    ...GUARDED_IN_REPO.map((p) => ({ text: p, abs: `${root}/${p}` })),
    ...(scope.secretDirs ?? []).map((d) => ({ text: normalizeAbsolute(d), abs: normalizeAbsolute(d) })),
    // The per-user state folder named from the home folder (`$HOME/.local/state/autopilot`, `~/.local/…`).
    { text: '.local/state/autopilot', abs: '/.local/state/autopilot' },
  ];
  return {
    root,
    secret,
    guarded,
    open: evidence && state && evidence !== root ? [evidence] : [],
    produced: (scope.produced ?? []).map((p) => resolvePath(p, root)),
    fragments,
  };
}

const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

/** What an absolute, normalised path is: secret, guarded, or neither (undefined). */
export function protectionOfPath(abs: string, p: Protection, strong = true): Mention | undefined {
  const display = inside(abs, p.root) && abs !== p.root ? abs.slice(p.root.length + 1) : abs;
  const base = abs.slice(abs.lastIndexOf('/') + 1);
  if (p.secret.some((s) => inside(abs, s) || abs.startsWith(`${s}-`)) || SECRET_NAMES.some((n) => base.startsWith(n)))
    return { kind: 'secret', what: display, strong };
  if (abs.endsWith('/.local/state/autopilot') || abs.includes('/.local/state/autopilot/'))
    return { kind: 'secret', what: display, strong };
  if (p.produced.includes(abs)) return { kind: 'guarded', what: display, strong };
  if (p.open.some((o) => inside(abs, o))) return undefined;
  if (p.guarded.some((g) => inside(abs, g))) return { kind: 'guarded', what: display, strong };
  return undefined;
}

/** True when `abs` is a folder that holds a protected path (the repository's root holds them all). */
export function holdsProtected(abs: string, p: Protection): boolean {
  return abs !== '/' && [...p.secret, ...p.guarded].some((g) => g !== abs && inside(g, abs));
}

// Characters that end a path inside program text or a command line.
const PATH_END = /[\s'"`;|&<>(){}[\],=:$\\]/;
// A character before a fragment that makes it part of a longer name (`x.autopilot`, `my.mcp.json`).
const NAME_CHAR = /[A-Za-z0-9_-]/;

/**
 * The protected paths and settings that text names: a literal word, a resolved variable, an inline program or a
 * here-document. `cwd` is where relative paths start (undefined when a `cd` made it unknown: the text is then only
 * searched, not resolved).
 */
export function mentionsInText(text: string, cwd: string | undefined, p: Protection): Mention[] {
  const out: Mention[] = [];
  const lower = text.toLowerCase();
  for (const s of GUARDED_SETTINGS)
    if (lower.includes(s.toLowerCase())) out.push({ kind: 'setting', what: s, strong: false });
  for (const name of SECRET_NAMES) if (text.includes(name)) out.push({ kind: 'secret', what: name, strong: false });
  // The whole text as one path, when it is one.
  if (cwd !== undefined && text !== '' && !/\s/.test(text) && !text.includes('$')) {
    const m = protectionOfPath(resolvePath(text, cwd), p);
    if (m) out.push(m);
  }
  for (const f of p.fragments) {
    let at = text.indexOf(f.text);
    while (at >= 0) {
      const before = text[at - 1];
      const after = text[at + f.text.length];
      const whole =
        (before === undefined || !NAME_CHAR.test(before)) && (after === undefined || !NAME_CHAR.test(after));
      if (whole && !(f.text.startsWith('.') && before === '.')) {
        // The path that continues from the fragment, resolved: `.autopilot/evidence/T-1/../../config.yaml`.
        let end = at + f.text.length;
        while (end < text.length && !PATH_END.test(text[end]!)) end++;
        const tail = text.slice(at + f.text.length, end);
        // A fragment that is part of a longer path (`/proc/1/root$PWD/.autopilot/keys`) is a path, not a mere word.
        const m = protectionOfPath(normalizeAbsolute(`${f.abs}${tail}`), p, tail.length > 0 || before === '/');
        if (m) out.push(m);
      }
      at = text.indexOf(f.text, at + 1);
    }
  }
  return out;
}

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        const body = seg
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The protected paths a glob pattern could match, or a folder holding them (bash's rules: a leading dot is matched
 * only by a literal dot). `cwd` undefined: unknown, so any pattern that could reach the state folder by name counts.
 */
export function mentionsInGlob(pattern: string, cwd: string | undefined, p: Protection): Mention[] {
  if (cwd === undefined) return [];
  const abs = resolvePath(pattern, cwd);
  const segs = abs.split('/').filter(Boolean);
  const out: Mention[] = [];
  for (const target of [...p.secret, ...p.guarded]) {
    const tsegs = target.split('/').filter(Boolean);
    const k = Math.min(segs.length, tsegs.length);
    let match = k > 0;
    for (let i = 0; i < k && match; i++) {
      const s = segs[i]!;
      const t = tsegs[i]!;
      // A leading dot is matched only by a literal one; a segment of wildcards alone (`rm *`) is not taken to name a
      // guarded file it happens to match (AGENTS.md), or every `git add *` would be denied; the wall holds there.
      if (s === t) continue;
      if ((t.startsWith('.') && !s.startsWith('.')) || /^[*?]+$/.test(s)) match = false;
      else match = segmentRegex(s).test(t);
    }
    if (!match) continue;
    // Longer than the target: it names something inside it, which may be open (the task's evidence).
    const m = segs.length > tsegs.length ? protectionOfPath(abs, p) : protectionOfPath(target, p);
    if (m) out.push(m);
  }
  return out;
}
