/** analysis/ and render/ are pure: they import types and each other, never I/O or clients. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../src/', import.meta.url).pathname;
const FORBIDDEN = /^(node:)?(fs|fs\/promises|http|https|net|tls|dgram|child_process|worker_threads)$|^ioredis|^bullmq|^@slack\/|^@kubernetes\/|^ws$|^pino/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of source.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

describe('purity of analysis and render', () => {
  const all = [...files(join(ROOT, 'analysis')), ...files(join(ROOT, 'render'))];

  it('finds the files', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it('no file imports an I/O module or a client library', () => {
    const bad = all.flatMap((f) => importsOf(readFileSync(f, 'utf8')).filter((s) => FORBIDDEN.test(s)).map((s) => `${f}: ${s}`));
    expect(bad).toEqual([]);
  });

  it('no file reads the clock or the environment', () => {
    const bad = all.filter((f) => /\bDate\.now\(|new Date\(\)|process\.env/.test(readFileSync(f, 'utf8')));
    expect(bad).toEqual([]);
  });

  it('the scan catches a forbidden import', () => {
    expect(importsOf("import { readFileSync } from 'node:fs';\nimport type { X } from '../x.js';").filter((s) => FORBIDDEN.test(s))).toEqual(['node:fs']);
    expect(importsOf("export { App } from '@slack/bolt';").filter((s) => FORBIDDEN.test(s))).toEqual(['@slack/bolt']);
  });
});
