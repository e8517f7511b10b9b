/**
 * Imports run one way (issue 12): no module of src/ or jobs/ may import itself through others.
 * Runs the pinned madge over the TypeScript sources, as CI and the README's command do.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('module graph', () => {
  it('has no import cycle in src/ or jobs/', () => {
    const run = spawnSync(
      process.execPath,
      ['node_modules/madge/bin/cli.js', '--circular', '--json', '--extensions', 'ts', '--ts-config', 'tsconfig.json', 'src', 'jobs'],
      { cwd: root, encoding: 'utf8', timeout: 120_000 },
    );
    expect(run.error).toBeUndefined();
    // --json prints the cycles as an array of module paths each; [] when there is none.
    const cycles = JSON.parse(run.stdout) as string[][];
    expect(cycles.map((c) => c.join(' > '))).toEqual([]);
  });
});
