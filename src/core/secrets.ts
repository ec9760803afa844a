/**
 * @module Secrets in text, the pure part: a finding (file, line, rule, never the secret itself), the added lines of
 * a unified diff laid out at their line numbers in the new file, and the entropy check for generic tokens that
 * secretlint's rules (which know a credential by its vendor's shape) do not cover.
 */

/** One secret found. `excerpt` is the secret masked: its length and shape, never a character of it. */
export interface SecretFinding {
  /** The file the secret is in: a repository path (from a diff) or an evidence path. */
  readonly file: string;
  /** Line in that file, from 1. */
  readonly line: number;
  readonly column: number;
  /** The rule that found it: a secretlint rule id (`@secretlint/secretlint-rule-github`) or `autopilot/entropy`. */
  readonly rule: string;
  /** The rule's own message id (`GITHUB_TOKEN`), or `HIGH_ENTROPY_ASSIGNMENT`. */
  readonly messageId: string;
  readonly excerpt: string;
}

/** The rule id of the entropy check. */
export const ENTROPY_RULE = 'autopilot/entropy';

/** The secret, masked: as many `*` as it has characters (at most 12), then its length. Shows no character of it. */
export function maskSecret(secret: string): string {
  return `${'*'.repeat(Math.min(12, secret.length))} (${secret.length} characters)`;
}

/** One finding as a sentence: where, and which rule; the secret itself is never named. */
export function describeSecret(f: SecretFinding): string {
  return `${f.file} line ${f.line}: ${f.rule} (${f.messageId}) found a secret ${f.excerpt}`;
}

/** The files of a unified diff with the lines it adds, each at its line number in the new file. */
export interface AddedFile {
  readonly path: string;
  /** The new file's text with only the added lines kept: every other line is empty, so line numbers hold. */
  readonly text: string;
  readonly added: number;
}

/**
 * The lines a unified diff (`git diff`, any context) adds, by file. Deleted files and binary files add nothing.
 * Hunk headers give the line numbers; a line without a hunk is not counted.
 */
export function addedByFile(patch: string): AddedFile[] {
  const out: AddedFile[] = [];
  let path: string | undefined;
  let lines: string[] = [];
  let added = 0;
  let next = 0;
  const flush = () => {
    if (path !== undefined && added > 0) out.push({ path, text: lines.join('\n'), added });
    path = undefined;
    lines = [];
    added = 0;
  };
  for (const raw of patch.split('\n')) {
    if (raw.startsWith('diff --git ')) {
      flush();
      continue;
    }
    if (raw.startsWith('+++ ')) {
      flush();
      const name = raw.slice(4).replace(/\t.*$/, '');
      path = name === '/dev/null' ? undefined : unquote(name).replace(/^b\//, '');
      next = 0;
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk) {
      next = Number(hunk[1]);
      continue;
    }
    if (path === undefined || next === 0) continue;
    if (raw.startsWith('+')) {
      while (lines.length < next - 1) lines.push('');
      lines[next - 1] = raw.slice(1);
      added++;
      next++;
    } else if (raw.startsWith(' ')) next++;
    // '-' lines and "\ No newline at end of file" take no line of the new file.
  }
  flush();
  return out;
}

// git quotes a path with unusual bytes as a C string: "b/a\tb.txt".
function unquote(name: string): string {
  if (!name.startsWith('"') || !name.endsWith('"')) return name;
  return name.slice(1, -1).replace(/\\(["\\])/g, '$1');
}

/** Shannon entropy of a string, in bits a character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * A value given to a name that says it is secret: `password = "…"`, `"apiKey": "…"`, `TOKEN=…`. The name's last
 * word decides, so `token_url` or `secret_name` are not secrets.
 */
const ASSIGNMENT =
  /(?<name>[A-Za-z0-9_.-]*?(?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?key|private[_-]?key|token|auth|credentials?|client[_-]?secret))["']?\s*(?::=|=>|=|:)\s*(?<q>["'`]?)(?<value>[A-Za-z0-9+/=_\-.~!@#$%^&*]{16,})\k<q>/gi;

/** Values that name a secret instead of holding one: placeholders, references to variables, repeated characters. */
const NOT_A_VALUE = /^(?:\$\{?|process\.env|os\.environ|env\.|<|%|\{\{)|^(?:x+|\*+|changeme|password|example)$/i;

/** Thresholds of the entropy check: a random token of 16 or more characters has well over 3.5 bits a character. */
export const ENTROPY = { minLength: 16, minBits: 3.5 } as const;

/**
 * Generic tokens: a value of 16 or more characters with an entropy of at least 3.5 bits a character, given to a
 * name that says it is a secret. Entropy alone would flag every hash and integrity digest; the name alone every
 * placeholder. Lines are numbered from 1.
 */
export function entropyFindings(file: string, text: string): SecretFinding[] {
  const out: SecretFinding[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length > 4000) continue; // minified or generated: not where a person pastes a key
    for (const m of line.matchAll(ASSIGNMENT)) {
      const value = m.groups!['value']!;
      if (NOT_A_VALUE.test(value) || shannonEntropy(value) < ENTROPY.minBits) continue;
      out.push({
        file,
        line: i + 1,
        column: m.index + m[0].length - value.length - m.groups!['q']!.length,
        rule: ENTROPY_RULE,
        messageId: 'HIGH_ENTROPY_ASSIGNMENT',
        excerpt: maskSecret(value),
      });
    }
  }
  return out;
}
