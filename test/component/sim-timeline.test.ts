/** A scenario with a timeline changes under the real client as its clock moves. */
import { createClusterAccess } from '../../src/cluster/client.js';
import { loadScenario, validateScenario } from '../../src/sim/scenario.js';
import { startSimulator } from '../../src/sim/server.js';

async function text(chunks: AsyncIterable<Buffer>): Promise<string> {
  let out = '';
  for await (const c of chunks) out += c.toString('utf8');
  return out;
}

describe('simulator timelines', () => {
  it('restarts mlserver, adds an event and a log line when their time comes', async () => {
    const seed = loadScenario('scenarios/seed-incident.yaml');
    let elapsed = 0;
    const sim = await startSimulator({
      scenario: {
        ...seed,
        timeline: [
          { at: '30s', pod: 'financial-ml/mlserver-0', restart: { container: 'mlserver', reason: 'Error', exitCode: 137, lines: ['INFO - HTTP server running on http://127.0.0.1:9000'] } },
          { at: '32s', pod: 'financial-ml/mlserver-0', log: { container: 'agent', lines: ['time="x" level=info msg="Waiting for Inference Server service to become ready... connection refused"'] } },
          { at: '32s', pod: 'financial-ml/mlserver-0', event: { reason: 'Killing', message: 'Container mlserver failed startup probe, will be restarted', container: 'mlserver' } },
        ],
      },
      elapsedMs: () => elapsed,
    });
    try {
      const cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), qps: 1000, burst: 1000 });
      const restarts = async () => (await cluster.getPod('financial-ml', 'mlserver-0')).status!.containerStatuses!.find((c) => c.name === 'mlserver')!.restartCount;
      const before = await restarts();
      const eventsBefore = (await cluster.listPodEvents('financial-ml', 'mlserver-0')).length;

      elapsed = 31_000;
      expect(await restarts()).toBe(before + 1);
      const pod = await cluster.getPod('financial-ml', 'mlserver-0');
      const ms = pod.status!.containerStatuses!.find((c) => c.name === 'mlserver')!;
      expect(ms.lastState?.terminated).toMatchObject({ exitCode: 137, finishedAt: new Date(Date.parse(seed.now) + 30_000) });
      expect(await text(await cluster.streamLog('financial-ml', 'mlserver-0', { container: 'mlserver' }))).toContain('HTTP server running on http://127.0.0.1:9000');
      expect(await text(await cluster.streamLog('financial-ml', 'mlserver-0', { container: 'mlserver', previous: true }))).toContain('gRPC server running on');
      expect((await cluster.listPodEvents('financial-ml', 'mlserver-0')).length).toBe(eventsBefore);

      elapsed = 40_000;
      expect((await cluster.listPodEvents('financial-ml', 'mlserver-0')).length).toBe(eventsBefore + 1);
      expect(await text(await cluster.streamLog('financial-ml', 'mlserver-0', { container: 'agent', tailLines: 1 }))).toContain('Waiting for Inference Server');
      expect(await restarts()).toBe(before + 1);
    } finally {
      await sim.close();
    }
  });

  it('rejects a timeline entry for a container the pod does not have', () => {
    const seed = loadScenario('scenarios/seed-incident.yaml');
    expect(() => validateScenario({ ...seed, timeline: [{ at: '1s', pod: 'financial-ml/mlserver-0', log: { container: 'nope', lines: ['x'] } }] }, 't.yaml')).toThrow(
      /t\.yaml: timeline\[0\]: Pod financial-ml\/mlserver-0 has no container "nope"/,
    );
  });
});
