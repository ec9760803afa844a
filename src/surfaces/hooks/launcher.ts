/** @module Where this package's bin script is, for the commands init writes and the daemon a hook starts. */
import { existsSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * This package's bin script, three folders up from here in the sources and in the built or bundled package alike.
 * Run from the TypeScript sources, it is the development entry that runs them through tsx: the shipped
 * bin/autopilot.js runs only the built dist/, which a checkout may not have (or may have out of date).
 */
export const PACKAGE_BIN = fileURLToPath(
  new URL(
    import.meta.url.endsWith('.ts') ? '../../../scripts/autopilot-dev.js' : '../../../bin/autopilot.js',
    import.meta.url,
  ),
);

const BIN_NAMES = new Set(['autopilot.js', 'autopilot', 'autopilot-dev.js']);

/** The bin script this process runs as, when it was started through one; else this package's. */
export function autopilotBin(argv1: string | undefined = process.argv[1]): string {
  if (argv1 && BIN_NAMES.has(basename(argv1)) && existsSync(argv1)) return realpathSync(argv1);
  return existsSync(PACKAGE_BIN) ? realpathSync(PACKAGE_BIN) : PACKAGE_BIN;
}
