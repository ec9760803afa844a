/** @module What this package is called on the registry and which version of it runs, read from its own package.json. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The npm package: `npm install --save-dev agent-autopilot` (the name `autopilot` is another project's). */
export const PACKAGE_NAME = 'agent-autopilot';
/** The command the package installs (`node_modules/.bin/autopilot`). */
export const BIN_NAME = 'autopilot';

/** The package.json of this package: the first one above `from` (this module's file) that names it. */
export function findPackageJson(from: string = fileURLToPath(import.meta.url)): string | undefined {
  // Walking up rather than a fixed `../..`: the sources, the compiled dist/ and a bundle sit at different depths.
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    try {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown };
      if (pkg.name === PACKAGE_NAME) return candidate;
    } catch {
      // no package.json here, or not one that parses: keep going up
    }
    if (dirname(dir) === dir) return undefined;
  }
}

let cached: string | undefined;

/** The version of the package this code belongs to. Throws when its package.json is gone: the copy is broken. */
export function packageVersion(): string {
  if (cached === undefined) {
    const file = findPackageJson();
    const version = file ? (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version : undefined;
    if (typeof version !== 'string')
      throw new Error(`no package.json of ${PACKAGE_NAME} with a version above ${fileURLToPath(import.meta.url)}`);
    cached = version;
  }
  return cached;
}
