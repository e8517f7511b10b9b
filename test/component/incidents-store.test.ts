import { Redis } from 'ioredis';
import { IncidentStore } from '../../src/incidents/store.js';
import { postmortemMarkdown, summarizeIncident } from '../../src/incidents/summary.js';

const prefix = `podnet-test-incidents-${process.pid}-${Date.now()}`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('incident store (real Redis)', () => {
  it('opens, indexes by thread, appends and closes', async () => {
    const store = new IncidentStore({ redis, prefix });
    const at = new Date('2025-07-06T15:20:00Z');
    const inc = await store.open({ title: 'MLServer unreachable', channel: 'C1', threadTs: '1751815200.000100', openedBy: 'U1', at });
    expect(inc.id).toMatch(/^inc-20250706-[0-9a-f]{6}$/);
    expect((await store.byThread('C1', '1751815200.000100'))?.id).toBe(inc.id);
    expect((await store.openIn('C1'))?.id).toBe(inc.id);
    await expect(store.open({ title: 'again', channel: 'C1', threadTs: '2', openedBy: 'U2', at })).rejects.toThrow(/already has an open incident: "MLServer unreachable"/);

    await store.append(inc.id, { at: '2025-07-06T15:21:00Z', kind: 'command', who: 'U1', text: 'check mlserver-0 -n financial-ml' });
    await store.append(inc.id, {
      at: '2025-07-06T15:21:03Z', kind: 'finding', who: 'podnet', text: 'probe-bind-mismatch on financial-ml/mlserver-0',
      cause: 'probe-bind-mismatch', confidence: 0.9, fix: 'unset MLSERVER_HOST', evidence: ['listener 127.0.0.1:9500 only'], target: 'financial-ml/mlserver-0',
    });
    const closed = await store.close(inc.id, 'U1', new Date('2025-07-06T15:40:00Z'));
    expect(closed.status).toBe('closed');
    expect(await store.openIn('C1')).toBeUndefined();
    const timeline = await store.timeline(inc.id);
    expect(timeline.map((e) => e.kind)).toEqual(['opened', 'command', 'finding', 'closed']);

    const pm = postmortemMarkdown(closed, timeline, new Date('2025-07-06T16:00:00Z'));
    expect(pm).toContain('`probe-bind-mismatch` (90%).');
    expect(pm).toContain('- listener 127.0.0.1:9500 only');
    expect(pm).toContain('- Duration: 20 min');
    for (const e of timeline) expect(pm).toContain(e.at);
    const sum = summarizeIncident(closed, timeline, new Date('2025-07-06T16:00:00Z'));
    expect(sum.leading?.cause).toBe('probe-bind-mismatch');
    expect(sum.open).toEqual(['Apply and verify the fix: unset MLSERVER_HOST']);
  });

  it('says plainly when no check has run', () => {
    const inc = { id: 'inc-1', title: 't', channel: 'C', threadTs: '1', openedBy: 'U', openedAt: '2025-07-06T15:00:00Z', status: 'open' as const };
    const sum = summarizeIncident(inc, [], new Date('2025-07-06T15:05:00Z'));
    expect(sum.text.text).toContain('*Leading cause:* none yet');
    expect(sum.text.text).toContain('open for 5 min');
    expect(sum.open[0]).toMatch(/No finding yet/);
  });

  it('lists a confirmation as open only until the step is answered', () => {
    const inc = { id: 'inc-1', title: 't', channel: 'C', threadTs: '1', openedBy: 'U', openedAt: '2025-07-06T15:00:00Z', status: 'open' as const };
    const ask = { at: '2025-07-06T15:01:00Z', kind: 'runbook-step' as const, who: 'podnet', text: 'runbook crashloop-triage 4. debug: awaiting confirmation: Attach a debug container?' };
    const now = new Date('2025-07-06T15:05:00Z');
    expect(summarizeIncident(inc, [ask], now).open).toContain('Waiting for confirmation: runbook crashloop-triage 4. debug: awaiting confirmation: Attach a debug container?');
    const answered = { ...ask, at: '2025-07-06T15:02:00Z', text: 'runbook crashloop-triage 4. debug: declined by the on-call engineer; step not run' };
    expect(summarizeIncident(inc, [ask, answered], now).open.some((o) => o.startsWith('Waiting for confirmation'))).toBe(false);
  });
});
