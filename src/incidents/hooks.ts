/**
 * The worker side of incidents: finds the incident a job answers in (by its thread) and
 * appends timeline entries once per key, so a job that BullMQ runs again (after a crash or a
 * retry) does not write the same entry twice.
 */
import type { RedisClient } from '../queue/redis.js';
import type { Diagnosis } from '../analysis/types.js';
import type { Evidence } from '../evidence.js';
import { boundChartModel, timelineChartModel } from '../render/timeline-chart.js';
import { IncidentStore } from './store.js';
import type { Incident, IncidentEntry } from './types.js';

/** How many quoted evidence lines a finding carries into the timeline. */
export const FINDING_EVIDENCE_LINES = 5;

/**
 * The evidence lines a finding keeps: one of each kind first (a socket row, an event, a status
 * field, a dial, a log line…), in the hypothesis's order, then the rest — so a postmortem
 * quotes the listener AND the refused probes AND the client's refusals, not five of one kind.
 */
function pickEvidence<T extends { kind: string }>(items: T[], max: number): T[] {
  const firstOfKind = items.filter((e, i) => items.findIndex((x) => x.kind === e.kind) === i);
  const chosen = new Set(firstOfKind.slice(0, max));
  for (const e of items) if (chosen.size < max) chosen.add(e);
  return items.filter((e) => chosen.has(e));
}

/**
 * Pure: the timeline entry of a check's top finding — cause, confidence, fix and up to five
 * quoted evidence lines (`source: text`) — and, given the check's evidence, the bounded model
 * of its timeline chart (drawn into the postmortem at `incident close`).
 */
export function findingEntry(diagnosis: Diagnosis, at: string, checked?: Evidence): IncidentEntry {
  const top = diagnosis.hypotheses[0];
  const target = `${diagnosis.target.namespace}/${diagnosis.target.pod}`;
  const chart = checked ? { chart: boundChartModel(timelineChartModel(diagnosis, checked)) } : {};
  if (!top) return { at, kind: 'finding', who: 'podnet', text: `check of ${target}: no hypothesis`, cause: 'unknown', confidence: 0, target, ...chart };
  const evidence = pickEvidence(top.evidence, FINDING_EVIDENCE_LINES)
    .map((e) => `${e.at ? `${e.at} ` : ''}${e.source ? `${e.source}: ` : ''}${e.text}`.replace(/\s+/g, ' ').trim());
  return {
    at,
    kind: 'finding',
    who: 'podnet',
    text: `check of ${target}: ${top.cause} — ${top.summary}`,
    cause: top.cause,
    confidence: top.confidence,
    fix: top.fix,
    evidence,
    target,
    ...chart,
  };
}

export interface IncidentRecorderOptions {
  redis: RedisClient;
  /** Key prefix, the same as the queues' (default `podnet`). */
  prefix?: string;
  /** How long an entry's dedup key is kept. Default 7 days (longer than any job's retries). */
  dedupTtlSeconds?: number;
}

/** Worker-side incident access: lookup by thread and at-most-once appends. */
export class IncidentRecorder {
  readonly store: IncidentStore;
  private readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly ttl: number;

  constructor(options: IncidentRecorderOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? 'podnet';
    this.ttl = options.dedupTtlSeconds ?? 7 * 24 * 3600;
    this.store = new IncidentStore({ redis: options.redis, prefix: this.prefix });
  }

  /** The incident whose thread a job answers in, if any (open or closed). */
  async incidentOf(slack: { channel: string; threadTs?: string }): Promise<Incident | undefined> {
    if (slack.threadTs === undefined) return undefined;
    return this.store.byThread(slack.channel, slack.threadTs);
  }

  /**
   * Appends `entry` unless an entry with the same `key` was appended before. Returns whether
   * it was appended. Entries are not added to a closed incident's timeline.
   */
  async appendOnce(incident: Incident, key: string, entry: IncidentEntry): Promise<boolean> {
    if (incident.status === 'closed') return false;
    const claimed = await this.redis.set(`${this.prefix}:incident-entry:${incident.id}:${key}`, '1', 'EX', this.ttl, 'NX');
    if (claimed !== 'OK') return false;
    await this.store.append(incident.id, entry);
    return true;
  }

  /**
   * The hook jobs/check.ts calls after posting a check: when the check answered in an
   * incident's thread, its top finding becomes a `finding` entry (with its chart's model when
   * the evidence is given).
   */
  async onFinding(slack: { channel: string; threadTs?: string }, jobId: string, diagnosis: Diagnosis, at: Date = new Date(), evidence?: Evidence): Promise<void> {
    const incident = await this.incidentOf(slack);
    if (!incident) return;
    await this.appendOnce(incident, `finding-${jobId}`, findingEntry(diagnosis, at.toISOString(), evidence));
  }
}
