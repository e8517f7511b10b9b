/**
 * `podnet worker` as a process, seen from outside: it registers its cluster's heartbeat before
 * it says it is ready, its /readyz checks Redis and the Kubernetes API (the simulator), its
 * /metrics counts Kubernetes requests and Slack calls after a check, and SIGTERM removes the
 * heartbeat at once. A second run against a Kubernetes API that is down is not ready.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { queueName } from '../../src/queue/contracts.js';
import { createProducer } from '../../src/compose/producer.js';
import { clusterWorkers, isClusterLive } from '../../src/queue/heartbeat.js';
import type { ReadinessReport } from '../../src/ops/health.js';
import { startSimulator, type RunningSimulator } from '../../src/sim/server.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/slack/stand-in.js';
import { testPrefix } from '../helpers/queue-fakes.js';
import { waitFor } from '../helpers/e2e-stack.js';
import { freePort } from '../helpers/free-port.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let sim: RunningSimulator;
let slack: SlackStandIn;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podnet-worker-ops-'));
  sim = await startSimulator({ scenario: 'scenarios/seed-incident.yaml', port: 0, kubeconfigPath: join(dir, 'kubeconfig') });
  slack = await startSlackStandIn();
});
afterAll(async () => {
  await slack?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

function startWorker(cluster: string, prefix: string, opsPort: number, kubeconfig: string): { proc: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const proc = spawn(process.execPath, ['--import', './test/helpers/register-ts.js', 'src/bin/cli.ts', 'worker', '--cluster', cluster], {
    env: {
      ...process.env,
      REDIS_URL,
      SLACK_BOT_TOKEN: 'xoxb-worker-ops',
      SLACK_API_URL: slack.url,
      KUBECONFIG: kubeconfig,
      PODNET_QUEUE_PREFIX: prefix,
      PODNET_OPS_PORT: String(opsPort),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, exited, output: () => out };
}

test('heartbeat, readiness with the Kubernetes API, metrics after a check, sign-off on SIGTERM', async () => {
  const { prefix, cleanup } = testPrefix();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const opsPort = await freePort();
  const w = startWorker('ops-a', prefix, opsPort, join(dir, 'kubeconfig'));
  const producer = createProducer({ connection: redis, prefix, cluster: 'ops-a' });
  const checks = new Queue(queueName('ops-a', 'checks'), { connection: redis, prefix });
  try {
    await waitFor(() => (/podnet worker ready/.test(w.output()) ? true : undefined), 90_000, 'the worker to be ready');
    expect(await isClusterLive(redis, 'ops-a', prefix)).toBe(true);
    const { workers } = await clusterWorkers(redis, 'ops-a', prefix);
    expect(workers).toHaveLength(1);
    expect(workers[0]!.version).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);

    const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
    const report = (await ready.json()) as ReadinessReport;
    expect(ready.status).toBe(200);
    expect(report.checks.kubernetes?.ok).toBe(true);
    expect(report.checks.redis?.ok).toBe(true);

    const { jobId } = await producer.enqueueCommand({ verb: 'check', pod: 'mlserver-0', namespace: 'financial-ml' }, { slack: { channel: 'C0WORKEROPS', user: 'U1' } });
    const job = await waitFor(async () => {
      const j = await Job.fromId(checks, jobId);
      return j?.finishedOn ? j : undefined;
    }, 60_000, 'the check to finish');
    expect(job.failedReason).toBeUndefined();
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    expect(metrics).toMatch(/podnet_kube_requests_total\{verb="get",resource="pods",status="200",component="worker",cluster="ops-a"\} \d+/);
    expect(metrics).toMatch(/podnet_kube_requests_total\{verb="create",resource="pods\/exec",status="101",component="worker",cluster="ops-a"\} \d+/);
    expect(metrics).toMatch(/podnet_slack_calls_total\{method="chat.postMessage",status="ok",component="worker",cluster="ops-a"\} \d+/);
    // The duration is observed on the worker's 'completed' event, which may follow finishedOn by a moment.
    await waitFor(async () => {
      const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      return /podnet_job_duration_seconds_count\{[^}]*job="check"[^}]*\} 1/.test(text) ? true : undefined;
    }, 20_000, 'the check job duration in /metrics');

    w.proc.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    // Signed off: gone at once, not after the 15 s TTL.
    expect(await isClusterLive(redis, 'ops-a', prefix)).toBe(false);
  } finally {
    if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
    await producer.close();
    await checks.obliterate({ force: true });
    await checks.close();
    const probes = new Queue(queueName('ops-a', 'probes'), { connection: redis, prefix });
    await probes.obliterate({ force: true });
    await probes.close();
    await cleanup(redis);
    await redis.quit();
  }
}, 240_000);

test('/readyz is 503 naming the Kubernetes check when the API server is down', async () => {
  const { prefix, cleanup } = testPrefix();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const apiPort = await freePort();
  const broken = join(dir, 'kubeconfig-down');
  writeFileSync(broken, readFileSync(join(dir, 'kubeconfig'), 'utf8').replace(/server: http:\/\/127\.0\.0\.1:\d+/, `server: http://127.0.0.1:${apiPort}`));
  const opsPort = await freePort();
  const w = startWorker('ops-down', prefix, opsPort, broken);
  try {
    await waitFor(() => (/podnet worker ready/.test(w.output()) ? true : undefined), 90_000, 'the worker to start');
    const res = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
    const report = (await res.json()) as ReadinessReport;
    expect(res.status).toBe(503);
    expect(report.checks.redis?.ok).toBe(true);
    expect(report.checks.kubernetes?.ok).toBe(false);
    w.proc.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  } finally {
    if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
    await cleanup(redis);
    await redis.quit();
  }
}, 240_000);
