/**
 * @module CODEOWNERS, as GitHub documents it: where the file is looked for, one rule a line (a pattern, then owners),
 * `#` comments, gitignore-like patterns without negation or character ranges, and the last matching rule wins (a rule
 * without owners leaves its paths unowned). Pure: the engine reads the file and the changed paths.
 */

/** Where the file is looked for, in GitHub's order: the first that exists is the one used. */
export const CODEOWNERS_PATHS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'] as const;

/** One rule: its line, its pattern as written, its owners (`@user`, `@org/team` or an e-mail address). */
export interface OwnerRule {
  readonly line: number;
  readonly pattern: string;
  readonly owners: readonly string[];
  readonly regex: RegExp;
}

/** A line the parser could not take, which GitHub also skips (and shows as an error). */
export interface OwnerLineError {
  readonly line: number;
  readonly reason: string;
}

/** The rules of a CODEOWNERS text, in file order, and the lines it skipped. */
export function parseCodeowners(text: string): { rules: OwnerRule[]; errors: OwnerLineError[] } {
  const rules: OwnerRule[] = [];
  const errors: OwnerLineError[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const words = splitWords(stripComment(raw));
    if (words.length === 0) return;
    const [pattern, ...owners] = words as [string, ...string[]];
    if (pattern.startsWith('!')) return void errors.push({ line, reason: `negation (${pattern}) is not supported` });
    if (/[[\]]/.test(pattern))
      return void errors.push({ line, reason: `character ranges (${pattern}) are not supported` });
    const bad = owners.find((o) => !/^@[\w.-]+(\/[\w.-]+)?$/.test(o) && !/^[^@\s]+@[^@\s]+$/.test(o));
    if (bad !== undefined)
      return void errors.push({ line, reason: `"${bad}" is not an owner (@user, @org/team or an e-mail address)` });
    rules.push({ line, pattern, owners, regex: patternRegex(pattern) });
  });
  return { rules, errors };
}

/** The rule that decides `path` (repository-relative, forward slashes): the last one that matches, or undefined. */
export function ownerRuleFor(rules: readonly OwnerRule[], path: string): OwnerRule | undefined {
  for (let i = rules.length - 1; i >= 0; i--) if (rules[i]!.regex.test(path)) return rules[i];
  return undefined;
}

/** `#` starts a comment unless escaped (`\#`); the escape is undone. */
function stripComment(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\' && raw[i + 1] === '#') {
      out += '#';
      i++;
    } else if (c === '#') break;
    else out += c;
  }
  return out;
}

/** Words separated by blanks; a backslash keeps a blank inside a pattern (`my\ file`). */
function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && (s[i + 1] === ' ' || s[i + 1] === '\t')) {
      cur += s[++i];
    } else if (c === ' ' || c === '\t') {
      if (cur) words.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) words.push(cur);
  return words;
}

const escape = (s: string) => s.replace(/[.+^${}()|\\?]/g, '\\$&');

/**
 * A pattern as a regular expression over a path. As in gitignore: a pattern with a slash at its start or in its middle
 * is anchored at the root, otherwise it matches at any depth; a match of a folder covers everything under it; `*`
 * matches within one path segment, `**` across segments, `?` one character.
 */
function patternRegex(pattern: string): RegExp {
  const dirOnly = pattern.endsWith('/');
  let p = dirOnly ? pattern.slice(0, -1) : pattern;
  const anchored = p.startsWith('/') || p.includes('/');
  p = p.replace(/^\/+/, '');
  let body = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && p[i + 1] === '*') {
      // `**/` any leading folders (none included), `/**` everything under, `**` alone anything.
      if (p[i + 2] === '/') {
        body += '(?:.*/)?';
        i += 2;
      } else {
        body += '.*';
        i += 1;
      }
    } else if (c === '*') body += '[^/]*';
    else if (c === '?') body += '[^/]';
    else body += escape(c);
  }
  if (p === '*') return /^.*$/;
  const lead = anchored ? '^' : '^(?:.*/)?';
  // A folder pattern (`docs/`) covers only what is under it; a plain name covers the file or everything under it;
  // `docs/*` covers the folder's own files, not those of its sub-folders (GitHub's documented exception to gitignore).
  const tail = dirOnly ? '/.*$' : /(^|\/)\*$/.test(p) && !p.endsWith('**') ? '$' : '(?:/.*)?$';
  return new RegExp(lead + body + tail);
}
