/**
 * `podnet demo` end to end, in-process: signed slash command → Bolt → Redis → worker →
 * simulator → Slack stand-in, and the transcript it prints. Also: no Redis → exit 3 with
 * how to start one.
 */
import { afterEach, beforeEach, expect, jest, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { main } from '../../src/bin/demo.js';
import { redisCli, startSentinelSet } from '../helpers/redis-servers.js';

let lines: string[];
let errors: string[];
beforeEach(() => {
  lines = [];
  errors = [];
  jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
});
afterEach(() => {
  jest.restoreAllMocks();
});

test('the demo answers the seed incident with probe-bind-mismatch and cleans up after itself', async () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    const code = await main([]);
    const out = lines.join('\n');
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    expect(out).toContain('/podnet check mlserver-0 -n financial-ml');
    expect(out).toMatch(/ack HTTP 200 in \d+ ms/);
    expect(out).toContain('Queued check of mlserver-0 in financial-ml');
    expect(out).toContain('(the "Checking…" message, updated in place)');
    expect(out).toContain('Most likely cause: `probe-bind-mismatch`');
    expect(out).toMatch(/thread, \d+ replies/);
    // The timeline chart is uploaded into the thread with the first reply, and named.
    expect(out).toMatch(/podnet uploaded mlserver-0-timeline.png \(\d+ bytes, PNG image \d+×\d+ px\)/);
    expect(out).toMatch(/job check-[0-9a-f-]+ completed\.$/);
    // Its queue prefix is gone.
    const prefix = /Redis prefix (podnet-demo-[0-9a-f]+)/.exec(out)?.[1];
    expect(prefix).toBeDefined();
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  } finally {
    await redis.quit();
  }
}, 90_000);

test('the loop in Slack: alice presses Apply fix on the summary, the Server is patched and the fix verified', async () => {
  const code = await main([]);
  const out = lines.join('\n');
  expect(errors).toEqual([]);
  expect(code).toBe(0);
  // The Slack summary carries the validated remediation…
  expect(out).toContain('Remediation: Patch Server mlserver in financial-ml (json patch; dry-run passed)');
  // …the press through the bot, its confirm dialog showing the diff…
  expect(out).toMatch(/presses \[Apply fix\] on the summary; the confirm dialog says:\n\s+Patch Server mlserver in financial-ml \(field manager podnet\):[\s\S]*- - name: MLSERVER_HOST/);
  expect(out).toMatch(/Applying the fix for `probe-bind-mismatch`.*job `fix-[0-9a-f]{32}`/);
  // …and the worker's replies in the summary's thread: the applied diff, then the verdict.
  expect(out).toMatch(/applied the fix for `probe-bind-mismatch` to Server mlserver in financial-ml \(field manager podnet\)/);
  expect(out).toMatch(/Fixed — verified\. probe-bind-mismatch is gone/);
  expect(out).toMatch(/✓ \d\d:\d\d:\d\d leading: none · restarts 0 · ready true · agent → 127\.0\.0\.1:9500 connected/);
  expect(out.indexOf('presses [Apply fix]')).toBeGreaterThan(out.indexOf('Most likely cause: `probe-bind-mismatch`'));
  expect(out.indexOf('Fixed — verified')).toBeGreaterThan(out.indexOf('presses [Apply fix]'));
}, 90_000);

test('a bad command is answered with usage and nothing is queued', async () => {
  const code = await main(['--command', 'chek mlserver-0']);
  expect(code).toBe(2);
  expect(lines.join('\n')).toContain('Nothing was queued');
}, 30_000);

test('no Redis: exit 3 and one paragraph on how to start one', async () => {
  const before = process.env.REDIS_URL;
  process.env.REDIS_URL = 'redis://127.0.0.1:1';
  try {
    expect(await main([])).toBe(3);
  } finally {
    if (before === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = before;
  }
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain('No Redis answers at redis://127.0.0.1:1');
  expect(errors[0]).toContain('redis-server --daemonize yes');
  expect(errors[0]).toContain('docker compose up -d redis');
});

test('through a Sentinel-managed Redis (PODNET_REDIS_SENTINELS + PODNET_REDIS_SENTINEL_NAME): the demo finds the primary via the sentinels and runs there', async () => {
  const set = await startSentinelSet();
  const saved = { ...process.env };
  try {
    delete process.env.REDIS_URL;
    Object.assign(process.env, set.env);
    const before = await redisCli(set.primary.port, 'INFO', 'commandstats');
    const code = await main([]);
    const out = lines.join('\n');
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    expect(out).toContain(`on sentinel ${set.name} via ${set.env.PODNET_REDIS_SENTINELS}`);
    expect(out).toContain('Most likely cause: `probe-bind-mismatch`');
    expect(out).toMatch(/job check-[0-9a-f-]+ completed\.$/);
    // BullMQ's scripts ran on the primary the sentinels name (and it had run none before).
    const evalsha = (info: string): number => Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
    expect(evalsha(before)).toBe(0);
    expect(evalsha(await redisCli(set.primary.port, 'INFO', 'commandstats'))).toBeGreaterThan(0);
  } finally {
    process.env = saved;
    await set.stop();
  }
}, 90_000);
