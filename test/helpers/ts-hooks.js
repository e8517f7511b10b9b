// Module hooks for register-ts.js: resolve `./x.js` to `./x.ts` when only the .ts exists
// (NodeNext import style), and transpile .ts with the project's TypeScript.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export async function resolve(specifier, context, next) {
  const relative = specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:');
  if (relative) {
    const url = new URL(specifier, context.parentURL);
    if (url.pathname.endsWith('.ts')) return { url: url.href, format: 'module', shortCircuit: true };
    if (url.pathname.endsWith('.js') && !existsSync(fileURLToPath(url))) {
      const tsUrl = new URL(url.href.replace(/\.js$/, '.ts'));
      if (existsSync(fileURLToPath(tsUrl))) return { url: tsUrl.href, format: 'module', shortCircuit: true };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const file = fileURLToPath(url);
  const out = ts.transpileModule(await readFile(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, isolatedModules: true },
  });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
