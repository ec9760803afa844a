/** @module Finding the repository, loading `.autopilot/config.yaml`, and writing values into it. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { AutopilotError, ErrorCode, ok, type Result } from '../../core/errors.ts';
import { parseConfig, type Config } from '../../core/config.ts';
import { CONFIG_DIR, CONFIG_FILE } from './layout.ts';
import { PACK_DIR } from '../../core/policy/pack.ts';
import { policySetOf } from './policies.ts';
import { writeAtomic } from './files.ts';

/** The nearest folder at or above `cwd` that holds `.autopilot/config.yaml`, or undefined. */
export function findRoot(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, CONFIG_DIR, CONFIG_FILE))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Parses config text; throws CONFIG_INVALID naming the key (or the line, for YAML syntax errors). */
export function parseConfigText(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const err = doc.errors[0];
  if (err) {
    // Without prettyErrors the error carries offsets only; the line counter turns them into a line.
    const line =
      err.linePos?.[0]?.line ?? (err.pos[0] !== undefined ? lineCounter.linePos(err.pos[0]).line : undefined);
    throw new AutopilotError(
      ErrorCode.CONFIG_INVALID,
      `${file}${line ? `:${line}` : ''}: YAML syntax error: ${err.message.split('\n')[0]}`,
      {
        key: '(yaml)',
        reason: err.message.split('\n')[0],
        file,
        line,
      },
    );
  }
  const r = parseConfig(doc.toJS());
  if (!r.ok)
    throw new AutopilotError(ErrorCode.CONFIG_INVALID, `${file}: ${r.error.message}`, { ...r.error.details, file });
  return r.value;
}

export function loadConfig(root: string): Config {
  const file = join(root, CONFIG_DIR, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new AutopilotError(
      ErrorCode.CONFIG_INVALID,
      `no config at ${file}; run \`autopilot init\` in the repository`,
      {
        key: '(file)',
        reason: 'missing',
        file,
      },
    );
  }
  return withPolicyFiles(parseConfigText(text, file), root);
}

/**
 * The config with the repository's policy files (`.autopilot/policies/*.cedar`, in name order) as `policies.sources`,
 * so that they are part of its digest, and the policy set checked: a policy that does not parse or validate is
 * CONFIG_INVALID naming its file and line. Without files and without a `policies` section the config is unchanged.
 */
function withPolicyFiles(config: Config, root: string): Config {
  const dir = join(root, CONFIG_DIR, 'policies');
  // The folder's own files, then the policy pack's (`pack/`, as `init --policy-pack` writes it).
  const names = [...cedarFiles(dir, ''), ...cedarFiles(join(dir, PACK_DIR), `${PACK_DIR}/`)];
  if (names.length === 0 && !config.policies) return config;
  const sources: Record<string, string> = { ...config.policies?.sources };
  for (const name of names) {
    if (sources[name] !== undefined) {
      throw new AutopilotError(
        ErrorCode.CONFIG_INVALID,
        `${CONFIG_DIR}/policies/${name}: the config's policies.sources holds a policy text by the same name; keep one`,
        { key: `policies.sources.${name}`, reason: 'defined twice', file: join(dir, name) },
      );
    }
    sources[name] = readFileSync(join(dir, name), 'utf8');
  }
  const out: Config = {
    ...config,
    policies: { ...config.policies, ...(Object.keys(sources).length ? { sources } : {}) },
  };
  policySetOf(out);
  return out;
}

/** The `.cedar` files of `dir`, in name order, each as `prefix` + its name; none when there is no such folder. */
function cedarFiles(dir: string, prefix: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile() && d.name.endsWith('.cedar'))
      .map((d) => `${prefix}${d.name}`)
      .sort();
  } catch {
    return []; // no such folder: the tool table alone
  }
}

/** One value to write into the config: its key path (`['approvals', 'maxLines']`) and the value. */
export interface ConfigValue {
  readonly path: readonly string[];
  readonly value: unknown;
}

/**
 * Writes `values` into the config file at `file`, keeping its comments, order and every other key; sections a key
 * needs are created. The new text must load as a config, else nothing is written and the error is thrown as
 * CONFIG_INVALID (naming the key). Written atomically (a reader sees the old file or the new one).
 */
export function writeConfigValues(file: string, values: readonly ConfigValue[]): Result<{ text: string }> {
  const before = readFileSync(file, 'utf8');
  const doc = parseDocument(before, { uniqueKeys: true });
  if (doc.errors[0]) parseConfigText(before, file); // throws CONFIG_INVALID naming the line
  for (const v of values) doc.setIn([...v.path], v.value);
  const text = doc.toString();
  parseConfigText(text, file);
  writeAtomic(dirname(file), basename(file), text);
  return ok({ text });
}
