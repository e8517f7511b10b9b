/**
 * `sweep` benchmark: a sweep of 500 pods (every 10th crash-looping) on the simulator, with
 * the client's rate limit set to QPS/BURST. The floor is the time that limit allows for the
 * requests the sweep made: (requests − burst) / qps. Target: the sweep takes at most 1.3×
 * that floor, and no window of the simulator's arrival log holds more requests than the
 * limit admits (burst + qps × window, plus one for clock granularity).
 */
import { join } from 'node:path';
import { createClusterAccess } from '../src/cluster/client.js';
import { generateSweepScenario } from '../src/sim/generate.js';
import { loadScenario } from '../src/sim/scenario.js';
import { startSimulator } from '../src/sim/server.js';
import { runSweep } from '../src/sweep/sweep.js';
import { check, info, type Bench } from './harness.js';

const PODS = Number(process.env.PODNET_BENCH_QUICK ? 100 : 500);
const QPS = 50;
const BURST = 10;

/** The largest excess over the token bucket's bound in any window of the arrival log. */
export function worstExcess(arrivals: number[], qps: number, burst: number): number {
  const t = [...arrivals].sort((a, b) => a - b);
  let worst = -Infinity;
  for (let i = 0; i < t.length; i++) {
    for (let j = i; j < t.length; j++) {
      const allowed = burst + (qps * (t[j]! - t[i]!)) / 1000;
      worst = Math.max(worst, j - i + 1 - allowed);
    }
  }
  return worst;
}

export const bench: Bench = {
  name: 'sweep',
  description: `sweep of ${PODS} pods on the simulator at ${QPS} qps (burst ${BURST}) against the time the rate limit allows`,
  async run(log) {
    const template = loadScenario(join(process.cwd(), 'scenarios', 'server-crashloop.yaml'));
    const scenario = generateSweepScenario({ template, pods: PODS, unhealthyEvery: 10, namespace: 'sweep' });
    const sim = await startSimulator({ scenario, port: 0 });
    try {
      const cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), qps: QPS, burst: BURST });
      const now = new Date(template.now);
      const started = performance.now();
      const result = await runSweep(cluster, { namespace: 'sweep' }, { now: () => now, concurrency: 8 });
      const ms = performance.now() - started;
      const arrivals = sim.requests().map((r) => r.at);
      const floorMs = (Math.max(0, result.apiRequests - BURST) / QPS) * 1000;
      const unhealthy = result.rows.filter((r) => !r.healthy).length;
      const wrong = result.rows.filter((r) => !r.healthy && r.cause !== 'server-crashloop').length;
      log(`${result.rows.length} pods, ${unhealthy} unhealthy, ${result.checked} checked in depth, ${result.apiRequests} API requests in ${(ms / 1000).toFixed(1)} s; floor ${(floorMs / 1000).toFixed(1)} s`);
      return [
        check('sweep time / time the rate limit allows', ms / floorMs, 'x', '<=', 1.3),
        info('sweep wall time', ms / 1000, 's'),
        info('API requests', result.apiRequests, 'requests'),
        check('requests over the limit in any window (max)', Math.max(0, Math.floor(worstExcess(arrivals, QPS, BURST) - 1)), 'requests', '<=', 0),
        check('unhealthy pods with a wrong top cause', wrong, 'pods', '<=', 0),
      ];
    } finally {
      await sim.close();
    }
  },
};
