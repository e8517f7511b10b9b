#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` via `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'bin', 'cli.js');
if (!existsSync(entry)) {
  console.error('podnet: not built yet. Run `npm ci` (or `npm run build`) in the podnet folder first.');
  process.exit(2);
}
await import(pathToFileURL(entry).href);
