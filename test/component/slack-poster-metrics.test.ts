/**
 * SlackPoster's metric hooks against the Slack stand-in: one `ok` per call, a `rate-limited`
 * and a rate-limit wait per 429 waited out, `error` for a call Slack refuses; wired to the
 * podnet_slack_* counters.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createMetrics } from '../../src/ops/metrics.js';
import { SlackPoster } from '../../src/slack/poster.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/slack/stand-in.js';

let slack: SlackStandIn;
beforeAll(async () => {
  slack = await startSlackStandIn();
});
afterAll(async () => {
  await slack?.close();
});

test('calls, 429 waits and refusals are reported and counted', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const calls: string[] = [];
  const waits: number[] = [];
  const poster = new SlackPoster({
    token: 'xoxb-metrics',
    slackApiUrl: slack.url,
    minRetryDelayMs: 10,
    maxRetryDelayMs: 50,
    onCall: (c) => {
      calls.push(`${c.method} ${c.status}`);
      metrics.slackCallsTotal.inc(c);
    },
    onRateLimited: (w) => {
      waits.push(w.retryAfterSeconds);
      metrics.slackRateLimitWaitsTotal.inc();
    },
  });
  slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 1);
  const posted = await poster.post({ channel: 'C0METRICS', text: 'hello' });
  await poster.update({ channel: 'C0METRICS', ts: posted.ts, text: 'hello again', blocks: [] });
  slack.setChannel('C0KICKED', 'not_in_channel');
  await expect(poster.post({ channel: 'C0KICKED', text: 'podnet was removed from this channel' })).rejects.toMatchObject({ code: 'bad-input', slackCode: 'not_in_channel' });
  expect(calls).toEqual(['chat.postMessage rate-limited', 'chat.postMessage ok', 'chat.update ok', 'chat.postMessage error']);
  expect(waits).toEqual([1]);
  expect(poster.rateLimited).toBe(1);
  const text = await metrics.registry.metrics();
  expect(text).toContain('podnet_slack_calls_total{method="chat.postMessage",status="ok"} 1');
  expect(text).toContain('podnet_slack_calls_total{method="chat.postMessage",status="rate-limited"} 1');
  expect(text).toContain('podnet_slack_calls_total{method="chat.postMessage",status="error"} 1');
  expect(text).toContain('podnet_slack_rate_limit_waits_total 1');
}, 20_000);
