/**
 * Multi-cluster end to end: two simulators (the seed incident as cluster `a`, a port conflict as
 * cluster `b`), two worker sets each with its own cluster access and its own heartbeat, one real
 * Bolt app over signed HTTP, real Redis. A command routed by `--cluster`, by the channel's
 * policy or by the default reaches only its cluster's simulator and is answered from it;
 * stopping cluster b's workers makes the bot refuse b's commands with a clear answer, and
 * nothing is queued for b.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { memoryAuditLog } from '../../src/authz/audit.js';
import { parsePolicy } from '../../src/authz/policy.js';
import { createClusterAccess } from '../../src/cluster/client.js';
import { silentLogger } from '../../src/logger.js';
import { queueName } from '../../src/queue/contracts.js';
import { defaultDeps } from '../../src/queue/default-deps.js';
import { createProducer, type Producer } from '../../src/compose/producer.js';
import { createClusterGate, isClusterLive } from '../../src/queue/heartbeat.js';
import { clustersText } from '../../src/render/clusters.js';
import { withClusterGate } from '../../src/queue/routing.js';
import { removePrefix } from '../../src/queue/cleanup.js';
import { startWorkers, type RunningWorkers } from '../../src/compose/workers.js';
import { startSimulator, type RunningSimulator } from '../../src/sim/server.js';
import { createSlackApp, type SlackApp } from '../../src/slack/app.js';
import { SlackPoster } from '../../src/slack/poster.js';
import { startSlackStandIn, type SlackStandIn, type StoredMessage } from '../../src/slack/stand-in.js';
import { postSigned, slashCommandBody } from '../../src/slack/testing.js';
import { waitFor } from '../helpers/e2e-stack.js';

const SEED_POD = { pod: 'mlserver-0', ns: 'financial-ml' };
const CONFLICT_POD = { pod: 'storefront-7b5f9d8c4-lw9tz', ns: 'storefront' };
/** A channel with no cluster in the policy: routes by --cluster, else the default (a). */
const OPS = 'C0OPSMULTI';
/** A channel whose policy routes to cluster b. */
const EDGE = 'C0EDGEONLY';

const prefix = `podnet-mc-${randomUUID().slice(0, 8)}`;
const signingSecret = randomBytes(32).toString('hex');
let redis: Redis;
let simA: RunningSimulator;
let simB: RunningSimulator;
let slack: SlackStandIn;
let poster: SlackPoster;
let workersA: RunningWorkers;
let workersB: RunningWorkers | undefined;
let producer: Producer;
let app: SlackApp;
let audit: ReturnType<typeof memoryAuditLog>;
let botUrl: string;
const queues: Queue[] = [];

function checksQueue(cluster: string): Queue {
  const q = new Queue(queueName(cluster, 'checks'), { connection: redis, prefix });
  queues.push(q);
  return q;
}

async function startClusterWorkers(cluster: string, sim: RunningSimulator): Promise<RunningWorkers> {
  const clusterAccess = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), qps: 50, burst: 100 });
  return startWorkers({ connection: redis, cluster, clusterAccess, poster, logger: silentLogger, deps: defaultDeps(), prefix });
}

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  [simA, simB, slack] = await Promise.all([
    startSimulator({ scenario: 'scenarios/seed-incident.yaml', port: 0 }),
    startSimulator({ scenario: 'scenarios/port-conflict.yaml', port: 0 }),
    startSlackStandIn(),
  ]);
  poster = new SlackPoster({ token: 'xoxb-mc', slackApiUrl: slack.url, redis, keyPrefix: `${prefix}:posted:`, minRetryDelayMs: 20, maxRetryDelayMs: 200 });
  workersA = await startClusterWorkers('a', simA);
  workersB = await startClusterWorkers('b', simB);
  producer = createProducer({ connection: redis, prefix, cluster: 'a' });
  // A short positive cache so the test sees a stopped cluster quickly; production uses 2 s.
  const gate = createClusterGate({ redis, prefix, cacheMs: 100 });
  audit = memoryAuditLog();
  app = createSlackApp({
    config: { slack: { botToken: 'xoxb-mc', signingSecret, apiUrl: slack.url, socketMode: false }, defaultCluster: 'a' },
    policy: parsePolicy({
      default: 'deny',
      channels: [
        { id: OPS, namespaces: ['financial-ml', 'storefront'] },
        { id: EDGE, namespaces: ['storefront'], cluster: 'b' },
      ],
    }),
    audit,
    enqueue: withClusterGate(
      (cmd, ctx) => producer.enqueueCommand(cmd, { slack: { channel: ctx.channel, user: ctx.user, responseUrl: ctx.responseUrl } }),
      gate,
    ),
    listClusters: async () => clustersText(await gate.list(), 'a'),
    botId: 'B0PODNET',
    botUserId: 'U0PODNETBOT',
  });
  const { port } = await app.start(0);
  botUrl = `http://127.0.0.1:${port}/slack/events`;
}, 30_000);

afterAll(async () => {
  await app?.stop();
  await workersA?.close();
  await workersB?.close();
  await producer?.close();
  for (const q of queues) await q.close();
  await removePrefix(redis, prefix, ['a', 'b']);
  await redis?.quit();
  await slack?.close();
  await simA?.close();
  await simB?.close();
});

async function slash(text: string, channel: string): Promise<string> {
  const res = await postSigned(botUrl, slashCommandBody({ text, channel, channelName: channel.toLowerCase(), responseUrl: slack.responseUrl(channel) }), signingSecret);
  expect(res.status).toBe(200);
  return (res.json as { text?: string } | undefined)?.text ?? '';
}

function jobIdOf(ackText: string): string {
  const id = /job `([^`]+)`/.exec(ackText)?.[1];
  if (id === undefined) throw new Error(`the ack names no job: ${ackText}`);
  return id;
}

async function finished(cluster: string, jobId: string): Promise<Job> {
  const q = checksQueue(cluster);
  return waitFor(async () => {
    const job = await Job.fromId(q, jobId);
    return job?.finishedOn ? job : undefined;
  }, 30_000, `job ${jobId} on cluster ${cluster}`);
}

const textOf = (m: StoredMessage): string => JSON.stringify([m.text, m.blocks, m.replies.map((r) => [r.text, r.blocks])]);

/** The channel's newest top-level message that names `pod`, once its summary replaced the progress text. */
function answerFor(channel: string, pod: string): StoredMessage | undefined {
  return slack.messages(channel).filter((m) => m.edits > 0 && textOf(m).includes(pod)).at(-1);
}

describe('two clusters, two workers, one bot', () => {
  test('both workers registered: /podnet clusters lists a and b as live', async () => {
    expect(await isClusterLive(redis, 'a', prefix)).toBe(true);
    expect(await isClusterLive(redis, 'b', prefix)).toBe(true);
    const text = await slash('clusters', OPS);
    expect(text).toContain('*a* (default) — 1 worker');
    expect(text).toContain('*b* — 1 worker');
  });

  test('--cluster a is answered from simulator A only; --cluster b from simulator B only', async () => {
    const a0 = simA.requestCount();
    const b0 = simB.requestCount();
    const jobA = jobIdOf(await slash(`check ${SEED_POD.pod} -n ${SEED_POD.ns} --cluster a`, OPS));
    const doneA = await finished('a', jobA);
    expect(doneA.failedReason).toBeUndefined();
    expect(doneA.data).toMatchObject({ cluster: 'a', pod: SEED_POD.pod });
    const a1 = simA.requestCount();
    expect(a1).toBeGreaterThan(a0);
    expect(simB.requestCount()).toBe(b0);
    const msgA = await waitFor(() => answerFor(OPS, SEED_POD.pod), 10_000, 'the answer from cluster a');
    expect(textOf(msgA)).toContain('probe-bind-mismatch');

    const jobB = jobIdOf(await slash(`check ${CONFLICT_POD.pod} -n ${CONFLICT_POD.ns} --cluster b`, OPS));
    const doneB = await finished('b', jobB);
    expect(doneB.failedReason).toBeUndefined();
    expect(doneB.data).toMatchObject({ cluster: 'b', pod: CONFLICT_POD.pod });
    expect(simB.requestCount()).toBeGreaterThan(b0);
    expect(simA.requestCount()).toBe(a1);
    const msgB = await waitFor(() => answerFor(OPS, CONFLICT_POD.pod), 10_000, 'the answer from cluster b');
    expect(textOf(msgB)).toContain('port-conflict');
    // Cluster a's simulator has no such pod: had b's job gone there, it would have said not found.
    expect(textOf(msgB)).not.toMatch(/not found/i);
  }, 60_000);

  test("routing without --cluster: the channel policy's cluster, else the default", async () => {
    const b0 = simB.requestCount();
    const viaPolicy = jobIdOf(await slash(`check ${CONFLICT_POD.pod} -n ${CONFLICT_POD.ns}`, EDGE));
    expect((await finished('b', viaPolicy)).data).toMatchObject({ cluster: 'b' });
    expect(simB.requestCount()).toBeGreaterThan(b0);

    const a0 = simA.requestCount();
    const b1 = simB.requestCount();
    const viaDefault = jobIdOf(await slash(`logs ${SEED_POD.pod} -n ${SEED_POD.ns}`, OPS));
    expect((await finished('a', viaDefault)).data).toMatchObject({ cluster: 'a' });
    expect(simA.requestCount()).toBeGreaterThan(a0);
    expect(simB.requestCount()).toBe(b1);

    // A channel routed to b may not pick another cluster.
    expect(await slash(`check ${CONFLICT_POD.pod} -n ${CONFLICT_POD.ns} --cluster a`, EDGE)).toContain('This channel routes to cluster b, not a');
  }, 60_000);

  test("stopping b's workers: the bot says b has no live worker, and nothing is queued for b", async () => {
    await workersB!.close();
    workersB = undefined;
    // close() signs off: the registration is gone at once, not after the TTL.
    expect(await isClusterLive(redis, 'b', prefix)).toBe(false);
    await new Promise((r) => setTimeout(r, 150)); // past the gate's positive cache
    const checksB = checksQueue('b');
    const before = await checksB.getJobCounts();
    const b0 = simB.requestCount();

    const text = await slash(`check ${CONFLICT_POD.pod} -n ${CONFLICT_POD.ns} --cluster b`, OPS);
    expect(text).toContain('No live podnet worker for cluster *b* (last seen');
    expect(text).toContain('live clusters: a');
    expect(text).toContain('`podnet worker --cluster b`');
    expect(text).toContain('Nothing was queued');
    // The channel routed to b gets the same answer without naming it.
    expect(await slash(`check ${CONFLICT_POD.pod} -n ${CONFLICT_POD.ns}`, EDGE)).toContain('No live podnet worker for cluster *b*');
    expect(await checksB.getJobCounts()).toEqual(before);
    expect(simB.requestCount()).toBe(b0);
    // Audited as refused, with the reason.
    const last = audit.records.at(-1);
    expect(last).toMatchObject({ outcome: 'failed', cluster: 'b' });
    expect(last?.reason).toContain('No live podnet worker for cluster');

    // Cluster a is unaffected.
    const jobA = jobIdOf(await slash(`check ${SEED_POD.pod} -n ${SEED_POD.ns} --cluster a`, OPS));
    expect((await finished('a', jobA)).failedReason).toBeUndefined();

    const list = await slash('clusters', OPS);
    expect(list).toContain('*a* (default) — 1 worker');
    expect(list).toMatch(/\*b\* — no live worker, last seen \d+s ago/);
  }, 60_000);
});
