#!/usr/bin/env node
// Entry point: runs the built CLI when present, the TypeScript sources otherwise.
// `autopilot hook …` runs for every tool call of an agent, so it goes to the hook
// entry, which loads none of the command line's verbs (the CLI has the verb too).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// (`autopilot hook --help` is the command line's: it has the verb's help and examples.)
const hook = process.argv[2] === 'hook' && !process.argv.slice(3).some((a) => a === '--help' || a === '-h');
const built = join(root, 'dist', 'surfaces', 'cli', 'main.js');
const builtHook = join(root, 'dist', 'surfaces', 'hooks', 'entry.js');
if (hook && existsSync(builtHook)) {
  await import(pathToFileURL(builtHook).href);
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(
    pathToFileURL(join(root, 'src', 'surfaces', hook ? 'hooks' : 'cli', hook ? 'entry.ts' : 'main.ts')).href
  );
}
