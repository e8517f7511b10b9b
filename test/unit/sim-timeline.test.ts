import { applyTimeline, timelineSchema } from '../../src/sim/timeline.js';

const base = {
  now: '2025-07-06T15:20:00Z',
  objects: [
    {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mlserver-0', namespace: 'ml', uid: 'u1' },
      status: { containerStatuses: [{ name: 'mlserver', restartCount: 2, ready: true, state: { running: { startedAt: '2025-07-06T15:18:00Z' } } }] },
    },
  ],
  pods: {
    'ml/mlserver-0': { containers: { mlserver: { listen: [{ proto: 'tcp', address: '127.0.0.1', port: 9500 }], logs: { current: '2025-07-06T15:18:01.000000000Z run 3\n' } } } },
  },
};

const entries = timelineSchema.parse([
  { at: '30s', pod: 'ml/mlserver-0', restart: { container: 'mlserver', reason: 'OOMKilled', exitCode: 137, lines: ['run 4'] } },
  { at: '31s', pod: 'ml/mlserver-0', event: { reason: 'Unhealthy', message: 'Startup probe failed', container: 'mlserver' } },
  { at: '1m', pod: 'ml/mlserver-0', listen: { container: 'mlserver', set: [{ proto: 'tcp', address: '0.0.0.0', port: 9500 }] } },
]);

describe('scenario timelines', () => {
  it('changes nothing before the first entry but the clock', () => {
    const s = applyTimeline(base, entries, 10_000);
    expect(s.now).toBe('2025-07-06T15:20:10.000Z');
    expect(s.objects).toHaveLength(1);
    expect(s.pods['ml/mlserver-0']!.containers.mlserver!.listen).toEqual(base.pods['ml/mlserver-0'].containers.mlserver.listen);
  });

  it('restarts a container: lastState, restartCount, logs rotate; adds events; swaps listeners', () => {
    const s = applyTimeline(base, entries, 61_000);
    const cs = (s.objects[0] as typeof base.objects[0]).status.containerStatuses[0]!;
    expect(cs.restartCount).toBe(3);
    expect(cs).toMatchObject({ lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: '2025-07-06T15:18:00Z', finishedAt: '2025-07-06T15:20:30.000Z' } } });
    const logs = s.pods['ml/mlserver-0']!.containers.mlserver!.logs!;
    expect((logs as { previous?: string }).previous).toBe('2025-07-06T15:18:01.000000000Z run 3\n');
    expect(logs.current).toBe('2025-07-06T15:20:30.000000000Z run 4\n');
    expect(s.objects[1]).toMatchObject({ kind: 'Event', reason: 'Unhealthy', involvedObject: { name: 'mlserver-0', fieldPath: 'spec.containers{mlserver}' }, lastTimestamp: '2025-07-06T15:20:31.000Z' });
    expect(s.pods['ml/mlserver-0']!.containers.mlserver!.listen).toEqual([{ proto: 'tcp', address: '0.0.0.0', port: 9500 }]);
    // The base is untouched.
    expect(base.objects[0]!.status.containerStatuses[0]!.restartCount).toBe(2);
  });

  it('rejects an entry with no action or two actions', () => {
    expect(timelineSchema.safeParse([{ at: '1s', pod: 'a/b' }]).success).toBe(false);
    expect(timelineSchema.safeParse([{ at: 'soon', pod: 'a/b', log: { container: 'c', lines: ['x'] } }]).success).toBe(false);
  });
});
