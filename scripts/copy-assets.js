#!/usr/bin/env node
// Part of `npm run build`: tsc compiles only TypeScript, so the dashboard's style sheet and browser script
// (src/surfaces/http/assets/) are copied to dist/ beside the compiled module that reads them.
import { cpSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'src', 'surfaces', 'http', 'assets');
const to = join(root, 'dist', 'surfaces', 'http', 'assets');
// A file removed from the sources must not linger in dist/ and ship.
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
