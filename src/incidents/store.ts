/**
 * Incident records in Redis. One hash per incident, one list for its timeline, and an index
 * from Slack thread to incident so any command run inside the thread lands on the timeline.
 * Keys: `<prefix>:incident:<id>`, `<prefix>:incident:<id>:timeline`,
 * `<prefix>:incident-thread:<channel>:<threadTs>`, `<prefix>:incident-open:<channel>`.
 */
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../queue/redis.js';
import { PodnetError } from '../errors.js';
import { redactDeep, redactSecrets } from '../logscan/redact.js';
import type { Incident, IncidentEntry } from './types.js';

/** Longest text of a timeline entry: entries are one line each. */
const MAX_ENTRY_CHARS = 4000;

export interface IncidentStoreOptions {
  redis: RedisClient;
  /** Key prefix; default `podnet`. */
  prefix?: string;
}

export class IncidentStore {
  private readonly redis: RedisClient;
  private readonly prefix: string;

  constructor(options: IncidentStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? 'podnet';
  }

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** Opens an incident on a thread. A channel has at most one open incident at a time. */
  async open(input: { title: string; channel: string; threadTs: string; openedBy: string; at: Date }): Promise<Incident> {
    const stamp = input.at.toISOString().slice(0, 10).replace(/-/g, '');
    const incident: Incident = {
      id: `inc-${stamp}-${randomBytes(3).toString('hex')}`,
      title: redactSecrets(input.title),
      channel: input.channel,
      threadTs: input.threadTs,
      openedBy: input.openedBy,
      openedAt: input.at.toISOString(),
      status: 'open',
    };
    // NX on the channel's open slot makes two concurrent `incident open`s safe.
    const claimed = await this.redis.set(this.key('incident-open', input.channel), incident.id, 'NX');
    if (claimed !== 'OK') {
      const current = await this.openIn(input.channel);
      throw new PodnetError('bad-input', `this channel already has an open incident${current ? `: "${current.title}" (${current.id})` : ''}; close it with \`/podnet incident close\` first`);
    }
    await this.redis
      .multi()
      .set(this.key('incident', incident.id), JSON.stringify(incident))
      .set(this.key('incident-thread', input.channel, input.threadTs), incident.id)
      .exec();
    await this.append(incident.id, { at: incident.openedAt, kind: 'opened', who: input.openedBy, text: `Incident opened: ${input.title}` });
    return incident;
  }

  async get(id: string): Promise<Incident | undefined> {
    const raw = await this.redis.get(this.key('incident', id));
    return raw ? (JSON.parse(raw) as Incident) : undefined;
  }

  /** The incident whose thread this is, if any. */
  async byThread(channel: string, threadTs: string): Promise<Incident | undefined> {
    const id = await this.redis.get(this.key('incident-thread', channel, threadTs));
    return id ? this.get(id) : undefined;
  }

  /** The channel's open incident, if any. */
  async openIn(channel: string): Promise<Incident | undefined> {
    const id = await this.redis.get(this.key('incident-open', channel));
    return id ? this.get(id) : undefined;
  }

  /** Appends one timeline entry; its texts are stored redacted (they reach the summary and the postmortem). */
  async append(id: string, entry: IncidentEntry): Promise<void> {
    await this.redis.rpush(this.key('incident', id, 'timeline'), JSON.stringify(redactDeep(entry, MAX_ENTRY_CHARS)));
  }

  async timeline(id: string): Promise<IncidentEntry[]> {
    const raw = await this.redis.lrange(this.key('incident', id, 'timeline'), 0, -1);
    return raw.map((r) => JSON.parse(r) as IncidentEntry);
  }

  async close(id: string, by: string, at: Date): Promise<Incident> {
    const incident = await this.get(id);
    if (!incident) throw new PodnetError('not-found', `incident ${id} not found`);
    if (incident.status === 'closed') return incident;
    const closed: Incident = { ...incident, status: 'closed', closedAt: at.toISOString(), closedBy: by };
    await this.redis.set(this.key('incident', id), JSON.stringify(closed));
    // Free the channel's slot only if it still points at this incident.
    const slot = this.key('incident-open', incident.channel);
    if ((await this.redis.get(slot)) === id) await this.redis.del(slot);
    await this.append(id, { at: closed.closedAt!, kind: 'closed', who: by, text: 'Incident closed' });
    return closed;
  }
}
