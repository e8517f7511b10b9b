/**
 * The timeline chart's way into Slack: postTimelineChart draws the PNG and uploads it through
 * the real SlackPoster (files.getUploadURLExternal → upload → files.completeUploadExternal)
 * to the stand-in over HTTP, once per idempotency key (Redis); a chart that cannot be drawn
 * or uploaded is logged, never fails the job.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { PNG } from 'pngjs';
import { postTimelineChart } from '../../jobs/check.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import type { Evidence } from '../../src/evidence.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import { defaultDeps } from '../../src/queue/default-deps.js';
import { SlackPoster } from '../../src/slack/poster.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/slack/stand-in.js';

const evidence = JSON.parse(readFileSync(join(process.cwd(), 'test/fixtures/evidence/seed-incident.json'), 'utf8')) as Evidence;
const diagnosis = diagnose(evidence, { now: new Date(evidence.clusterNow!) });

describe('postTimelineChart (stand-in + Redis)', () => {
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
    prefix = `podnet-test:chart:${randomUUID()}:`;
    poster = new SlackPoster({ token: 'xoxb-test-chart', slackApiUrl: standIn.url, redis, keyPrefix: prefix, minRetryDelayMs: 10, maxRetryDelayMs: 50 });
  });
  afterEach(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  });

  const post = (threadTs: string) => ({
    channel: 'C20',
    threadTs,
    chart: { diagnosis, evidence },
    filename: 'mlserver-0-timeline.png',
    title: 'Timeline of mlserver-0 in financial-ml (cluster time, UTC)',
    idempotencyKey: 'job-7-timeline',
  });

  it('uploads the PNG into the thread once per key: a re-run uploads nothing', async () => {
    const { ts } = await poster.post({ channel: 'C20', text: 'the check' });
    const deps = { poster, logger: silentLogger, renderTimelinePng: defaultDeps().renderTimelinePng };
    const first = await postTimelineChart(deps, post(ts));
    const again = await postTimelineChart(deps, post(ts));
    expect(first).toBeDefined();
    expect(again).toBe(first);
    expect(standIn.calls().filter((c) => c.method === 'upload')).toHaveLength(1);
    const [file] = standIn.files();
    expect(file).toMatchObject({ id: first, filename: 'mlserver-0-timeline.png', completed: true, channel: 'C20' });
    const img = PNG.sync.read(Buffer.from(file!.content!));
    expect(img.width).toBeGreaterThan(1800);
    expect(standIn.messages('C20')[0]!.replies[0]!.files?.[0]).toMatchObject({ id: first, title: 'Timeline of mlserver-0 in financial-ml (cluster time, UTC)' });
  });

  it('logs and goes on when Slack refuses the upload (here: a token it does not accept)', async () => {
    const refused = new SlackPoster({ token: 'not-a-slack-token', slackApiUrl: standIn.url, redis, keyPrefix: prefix, minRetryDelayMs: 10, maxRetryDelayMs: 50 });
    const warnings: unknown[] = [];
    const logger = { ...silentLogger, warn: (...a: unknown[]) => void warnings.push(a) } as unknown as Logger;
    const res = await postTimelineChart({ poster: refused, logger, renderTimelinePng: defaultDeps().renderTimelinePng }, post('1.1'));
    expect(res).toBeUndefined();
    expect(JSON.stringify(warnings)).toContain('Slack refused the call');
    expect(standIn.files().filter((f) => f.completed)).toEqual([]);
  });

  it('logs and goes on when the chart cannot be drawn', async () => {
    const warnings: unknown[] = [];
    const logger = { ...silentLogger, warn: (...a: unknown[]) => void warnings.push(a) } as unknown as Logger;
    const res = await postTimelineChart({ poster, logger, renderTimelinePng: () => Promise.reject(new Error('no font')) }, post('1.1'));
    expect(res).toBeUndefined();
    expect(JSON.stringify(warnings)).toContain('no font');
    expect(standIn.calls()).toEqual([]);
  });
});
