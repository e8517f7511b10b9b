import { detectFlap, diffSnapshots, type WatchSnapshot } from '../../src/watch/changes.js';

function snap(at: string, over: Partial<WatchSnapshot> = {}): WatchSnapshot {
  return { at, cause: 'probe-bind-mismatch', confidence: 0.8, restarts: { agent: 0, mlserver: 2 }, terminations: {}, dials: {}, refusals: [], ...over };
}

describe('watch change detection', () => {
  it('reports nothing when nothing changed', () => {
    expect(diffSnapshots(snap('2025-07-06T15:20:00Z'), snap('2025-07-06T15:20:30Z'))).toEqual([]);
  });

  it('names a new restart with its exit', () => {
    const next = snap('2025-07-06T15:21:00Z', {
      restarts: { agent: 0, mlserver: 3 },
      terminations: { mlserver: { finishedAt: '2025-07-06T15:20:50Z', reason: 'Error', exitCode: 137 } },
    });
    expect(diffSnapshots(snap('2025-07-06T15:20:00Z'), next)).toEqual([
      { kind: 'restart', text: 'mlserver restarted 1 more time: restartCount 2 → 3 (last exit: Error, code 137 at 2025-07-06T15:20:50Z)' },
    ]);
  });

  it('reports cause changes, large confidence moves, dial flips and new refusals; ignores small moves', () => {
    const prev = snap('t0', { dials: { 'agent->127.0.0.1:9500': 'connected' }, refusals: ['2025-07-06T15:19:24Z'] });
    expect(diffSnapshots(prev, { ...prev, confidence: 0.85 })).toEqual([]);
    const kinds = diffSnapshots(prev, {
      ...prev,
      cause: 'server-oom-killed',
      confidence: 0.7,
      dials: { 'agent->127.0.0.1:9500': 'refused' },
      refusals: ['2025-07-06T15:19:24Z', '2025-07-06T15:21:02Z'],
    }).map((c) => c.kind);
    expect(kinds).toEqual(['cause', 'dial', 'refusal']);
    expect(diffSnapshots(prev, { ...prev, confidence: 0.5 })[0]?.text).toBe('probe-bind-mismatch lost confidence: 80% → 50%');
  });
});

describe('flap detection', () => {
  it('finds a container restarting 3 times in 10 minutes, each followed by a refusal', () => {
    const finishes = ['2025-07-06T15:12:00Z', '2025-07-06T15:15:00Z', '2025-07-06T15:18:00Z'];
    const refusals = ['2025-07-06T15:12:03Z', '2025-07-06T15:15:04Z', '2025-07-06T15:18:02Z'];
    const history = finishes.map((f, i) =>
      snap(`2025-07-06T15:${13 + 3 * i}:00Z`, {
        restarts: { agent: 0, mlserver: 3 + i },
        terminations: { mlserver: { finishedAt: f } },
        refusals: refusals.slice(0, i + 1),
      }),
    );
    expect(detectFlap(history)).toBe('mlserver restarted 3 times in 10 min, each time the client was refused within 4 s');
  });

  it('does not call two restarts a flap, nor restarts outside the window', () => {
    const two = [
      snap('2025-07-06T15:10:00Z', { restarts: { mlserver: 1 }, terminations: { mlserver: { finishedAt: '2025-07-06T15:09:00Z' } } }),
      snap('2025-07-06T15:15:00Z', { restarts: { mlserver: 2 }, terminations: { mlserver: { finishedAt: '2025-07-06T15:14:00Z' } } }),
    ];
    expect(detectFlap(two)).toBeUndefined();
    const old = [
      snap('2025-07-06T14:00:00Z', { restarts: { mlserver: 0 } }),
      snap('2025-07-06T14:05:00Z', { restarts: { mlserver: 5 } }),
      snap('2025-07-06T15:30:00Z', { restarts: { mlserver: 5 } }),
    ];
    expect(detectFlap(old)).toBeUndefined();
  });
});
