/**
 * Fakes below the queue for queue tests: an in-memory poster that is idempotent by key like
 * the real SlackPoster, and processor deps whose collectors, analysis and renderers are
 * trivial. The queue, the flows and Redis are real.
 */
import { randomUUID } from 'node:crypto';
import { Queue, Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Diagnosis } from '../../src/analysis/types.js';
import { emptyEvidence, type Evidence } from '../../src/evidence.js';
import type { PosterLike, ProcessorDeps } from '../../src/queue/processor-deps.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface FakePoster extends PosterLike {
  posts: { channel: string; text: string; thread_ts?: string; idempotencyKey: string; ts: string }[];
  updates: { channel: string; ts: string; text: string }[];
}

export function fakePoster(): FakePoster {
  const byKey = new Map<string, string>();
  let n = 0;
  const poster: FakePoster = {
    posts: [],
    updates: [],
    async post(msg) {
      const seen = byKey.get(msg.idempotencyKey);
      if (seen !== undefined) return { ts: seen };
      const ts = `1700000000.${String(++n).padStart(6, '0')}`;
      byKey.set(msg.idempotencyKey, ts);
      poster.posts.push({ channel: msg.channel, text: msg.text, ...(msg.thread_ts !== undefined && { thread_ts: msg.thread_ts }), idempotencyKey: msg.idempotencyKey, ts });
      return { ts };
    },
    async update(msg) {
      poster.updates.push({ channel: msg.channel, ts: msg.ts, text: msg.text });
      return {};
    },
  };
  return poster;
}

export function fakeEvidence(namespace: string, pod: string): Evidence {
  const e = emptyEvidence({ namespace, pod, inferredFrom: [] }, '2025-06-01T15:20:00Z');
  e.steps.push({ name: 'get-pod', ok: true });
  return e;
}

export function fakeDiagnosis(e: Evidence): Diagnosis {
  return {
    target: e.target,
    hypotheses: [{ cause: 'unknown', confidence: 0.1, summary: `steps: ${e.steps.map((s) => s.name).join(',')}`, evidence: [], against: [], fix: 'none' }],
    ruledOut: [],
    options: [],
    timeline: [],
    steps: e.steps,
    correlations: [],
    next: [],
    generatedAt: e.collectedAt,
  };
}

/** Deps whose collectors return fixed evidence; override any field per test. */
export function fakeDeps(over: Partial<ProcessorDeps> = {}): Omit<ProcessorDeps, 'clusterAccess' | 'poster' | 'logger'> {
  return {
    collectEvidence: async (_c, req) => fakeEvidence(req.namespace, req.pod),
    collectLogs: async () => ({
      logs: [{ container: 'mlserver', previous: false, lines: 1, bytes: 10, truncated: false, matches: [], tail: [] }],
      steps: [{ name: 'logs:mlserver', ok: true }],
    }),
    diagnose: (e) => fakeDiagnosis(e),
    renderSummary: (d) => ({ text: `summary ${d.target.pod}: ${d.hypotheses[0]?.summary}` }),
    renderThread: (d) => [{ text: `thread 1 ${d.target.pod}` }, { text: `thread 2 ${d.target.pod}` }],
    renderProgress: (t, status) => ({ text: `${t.pod}: ${status}` }),
    ...over,
  };
}

/** A unique prefix per test, and a function that obliterates every queue under it. */
export function testPrefix(): { prefix: string; cleanup(redis: Redis): Promise<void> } {
  const prefix = `podnet-test-${randomUUID().slice(0, 8)}`;
  return {
    prefix,
    async cleanup(redis: Redis) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    },
  };
}

/** Polls until the job is completed or failed (or the timeout passes). */
export async function waitForJob(queue: Queue, jobId: string, timeoutMs = 15_000): Promise<Job> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const job = await Job.fromId(queue, jobId);
    if (job) {
      const state = await job.getState();
      // Re-read: the snapshot above may predate the final write (attemptsMade, returnvalue).
      if (state === 'completed' || state === 'failed') return (await Job.fromId(queue, jobId)) ?? job;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} did not finish within ${timeoutMs} ms`);
}

export const nullClusterAccess = {} as never;

/** Polls `ok` every 20 ms until it is true (or throws after `timeoutMs`). */
export async function waitUntil(ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
