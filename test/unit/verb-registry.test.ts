/**
 * The verb registry (src/commands/verbs): every registered verb has every part, no two verbs or
 * options share a word, the renderers it names exist, and the compiler refuses a verb that
 * lacks a part (the `@ts-expect-error` lines below fail `npm run typecheck` if it stops).
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REGISTRY, registryProblems, SPECS, type Registry } from '../../src/commands/verbs/index.js';
import type { VerbSpec } from '../../src/commands/verbs/spec.js';
import { checkVerb } from '../../src/commands/verbs/check.js';
import { clustersVerb, type ClustersCommand } from '../../src/commands/verbs/clusters.js';
import type { ParsedCommand } from '../../src/commands/grammar.js';

const ROOT = join(import.meta.dirname, '..', '..');
type Specs = Record<string, VerbSpec<ParsedCommand>>;
const asSpecs = (r: unknown): Specs => r as Specs;

/** The registry with one verb's spec replaced. */
function withVerb(name: string, spec: unknown): Specs {
  return { ...asSpecs(REGISTRY), [name]: spec as VerbSpec<ParsedCommand> };
}

describe('verb registry', () => {
  it('is sound as shipped: every part, no collisions', () => {
    expect(registryProblems(asSpecs(REGISTRY))).toEqual([]);
  });

  it('fails when a registered verb lacks a part', () => {
    for (const part of ['usage', 'summary', 'flags', 'parse', 'format', 'describe', 'routes', 'permission', 'run'] as const) {
      const { [part]: _dropped, ...rest } = clustersVerb;
      expect(registryProblems(withVerb('clusters', rest))).toEqual([`verb clusters has no ${part}`]);
    }
    const noProcessor = { ...checkVerb, run: { on: 'worker', job: 'check', renderer: 'x' } };
    expect(registryProblems(withVerb('check', noProcessor))).toEqual(['verb check runs on a worker but names no job, processor or renderer']);
  });

  it('refuses two verbs with one word, and two options with one spelling', () => {
    expect(registryProblems(withVerb('status', { ...clustersVerb, name: 'status', aliases: ['check'] }))).toEqual(['"check" names both check and status']);
    const twice = { ...checkVerb, flags: [...checkVerb.flags, { ...checkVerb.flags[0], key: 'ns2' }] };
    expect(registryProblems(withVerb('check', twice))).toEqual(expect.arrayContaining([expect.stringMatching(/^verb check has two options spelled -n on slack/)]));
    const sameKey = { ...checkVerb, flags: [...checkVerb.flags, { ...checkVerb.flags[0], names: ['--ns'] }] };
    expect(registryProblems(withVerb('check', sameKey))).toContain('verb check has two options with key namespace on slack');
  });

  it('names renderers that exist', async () => {
    for (const spec of SPECS) {
      const [file, name] = spec.run.renderer.split('#') as [string, string];
      expect(existsSync(join(ROOT, file))).toBe(true);
      const mod = (await import(join(ROOT, file))) as Record<string, unknown>;
      expect([spec.name, typeof mod[name]]).toEqual([spec.name, 'function']);
    }
  });

  it('every verb is reachable on a surface, and formats back to what it parses', () => {
    for (const spec of SPECS) expect(spec.surfaces.length).toBeGreaterThan(0);
    expect(checkVerb.format(checkVerb.parse({ tokens: [{ text: 'p', quoted: false }], surface: 'slack' }))).toEqual(['p', '-n', 'default']);
  });
});

// Compile-time: each of these must be a type error (npm run typecheck fails on an unused @ts-expect-error).
const { permission: _permission, ...withoutPermission } = clustersVerb;
// @ts-expect-error a spec without `permission` is not a VerbSpec
export const lacksPermission: VerbSpec<ClustersCommand> = withoutPermission;
const { run: _run, ...withoutRun } = clustersVerb;
// @ts-expect-error a spec without `run` (job, processor, renderer) is not a VerbSpec
export const lacksRun: VerbSpec<ClustersCommand> = withoutRun;
const { clusters: _clusters, ...withoutClusters } = REGISTRY;
// @ts-expect-error a registry without one of the verbs is not a Registry
export const lacksVerb: Registry = withoutClusters;
