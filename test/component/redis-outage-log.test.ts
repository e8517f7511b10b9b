/**
 * A Redis outage under running workers: one JSON log line when Redis goes away, one when it is
 * back — not one per reconnect attempt per connection. Its own redis-server on a free port,
 * killed and restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.js';
import { startWorkers } from '../../src/compose/workers.js';
import { freePort } from '../helpers/free-port.js';
import { fakeDeps, fakePoster } from '../helpers/queue-fakes.js';

const dir = mkdtempSync(join(tmpdir(), 'podnet-redis-outage-'));
let server: ChildProcess | undefined;
afterAll(() => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const ok = await probe.connect().then(() => probe.ping()).then(() => true, () => false);
    probe.disconnect();
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('redis-server did not start');
}

test('one log line per Redis state change during an outage, all JSON', async () => {
  const port = await freePort();
  server = await startRedis(port);
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  const printed: unknown[] = [];
  const origError = console.error;
  console.error = (...args: unknown[]) => void printed.push(args);
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 50, 200) });
  let clientErrors = 0;
  redis.on('error', () => (clientErrors += 1));
  const running = await startWorkers({ connection: redis, cluster: 'outage', clusterAccess: {} as never, poster: fakePoster(), logger, deps: fakeDeps(), prefix: `podnet-outage-${port}`, heartbeat: false });
  try {
    server.kill('SIGKILL');
    await new Promise((r) => server!.once('exit', r));
    // Reconnect attempts every ≤ 200 ms on every connection: wait for seven failed ones on this
    // client (the first may turn the state down, the rest are counted), however long a busy
    // machine takes, not a fixed pause.
    for (let i = 0; i < 600 && clientErrors < 7; i++) await new Promise((r) => setTimeout(r, 50));
    server = await startRedis(port);
    for (let i = 0; i < 100 && redis.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    console.error = origError;
    await running.close().catch(() => undefined);
    redis.disconnect();
  }
  const parsed = lines.map((l) => JSON.parse(l) as { msg: string; state?: string; errorsWhileDown?: number });
  const states = parsed.filter((l) => l.msg.startsWith('redis '));
  expect(states.map((l) => l.state)).toEqual(['down', 'up']);
  expect(states[1]!.errorsWhileDown).toBeGreaterThan(5);
  expect(parsed.filter((l) => l.msg === 'worker error' || l.msg === 'queue error')).toEqual([]);
  expect(lines.length).toBeLessThan(10);
  expect(printed).toEqual([]);
}, 60_000);
