/**
 * One rule at a time over hand-built evidence: each rule fires on its cause and stays quiet
 * where the facts say otherwise.
 */
import type { Evidence } from '../../src/evidence.js';
import type { Rule } from '../../src/analysis/rule.js';
import { CAUSE_IDS } from '../../src/analysis/types.js';
import { RULES } from '../../src/analysis/rules/index.js';
import { diagnose, runRule } from '../../src/analysis/diagnose.js';
import {
  NOW,
  container,
  dial,
  env,
  event,
  evidence,
  httpProbe,
  listener,
  log,
  match,
  seedIncident,
} from '../helpers/evidence-builders.js';

const ctx = { now: NOW };
const rule = (id: string): Rule => {
  const r = RULES.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
};
/** What the diagnosis keeps from rule `id` (best candidate, MIN_CONFIDENCE applied). */
const detect = (id: string, ev: Evidence) => runRule(rule(id), ev, ctx);
const conf = (id: string, ev: Evidence): number => detect(id, ev)?.confidence ?? 0;

/** Two containers: `client` dials 127.0.0.1:PORT; `server` declares PORT. */
function pair(over: { port?: number; serverOver?: Parameters<typeof container>[1]; clientOver?: Parameters<typeof container>[1] } = {}) {
  const port = over.port ?? 7000;
  return {
    client: container('client', { env: env({ TARGET: `127.0.0.1:${port}` }), ...over.clientOver }),
    server: container('server', { ports: [{ containerPort: port, protocol: 'TCP' }], ...over.serverOver }),
  };
}

const refusedLine = (at: string, port = 7000, host = '127.0.0.1') =>
  match('client-refused', 'client', at, `dial tcp ${host}:${port}: connect: connection refused`, { groups: { host, port: String(port) } });

describe('rules', () => {
  it('has exactly one rule per cause id, each with a doc', () => {
    expect(RULES.map((r) => r.id).sort()).toEqual([...CAUSE_IDS].sort());
    for (const r of RULES) expect(r.doc.length).toBeGreaterThan(40);
  });

  describe('probe-bind-mismatch', () => {
    it('fires on the seed incident with quoted listener rows, events and the env var in the fix', () => {
      const h = detect('probe-bind-mismatch', seedIncident());
      expect(h).toBeDefined();
      expect(h!.confidence).toBeGreaterThan(0.8);
      expect(h!.evidence.some((e) => e.kind === 'listener' && e.text.includes('0100007F:2328'))).toBe(true);
      expect(h!.evidence.some((e) => e.kind === 'event' && e.text.includes('10.42.1.17:9000') && e.text.includes('×68'))).toBe(true);
      expect(h!.fix).toContain('MLSERVER_HOST=127.0.0.1');
      // Was: "set `host: 127.0.0.1` on those probes" — wrong: kubelet dials `host` from the node's
      // namespace. The loopback alternative is an exec probe.
      expect(h!.fix).toContain('`exec` probes');
      expect(h!.fix).not.toMatch(/(?<!not )set `host: 127\.0\.0\.1`/);
    });

    it('does not fire when the probed port listens on 0.0.0.0', () => {
      const ev = seedIncident();
      ev.sockets = [{ readFrom: 'mlserver', listeners: [listener('tcp', '0.0.0.0', 9000), listener('tcp', '0.0.0.0', 9500)] }];
      ev.pod!.containers.find((c) => c.name === 'mlserver')!.env = env({ MLSERVER_HTTP_PORT: '9000' });
      expect(detect('probe-bind-mismatch', ev)).toBeUndefined();
    });

    // Was "does not fire when the probe sets host: 127.0.0.1": kubelet probes from the node's
    // network namespace, so that host is the NODE's loopback unless the pod uses hostNetwork.
    it('still fires when the probes set host: 127.0.0.1 on a pod without hostNetwork (that is the node\'s loopback)', () => {
      const ev = seedIncident();
      for (const p of ev.pod!.containers.find((c) => c.name === 'mlserver')!.probes) p.host = '127.0.0.1';
      const h = detect('probe-bind-mismatch', ev);
      expect(h!.confidence).toBeGreaterThan(0.7);
      expect(h!.evidence.map((e) => e.text).join('\n')).toContain("the node's own loopback");
    });

    it('does not fire when a hostNetwork pod probes host: 127.0.0.1 (its loopback is the node\'s)', () => {
      const ev = seedIncident();
      ev.pod!.hostNetwork = true;
      for (const p of ev.pod!.containers.find((c) => c.name === 'mlserver')!.probes) p.host = '127.0.0.1';
      expect(detect('probe-bind-mismatch', ev)).toBeUndefined();
    });

    it('does not take a client-side HOST:PORT env var for a bind setting', () => {
      const { client, server } = pair({ clientOver: { env: env({ UPSTREAM_ADDR: '127.0.0.1:7000' }), probes: [httpProbe('readiness', 8443)] } });
      const ev = evidence({ client: 'client', server: 'server', port: 7000, containers: [client, server] });
      expect(detect('probe-bind-mismatch', ev)).toBeUndefined();
    });
  });

  describe('server-oom-killed', () => {
    const oom = () => {
      const { client, server } = pair({
        serverOver: {
          resources: { limits: { memory: '1Gi' } },
          statusOver: { restartCount: 2, state: { state: 'running', startedAt: '2025-07-06T15:18:02Z' }, lastState: { state: 'terminated', reason: 'OOMKilled', exitCode: 137, finishedAt: '2025-07-06T15:18:00Z' } },
        },
      });
      return evidence({ client: 'client', server: 'server', port: 7000, containers: [client, server], logs: [log('client', [refusedLine('2025-07-06T15:18:03Z')])] });
    };
    it('fires on lastState OOMKilled, quotes it, and names the memory limit', () => {
      const h = detect('server-oom-killed', oom());
      expect(h!.confidence).toBeGreaterThan(0.7);
      expect(h!.evidence[0]!.text).toContain('server lastState.terminated: reason=OOMKilled exitCode=137');
      expect(h!.fix).toContain('now 1Gi');
    });
    it('does not fire on exit 137 from a probe kill (reason Error)', () => {
      const ev = oom();
      ev.pod!.containers[1]!.status!.lastState = { state: 'terminated', reason: 'Error', exitCode: 137, finishedAt: '2025-07-06T15:18:00Z' };
      expect(detect('server-oom-killed', ev)).toBeUndefined();
    });
  });

  describe('server-crashloop', () => {
    const crash = () => {
      const { client, server } = pair({
        serverOver: {
          statusOver: { ready: false, restartCount: 5, state: { state: 'waiting', reason: 'CrashLoopBackOff' }, lastState: { state: 'terminated', reason: 'Error', exitCode: 1, finishedAt: '2025-07-06T15:18:00Z' } },
        },
      });
      return evidence({
        client: 'client',
        server: 'server',
        port: 7000,
        containers: [client, server],
        logs: [
          log('server', [match('traceback', 'server', '2025-07-06T15:17:59Z', 'Traceback (most recent call last):', { previous: true })], {
            previous: true,
            tail: [{ at: '2025-07-06T15:17:59Z', text: "ModuleNotFoundError: No module named 'torch'" }],
          }),
        ],
      });
    };
    it('fires and quotes the traceback and the exception line', () => {
      const h = detect('server-crashloop', crash());
      expect(h!.confidence).toBeGreaterThan(0.7);
      expect(h!.evidence.map((e) => e.text).join('\n')).toContain("No module named 'torch'");
      expect(h!.fix).toContain('--previous');
    });
    it('does not fire for a healthy server', () => {
      const { client, server } = pair();
      expect(detect('server-crashloop', evidence({ client: 'client', server: 'server', port: 7000, containers: [client, server] }))).toBeUndefined();
    });
  });

  describe('server-not-ready-yet', () => {
    const race = () => {
      const { client, server } = pair({ serverOver: { statusOver: { state: { state: 'running', startedAt: '2025-07-06T15:00:01Z' } } } });
      return evidence({
        client: 'client',
        server: 'server',
        port: 7000,
        containers: [client, server],
        listeners: [listener('tcp', '0.0.0.0', 7000)],
        logs: [log('client', [refusedLine('2025-07-06T15:00:04Z'), match('agent-ready', 'client', '2025-07-06T15:00:20Z', 'All critical agent subservices ready.')])],
        dials: [dial('127.0.0.1', 7000, 'connected')],
      });
    };
    it('fires when refusals are only at start and the server listens now', () => {
      expect(conf('server-not-ready-yet', race())).toBeGreaterThan(0.6);
    });
    it('is weak when refusals continue long after start', () => {
      const ev = race();
      ev.logs[0]!.matches.push(refusedLine('2025-07-06T15:15:00Z'));
      expect(conf('server-not-ready-yet', ev)).toBeLessThan(0.35);
    });
  });

  describe('port-mismatch', () => {
    it('fires on a listener on 8081 while the agent dials 9500 and names both env vars', () => {
      const ev = seedIncident();
      ev.sockets = [{ readFrom: 'mlserver', listeners: [listener('tcp', '0.0.0.0', 9000), listener('tcp', '0.0.0.0', 8081)] }];
      const ml = ev.pod!.containers.find((c) => c.name === 'mlserver')!;
      ml.env = env({ MLSERVER_HTTP_PORT: '9000' });
      ml.status = { ready: true, restartCount: 0, state: { state: 'running', startedAt: '2025-07-06T15:10:00Z' } };
      ev.events = [];
      ev.logs.push(log('mlserver', [match('server-grpc-running', 'mlserver', '2025-07-06T15:10:05Z', 'gRPC server running on http://0.0.0.0:8081', { groups: { host: '0.0.0.0', port: '8081' } })]));
      const h = detect('port-mismatch', ev);
      expect(h!.confidence).toBeGreaterThan(0.7);
      expect(h!.fix).toContain('MLSERVER_GRPC_PORT=9500');
      expect(h!.fix).toContain('SELDON_SERVER_GRPC_PORT=9500');
    });
    it('does not fire when something listens on the dialled port', () => {
      expect(detect('port-mismatch', seedIncident())).toBeUndefined();
    });
  });

  describe('bind-address-mismatch', () => {
    it('fires on a pod-IP-only listener with a loopback dial', () => {
      const { client, server } = pair();
      const ev = evidence({ client: 'client', server: 'server', port: 7000, containers: [client, server], listeners: [listener('tcp', '10.42.3.21', 7000)], dials: [dial('127.0.0.1', 7000, 'refused'), dial('10.42.3.21', 7000, 'connected')] });
      const h = detect('bind-address-mismatch', ev);
      expect(h!.confidence).toBeGreaterThan(0.7);
      expect(h!.summary).toContain('10.42.3.21:7000 (the pod IP)');
    });
    it('does not fire on a 0.0.0.0 listener', () => {
      const { client, server } = pair();
      const ev = evidence({ client: 'client', server: 'server', port: 7000, containers: [client, server], listeners: [listener('tcp', '0.0.0.0', 7000)] });
      expect(detect('bind-address-mismatch', ev)).toBeUndefined();
    });
  });

  describe('ip-family-mismatch', () => {
    it('fires on a tcp6 ::1 listener with an IPv4 dial', () => {
      const { client, server } = pair();
      const ev = evidence({ client: 'client', server: 'server', port: 7000, containers: [client, server], listeners: [listener('tcp6', '::1', 7000)] });
      expect(conf('ip-family-mismatch', ev)).toBeGreaterThan(0.6);
    });
    it('fires on a [::1] refusal while the server is IPv4 only', () => {
      const { client, server } = pair();
      const ev = evidence({ client: 'client', server: 'server', port: 7000, address: 'localhost', containers: [client, server], listeners: [listener('tcp', '127.0.0.1', 7000)], logs: [log('client', [refusedLine('2025-07-06T15:10:00Z', 7000, '::1')])] });
      expect(conf('ip-family-mismatch', ev)).toBeGreaterThan(0.6);
    });
    it('does not fire on a dual-stack :: listener', () => {
      const { client, server } = pair();
      const ev = evidence({ client: 'client', server: 'server', port: 7000, containers: [client, server], listeners: [listener('tcp6', '::', 7000)] });
      expect(detect('ip-family-mismatch', ev)).toBeUndefined();
    });
  });

  describe('server-not-in-pod', () => {
    it('fires when nothing in the pod declares or listens on the port, naming a Service elsewhere', () => {
      const client = container('app', { env: env({ REDIS_URL: 'redis://127.0.0.1:6379' }) });
      const ev = evidence({
        client: 'app',
        port: 6379,
        containers: [client],
        listeners: [listener('tcp', '0.0.0.0', 8000)],
        logs: [log('app', [match('client-refused', 'app', '2025-07-06T15:10:00Z', 'Error 111 connecting to 127.0.0.1:6379. Connection refused.')])],
        extra: { services: [{ name: 'redis', type: 'ClusterIP', ports: [{ port: 6379, targetPort: 6379 }], selector: { app: 'redis' } }] },
      });
      const h = detect('server-not-in-pod', ev);
      expect(h!.confidence).toBeGreaterThan(0.6);
      expect(h!.fix).toContain('redis.team-a.svc.cluster.local:6379');
    });
    it('does not fire when a container declares the port', () => {
      const { client, server } = pair();
      expect(detect('server-not-in-pod', evidence({ client: 'client', server: 'server', port: 7000, containers: [client, server], listeners: [] }))).toBeUndefined();
    });
  });

  describe('port-conflict', () => {
    it('fires on a bind error and a doubly declared port', () => {
      const a = container('api', { ports: [{ containerPort: 8080, protocol: 'TCP' }] });
      const b = container('ui', { ports: [{ containerPort: 8080, protocol: 'TCP' }] });
      const ev = evidence({ client: 'nginx', server: 'api', port: 8080, containers: [container('nginx'), a, b], listeners: [listener('tcp6', '::', 8080)], logs: [log('api', [match('bind-error', 'api', '2025-07-06T15:10:00Z', 'listen tcp 0.0.0.0:8080: bind: address already in use', { groups: { host: '0.0.0.0', port: '8080' } })])] });
      const h = detect('port-conflict', ev);
      expect(h!.confidence).toBeGreaterThan(0.7);
      expect(h!.summary).toContain('api and ui');
    });
    it('does not fire without a bind error or a duplicate port', () => {
      const { client, server } = pair();
      expect(detect('port-conflict', evidence({ client: 'client', server: 'server', port: 7000, containers: [client, server] }))).toBeUndefined();
    });
  });

  describe('sidecar-interception', () => {
    it('fires with istio-proxy, istio-init and envoy reset lines', () => {
      const app = container('reviews', { ports: [{ containerPort: 9080, protocol: 'TCP' }] });
      const ev = evidence({
        client: 'istio-proxy',
        server: 'reviews',
        port: 9080,
        containers: [app, container('istio-proxy', { image: 'docker.io/istio/proxyv2:1.24.2' })],
        initContainers: [container('istio-init', { kind: 'init' })],
        listeners: [listener('tcp', '127.0.0.1', 9080), listener('tcp', '0.0.0.0', 15006)],
        logs: [log('istio-proxy', [match('mesh-proxy', 'istio-proxy', '2025-07-06T15:10:00Z', 'upstream connect error or disconnect/reset before headers. reset reason: connection failure')])],
        extra: { sidecars: ['istio-proxy', 'istio-init'] },
      });
      const h = detect('sidecar-interception', ev);
      expect(h!.confidence).toBeGreaterThan(0.6);
      // Was: "Exclude port 9080 … excludeInboundPorts" — useless for a loopback-bound app.
      expect(h!.fix).toContain('defaultEndpoint: 127.0.0.1:9080');
      expect(h!.fix).toMatch(/excludeInboundPorts\) does not help/);
      expect(h!.summary).toContain('istio-proxy sidecar');
    });
    it('does not fire without a mesh', () => {
      expect(detect('sidecar-interception', seedIncident())).toBeUndefined();
    });
  });

  describe('hostnetwork-port-conflict', () => {
    it('fires on hostNetwork with a bind error and a listener no container declares', () => {
      const exp = container('exporter', { ports: [{ containerPort: 9101, protocol: 'TCP' }], statusOver: { ready: false, restartCount: 4, state: { state: 'waiting', reason: 'CrashLoopBackOff' } } });
      const ev = evidence({ client: 'proxy', server: 'exporter', port: 9101, hostNetwork: true, containers: [container('proxy'), exp], listeners: [listener('tcp', '127.0.0.1', 9101)], logs: [log('exporter', [match('bind-error', 'exporter', '2025-07-06T15:10:00Z', 'err="listen tcp 127.0.0.1:9101: bind: address already in use"', { groups: { host: '127.0.0.1', port: '9101' }, previous: true })], { previous: true })] });
      expect(conf('hostnetwork-port-conflict', ev)).toBeGreaterThan(0.7);
      expect(conf('hostnetwork-port-conflict', ev)).toBeGreaterThan(conf('port-conflict', ev));
    });
    it('does not fire without hostNetwork', () => {
      expect(detect('hostnetwork-port-conflict', seedIncident())).toBeUndefined();
    });
  });

  describe('separate-netns', () => {
    it('fires on different inodes and quotes them', () => {
      const { client, server } = pair();
      const ev = evidence({ client: 'client', server: 'server', port: 7000, containers: [client, server], netns: { client: 'net:[4026532001]', server: 'net:[4026532777]' } });
      const h = detect('separate-netns', ev);
      expect(h!.confidence).toBeGreaterThan(0.85);
      expect(h!.evidence.map((e) => e.text)).toEqual(expect.arrayContaining(['client: net:[4026532001]', 'server: net:[4026532777]']));
    });
    it('does not fire with equal inodes', () => {
      expect(detect('separate-netns', seedIncident())).toBeUndefined();
    });
  });

  describe('network-policy-blocks', () => {
    const interPod = (outcome: 'timeout' | 'refused') =>
      evidence({
        client: 'worker',
        port: 5432,
        address: '10.43.12.7',
        containers: [container('worker')],
        dials: [dial('10.43.12.7', 5432, outcome, 'worker')],
        extra: { policies: [{ name: 'default-deny-egress', policyTypes: ['Egress'], ingressRules: 0, egressRules: 1, allowsAllIngress: false, allowsAllEgress: false }] },
      });
    it('fires on an inter-pod dial timeout with a restrictive policy', () => {
      expect(conf('network-policy-blocks', interPod('timeout'))).toBeGreaterThan(0.6);
    });
    it('reads timeouts from log tails', () => {
      const ev = interPod('timeout');
      ev.dials = [];
      ev.logs = [log('worker', [], { tail: [{ at: '2025-07-06T15:10:00Z', text: 'err="dial tcp 10.43.12.7:5432: i/o timeout"' }] })];
      expect(conf('network-policy-blocks', ev)).toBeGreaterThan(0.6);
    });
    // Was "does not fire on refusals": on K3s, kube-router REJECTs, so a denial reads as refused.
    it('on K3s a refusal with a restrictive policy counts (kube-router REJECTs); elsewhere it does not; never on loopback', () => {
      const k3s = detect('network-policy-blocks', interPod('refused'));
      expect(k3s!.confidence).toBeGreaterThan(0.5);
      expect(k3s!.evidence.map((e) => e.text).join('\n')).toMatch(/kube-router .*REJECT/);
      const plain = interPod('refused');
      plain.node = { name: 'node-1', kubeletVersion: 'v1.32.5', containerRuntime: 'containerd://2.0.5', cni: 'calico' };
      expect(detect('network-policy-blocks', plain)).toBeUndefined();
      expect(detect('network-policy-blocks', seedIncident())).toBeUndefined();
      const loop = interPod('timeout');
      loop.target.address = '127.0.0.1';
      loop.dials = [dial('127.0.0.1', 5432, 'timeout', 'worker')];
      expect(detect('network-policy-blocks', loop)).toBeUndefined();
    });
  });

  describe('liveness-kills-slow-start', () => {
    /** llm loads a model for minutes; its liveness probe (60 + 10 × 3 s, no startupProbe) kills it first. */
    const slow = (over: { lastState?: Record<string, unknown>; listeners?: ReturnType<typeof listener>[]; prevTail?: string[]; llmEnv?: Record<string, string>; startup?: boolean } = {}) => {
      const llm = container('llm', {
        ports: [{ containerPort: 8000, protocol: 'TCP' }],
        env: env(over.llmEnv ?? {}),
        probes: [
          httpProbe('liveness', 8000, { initialDelaySeconds: 60, periodSeconds: 10, failureThreshold: 3 }),
          httpProbe('readiness', 8000, { initialDelaySeconds: 60 }),
          ...(over.startup ? [httpProbe('startup', 8000, { periodSeconds: 10, failureThreshold: 6 })] : []),
        ],
        statusOver: {
          ready: false,
          started: false,
          restartCount: 6,
          state: { state: 'waiting', reason: 'CrashLoopBackOff' },
          lastState: { state: 'terminated', reason: 'Error', exitCode: 137, startedAt: '2025-07-06T15:16:10Z', finishedAt: '2025-07-06T15:17:51Z', ...over.lastState } as never,
        },
      });
      const podEvent = { object: { kind: 'Pod', name: 'pod', fieldPath: 'spec.containers{llm}' }, container: 'llm' };
      return evidence({
        client: 'router',
        server: 'llm',
        port: 8000,
        containers: [container('router', { env: env({ UPSTREAM_URL: 'http://127.0.0.1:8000/v1' }) }), llm],
        listeners: over.listeners ?? [listener('tcp6', '::', 8080)],
        events: [
          event('Unhealthy', 'Liveness probe failed: Get "http://10.42.3.21:8000/health": dial tcp 10.42.3.21:8000: connect: connection refused', { ...podEvent, count: 18 }),
          event('Killing', `Container llm failed ${over.startup ? 'startup' : 'liveness'} probe, will be restarted`, { ...podEvent, count: 6 }),
          event('BackOff', 'Back-off restarting failed container llm', { ...podEvent, count: 41 }),
        ],
        logs: [
          log('llm', [], { previous: true, tail: (over.prevTail ?? ['Starting to load model /models/llama...', 'Loading safetensors checkpoint shards:  38% Completed | 3/8']).map((text, i) => ({ at: `2025-07-06T15:17:${String(10 + i).padStart(2, '0')}Z`, text })) }),
          log('router', [{ ...refusedLine('2025-07-06T15:19:30Z', 8000), container: 'router' }]),
        ],
        dials: [dial('127.0.0.1', 8000, 'refused', 'router')],
      });
    };
    it('fires on a liveness kill (exit 137, reason Error), CrashLoopBackOff, nothing listening and a log cut mid-start', () => {
      const h = detect('liveness-kills-slow-start', slow());
      expect(h!.confidence).toBeGreaterThan(0.7);
      expect(h!.fix).toContain('Add a startupProbe to llm');
      expect(h!.fix).toMatch(/failureThreshold: \d+ = \d+ s/);
      const text = h!.evidence.map((e) => e.text).join('\n');
      expect(text).toContain('failed liveness probe');
      expect(text).toContain('exit 137 = 128 + 9 (SIGKILL), reason Error');
      expect(text).toContain('nothing listens on port 8000');
      expect(text).toContain('3/8');
      expect(text).toContain('the last run lasted 101 s');
      const d = diagnose(slow(), ctx);
      expect(d.hypotheses[0]!.cause).toBe('liveness-kills-slow-start');
    });
    it('also takes exit 143 (SIGTERM) and a startupProbe that is too short', () => {
      const h = detect('liveness-kills-slow-start', slow({ lastState: { exitCode: 143 }, startup: true }));
      expect(h!.confidence).toBeGreaterThan(0.6);
      expect(h!.fix).toContain("Give llm's startupProbe more time");
    });
    it('does not fire on an OOM kill', () => {
      expect(detect('liveness-kills-slow-start', slow({ lastState: { reason: 'OOMKilled' } }))).toBeUndefined();
    });
    it('does not fire without a probe kill (the seed incident kills for startup probes, but binds loopback)', () => {
      const ev = slow();
      ev.events = ev.events.filter((e) => e.reason !== 'Killing');
      expect(detect('liveness-kills-slow-start', ev)).toBeUndefined();
      expect(diagnose(seedIncident(), ctx).hypotheses[0]!.cause).toBe('probe-bind-mismatch');
      expect(conf('liveness-kills-slow-start', seedIncident())).toBeLessThan(0.2);
    });
    it('is weak when the server listens on loopback only, or its previous run crashed with an error', () => {
      expect(conf('liveness-kills-slow-start', slow({ listeners: [listener('tcp', '127.0.0.1', 8000)], llmEnv: { HOST: '127.0.0.1' } }))).toBeLessThan(0.3);
      const crashed = slow({ lastState: { exitCode: 1 }, prevTail: ['Traceback (most recent call last):', "ModuleNotFoundError: No module named 'vllm'"] });
      expect(conf('liveness-kills-slow-start', crashed)).toBeLessThan(0.3);
    });
  });

  describe('unknown', () => {
    it('always answers, more confident the thinner the evidence, and says what to collect', () => {
      const thin = evidence({ port: 7000, containers: [container('a')] });
      const h = detect('unknown', thin);
      expect(h!.cause).toBe('unknown');
      expect(h!.fix).toContain('/proc/net/tcp');
      expect(h!.confidence).toBeGreaterThan(detect('unknown', seedIncident())!.confidence);
    });
  });

  it('rules are pure: the same evidence gives the same answer and is not modified', () => {
    const ev = seedIncident();
    const before = JSON.stringify(ev);
    const a = RULES.map((r) => runRule(r, ev, ctx));
    const b = RULES.map((r) => runRule(r, JSON.parse(before) as Evidence, ctx));
    expect(JSON.stringify(ev)).toBe(before);
    expect(a).toEqual(b);
  });
});
