/**
 * `podnet bot` as a process, configured from its environment with known secret values and
 * LOG_LEVEL=trace (Bolt and the Web API client log requests at debug): it logs JSON lines
 * through pino, serves its ops port (readiness, metrics, the queue dashboard), refuses a
 * command for a cluster with no live worker, and exits 0 on SIGTERM — and neither the bot
 * token, the signing secret nor the dashboard password appears anywhere in its output.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { postSigned, slashCommandBody } from '../../src/slack/testing.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/slack/stand-in.js';
import { startHeartbeat } from '../../src/queue/heartbeat.js';
import { testPrefix } from '../helpers/queue-fakes.js';
import { waitFor } from '../helpers/e2e-stack.js';
import { freePort } from '../helpers/free-port.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const BOT_TOKEN = 'xoxb-1111-2222-SECRETbottokenVALUE';
const SIGNING_SECRET = 'signing-SECRET-8f3a9c2e71d4b5a6';
const BOARD_PASSWORD = 'board-SECRET-password-42';
let slack: SlackStandIn;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podnet-bot-bin-'));
  writeFileSync(join(dir, 'policy.yaml'), 'channels:\n  - id: C0BOTBIN\n    namespaces: [financial-ml]\n');
  slack = await startSlackStandIn();
});
afterAll(async () => {
  await slack?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('podnet bot: JSON logs without secrets, ops port, no-live-worker answer, clean SIGTERM', async () => {
  const { prefix, cleanup } = testPrefix();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const hb = await startHeartbeat({ redis, prefix, cluster: 'live-one' });
  const opsPort = await freePort();
  const proc = spawn(process.execPath, ['--import', './test/helpers/register-ts.js', 'src/bin/cli.ts', 'bot'], {
    env: {
      ...process.env,
      REDIS_URL,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      PORT: '0',
      PODNET_OPS_PORT: String(opsPort),
      PODNET_BOARD_USER: 'ops',
      PODNET_BOARD_PASSWORD: BOARD_PASSWORD,
      PODNET_POLICY_FILE: join(dir, 'policy.yaml'),
      PODNET_DEFAULT_CLUSTER: 'nobody-home',
      PODNET_QUEUE_PREFIX: prefix,
      PODNET_AUDIT_LOG: '-',
      LOG_LEVEL: 'trace',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  try {
    const port = await waitFor(() => /listening on :(\d+)/.exec(stderr)?.[1], 20_000, `the bot to listen (stderr so far: ${stderr.slice(0, 500)})`);
    const url = `http://127.0.0.1:${port}/slack/events`;
    const slash = async (text: string) => {
      const res = await postSigned(url, slashCommandBody({ text, channel: 'C0BOTBIN', responseUrl: slack.responseUrl('C0BOTBIN') }), SIGNING_SECRET);
      expect(res.status).toBe(200);
      return (res.json as { text?: string }).text ?? '';
    };
    expect(await slash('help')).toContain('podnet');
    // The default cluster has no worker: refused with the live ones named, nothing queued.
    const refused = await slash('check mlserver-0 -n financial-ml');
    expect(refused).toContain('No live podnet worker for cluster *nobody-home*');
    expect(refused).toContain('live clusters: live-one');
    expect(await slash('clusters')).toContain('*live-one* — 1 worker');
    // A forged request (wrong secret) is refused; Bolt logs it, headers and all, at debug.
    const forged = await postSigned(url, slashCommandBody({ text: 'help', channel: 'C0BOTBIN' }), 'wrong-secret');
    expect(forged.status).toBe(401);

    const ops = `http://127.0.0.1:${opsPort}`;
    expect((await fetch(`${ops}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    expect(metrics).toContain('podnet_commands_total{verb="check",outcome="no-worker",component="bot"} 1');
    expect(metrics).toContain('podnet_commands_total{verb="help",outcome="done",component="bot"} 1');
    expect((await fetch(`${ops}/admin/queues`)).status).toBe(401);
    const board = await fetch(`${ops}/admin/queues`, { headers: { authorization: `Basic ${Buffer.from(`ops:${BOARD_PASSWORD}`).toString('base64')}` } });
    expect(board.status).toBe(200);

    // Let the background auth.test against the stand-in finish and log.
    await waitFor(() => (/slack token verified/.test(stderr) ? true : undefined), 10_000, 'auth.test');
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await hb.stop();
    await cleanup(redis);
    await redis.quit();
  }

  // Every stderr line is a pino JSON record; trace level was on (Bolt's debug lines are there).
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines.length).toBeGreaterThan(5);
  const records = lines.map((l) => JSON.parse(l) as { level: number; name?: string; msg?: string });
  expect(records.every((r) => typeof r.level === 'number' && r.name === 'podnet-bot')).toBe(true);
  expect(records.some((r) => r.level <= 20)).toBe(true);
  expect(records.some((r) => r.msg === 'stopped')).toBe(true);
  // Audit lines went to stdout.
  expect(stdout).toContain('"outcome":"failed"');
  // No secret anywhere: not in full, and not a recognisable part of one.
  const output = `${stdout}\n${stderr}`;
  for (const secret of [BOT_TOKEN, SIGNING_SECRET, BOARD_PASSWORD, 'SECRETbottokenVALUE', '8f3a9c2e71d4b5a6', 'password-42']) {
    expect(output).not.toContain(secret);
  }
  expect(output).not.toContain(Buffer.from(`ops:${BOARD_PASSWORD}`).toString('base64'));
}, 60_000);
