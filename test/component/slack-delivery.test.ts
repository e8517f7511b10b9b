/**
 * SlackPoster's delivery rules against the Slack stand-in over real HTTP (real WebClient, real
 * Redis): Retry-After honoured as given, one channel's 429 not holding another, a fresh upload
 * URL after a 4xx, content Slack refuses sent in another shape, and `tellUser` reaching the
 * person who asked by response_url, ephemeral or DM.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { SlackPoster, splitBlocks } from '../../src/slack/poster.js';
import { blockTextLength, BLOCK_TEXT_BUDGET, SlackCallError } from '../../src/slack/slack-errors.js';
import { startSlackStandIn, STAND_IN_BLOCK_TEXT_LIMIT, type SlackStandIn } from '../../src/slack/stand-in.js';
import { gate } from '../helpers/gate.js';

const TOKEN = 'xoxb-test-delivery';
let standIn: SlackStandIn;
let redis: Redis;
let prefix: string;

beforeAll(async () => {
  standIn = await startSlackStandIn();
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
});
afterAll(async () => {
  await standIn.close();
  await redis.quit();
});
beforeEach(() => {
  standIn.reset();
  prefix = `podnet-test:delivery:${randomUUID()}:`;
});
afterEach(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
});

/** Default retry delays (500 ms .. 30 s): what a deployed worker uses. */
const poster = (extra: Partial<ConstructorParameters<typeof SlackPoster>[0]> = {}) => new SlackPoster({ token: TOKEN, slackApiUrl: standIn.url, redis, keyPrefix: prefix, ...extra });
const section = (text: string) => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text } });

/** A sleep that records each wait the poster asks for (and how many calls Slack had seen then), without waiting. */
function recordingSleep(calls: () => number) {
  const waits: { ms: number; afterCalls: number }[] = [];
  const sleep = async (ms: number) => {
    waits.push({ ms, afterCalls: calls() });
  };
  return { waits, sleep };
}

describe('retry as Slack says', () => {
  it('waits exactly Retry-After between 429s, with no backoff on top', async () => {
    standIn.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 3);
    const { waits, sleep } = recordingSleep(() => standIn.calls('chat.postMessage').length);
    await poster({ sleep }).post({ channel: 'C1', text: 'after three 429s' });
    expect(standIn.calls('chat.postMessage').map((c) => c.status)).toEqual([429, 429, 429, 200]);
    // One wait after each 429, of Retry-After exactly: the old policy added p-retry's
    // exponential delay (≥ 500 ms, doubling) to each.
    expect(waits).toEqual([
      { ms: 1000, afterCalls: 1 },
      { ms: 1000, afterCalls: 2 },
      { ms: 1000, afterCalls: 3 },
    ]);
    expect(standIn.messages('C1').map((m) => m.text)).toEqual(['after three 429s']);
  });

  it("one channel's 429 does not hold another channel; order within the channel is kept", async () => {
    // CSLOW's Retry-After wait lasts until the test ends it, after CFAST's post is delivered:
    // the order shows CFAST did not queue behind it. The fallback only keeps a poster that
    // does hold CFAST from hanging the test.
    const events: string[] = [];
    const waits: number[] = [];
    const slowWait = gate(10_000);
    const p = poster({
      sleep: async (ms) => {
        waits.push(ms);
        await slowWait.passed;
        events.push('CSLOW wait over');
      },
    });
    standIn.failNext('chat.postMessage', { status: 429, retryAfter: 2 }, 1, { channel: 'CSLOW' });
    const slow1 = p.post({ channel: 'CSLOW', text: 'slow 1' });
    const slow2 = p.post({ channel: 'CSLOW', text: 'slow 2' });
    await p.post({ channel: 'CFAST', text: 'fast' });
    events.push('CFAST posted');
    slowWait.open();
    await Promise.all([slow1, slow2]);
    expect(events).toEqual(['CFAST posted', 'CSLOW wait over']);
    expect(waits).toEqual([2000]);
    expect(standIn.messages('CFAST').map((m) => m.text)).toEqual(['fast']);
    expect(standIn.messages('CSLOW').map((m) => m.text)).toEqual(['slow 1', 'slow 2']);
  }, 20_000);

  it('retries a 5xx a bounded number of times, then gives up with a transient SlackCallError', async () => {
    standIn.failNext('chat.postMessage', { status: 503 }, 10);
    const err = await poster({ minRetryDelayMs: 10, maxRetryDelayMs: 20, transientAttempts: 3 }).post({ channel: 'C2', text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackCallError);
    expect((err as SlackCallError).slackClass).toBe('transient');
    expect(standIn.calls('chat.postMessage')).toHaveLength(3);
  });

  it('an upload URL answering 4xx is replaced by a fresh one; bounded when every URL refuses', async () => {
    const p = poster({ minRetryDelayMs: 10, maxRetryDelayMs: 20 });
    standIn.failNext('upload', { status: 403 }, 1);
    const up = await p.uploadFile({ channel: 'C3', filename: 'a.log', content: 'hello' });
    expect(standIn.calls('files.getUploadURLExternal')).toHaveLength(2);
    expect(standIn.calls('upload').map((c) => c.status)).toEqual([403, 200]);
    expect(standIn.files().find((f) => f.id === up.fileId)).toMatchObject({ completed: true });

    standIn.reset();
    standIn.failNext('upload', { status: 404 }, 100);
    const { waits, sleep } = recordingSleep(() => standIn.calls('upload').length);
    const err = await poster({ sleep }).uploadFile({ channel: 'C3', filename: 'b.log', content: 'hello' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackCallError);
    expect((err as SlackCallError).slackCode).toBe('upload_failed');
    expect(standIn.calls('files.getUploadURLExternal')).toHaveLength(3);
    expect(standIn.calls('upload')).toHaveLength(3);
    // A 4xx URL is replaced at once: no backoff before asking for a fresh one.
    expect(waits).toEqual([]);
  }, 20_000);
});

describe('content Slack refuses goes out in another shape', () => {
  it('invalid_blocks → the same message as plain text', async () => {
    standIn.failNext('chat.postMessage', { error: 'invalid_blocks' }, 1);
    const res = await poster().post({ channel: 'C4', text: 'the fallback text', blocks: [section('*rich*')] });
    expect(res.reshaped).toBe('plain-text');
    expect(standIn.messages('C4')).toEqual([expect.objectContaining({ text: 'the fallback text' })]);
    expect(standIn.messages('C4')[0]!.blocks).toBeUndefined();
  });

  it('invalid_blocks on chat.update → the message becomes the plain text (not left as it was)', async () => {
    const p = poster();
    const { ts } = await p.post({ channel: 'C4', text: 'Checking mlserver-0…', blocks: [section('Checking mlserver-0…')] });
    standIn.failNext('chat.update', { error: 'invalid_blocks' }, 1);
    await p.update({ channel: 'C4', ts, text: 'probe-bind-mismatch (88%)', blocks: [section('*probe-bind-mismatch*')] });
    expect(standIn.message('C4', ts)).toMatchObject({ text: 'probe-bind-mismatch (88%)', blocks: [] });
  });

  it(`blocks carrying more than ${BLOCK_TEXT_BUDGET} characters of text are split before Slack refuses them (msg_blocks_too_long)`, async () => {
    const blocks = Array.from({ length: 6 }, (_, i) => section(`${i}`.repeat(2900)));
    expect(blockTextLength(blocks)).toBeGreaterThan(STAND_IN_BLOCK_TEXT_LIMIT);
    // The stand-in refuses it as Slack does (bolt-js #2509).
    await expect(poster({ reshape: false }).post({ channel: 'C5', text: 't', blocks })).rejects.toMatchObject({ slackCode: 'msg_blocks_too_long' });
    const res = await poster().post({ channel: 'C5', text: 'long logs', blocks });
    expect(res.reshaped).toBe('split');
    const [top] = standIn.messages('C5');
    expect(top!.ts).toBe(res.ts);
    const all = [top!, ...top!.replies];
    expect(all.map((m) => m.text)).toEqual(['long logs (1/2)', 'long logs (2/2)']);
    expect(all.flatMap((m) => m.blocks ?? [])).toEqual(blocks);
    for (const m of all) expect(blockTextLength(m.blocks)).toBeLessThanOrEqual(BLOCK_TEXT_BUDGET);
  });

  it('msg_blocks_too_long from Slack anyway → split in halves', async () => {
    standIn.failNext('chat.postMessage', { error: 'msg_blocks_too_long' }, 1);
    await poster().post({ channel: 'C6', text: 'two halves', blocks: [section('a'), section('b')] });
    const [top] = standIn.messages('C6');
    expect(top!.blocks).toEqual([section('a')]);
    expect(top!.replies.map((r) => r.blocks)).toEqual([[section('b')]]);
  });

  it('msg_too_long on chat.update → the text cut, the whole message attached as a file in its thread', async () => {
    const p = poster();
    const { ts } = await p.post({ channel: 'C7', text: 'Checking…' });
    standIn.failNext('chat.update', { error: 'msg_too_long' }, 1);
    const res = await p.update({ channel: 'C7', ts, text: 'x'.repeat(5000), blocks: [section('summary')] });
    expect(res.reshaped).toBe('file');
    const msg = standIn.message('C7', ts)!;
    expect(msg.text).toContain('the whole text is attached');
    expect(msg.text!.length).toBeLessThan(3200);
    expect(msg.replies[0]!.files?.[0]?.name).toBe('podnet-message.txt');
  });

  it('splitBlocks keeps every part within 50 blocks and the text budget', () => {
    const parts = splitBlocks(Array.from({ length: 120 }, () => section('x'.repeat(100))));
    expect(parts.map((p) => p.length)).toEqual([50, 50, 20]);
    const heavy = splitBlocks(Array.from({ length: 8 }, () => section('y'.repeat(3000))));
    expect(heavy.map((p) => p.length)).toEqual([3, 3, 2]);
  });
});

describe('tellUser: response_url while valid, else ephemeral, else DM', () => {
  const now = new Date().toISOString();

  it('uses the response_url while it is valid, even when the bot is not in the channel or its token is refused', async () => {
    standIn.setChannel('C8', 'not_in_channel');
    standIn.setAuthError('invalid_auth');
    const route = await poster().tellUser({ channel: 'C8', user: 'U1', responseUrl: standIn.responseUrl('cmd-8'), requestedAt: now }, 'could not post');
    expect(route).toBe('response_url');
    expect(standIn.responses('cmd-8')).toEqual([expect.objectContaining({ body: { response_type: 'ephemeral', replace_original: false, text: 'could not post' } })]);
  });

  it('past 30 minutes: an ephemeral message in the channel', async () => {
    const old = new Date(Date.now() - 31 * 60_000).toISOString();
    const route = await poster().tellUser({ channel: 'C9', user: 'U1', responseUrl: standIn.responseUrl('cmd-9'), requestedAt: old }, 'late notice');
    expect(route).toBe('ephemeral');
    expect(standIn.responses('cmd-9')).toEqual([]);
    expect(standIn.ephemerals('C9')).toEqual([expect.objectContaining({ user: 'U1', text: 'late notice' })]);
  });

  it('an expired response_url (404) and a channel podnet is not in: a DM (conversations.open + chat.postMessage)', async () => {
    standIn.expireResponseUrl('cmd-10');
    standIn.setChannel('C10', 'not_in_channel');
    const route = await poster().tellUser({ channel: 'C10', user: 'U0BOB', responseUrl: standIn.responseUrl('cmd-10'), requestedAt: now }, 'by DM');
    expect(route).toBe('dm');
    expect(standIn.calls('conversations.open')[0]!.params).toMatchObject({ users: 'U0BOB' });
    expect(standIn.messages('DU0BOB').map((m) => m.text)).toEqual(['by DM']);
  });

  it('counts response_url uses across calls (at most 4 of Slack\'s 5, one left for the bot) and says each notice once per key', async () => {
    const p = poster();
    const target = { channel: 'C11', user: 'U1', responseUrl: standIn.responseUrl('cmd-11'), requestedAt: now };
    const routes = [];
    for (let i = 0; i < 5; i++) routes.push(await p.tellUser(target, `n${i}`));
    expect(routes).toEqual(['response_url', 'response_url', 'response_url', 'response_url', 'ephemeral']);
    expect(await p.tellUser(target, 'once', { onceKey: 'k' })).toBe('ephemeral');
    expect(await p.tellUser(target, 'once', { onceKey: 'k' })).toBe('none');
    expect(standIn.ephemerals('C11').map((e) => e.text)).toEqual(['n4', 'once']);
  });
});
