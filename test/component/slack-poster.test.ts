/**
 * SlackPoster against the Slack stand-in over real HTTP, with the real WebClient and a real
 * Redis (127.0.0.1:6379) for idempotency keys.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { PodnetError } from '../../src/errors.js';
import { SlackPoster } from '../../src/slack/poster.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/slack/stand-in.js';

const TOKEN = 'xoxb-test-poster';

describe('SlackPoster (stand-in + Redis)', () => {
  let standIn: SlackStandIn;
  let redis: Redis;
  let prefix: string;
  let poster: SlackPoster;

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
    prefix = `podnet-test:posted:${randomUUID()}:`;
    poster = new SlackPoster({ token: TOKEN, slackApiUrl: standIn.url, redis, keyPrefix: prefix, minRetryDelayMs: 10, maxRetryDelayMs: 50 });
  });
  afterEach(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  });

  it('waits Retry-After on a 429 and delivers the message exactly once', async () => {
    standIn.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    // Each wait is recorded (with how many calls Slack had seen then), not timed.
    const waits: { ms: number; afterCalls: number }[] = [];
    poster = new SlackPoster({ token: TOKEN, slackApiUrl: standIn.url, redis, keyPrefix: prefix, minRetryDelayMs: 10, maxRetryDelayMs: 50, sleep: async (ms) => void waits.push({ ms, afterCalls: standIn.calls('chat.postMessage').length }) });
    const res = await poster.post({ channel: 'C1', text: 'hello', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hello*' } }] });
    const calls = standIn.calls('chat.postMessage');
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(waits).toEqual([{ ms: 1000, afterCalls: 1 }]);
    expect(standIn.messages('C1')).toHaveLength(1);
    expect(standIn.messages('C1')[0]).toMatchObject({ ts: res.ts, text: 'hello' });
    expect(poster.rateLimited).toBe(1);
  });

  it('retries a 5xx and delivers once', async () => {
    standIn.failNext('chat.postMessage', { status: 503 }, 2);
    await poster.post({ channel: 'C1', text: 'after 5xx' });
    expect(standIn.calls('chat.postMessage').map((c) => c.status)).toEqual([503, 503, 200]);
    expect(standIn.messages('C1').map((m) => m.text)).toEqual(['after 5xx']);
  });

  it('delivers a storm of 20 posts with 429s and 5xx interleaved, exactly once and in order per thread', async () => {
    const parentA = await poster.post({ channel: 'C2', text: 'parent A' });
    const parentB = await poster.post({ channel: 'C2', text: 'parent B' });
    standIn.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 1, { after: 2 });
    standIn.failNext('chat.postMessage', { status: 500 }, 1, { after: 6 });
    standIn.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 2, { after: 11 });
    // All 20 issued at once, alternating threads; half carry idempotency keys.
    const posts = Array.from({ length: 20 }, (_, i) => {
      const thread = i % 2 === 0 ? parentA.ts : parentB.ts;
      return poster.post({ channel: 'C2', thread_ts: thread, text: `reply ${i}`, ...(i % 4 < 2 && { idempotencyKey: `storm-${i}` }) });
    });
    const results = await Promise.all(posts);
    expect(new Set(results.map((r) => r.ts)).size).toBe(20);
    const [a, b] = standIn.messages('C2');
    expect(a!.replies.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, k) => `reply ${2 * k}`));
    expect(b!.replies.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, k) => `reply ${2 * k + 1}`));
    const statuses = standIn.calls('chat.postMessage').map((c) => c.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    expect(statuses.filter((s) => s === 500)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(22);
  }, 30_000);

  it('posts once per idempotency key; a re-run updates the same message', async () => {
    const first = await poster.post({ channel: 'C3', text: 'v1', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'v1' } }], idempotencyKey: 'job-1-summary' });
    // A second poster (a re-run in another worker process) with the same key.
    const again = new SlackPoster({ token: TOKEN, slackApiUrl: standIn.url, redis, keyPrefix: prefix });
    const second = await again.post({ channel: 'C3', text: 'v2', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'v2' } }], idempotencyKey: 'job-1-summary' });
    expect(first.reused).toBe(false);
    expect(second).toEqual({ channel: 'C3', ts: first.ts, reused: true });
    expect(standIn.calls('chat.postMessage')).toHaveLength(1);
    expect(standIn.messages('C3')).toHaveLength(1);
    expect(standIn.messages('C3')[0]).toMatchObject({ text: 'v2', edits: 1 });
    expect(await redis.get(`${prefix}job-1-summary`)).toBe(`posted:C3:${first.ts}`);
  });

  it('posts once when two attempts race on the same key', async () => {
    const other = new SlackPoster({ token: TOKEN, slackApiUrl: standIn.url, redis, keyPrefix: prefix });
    standIn.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const [x, y] = await Promise.all([
      poster.post({ channel: 'C4', text: 'race', idempotencyKey: 'race' }),
      other.post({ channel: 'C4', text: 'race', idempotencyKey: 'race' }),
    ]);
    expect(x.ts).toBe(y.ts);
    expect(standIn.messages('C4')).toHaveLength(1);
  });

  it('takes over a stale pending marker (the documented window) and posts', async () => {
    const short = new SlackPoster({ token: TOKEN, slackApiUrl: standIn.url, redis, keyPrefix: prefix, pendingTimeoutMs: 100 });
    await redis.set(`${prefix}dead`, `pending:someone:${Date.now() - 1000}`, 'EX', 60);
    const res = await short.post({ channel: 'C5', text: 'after crash', idempotencyKey: 'dead' });
    expect(res.reused).toBe(false);
    expect(standIn.messages('C5')).toHaveLength(1);
    expect(await redis.get(`${prefix}dead`)).toBe(`posted:C5:${res.ts}`);
  });

  it('frees the key when Slack refuses, so a corrected retry can post', async () => {
    // reshape: false sends the 51 blocks as given (the default poster would split them).
    const exact = new SlackPoster({ token: TOKEN, slackApiUrl: standIn.url, redis, keyPrefix: prefix, reshape: false });
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' as const }));
    await expect(exact.post({ channel: 'C6', text: 'x', blocks: tooMany, idempotencyKey: 'bad' })).rejects.toThrow(
      /Slack refused the call: invalid_blocks \(must be less than 51 items \[json-pointer:\/blocks\]\)/,
    );
    expect(await redis.get(`${prefix}bad`)).toBeNull();
    await poster.post({ channel: 'C6', text: 'x', blocks: tooMany.slice(0, 50), idempotencyKey: 'bad' });
    expect(standIn.messages('C6')).toHaveLength(1);
  });

  it('is refused by the stand-in for each Block Kit limit (proving the stand-in checks)', async () => {
    const cases: [string, unknown[], RegExp][] = [
      ['section text > 3000', [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }], /\/blocks\/0\/text\/text/],
      ['header > 150', [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }], /\/blocks\/0\/text\/text/],
      [
        'actions > 25 elements',
        [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => ({ type: 'button', action_id: `a${i}`, text: { type: 'plain_text', text: 'b' } })) }],
        /must be less than 26 items \[json-pointer:\/blocks\/0\/elements\]/,
      ],
      [
        'button value > 2000',
        [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', value: 'v'.repeat(2001), text: { type: 'plain_text', text: 'b' } }] }],
        /\/blocks\/0\/elements\/0\/value/,
      ],
      ['unknown block type', [{ type: 'banner' }], /unsupported type: banner/],
    ];
    const exact = new SlackPoster({ token: TOKEN, slackApiUrl: standIn.url, redis, keyPrefix: prefix, reshape: false });
    for (const [, blocks, pointer] of cases) {
      const err = await exact.post({ channel: 'C7', text: 't', blocks: blocks as never }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PodnetError);
      expect((err as PodnetError).code).toBe('bad-input');
      expect((err as Error).message).toMatch(pointer);
    }
    await expect(exact.post({ channel: 'C7', text: 'x'.repeat(40_001) })).rejects.toThrow(/msg_too_long/);
    // At the limits exactly, Slack accepts.
    await poster.post({
      channel: 'C7',
      text: 'x'.repeat(40_000),
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
        { type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3000) } },
        { type: 'actions', elements: Array.from({ length: 25 }, (_, i) => ({ type: 'button', action_id: `a${i}`, value: 'v'.repeat(2000), text: { type: 'plain_text', text: 'b' } })) },
      ],
    });
    expect(standIn.messages('C7')).toHaveLength(1);
    expect(standIn.calls('chat.postMessage').filter((c) => c.error === 'invalid_blocks')).toHaveLength(cases.length);
  });

  it('refuses calls without a valid token', async () => {
    const anon = new SlackPoster({ token: 'not-a-token', slackApiUrl: standIn.url });
    await expect(anon.post({ channel: 'C8', text: 'x' })).rejects.toThrow(/invalid_auth/);
    const res = await fetch(`${standIn.url}chat.postMessage`, { method: 'POST', body: new URLSearchParams({ channel: 'C8', text: 'x' }) });
    expect(await res.json()).toEqual({ ok: false, error: 'not_authed' });
  });

  it('always sends blocks with text on update, so blocks are not wiped', async () => {
    const { ts } = await poster.post({ channel: 'C9', text: 'progress', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'checking…' } }] });
    await poster.update({ channel: 'C9', ts, text: 'done', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'result' } }] });
    const call = standIn.calls('chat.update')[0]!;
    expect(call.params.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: 'result' } }]);
    expect(standIn.message('C9', ts)).toMatchObject({ text: 'done', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'result' } }], edits: 1 });
  });

  it('uploads a file into a thread (getUploadURLExternal, upload, completeUploadExternal), once per key', async () => {
    const { ts } = await poster.post({ channel: 'C10', text: 'parent' });
    standIn.failNext('files.completeUploadExternal', { status: 429, retryAfter: 1 });
    const up = await poster.uploadFile({ channel: 'C10', thread_ts: ts, filename: 'evidence.json', content: '{"a":1}', title: 'Evidence', idempotencyKey: 'job-9-evidence' });
    const again = await poster.uploadFile({ channel: 'C10', thread_ts: ts, filename: 'evidence.json', content: '{"a":1}', idempotencyKey: 'job-9-evidence' });
    expect(again).toEqual({ fileId: up.fileId, reused: true });
    expect(standIn.calls().map((c) => c.method)).toEqual([
      'chat.postMessage',
      'files.getUploadURLExternal',
      'upload',
      'files.completeUploadExternal',
      'files.completeUploadExternal',
    ]);
    const file = standIn.files()[0]!;
    expect(file).toMatchObject({ id: up.fileId, filename: 'evidence.json', completed: true, channel: 'C10' });
    expect(Buffer.from(file.content!).toString()).toBe('{"a":1}');
    expect(standIn.messages('C10')[0]!.replies[0]!.files?.[0]).toMatchObject({ id: up.fileId, title: 'Evidence' });
  });

  it('posts ephemerals and response_url bodies, retrying a 429 on the response_url', async () => {
    await poster.ephemeral({ channel: 'C11', user: 'U1', text: 'only you' });
    expect(standIn.ephemerals('C11')).toEqual([expect.objectContaining({ user: 'U1', text: 'only you' })]);
    const url = standIn.responseUrl('cmd-1');
    standIn.failNext('respond', { status: 429, retryAfter: 1 });
    await poster.respond(url, { response_type: 'ephemeral', text: 'done' });
    expect(standIn.responses('cmd-1')).toEqual([expect.objectContaining({ body: { response_type: 'ephemeral', text: 'done' } })]);
    expect(standIn.calls('respond').map((c) => c.status)).toEqual([429, 200]);
  });
});
