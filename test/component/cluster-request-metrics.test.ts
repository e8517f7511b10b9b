/**
 * createClusterAccess's `onRequest` hook against the simulator: one call per attempt with the
 * RBAC verb, resource and HTTP status, feeding `podnet_kube_requests_total`.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createServer, type AddressInfo } from 'node:net';
import { createClusterAccess } from '../../src/cluster/client.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { startSimulator, type RunningSimulator } from '../../src/sim/server.js';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ scenario: 'scenarios/seed-incident.yaml', port: 0 });
});
afterAll(async () => {
  await sim?.close();
});

test('each request is reported with verb, resource and status; the counter adds them up', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const seen: { verb: string; resource: string; status: string }[] = [];
  const cluster = createClusterAccess({
    kubeConfigYaml: sim.kubeconfigYaml(),
    onRequest: (r) => {
      seen.push(r);
      metrics.kubeRequestsTotal.inc(r);
    },
  });
  await cluster.getPod('financial-ml', 'mlserver-0');
  await cluster.listPodEvents('financial-ml', 'mlserver-0');
  await expect(cluster.getPod('financial-ml', 'no-such-pod')).rejects.toMatchObject({ code: 'not-found' });
  const exec = await cluster.exec('financial-ml', 'mlserver-0', 'mlserver', ['cat', '/proc/net/tcp']);
  expect(exec.exitCode).toBe(0);
  expect(seen).toEqual([
    { verb: 'get', resource: 'pods', status: '200' },
    { verb: 'list', resource: 'events', status: '200' },
    { verb: 'get', resource: 'pods', status: '404' },
    { verb: 'create', resource: 'pods/exec', status: '101' },
  ]);
  expect(seen).toHaveLength(cluster.requestCount());
  const text = await metrics.registry.metrics();
  expect(text).toContain('podnet_kube_requests_total{verb="get",resource="pods",status="200"} 1');
  expect(text).toContain('podnet_kube_requests_total{verb="get",resource="pods",status="404"} 1');
  expect(text).toContain('podnet_kube_requests_total{verb="create",resource="pods/exec",status="101"} 1');
});

test('no HTTP answer counts as status "error", once per attempt', async () => {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  const kubeconfig = sim.kubeconfigYaml().replace(/server: http:\/\/127\.0\.0\.1:\d+/, `server: http://127.0.0.1:${port}`);
  const seen: string[] = [];
  const cluster = createClusterAccess({ kubeConfigYaml: kubeconfig, retries: 1, onRequest: (r) => seen.push(`${r.verb} ${r.resource} ${r.status}`) });
  await expect(cluster.version()).rejects.toMatchObject({ code: 'unavailable' });
  expect(seen).toEqual(['get version error', 'get version error']);
});
