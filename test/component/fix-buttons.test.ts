/**
 * *Apply fix* / *Roll back* presses (src/slack/fix-buttons.ts) against real Redis. A button's
 * value can be crafted, so every press is checked: a readable value naming a known cause and a
 * patch hash, the presser's intrusive permission for the namespace, and for a roll-back the fix
 * podnet stored (its namespace, its channel) — not anything the button says. A double press
 * queues one job.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parsePolicy } from '../../src/authz/policy.js';
import { queueName } from '../../src/queue/contracts.js';
import { FixStore, type FixRecord } from '../../src/remediation/fix-store.js';
import { createFixButtons, type FixButtons } from '../../src/slack/fix-buttons.js';

const prefix = `podnet-test-fix-button-${process.pid}-${Date.now()}`;
const cluster = `fixbtn${process.pid}`;
let redis: Redis;
let buttons: FixButtons;
let queue: Queue;

// Alice may take intrusive actions in C0MLONCALL (financial-ml) and in C0OTHER; Bob nowhere.
const policy = parsePolicy({
  channels: [
    { id: 'C0MLONCALL', namespaces: ['financial-ml'], intrusive: { users: ['U0ALICE'] } },
    { id: 'C0OTHER', namespaces: ['financial-ml'], intrusive: { users: ['U0ALICE'] } },
  ],
});
const APPLY = JSON.stringify({ ns: 'financial-ml', pod: 'mlserver-0', cause: 'probe-bind-mismatch', patch: '1a2b3c4d' });
const at = { channel: 'C0MLONCALL', threadTs: '1700000000.000100' };

beforeAll(() => {
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  buttons = createFixButtons({ redis, prefix, policy, defaultCluster: cluster });
  queue = new Queue(queueName(cluster, 'checks'), { connection: redis, prefix });
});
afterAll(async () => {
  await buttons.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

const jobs = async (name: string) => (await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])).filter((j) => j.name === name);

test('a double press by an intrusive user queues one apply-fix job with the pressed cause and hash', async () => {
  const [a, b] = await Promise.all([
    buttons.press({ actionId: 'podnet_apply_fix', value: APPLY, user: 'U0ALICE', ...at }),
    buttons.press({ actionId: 'podnet_apply_fix', value: APPLY, user: 'U0ALICE', ...at }),
  ]);
  expect(a).toMatchObject({ outcome: 'queued', namespace: 'financial-ml', cluster });
  expect(b.jobId).toBe(a.jobId);
  expect(a.jobId).toMatch(/^fix-[0-9a-f]{32}$/);
  const queued = await jobs('apply-fix');
  expect(queued).toHaveLength(1);
  expect(queued[0]!.data).toMatchObject({ fixId: a.jobId, pod: 'mlserver-0', namespace: 'financial-ml', cause: 'probe-bind-mismatch', patchHash: '1a2b3c4d', slack: { channel: 'C0MLONCALL', user: 'U0ALICE', threadTs: at.threadTs } });
});

test('refused: a user without the intrusive permission, a namespace the channel may not touch, a crafted value', async () => {
  const before = (await jobs('apply-fix')).length;
  expect(await buttons.press({ actionId: 'podnet_apply_fix', value: APPLY, user: 'U0BOB', ...at })).toMatchObject({ outcome: 'denied', text: expect.stringMatching(/^:no_entry: You may not apply a fix from this channel/) });
  const payments = JSON.stringify({ ns: 'payments', pod: 'api-0', cause: 'probe-bind-mismatch', patch: '1a2b3c4d' });
  expect(await buttons.press({ actionId: 'podnet_apply_fix', value: payments, user: 'U0ALICE', ...at })).toMatchObject({ outcome: 'denied', text: expect.stringMatching(/may not touch namespace payments/) });
  expect(await buttons.press({ actionId: 'podnet_apply_fix', value: '{not json', user: 'U0ALICE', ...at })).toMatchObject({ outcome: 'invalid', text: expect.stringMatching(/cannot read/) });
  const noCause = JSON.stringify({ ns: 'financial-ml', pod: 'mlserver-0', cause: 'rm -rf', patch: '1a2b3c4d' });
  expect(await buttons.press({ actionId: 'podnet_apply_fix', value: noCause, user: 'U0ALICE', ...at })).toMatchObject({ outcome: 'invalid', text: expect.stringMatching(/does not name a cause and a patch/) });
  expect(await jobs('apply-fix')).toHaveLength(before);
});

test('Roll back: only for a stored fix, only in its channel, only by an intrusive user; the job names the stored namespace', async () => {
  const store = new FixStore({ redis, prefix });
  const fixId = `fix-${'0'.repeat(31)}1`;
  const record: FixRecord = {
    fixId, cluster, namespace: 'financial-ml', pod: 'mlserver-0', cause: 'probe-bind-mismatch', channel: 'C0MLONCALL', threadTs: at.threadTs,
    target: { apiVersion: 'mlops.seldon.io/v1alpha1', kind: 'Server', namespace: 'financial-ml', name: 'mlserver' },
    diff: ['-     - name: MLSERVER_HOST'], rollback: { patchType: 'json', patch: [] }, appliedBy: 'U0ALICE', appliedAt: new Date().toISOString(),
  };
  const value = JSON.stringify({ fix: fixId });
  expect(await buttons.press({ actionId: 'podnet_roll_back', value, user: 'U0ALICE', ...at })).toMatchObject({ outcome: 'invalid', text: expect.stringMatching(/no record of this fix/) });
  await store.save(record);
  expect(await buttons.press({ actionId: 'podnet_roll_back', value, user: 'U0ALICE', channel: 'C0OTHER' })).toMatchObject({ outcome: 'denied', text: expect.stringMatching(/applied from another channel/) });
  expect(await buttons.press({ actionId: 'podnet_roll_back', value, user: 'U0BOB', ...at })).toMatchObject({ outcome: 'denied', text: expect.stringMatching(/You may not roll back a fix/) });
  expect(await buttons.press({ actionId: 'podnet_roll_back', value: JSON.stringify({ fix: 'fix-../../x' }), user: 'U0ALICE', ...at })).toMatchObject({ outcome: 'invalid' });
  expect(await jobs('roll-back')).toHaveLength(0);
  const ok = await buttons.press({ actionId: 'podnet_roll_back', value, user: 'U0ALICE', ...at });
  expect(ok).toMatchObject({ outcome: 'queued', jobId: `rollback-${fixId}`, namespace: 'financial-ml' });
  const [job] = await jobs('roll-back');
  expect(job!.data).toMatchObject({ fixId, namespace: 'financial-ml', pod: 'mlserver-0', slack: { channel: 'C0MLONCALL', user: 'U0ALICE', threadTs: at.threadTs } });
});
