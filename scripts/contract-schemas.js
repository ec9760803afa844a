#!/usr/bin/env node
// `npm run schemas`: writes the typed contracts' JSON Schemas, generated from their zod definitions
// (src/core/contracts/schemas.ts), to schemas/, which the package ships. A test fails when they differ.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTRACT_TYPES, contractJsonSchema, contractSchemaFile } from '../src/core/contracts/schemas.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');
mkdirSync(out, { recursive: true });
for (const type of CONTRACT_TYPES) {
  writeFileSync(join(out, contractSchemaFile(type)), `${JSON.stringify(contractJsonSchema(type), null, 2)}\n`);
}
