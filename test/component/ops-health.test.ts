/**
 * The ops server over real HTTP: /healthz, /readyz with real checks (one against the Redis
 * on 127.0.0.1:6379, one against a port nothing listens on), /metrics with the podnet
 * metrics, including the queue-depth gauge read from a real BullMQ queue.
 */
import { connect, createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startOpsServer, type OpsServer, type ReadinessReport } from '../../src/ops/health.js';
import { createMetrics } from '../../src/ops/metrics.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function start(options: Parameters<typeof startOpsServer>[0]): Promise<OpsServer> {
  const server = await startOpsServer({ host: '127.0.0.1', ...options });
  cleanups.push(() => server.close());
  return server;
}

/** A port that refuses connections: bound once, then closed. */
async function closedPort(): Promise<number> {
  const srv: Server = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** A TCP connect check (ioredis keeps timers alive for seconds after a refused connect). */
function tcpCheck(port: number): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });
}

function redisCheck(port: number): () => Promise<void> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  redis.on('error', () => undefined);
  cleanups.push(async () => redis.disconnect());
  return async () => {
    if (redis.status === 'wait' || redis.status === 'end') await redis.connect();
    await redis.ping();
  };
}

describe('startOpsServer', () => {
  test('/healthz answers 200 with no checks at all', async () => {
    const ops = await start({ port: 0 });
    const res = await fetch(`${ops.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
  });

  test('/healthz stays 200 while a readiness check fails (liveness must not depend on Redis)', async () => {
    const ops = await start({ port: 0, checks: { broken: async () => Promise.reject(new Error('down')) } });
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${ops.url}/readyz`)).status).toBe(503);
  });

  test('/readyz is 200 with every check reported when the real Redis answers', async () => {
    const ops = await start({ port: 0, checks: { redis: redisCheck(6379), trivial: async () => undefined } });
    const res = await fetch(`${ops.url}/readyz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as ReadinessReport;
    expect(body.status).toBe('ready');
    expect(body.checks.redis?.ok).toBe(true);
    expect(body.checks.trivial?.ok).toBe(true);
    expect(typeof body.checks.redis?.ms).toBe('number');
  });

  test('/readyz is 503 naming the failing check and its reason; the passing one is still shown', async () => {
    const port = await closedPort();
    const ops = await start({ port: 0, checks: { redis: tcpCheck(port), kube: async () => undefined } });
    const res = await fetch(`${ops.url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as ReadinessReport;
    expect(body.status).toBe('not-ready');
    expect(body.checks.kube).toMatchObject({ ok: true });
    expect(body.checks.redis?.ok).toBe(false);
    expect(body.checks.redis?.error).toMatch(/ECONNREFUSED/);
  });

  test('a hanging check is cut off at checkTimeoutMs and reported as a timeout', async () => {
    // The check never settles, so any answer at all shows the cut-off worked.
    const ops = await start({ port: 0, checkTimeoutMs: 100, checks: { slow: () => new Promise<void>(() => undefined) } });
    const res = await fetch(`${ops.url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as ReadinessReport;
    expect(body.checks.slow).toMatchObject({ ok: false, error: 'timed out after 100 ms' });
  });

  test('a check that throws synchronously counts as failed instead of crashing the server', async () => {
    const ops = await start({
      port: 0,
      checks: {
        sync: () => {
          throw new Error('bad config');
        },
      },
    });
    const res = await fetch(`${ops.url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as ReadinessReport).checks.sync?.error).toBe('bad config');
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
  });

  test('after markShuttingDown /readyz is 503 shutting-down though every check passes', async () => {
    const ops = await start({ port: 0, checks: { ok: async () => undefined } });
    expect((await fetch(`${ops.url}/readyz`)).status).toBe(200);
    ops.markShuttingDown();
    const res = await fetch(`${ops.url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as ReadinessReport).status).toBe('shutting-down');
  });

  test('/metrics is 404 without a registry; unknown paths 404; POST 405', async () => {
    const ops = await start({ port: 0 });
    expect((await fetch(`${ops.url}/metrics`)).status).toBe(404);
    const unknown = await fetch(`${ops.url}/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('/healthz');
    const post = await fetch(`${ops.url}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  test('HEAD /healthz has the status and no body', async () => {
    const ops = await start({ port: 0 });
    const res = await fetch(`${ops.url}/healthz`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  test('listening on a port already taken rejects instead of hanging', async () => {
    const first = await start({ port: 0 });
    await expect(startOpsServer({ port: first.port, host: '127.0.0.1' })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('/metrics with the podnet metrics', () => {
  test('serves every podnet metric in Prometheus text format with the values recorded', async () => {
    const metrics = createMetrics({ defaultLabels: { component: 'worker' } });
    const ops = await start({ port: 0, metrics: metrics.registry });

    metrics.commandsTotal.inc({ verb: 'check', outcome: 'queued' });
    metrics.commandsTotal.inc({ verb: 'check', outcome: 'queued' });
    metrics.commandsTotal.inc({ verb: 'logs', outcome: 'bad-input' });
    metrics.jobDurationSeconds.observe({ job: 'check' }, 1.5);
    metrics.kubeRequestsTotal.inc({ verb: 'get', resource: 'pods', status: '200' });
    metrics.kubeRequestsTotal.inc({ verb: 'create', resource: 'pods/exec', status: '403' });
    metrics.slackCallsTotal.inc({ method: 'chat.postMessage', status: 'rate-limited' });
    metrics.slackRateLimitWaitsTotal.inc();

    const res = await fetch(`${ops.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE podnet_commands_total counter');
    expect(text).toContain('podnet_commands_total{verb="check",outcome="queued",component="worker"} 2');
    expect(text).toContain('podnet_commands_total{verb="logs",outcome="bad-input",component="worker"} 1');
    expect(text).toContain('# TYPE podnet_job_duration_seconds histogram');
    expect(text).toContain('podnet_job_duration_seconds_bucket{le="2",component="worker",job="check"} 1');
    expect(text).toContain('podnet_job_duration_seconds_bucket{le="1",component="worker",job="check"} 0');
    expect(text).toContain('podnet_job_duration_seconds_sum{component="worker",job="check"} 1.5');
    expect(text).toContain('podnet_kube_requests_total{verb="create",resource="pods/exec",status="403",component="worker"} 1');
    expect(text).toContain('podnet_slack_calls_total{method="chat.postMessage",status="rate-limited",component="worker"} 1');
    expect(text).toContain('podnet_slack_rate_limit_waits_total{component="worker"} 1');
    expect(text).toContain('# TYPE podnet_queue_depth gauge');
    // Node process metrics come along by default.
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  test('two metric sets do not collide (each process part gets its own registry)', () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.slackRateLimitWaitsTotal.inc();
    expect(a.registry).not.toBe(b.registry);
  });

  test('podnet_queue_depth reads a real BullMQ queue at scrape time and forgets it once unwatched', async () => {
    const name = `ops-health-${process.pid}-${Date.now()}`;
    const connection = { host: '127.0.0.1', port: 6379 };
    const queue = new Queue(name, { connection });
    cleanups.push(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
    });
    await queue.add('check', { n: 1 });
    await queue.add('check', { n: 2 });
    await queue.add('check', { n: 3 }, { delay: 60_000 });

    const metrics = createMetrics({ defaultMetrics: false });
    const unwatch = metrics.watchQueue(queue);
    const ops = await start({ port: 0, metrics: metrics.registry });

    let text = await (await fetch(`${ops.url}/metrics`)).text();
    expect(text).toContain(`podnet_queue_depth{queue="${name}",state="waiting"} 2`);
    expect(text).toContain(`podnet_queue_depth{queue="${name}",state="delayed"} 1`);
    expect(text).toContain(`podnet_queue_depth{queue="${name}",state="active"} 0`);

    await queue.add('check', { n: 4 });
    text = await (await fetch(`${ops.url}/metrics`)).text();
    expect(text).toContain(`podnet_queue_depth{queue="${name}",state="waiting"} 3`);

    unwatch();
    text = await (await fetch(`${ops.url}/metrics`)).text();
    expect(text).not.toContain(`queue="${name}"`);
  });

  test('a queue source that hangs does not hang the scrape; the others are still reported', async () => {
    const metrics = createMetrics({ defaultMetrics: false, queueCountTimeoutMs: 100 });
    metrics.watchQueue({ name: 'stuck', getJobCounts: () => new Promise(() => undefined) });
    metrics.watchQueue({ name: 'fine', getJobCounts: async () => ({ waiting: 7 }) });
    const ops = await start({ port: 0, metrics: metrics.registry });
    // The stuck source never settles, so any answer at all shows the scrape did not wait for it.
    const text = await (await fetch(`${ops.url}/metrics`)).text();
    expect(text).toContain('podnet_queue_depth{queue="fine",state="waiting"} 7');
    expect(text).not.toContain('queue="stuck"');
  });
});
