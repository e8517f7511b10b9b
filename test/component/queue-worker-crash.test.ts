/**
 * A worker killed in the middle of a check: BullMQ's stalled-job detection hands the job to
 * another worker, and because every post is keyed by the job id, Slack (the stand-in) sees
 * one progress message, one summary update and one set of thread replies — no duplicates.
 * The workers run in child processes so they can be SIGKILLed for real.
 */
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { queueName } from '../../src/queue/contracts.js';
import { createProducer } from '../../src/compose/producer.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/slack/stand-in.js';
import { REDIS_URL, testPrefix, waitForJob } from '../helpers/queue-fakes.js';

const CLUSTER = 'crash';
let redis: Redis;
let prefix: string;
let cleanup: (r: Redis) => Promise<void>;
let slack: SlackStandIn;
const children: ChildProcess[] = [];

beforeEach(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  ({ prefix, cleanup } = testPrefix());
  slack = await startSlackStandIn();
});

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const kind of ['checks', 'probes'] as const) {
    const q = new Queue(queueName(CLUSTER, kind), { connection: redis, prefix });
    await q.obliterate({ force: true });
    await q.close();
  }
  await cleanup(redis);
  await redis.quit();
  await slack.close();
});

/** Starts a worker process; resolves once it prints READY. `lines` sees every later line. */
function startWorker(env: Record<string, string>): Promise<{ proc: ChildProcess; next(line: string): Promise<void> }> {
  const proc = spawn(process.execPath, ['--import', './test/helpers/register-ts.js', 'test/helpers/queue-worker-proc.ts'], {
    env: { ...process.env, REDIS_URL, PREFIX: prefix, CLUSTER, SLACK_API_URL: slack.url, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  const waiting = new Map<string, () => void>();
  const seen = new Set<string>();
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    seen.add(l);
    waiting.get(l)?.();
  });
  const next = (line: string): Promise<void> =>
    seen.has(line) ? Promise.resolve() : new Promise((resolve, reject) => {
      // Generous: a cold `node --import register-ts` start takes ~15 s on a loaded 2-core machine, far more at load 16.
      const timer = setTimeout(() => reject(new Error(`worker did not print ${line}`)), 120_000);
      waiting.set(line, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  return next('READY').then(() => ({ proc, next }));
}

test('a worker SIGKILLed mid-check: another worker finishes it, and every message is posted once', async () => {
  const producer = createProducer({ connection: redis, prefix, cluster: CLUSTER });
  const { jobId } = await producer.enqueueCommand({ verb: 'check', pod: 'mlserver-0', namespace: 'financial-ml' }, { slack: { channel: 'C0MLONCALL', user: 'U1' }, requestId: 'crash1' });
  await producer.close();

  // Worker A posts the progress message, then hangs in the probe; kill it there.
  const a = await startWorker({ SLOW_MS: '60000', LOCK_MS: '1500' });
  await a.next('PROBING');
  expect(slack.calls('chat.postMessage')).toHaveLength(1);
  a.proc.kill('SIGKILL');
  await new Promise((r) => a.proc.once('exit', r));

  // Worker B: the stalled check returns A's probe to the queue once A's lock expires. B's own
  // lock is long, so a busy machine starving its renewals cannot stall the job a second time.
  await startWorker({ SLOW_MS: '0', LOCK_MS: '10000' });
  const checks = new Queue(queueName(CLUSTER, 'checks'), { connection: redis, prefix });
  try {
    const job = await waitForJob(checks, jobId, 60_000);
    expect(await job.getState()).toBe('completed');
  } finally {
    await checks.close();
  }

  const [message, ...others] = slack.messages('C0MLONCALL');
  expect(others).toHaveLength(0);
  expect(message?.text).toBe('summary mlserver-0: steps: get-pod,logs:mlserver');
  expect(message?.replies.map((r) => r.text)).toEqual(['thread 1 mlserver-0', 'thread 2 mlserver-0']);
  // One progress post + two replies; the summary went out as exactly one chat.update.
  expect(slack.calls('chat.postMessage').filter((c) => c.ok)).toHaveLength(3);
  expect(slack.calls('chat.update').filter((c) => c.ok && String(c.params.text).startsWith('summary'))).toHaveLength(1);
}, 420_000);

test('a job that stalls past the limit (its worker killed twice) is failed by stall detection, and the user is told', async () => {
  const producer = createProducer({ connection: redis, prefix, cluster: CLUSTER });
  const { jobId } = await producer.enqueueCommand(
    { verb: 'logs', pod: 'mlserver-0', namespace: 'financial-ml', previous: false },
    { slack: { channel: 'C0MLONCALL', user: 'U1', responseUrl: slack.responseUrl('cmd-stall') }, requestId: 'stall1' },
  );
  await producer.close();
  // Two workers die in the log read in turn: BullMQ's maxStalledCount (1) is passed.
  for (let i = 0; i < 2; i++) {
    const w = await startWorker({ SLOW_MS: '60000', LOCK_MS: '1000' });
    await w.next('LOGGING');
    w.proc.kill('SIGKILL');
    await new Promise((r) => w.proc.once('exit', r));
  }
  // The survivor's lock is long, so a busy machine starving its renewals adds no stall of its own.
  await startWorker({ SLOW_MS: '0', LOCK_MS: '10000' });
  const checks = new Queue(queueName(CLUSTER, 'checks'), { connection: redis, prefix });
  try {
    const job = await waitForJob(checks, jobId, 60_000);
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toBe('job stalled more than allowable limit');
  } finally {
    await checks.close();
  }
  // The failed handler of the worker that failed it posts where the answer would have gone.
  const deadline = Date.now() + 30_000;
  while (slack.messages('C0MLONCALL').length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const [notice] = slack.messages('C0MLONCALL');
  expect(notice?.text).toContain('`/podnet logs mlserver-0 -n financial-ml` did not finish');
  expect(notice?.text).toContain('run the command again');
}, 540_000);
