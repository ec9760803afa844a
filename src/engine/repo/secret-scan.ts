/**
 * @module The one secret scanner: secretlint's core with its recommended rule preset (credentials by their vendors'
 * shapes: AWS, GitHub, Slack, npm, OpenAI, private key blocks, connection strings, …) and the entropy check for
 * generic tokens. VERIFY scans the task's diff with it, the phase gate every evidence file, the risk assessment the
 * diff, and git's pre-commit hook the staged diff. Findings name file, line and rule and never hold the secret.
 */
import type { SecretLintCoreConfig, SecretLintCoreResult } from '@secretlint/types';
import { BoundedCache } from '../../core/bounded-cache.ts';
import { addedByFile, entropyFindings, maskSecret, type SecretFinding } from '../../core/secrets.ts';

type Lint = (text: string, filePath: string) => Promise<SecretLintCoreResult>;

/** A stand-in for the performance timeline that records nothing. */
const NO_MARKS = { mark: () => undefined, measure: () => undefined };

/** secretlint, loaded when a scan first needs it: the hooks that scan nothing never pay for it. */
let linter: Promise<Lint> | undefined;

function loadLinter(): Promise<Lint> {
  return (linter ??= (async () => {
    const [{ lintSource }, { creator }, { secretLintProfiler }] = await Promise.all([
      import('@secretlint/core'),
      import('@secretlint/secretlint-rule-preset-recommend'),
      import('@secretlint/profiler'),
    ]);
    // secretlint's profiler puts marks for every rule of every scan on the process's performance timeline and keeps
    // them (a long-lived server would grow without end), and measures them in promises nobody awaits, whose
    // rejection would end the process. Nothing here reads the profile: its marks go nowhere.
    (secretLintProfiler as unknown as { perf: typeof NO_MARKS }).perf = NO_MARKS;
    const config: SecretLintCoreConfig = {
      rules: [
        {
          id: '@secretlint/secretlint-rule-preset-recommend',
          rule: creator,
          // An AWS access key id alone is worth stopping too: it names the account and half the credential.
          rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }],
        },
      ],
    };
    return (text: string, filePath: string) =>
      lintSource({
        source: { content: text, filePath, contentType: 'text' },
        // Masked at the source, so no message the library builds can carry the secret further.
        options: { config, maskSecrets: true, noPhysicFilePath: true },
      });
  })());
}

/** Files larger than this are not scanned by content: a pasted key is a line of a small file. */
export const MAX_SCAN_BYTES = 4 * 1024 * 1024;

/**
 * Scans one text: secretlint's findings, then the entropy check's on lines secretlint said nothing about. `file`
 * names the findings and gives secretlint the extension some rules look at.
 */
export async function scanText(file: string, text: string): Promise<SecretFinding[]> {
  if (text.length > MAX_SCAN_BYTES || text.includes('\0')) return [];
  // Every move scans its phase's files again, unchanged since they were put: a scan depends on the name and the text
  // only (the rules are fixed), so it is kept by both, for texts of evidence size (a large diff is scanned afresh).
  if (text.length > KEEP_SCAN_CHARS) return lintText(file, text);
  const key = `${file}\0${text}`;
  const hit = SCANNED.get(key);
  if (hit) return hit.map((f) => ({ ...f }));
  const found = await lintText(file, text);
  SCANNED.set(
    key,
    found.map((f) => ({ ...f })),
  );
  return found;
}

/** Texts up to this length have their scan kept (see {@link scanText}), the 512 latest. */
const KEEP_SCAN_CHARS = 64 * 1024;
const SCANNED = new BoundedCache<string, readonly SecretFinding[]>(512);

async function lintText(file: string, text: string): Promise<SecretFinding[]> {
  const lint = await loadLinter();
  const result = await lint(text, file);
  const found: SecretFinding[] = result.messages.map((m) => ({
    file,
    line: m.loc.start.line,
    column: m.loc.start.column,
    rule: m.ruleId,
    messageId: m.messageId ?? m.ruleId,
    excerpt: maskSecret(text.slice(m.range[0], m.range[1])),
  }));
  const lines = new Set(found.map((f) => f.line));
  for (const f of entropyFindings(file, text)) if (!lines.has(f.line)) found.push(f);
  return found.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Folders of installed dependencies, committed or not: other people's published code, tens of thousands of files
 * (a vendored node_modules made a pre-commit hook run for minutes), and never where a person pastes a key. What
 * the repository's own files add is scanned wherever they are.
 */
const DEPENDENCY_FOLDER = /(^|\/)(node_modules|\.venv|venv|site-packages|vendor|\.yarn\/cache|\.pnpm-store)\//;

/** True for a path inside a folder of installed dependencies, which the scans of a diff leave out. */
export function isDependencyPath(path: string): boolean {
  return DEPENDENCY_FOLDER.test(path);
}

/**
 * Scans what a unified diff adds (never what it removes), each finding at its line in the new file; files in
 * folders of installed dependencies ({@link isDependencyPath}) are left out.
 */
export async function scanPatch(patch: string): Promise<SecretFinding[]> {
  const out: SecretFinding[] = [];
  for (const f of addedByFile(patch)) if (!isDependencyPath(f.path)) out.push(...(await scanText(f.path, f.text)));
  return out;
}

/** True when a file holds a unified diff (the implement phase's `git_diff.patch`): only its added lines count. */
export function isPatch(name: string, text: string): boolean {
  return /\.(patch|diff)$/i.test(name) && /^(diff --git |--- |\+\+\+ )/m.test(text);
}
