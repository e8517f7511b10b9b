/**
 * Runbook runs in Redis, so a run can stop at a `confirm:` step or a `wait:` step and be
 * resumed by another job (a button press, a delayed continuation) on any worker.
 * Key: `<prefix>:runbook-run:<runId>` (JSON), kept 7 days.
 */
import type { RedisClient } from '../queue/redis.js';
import type { RunState } from './runner.js';
import type { StepKind } from './schema.js';

/** Everything needed to resume a run, ids only (no tokens). */
export interface StoredRun {
  runId: string;
  runbook: string;
  cluster: string;
  channel: string;
  /** The thread the run posts in (the incident's thread, or the run's own header message). */
  threadTs: string;
  /** Who started it. */
  startedBy: string;
  startedAt: string;
  /** The incident the run belongs to, when it runs in one. */
  incidentId?: string;
  state: RunState;
  /** When `state.status` is `awaiting-confirm`: the kind of the step waiting (debug = intrusive). */
  pendingKind?: StepKind;
}

export interface RunStoreOptions {
  redis: RedisClient;
  prefix?: string;
  ttlSeconds?: number;
}

export class RunStore {
  private readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly ttl: number;

  constructor(options: RunStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? 'podnet';
    this.ttl = options.ttlSeconds ?? 7 * 24 * 3600;
  }

  private key(runId: string): string {
    return `${this.prefix}:runbook-run:${runId}`;
  }

  async save(run: StoredRun): Promise<void> {
    await this.redis.set(this.key(run.runId), JSON.stringify(run), 'EX', this.ttl);
  }

  async get(runId: string): Promise<StoredRun | undefined> {
    const raw = await this.redis.get(this.key(runId));
    return raw ? (JSON.parse(raw) as StoredRun) : undefined;
  }

  /**
   * Claims the answer to the confirm at step `index`: true for the first press only, so two
   * people pressing (or one double click) resume the run once.
   */
  async claimAnswer(runId: string, index: number, by: string): Promise<boolean> {
    return (await this.redis.set(`${this.key(runId)}:answer:${index}`, by, 'EX', this.ttl, 'NX')) === 'OK';
  }
}
