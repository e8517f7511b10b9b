/**
 * The Slack stand-in itself, over HTTP: wire formats, auth, message state, Slack's refusals,
 * failure injection. The demo and the end-to-end tests trust it, so it is tested on its own.
 */
import { WebClient } from '@slack/web-api';
import { startSlackStandIn, type SlackStandIn } from '../../src/slack/stand-in.js';

describe('Slack stand-in', () => {
  let s: SlackStandIn;
  const api = (method: string, body: Record<string, unknown>, auth: string | null = 'xoxb-1', json = true) =>
    fetch(`${s.url}${method}`, {
      method: 'POST',
      headers: {
        ...(auth !== null && { authorization: `Bearer ${auth}` }),
        'content-type': json ? 'application/json; charset=utf-8' : 'application/x-www-form-urlencoded',
      },
      body: json ? JSON.stringify(body) : new URLSearchParams(body as Record<string, string>).toString(),
    }).then(async (r) => {
      const text = await r.text();
      const body = (text.startsWith('{') ? JSON.parse(text) : { raw: text }) as Record<string, unknown>;
      return { status: r.status, headers: r.headers, body };
    });

  beforeAll(async () => {
    s = await startSlackStandIn();
  });
  afterAll(() => s.close());
  beforeEach(() => s.reset());

  it('accepts JSON with a Bearer token and form bodies with a token field; never records tokens', async () => {
    const a = await api('chat.postMessage', { channel: 'C1', text: 'json' });
    expect(a.body).toMatchObject({ ok: true, channel: 'C1', ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    const b = await api('chat.postMessage', { channel: 'C1', text: 'form', token: 'xoxb-2', blocks: JSON.stringify([{ type: 'divider' }]) }, null, false);
    expect(b.body.ok).toBe(true);
    expect(s.messages('C1').map((m) => m.text)).toEqual(['json', 'form']);
    expect(s.messages('C1')[1]!.blocks).toEqual([{ type: 'divider' }]);
    expect(JSON.stringify(s.calls())).not.toContain('xoxb-');
    expect(s.calls().every((c) => c.authed)).toBe(true);
  });

  it('refuses missing and invalid tokens as Slack does', async () => {
    expect((await api('auth.test', {}, null)).body).toEqual({ ok: false, error: 'not_authed' });
    expect((await api('auth.test', {}, 'garbage')).body).toEqual({ ok: false, error: 'invalid_auth' });
    expect((await api('auth.test', {})).body).toMatchObject({ ok: true, user_id: 'U0PODNETBOT', bot_id: 'B0PODNET' });
  });

  it('assigns increasing unique ts and keeps replies under their parent (a reply to a reply joins the thread)', async () => {
    const parent = await api('chat.postMessage', { channel: 'C2', text: 'parent' });
    const r1 = await api('chat.postMessage', { channel: 'C2', text: 'r1', thread_ts: parent.body.ts });
    await api('chat.postMessage', { channel: 'C2', text: 'r2', thread_ts: r1.body.ts });
    const [top] = s.messages('C2');
    expect(s.messages('C2')).toHaveLength(1);
    expect(top!.thread_ts).toBe(parent.body.ts);
    expect(top!.replies.map((m) => [m.text, m.thread_ts])).toEqual([
      ['r1', parent.body.ts],
      ['r2', parent.body.ts],
    ]);
    expect(Number(r1.body.ts)).toBeGreaterThan(Number(parent.body.ts));
    expect((await api('chat.postMessage', { channel: 'C2', text: 'x', thread_ts: '1.000001' })).body).toMatchObject({ ok: false, error: 'thread_not_found' });
  });

  it('updates in place; an update without blocks wipes the blocks, as in Slack', async () => {
    const p = await api('chat.postMessage', { channel: 'C3', text: 'v1', blocks: [{ type: 'divider' }] });
    await api('chat.update', { channel: 'C3', ts: p.body.ts, text: 'v2' });
    expect(s.message('C3', p.body.ts as string)).toMatchObject({ text: 'v2', edits: 1 });
    expect(s.message('C3', p.body.ts as string)!.blocks).toBeUndefined();
    expect((await api('chat.update', { channel: 'C3', ts: '9.9', text: 'x' })).body).toMatchObject({ ok: false, error: 'message_not_found' });
  });

  it('refuses a message without text or blocks, and unknown methods', async () => {
    expect((await api('chat.postMessage', { channel: 'C4' })).body).toMatchObject({ ok: false, error: 'no_text' });
    expect((await api('chat.postMessage', { text: 'x' })).body).toMatchObject({ ok: false, error: 'channel_not_found' });
    expect((await api('chat.frobnicate', {})).body).toMatchObject({ ok: false, error: 'unknown_method' });
  });

  it('reports invalid blocks with Slack-style json pointers', async () => {
    const res = await api('chat.postMessage', {
      channel: 'C5',
      text: 't',
      blocks: [
        { type: 'section', block_id: 'a', text: { type: 'mrkdwn', text: 'ok' } },
        { type: 'section', block_id: 'a', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
        { type: 'context', elements: [] },
        { type: 'actions', elements: [{ type: 'button', action_id: 'x', text: { type: 'mrkdwn', text: 'b' }, confirm: { title: { type: 'plain_text', text: 't' } } }] },
      ],
    });
    expect(res.body.ok).toBe(false);
    expect(res.body.error).toBe('invalid_blocks');
    const errors = res.body.errors as string[];
    expect(errors).toEqual(
      expect.arrayContaining([
        'block_id "a" is already used [json-pointer:/blocks/1/block_id]',
        'must be less than 11 items [json-pointer:/blocks/1/fields]',
        'must provide at least one element [json-pointer:/blocks/2/elements]',
        'must be plain_text [json-pointer:/blocks/3/elements/0/text/type]',
        'must be a text object with type and text [json-pointer:/blocks/3/elements/0/confirm/text]',
      ]),
    );
    expect(s.messages('C5')).toHaveLength(0);
  });

  it('injects 429 with Retry-After and 5xx, optionally after some successful calls, for one method or all', async () => {
    s.failNext('chat.postMessage', { status: 429, retryAfter: 7 }, 1, { after: 1 });
    s.failNext('*', { status: 502 }, 1, { after: 2 });
    const first = await api('chat.postMessage', { channel: 'C6', text: '1' });
    const second = await api('chat.postMessage', { channel: 'C6', text: '2' });
    const third = await api('auth.test', {});
    const fourth = await api('auth.test', {});
    expect(first.status).toBe(200);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('7');
    expect(second.body).toEqual({ ok: false, error: 'ratelimited' });
    expect(third.status).toBe(502);
    expect(fourth.status).toBe(200);
    expect(s.calls().map((c) => c.status)).toEqual([200, 429, 502, 200]);
  });

  it('works with the real WebClient: ephemeral, views.open, conversations.info', async () => {
    const client = new WebClient('xoxb-web', { slackApiUrl: s.url });
    await client.chat.postEphemeral({ channel: 'C7', user: 'U1', text: 'psst' });
    expect(s.ephemerals('C7')).toEqual([expect.objectContaining({ user: 'U1', text: 'psst' })]);
    const v = await client.views.open({ trigger_id: 't1', view: { type: 'modal', title: { type: 'plain_text', text: 'T' }, blocks: [{ type: 'divider' }] } });
    expect(v.view?.id).toMatch(/^V/);
    expect(s.views()).toHaveLength(1);
    const info = await client.conversations.info({ channel: 'C7' });
    expect(info.channel?.id).toBe('C7');
  });

  it('returns copies: callers cannot change its state', async () => {
    await api('chat.postMessage', { channel: 'C8', text: 'orig' });
    s.messages('C8')[0]!.text = 'changed';
    expect(s.messages('C8')[0]!.text).toBe('orig');
  });

  it('records response_url posts by id', async () => {
    const url = s.responseUrl('abc');
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi', response_type: 'ephemeral' }) });
    expect(res.status).toBe(200);
    expect(s.responses('abc')).toEqual([expect.objectContaining({ id: 'abc', body: { text: 'hi', response_type: 'ephemeral' } })]);
    expect(s.responses('other')).toEqual([]);
  });
});
