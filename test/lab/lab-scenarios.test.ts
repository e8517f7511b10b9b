/**
 * Every shipped scenario, checked twice through the whole check (real client-node → simulator
 * → probes → diagnose): once on the simulator's model and once in lab mode, where pods/exec
 * runs the probes' real commands in real network namespaces. The top cause must be the same.
 * For the seed incident the evidence must be the kernel's: the netns inode is the namespace
 * file's inode, the socket rows are rows of the namespace's real /proc/net/tcp (not the
 * simulator's synthesized inodes), and the CLI's `--lab --evidence` says the same.
 */
import { afterAll, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diagnose } from '../../src/analysis/diagnose.js';
import { main as checkMain, type CliIo } from '../../src/bin/check.js';
import { createClusterAccess } from '../../src/cluster/client.js';
import type { Evidence } from '../../src/evidence.js';
import { listNetns } from '../../src/lab/names.js';
import { collectEvidence } from '../../src/probes/collect.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { startSimulator, type RunningSimulator } from '../../src/sim/server.js';
import { describeLab } from './lab-support.js';

const DIR = join(process.cwd(), 'scenarios');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

/** The pod a scenario is about: the first pod under `pods:`. */
function podOf(file: string): { namespace: string; pod: string } {
  const key = Object.keys(loadScenario(join(DIR, file)).pods)[0] ?? '';
  const [namespace = '', pod = ''] = key.split('/');
  return { namespace, pod };
}

async function check(file: string, lab: boolean, keep?: (sim: RunningSimulator, evidence: Evidence) => void) {
  const scenario = loadScenario(join(DIR, file));
  const now = new Date(scenario.now);
  const sim = await startSimulator({ scenario, port: 0, ...(lab ? { lab: {} } : {}) });
  try {
    const cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() });
    const evidence = await collectEvidence(cluster, podOf(file), { now: () => now });
    keep?.(sim, evidence);
    return diagnose(evidence, { now });
  } finally {
    await sim.close();
  }
}

const mine = (): string[] => listNetns().filter((n) => n.startsWith(`podnet-${process.pid}-`));

describeLab('lab: every shipped scenario gives the same top cause in lab mode as on the simulator', () => {
  afterAll(() => {
    // Nothing of this process's labs outlives them.
    expect(mine()).toEqual([]);
  });

  for (const file of FILES) {
    it(file, async () => {
      const sim = await check(file, false);
      const lab = await check(file, true);
      expect({ file, top: lab.hypotheses[0]?.cause }).toEqual({ file, top: sim.hypotheses[0]?.cause });
    }, 120_000);
  }

  it('seed incident: the netns inodes and socket rows in the evidence are the kernel\'s, not the scenario\'s', async () => {
    let seen: { evidence: Evidence; inode: number; realTcp: string } | undefined;
    await check('seed-incident.yaml', true, (sim, evidence) => {
      const netns = sim.lab!.netnsOf('financial-ml/mlserver-0', 'mlserver');
      const realTcp = execFileSync('ip', ['netns', 'exec', netns, 'cat', '/proc/net/tcp'], { encoding: 'utf8' });
      // An nsfs file's inode is the namespace's: what `readlink /proc/self/ns/net` prints inside.
      seen = { evidence, inode: statSync(`/run/netns/${netns}`).ino, realTcp };
    });
    const { evidence, inode, realTcp } = seen!;
    expect(evidence.netns.length).toBeGreaterThan(0);
    for (const n of evidence.netns) expect(n.netns).toBe(`net:[${inode}]`);
    const rows = evidence.sockets.flatMap((s) => s.listeners);
    expect(rows.length).toBeGreaterThan(0);
    const realInodes = new Set(realTcp.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[9]).filter(Boolean));
    for (const r of rows.filter((x) => x.proto === 'tcp')) expect(realInodes.has(String(r.inode))).toBe(true);
    // The simulator numbers its sockets from 51200000 and its namespaces from 4026532200.
    for (const r of rows) expect(r.inode ?? 0).toBeLessThan(51_200_000);
  }, 120_000);

  it('podnet check --lab --output json --evidence-file names probe-bind-mismatch for the seed incident', async () => {
    const dir = mkdtempSync(join(tmpdir(), `podnet-${process.pid}-ev-`));
    try {
      let out = '';
      const io: CliIo = { stdout: (t) => (out += t), stderr: () => undefined, stdoutIsTTY: false, stderrIsTTY: false, env: {} };
      const code = await checkMain(['mlserver-0', '-n', 'financial-ml', '--scenario', join(DIR, 'seed-incident.yaml'), '--lab', '--output', 'json', '--evidence-file', join(dir, 'ev.json')], io);
      expect(code).toBe(0);
      expect((JSON.parse(out) as { hypotheses: { cause: string }[] }).hypotheses[0]?.cause).toBe('probe-bind-mismatch');
      const ev = JSON.parse(readFileSync(join(dir, 'ev.json'), 'utf8')) as Evidence;
      expect(ev.netns.every((n) => n.netns !== 'net:[4026532200]')).toBe(true);
      expect(mine()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
