#!/usr/bin/env node
// Development entry point: runs the command line (or the hook entry) from the TypeScript sources through tsx,
// so a checkout needs no build. Not part of the published package, which runs dist/ through bin/autopilot.js.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const hook = process.argv[2] === 'hook' && !process.argv.slice(3).some((a) => a === '--help' || a === '-h');
register();
await import(pathToFileURL(join(root, 'src', 'surfaces', hook ? 'hooks' : 'cli', hook ? 'entry.ts' : 'main.ts')).href);
