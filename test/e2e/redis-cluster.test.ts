/**
 * podnet on a real three-primary Redis Cluster (test/helpers/redis-servers.ts): the check,
 * watch and incident flows end to end — signed slash commands through the real Bolt app,
 * BullMQ on the cluster, podnet's workers, the simulator and the Slack stand-in — and
 * `podnet incident export` reading the cluster from PODNET_REDIS_CLUSTER_NODES. Every key
 * podnet and BullMQ wrote shares one hash slot: a multi-key command or script spanning slots
 * would have failed with CROSSSLOT on the way.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Cluster } from 'ioredis';
import { main as incidentCli } from '../../src/bin/incident.js';
import { loadScenario } from '../../src/sim/scenario.js';
import type { StoredMessage } from '../../src/slack/stand-in.js';
import { blockActionBody, postSigned } from '../../src/slack/testing.js';
import { startE2EStack, waitFor, type E2EStack } from '../helpers/e2e-stack.js';
import { startIncidentStack, type IncidentStack } from '../helpers/incident-stack.js';
import { startRedisCluster, type RedisClusterSet } from '../helpers/redis-servers.js';

let cluster: RedisClusterSet | undefined;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const textOf = (m: StoredMessage): string => JSON.stringify([m.text, m.blocks]);
function jobOf(r: { status: number; json?: unknown }): string {
  expect(r.status).toBe(200);
  const text = (r.json as { text?: string } | undefined)?.text ?? '';
  const id = /job `([^`]+)`/.exec(text)?.[1];
  if (!id) throw new Error(`the ack names no job: ${text}`);
  return id;
}

/** Every key under `prefix` on every primary, with its hash slot. */
async function slotsOf(redis: Cluster, prefix: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const node of redis.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) out.set(k, Number(await node.cluster('KEYSLOT', k)));
    } while (cursor !== '0');
  }
  return out;
}

describe('check and watch on a Redis Cluster', () => {
  let stack: E2EStack;
  const seed = loadScenario('scenarios/seed-incident.yaml');
  beforeAll(async () => {
    stack = await startE2EStack({
      redis: cluster!.settings,
      scenario: seed,
      channels: [{ id: 'C0WATCH01', namespaces: ['financial-ml'] }],
      watchIntervalScale: 0.1,
    });
  }, 30_000);
  afterAll(async () => {
    await stack?.close();
  });

  test('the queue prefix is a hash tag and the client is a cluster client', () => {
    expect(stack.prefix).toMatch(/^\{podnet-e2e-[0-9a-f]{8}\}$/);
    expect(stack.redis).toBeInstanceOf(Cluster);
  });

  test('a slash command check completes: one message, the summary names the cause, its thread has the evidence', async () => {
    const jobId = jobOf(await stack.slash('check mlserver-0 -n financial-ml', 'C0MLONCALL'));
    const job = await stack.finished(jobId, 60_000);
    expect(job.failedReason).toBeUndefined();
    const msg = await waitFor(() => {
      const [m] = stack.slack.messages('C0MLONCALL');
      return m && m.edits > 0 && m.replies.length > 0 ? m : undefined;
    }, 20_000, 'the summary');
    expect(textOf(msg)).toContain('probe-bind-mismatch');
    expect(stack.slack.messages('C0MLONCALL')).toHaveLength(1);
  }, 90_000);

  test('a watch posts its baseline from a job scheduler and the Stop button ends it', async () => {
    const ack = await stack.slash('watch mlserver-0 -n financial-ml --every 10s --for 10m', 'C0WATCH01');
    const watchId = jobOf(ack);
    expect(await stack.checks.getJobScheduler(watchId)).toMatchObject({ every: 1000 });
    const first = await waitFor(() => stack.slack.messages('C0WATCH01')[0], 20_000, 'the baseline');
    expect(first.text).toContain('baseline: probe-bind-mismatch');
    const press = await postSigned(
      stack.botUrl,
      blockActionBody({ actionId: 'podnet_watch_stop', value: 'watch stop mlserver-0 -n financial-ml', channel: 'C0WATCH01', messageTs: first.ts, responseUrl: stack.slack.responseUrl('C0WATCH01') }),
      stack.signingSecret,
    );
    expect(press.status).toBe(200);
    await waitFor(() => (stack.slack.messages('C0WATCH01')[0]!.replies.some((r) => r.text?.includes('Stopped watching mlserver-0')) ? true : undefined), 20_000, 'the final message');
    expect(await stack.checks.getJobScheduler(watchId)).toBeUndefined();
  }, 90_000);

  test('every key podnet and BullMQ wrote is in one hash slot', async () => {
    const slots = await slotsOf(stack.redis as Cluster, stack.prefix);
    // Queues, job hashes, heartbeats, idempotency keys of posts, watch state.
    const keys = [...slots.keys()];
    for (const part of [':cluster-heartbeat:', ':posted:', ':watch:', ':podnet-e2e-checks:', ':podnet-e2e-probes:']) {
      expect(keys.some((k) => k.includes(part)) ? part : `no key with ${part} in ${keys.slice(0, 20).join(' ')}`).toBe(part);
    }
    expect(new Set(slots.values()).size).toBe(1);
  });
});

describe('an incident on a Redis Cluster', () => {
  let stack: IncidentStack;
  beforeAll(async () => {
    stack = await startIncidentStack({ redis: cluster!.settings, redisEnv: cluster!.env });
  }, 30_000);
  afterAll(async () => {
    await stack?.close();
  });

  test('open, a check in its thread adds a finding, close uploads the postmortem; export reads it from the cluster', async () => {
    const channel = 'C0INCIDENT';
    await stack.finished(jobOf(await stack.slash('incident open "agent cannot reach mlserver"', channel)));
    const incident = await stack.hooks.store.openIn(channel);
    expect(incident).toBeDefined();
    const check = await stack.mention('check mlserver-0 -n financial-ml', channel, incident!.threadTs);
    expect(check.status).toBe(200);
    await waitFor(async () => ((await stack.hooks.store.timeline(incident!.id)).some((e) => e.kind === 'finding') ? true : undefined), 60_000, 'the finding');

    const closed = await stack.finished(jobOf(await stack.slash('incident close', channel)));
    const { fileId } = closed.returnvalue as { fileId: string };
    const md = Buffer.from(stack.slack.files().find((f) => f.id === fileId)!.content!).toString('utf8');
    expect(md).toMatch(/## Root cause\s+`probe-bind-mismatch`/);

    // The CLI finds the cluster from the environment and hash-tags the prefix as the bot does.
    let out = '';
    const plainPrefix = stack.prefix.slice(1, -1);
    const code = await incidentCli(['export', incident!.id, '--prefix', plainPrefix], { out: (t) => (out += t), err: (t) => (out += t), env: cluster!.env });
    expect(out).toBe(md);
    expect(code).toBe(0);
  }, 120_000);
});
