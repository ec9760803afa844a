#!/usr/bin/env node
// Entry point of the installed package: runs the built CLI in dist/.
// `autopilot hook …` runs for every tool call of an agent, so it goes to the hook
// entry, which loads none of the command line's verbs (the CLI has the verb too).
// A checkout runs the TypeScript sources through scripts/autopilot-dev.js instead.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// (`autopilot hook --help` is the command line's: it has the verb's help and examples.)
const hook = process.argv[2] === 'hook' && !process.argv.slice(3).some((a) => a === '--help' || a === '-h');
const entry = join(root, 'dist', 'surfaces', hook ? 'hooks' : 'cli', hook ? 'entry.js' : 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(
    `autopilot: ${entry} is missing: this copy of agent-autopilot was not built.\n` +
      `In a checkout of its sources, run \`npm run build\` (or \`node scripts/autopilot-dev.js …\` to run the sources);\n` +
      `otherwise install it again: npm install --save-dev agent-autopilot\n`,
  );
  // A hook that cannot answer denies (exit 2), as every hook of Autopilot fails closed.
  process.exit(hook ? 2 : 1);
}
await import(pathToFileURL(entry).href);
