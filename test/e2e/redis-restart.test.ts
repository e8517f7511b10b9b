/**
 * Reliability promise: Redis restarted mid-run (AOF on) loses no accepted command. A Redis of
 * our own (AOF on, fsync on every write, so even a SIGKILL keeps what it acknowledged) backs
 * the whole stack; commands are accepted (Bolt acks 200 with a job id), Redis is killed and
 * started again on the same data, and every accepted check still completes and posts its
 * summary exactly once.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startE2EStack, waitFor, type E2EStack } from '../helpers/e2e-stack.js';
import { freePort } from '../helpers/free-port.js';

const CHANNELS = ['C0RESTART1', 'C0RESTART2', 'C0RESTART3', 'C0RESTART4', 'C0RESTART5', 'C0RESTART6'];
let dir: string;
let port: number;
let redis: ChildProcess | undefined;
let stack: E2EStack | undefined;

async function startRedis(): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  await waitFor(
    () =>
      new Promise<true | undefined>((resolve) => {
        const sock = connect(port, '127.0.0.1');
        sock.on('connect', () => { sock.end(); resolve(true); });
        sock.on('error', () => resolve(undefined));
      }),
    10_000,
    'redis-server to listen',
  );
  return child;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podnet-aof-'));
  port = await freePort();
  redis = await startRedis();
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
  stack = await startE2EStack({ channels: CHANNELS.map((id) => ({ id, namespaces: ['financial-ml'] })) });
}, 30_000);

afterAll(async () => {
  await stack?.close().catch(() => undefined);
  redis?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function restartRedis(): Promise<void> {
  redis!.kill('SIGKILL');
  await new Promise((r) => redis!.once('exit', r));
  redis = await startRedis();
}

function jobIdOf(ack: { status: number; json?: unknown }): string {
  expect(ack.status).toBe(200);
  const id = /job `([^`]+)`/.exec((ack.json as { text?: string })?.text ?? '')?.[1];
  if (!id) throw new Error(`the ack names no job: ${JSON.stringify(ack.json)}`);
  return id;
}

async function expectOneSummary(s: E2EStack, channel: string): Promise<void> {
  const msgs = await waitFor(() => {
    const m = s.slack.messages(channel);
    return m.length >= 1 && m[0]!.edits > 0 && JSON.stringify(m[0]!.blocks).includes('probe-bind-mismatch') ? m : undefined;
  }, 20_000, `the summary in ${channel}`);
  expect(msgs).toHaveLength(1);
}

test('commands accepted while the workers are paused survive a Redis SIGKILL and complete once', async () => {
  const s = stack!;
  // Paused, not stopped: the workers' heartbeat keeps the cluster live, so the bot accepts.
  await Promise.all(s.workers.workers.map((w) => w.pause()));
  const jobIds = (await Promise.all(CHANNELS.slice(0, 3).map((c) => s.slash('check mlserver-0 -n financial-ml', c)))).map(jobIdOf);
  // Accepted means in Redis: the jobs are there before the crash ...
  for (const id of jobIds) expect(await s.checks.getJobState(id)).toBe('waiting');

  await restartRedis();
  // ... and after it, although no worker has touched them.
  for (const id of jobIds) expect(await waitFor(async () => ((await s.checks.getJobState(id).catch(() => undefined)) === 'waiting' ? true : undefined), 10_000, `job ${id} after the restart`)).toBe(true);

  s.workers.workers.forEach((w) => w.resume());
  for (const id of jobIds) expect((await s.finished(id, 60_000)).failedReason).toBeUndefined();
  for (const c of CHANNELS.slice(0, 3)) await expectOneSummary(s, c);
}, 120_000);

test('a restart while workers are busy loses nothing and posts each summary once', async () => {
  const s = stack!;
  const jobIds = (await Promise.all(CHANNELS.slice(3).map((c) => s.slash('check mlserver-0 -n financial-ml', c)))).map(jobIdOf);
  await restartRedis();
  for (const id of jobIds) expect((await s.finished(id, 60_000)).failedReason).toBeUndefined();
  for (const c of CHANNELS.slice(3)) await expectOneSummary(s, c);
}, 120_000);
