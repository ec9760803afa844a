/** @module The offline vulnerability database: `advisories update`. */
import type { Command } from 'commander';
import { example, type Act, type Opts } from './shared.ts';

/** `autopilot advisories update`: fetches osv.dev's databases of the ecosystems in use into supplyChain.osv. */
export function advisoriesCommand(program: Command, act: Act): void {
  const advisories = program
    .command('advisories')
    .description('the offline OSV vulnerability database that VERIFY matches dependencies against');
  advisories
    .command('update')
    .description(
      "fetch osv.dev's database (<Ecosystem>/all.zip) of each ecosystem the lockfiles use into supplyChain.osv",
    )
    .option('--ecosystem <names...>', 'fetch these instead of the ones in use: npm, PyPI, Go, crates.io, Maven')
    .option(
      '--source <url>',
      "a mirror of osv.dev's bucket, serving <url>/<Ecosystem>/all.zip (default https://osv-vulnerabilities.storage.googleapis.com, or AUTOPILOT_OSV_SOURCE)",
    )
    .addHelpText(
      'after',
      `
The ecosystems in use are those of the lockfiles in the work tree (package-lock.json, pnpm-lock.yaml and yarn.lock:
npm; go.mod: Go; poetry.lock, uv.lock, Pipfile.lock and requirements*.txt: PyPI; Cargo.lock: crates.io; pom.xml:
Maven). supplyChain.osv must name a folder; each zip lands in <folder>/<Ecosystem>/all.zip. Every zip is downloaded
beside its place and checked to hold OSV records, and only when all are sound do they replace the old ones, so a
failed update (no network, a server error, a broken download) leaves the database as it was and exits 1.
Progress goes to stderr. VERIFY never uses the network: it reads the folder this writes.
${example('autopilot advisories update\nautopilot advisories update --ecosystem npm Maven\nautopilot advisories update --source http://mirror.internal/osv --json')}`,
    )
    .action(act(async (opts: Opts) => (await import('../verbs/advisories.ts')).advisoriesUpdateVerb(opts)));
}
