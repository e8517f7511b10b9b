/**
 * A watch's state in Redis, shared by the bot (start, stop) and the workers (each run): what
 * is watched and where it answers, the snapshots seen so far (capped), the messages posted,
 * and whether it was stopped. Fields live in one hash so the bot marking a watch stopped and
 * a worker recording a run never overwrite each other.
 *
 * Keys (P = the queue prefix, e.g. `podnet`):
 * - `P:watch:<id>`          hash: {@link WatchState}
 * - `P:watch:<id>:history`  list of JSON {@link WatchSnapshot}, newest last, capped
 * - `P:watch:<id>:lock`     one run at a time (a slow run must not race the next one)
 * - `P:watches:<channel>`   set of watch ids started in a channel (for `watch stop`)
 */
import type { RedisClient } from '../queue/redis.js';
import type { WatchSnapshot } from './changes.js';

/** Snapshots kept per watch: enough for flap detection over 10 minutes at a 10 s interval. */
export const HISTORY_CAP = 60;

export interface WatchState {
  id: string;
  /** The command that started this incarnation of the watch; runs of an older one are stale. */
  requestId: string;
  cluster: string;
  namespace: string;
  pod: string;
  channel: string;
  /** The thread the command came from (an incident's), if any. */
  threadTs?: string;
  user: string;
  everyMs: number;
  /** Wall-clock ms: the watch ends at its first run at or after this. */
  endsAt: number;
  startedAt: number;
  maxRuns: number;
  runs: number;
  /** Change messages posted (the baseline and the flap message not counted). */
  changes: number;
  /** ts of the baseline message (the one with the Stop button). */
  baselineTs?: string;
  /** The baseline snapshot (JSON): the history is capped, the baseline must outlive it. */
  baseline?: string;
  /** The id of the last job whose run was recorded (a re-run after a crash records nothing twice). */
  lastJob?: string;
  /** Set while a flap episode is on, so it is announced once. */
  flapping?: string;
  /** Set while checks fail, so the failure is announced once. */
  failing?: string;
  stoppedAt?: number;
  stoppedBy?: string;
  endedAt?: number;
  /** Why it ended: `time`, `count`, `gone`, `stopped`. */
  endReason?: string;
  /** Last leading cause and confidence, for the status line. */
  lastCause?: string;
  lastConfidence?: number;
  lastChangeAt?: string;
}

const NUMERIC: (keyof WatchState)[] = ['everyMs', 'endsAt', 'startedAt', 'maxRuns', 'runs', 'changes', 'stoppedAt', 'endedAt', 'lastConfidence'];

function toHash(state: Partial<WatchState>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(state)) if (v !== undefined) out[k] = String(v);
  return out;
}

function fromHash(h: Record<string, string>): WatchState | undefined {
  if (!h.id) return undefined;
  const s: Record<string, unknown> = { ...h };
  for (const k of NUMERIC) if (h[k] !== undefined && h[k] !== '') s[k] = Number(h[k]);
  for (const [k, v] of Object.entries(s)) if (v === '') delete s[k];
  return s as unknown as WatchState;
}

export class WatchStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:watch:${id}`;
  }

  private channelKey(channel: string): string {
    return `${this.prefix}:watches:${channel}`;
  }

  /** Creates (or replaces: a second `watch` of the same pod restarts it) a watch's state. */
  async create(state: WatchState): Promise<void> {
    const key = this.key(state.id);
    // Kept a day past its end, then Redis forgets it.
    const ttl = Math.ceil((state.endsAt - Date.now()) / 1000) + 24 * 3600;
    await this.redis
      .multi()
      .del(key, `${key}:history`, `${key}:lock`)
      .hset(key, toHash(state))
      .expire(key, ttl)
      .sadd(this.channelKey(state.channel), state.id)
      .expire(this.channelKey(state.channel), ttl)
      .exec();
  }

  async get(id: string): Promise<WatchState | undefined> {
    return fromHash(await this.redis.hgetall(this.key(id)));
  }

  /** Sets some fields; an empty string clears one. */
  async set(id: string, fields: Partial<Record<keyof WatchState, string | number>>): Promise<void> {
    await this.redis.hset(this.key(id), fields as Record<string, string | number>);
  }

  /** The watches started in a channel that are still running. */
  async running(channel: string): Promise<WatchState[]> {
    const ids = await this.redis.smembers(this.channelKey(channel));
    const states = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => states[i] === undefined);
    if (gone.length) await this.redis.srem(this.channelKey(channel), ...gone);
    return states.filter((s): s is WatchState => s !== undefined && s.stoppedAt === undefined && s.endedAt === undefined);
  }

  async history(id: string): Promise<WatchSnapshot[]> {
    return (await this.redis.lrange(`${this.key(id)}:history`, 0, -1)).map((j) => JSON.parse(j) as WatchSnapshot);
  }

  /**
   * Records one run atomically: the snapshot joins the history (capped), `runs` goes up and
   * `fields` are set, unless this job was already recorded (a re-run after a crash).
   */
  async recordRun(id: string, jobId: string, snapshot: WatchSnapshot | undefined, fields: Partial<Record<keyof WatchState, string | number>>): Promise<number> {
    const key = this.key(id);
    const recorded = (await this.redis.hget(key, 'lastJob')) === jobId;
    const m = this.redis.multi();
    if (!recorded) {
      if (snapshot) m.rpush(`${key}:history`, JSON.stringify(snapshot)).ltrim(`${key}:history`, -HISTORY_CAP, -1);
      m.hincrby(key, 'runs', 1);
    }
    m.hset(key, { ...fields, lastJob: jobId } as Record<string, string | number>);
    m.expire(`${key}:history`, 2 * 24 * 3600);
    m.hget(key, 'runs');
    const res = await m.exec();
    return Number(res?.at(-1)?.[1] ?? 0);
  }

  /** One run at a time per watch; returns false when another run holds the lock. */
  async lock(id: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.key(id)}:lock`, token, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async unlock(id: string, token: string): Promise<void> {
    await this.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end", 1, `${this.key(id)}:lock`, token);
  }
}
