/**
 * What the job processors need from the rest of podnet, as narrow injectable functions. The
 * worker entry point wires the real ones (probes, analysis, render, Slack poster); tests and
 * the worker benchmark inject fakes. Declared structurally so jobs/ depends on shapes, not
 * on modules.
 */
import { UnrecoverableError } from 'bullmq';
import type { Diagnosis, RuleContext } from '../analysis/types.js';
import type { ClusterAccess } from '../cluster/types.js';
import type { Evidence, LogEvidence, Step } from '../evidence.js';
import type { CheckRequest } from '../probes/collect.js';
import type { TimelineChartSource } from '../render/timeline-chart.js';
import type { SweepResult } from '../sweep/sweep.js';
import { describeError, isPermanent } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SlackBlock, TellRoute, UploadFile, UserTarget } from '../slack/poster.js';
import { findSlackCallError } from '../slack/slack-errors.js';

/** A Slack message as the renderers produce it: fallback text plus Block Kit blocks. */
export interface RenderedMessage {
  text: string;
  blocks?: SlackBlock[];
}

/**
 * The part of SlackPoster (src/slack/poster.ts) the workers use. `post` is idempotent by key
 * (stored in Redis): a second post with a key already posted updates that message instead.
 */
export interface PosterLike {
  post(msg: { channel: string; text: string; blocks?: SlackBlock[]; thread_ts?: string; idempotencyKey: string }): Promise<{ ts?: string } | undefined | void>;
  /** Blocks are always sent: an update without them would wipe the message's blocks. */
  update(msg: { channel: string; ts: string; text: string; blocks: SlackBlock[] }): Promise<unknown>;
  /** SlackPoster.uploadFile (idempotent by key). Optional: without it, `logs` posts no file. */
  uploadFile?(file: UploadFile): Promise<{ fileId: string; reused?: boolean }>;
  /**
   * SlackPoster.tellUser: reaches the person who asked (response_url → ephemeral → DM) when
   * podnet could not post where it meant to. Never throws. Optional: fakes may omit it.
   */
  tellUser?(target: UserTarget, text: string, options?: { onceKey?: string }): Promise<TellRoute>;
}

/** The probe request: src/probes/collect.ts CheckRequest. */
export type CheckRequestLike = CheckRequest;

/**
 * The probe request a job's payload names: its namespace and pod, and the client, server and
 * port when given (absent ones are left out, not set to undefined).
 */
export function checkRequestOf(data: Pick<CheckRequest, 'namespace' | 'pod' | 'client' | 'server' | 'port'>): CheckRequestLike {
  return {
    namespace: data.namespace,
    pod: data.pod,
    ...(data.client !== undefined && { client: data.client }),
    ...(data.server !== undefined && { server: data.server }),
    ...(data.port !== undefined && { port: data.port }),
  };
}

export interface ProcessorDeps {
  clusterAccess: ClusterAccess;
  poster: PosterLike;
  logger: Logger;
  /** src/probes/collect.ts collectEvidence, called with `skipLogs: true`. */
  collectEvidence(cluster: ClusterAccess, request: CheckRequestLike, options: { skipLogs: boolean }): Promise<Evidence>;
  /** src/probes/collect.ts collectLogs (fetches the pod itself when not given). */
  collectLogs(cluster: ClusterAccess, request: CheckRequestLike, pod: undefined): Promise<{ logs: LogEvidence[]; steps: Step[] }>;
  /** src/analysis/diagnose.ts diagnose. */
  diagnose(evidence: Evidence, ctx: RuleContext): Diagnosis;
  /** src/render/slack.ts. */
  /** `applyFix`: offer *Apply fix* when the top cause has a validated patch. */
  renderSummary(d: Diagnosis, options?: { applyFix?: boolean }): RenderedMessage;
  renderThread(d: Diagnosis, evidence?: Evidence): RenderedMessage[];
  renderProgress(target: { namespace: string; pod: string }, status: string): RenderedMessage;
  /**
   * src/render/timeline-chart.ts + chart-png.ts: the timeline chart as PNG bytes, drawn from a
   * diagnosis and its evidence (`window` limits it to an episode) or from a model kept with an
   * incident's finding. Optional: without it (tests, benchmarks) no chart is uploaded.
   */
  renderTimelinePng?(chart: TimelineChartSource): Promise<Buffer>;
  /** src/render/sweep-chart.ts + chart-png.ts: pods by top cause as PNG bytes. Optional, like the timeline. */
  renderSweepChartPng?(result: SweepResult): Promise<Buffer>;
  /**
   * After a check is posted: when it answered in an incident's thread, its top finding lands
   * on the incident's timeline (src/incidents/hooks.ts), with the model of its timeline chart
   * (drawn again for the postmortem). Absent in tests and benchmarks.
   */
  onFinding?(slack: { channel: string; threadTs?: string }, jobId: string, diagnosis: Diagnosis, evidence?: Evidence): Promise<void>;
  /**
   * How an applied fix is verified (jobs/apply-fix.ts): every condition must hold for
   * `settleMs`, checked every `intervalMs`, until `deadlineMs`. Default 60 s / 5 s / 5 min.
   */
  fixVerify?: { settleMs: number; intervalMs: number; deadlineMs: number };
}

/** An UnrecoverableError that keeps what caused it (the `failed` handler reads the cause). */
export function unrecoverable(err: unknown): UnrecoverableError {
  const u = new UnrecoverableError(describeError(err));
  Object.defineProperty(u, 'cause', { value: err, enumerable: false });
  return u;
}

/**
 * Runs a processor body and translates errors for BullMQ: a permanent PodnetError (403, 404,
 * bad input, no tool) becomes an UnrecoverableError so BullMQ fails it at once instead of
 * retrying; so does any Slack failure that got past the poster's own retries (a job retried
 * for Slack's sake would read the cluster again and post again: the poster already waited out
 * 429s and retried 5xx, and the `failed` handler tells the user). Everything else is rethrown
 * and retried with backoff.
 */
export async function runJob<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (isPermanent(err) || findSlackCallError(err)) throw unrecoverable(err);
    throw err;
  }
}
