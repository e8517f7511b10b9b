/** Kubernetes objects from H2's fixture scenarios, for pure probe tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { V1Pod } from '@kubernetes/client-node';

export const FIXTURES = join(process.cwd(), 'test', 'fixtures');

/** The objects of a fixture scenario. */
export function fixtureObjects(file: string): Record<string, unknown>[] {
  const doc = parse(readFileSync(join(FIXTURES, file), 'utf8')) as { objects: Record<string, unknown>[] };
  return doc.objects;
}

/** One pod of a fixture scenario, deep-copied so tests may mutate it. */
export function fixturePod(file: string, name: string): V1Pod {
  const pod = fixtureObjects(file).find((o) => o.kind === 'Pod' && (o.metadata as { name: string }).name === name);
  if (!pod) throw new Error(`no pod ${name} in ${file}`);
  return structuredClone(pod) as V1Pod;
}
