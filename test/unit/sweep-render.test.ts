import type { V1Pod } from '@kubernetes/client-node';
import { renderSweepSlack, renderSweepText } from '../../src/render/sweep.js';
import type { SweepResult } from '../../src/sweep/sweep.js';
import { sortRows, triagePod } from '../../src/sweep/triage.js';

function pod(name: string, statuses: { ready: boolean; restartCount: number; waiting?: string }[], phase = 'Running'): V1Pod {
  return {
    metadata: { name },
    spec: { containers: statuses.map((_, i) => ({ name: `c${i}` })) },
    status: {
      phase,
      containerStatuses: statuses.map((s, i) => ({
        name: `c${i}`, image: 'x', imageID: '', ready: s.ready, restartCount: s.restartCount,
        state: s.waiting ? { waiting: { reason: s.waiting } } : { running: {} },
      })),
    },
  } as V1Pod;
}

describe('sweep triage', () => {
  it('calls a pod healthy only when running, all ready and never restarted', () => {
    expect(triagePod(pod('a', [{ ready: true, restartCount: 0 }]))).toMatchObject({ healthy: true, ready: '1/1', state: 'Running' });
    expect(triagePod(pod('b', [{ ready: true, restartCount: 2 }])).healthy).toBe(false);
    expect(triagePod(pod('c', [{ ready: false, restartCount: 5, waiting: 'CrashLoopBackOff' }, { ready: true, restartCount: 0 }]))).toMatchObject({
      healthy: false, ready: '1/2', restarts: 5, state: 'CrashLoopBackOff',
    });
    expect(triagePod(pod('d', [{ ready: false, restartCount: 0 }], 'Pending')).healthy).toBe(false);
  });

  it('sorts unhealthy first, most restarts first', () => {
    const rows = [triagePod(pod('ok', [{ ready: true, restartCount: 0 }])), triagePod(pod('few', [{ ready: true, restartCount: 1 }])), triagePod(pod('many', [{ ready: false, restartCount: 9 }]))];
    expect(sortRows(rows).map((r) => r.pod)).toEqual(['many', 'few', 'ok']);
  });
});

describe('sweep rendering', () => {
  const rows = Array.from({ length: 600 }, (_, i) => ({
    pod: `pod-with-a-long-name-${i}`, state: i % 3 ? 'Running' : 'CrashLoopBackOff', ready: '1/1', restarts: i % 3 ? 0 : 4,
    healthy: i % 3 !== 0, cause: i % 3 ? undefined : 'server-crashloop', confidence: i % 3 ? undefined : 0.81,
  }));
  const result: SweepResult = { namespace: 'ml', rows: sortRows(rows), checked: 200, apiRequests: 1000, durationMs: 1 };

  it('prints an aligned table with a headline', () => {
    const text = renderSweepText(result).split('\n');
    expect(text[0]).toBe('Sweep of ml: 600 pods, 200 unhealthy, 200 checked in depth');
    expect(text[2]).toMatch(/^POD\s+STATE\s+READY\s+RESTARTS\s+TOP CAUSE\s+CONF$/);
    expect(text[3]).toMatch(/CrashLoopBackOff\s+1\/1\s+4\s+server-crashloop\s+81%$/);
  });

  it('stays within Slack limits however many pods', () => {
    const { blocks, text } = renderSweepSlack(result);
    expect(text.length).toBeGreaterThan(0);
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const b of blocks as { type: string; text?: { text: string } }[]) {
      if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(3000);
    }
  });
});
