/** @module Bash commands: parse with mvdan/sh, walk every simple command and redirection, classify, resolve written paths. */
import type { CommandEnv, Stdin } from './command-env.ts';
import { classifyArgv } from './commands.ts';
import { checkEnvAssignment } from './env-vars.ts';
import { shellEscapes } from './escapes.ts';
import { Findings } from './findings.ts';
import { classifyPath, normalizeAbsolute, resolvePath, type PathScope } from './paths.ts';
import {
  holdsProtected,
  mentionsInGlob,
  mentionsInText,
  protectionOf,
  protectionOfPath,
  type Mention,
  type ProtectionScope,
} from './protected.ts';
import {
  items,
  parseBash,
  present,
  ShellSyntaxError,
  typeOf,
  walk,
  type Assign,
  type CallExpr,
  type File,
  type FuncDecl,
  type Lit,
  type Redirect,
  type Stmt,
  type Word,
} from './shell-ast.ts';
import { decodeWord, plainWord, unescapeDouble, type ShellWord } from './shell-words.ts';

// Scripts nested deeper than this (`bash -c "eval '…'"`) are unknown.
const MAX_DEPTH = 6;
/** Longer command lines are unknown: parsing them would cost more than the guard may spend. */
export const MAX_SHELL_SOURCE = 256 * 1024;

// mvdan/sh v3 token numbers (pinned mvdan-sh 0.10.1; the table tests every one of them).
const RDR_OUT = 54;
const APP_OUT = 55;
const RDR_IN = 56;
const RDR_IN_OUT = 57;
const DPL_IN = 58;
const DPL_OUT = 59;
const CLB_OUT = 60;
const HDOC = 61;
const DASH_HDOC = 62;
const WORD_HDOC = 63;
const RDR_ALL = 64;
const APP_ALL = 65;
const WRITES = new Set([RDR_OUT, APP_OUT, RDR_IN_OUT, DPL_OUT, CLB_OUT, RDR_ALL, APP_ALL]);

/** Where a shell command runs. */
export interface ShellContext extends PathScope, ProtectionScope {
  /** The shell's working directory, absolute or repo-relative; the repository root when absent. */
  readonly cwd?: string;
}

interface PendingWrite {
  readonly target: ShellWord | undefined;
  readonly what: string;
  readonly cwdUnknown: boolean;
  readonly link: boolean;
}

function isQuotedDelimiter(w: Word): boolean {
  return items(w.Parts).some((p) => typeOf(p) !== 'Lit' || (p as Lit).Value.includes('\\'));
}

const word = (w: Word): ShellWord => decodeWord(w);

function stdinOf(stmt: Stmt | undefined): Stdin {
  let stdin: Stdin = { kind: 'none' };
  for (const r of items(stmt?.Redirs)) {
    const fd = present(r.N)?.Value;
    if (fd !== undefined && fd !== '0') continue;
    const target = present(r.Word);
    if (r.Op === HDOC || r.Op === DASH_HDOC) {
      const parts = items(present(r.Hdoc)?.Parts);
      const quoted = target ? isQuotedDelimiter(target) : false;
      if (!parts.every((p) => typeOf(p) === 'Lit')) stdin = { kind: 'dynamic' };
      else {
        const raw = parts.map((p) => (p as Lit).Value).join('');
        stdin = { kind: 'text', text: quoted ? raw : unescapeDouble(raw, true) };
      }
    } else if (r.Op === WORD_HDOC && target) {
      const w = word(target);
      stdin = w.literal ? { kind: 'text', text: `${w.text}\n` } : { kind: 'dynamic' };
    } else if (r.Op === RDR_IN || r.Op === RDR_IN_OUT) {
      stdin = { kind: 'file' };
    } else if (r.Op === DPL_IN) {
      stdin = { kind: 'dynamic' };
    }
  }
  return stdin;
}

// One classification run over a command line and every script nested in it.
class ShellWalk {
  private readonly writes: PendingWrite[] = [];
  private readonly aliases = new Map<string, readonly ShellWord[] | null>();
  private readonly functions = new Set<string>();
  private cwdChanged = false;
  /** Every word of the command line and of the scripts in it, with whether the shell's directory was known there. */
  private readonly words: { readonly word: ShellWord; readonly cwdKnown: boolean }[] = [];
  /** Variables set to a literal in the command (`D=.autopilot`), to resolve `$D` in protected-path checks. */
  private readonly vars = new Map<string, string>();
  private readonly cwd: string;
  private readonly root: string;

  constructor(
    readonly findings: Findings,
    private readonly scope: ShellContext,
  ) {
    this.root = normalizeAbsolute(scope.repoRoot);
    this.cwd = resolvePath(scope.cwd ?? '.', this.root);
  }

  // Parses and walks `source` at nesting `depth`.
  script(source: string, depth: number, findings: Findings = this.findings): void {
    if (depth > MAX_DEPTH) return findings.unknown('scripts nested too deep to follow');
    if (source.length > MAX_SHELL_SOURCE) return findings.unknown(`a command line over ${MAX_SHELL_SOURCE} bytes`);
    let file: File;
    try {
      file = parseBash(source, depth);
    } catch (err) {
      if (!(err instanceof ShellSyntaxError)) throw err;
      return findings.unknown(`not a shell command Autopilot can parse (${err.message})`);
    }
    if (source.includes('alias') || source.includes('(') || source.includes('function'))
      this.collectDefinitions(file, depth);
    let stmt: Stmt | undefined;
    walk(file, (type, node) => {
      if (type === 'Stmt') {
        stmt = node as Stmt;
        const stdin = stdinOf(stmt);
        if (stdin.kind === 'text') this.note(plainWord(stdin.text));
      } else if (type === 'CallExpr') {
        const args = items((node as CallExpr).Args);
        const words = args.map(word);
        for (const w of words) this.note(w);
        if (args.length > 0) classifyArgv(words, this.env(depth, findings, stdinOf(stmt)));
      } else if (type === 'Assign') {
        const a = node as Assign;
        const name = present(a.Name)?.Value;
        const value = present(a.Value);
        if (value) {
          const w = word(value);
          this.note(w);
          if (name !== undefined && w.literal) this.vars.set(name, w.text);
        }
        if (name !== undefined)
          checkEnvAssignment(name, value ? word(value) : undefined, this.env(depth, findings, { kind: 'none' }));
      } else if (type === 'Redirect') {
        this.redirect(node as Redirect, findings);
      }
    });
    for (const why of shellEscapes(source, this.vars)) findings.need('exec', why);
  }

  // Classifies an argv given as an array (no shell in between).
  argv(argv: readonly string[], depth: number): void {
    const words = argv.map(plainWord);
    for (const w of words) this.note(w);
    classifyArgv(words, this.env(depth, this.findings, { kind: 'none' }));
  }

  private note(w: ShellWord): void {
    if (this.words.length < 4096) this.words.push({ word: w, cwdKnown: !this.cwdChanged });
  }

  // `$D` and `${D}` of variables the command set to a literal; undefined when something stays unknown.
  private resolve(w: ShellWord): ShellWord | undefined {
    if (w.literal) return w;
    let unresolved = false;
    const text = w.text.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)…\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (all, a?: string, b?: string) => {
        const v = this.vars.get((a ?? b)!);
        if (v === undefined) unresolved = true;
        return v ?? all;
      },
    );
    if (unresolved || /[$…]/.test(text)) return undefined;
    return { ...w, text, literal: true };
  }

  private collectDefinitions(file: File, depth: number): void {
    walk(file, (type, node) => {
      if (type === 'FuncDecl') {
        const name = present((node as FuncDecl).Name)?.Value;
        if (name) this.functions.add(name);
        return;
      }
      if (type !== 'CallExpr') return;
      const args = items((node as CallExpr).Args).map(word);
      if (args[0]?.text !== 'alias' || !args[0].literal) return;
      for (const def of args.slice(1)) {
        const eq = def.text.indexOf('=');
        if (eq <= 0 || !def.literal) continue;
        this.aliases.set(def.text.slice(0, eq), this.aliasWords(def.text.slice(eq + 1), depth));
      }
    });
  }

  private aliasWords(body: string, depth: number): readonly ShellWord[] | null {
    let file: File;
    try {
      file = parseBash(body, depth + 1);
    } catch {
      return null;
    }
    const stmts = items(file.Stmts);
    const only = stmts[0];
    if (stmts.length !== 1 || !only || items(only.Redirs).length > 0 || typeOf(only.Cmd) !== 'CallExpr') return null;
    const call = only.Cmd as CallExpr;
    return items(call.Assigns).length > 0 ? null : items(call.Args).map(word);
  }

  private env(
    depth: number,
    findings: Findings,
    stdin: Stdin,
    trailingUnknown = false,
    cwdUnknown = false,
  ): CommandEnv {
    return {
      findings,
      stdin,
      trailingUnknown,
      cwdUnknown,
      write: (target, what, options) => {
        this.writes.push({ target, what, cwdUnknown, link: options?.link ?? false });
      },
      script: (source, what) => {
        findings.reason(`${what}: the script is classified too`);
        this.script(source, depth + 1, findings);
      },
      chdir: (target) => {
        if (target && target.literal && !target.tilde && resolvePath(target.text, this.cwd) === this.cwd) return;
        this.cwdChanged = true;
      },
      alias: (name) => this.aliases.get(name),
      isFunction: (name) => this.functions.has(name),
      derive: (c) =>
        this.env(
          depth,
          c.findings ?? findings,
          c.stdin ?? stdin,
          c.trailingUnknown ?? trailingUnknown,
          c.cwdUnknown ?? cwdUnknown,
        ),
    };
  }

  private redirect(r: Redirect, findings: Findings): void {
    const targetWord = present(r.Word);
    if (!targetWord || r.Op === HDOC || r.Op === DASH_HDOC || r.Op === WORD_HDOC) return;
    const target = word(targetWord);
    if (r.Op === RDR_IN || r.Op === DPL_IN) {
      if (target.literal && classifyPath(target.text, this.cwd, this.scope).kind === 'net')
        findings.need('net', `< ${target.text}`);
      return;
    }
    if (r.Op === DPL_OUT && target.literal && /^(\d+-?|-)$/.test(target.text)) return;
    if (WRITES.has(r.Op)) this.writes.push({ target, what: '>', cwdUnknown: false, link: false });
  }

  // Resolves the recorded writes once the whole command is known (a `cd` anywhere makes relative paths unknown).
  finish(): void {
    const f = this.findings;
    for (const w of this.writes) {
      const t = w.target;
      const r = t ? this.resolve(t) : undefined;
      if (!t) f.need('write:source', `${w.what} (to files it does not name)`);
      else if (!r)
        // A variable or substitution could name Autopilot's state as well as anything else: fail closed.
        f.unknown(
          `${w.what} ${t.text}: a write to a path Autopilot cannot resolve (a variable or substitution); spell the path out`,
        );
      else if (r !== t) {
        this.writes.push({ ...w, target: r });
        continue;
      } else if (t.tilde) f.need('write:source', `${w.what} ${t.text}`);
      else if (!t.text.startsWith('/') && (this.cwdChanged || w.cwdUnknown))
        f.need('write:source', `${w.what} ${t.text} (relative to a changed directory)`);
      else if (t.glob && t.text.split('/').some((seg) => seg.startsWith('.') && /[*?[]/.test(seg)))
        f.need('write:source', `${w.what} ${t.text} (a glob that can match ..)`);
      else {
        const given = classifyPath(t.text, this.cwd, this.scope);
        const p = this.protection();
        const real = this.scope.realpath?.(given.absolute) ?? given.absolute;
        if (real !== given.absolute) f.markVolatile();
        // A symlink (from /tmp into the repository, say) writes where it really leads.
        const c = real !== given.absolute ? classifyPath(real, this.cwd, this.scope) : given;
        const hit = protectionOfPath(real, p) ?? protectionOfPath(c.absolute, p);
        // Removing or re-permissioning a folder that holds them reaches them too: a parser cannot evaluate the
        // filters of `find … -delete` or `-exec rm`, so a sweep over such a folder fails closed.
        const sweeping = holdsProtected(c.absolute, p) || holdsProtected(real, p);
        if (
          hit ||
          (sweeping && /^(rm|rmdir|shred|srm|unlink|mv|chmod|chown|chgrp|setfacl|git clean|rsync|find)\b/.test(w.what))
        ) {
          f.unknown(
            `${w.what} ${c.display}${real !== c.absolute ? ` (really ${real})` : ''}: ${
              hit ? `${hit.what} is` : 'it holds'
            } what only Autopilot and people change (its state, git's hooks and config, the agent settings); denied in every phase (use evidence_put for evidence)`,
          );
          f.path(c.display);
        } else if (w.link && c.kind !== 'device') {
          f.need('write:source', `${w.what} ${c.display} (a link can lead anywhere)`);
          f.path(c.display);
        } else if (c.kind === 'state') {
          f.unknown(
            `${w.what} ${c.display}: Autopilot's own state; only Autopilot and people change it (use evidence_put for evidence)`,
          );
          f.path(c.display);
        } else if (c.kind === 'evidence' || c.kind === 'source') {
          f.need(c.kind === 'evidence' ? 'write:evidence' : 'write:source', `${w.what} ${c.display}`);
          f.path(c.display);
        } else if (c.kind === 'net') f.need('net', `${w.what} ${c.display}`);
        else if (c.kind === 'scratch') f.reason(`${w.what} ${c.display} writes scratch space only`);
      }
    }
    this.protectedMentions();
  }

  private protection(): ReturnType<typeof protectionOf> {
    this.prot ??= protectionOf(this.scope);
    return this.prot;
  }
  private prot: ReturnType<typeof protectionOf> | undefined;

  // A command that names Autopilot's secrets, or names what only Autopilot and people change and does more than
  // read, is denied: what a program does with a path it is given is not for a parser to tell.
  private protectedMentions(): void {
    const f = this.findings;
    const p = this.protection();
    const mentions: Mention[] = [];
    for (const { word: w, cwdKnown } of this.words) {
      const r = this.resolve(w);
      const text = r?.text ?? w.text;
      const cwd = r && cwdKnown && !this.cwdChanged ? this.cwd : undefined;
      if (r?.glob) mentions.push(...mentionsInGlob(text, cwd, p));
      mentions.push(...mentionsInText(text, cwd, p));
    }
    if (mentions.length === 0) return;
    const beyondRead = f.isUnknownCall || [...f.capabilities].some((c) => c !== 'read' && c !== 'search');
    const seen = new Set<string>();
    for (const m of mentions) {
      if (seen.has(`${m.kind}:${m.what}`)) continue;
      seen.add(`${m.kind}:${m.what}`);
      if (m.kind === 'secret' && (m.strong || beyondRead)) {
        f.unknown(
          `the command names ${m.what}, one of Autopilot's secrets (its store, keys and approval token): no agent command may read or change them`,
        );
        f.path(m.what);
      } else if (beyondRead) {
        f.unknown(
          `the command names ${m.what}, which only Autopilot and people change (its state, git's hooks and config, the agent settings), and does more than read: denied in every phase (use evidence_put for evidence)`,
        );
        f.path(m.what);
      }
    }
  }
}

/** Classifies a Bash command line: every command it runs, every file it writes. */
export function classifyShell(source: string, ctx: ShellContext, findings: Findings = new Findings()): Findings {
  const walk = new ShellWalk(findings, ctx);
  walk.script(source, 0);
  walk.finish();
  if (findings.capabilities.size === 0 && !findings.isUnknownCall) findings.reason('an empty command');
  return findings;
}

/** Classifies a command given as an argv array (Codex `shell`), unwrapping `bash -lc '…'`. */
export function classifyArgvCommand(
  argv: readonly string[],
  ctx: ShellContext,
  findings: Findings = new Findings(),
): Findings {
  const walk = new ShellWalk(findings, ctx);
  walk.argv(argv, 0);
  walk.finish();
  return findings;
}
