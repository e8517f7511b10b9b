/**
 * What podnet SAYS (issue 10, part 1): each corrected statement, over hand-built evidence. Every
 * test here failed on the code before the correction; the comment above each says what podnet
 * used to say.
 */
import type { Evidence } from '../../src/evidence.js';
import type { Rule } from '../../src/analysis/rule.js';
import { RULES } from '../../src/analysis/rules/index.js';
import { diagnose, runRule } from '../../src/analysis/diagnose.js';
import { factsOf } from '../../src/analysis/facts.js';
import { listenerAccepts, rebindValue } from '../../src/analysis/net.js';
import { probeServices } from '../../src/probes/network.js';
import { checkSummaryOf } from '../../jobs/runbook.js';
import { evaluateCondition } from '../../src/runbooks/schema.js';
import type { ClusterAccess } from '../../src/cluster/types.js';
import type { V1Service } from '@kubernetes/client-node';
import { NOW, container, dial, env, event, evidence, httpProbe, listener, log, match, seedIncident } from '../helpers/evidence-builders.js';

const ctx = { now: NOW };
const rule = (id: string): Rule => RULES.find((r) => r.id === id)!;
/** What the diagnosis keeps from rule `id` (best candidate, MIN_CONFIDENCE applied). */
const detect = (id: string, ev: Evidence) => runRule(rule(id), ev, ctx);
const top = (ev: Evidence) => diagnose(ev, ctx).hypotheses[0]!;
const all = (ev: Evidence): string => {
  const d = diagnose(ev, ctx);
  return [...d.hypotheses.flatMap((h) => [h.summary, h.fix]), ...d.ruledOut.map((r) => r.why), ...d.options.flatMap((o) => [o.why, o.tradeoff])].join('\n');
};

/** web (client) dials 127.0.0.1:PORT; api serves PORT with the given listeners and env. */
function webApi(port: number, listeners: ReturnType<typeof listener>[], apiEnv: Record<string, string> = {}, dials = [dial('127.0.0.1', port, 'refused', 'web')]) {
  return evidence({
    client: 'web',
    server: 'api',
    port,
    containers: [container('web'), container('api', { ports: [{ containerPort: port, protocol: 'TCP' }], env: env(apiEnv) })],
    listeners,
    netns: { web: 'net:[4026532001]', api: 'net:[4026532001]' },
    dials,
    logs: [log('web', [match('client-refused', 'web', '2025-07-06T15:19:00Z', `dial tcp 127.0.0.1:${port}: connect: connection refused`, { groups: { host: '127.0.0.1', port: String(port) } })])],
  });
}

describe('probe-bind-mismatch advice', () => {
  // Was: "Or, if it must stay on loopback, set `host: 127.0.0.1` on those probes".
  it('offers an exec probe for a loopback-only server, and warns that host: 127.0.0.1 is the node', () => {
    const h = top(seedIncident());
    expect(h.fix).toMatch(/replace those probes with `exec` probes .*curl -fsS http:\/\/127\.0\.0\.1:9000\/v2\/health\/live/);
    expect(h.fix).toContain("do not set `host: 127.0.0.1` — kubelet would dial the node's own loopback");
  });

  // Was: "… probes … stop failing and stop restarting it" even for readiness-only probes.
  it('says readiness failures restart nothing when only readiness probes fail', () => {
    const ev = seedIncident();
    const ml = ev.pod!.containers.find((c) => c.name === 'mlserver')!;
    ml.probes = [httpProbe('readiness', 9000, { path: '/v2/health/ready' })];
    ml.status!.restartCount = 0;
    ml.status!.lastState = undefined;
    ev.events = [event('Unhealthy', 'Readiness probe failed: Get "http://10.42.1.17:9000/v2/health/ready": dial tcp 10.42.1.17:9000: connect: connection refused', { container: 'mlserver' })];
    const h = detect('probe-bind-mismatch', ev);
    expect(h!.summary).toContain('readiness failures do not restart it');
    expect(h!.summary).not.toMatch(/restarts mlserver/);
    expect(h!.fix).toContain('readiness failures never restart a container');
  });

  // Was: "remove MLSERVER_HOST=127.0.0.1 from container mlserver" — reverted by the Seldon operator.
  it('puts a Seldon pod\'s fix into the Server\'s spec.podSpec or its ServerConfig', () => {
    const h = top(seedIncident());
    expect(h.fix).toContain("in Seldon Server mlserver's spec.podSpec (container mlserver) or in its ServerConfig");
    expect(h.fix).toContain('an edit to the pod or the StatefulSet is reverted');
    expect(h.fix).not.toContain('from container mlserver');
  });
});

describe('IP families', () => {
  // Was: net.ts took every `::` listener as accepting IPv4, so a refused 127.0.0.1 dial fell to
  // server-not-ready-yet ("refusals only in the first 120 s").
  it('a refused 127.0.0.1 dial while [::]:P listens in the same namespace is ip-family-mismatch (v6-only)', () => {
    const ev = webApi(8000, [listener('tcp6', '::', 8000)], { UVICORN_HOST: '::' });
    expect(factsOf(ev).v6OnlyPorts.has(8000)).toBe(true);
    const h = top(ev);
    expect(h.cause).toBe('ip-family-mismatch');
    expect(h.summary).toContain('IPv6-only socket');
    expect(h.fix).toContain('set UVICORN_HOST=0.0.0.0');
    expect(h.fix).not.toMatch(/=::(\s|$|\))/);
    expect(all(ev)).not.toMatch(/refusals only in the first/);
  });

  it('does not infer v6-only from a dial made in another network namespace (that is separate-netns)', () => {
    const ev = webApi(8000, [listener('tcp6', '::', 8000)]);
    ev.netns = [{ container: 'web', netns: 'net:[4026532001]' }, { container: 'api', netns: 'net:[4026532999]' }];
    ev.sockets = [{ readFrom: 'api', netns: 'net:[4026532999]', listeners: [listener('tcp6', '::', 8000)] }];
    expect(factsOf(ev).v6OnlyPorts.size).toBe(0);
    expect(top(ev).cause).toBe('separate-netns');
  });

  it('a :: listener with no refused IPv4 dial is still taken as possibly dual-stack', () => {
    expect(listenerAccepts(listener('tcp6', '::', 80), '127.0.0.1')).toBe(true);
    expect(listenerAccepts(listener('tcp6', '::', 80), '127.0.0.1', { v6only: true })).toBe(false);
    expect(listenerAccepts(listener('tcp6', '::', 80), '::1', { v6only: true })).toBe(true);
  });

  // Was: "set IMGPROXY_BIND=:: (now [::1]:8081)" and, in the options, "IMGPROXY_BIND=:".
  it('keeps a host:port variable\'s port and never advises `::` for MLServer', () => {
    expect(rebindValue('[::1]:8081', '0.0.0.0')).toBe('0.0.0.0:8081');
    expect(rebindValue('127.0.0.1', '0.0.0.0')).toBe('0.0.0.0');
    const img = webApi(8081, [listener('tcp6', '::1', 8081)], { IMGPROXY_BIND: '[::1]:8081' });
    const text = all(img);
    expect(top(img).fix).toContain('IMGPROXY_BIND=0.0.0.0:8081');
    expect(text).not.toMatch(/IMGPROXY_BIND=(::|:(?!\d))/);
    const ev = seedIncident();
    ev.pod!.containers.find((c) => c.name === 'mlserver')!.env = env({ MLSERVER_HOST: '::1' });
    ev.sockets = [{ readFrom: 'mlserver', listeners: [listener('tcp6', '::1', 9500), listener('tcp6', '::1', 9000)] }];
    const seldon = all(ev);
    expect(seldon).toContain('MLSERVER_HOST=0.0.0.0');
    expect(seldon).not.toMatch(/MLSERVER_HOST=::(?!1)/);
  });
});

describe('server-not-ready-yet', () => {
  // Was: "refusals only in the first 120 s after start" while a dial at the check was refused.
  it('a dial refused at the check, long after start, says the refusals go on and weakens the race', () => {
    // The server started at 15:00:00, the client was refused at 15:00:20 (a start-up race) — and
    // again by podnet's own dial at the check, 20 minutes later.
    const build = (dials: ReturnType<typeof dial>[]) => {
      const ev = webApi(7000, [listener('tcp', '0.0.0.0', 7000)], {}, dials);
      ev.logs = [log('web', [match('client-refused', 'web', '2025-07-06T15:00:20Z', 'dial tcp 127.0.0.1:7000: connect: connection refused', { groups: { host: '127.0.0.1', port: '7000' } })])];
      return ev;
    };
    const h = detect('server-not-ready-yet', build([dial('127.0.0.1', 7000, 'refused', 'web')]));
    expect(h!.summary).not.toContain('refusals only in the first');
    expect(h!.summary).toContain('until the check at 15:20:00, so not only a start-up race');
    expect(h!.against.map((a) => a.text).join('\n')).toContain('the refusals continue to now');
    const race = detect('server-not-ready-yet', build([]))!;
    expect(race.summary).toContain('refusals only in the first 120 s');
    expect(race.confidence).toBeGreaterThan(h!.confidence + 0.3);
  });
});

describe('refused is not "not a filter"', () => {
  // Was: "a RST from nothing listening, not a filter" — on K3s kube-router REJECTs.
  it('qualifies a loopback refusal by loopback, and says "nothing accepted", not "nothing listening"', () => {
    const np = diagnose(seedIncident(), ctx).ruledOut.find((r) => r.cause === 'network-policy-blocks')!.why;
    expect(np).toContain('on loopback, which NetworkPolicy never filters');
    expect(np).not.toMatch(/not a filter|a RST from nothing listening/);
  });
});

describe('network-policy-blocks advice', () => {
  const ev = () =>
    evidence({
      client: 'worker',
      port: 5432,
      address: '10.43.12.7',
      labels: { app: 'worker', 'pod-template-hash': 'abc' },
      containers: [container('worker')],
      dials: [dial('10.43.12.7', 5432, 'timeout', 'worker')],
      extra: { policies: [{ name: 'default-deny-egress', policyTypes: ['Egress'], ingressRules: 0, egressRules: 1, allowsAllIngress: false, allowsAllEgress: false }] },
    });
  // Was: "egress from this pod … to 10.43.12.7:5432" (an ipBlock of a ClusterIP) and, in the
  // options, "An allow rule in this namespace fixes it".
  it('selects the peer by namespace/pod selector, keeps DNS, and asks for the peer\'s ingress rule', () => {
    const d = diagnose(ev(), ctx);
    const h = d.hypotheses[0]!;
    expect(h.cause).toBe('network-policy-blocks');
    expect(h.fix).toContain('namespaceSelector');
    expect(h.fix).toContain('not an ipBlock of 10.43.12.7');
    expect(h.fix).toContain('Keep DNS egress');
    expect(h.fix).toContain('podSelector app: worker');
    expect(d.options.find((o) => o.id === 'platform-change')!.why).toMatch(/ingress in the peer's namespace/);
  });
});

describe('sidecar-interception advice', () => {
  // Was: "The mesh proxy istio-init sits in the traffic path" and "Exclude port 9080 … excludeInboundPorts".
  it('names the proxy container, not istio-init, and offers defaultEndpoint for a loopback app', () => {
    const app = container('reviews', { ports: [{ containerPort: 9080, protocol: 'TCP' }] });
    const ev = evidence({
      client: 'istio-proxy',
      server: 'reviews',
      port: 9080,
      containers: [app, container('istio-proxy', { image: 'docker.io/istio/proxyv2:1.24.2' })],
      initContainers: [container('istio-init', { kind: 'init' })],
      listeners: [listener('tcp', '127.0.0.1', 9080)],
      logs: [log('istio-proxy', [match('mesh-proxy', 'istio-proxy', '2025-07-06T15:10:00Z', 'upstream connect error or disconnect/reset before headers. reset reason: connection failure')])],
      extra: { sidecars: ['istio-init', 'istio-proxy'] },
    });
    const h = detect('sidecar-interception', ev);
    expect(h!.summary).toMatch(/^The istio-proxy sidecar \(redirect installed by istio-init\)/);
    expect(h!.fix).toContain('defaultEndpoint: 127.0.0.1:9080');
    expect(h!.fix).not.toMatch(/^Exclude|annotate the pod traffic\.sidecar/);
  });
});

describe('server-not-in-pod advice', () => {
  // Was: probes/network.ts kept only Services selecting THIS pod, so the fix said "create one".
  it('probeServices keeps the namespace\'s other Services, and the fix names the one serving the port', async () => {
    const svc = (name: string, selector: Record<string, string>, port: number): V1Service => ({ metadata: { name }, spec: { selector, ports: [{ port, targetPort: port as never }] } });
    const cluster = { listServices: async () => [svc('redis', { app: 'redis' }, 6379), svc('web', { app: 'web' }, 80)] } as unknown as ClusterAccess;
    const services = await probeServices(cluster, 'team-a', { app: 'web' });
    expect(services.map((s) => s.name)).toEqual(['web', 'redis']);
    const ev = evidence({
      client: 'app',
      port: 6379,
      labels: { app: 'web' },
      containers: [container('app', { env: env({ REDIS_URL: 'redis://127.0.0.1:6379' }) })],
      listeners: [listener('tcp', '0.0.0.0', 8000)],
      logs: [log('app', [match('client-refused', 'app', '2025-07-06T15:10:00Z', 'Error 111 connecting to 127.0.0.1:6379. Connection refused.')])],
      extra: { services },
    });
    const h = top(ev);
    expect(h.cause).toBe('server-not-in-pod');
    expect(h.fix).toContain('redis.team-a.svc.cluster.local:6379');
    expect(h.fix).not.toContain('create one');
  });
});

describe('options', () => {
  // Was: "spec.server: seldon-system/mlserver" — not a valid reference.
  it('says Model.spec.server is a Server name in the Model\'s namespace', () => {
    const shared = diagnose(seedIncident(), ctx).options.find((o) => o.id === 'shared-mlserver')!;
    expect(shared.tradeoff).toContain("deployed into the shared Server's namespace with spec.server: <Server name>");
    expect(shared.tradeoff).not.toContain('seldon-system/');
  });
});

describe('runbook netns variable', () => {
  // Was: "share one network namespace … platform change is not needed" for every cause but
  // separate-netns, including when the namespaces were never compared.
  it('is unknown when fewer than two namespaces were read, shared when equal, separate when not', () => {
    const ev = seedIncident();
    const d = diagnose(ev, ctx);
    expect(checkSummaryOf(d, ev).netns).toBe('shared');
    const blind = { ...ev, netns: [] };
    expect(checkSummaryOf(diagnose(blind, ctx), blind).netns).toBe('unknown');
    expect(evaluateCondition('netns == shared and cause != unknown', { netns: 'unknown', cause: 'probe-bind-mismatch' })).toBe(false);
  });
});

describe('hostNetwork pods', () => {
  // Was: "The server is in this pod: port 9101 has a listener in the pod's namespace" and "never
  // on the pod's lo" for a pod whose lo is the node's.
  it('do not get "the server is in this pod" from the node\'s socket table, nor "the pod\'s lo"', () => {
    const exp = container('exporter', { ports: [{ containerPort: 9100, protocol: 'TCP' }], statusOver: { ready: false, restartCount: 4, state: { state: 'waiting', reason: 'CrashLoopBackOff' } } });
    const ev = evidence({ client: 'proxy', server: 'exporter', port: 9101, hostNetwork: true, containers: [container('proxy'), exp], listeners: [listener('tcp', '127.0.0.1', 9101)], logs: [log('exporter', [match('bind-error', 'exporter', '2025-07-06T15:10:00Z', 'err="listen tcp 127.0.0.1:9101: bind: address already in use"', { groups: { host: '127.0.0.1', port: '9101' }, previous: true })], { previous: true })] });
    const text = all(ev);
    expect(text).not.toContain('The server is in this pod');
    expect(text).not.toContain("never on the pod's lo");
    expect(text).toContain("the node's loopback (the pod uses hostNetwork: true)");
    // Was: port-conflict "Two processes in the pod want port 9101" beside "held by a process outside the pod".
    expect(detect('port-conflict', ev)).toBeUndefined();
    expect(diagnose(ev, ctx).hypotheses.map((h) => h.cause)).not.toContain('port-conflict');
  });
});

describe('server-oom-killed advice', () => {
  const oom = (nodeEvents: ReturnType<typeof event>[] = []) => {
    const ev = seedIncident();
    const ml = ev.pod!.containers.find((c) => c.name === 'mlserver')!;
    ml.env = env({ MLSERVER_PARALLEL_WORKERS: '4' });
    ml.status!.lastState = { state: 'terminated', reason: 'OOMKilled', exitCode: 137, startedAt: '2025-07-06T15:10:00Z', finishedAt: '2025-07-06T15:19:20Z' };
    ev.events = [];
    ev.sockets = [{ readFrom: 'mlserver', listeners: [listener('tcp', '0.0.0.0', 9500), listener('tcp', '0.0.0.0', 9000)] }];
    ev.nodeEvents = nodeEvents;
    return ev;
  };
  // Was: "Check the peak with `kubectl top pod …`".
  it('measures the peak with memory.peak or max_over_time, calling kubectl top a sample', () => {
    const h = detect('server-oom-killed', oom());
    expect(h!.fix).toContain('/sys/fs/cgroup/memory.peak');
    expect(h!.fix).toContain('max_over_time(container_memory_working_set_bytes');
    expect(h!.fix).toContain('`kubectl top` shows only a recent sample');
  });
  // Was: any node SystemOOM event, including another pod's, counted as evidence.
  it('does not count a node SystemOOM that names another process at another time', () => {
    const ev = seedIncident(); // lastState reason Error, no OOM
    ev.nodeEvents = [event('SystemOOM', 'System OOM encountered, victim process: java, pid: 4242', { at: '2025-07-06T14:00:00Z', object: { kind: 'Node', name: 'node-1' } })];
    expect(detect('server-oom-killed', ev)).toBeUndefined();
    const withKill = detect('server-oom-killed', oom([event('SystemOOM', 'System OOM encountered, victim process: java, pid: 4242', { at: '2025-07-06T14:00:00Z', object: { kind: 'Node', name: 'node-1' } })]))!;
    expect(withKill.evidence.map((e) => e.text).join('\n')).not.toContain('victim process: java');
  });
});
