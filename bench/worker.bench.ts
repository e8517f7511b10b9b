/**
 * Worker throughput: podnet's worker path (startWorkers → queue routing → the `probe`
 * processor with an injected no-op collector and poster) against a bare BullMQ Worker doing
 * the same no-op work, N jobs each, on the same Redis, same concurrency. Target: podnet's
 * throughput at least 0.8× the bare worker's.
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { emptyEvidence } from '../src/evidence.js';
import { silentLogger } from '../src/logger.js';
import { JOB_NAMES, queueName, type CheckPayload } from '../src/queue/contracts.js';
import type { ProcessorDeps } from '../src/queue/processor-deps.js';
import { startWorkers } from '../src/compose/workers.js';
import { check, info, type Bench, type Figure } from './harness.js';

const N = Number(process.env.BENCH_WORKER_JOBS ?? 2000);
const CONCURRENCY = 4;
const ROUNDS = 5;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const payload = (i: number): CheckPayload => ({
  requestId: `bench-${i}`,
  cluster: 'bench',
  namespace: 'financial-ml',
  pod: 'mlserver-0',
  slack: { channel: 'C0BENCH', user: 'U0BENCH' },
  requestedAt: new Date(0).toISOString(),
});
// Both sides return the same object, so result serialisation costs the same.
const noopEvidence = emptyEvidence({ namespace: 'financial-ml', pod: 'mlserver-0', inferredFrom: [] }, new Date(0).toISOString());
const noopResult = { kind: 'probe' as const, evidence: noopEvidence, progressTs: '1.1' };

const noopDeps: Omit<ProcessorDeps, 'clusterAccess' | 'poster' | 'logger'> = {
  collectEvidence: async () => noopEvidence,
  collectLogs: async () => ({ logs: [], steps: [] }),
  diagnose: () => {
    throw new Error('not used');
  },
  renderSummary: () => ({ text: '' }),
  renderThread: () => [],
  renderProgress: () => ({ text: '' }),
};
const noopPoster = { post: async () => ({ ts: '1.1' }), update: async () => ({}) };

async function fill(redis: Redis, prefix: string, name: string): Promise<Queue> {
  const queue = new Queue(name, { connection: redis, prefix });
  const opts = { removeOnComplete: true, removeOnFail: true };
  for (let i = 0; i < N; i += 500) {
    await queue.addBulk(Array.from({ length: Math.min(500, N - i) }, (_, k) => ({ name: JOB_NAMES.probe, data: payload(i + k), opts })));
  }
  return queue;
}

/** Resolves with the elapsed ms once `count` jobs completed on the worker(s). */
function drain(workers: Worker[], count: number, started: number): Promise<number> {
  return new Promise((resolve) => {
    let done = 0;
    for (const w of workers) {
      w.on('completed', () => {
        if (++done === count) resolve(performance.now() - started);
      });
    }
  });
}

async function runBare(redis: Redis, prefix: string): Promise<number> {
  const name = queueName('bench', 'probes');
  const queue = await fill(redis, prefix, name);
  const started = performance.now();
  const worker = new Worker(name, async () => noopResult, { connection: redis, prefix, concurrency: CONCURRENCY });
  const ms = await drain([worker], N, started);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return ms;
}

async function runPodnet(redis: Redis, prefix: string): Promise<number> {
  const queue = await fill(redis, prefix, queueName('bench', 'probes'));
  const started = performance.now();
  const running = await startWorkers({
    connection: redis,
    cluster: 'bench',
    clusterAccess: {} as never,
    poster: noopPoster,
    logger: silentLogger,
    deps: noopDeps,
    prefix,
    concurrency: CONCURRENCY,
  });
  const ms = await drain(running.workers, N, started);
  await running.close();
  await queue.obliterate({ force: true });
  await queue.close();
  const checks = new Queue(queueName('bench', 'checks'), { connection: redis, prefix });
  await checks.obliterate({ force: true });
  await checks.close();
  return ms;
}

export const bench: Bench = {
  name: 'worker',
  description: `BullMQ worker throughput, ${N} no-op jobs, concurrency ${CONCURRENCY}: podnet's worker path vs a bare Worker`,
  async run(log) {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
    try {
      await redis.connect();
    } catch {
      log(`no Redis at ${REDIS_URL}; start one (redis-server --daemonize yes) and run again`);
      return [];
    }
    const prefix = `podnet-bench-${randomUUID().slice(0, 8)}`;
    let bare = Infinity;
    let podnet = Infinity;
    try {
      // One unmeasured warm-up of each (JIT, connections), then rounds in alternating order,
      // keeping the best round of each, so neither warm-up nor a noisy moment favours a side.
      await runBare(redis, prefix);
      await runPodnet(redis, prefix);
      for (let r = 0; r < ROUNDS; r++) {
        let b: number;
        let p: number;
        if (r % 2 === 0) {
          b = await runBare(redis, prefix);
          p = await runPodnet(redis, prefix);
        } else {
          p = await runPodnet(redis, prefix);
          b = await runBare(redis, prefix);
        }
        log(`round ${r + 1}: bare ${(N / (b / 1000)).toFixed(0)} jobs/s, podnet ${(N / (p / 1000)).toFixed(0)} jobs/s`);
        bare = Math.min(bare, b);
        podnet = Math.min(podnet, p);
      }
    } finally {
      await redis.quit();
    }
    const bareRate = N / (bare / 1000);
    const podnetRate = N / (podnet / 1000);
    const figures: Figure[] = [
      info('bare BullMQ worker throughput', bareRate, 'jobs/s'),
      info('podnet worker throughput', podnetRate, 'jobs/s'),
      check('podnet / bare throughput', podnetRate / bareRate, 'ratio', '>=', 0.8),
    ];
    return figures;
  },
};
