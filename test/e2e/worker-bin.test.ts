/**
 * `podnet worker` as a process: reads its environment (REDIS_URL, SLACK_BOT_TOKEN,
 * SLACK_API_URL, KUBECONFIG, PODNET_QUEUE_PREFIX), serves its cluster's queues, and on
 * SIGTERM finishes and exits 0. Runs the TypeScript entry point through the test loader.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { queueName } from '../../src/queue/contracts.js';
import { createProducer } from '../../src/compose/producer.js';
import { startSimulator, type RunningSimulator } from '../../src/sim/server.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/slack/stand-in.js';
import { testPrefix } from '../helpers/queue-fakes.js';
import { waitFor } from '../helpers/e2e-stack.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let sim: RunningSimulator;
let slack: SlackStandIn;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podnet-worker-bin-'));
  sim = await startSimulator({ scenario: 'scenarios/seed-incident.yaml', port: 0, kubeconfigPath: join(dir, 'kubeconfig') });
  slack = await startSlackStandIn();
});
afterAll(async () => {
  await slack?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('podnet worker serves its queues from the environment and drains on SIGTERM', async () => {
  const { prefix, cleanup } = testPrefix();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const proc = spawn(process.execPath, ['--import', './test/helpers/register-ts.js', 'src/bin/cli.ts', 'worker', '--cluster', 'binary'], {
    env: {
      ...process.env,
      REDIS_URL,
      SLACK_BOT_TOKEN: 'xoxb-worker-bin',
      SLACK_API_URL: slack.url,
      KUBECONFIG: join(dir, 'kubeconfig'),
      PODNET_QUEUE_PREFIX: prefix,
      OPS_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const producer = createProducer({ connection: redis, prefix, cluster: 'binary' });
  const checks = new Queue(queueName('binary', 'checks'), { connection: redis, prefix });
  try {
    const { jobId } = await producer.enqueueCommand({ verb: 'check', pod: 'mlserver-0', namespace: 'financial-ml' }, { slack: { channel: 'C0MLONCALL', user: 'U1' } });
    const job = await waitFor(async () => {
      const j = await Job.fromId(checks, jobId);
      return j?.finishedOn ? j : undefined;
    }, 120_000, 'the worker process to finish the check'); // a cold TS start alone takes ~15 s on a loaded 2-core machine, far more at load 16
    expect(job.failedReason).toBeUndefined();
    expect(JSON.stringify(slack.messages('C0MLONCALL')[0]?.blocks)).toContain('probe-bind-mismatch');
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/error/i);
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await producer.close();
    for (const kind of ['checks', 'probes'] as const) {
      const q = new Queue(queueName('binary', kind), { connection: redis, prefix });
      await q.obliterate({ force: true });
      await q.close();
    }
    await checks.close();
    await cleanup(redis);
    await redis.quit();
  }
}, 180_000);
