/**
 * Applied fixes in Redis: the change each *Apply fix* made (enough to show it and to roll it
 * back), at-most-once claims so a double press or a retried job applies nothing twice, and the
 * audit trail of every apply and roll-back (who, what object, when, the diff), kept as a capped
 * list per cluster. Keys: `<prefix>:fix:<fixId>`, `<prefix>:fix-claim:<fixId>:<what>`,
 * `<prefix>:fix-audit:<cluster>`. Every key starts with the queue prefix, which on a Redis
 * Cluster is one hash tag (src/config.ts queuePrefixFor), so all of them share one slot.
 */
import type { RedisClient } from '../queue/redis.js';
import { redactSecrets } from '../logscan/redact.js';
import type { Logger } from '../logger.js';
import type { PatchType, RemediationTarget } from './types.js';

/** One applied fix, as stored. Ids and names, the diff (secrets masked) and the restoring patch. */
export interface FixRecord {
  fixId: string;
  cluster: string;
  namespace: string;
  pod: string;
  cause: string;
  channel: string;
  threadTs?: string;
  target: RemediationTarget;
  diff: string[];
  rollback: { patchType: PatchType; patch: unknown };
  appliedBy: string;
  appliedAt: string;
  rolledBackBy?: string;
  rolledBackAt?: string;
}

/** One audit record of an apply or a roll-back. */
export interface FixAuditRecord {
  at: string;
  action: 'apply' | 'roll-back';
  /** Slack user id of whoever pressed the button. */
  who: string;
  cluster: string;
  channel: string;
  fixId: string;
  /** `Server financial-ml/mlserver (mlops.seldon.io/v1alpha1)`. */
  object: string;
  /** Changed lines (`- …`, `+ …`), secrets masked. */
  diff: string[];
  outcome: 'applied' | 'refused' | 'rolled-back';
  reason?: string;
}

export interface FixStoreOptions {
  redis: RedisClient;
  /** The queue prefix (default `podnet`). */
  prefix?: string;
  /** How long records and claims are kept. Default 30 days. */
  ttlSeconds?: number;
  /** Audit records kept per cluster (oldest dropped). Default 1000. */
  auditMax?: number;
}

/** `Server financial-ml/mlserver (mlops.seldon.io/v1alpha1)`. */
export function objectName(t: RemediationTarget): string {
  return `${t.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name} (${t.apiVersion})`;
}

/** The changed lines of a diff, secrets masked (a literal env value may be a password). */
export function changedLines(diff: readonly string[]): string[] {
  return diff.filter((l) => l.startsWith('- ') || l.startsWith('+ ')).map((l) => redactSecrets(`${l[0]} ${l.slice(2).trim()}`));
}

export class FixStore {
  private readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly auditMax: number;

  constructor(options: FixStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? 'podnet';
    this.ttl = options.ttlSeconds ?? 30 * 24 * 3600;
    this.auditMax = options.auditMax ?? 1000;
  }

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** True the first time `what` is claimed for `fixId` (SET NX), false after. */
  async claim(fixId: string, what: 'apply' | 'roll-back'): Promise<boolean> {
    return (await this.redis.set(this.key('fix-claim', fixId, what), '1', 'EX', this.ttl, 'NX')) === 'OK';
  }

  async save(record: FixRecord): Promise<void> {
    await this.redis.set(this.key('fix', record.fixId), JSON.stringify({ ...record, diff: record.diff.map(redactSecrets) }), 'EX', this.ttl);
  }

  async get(fixId: string): Promise<FixRecord | undefined> {
    const raw = await this.redis.get(this.key('fix', fixId));
    return raw ? (JSON.parse(raw) as FixRecord) : undefined;
  }

  /** Appends an audit record (newest first, capped) and logs it as one structured line. */
  async audit(record: FixAuditRecord, logger?: Logger): Promise<void> {
    const rec = { ...record, diff: changedLines(record.diff) };
    logger?.info({ audit: 'fix', ...rec }, `fix ${rec.action} ${rec.outcome}: ${rec.object} by ${rec.who}`);
    const key = this.key('fix-audit', record.cluster);
    await this.redis.multi().lpush(key, JSON.stringify(rec)).ltrim(key, 0, this.auditMax - 1).exec();
  }

  /** The newest `count` audit records of a cluster. */
  async auditTrail(cluster: string, count = 100): Promise<FixAuditRecord[]> {
    const rows = await this.redis.lrange(this.key('fix-audit', cluster), 0, count - 1);
    return rows.map((r) => JSON.parse(r) as FixAuditRecord);
  }
}
