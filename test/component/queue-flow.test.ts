/**
 * The check flow on real Redis: parent `check` with children `probe` and `collect-logs`,
 * retries, permanent failures, deduplication. Collectors, analysis and Slack are fakes.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { PodnetError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { childJobId, queueName, type CheckResult } from '../../src/queue/contracts.js';
import { createProducer, type Producer } from '../../src/compose/producer.js';
import { startWorkers, type RunningWorkers } from '../../src/compose/workers.js';
import { fakeDeps, fakePoster, nullClusterAccess, REDIS_URL, testPrefix, waitForJob, waitUntil, type FakePoster } from '../helpers/queue-fakes.js';
import type { ProcessorDeps } from '../../src/queue/processor-deps.js';
import type { ClusterAccess, LogOptions } from '../../src/cluster/types.js';

const CLUSTER = 'qtest';
const slack = { channel: 'C1', user: 'U1' };
const check = { verb: 'check' as const, pod: 'mlserver-0', namespace: 'financial-ml' };

let redis: Redis;
let prefix: string;
let cleanup: (r: Redis) => Promise<void>;
let producer: Producer;
let workers: RunningWorkers | undefined;
let poster: FakePoster;
let checks: Queue;
let probes: Queue;

beforeEach(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  ({ prefix, cleanup } = testPrefix());
  producer = createProducer({ connection: redis, prefix, cluster: CLUSTER, backoffMs: 20 });
  poster = fakePoster();
  checks = new Queue(queueName(CLUSTER, 'checks'), { connection: redis, prefix });
  probes = new Queue(queueName(CLUSTER, 'probes'), { connection: redis, prefix });
});

afterEach(async () => {
  await workers?.close();
  workers = undefined;
  await producer.close();
  await checks.obliterate({ force: true });
  await probes.obliterate({ force: true });
  await checks.close();
  await probes.close();
  await cleanup(redis);
  await redis.quit();
});

async function start(over: Partial<ProcessorDeps> = {}, clusterAccess: ClusterAccess = nullClusterAccess): Promise<void> {
  workers = await startWorkers({ connection: redis, cluster: CLUSTER, clusterAccess, poster, logger: silentLogger, deps: fakeDeps(over), prefix });
}

describe('check flow', () => {
  test('runs probe and collect-logs, then the parent merges, analyses and posts once', async () => {
    await start();
    const { jobId, deduplicated } = await producer.enqueueCommand(check, { slack, requestId: 'r1' });
    expect(deduplicated).toBe(false);
    expect(jobId).not.toContain(':');
    const job = await waitForJob(checks, jobId);
    expect(await job.getState()).toBe('completed');
    const result = job.returnvalue as CheckResult;
    // The merged evidence had the probe's and the log child's steps.
    expect(result.diagnosis?.hypotheses[0]?.summary).toBe('steps: get-pod,logs:mlserver');
    expect(result.threadPosts).toBe(2);
    expect(result.failedChildren).toEqual([]);

    // One progress post in the channel, updated in place, two thread replies under it.
    const [progress, ...thread] = poster.posts;
    expect(progress?.text).toBe('mlserver-0: Checking mlserver-0 in financial-ml…');
    expect(progress?.thread_ts).toBeUndefined();
    expect(poster.updates).toEqual([{ channel: 'C1', ts: progress?.ts, text: 'summary mlserver-0: steps: get-pod,logs:mlserver' }]);
    expect(thread.map((p) => [p.text, p.thread_ts])).toEqual([
      ['thread 1 mlserver-0', progress?.ts],
      ['thread 2 mlserver-0', progress?.ts],
    ]);
    expect(result.messageTs).toBe(progress?.ts);
  });

  test('a permanent error (pod not found) is not retried; the message says so', async () => {
    let calls = 0;
    await start({
      collectEvidence: async () => {
        calls++;
        throw new PodnetError('not-found', 'pod financial-ml/mlserver-0 not found');
      },
    });
    const { jobId } = await producer.enqueueCommand(check, { slack, requestId: 'r2' });
    const job = await waitForJob(checks, jobId);
    const probe = await Job.fromId(probes, childJobId(jobId, 'probe'));
    expect(await probe?.getState()).toBe('failed');
    expect(probe?.attemptsMade).toBe(1);
    expect(calls).toBe(1);
    const result = job.returnvalue as CheckResult;
    expect(result.error).toBe('pod financial-ml/mlserver-0 not found');
    expect(result.failedChildren.map((f) => f.name)).toEqual(['probe']);
    expect(poster.updates.map((u) => u.text)).toEqual(['mlserver-0: Could not check mlserver-0 in financial-ml: pod financial-ml/mlserver-0 not found']);
  });

  test('a transient error is retried with backoff and the check still completes', async () => {
    let calls = 0;
    await start({
      collectLogs: async () => {
        calls++;
        if (calls < 3) throw new PodnetError('timeout', 'log stream timed out');
        return { logs: [], steps: [{ name: 'logs:agent', ok: true }] };
      },
    });
    const { jobId } = await producer.enqueueCommand(check, { slack, requestId: 'r3' });
    const job = await waitForJob(checks, jobId);
    const logs = await Job.fromId(probes, childJobId(jobId, 'collect-logs'));
    expect(logs?.attemptsMade).toBe(3);
    expect((job.returnvalue as CheckResult).diagnosis?.hypotheses[0]?.summary).toBe('steps: get-pod,logs:agent');
  });

  test('a log child failing for good still gives a diagnosis, with the failure as a step', async () => {
    await start({
      collectLogs: async () => {
        throw new PodnetError('forbidden', 'pods/log is forbidden: cannot get resource "pods/log"');
      },
    });
    const { jobId } = await producer.enqueueCommand(check, { slack, requestId: 'r4' });
    const job = await waitForJob(checks, jobId);
    const result = job.returnvalue as CheckResult;
    expect(result.failedChildren).toEqual([{ name: 'collect-logs', reason: 'pods/log is forbidden: cannot get resource "pods/log"' }]);
    expect(result.diagnosis?.steps.find((s) => s.name === 'logs')).toMatchObject({ ok: false, error: 'pods/log is forbidden: cannot get resource "pods/log"' });
    expect(poster.updates).toHaveLength(1);
  });

  test('two identical checks within the window coalesce into one flow', async () => {
    const first = await producer.enqueueCommand(check, { slack, requestId: 'd1' });
    const second = await producer.enqueueCommand(check, { slack, requestId: 'd2' });
    const other = await producer.enqueueCommand({ ...check, pod: 'mlserver-1' }, { slack, requestId: 'd3' });
    expect(first.deduplicated).toBe(false);
    expect(second).toEqual({ jobId: first.jobId, deduplicated: true });
    expect(other.deduplicated).toBe(false);
    expect(await checks.getJobCounts('waiting')).toEqual({ waiting: 2 });
    await start();
    await waitForJob(checks, first.jobId);
    await waitForJob(checks, other.jobId);
    expect(poster.updates).toHaveLength(2);
  });

  test('after the window an identical check runs again', async () => {
    const short = createProducer({ connection: redis, prefix, cluster: CLUSTER, dedupWindowMs: 100 });
    try {
      const a = await short.enqueueCommand(check, { slack, requestId: 'w1' });
      await new Promise((r) => setTimeout(r, 200));
      const b = await short.enqueueCommand(check, { slack, requestId: 'w2' });
      expect(b.deduplicated).toBe(false);
      expect(b.jobId).not.toBe(a.jobId);
    } finally {
      await short.close();
    }
  });

  test('verbs without a job yet are refused with a plain message', async () => {
    // sweep and watch have jobs now; help never becomes one (the bot answers it itself).
    await expect(producer.enqueueCommand({ verb: 'help' }, { slack })).rejects.toThrow('`help` is not available in this version yet');
  });
});

describe('routing', () => {
  test("a command's --cluster picks that cluster's queues", async () => {
    const { jobId } = await producer.enqueueCommand({ ...check, cluster: 'other' }, { slack, requestId: 'c1' });
    const other = new Queue(queueName('other', 'checks'), { connection: redis, prefix });
    try {
      const job = await Job.fromId(other, jobId);
      expect(job?.data.cluster).toBe('other');
      expect(await Job.fromId(checks, jobId)).toBeUndefined();
    } finally {
      await other.obliterate({ force: true });
      const otherProbes = new Queue(queueName('other', 'probes'), { connection: redis, prefix });
      await otherProbes.obliterate({ force: true });
      await otherProbes.close();
      await other.close();
    }
  });
});

describe('logs command', () => {
  test('streams one bounded log, scans it, posts signatures and the last lines', async () => {
    const asked: LogOptions[] = [];
    const access = {
      getPod: async () => ({ spec: { containers: [{ name: 'mlserver' }] } }),
      streamLog: async (_ns: string, _pod: string, options: LogOptions) => {
        asked.push(options);
        return (async function* () {
          yield Buffer.from('2025-06-01T15:19:20.000000000Z INFO gRPC server running on http://0.0.0.0:9500\n');
          yield Buffer.from('2025-06-01T15:19:21.000000000Z token=abcdefghijklmnopqrstuvwxyz0123456789\n');
        })();
      },
    } as unknown as ClusterAccess;
    await start({}, access);
    const { jobId } = await producer.enqueueCommand({ verb: 'logs', pod: 'mlserver-0', namespace: 'financial-ml', previous: true, sinceSeconds: 600 }, { slack, requestId: 'l1' });
    const job = await waitForJob(checks, jobId);
    expect(await job.getState()).toBe('completed');
    expect(asked).toEqual([{ container: 'mlserver', previous: true, timestamps: true, tailLines: 5000, limitBytes: 2097152, sinceSeconds: 600 }]);
    expect(poster.posts).toHaveLength(1);
    expect(poster.posts[0]?.text).toContain('Logs of mlserver-0/mlserver (previous) in financial-ml');
    expect(poster.posts[0]?.text).toContain('server-grpc-running');
    expect(JSON.stringify(job.returnvalue)).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
  });

  test('a pod with several containers and no -c is a permanent error, not retried', async () => {
    const access = { getPod: async () => ({ spec: { containers: [{ name: 'agent' }, { name: 'mlserver' }] } }) } as unknown as ClusterAccess;
    await start({}, access);
    const { jobId } = await producer.enqueueCommand({ verb: 'logs', pod: 'mlserver-0', namespace: 'financial-ml', previous: false }, { slack, requestId: 'l2' });
    const job = await waitForJob(checks, jobId);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe('mlserver-0 has 2 containers (agent, mlserver); name one with -c CONTAINER.');
    // Posted by the worker's failed handler, after the job failed (src/queue/report-failure.ts).
    await waitUntil(() => poster.posts.length > 0);
    expect(poster.posts.map((p) => p.text)).toEqual(['Could not read the logs of mlserver-0 in financial-ml: mlserver-0 has 2 containers (agent, mlserver); name one with -c CONTAINER.']);
  });
});
