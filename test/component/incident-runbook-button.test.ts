/**
 * Runbook Confirm / Decline presses (src/incidents/slack-hooks.ts runbookButton) against real
 * Redis: the run id is the button's value, so a press is honoured only in the run's channel
 * and only when that channel's policy allows the run's namespace (and, for a debug step, the
 * presser's intrusive permission).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parsePolicy } from '../../src/authz/policy.js';
import { createIncidentHooks } from '../../src/incidents/slack-hooks.js';
import { queueName } from '../../src/queue/contracts.js';
import { RunStore } from '../../src/runbooks/runs.js';

const prefix = `podnet-test-rb-button-${process.pid}-${Date.now()}`;
const cluster = `rbbtn${process.pid}`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  const q = new Queue(queueName(cluster, 'checks'), { connection: redis, prefix });
  await q.obliterate({ force: true }).catch(() => undefined);
  await q.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

// Bob may take intrusive actions in both channels; both allow financial-ml.
const policy = parsePolicy({
  channels: [
    { id: 'C0MLONCALL', namespaces: ['financial-ml'], intrusive: { users: ['U0BOB'] } },
    { id: 'C0OTHER', namespaces: ['financial-ml'], intrusive: { users: ['U0BOB'] } },
    { id: 'C0PAYMENTS', namespaces: ['payments'], intrusive: { users: ['U0BOB'] } },
  ],
});

async function waitingRun(runs: RunStore, runId: string, channel: string): Promise<void> {
  await runs.save({
    runId,
    runbook: 'crashloop-triage',
    cluster,
    channel,
    threadTs: '1751815200.000100',
    startedBy: 'U0ALICE',
    startedAt: new Date().toISOString(),
    pendingKind: 'debug',
    state: { runbook: 'crashloop-triage', target: { namespace: 'financial-ml', pod: 'mlserver-0' }, next: 2, vars: {}, outcomes: [], status: 'awaiting-confirm' },
  });
}

test('a press from another channel is refused and queues nothing, even where the namespace is allowed', async () => {
  const hooks = createIncidentHooks({ redis, prefix });
  const runs = new RunStore({ redis, prefix });
  await waitingRun(runs, 'rb-cross-1', 'C0MLONCALL');
  const res = await hooks.runbookButton({ policy, runId: 'rb-cross-1', answer: 'confirmed', user: 'U0BOB', channel: 'C0OTHER' });
  expect(res.outcome).toBe('denied');
  expect(res.text).toMatch(/another channel/);
  const res2 = await hooks.runbookButton({ policy, runId: 'rb-cross-1', answer: 'declined', user: 'U0BOB', channel: 'C0PAYMENTS' });
  expect(res2.outcome).toBe('denied');
  const q = new Queue(queueName(cluster, 'checks'), { connection: redis, prefix });
  expect(await q.getJobCounts('waiting', 'delayed', 'active')).toEqual({ waiting: 0, delayed: 0, active: 0 });
  await q.close();
  // The step is still open for the run's own channel.
  const ok = await hooks.runbookButton({ policy, runId: 'rb-cross-1', answer: 'confirmed', user: 'U0BOB', channel: 'C0MLONCALL' });
  expect(ok.outcome).toBe('queued');
  await hooks.close();
});
