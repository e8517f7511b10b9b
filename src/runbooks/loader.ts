/**
 * Loads runbooks from YAML text, a folder, or a ConfigMap's data. Errors name the file, the
 * line and column, the path inside the runbook and what is wrong.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { BadInputError } from '../errors.js';
import { runbookSchema, type Runbook } from './schema.js';

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

/**
 * Parses one runbook. Throws BadInputError with a message like
 * `runbooks/oom-triage.yaml:7:5: steps[1].when: expected conditions like …`.
 */
export function parseRunbook(text: string, fileName: string): Runbook {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const pos = lineCounter.linePos(err.pos[0]);
    const where = `${fileName}:${pos.line}:${pos.col}`;
    throw new BadInputError(`${where}: not valid YAML: ${err.message.split('\n')[0]}`);
  }
  const result = runbookSchema.safeParse(doc.toJS());
  if (result.success) return result.data;

  const issue = result.error.issues[0]!;
  // Point at the deepest node of the path that exists in the document.
  let where = fileName;
  for (let n = issue.path.length; n >= 0; n--) {
    const node = doc.getIn(issue.path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      where = `${fileName}:${pos.line}:${pos.col}`;
      break;
    }
  }
  const path = formatPath(issue.path);
  throw new BadInputError(`${where}: ${path ? `${path}: ` : ''}${issue.message}`);
}

/** Every `*.yaml`/`*.yml` in a folder, by name; a bad file fails the load with its error. */
export async function loadRunbookDir(dir: string): Promise<Map<string, Runbook>> {
  const names = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  return loadRunbookTexts(await Promise.all(names.map(async (n) => ({ name: join(dir, n), text: await readFile(join(dir, n), 'utf8') }))));
}

/** Runbooks from named texts (a folder's files or a ConfigMap's `data`). Names must be unique. */
export function loadRunbookTexts(files: { name: string; text: string }[]): Map<string, Runbook> {
  const byName = new Map<string, Runbook>();
  for (const file of files) {
    const rb = parseRunbook(file.text, file.name);
    if (byName.has(rb.metadata.name)) {
      throw new BadInputError(`${file.name}: runbook name "${rb.metadata.name}" is used twice; names must be unique`);
    }
    byName.set(rb.metadata.name, rb);
  }
  return byName;
}
