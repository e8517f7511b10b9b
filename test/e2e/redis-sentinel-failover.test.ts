/**
 * Reliability promise on a Sentinel-managed Redis (test/helpers/redis-servers.ts: a primary, a
 * replica, three sentinels, all real redis-server processes): the primary is SIGKILLed while
 * signed slash commands keep arriving, one every 150 ms, each from its own channel.
 *
 * - Every command gets an answer: "Queued … (job X)", or a clear ":x: Could not queue … try
 *   again", or "Accepted …; queueing is slow, I will confirm here" followed by one of the two
 *   through the command's response_url. No silence, no HTTP error.
 * - Every command the bot accepted (it named a job) completes after the failover, on the
 *   promoted replica, and its channel gets exactly one summary.
 * - A command refused during the failover window started nothing: its channel stays empty.
 *
 * The bot has its own client that fails a command fast (as `podnet bot` does), and waits for a
 * replica to hold each job before answering (ProducerOptions.replicaAcks, as `podnet bot` on
 * Sentinel does).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startE2EStack, waitFor, type E2EStack } from '../helpers/e2e-stack.js';
import { redisCli, startSentinelSet, type SentinelSet } from '../helpers/redis-servers.js';

const COUNT = 40;
const EVERY_MS = 150;
/** The primary dies after this many commands were sent. */
const KILL_AFTER = 8;
const CHANNELS = Array.from({ length: COUNT }, (_, i) => `C0FAILOV${String(i).padStart(2, '0')}`);

let set: SentinelSet | undefined;
let stack: E2EStack | undefined;

beforeAll(async () => {
  set = await startSentinelSet({ downAfterMs: 1000 });
  stack = await startE2EStack({
    redis: set.settings,
    channels: CHANNELS.map((id) => ({ id, namespaces: ['financial-ml'] })),
    botRedis: { maxRetriesPerRequest: 2 },
    producer: { replicaAcks: { replicas: 1, timeoutMs: 500 }, dedupWindowMs: 0 },
  });
}, 60_000);

afterAll(async () => {
  await stack?.close().catch(() => undefined);
  await set?.stop();
});

type Outcome = { channel: string; kind: 'queued'; jobId: string } | { channel: string; kind: 'refused'; text: string };

const QUEUED = /^:hourglass_flowing_sand: Queued check of mlserver-0 in financial-ml \(job `([^`]+)`\)/;
const REFUSED = /^:x: Could not queue the check of mlserver-0 in financial-ml: .+ try again in a moment\.$/s;
const SLOW = /^:hourglass: Accepted the check of mlserver-0 in financial-ml; queueing is slow, I will confirm here\.$/;

/** What the user was finally told about the command sent from `channel`. */
async function outcomeOf(s: E2EStack, channel: string, ack: { status: number; json?: unknown }): Promise<Outcome> {
  expect(ack.status).toBe(200);
  let text = (ack.json as { text?: string } | undefined)?.text ?? '';
  if (SLOW.test(text)) {
    const late = await waitFor(() => s.slack.responses(channel)[0], 30_000, `the late answer in ${channel}`);
    text = String((late.body as { text?: string }).text ?? '');
  }
  const queued = QUEUED.exec(text);
  if (queued) return { channel, kind: 'queued', jobId: queued[1]! };
  if (REFUSED.test(text)) return { channel, kind: 'refused', text };
  throw new Error(`${channel}: neither queued nor clearly refused: ${JSON.stringify(text)}`);
}

test('SIGKILL of the primary under a stream of slash commands: every accepted command completes once, the rest are told', async () => {
  const s = stack!;
  const oldPrimary = set!.primary.port;
  const pending: Promise<Outcome>[] = [];
  for (let i = 0; i < COUNT; i++) {
    if (i === KILL_AFTER) {
      // The first commands were answered while the primary was up; then it dies.
      await Promise.all(pending);
      await set!.primary.kill();
    }
    pending.push(s.slash('check mlserver-0 -n financial-ml', CHANNELS[i]!).then((ack) => outcomeOf(s, CHANNELS[i]!, ack)));
    await new Promise((r) => setTimeout(r, EVERY_MS));
  }
  const outcomes = await Promise.all(pending);

  // The sentinels promoted the replica.
  expect(await set!.currentPrimaryPort()).toBe(set!.replica.port);
  expect(await redisCli(set!.replica.port, 'INFO', 'replication')).toContain('role:master');
  expect(oldPrimary).not.toBe(set!.replica.port);

  const queued = outcomes.filter((o): o is Extract<Outcome, { kind: 'queued' }> => o.kind === 'queued');
  const refused = outcomes.filter((o) => o.kind === 'refused');
  // Commands answered before the kill were queued; the stream outlasts the failover, so later ones are too.
  expect(outcomes.slice(0, KILL_AFTER).every((o) => o.kind === 'queued')).toBe(true);
  expect(outcomes[COUNT - 1]!.kind).toBe('queued');

  for (const q of queued) {
    const job = await s.finished(q.jobId, 90_000);
    expect(job.failedReason).toBeUndefined();
  }
  for (const q of queued) {
    const msgs = await waitFor(() => {
      const m = s.slack.messages(q.channel);
      return m.length >= 1 && m[0]!.edits > 0 && JSON.stringify(m[0]!.blocks).includes('probe-bind-mismatch') ? m : undefined;
    }, 30_000, `the summary in ${q.channel}`);
    expect(msgs).toHaveLength(1);
  }
  // Nothing was started for a refused command.
  for (const r of refused) expect(s.slack.messages(r.channel)).toEqual([]);
  // Printed for the record: how the window looked this run.
  console.log(`failover: ${queued.length} queued, ${refused.length} refused of ${COUNT}; refused: ${refused.map((r) => r.channel).join(' ')}`);
}, 240_000);
