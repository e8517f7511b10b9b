/**
 * A podnet worker in its own process, for tests that SIGKILL it mid-job. Real workers, real
 * Redis, real SlackPoster against the Slack stand-in; fake collectors (the probe sleeps
 * SLOW_MS after the progress message went out, so the test can kill it there).
 * Run: node --import ./test/helpers/register-ts.js test/helpers/queue-worker-proc.ts
 * Env: REDIS_URL, PREFIX, CLUSTER, SLACK_API_URL, SLOW_MS, LOCK_MS.
 * Prints `READY` once the workers run, `PROBING` when the probe is in its slow part and
 * `LOGGING` when a `logs` job is in its (equally slow) log read.
 */
import { Redis } from 'ioredis';
import { silentLogger } from '../../src/logger.js';
import { startWorkers } from '../../src/compose/workers.js';
import { SlackPoster } from '../../src/slack/poster.js';
import { fakeDeps, fakeEvidence } from './queue-fakes.js';

const env = process.env;
const slowMs = Number(env.SLOW_MS ?? 0);
const lockMs = Number(env.LOCK_MS ?? 30_000);
const prefix = env.PREFIX ?? 'podnet-test';
const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const poster = new SlackPoster({
  token: 'xoxb-test-worker',
  slackApiUrl: env.SLACK_API_URL,
  redis,
  keyPrefix: `${prefix}:posted:`,
  minRetryDelayMs: 50,
  maxRetryDelayMs: 200,
});
// A one-container pod whose log read hangs SLOW_MS (the `logs` job's processor runs on the checks queue).
const clusterAccess = {
  getPod: async () => ({ metadata: { name: 'mlserver-0' }, spec: { containers: [{ name: 'mlserver' }] } }),
  streamLog: async () => {
    process.stdout.write('LOGGING\n');
    await new Promise((r) => setTimeout(r, slowMs));
    return (async function* () {})();
  },
} as never;

const running = await startWorkers({
  connection: redis,
  cluster: env.CLUSTER ?? 'qtest',
  clusterAccess,
  poster,
  logger: silentLogger,
  prefix,
  lockDurationMs: lockMs,
  stalledIntervalMs: Math.max(200, Math.floor(lockMs / 2)),
  deps: fakeDeps({
    collectEvidence: async (_c, req) => {
      process.stdout.write('PROBING\n');
      await new Promise((r) => setTimeout(r, slowMs));
      return fakeEvidence(req.namespace, req.pod);
    },
  }),
});
process.stdout.write('READY\n');
process.once('SIGTERM', () => {
  void running.close().then(() => redis.quit()).then(() => process.exit(0));
});
