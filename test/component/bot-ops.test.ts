/**
 * The bot's ops port over real HTTP with real Redis and a real Bolt app: /healthz, /readyz
 * (503 naming the failing check when Redis is unreachable), /metrics counting commands by verb
 * and outcome after signed slash commands, queue depth of every known cluster, and the queue
 * dashboard: 404 when off, 401 without (or with wrong) credentials, 200 with them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { memoryAuditLog } from '../../src/authz/audit.js';
import { parsePolicy } from '../../src/authz/policy.js';
import { basicAuthOk } from '../../src/ops/board.js';
import { commandOutcome, countCommands, startBotOps, type BotOps } from '../../src/ops/bot-ops.js';
import type { ReadinessReport } from '../../src/ops/health.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { createProducer } from '../../src/compose/producer.js';
import { createClusterGate, startHeartbeat, type Heartbeat } from '../../src/queue/heartbeat.js';
import { withClusterGate } from '../../src/queue/routing.js';
import { NO_LIVE_WORKER } from '../../src/render/clusters.js';
import { createSlackApp } from '../../src/slack/app.js';
import { postSigned, slashCommandBody } from '../../src/slack/testing.js';
import { testPrefix } from '../helpers/queue-fakes.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let redis: Redis;
const cleanups: (() => Promise<unknown>)[] = [];
const { prefix, cleanup } = testPrefix();

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});
afterAll(async () => {
  await cleanup(redis);
  await redis.quit();
});

async function start(options: Partial<Parameters<typeof startBotOps>[0]> = {}): Promise<BotOps> {
  const ops = await startBotOps({ redis, prefix, defaultCluster: 'main', port: 0, host: '127.0.0.1', ...options });
  cleanups.push(() => ops.close());
  return ops;
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('health and readiness', () => {
  test('/healthz 200; /readyz 200 with the redis and queue checks passing', async () => {
    const ops = await start();
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
    const res = await fetch(`${ops.url}/readyz`);
    const body = (await res.json()) as ReadinessReport;
    expect(res.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(Object.keys(body.checks).sort()).toEqual(['queue', 'redis']);
    expect(body.checks.redis?.ok).toBe(true);
    expect(body.checks.queue?.ok).toBe(true);
  });

  test('/readyz 503 when Redis is unreachable, naming both failed checks; /healthz still 200', async () => {
    const port = await closedPort();
    const dead = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    // BullMQ keeps a ~2 s timer after a refused connect; let it run out so Jest exits cleanly.
    cleanups.push(async () => new Promise((r) => setTimeout(r, 2100)));
    cleanups.push(async () => dead.disconnect());
    const ops = await startBotOps({ redis: dead, prefix, defaultCluster: 'main', port: 0, host: '127.0.0.1', checkTimeoutMs: 500 });
    cleanups.push(() => ops.close());
    const res = await fetch(`${ops.url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as ReadinessReport;
    expect(body.status).toBe('not-ready');
    expect(body.checks.redis?.ok).toBe(false);
    expect(body.checks.queue?.ok).toBe(false);
    expect(body.checks.redis?.error).toBeTruthy();
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
  });

  test('/readyz 503 shutting-down once shutdown begins', async () => {
    const ops = await start();
    ops.markShuttingDown();
    const res = await fetch(`${ops.url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as ReadinessReport).status).toBe('shutting-down');
  });
});

describe('metrics', () => {
  test('commands by verb and outcome after real slash commands; queue depth of every known cluster', async () => {
    const hb: Heartbeat = await startHeartbeat({ redis, prefix, cluster: 'edge' });
    cleanups.push(() => hb.stop());
    const metrics = createMetrics({ defaultLabels: { component: 'bot' }, defaultMetrics: false });
    const ops = await start({ metrics });
    expect(ops.clusters()).toEqual(['edge', 'main']);
    const producer = createProducer({ connection: redis, prefix, cluster: 'main' });
    cleanups.push(() => producer.close());
    const signingSecret = randomBytes(16).toString('hex');
    const app = createSlackApp({
      config: { slack: { botToken: 'xoxb-ops', signingSecret, socketMode: false }, defaultCluster: 'main' },
      policy: parsePolicy({ channels: [{ id: 'C0OPS', namespaces: ['ml'] }] }),
      audit: countCommands(memoryAuditLog(), metrics),
      enqueue: withClusterGate((cmd, ctx) => producer.enqueueCommand(cmd, { slack: { channel: ctx.channel, user: ctx.user } }), createClusterGate({ redis, prefix })),
      botId: 'B0',
      botUserId: 'U0',
    });
    const { port } = await app.start(0);
    cleanups.push(() => app.stop());
    const slash = async (text: string, channel = 'C0OPS') => {
      const res = await postSigned(`http://127.0.0.1:${port}/slack/events`, slashCommandBody({ text, channel }), signingSecret);
      expect(res.status).toBe(200);
    };
    await slash('help');
    await slash('check p-1 -n ml --cluster edge'); // queued: edge has a live worker
    await slash('check p-1 -n ml'); // the default cluster, main, has none
    await slash('check p-1 -n other'); // namespace not allowed
    await slash('chek p-1'); // not a command
    const text = await (await fetch(`${ops.url}/metrics`)).text();
    expect(text).toContain('podnet_commands_total{verb="help",outcome="done",component="bot"} 1');
    expect(text).toContain('podnet_commands_total{verb="check",outcome="queued",component="bot"} 1');
    expect(text).toContain('podnet_commands_total{verb="check",outcome="no-worker",component="bot"} 1');
    expect(text).toContain('podnet_commands_total{verb="check",outcome="denied",component="bot"} 1');
    expect(text).toContain('podnet_commands_total{verb="unknown",outcome="invalid",component="bot"} 1');
    // The queued check waits on edge's queue; main's is empty but reported too.
    expect(text).toContain('podnet_queue_depth{queue="podnet-edge-checks",state="waiting",component="bot"} 1');
    expect(text).toContain('podnet_queue_depth{queue="podnet-main-checks",state="waiting",component="bot"} 0');
    expect(text).toContain('# TYPE podnet_job_duration_seconds histogram');
  });

  test('commandOutcome: a no-live-worker refusal counts apart from other failures', () => {
    expect(commandOutcome({ who: 'U', command: 'x', outcome: 'failed', reason: `${NO_LIVE_WORKER} *b*` })).toBe('no-worker');
    expect(commandOutcome({ who: 'U', command: 'x', outcome: 'failed', reason: 'Redis down' })).toBe('failed');
    expect(commandOutcome({ who: 'U', command: 'x', outcome: 'queued' })).toBe('queued');
  });
});

describe('queue dashboard', () => {
  test('404 when off', async () => {
    const ops = await start();
    expect((await fetch(`${ops.url}/admin/queues`)).status).toBe(404);
    expect((await fetch(`${ops.url}/admin/queues`, { headers: { authorization: basic('ops', 'pw') } })).status).toBe(404);
  });

  test('401 without or with wrong credentials; 200 with them, showing the known clusters’ queues', async () => {
    const hb = await startHeartbeat({ redis, prefix, cluster: 'edge' });
    cleanups.push(() => hb.stop());
    const ops = await start({ board: { user: 'ops', password: 's3cret-board' } });
    const none = await fetch(`${ops.url}/admin/queues`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="podnet queues"/);
    expect((await fetch(`${ops.url}/admin/queues`, { headers: { authorization: basic('ops', 'wrong') } })).status).toBe(401);
    expect((await fetch(`${ops.url}/admin/queues`, { headers: { authorization: basic('admin', 's3cret-board') } })).status).toBe(401);
    // The API below the dashboard is protected the same way.
    expect((await fetch(`${ops.url}/admin/queues/api/queues`)).status).toBe(401);

    const page = await fetch(`${ops.url}/admin/queues`, { headers: { authorization: basic('ops', 's3cret-board') } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('podnet queues');
    const api = await fetch(`${ops.url}/admin/queues/api/queues`, { headers: { authorization: basic('ops', 's3cret-board') } });
    expect(api.status).toBe(200);
    const names = ((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['podnet-edge-checks', 'podnet-edge-probes', 'podnet-main-checks', 'podnet-main-probes']);
    // The ops routes still answer beside it, without credentials.
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${ops.url}/metrics`)).status).toBe(200);
  });

  test('basicAuthOk', () => {
    expect(basicAuthOk(basic('u', 'p:with:colons'), 'u', 'p:with:colons')).toBe(true);
    expect(basicAuthOk(basic('u', 'p'), 'u', 'P')).toBe(false);
    expect(basicAuthOk(basic('u', ''), 'u', 'p')).toBe(false);
    expect(basicAuthOk(undefined, 'u', 'p')).toBe(false);
    expect(basicAuthOk('Bearer abc', 'u', 'p')).toBe(false);
    expect(basicAuthOk('Basic !!!', 'u', 'p')).toBe(false);
  });
});
