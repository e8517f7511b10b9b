/**
 * Events API retries and the request-timestamp window, through the real bot (createBot: Bolt
 * over signed HTTP, Redis) and workers: Slack's re-deliveries of one event (same event_id,
 * X-Slack-Retry-Num 1 and 2) run the command once; a request signed more than five minutes
 * from now — past or future — is refused.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import { postSigned, slashCommandBody } from '../../src/slack/testing.js';
import { startE2EStack, waitFor, type E2EStack } from '../helpers/e2e-stack.js';

const CHANNEL = 'C0EVENTS01';
let stack: E2EStack;

beforeAll(async () => {
  stack = await startE2EStack({ channels: [{ id: CHANNEL, namespaces: ['financial-ml'] }] });
}, 30_000);
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => stack.slack.reset());

function mentionBody(eventId: string, text: string): string {
  const ts = `${Math.floor(Date.now() / 1000)}.000100`;
  return JSON.stringify({
    token: 'deprecated', team_id: 'T0STANDIN', api_app_id: 'A0PODNET', type: 'event_callback', event_id: eventId, event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_mention', user: 'U0ALICE001', text: `<@U0PODNETBOT> ${text}`, ts, channel: CHANNEL, event_ts: ts },
  });
}

test('an event delivered three times (X-Slack-Retry-Num 1, 2) runs its command once', async () => {
  const eventId = `Ev${randomUUID().slice(0, 10)}`;
  const body = mentionBody(eventId, 'logs mlserver-0 -n financial-ml -c agent');
  const opts = (retry?: number) => ({ contentType: 'application/json', ...(retry !== undefined && { headers: { 'x-slack-retry-num': String(retry), 'x-slack-retry-reason': 'http_timeout' } }) });
  for (const retry of [undefined, 1, 2]) {
    const res = await postSigned(stack.botUrl, body, stack.signingSecret, opts(retry));
    expect(res.status).toBe(200);
  }
  await waitFor(() => stack.slack.messages(CHANNEL)[0]?.replies[0], 30_000, 'the logs answer and its file');
  // Every delivery has been answered, so any duplicate job is queued by now: wait until none is
  // left to run (an event, not a fixed pause), then count.
  await waitFor(async () => ((await stack.checks.getJobCountByTypes('active', 'waiting', 'delayed', 'prioritized')) === 0 ? true : undefined), 30_000, 'no job left to run');
  expect(stack.slack.ephemerals(CHANNEL).filter((e) => e.text?.includes('Queued'))).toHaveLength(1);
  expect(stack.slack.messages(CHANNEL)).toHaveLength(1);
  expect(await stack.checks.getJobCountByTypes('completed', 'active', 'waiting', 'failed', 'delayed')).toBe(1);
  // A new event (another event_id) runs.
  await postSigned(stack.botUrl, mentionBody(`Ev${randomUUID().slice(0, 10)}`, 'logs mlserver-0 -n financial-ml -c agent'), stack.signingSecret, opts());
  await waitFor(() => (stack.slack.messages(CHANNEL).length === 2 ? true : undefined), 30_000, 'the second answer');
}, 90_000);

test('requests signed more than 5 minutes from now are refused both ways; within the window they pass', async () => {
  const now = Math.floor(Date.now() / 1000);
  const body = () => slashCommandBody({ text: 'help', channel: CHANNEL, responseUrl: stack.slack.responseUrl(CHANNEL) });
  expect((await postSigned(stack.botUrl, body(), stack.signingSecret, { timestamp: now + 600 })).status).toBe(401);
  expect((await postSigned(stack.botUrl, body(), stack.signingSecret, { timestamp: now - 600 })).status).toBe(401);
  expect((await postSigned(stack.botUrl, body(), stack.signingSecret, { timestamp: now + 120 })).status).toBe(200);
  expect((await postSigned(stack.botUrl, body(), stack.signingSecret, { timestamp: now - 120 })).status).toBe(200);
});
