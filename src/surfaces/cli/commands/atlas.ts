/** @module The code atlas: `atlas build`, `atlas show`, `atlas impact`. */
import type { Command } from 'commander';
import { example, type Act, type Opts } from './shared.ts';

/** `autopilot atlas build|show|impact`: the repository's files, symbols and import edges, and what a change reaches. */
export function atlasCommand(program: Command, act: Act): void {
  const atlas = program
    .command('atlas')
    .description(
      "the code atlas: files, exported symbols and import/call edges (TS/JS, Python, Go), and a change's impact",
    );
  atlas
    .command('build')
    .description('parse the files whose digest changed since the last build, link the graph, write its manifest')
    .addHelpText(
      'after',
      `
The manifest (each file's digest, the graph's digest) is a cache in the state folder's atlas/ folder: every build
digests each file again, and re-parses those that changed. Progress goes to stderr.
${example('autopilot atlas build\nautopilot atlas build --json | jq .manifest.digest')}`,
    )
    .action(act(async (opts: Opts) => (await import('../verbs/atlas.ts')).atlasBuildVerb(opts)));
  atlas
    .command('show [target]')
    .description('a file (path) or an exported symbol (NAME or PATH#NAME): its imports, importers and callers')
    .addHelpText(
      'after',
      `
Without a target: the atlas's digests and counts.
${example('autopilot atlas show src/core/errors.ts\nautopilot atlas show refuse\nautopilot atlas show src/core/errors.ts#refuse --json')}`,
    )
    .action(
      act(async (target: string | undefined, opts: Opts) =>
        (await import('../verbs/atlas.ts')).atlasShowVerb(target, opts),
      ),
    );
  atlas
    .command('impact')
    .description('the files and symbols a change reaches (reverse imports, transitively) and the tests among them')
    .option(
      '--base <ref>',
      'the change is the working tree against this commit (default HEAD), untracked files included',
    )
    .option('--files <paths...>', 'the change is these files (repository paths) instead of a diff')
    .addHelpText(
      'after',
      example(
        'autopilot atlas impact\nautopilot atlas impact --base main\nautopilot atlas impact --files src/core/errors.ts src/core/task.ts --json',
      ),
    )
    .action(act(async (opts: Opts) => (await import('../verbs/atlas.ts')).atlasImpactVerb(opts)));
}
