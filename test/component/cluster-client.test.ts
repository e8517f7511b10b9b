/**
 * The real client-node (through src/cluster/client.ts) against the real simulator over HTTP
 * and WebSocket.
 */
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../../src/sim/server.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { createClusterAccess, type ClusterOptions } from '../../src/cluster/client.js';
import type { Clock } from '../../src/cluster/rate-limit.js';
import { PodnetError } from '../../src/errors.js';
import { FIXTURES } from '../helpers/cluster-fixtures.js';

const SCENARIO = join(FIXTURES, 'cluster-seldon-scenario.yaml');
const NS = 'financial-ml';
const POD = 'mlserver-0';

async function withSim<T>(faults: unknown[], fn: (sim: RunningSimulator) => Promise<T>): Promise<T> {
  const scenario = { ...loadScenario(SCENARIO), faults } as never;
  const sim = await startSimulator({ scenario, port: 0 });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

const fast: Partial<ClusterOptions> = { qps: 1000, burst: 1000 };

async function text(stream: AsyncIterable<Buffer>): Promise<string> {
  let s = '';
  for await (const c of stream) s += c.toString('utf8');
  return s;
}

describe('cluster access against the simulator', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: SCENARIO, port: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('reads the pod, its events, the node, policies, services and the version', async () => {
    const c = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), ...fast });
    const pod = await c.getPod(NS, POD);
    expect(pod.status?.podIP).toBe('10.42.1.17');
    const events = await c.listPodEvents(NS, POD);
    expect(events.map((e) => e.reason).sort()).toEqual(['Killing', 'Unhealthy']);
    const nodeEvents = await c.listNodeEvents('k3s-node-2');
    expect(nodeEvents.map((e) => e.reason)).toEqual(['Starting']);
    expect((await c.getNode('k3s-node-2')).status?.nodeInfo?.kubeletVersion).toBe('v1.32.5+k3s1');
    expect((await c.listNetworkPolicies(NS)).length).toBe(2);
    expect((await c.listServices(NS)).map((s) => s.metadata?.name).sort()).toEqual(['mlserver', 'seldon-scheduler']);
    expect(await c.version()).toBe('v1.32.5+k3s1');
    expect(c.requestCount()).toBe(7);
  });

  it('streams a log with timestamps, bounded by tailLines and limitBytes', async () => {
    const c = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), ...fast });
    const all = await text(await c.streamLog(NS, POD, { container: 'agent', timestamps: true }));
    expect(all.trim().split('\n')).toHaveLength(4);
    expect(all.startsWith('2025-07-06T15:17:42')).toBe(true);
    const tail = await text(await c.streamLog(NS, POD, { container: 'agent', timestamps: true, tailLines: 1 }));
    expect(tail.trim().split('\n')).toHaveLength(1);
    expect(tail).toContain('15:19:24');
    const bytes = await text(await c.streamLog(NS, POD, { container: 'agent', limitBytes: 40 }));
    expect(Buffer.byteLength(bytes)).toBeLessThanOrEqual(40);
    const prev = await text(await c.streamLog(NS, POD, { container: 'mlserver', previous: true }));
    expect(prev).toContain("Loaded model 'fraud-v3'");
  });

  it('a previous log that does not exist is a permanent error with the API message', async () => {
    const c = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), ...fast });
    await expect(c.streamLog(NS, POD, { container: 'agent', previous: true })).rejects.toMatchObject({ code: 'bad-input' });
  });

  it('execs argv and reports exit codes, output and missing tools', async () => {
    const c = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), ...fast });
    const ok = await c.exec(NS, POD, 'mlserver', ['readlink', '/proc/self/ns/net']);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.trim()).toMatch(/^net:\[\d+\]$/);
    const tcp = await c.exec(NS, POD, 'mlserver', ['cat', '/proc/net/tcp']);
    expect(tcp.stdout).toContain('0100007F:251C 00000000:0000 0A');
    const refused = await c.exec(NS, POD, 'agent', ['nc', '-z', '-w', '2', '10.42.1.17', '9500']);
    expect(refused.exitCode).toBe(1);
    const missing = await c.exec(NS, POD, 'mlserver', ['nc', '-z', '127.0.0.1', '9500']);
    expect(missing.failure).toMatch(/executable file not found/);
    const shMissingNc = await c.exec(NS, POD, 'mlserver', ['sh', '-c', 'nc -z 127.0.0.1 9500; echo "rc $?"']);
    expect(shMissingNc.stdout).toContain('rc 127');
  });

  it('404 names the missing pod', async () => {
    const c = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), ...fast });
    const err = await c.getPod(NS, 'mlserver-9').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodnetError);
    expect(err).toMatchObject({ code: 'not-found', message: 'pod financial-ml/mlserver-9 not found' });
    expect(c.requestCount()).toBe(1); // permanent: not retried
  });

  it('an unreachable API is "unavailable" and names the URL', async () => {
    const yaml = sim.kubeconfigYaml().replace(sim.url, 'http://127.0.0.1:9');
    const c = createClusterAccess({ kubeConfigYaml: yaml, retries: 1, ...fast });
    await expect(c.getPod(NS, POD)).rejects.toMatchObject({ code: 'unavailable', message: 'cannot reach the Kubernetes API at http://127.0.0.1:9 (ECONNREFUSED)' });
    expect(c.requestCount()).toBe(2);
  });
});

describe('faults', () => {
  it('retries 500 twice, then passes', () =>
    withSim([{ path: `/api/v1/namespaces/${NS}/pods/${POD}`, status: 500, times: 2 }], async (sim) => {
      const c = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), ...fast });
      const pod = await c.getPod(NS, POD);
      expect(pod.metadata?.name).toBe(POD);
      expect(c.requestCount()).toBe(3);
    }));

  it('retries a failing log stream before it starts', () =>
    withSim([{ path: `/api/v1/namespaces/${NS}/pods/${POD}/log`, status: 503, times: 1 }], async (sim) => {
      const c = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), ...fast });
      expect(await text(await c.streamLog(NS, POD, { container: 'agent' }))).toContain('All critical agent subservices ready');
      expect(c.requestCount()).toBe(2);
    }));

  it('403 on exec names the verb and resource and is not retried', () =>
    withSim([{ path: `/api/v1/namespaces/.*/pods/.*/exec`, status: 403 }], async (sim) => {
      const c = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), ...fast });
      const err = (await c.exec(NS, POD, 'agent', ['true']).catch((e: unknown) => e)) as PodnetError;
      expect(err.code).toBe('forbidden');
      expect(err.message).toMatch(/^forbidden: cannot (get|create) pods\/exec in namespace financial-ml — add it to the podnet ClusterRole/);
      expect(c.requestCount()).toBe(1);
    }));

  it('403 on a list names it too', () =>
    withSim([{ path: `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`, status: 403 }], async (sim) => {
      const c = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), ...fast });
      await expect(c.listNetworkPolicies(NS)).rejects.toMatchObject({
        code: 'forbidden',
        message: expect.stringMatching(/^forbidden: cannot list networkpolicies in namespace financial-ml/),
      });
    }));

  it('a slow API times out with a clear message', () =>
    withSim([{ path: `/api/v1/nodes/.*`, delayMs: 3000 }], async (sim) => {
      const c = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), timeoutMs: 300, retries: 1, ...fast });
      await expect(c.getNode('k3s-node-2')).rejects.toMatchObject({ code: 'timeout' });
      expect(c.requestCount()).toBe(2);
    }));
});

/**
 * A clock whose time moves only when the test says: each sleeper is kept until `advanceTo`
 * reaches its wake-up time, so what the limiter let through is read from counts, not from how
 * fast a loaded machine ran.
 */
function manualClock(): Clock & { sleepers(): number[]; advanceTo(t: number): void } {
  let t = 0;
  const sleeping: { until: number; wake: () => void }[] = [];
  return {
    now: () => t,
    sleep: (ms) => new Promise<void>((resolve) => void sleeping.push({ until: t + ms, wake: resolve })),
    sleepers: () => sleeping.map((s) => s.until).sort((a, b) => a - b),
    advanceTo(to) {
      t = to;
      for (const s of sleeping.filter((x) => x.until <= t)) {
        sleeping.splice(sleeping.indexOf(s), 1);
        s.wake();
      }
    },
  };
}

/** Turns the event loop (real I/O included) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

describe('rate limit', () => {
  it('sends the burst at once, then one request per 1/qps of the clock, and never more than burst + qps per second', async () => {
    const sim = await startSimulator({ scenario: SCENARIO, port: 0 });
    try {
      const clock = manualClock();
      const c = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), qps: 20, burst: 5, clock });
      const sentAt: number[] = []; // the clock's time when each request was answered
      const all = Promise.all(
        Array.from({ length: 45 }, async () => {
          await c.getPod(NS, POD);
          sentAt.push(clock.now());
        }),
      );
      // With the clock standing still, only the burst reaches the simulator; the other 40 wait
      // for tokens, one every 50 ms (20/s).
      await until(() => sentAt.length + clock.sleepers().length === 45);
      expect(sentAt.length).toBe(5);
      expect(sim.requestCount()).toBe(5);
      expect(clock.sleepers()).toEqual(Array.from({ length: 40 }, (_, i) => 50 * (i + 1)));
      // Each step of the clock lets exactly the requests whose tokens are due through.
      for (let i = 1; i <= 40; i++) {
        clock.advanceTo(50 * i);
        await until(() => sentAt.length === 5 + i);
        expect(sim.requestCount()).toBe(5 + i);
      }
      await all;
      for (const t of sentAt) {
        expect(sentAt.filter((x) => x >= t && x < t + 1000).length).toBeLessThanOrEqual(5 + 20);
      }
      expect(sentAt.at(-1)).toBe(2000); // 45 requests: 5 free, 40 at 20/s
    } finally {
      await sim.close();
    }
  });
});

