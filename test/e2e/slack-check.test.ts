/**
 * End to end: `/podnet check mlserver-0 -n financial-ml` → jobs in real Redis → podnet's
 * workers → real client-node → the simulator serving the seed incident → analysis → the
 * Slack stand-in. The channel message is updated in place to the summary naming
 * probe-bind-mismatch, the thread carries the evidence, every message is within Block Kit
 * limits, and a 429 storm delays messages without losing or duplicating any.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { checkBlocks } from '../../src/render/block-limits.js';
import { blockActionBody, postSigned, slashCommandBody } from '../../src/slack/testing.js';
import type { StoredMessage } from '../../src/slack/stand-in.js';
import { startE2EStack, waitFor, type E2EStack } from '../helpers/e2e-stack.js';

const CHANNEL = 'C0MLONCALL';
const STORM = 'C0STORM01';
let stack: E2EStack;

beforeAll(async () => {
  stack = await startE2EStack({ channels: [{ id: 'C0EVIDENCE', namespaces: ['financial-ml'] }] });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => stack.slack.reset());

/** The top-level message of this run, once its summary (not the progress text) is in place with its thread. */
function finished(): StoredMessage | undefined {
  const [m] = stack.slack.messages(CHANNEL);
  return m && m.edits > 0 && m.replies.length > 0 ? m : undefined;
}

const allText = (m: StoredMessage): string => JSON.stringify([m.text, m.blocks]);

/** The job id the ack names. */
function jobIdOf(ack: { status: number; json?: unknown }): string {
  expect(ack.status).toBe(200);
  const text = (ack.json as { text?: string } | undefined)?.text ?? '';
  const id = /job `([^`]+)`/.exec(text)?.[1];
  if (id === undefined) throw new Error(`the ack names no job: ${text}`);
  return id;
}

describe('signed slash command through Bolt, Redis and the workers', () => {
  test('progress message updated in place to the summary; thread with the evidence; within limits', async () => {
    const ack = await stack.slash('check mlserver-0 -n financial-ml', CHANNEL);
    // Bolt acked (the signature was good) with the job it queued. How fast acks come back
    // (Slack allows 3 s) is `npm run bench -- ack`'s figure, not a threshold here.
    expect((ack.json as { text: string }).text).toContain('Queued check of mlserver-0 in financial-ml');
    const jobId = jobIdOf(ack);
    // The first thing the user sees is the progress message.
    const progress = await waitFor(() => stack.slack.calls('chat.postMessage').find((c) => c.ok), 10_000, 'the progress message');
    expect(String(progress.params.text)).toContain('mlserver-0');
    expect(progress.params.thread_ts).toBeUndefined();

    const msg = await waitFor(() => finished(), 20_000, 'the summary');
    const job = await stack.finished(jobId);
    expect(job.failedReason).toBeUndefined();
    const final = stack.slack.messages(CHANNEL);
    expect(final).toHaveLength(1);
    const m = final[0]!;
    expect(m.ts).toBe(msg.ts);
    // Summary names the cause.
    expect(allText(m)).toContain('probe-bind-mismatch');
    // Thread: evidence quoted from the cluster (socket table row / log lines / status).
    expect(m.replies.length).toBeGreaterThan(0);
    const thread = m.replies.map(allText).join('\n');
    expect(thread).toMatch(/9500/);
    expect(thread).toMatch(/127\.0\.0\.1/);
    // Every message within Block Kit limits (the stand-in also rejects violations).
    for (const posted of [m, ...m.replies]) {
      expect(posted.text).toBeTruthy();
      expect(checkBlocks(posted.blocks ?? [])).toEqual([]);
    }
    expect(stack.slack.calls().filter((c) => !c.ok)).toEqual([]);
    // The timeline chart is in the thread, right after the first reply, as a PNG.
    const chart = stack.slack.files().find((f) => f.filename === 'mlserver-0-timeline.png');
    expect(chart).toMatchObject({ completed: true, channel: CHANNEL });
    expect(Buffer.from(chart!.content!).subarray(1, 4).toString()).toBe('PNG');
    expect(m.replies[1]?.files?.[0]).toMatchObject({ id: chart!.id, name: 'mlserver-0-timeline.png' });
  }, 40_000);

  test('the same check again within the window coalesces: one job, one answer', async () => {
    const a = jobIdOf(await stack.slash('check mlserver-0 -n financial-ml', CHANNEL));
    const second = await stack.slash('check mlserver-0 -n financial-ml', CHANNEL);
    expect(jobIdOf(second)).toBe(a);
    expect((second.json as { text: string }).text).toContain('already running');
  });

  test('a request signed with the wrong secret is refused and nothing is queued', async () => {
    const before = await stack.checks.getJobCounts();
    const res = await postSigned(stack.botUrl, slashCommandBody({ text: 'check mlserver-1 -n financial-ml', channel: CHANNEL }), 'not-the-signing-secret');
    expect(res.status).toBe(401);
    expect(await stack.checks.getJobCounts()).toEqual(before);
  });

  test('a 429 storm: every message is delivered once, after Retry-After', async () => {
    // The next six Web API calls of any method answer 429 Retry-After: 1.
    stack.slack.failNext('*', { status: 429, retryAfter: 1 }, 6);
    // Another channel: the same check in the same channel within 10 s would coalesce with the first.
    const jobId = jobIdOf(await stack.slash('check mlserver-0 -n financial-ml', STORM));
    const job = await stack.finished(jobId, 30_000);
    expect(job.failedReason).toBeUndefined();
    const result = job.returnvalue as { threadPosts: number; timelineFileId?: string };
    const limited = stack.slack.calls().filter((c) => c.status === 429);
    expect(limited).toHaveLength(6);
    const messages = stack.slack.messages(STORM);
    expect(messages).toHaveLength(1);
    expect(allText(messages[0]!)).toContain('probe-bind-mismatch');
    // The replies, plus the timeline chart's file share, each once.
    expect(result.timelineFileId).toBeDefined();
    expect(messages[0]!.replies).toHaveLength(result.threadPosts + 1);
    expect(stack.slack.files().filter((f) => f.completed && f.channel === STORM)).toHaveLength(1);
    // Exactly one successful post per message: one top-level + one per reply.
    // (Counted in this channel: a check from an earlier test may still be posting in its own.)
    expect(stack.slack.calls('chat.postMessage').filter((c) => c.ok && c.params.channel === STORM)).toHaveLength(1 + result.threadPosts);
  }, 60_000);

  test('Show evidence: the button on the summary uploads the evidence as JSON in the thread', async () => {
    const channel = 'C0EVIDENCE';
    const jobId = jobIdOf(await stack.slash('check mlserver-0 -n financial-ml', channel));
    await stack.finished(jobId);
    const [summary] = stack.slack.messages(channel);
    // The button as the summary carries it: its value is what Slack sends back on a press.
    const actions = (summary!.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[]).find((b) => b.type === 'actions');
    const button = actions!.elements!.find((e) => e.action_id === 'podnet_evidence')!;
    const press = await postSigned(
      stack.botUrl,
      blockActionBody({ actionId: 'podnet_evidence', value: button.value!, channel, messageTs: summary!.ts, responseUrl: stack.slack.responseUrl(channel) }),
      stack.signingSecret,
    );
    expect(press.status).toBe(200);
    const file = await waitFor(() => stack.slack.files().find((f) => f.completed && f.filename === 'mlserver-0-evidence.json'), 20_000, 'the evidence file');
    expect(file.channel).toBe(channel);
    const evidence = JSON.parse(Buffer.from(file.content as unknown as Uint8Array).toString('utf8')) as { schemaVersion: number; target: { pod: string }; steps: unknown[] };
    expect(evidence).toMatchObject({ schemaVersion: 1, target: { pod: 'mlserver-0', namespace: 'financial-ml' } });
    expect(evidence.steps.length).toBeGreaterThan(0);
  }, 40_000);
});
