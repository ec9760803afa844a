/** @module Where this package's bin script is, for the commands init writes and the daemon a hook starts. */
import { existsSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

// This package's bin script: three folders up from here, in the sources and in the built package alike.
const PACKAGE_BIN = fileURLToPath(new URL('../../../bin/autopilot.js', import.meta.url));

/** The bin script this process runs as, when it was started through one; else this package's. */
export function autopilotBin(argv1: string | undefined = process.argv[1]): string {
  if (argv1 && basename(argv1) === 'autopilot.js' && existsSync(argv1)) return realpathSync(argv1);
  if (argv1 && basename(argv1) === 'autopilot' && existsSync(argv1)) return realpathSync(argv1);
  return existsSync(PACKAGE_BIN) ? realpathSync(PACKAGE_BIN) : PACKAGE_BIN;
}
