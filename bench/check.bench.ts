/**
 * `check` benchmark: one full check of the seed incident against the simulator, in-process —
 * collectEvidence (real client-node over HTTP/WebSocket) + diagnose + renderText — N times.
 * Each check gets its own cluster client, as each CLI run does, so the client-side rate limit
 * (5 qps, burst 10) applies within a check but does not carry over between checks.
 */
import { join } from 'node:path';
import { diagnose } from '../src/analysis/diagnose.js';
import { createClusterAccess } from '../src/cluster/client.js';
import { collectEvidence } from '../src/probes/collect.js';
import { renderText } from '../src/render/text.js';
import { loadScenario } from '../src/sim/scenario.js';
import { startSimulator } from '../src/sim/server.js';
import { check, info, percentile, type Bench } from './harness.js';

const N = 30;
const REQUEST = { namespace: 'financial-ml', pod: 'mlserver-0' };

export const bench: Bench = {
  name: 'check',
  description: `podnet check of the seed incident against the simulator, ${N} runs (collect + diagnose + render)`,
  async run(log) {
    const file = join(process.cwd(), 'scenarios', 'seed-incident.yaml');
    const scenario = loadScenario(file);
    const now = new Date(scenario.now);
    const sim = await startSimulator({ scenario, port: 0 });
    try {
      const kubeConfigYaml = sim.kubeconfigYaml();
      const once = async () => {
        const cluster = createClusterAccess({ kubeConfigYaml });
        const started = performance.now();
        const evidence = await collectEvidence(cluster, REQUEST, { now: () => now });
        const d = diagnose(evidence, { now });
        const text = renderText(d);
        const ms = performance.now() - started;
        return { ms, requests: cluster.requestCount(), cause: d.hypotheses[0]?.cause, failed: evidence.steps.filter((s) => !s.ok).length, chars: text.length };
      };
      const warm = await once(); // JIT and module warm-up; not counted
      log(`warm-up: ${warm.ms.toFixed(0)} ms, ${warm.requests} requests, top cause ${warm.cause}`);
      const latencies: number[] = [];
      let maxRequests = 0;
      let wrong = 0;
      let failedSteps = 0;
      for (let i = 0; i < N; i++) {
        const r = await once();
        latencies.push(r.ms);
        maxRequests = Math.max(maxRequests, r.requests);
        if (r.cause !== 'probe-bind-mismatch') wrong++;
        failedSteps += r.failed;
      }
      latencies.sort((a, b) => a - b);
      log(`${N} checks: min ${latencies[0]!.toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms; simulator served ${sim.requestCount()} requests in all`);
      return [
        check('check latency p50', percentile(latencies, 50), 'ms', '<', 2000),
        info('check latency p95', percentile(latencies, 95), 'ms'),
        check('API requests per check (max)', maxRequests, 'requests', '<=', 12),
        check('checks with a top cause other than probe-bind-mismatch', wrong, 'checks', '<=', 0),
        info('failed steps across all checks', failedSteps, 'steps'),
      ];
    } finally {
      await sim.close();
    }
  },
};
