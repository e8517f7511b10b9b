/**
 * Test helpers for the simulator: a real client-node KubeConfig pointed at a running
 * simulator, small scenario builders, and a Status extractor for ApiException bodies.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { simKubeConfig } from '../../src/sim/client-config.js';
import type { RunningSimulator } from '../../src/sim/server.js';
import type { ScenarioInput } from '../../src/sim/scenario.js';

/** A client-node KubeConfig for the simulator, built the way callers build one. */
export function kubeConfigFor(sim: RunningSimulator): KubeConfig {
  return simKubeConfig(sim.url);
}

/** The metav1.Status inside a client-node ApiException (its body is JSON text or an object). */
export function statusOf(err: unknown): { code?: number; reason?: string; message?: string; details?: Record<string, unknown> } {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') return JSON.parse(body) as ReturnType<typeof statusOf>;
  return (body ?? {}) as ReturnType<typeof statusOf>;
}

/** Awaits a promise expected to reject; returns the rejection. */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

/** A small two-pod scenario; `extra` is merged in at the top level. */
export function smallScenario(extra: Partial<ScenarioInput> = {}): ScenarioInput {
  const pod = (name: string, labels: Record<string, string>, containers: string[], phase = 'Running') => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'team-a', labels, creationTimestamp: '2025-07-06T15:00:00Z' },
    spec: { nodeName: 'node-1', containers: containers.map((c) => ({ name: c, image: `example/${c}:1` })) },
    status: {
      phase,
      podIP: '10.42.0.9',
      containerStatuses: containers.map((c) => ({ name: c, ready: true, restartCount: 0, image: `example/${c}:1`, imageID: '', state: { running: { startedAt: '2025-07-06T15:00:05Z' } } })),
    },
  });
  const event = (name: string, kind: string, obj: string, reason: string) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'team-a' },
    involvedObject: { kind, name: obj, namespace: 'team-a' },
    reason,
    message: `${reason} happened`,
    type: 'Normal',
    count: 1,
    firstTimestamp: '2025-07-06T15:10:00Z',
    lastTimestamp: '2025-07-06T15:10:00Z',
  });
  return {
    apiVersion: 'podnet.dev/v1alpha1',
    kind: 'Scenario',
    metadata: { name: 'small' },
    now: '2025-07-06T15:20:00Z',
    cluster: { version: 'v1.32.5+k3s1' },
    objects: [
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      pod('web-0', { app: 'web', tier: 'front' }, ['web', 'proxy']),
      pod('db-0', { app: 'db', tier: 'back' }, ['db'], 'Pending'),
      pod('one-0', { app: 'one' }, ['only']),
      event('web-0.1', 'Pod', 'web-0', 'Started'),
      event('web-0.2', 'Pod', 'web-0', 'Killing'),
      event('db-0.1', 'Pod', 'db-0', 'Scheduled'),
      event('node-1.1', 'Node', 'node-1', 'NodeReady'),
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'allow-all', namespace: 'team-a' },
        spec: { podSelector: {}, ingress: [{}], egress: [{}], policyTypes: ['Ingress', 'Egress'] },
      },
    ],
    pods: {
      'team-a/web-0': {
        containers: {
          web: {
            listen: [{ proto: 'tcp', address: '127.0.0.1', port: 8080 }],
            tools: ['sh', 'cat', 'readlink'],
            logs: {
              current: [
                '2025-07-06T15:00:05.000000000Z web starting',
                '2025-07-06T15:10:00.000000000Z web line two',
                '2025-07-06T15:19:00.000000000Z web line three',
                '2025-07-06T15:19:30.000000000Z web line four',
                '',
              ].join('\n'),
              previous: '2025-07-06T14:59:00.000000000Z web old run\n2025-07-06T14:59:59.000000000Z web killed\n',
            },
          },
          proxy: { listen: [{ proto: 'tcp6', address: '::', port: 15001 }] },
        },
      },
    },
    ...extra,
  };
}
