/** Sweep over a generated namespace on the simulator, with the real client-node. */
import { createClusterAccess } from '../../src/cluster/client.js';
import { generateSweepScenario } from '../../src/sim/generate.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { startSimulator } from '../../src/sim/server.js';
import { runSweep } from '../../src/sweep/sweep.js';
import { renderSweepText } from '../../src/render/sweep.js';

describe('sweep', () => {
  it('finds every unhealthy pod, checks only those, puts them first, and reports progress', async () => {
    const template = loadScenario('scenarios/server-crashloop.yaml');
    const scenario = generateSweepScenario({ template, pods: 40, unhealthyEvery: 8, namespace: 'shop' });
    const sim = await startSimulator({ scenario });
    try {
      const cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), qps: 500, burst: 100 });
      const progress: number[] = [];
      const result = await runSweep(cluster, { namespace: 'shop' }, { now: () => new Date(template.now), onProgress: (done) => progress.push(done) });
      expect(result.rows).toHaveLength(40);
      expect(result.checked).toBe(5);
      expect(result.rows.slice(0, 5).map((r) => [r.healthy, r.cause])).toEqual(Array(5).fill([false, 'server-crashloop']));
      expect(result.rows.slice(5).every((r) => r.healthy && r.cause === undefined)).toBe(true);
      expect(progress).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(result.apiRequests).toBe(sim.requestCount());
      expect(renderSweepText(result)).toMatch(/^Sweep of shop: 40 pods, 5 unhealthy, 5 checked in depth/);
    } finally {
      await sim.close();
    }
  });

  it('filters by label selector and reports a failed check as a row, not a crash', async () => {
    const template = loadScenario('scenarios/server-crashloop.yaml');
    const scenario = generateSweepScenario({ template, pods: 10, unhealthyEvery: 5, namespace: 'shop' });
    scenario.faults = [{ path: '/api/v1/namespaces/shop/pods/app-0004', status: 403 }];
    const sim = await startSimulator({ scenario });
    try {
      const cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), qps: 500, burst: 100 });
      const web = await runSweep(cluster, { namespace: 'shop', labelSelector: 'app=web' });
      expect(web.rows).toHaveLength(8);
      const all = await runSweep(cluster, { namespace: 'shop' });
      const failed = all.rows.find((r) => r.pod === 'app-0004')!;
      expect(failed.error).toMatch(/forbidden/);
      expect(all.rows.find((r) => r.pod === 'app-0009')!.cause).toBe('server-crashloop');
    } finally {
      await sim.close();
    }
  });

  it('reads a namespace larger than one page to the end (limit/continue) and reports every pod', async () => {
    const template = loadScenario('scenarios/server-crashloop.yaml');
    const scenario = generateSweepScenario({ template, pods: 1200, unhealthyEvery: 600, namespace: 'big' });
    const sim = await startSimulator({ scenario });
    try {
      const cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), qps: 500, burst: 100 });
      const result = await runSweep(cluster, { namespace: 'big' }, { now: () => new Date(template.now) });
      expect(result.rows).toHaveLength(1200);
      expect(new Set(result.rows.map((r) => r.pod)).size).toBe(1200);
      // Three pages of at most 500.
      expect(sim.requests().filter((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/big/pods')).toHaveLength(3);
      expect(renderSweepText(result)).toMatch(/^Sweep of big: 1200 pods, 2 unhealthy/);
    } finally {
      await sim.close();
    }
  }, 60_000);
});
