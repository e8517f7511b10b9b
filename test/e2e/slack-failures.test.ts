/**
 * End to end, each Slack refusal podnet can meet, through the real parts: a signed slash
 * command → Bolt → Redis → podnet's workers → client-node → the simulator → the Slack
 * stand-in answering as Slack does. For each: what the person who asked is told (and where),
 * and that the job is not retried — the cluster is read once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { Job } from 'bullmq';
import { blockTextLength, BLOCK_TEXT_BUDGET } from '../../src/slack/slack-errors.js';
import { startE2EStack, waitFor, type E2EStack } from '../helpers/e2e-stack.js';
import { gate } from '../helpers/gate.js';

const CH = {
  kicked: 'C0KICKED01',
  gone: 'C0GONE0001',
  auth: 'C0AUTH0001',
  long: 'C0LONG0001',
  blocks: 'C0BLOCKS01',
  storm: 'C0STORMA01',
  calm: 'C0CALMB001',
  upload: 'C0UPLOAD01',
  both: 'C0BOTH0001',
} as const;
let stack: E2EStack;

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** The workers' SlackPoster waits through this; a test swaps in one that records (or holds) each wait. */
let slackSleep = realSleep;
/** Every wait the poster asked for in this test, in milliseconds. */
let waits: number[] = [];

beforeAll(async () => {
  stack = await startE2EStack({
    channels: Object.values(CH).map((id) => ({ id, namespaces: ['financial-ml'] })),
    slackSleep: (ms) => {
      waits.push(ms);
      return slackSleep(ms);
    },
  });
}, 30_000);
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.slack.reset();
  slackSleep = realSleep;
  waits = [];
});

function jobIdOf(ack: { status: number; json?: unknown }): string {
  expect(ack.status).toBe(200);
  const text = (ack.json as { text?: string } | undefined)?.text ?? '';
  const id = /job `([^`]+)`/.exec(text)?.[1];
  if (id === undefined) throw new Error(`the ack names no job: ${text}`);
  return id;
}

async function run(command: string, channel: string): Promise<{ job: Job; jobId: string }> {
  const jobId = jobIdOf(await stack.slash(command, channel));
  return { jobId, job: await stack.finished(jobId, 40_000) };
}

/** Reads of the container log / of the pod since `since` (the simulator's request log). */
const logReads = (since: number) => stack.sim.requests().filter((r) => r.at >= since && r.path.endsWith('/log')).length;

/** What the user was told through the command's response_url (the stand-in keys it by channel). */
const toldByResponseUrl = (channel: string) => waitFor(() => stack.slack.responses(channel)[0]?.body.text as string | undefined, 15_000, `a response_url notice in ${channel}`);

describe('permanent failures reach the person who asked', () => {
  test('not_in_channel: told by response_url to /invite @podnet; the logs job is not retried and reads the log once', async () => {
    stack.slack.setChannel(CH.kicked, 'not_in_channel');
    const since = Date.now();
    const { job } = await run('logs mlserver-0 -n financial-ml -c agent', CH.kicked);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    const told = await toldByResponseUrl(CH.kicked);
    expect(told).toContain('could not post the answer to `/podnet logs mlserver-0 -n financial-ml`');
    expect(told).toContain('`not_in_channel`');
    expect(told).toContain('/invite @podnet');
    expect(logReads(since)).toBe(1);
    // Nothing reached the channel, and no "Could not read the logs": the read worked.
    expect(stack.slack.messages(CH.kicked)).toEqual([]);
    expect(JSON.stringify(stack.slack.calls())).not.toContain('Could not read the logs');
  }, 60_000);

  test('channel_not_found on a check: told by response_url; no retry', async () => {
    stack.slack.setChannel(CH.gone, 'channel_not_found');
    const { job } = await run('check mlserver-0 -n financial-ml', CH.gone);
    expect(job.attemptsMade).toBe(1);
    const told = await toldByResponseUrl(CH.gone);
    expect(told).toContain('`channel_not_found`');
    expect(told).toContain('/podnet check mlserver-0 -n financial-ml');
  }, 60_000);

  test('invalid_auth: the response_url needs no token, so the user still hears that the app must be reinstalled', async () => {
    stack.slack.setAuthError('invalid_auth');
    const since = Date.now();
    const { job } = await run('logs mlserver-0 -n financial-ml -c agent', CH.auth);
    expect(job.attemptsMade).toBe(1);
    const told = await toldByResponseUrl(CH.auth);
    expect(told).toContain('`invalid_auth`');
    expect(told).toContain('reinstall the podnet app');
    expect(logReads(since)).toBe(1);
  }, 60_000);

  test('a cluster failure whose notice the channel refuses: the job fails once (no retry, one read) and the user hears both reasons', async () => {
    stack.slack.setChannel(CH.both, 'not_in_channel');
    const since = Date.now();
    // A pod that does not exist: a permanent not-found from the cluster.
    const { job } = await run('logs nosuchpod-0 -n financial-ml -c agent', CH.both);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    const told = await toldByResponseUrl(CH.both);
    expect(told).toContain('Could not read the logs of nosuchpod-0 in financial-ml');
    expect(told).toContain('`not_in_channel`');
    expect(stack.sim.requests().filter((r) => r.at >= since && r.path.includes('/pods/nosuchpod-0')).length).toBe(1);
  }, 60_000);
});

describe('content Slack refuses is reshaped, nothing is lost', () => {
  test('msg_too_long on the summary update: "Checking mlserver-0…" does not stay; the thread still gets every reply', async () => {
    stack.slack.failNext('chat.update', { error: 'msg_too_long' }, 1, { channel: CH.long });
    const { job } = await run('check mlserver-0 -n financial-ml', CH.long);
    expect(job.failedReason).toBeUndefined();
    const [top] = stack.slack.messages(CH.long);
    expect(top!.text).not.toMatch(/^Checking/);
    expect(top!.text).toContain('probe-bind-mismatch');
    expect(top!.replies.some((r) => r.files?.[0]?.name === 'podnet-message.txt')).toBe(true);
    expect((job.returnvalue as { threadPosts: number }).threadPosts).toBeGreaterThanOrEqual(4);
  }, 60_000);

  test('invalid_blocks on the first thread reply: sent as plain text, and the other replies follow', async () => {
    // Call 1 is the progress message; call 2 the first thread reply.
    stack.slack.failNext('chat.postMessage', { error: 'invalid_blocks' }, 1, { channel: CH.blocks, after: 1 });
    const { job } = await run('check mlserver-0 -n financial-ml', CH.blocks);
    expect(job.failedReason).toBeUndefined();
    const [top] = stack.slack.messages(CH.blocks);
    // The thread also carries the timeline chart as a file (jobs/check.ts, chart helper): count the text replies.
    const replies = top!.replies.filter((r) => r.files === undefined);
    const planned = (job.returnvalue as { threadPosts: number }).threadPosts;
    expect(planned).toBeGreaterThanOrEqual(4);
    expect(replies).toHaveLength(planned);
    expect(replies[0]!.blocks).toBeUndefined();
    expect(replies[0]!.text!.length).toBeGreaterThan(0);
    expect(replies.slice(1).every((r) => (r.blocks?.length ?? 0) > 0)).toBe(true);
  }, 60_000);

  test('an upload URL answering 4xx: fresh URLs, bounded; the summary stands, the thread says the file is missing; no "Could not read the logs", no retry', async () => {
    stack.slack.failNext('upload', { status: 403 }, 100);
    const since = Date.now();
    const { job } = await run('logs mlserver-0 -n financial-ml -c agent', CH.upload);
    expect(await job.getState()).toBe('completed');
    // A refused upload URL is replaced at once: no backoff, no wait of any kind.
    expect(waits).toEqual([]);
    expect(job.attemptsMade).toBe(1);
    expect(logReads(since)).toBe(1);
    expect(stack.slack.calls('files.getUploadURLExternal')).toHaveLength(3);
    const [top] = stack.slack.messages(CH.upload);
    expect(top!.text).toContain('Logs of mlserver-0/agent');
    expect(top!.replies.map((r) => r.text).join('\n')).toContain('Could not attach the full log');
    expect(JSON.stringify(stack.slack.messages(CH.upload))).not.toContain('Could not read the logs');
  }, 60_000);

  test('every logs message stays under the block-text budget', async () => {
    const { job } = await run('logs mlserver-0 -n financial-ml -c agent', CH.long);
    expect(job.failedReason).toBeUndefined();
    for (const c of stack.slack.calls('chat.postMessage')) expect(blockTextLength(c.params.blocks)).toBeLessThanOrEqual(BLOCK_TEXT_BUDGET);
  }, 60_000);
});

describe('429 storms: Retry-After as given, one channel does not hold another', () => {
  test('ten 429s (Retry-After 1) on one channel: its 20 logs answers all arrive, each once, after waits of exactly Retry-After', async () => {
    // The waits are recorded, not waited: what matters is how long the poster asked to wait.
    slackSleep = async () => undefined;
    stack.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 10, { channel: CH.storm });
    const stormJobs = await Promise.all(Array.from({ length: 20 }, () => stack.slash('logs mlserver-0 -n financial-ml -c agent', CH.storm).then(jobIdOf)));
    const jobs = await Promise.all(stormJobs.map((id) => stack.finished(id, 60_000)));
    for (const j of jobs) expect(j.failedReason).toBeUndefined();
    // 20 answers (logs commands do not coalesce), each exactly once.
    expect(new Set(stormJobs).size).toBe(20);
    expect(stack.slack.messages(CH.storm)).toHaveLength(20);
    expect(stack.slack.calls('chat.postMessage').filter((c) => c.status === 429)).toHaveLength(10);
    // One wait per 429, of Retry-After exactly (the old stacked backoff waited ~183 s in all).
    expect(waits).toEqual(Array.from({ length: 10 }, () => 1000));
  }, 120_000);

  test("a channel waiting out a 429 does not hold another channel's answer", async () => {
    // The storm channel's Retry-After wait lasts until the test ends it, after the calm
    // channel's answer has arrived: the order shows the calm one did not queue behind it. The
    // fallback only keeps a stack that does hold it from hanging the test.
    const events: string[] = [];
    const stormWait = gate(30_000);
    slackSleep = async () => {
      await stormWait.passed;
      events.push('storm wait over');
    };
    stack.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 1, { channel: CH.storm });
    const storm = jobIdOf(await stack.slash('logs mlserver-0 -n financial-ml -c agent', CH.storm));
    await waitFor(() => (waits.length > 0 ? true : undefined), 20_000, 'the storm channel to meet its 429');
    const calm = await run('logs mlserver-0 -n financial-ml -c agent', CH.calm);
    events.push('calm answered');
    stormWait.open();
    expect(calm.job.failedReason).toBeUndefined();
    expect((await stack.finished(storm, 60_000)).failedReason).toBeUndefined();
    expect(events).toEqual(['calm answered', 'storm wait over']);
    expect(waits).toEqual([1000]);
    expect(stack.slack.messages(CH.calm)).toHaveLength(1);
    expect(stack.slack.messages(CH.storm)).toHaveLength(1);
  }, 120_000);
});
