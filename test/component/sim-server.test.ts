/**
 * The simulator against the real @kubernetes/client-node over HTTP/WebSocket: what client
 * code sees must be what it would see from an apiserver.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CoreV1Api, Exec, Log, NetworkingV1Api, PatchStrategy, setHeaderOptions, VersionApi, Watch, type V1Pod, type V1Status } from '@kubernetes/client-node';
import { startSimulator, type RunningSimulator } from '../../src/sim/server.js';
import type { ScenarioInput } from '../../src/sim/scenario.js';
import { kubeConfigFor, rejectionOf, smallScenario, statusOf } from '../helpers/sim-client.js';
import { gate } from '../helpers/gate.js';

async function withSim<T>(scenario: ScenarioInput | string, fn: (sim: RunningSimulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator({ scenario });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

/** Runs a command through client-node's Exec and collects its output and Status. */
async function execIn(sim: RunningSimulator, ns: string, pod: string, container: string, argv: string[]) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write(chunk: Buffer, _e, cb) { append(chunk.toString('utf8')); cb(); } });
  const status = await new Promise<V1Status>((resolve, reject) => {
    new Exec(kubeConfigFor(sim))
      .exec(ns, pod, container, argv, sink((s) => (stdout += s)), sink((s) => (stderr += s)), null, false, (st) => resolve(st))
      .catch(reject);
  });
  return { stdout, stderr, status };
}

describe('simulator: discovery and reads', () => {
  let sim: RunningSimulator;
  let core: CoreV1Api;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: smallScenario() });
    core = kubeConfigFor(sim).makeApiClient(CoreV1Api);
  });
  afterAll(() => sim.close());

  it('listens on 127.0.0.1 and serves /version from the scenario', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const v = await kubeConfigFor(sim).makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toBe('v1.32.5+k3s1');
    expect([v.major, v.minor]).toEqual(['1', '32']);
  });

  it('reads a pod and lists with label selectors', async () => {
    const pod = await core.readNamespacedPod({ name: 'web-0', namespace: 'team-a' });
    expect(pod.status?.podIP).toBe('10.42.0.9');
    expect(pod.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    const names = async (labelSelector: string) => (await core.listNamespacedPod({ namespace: 'team-a', labelSelector })).items.map((p) => p.metadata?.name);
    expect(await names('app=web')).toEqual(['web-0']);
    expect(await names('tier in (front,back)')).toEqual(['db-0', 'web-0']);
    expect(await names('app notin (web,db)')).toEqual(['one-0']);
    expect(await names('tier,app!=db')).toEqual(['web-0']);
    expect(await names('!tier')).toEqual(['one-0']);
    const list = await core.listNamespacedPod({ namespace: 'team-a' });
    expect(list.kind).toBe('PodList');
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
  });

  it('filters by field selectors (events, pods) and lists across namespaces', async () => {
    const ev = await core.listNamespacedEvent({ namespace: 'team-a', fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=web-0' });
    expect(ev.items.map((e) => e.reason)).toEqual(['Started', 'Killing']);
    const nodeEv = await core.listEventForAllNamespaces({ fieldSelector: 'involvedObject.kind=Node,involvedObject.name=node-1' });
    expect(nodeEv.items.map((e) => e.reason)).toEqual(['NodeReady']);
    const running = await core.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running,spec.nodeName=node-1' });
    expect(running.items.map((p) => p.metadata?.name)).toEqual(['one-0', 'web-0']);
    const byName = await core.listNamespacedPod({ namespace: 'team-a', fieldSelector: 'metadata.name=db-0' });
    expect(byName.items).toHaveLength(1);
    const err = await rejectionOf(core.listNamespacedPod({ namespace: 'team-a', fieldSelector: 'spec.bogus=1' }));
    expect((err as { code: number }).code).toBe(400);
    expect(statusOf(err).message).toBe('field label not supported: spec.bogus');
  });

  it('serves nodes, namespaces and network policies at their paths', async () => {
    expect((await core.readNode({ name: 'node-1' })).metadata?.name).toBe('node-1');
    expect((await core.listNamespace()).items.map((n) => n.metadata?.name)).toEqual(expect.arrayContaining(['team-a', 'default']));
    const np = await kubeConfigFor(sim).makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: 'team-a' });
    expect(np.kind).toBe('NetworkPolicyList');
    expect(np.apiVersion).toBe('networking.k8s.io/v1');
    expect(np.items.map((p) => p.metadata?.name)).toEqual(['allow-all']);
  });

  it('pages lists with limit/continue', async () => {
    const first = await core.listNamespacedPod({ namespace: 'team-a', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata?.remainingItemCount).toBe(1);
    const rest = await core.listNamespacedPod({ namespace: 'team-a', limit: 2, _continue: first.metadata?._continue });
    expect(rest.items.map((p) => p.metadata?.name)).toEqual(['web-0']);
    expect(rest.metadata?._continue).toBeUndefined();
  });

  it('answers 404 with a real Status body', async () => {
    const err = await rejectionOf(core.readNamespacedPod({ name: 'nope', namespace: 'team-a' }));
    expect((err as { code: number }).code).toBe(404);
    expect(statusOf(err)).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'pods' }, code: 404,
    });
    const np = await rejectionOf(kubeConfigFor(sim).makeApiClient(NetworkingV1Api).readNamespacedNetworkPolicy({ name: 'x', namespace: 'team-a' }));
    expect(statusOf(np).message).toBe('networkpolicies.networking.k8s.io "x" not found');
    expect(statusOf(np).details).toEqual({ name: 'x', group: 'networking.k8s.io', kind: 'networkpolicies' });
  });

  it('counts every request', async () => {
    const before = sim.requestCount();
    await core.readNamespacedPod({ name: 'web-0', namespace: 'team-a' });
    expect(sim.requestCount()).toBe(before + 1);
    expect(sim.requests().at(-1)).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/team-a/pods/web-0' });
  });
});

describe('simulator: pods/log', () => {
  let sim: RunningSimulator;
  let core: CoreV1Api;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: smallScenario() });
    core = kubeConfigFor(sim).makeApiClient(CoreV1Api);
  });
  afterAll(() => sim.close());
  const log = (p: Partial<Parameters<CoreV1Api['readNamespacedPodLog']>[0]>) => core.readNamespacedPodLog({ name: 'web-0', namespace: 'team-a', container: 'web', ...p });

  it('strips timestamps unless asked for them', async () => {
    expect(await log({})).toBe('web starting\nweb line two\nweb line three\nweb line four\n');
    expect(await log({ timestamps: true })).toMatch(/^2025-07-06T15:00:05\.000000000Z web starting\n/);
  });

  it('honours tailLines, limitBytes and sinceSeconds (against the scenario clock)', async () => {
    expect(await log({ tailLines: 2 })).toBe('web line three\nweb line four\n');
    expect(await log({ tailLines: 0 })).toBe('');
    expect(await log({ limitBytes: 5 })).toBe('web s');
    // now = 15:20:00; 90 s back = 15:18:30
    expect(await log({ sinceSeconds: 90 })).toBe('web line three\nweb line four\n');
    expect(await log({ sinceSeconds: 90, tailLines: 1, timestamps: true })).toBe('2025-07-06T15:19:30.000000000Z web line four\n');
  });

  it('serves the previous run, or the apiserver 400 when there is none', async () => {
    expect(await log({ previous: true })).toBe('web old run\nweb killed\n');
    const err = await rejectionOf(log({ container: 'proxy', previous: true }));
    expect((err as { code: number }).code).toBe(400);
    expect(statusOf(err).message).toBe('previous terminated container "proxy" in pod "web-0" not found');
  });

  it('requires a container on a multi-container pod and rejects unknown ones', async () => {
    let err = await rejectionOf(core.readNamespacedPodLog({ name: 'web-0', namespace: 'team-a' }));
    expect(statusOf(err).message).toBe('a container name must be specified for pod web-0, choose one of: [web proxy]');
    err = await rejectionOf(log({ container: 'nginx' }));
    expect(statusOf(err)).toMatchObject({ code: 400, reason: 'BadRequest', message: 'container nginx is not valid for pod web-0' });
    // the only container is the default
    expect(await core.readNamespacedPodLog({ name: 'one-0', namespace: 'team-a' })).toBe('');
  });

  // How much memory streaming takes is a figure of `npm run bench -- simlog`; here: the stream is whole and right.
  it('streams an 84 MB generated log through a slow reader, complete and in order', async () => {
    const lines = 800_000;
    const template = 'INFO  worker {n} processed batch: 128 requests, p99 41ms, queue depth 0 (steady)';
    const scenario = smallScenario();
    (scenario.pods as Record<string, { containers: Record<string, unknown> }>)['team-a/web-0']!.containers.web = { logs: { generate: { lines, template, stepMs: 1 } } };
    await withSim(scenario, async (big) => {
      let bytes = 0;
      let seen = 0;
      let carry = '';
      const bad: string[] = [];
      let previousTs = '';
      const sink = new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          const parts = (carry + chunk.toString('utf8')).split('\n');
          carry = parts.pop() ?? '';
          for (const line of parts) {
            seen++;
            const [ts = '', ...rest] = line.split(' ');
            if (rest.join(' ') !== template.replace('{n}', String(seen)) || ts < previousTs) bad.push(line);
            previousTs = ts;
          }
          // a slow reader: let the socket fill so the server must wait for drain
          setImmediate(cb);
        },
      });
      const done = new Promise<void>((resolve, reject) => {
        sink.on('finish', () => resolve());
        sink.on('error', reject);
      });
      await new Log(kubeConfigFor(big)).log('team-a', 'web-0', 'web', sink, { timestamps: true });
      await done;
      expect(carry).toBe('');
      expect(seen).toBe(lines);
      expect(bad.slice(0, 3)).toEqual([]);
      expect(bytes).toBeGreaterThan(80 * 1024 * 1024);
    });
  }, 120_000);

  it('streams a log from a file next to the scenario (currentFile)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-sim-log-'));
    writeFileSync(join(dir, 'web.log'), '2025-07-06T15:19:59.000000000Z from the file\n'.repeat(3));
    const scenario = smallScenario();
    (scenario.pods as Record<string, { containers: Record<string, unknown> }>)['team-a/web-0']!.containers.web = { logs: { currentFile: 'web.log' } };
    const { stringify } = await import('yaml');
    writeFileSync(join(dir, 'scenario.yaml'), stringify(scenario));
    await withSim(join(dir, 'scenario.yaml'), async (s) => {
      const text = await kubeConfigFor(s).makeApiClient(CoreV1Api).readNamespacedPodLog({ name: 'web-0', namespace: 'team-a', container: 'web', tailLines: 2 });
      expect(text).toBe('from the file\nfrom the file\n');
    });
  });
});

describe('simulator: faults', () => {
  it('fails N times with the given status, then passes', async () => {
    const scenario = smallScenario({ faults: [{ path: '/api/v1/namespaces/team-a/pods', status: 500, times: 2 }] });
    await withSim(scenario, async (sim) => {
      const core = kubeConfigFor(sim).makeApiClient(CoreV1Api);
      for (let i = 0; i < 2; i++) {
        const err = await rejectionOf(core.listNamespacedPod({ namespace: 'team-a' }));
        expect((err as { code: number }).code).toBe(500);
        expect(statusOf(err)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'InternalError', code: 500 });
      }
      expect((await core.listNamespacedPod({ namespace: 'team-a' })).items).toHaveLength(3);
      // the path is matched whole: the single-pod path was never affected
      expect((await core.readNamespacedPod({ name: 'web-0', namespace: 'team-a' })).metadata?.name).toBe('web-0');
    });
  });

  it('answers 403 with the RBAC authorizer wording', async () => {
    const scenario = smallScenario({ faults: [{ path: '/api/v1/namespaces/[^/]+/pods(/[^/]+)?', status: 403 }] });
    await withSim(scenario, async (sim) => {
      const core = kubeConfigFor(sim).makeApiClient(CoreV1Api);
      const list = await rejectionOf(core.listNamespacedPod({ namespace: 'team-a' }));
      expect((list as { code: number }).code).toBe(403);
      expect(statusOf(list).message).toBe('pods is forbidden: User "system:serviceaccount:podnet:podnet" cannot list resource "pods" in API group "" in the namespace "team-a"');
      const one = await rejectionOf(core.readNamespacedPod({ name: 'web-0', namespace: 'team-a' }));
      expect(statusOf(one)).toMatchObject({ reason: 'Forbidden', code: 403, details: { name: 'web-0', kind: 'pods' } });
      expect(statusOf(one).message).toContain('cannot get resource "pods"');
    });
  });

  it('refuses exec with 403 before the upgrade', async () => {
    const scenario = smallScenario({ faults: [{ path: '/api/v1/namespaces/.*/pods/.*/exec', status: 403 }] });
    await withSim(scenario, async (sim) => {
      const err = await rejectionOf(execIn(sim, 'team-a', 'web-0', 'web', ['cat', '/proc/net/tcp']));
      expect(String((err as Error).message ?? err)).toMatch(/403/);
      expect(sim.requests().at(-1)?.path).toBe('/api/v1/namespaces/team-a/pods/web-0/exec');
    });
  });

  it('delays matching requests, as many times as the fault says', async () => {
    // The first read's delay lasts until the test ends it, after the second read (past
    // `times: 1`) has been answered: the order shows which request waited, with no stopwatch.
    // The fallback only keeps a simulator that delays both from hanging the test.
    const delays: number[] = [];
    const events: string[] = [];
    const delay = gate(10_000);
    const scenario = smallScenario({ faults: [{ path: '/api/v1/nodes/.*', delayMs: 400, times: 1 }] });
    const sim = await startSimulator({
      scenario,
      faultDelay: async (ms) => {
        delays.push(ms);
        await delay.passed;
      },
    });
    try {
      const core = kubeConfigFor(sim).makeApiClient(CoreV1Api);
      const first = core.readNode({ name: 'node-1' }).then(() => events.push('first answered'));
      for (let i = 0; i < 400 && delays.length === 0; i += 1) await new Promise((r) => setTimeout(r, 25));
      expect(delays).toEqual([400]);
      await core.readNode({ name: 'node-1' });
      events.push('second answered');
      delay.open();
      await first;
      expect(delays).toEqual([400]);
      expect(events).toEqual(['second answered', 'first answered']);
    } finally {
      delay.open();
      await sim.close();
    }
  });
});

describe('simulator: exec and ephemeral containers', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: smallScenario() });
  });
  afterAll(() => sim.close());

  it('reads /proc/net/tcp of the shared namespace from any container', async () => {
    const r = await execIn(sim, 'team-a', 'web-0', 'proxy', ['cat', '/proc/net/tcp']);
    expect(r.status.status).toBe('Success');
    expect(r.stdout).toMatch(/0100007F:1F90 00000000:0000 0A/);
    const a = await execIn(sim, 'team-a', 'web-0', 'web', ['readlink', '/proc/self/ns/net']);
    const b = await execIn(sim, 'team-a', 'web-0', 'proxy', ['readlink', '/proc/self/ns/net']);
    expect(a.stdout).toMatch(/^net:\[40265\d+\]\n$/);
    expect(a.stdout).toBe(b.stdout);
  });

  it('rejects an unknown container like the apiserver', async () => {
    const err = await rejectionOf(execIn(sim, 'team-a', 'web-0', 'nginx', ['cat', '/proc/net/tcp']));
    expect(String((err as Error).message ?? err)).toMatch(/400/);
  });

  it('adds an ephemeral container by strategic merge patch; it joins the namespace and has every tool', async () => {
    const core = kubeConfigFor(sim).makeApiClient(CoreV1Api);
    const pod = await core.patchNamespacedPodEphemeralcontainers(
      { name: 'web-0', namespace: 'team-a', body: { spec: { ephemeralContainers: [{ name: 'podnet-debug', image: 'busybox:1.36', command: ['sleep', '600'], targetContainerName: 'web' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(pod.spec?.ephemeralContainers?.map((c) => c.name)).toEqual(['podnet-debug']);
    expect(pod.status?.ephemeralContainerStatuses?.[0]).toMatchObject({ name: 'podnet-debug', state: { running: {} } });
    const again = await core.readNamespacedPodEphemeralcontainers({ name: 'web-0', namespace: 'team-a' });
    expect(again.spec?.ephemeralContainers).toHaveLength(1);
    const nc = await execIn(sim, 'team-a', 'web-0', 'podnet-debug', ['nc', '-z', '-w', '2', '127.0.0.1', '8080']);
    expect(nc.status.status).toBe('Success');
    const web = await execIn(sim, 'team-a', 'web-0', 'web', ['readlink', '/proc/self/ns/net']);
    const dbg = await execIn(sim, 'team-a', 'web-0', 'podnet-debug', ['readlink', '/proc/self/ns/net']);
    expect(dbg.stdout).toBe(web.stdout);
  });

  it('adds one by JSON patch (client-node default) and rejects duplicates with 422', async () => {
    const core = kubeConfigFor(sim).makeApiClient(CoreV1Api);
    const pod = await core.patchNamespacedPodEphemeralcontainers({
      name: 'one-0', namespace: 'team-a', body: [{ op: 'add', path: '/spec/ephemeralContainers', value: [{ name: 'dbg', image: 'busybox:1.36' }] }],
    });
    expect(pod.spec?.ephemeralContainers?.map((c) => c.name)).toEqual(['dbg']);
    const err = await rejectionOf(
      core.patchNamespacedPodEphemeralcontainers(
        { name: 'one-0', namespace: 'team-a', body: { spec: { ephemeralContainers: [{ name: 'only', image: 'busybox:1.36' }] } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect((err as { code: number }).code).toBe(422);
    expect(statusOf(err).message).toContain('Duplicate value: "only"');
  });

  it('serves watches: current objects as ADDED, then changes as MODIFIED', async () => {
    const seen: string[] = [];
    let modified: (pod: V1Pod) => void = () => undefined;
    const gotModified = new Promise<V1Pod>((resolve) => (modified = resolve));
    const req = await new Watch(kubeConfigFor(sim)).watch(
      '/api/v1/namespaces/team-a/pods',
      { labelSelector: 'app=db' },
      (type: string, obj: V1Pod) => {
        seen.push(`${type} ${obj.metadata?.name}`);
        if (type === 'MODIFIED') modified(obj);
      },
      () => undefined,
    );
    for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['ADDED db-0']);
    await kubeConfigFor(sim).makeApiClient(CoreV1Api).patchNamespacedPodEphemeralcontainers(
      { name: 'db-0', namespace: 'team-a', body: { spec: { ephemeralContainers: [{ name: 'dbg', image: 'busybox:1.36' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const pod = await gotModified;
    expect(pod.spec?.ephemeralContainers?.[0]?.name).toBe('dbg');
    req.abort();
  });

  it('keeps pods/exec a WebSocket-only endpoint', async () => {
    const res = await new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = request(`${sim.url}/api/v1/namespaces/team-a/pods/web-0/exec?command=ls&stdout=true`, { method: 'POST' }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ code: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.code).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', message: 'Upgrade request required' });
  });
});

describe('simulator: per-container network namespaces (a runtime fault)', () => {
  it('gives each container its own inode and listeners', async () => {
    const scenario = smallScenario();
    (scenario.pods as Record<string, { netns?: string }>)['team-a/web-0']!.netns = 'per-container';
    await withSim(scenario, async (sim) => {
      const web = await execIn(sim, 'team-a', 'web-0', 'web', ['readlink', '/proc/self/ns/net']);
      const proxy = await execIn(sim, 'team-a', 'web-0', 'proxy', ['readlink', '/proc/self/ns/net']);
      expect(web.stdout).not.toBe(proxy.stdout);
      const tcp = await execIn(sim, 'team-a', 'web-0', 'proxy', ['cat', '/proc/net/tcp']);
      expect(tcp.stdout).not.toMatch(/0100007F:1F90/);
      const tcp6 = await execIn(sim, 'team-a', 'web-0', 'proxy', ['cat', '/proc/net/tcp6']);
      expect(tcp6.stdout).toMatch(/:3A99 /);
      // another pod's namespace never collides with these
      const one = await execIn(sim, 'team-a', 'one-0', 'only', ['readlink', '/proc/self/ns/net']);
      expect([web.stdout, proxy.stdout]).not.toContain(one.stdout);
    });
  });

  it('refuses exec into a container that is not running', async () => {
    const scenario = smallScenario();
    const db = (scenario.objects as { metadata: { name: string }; status?: { containerStatuses?: { state: unknown }[] } }[]).find((o) => o.metadata.name === 'db-0')!;
    db.status!.containerStatuses![0]!.state = { waiting: { reason: 'CrashLoopBackOff' } };
    await withSim(scenario, async (sim) => {
      const err = await rejectionOf(execIn(sim, 'team-a', 'db-0', 'db', ['cat', '/proc/net/tcp']));
      expect(String((err as Error).message ?? err)).toMatch(/500/);
    });
  });
});

describe('simulator: kubectl-style Table output', () => {
  it('prints pods the way the apiserver does for kubectl get', async () => {
    await withSim('scenarios/seed-incident.yaml', async (sim) => {
      const res = await fetch(`${sim.url}/api/v1/namespaces/financial-ml/pods?limit=500`, {
        headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json' },
      });
      const table = (await res.json()) as { kind: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
      expect(table.kind).toBe('Table');
      expect(table.columnDefinitions.slice(0, 5).map((c) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
      expect(table.rows[0]?.cells.slice(0, 5)).toEqual(['mlserver-0', '2/3', 'Running', '1 (39s ago)', '2m29s']);
    });
  });
});
