/** @module The package as it is installed, for the benchmarks that measure it: package.json, bin/autopilot.js and dist/ compiled by tsc. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * Compiles the sources into `dir`/dist with tsconfig.build.json (its own build-info file, so that nothing is
 * skipped as up to date), beside a copy of package.json and bin/autopilot.js and a link to node_modules.
 * Throws with tsc's report when the sources do not compile: a benchmark of code that failed to build would
 * measure something else. Returns the bin script.
 */
export function compilePackage(dir: string): string {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'autopilot.js'), join(dir, 'bin', 'autopilot.js'));
  copyFileSync(join(ROOT, 'bin', 'autopilot-hook'), join(dir, 'bin', 'autopilot-hook'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const tsc = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      join(dir, 'dist'),
      '--tsBuildInfoFile',
      join(dir, 'dist', '.tsbuildinfo'),
    ],
    { encoding: 'utf8' },
  );
  if (tsc.status !== 0)
    throw new Error(
      `tsc -p tsconfig.build.json failed (exit ${tsc.status ?? tsc.signal}); fix the sources, then run the benchmark again:\n${tsc.stdout}${tsc.stderr}`,
    );
  return join(dir, 'bin', 'autopilot.js');
}
