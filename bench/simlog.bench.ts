/**
 * `simlog` benchmark: the simulator streams a large pod log without holding it
 * (scenario-format.md: "stream large logs without buffering them whole"). An 84 MB generated
 * log (800 000 lines) is served over the real Kubernetes log endpoint and read by client-node's
 * `Log` into a slow sink (one setImmediate per chunk, so the socket fills and the server must
 * wait for drain), server and client in this process. RSS is sampled on every chunk; the figure
 * with a target is the peak RSS growth as a fraction of the log's size: a simulator that
 * buffered the log would grow by at least the log (≥ 1). The component test
 * (test/component/sim-server.test.ts) checks the streamed log is complete and correct.
 *
 * `PODNET_BENCH_QUICK=1` streams 100 000 lines instead.
 */
import { Log } from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import type { ScenarioInput } from '../src/sim/scenario.js';
import { simKubeConfig } from '../src/sim/client-config.js';
import { startSimulator } from '../src/sim/server.js';
import { check, info, type Bench } from './harness.js';

const MB = 1024 * 1024;
const LINES = process.env.PODNET_BENCH_QUICK === '1' ? 100_000 : 800_000;
const TEMPLATE = 'INFO  worker {n} processed batch: 128 requests, p99 41ms, queue depth 0 (steady)';

function scenario(): ScenarioInput {
  return {
    apiVersion: 'podnet.dev/v1alpha1', kind: 'Scenario', metadata: { name: 'simlog-bench' }, now: '2025-07-06T15:20:00Z',
    cluster: { version: 'v1.32.5+k3s1' },
    objects: [{
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-0', namespace: 'team-a' },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
      status: { phase: 'Running', podIP: '10.42.0.9', containerStatuses: [{ name: 'web', ready: true, restartCount: 0, state: { running: { startedAt: '2025-07-06T15:00:00Z' } } }] },
    }],
    pods: { 'team-a/web-0': { containers: { web: { logs: { generate: { lines: LINES, template: TEMPLATE, stepMs: 1 } } } } } },
  };
}

export const bench: Bench = {
  name: 'simlog',
  description: `the simulator streams a ${LINES}-line generated pod log to client-node's Log through a slow reader; peak RSS growth against the log's size`,
  async run(log) {
    const sim = await startSimulator({ scenario: scenario() });
    try {
      const kc = simKubeConfig(sim.url);
      (globalThis as { gc?: () => void }).gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      let bytes = 0;
      let lines = 0;
      const sink = new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
          peak = Math.max(peak, process.memoryUsage().rss);
          setImmediate(cb);
        },
      });
      const done = new Promise<void>((resolve, reject) => {
        sink.on('finish', resolve);
        sink.on('error', reject);
      });
      const started = performance.now();
      await new Log(kc).log('team-a', 'web-0', 'web', sink, { timestamps: true });
      await done;
      const seconds = (performance.now() - started) / 1000;
      log(`${lines} lines, ${(bytes / MB).toFixed(1)} MB in ${seconds.toFixed(1)} s`);
      if (lines !== LINES) throw new Error(`simlog: streamed ${lines} lines, expected ${LINES}`);
      const growth = peak - before;
      return [
        info('log streamed', bytes / MB, 'MB'),
        info('stream throughput', bytes / MB / seconds, 'MB/s'),
        info('peak RSS growth', growth / MB, 'MB'),
        check('peak RSS growth / log size', growth / bytes, 'ratio', '<', 0.5),
      ];
    } finally {
      await sim.close();
    }
  },
};
