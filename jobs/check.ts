/**
 * `check` (the parent). Two steps, kept on the job's data so a re-run resumes:
 *
 * 1. Post the channel message "Checking POD in NS…", add the children `probe` and
 *    `collect-logs` (with `parent` set; deterministic ids, so a re-run adds nothing twice),
 *    and wait for them (`moveToWaitingChildren` + WaitingChildrenError: BullMQ parks the job
 *    in waiting-children and runs it again when the children are done or failed for good).
 * 2. Merge the children's evidence, run the analysis, update the progress message in place
 *    to the summary and post the detail in its thread.
 *
 * Every post is keyed by this job's id, so a re-run after a crash posts nothing twice.
 *
 * Once the cluster has been read, a Slack failure never fails or retries the job (a retry
 * would read the cluster again): an update Slack refuses becomes a new message, each thread
 * reply stands alone (one refused reply does not lose the others), a failed evidence upload
 * is noted, and whatever could not be posted is told to the person who asked
 * (PosterLike.tellUser: response_url → ephemeral → DM).
 */
import { WaitingChildrenError, type Job, type JobsOptions, type Queue } from 'bullmq';
import { describeError } from '../src/errors.js';
import type { Evidence, Step } from '../src/evidence.js';
import type { TimelineChartSource } from '../src/render/timeline-chart.js';
import {
  childJobId,
  JOB_NAMES,
  postKeys,
  type CheckPayload,
  type CheckResult,
  type CollectLogsResult,
  type ProbeResult,
} from '../src/queue/contracts.js';
import { runJob, type CheckRequestLike, type ProcessorDeps } from '../src/queue/processor-deps.js';
import { attachRemediations } from '../src/remediation/apply.js';
import { describeJobCommand, undeliveredText, userTarget } from '../src/queue/report-failure.js';
import { redactDeep, redactSecrets } from '../src/logscan/redact.js';
import { findSlackCallError, type SlackCallError } from '../src/slack/slack-errors.js';
import { escapeSlackText } from '../src/slack/text.js';

type ChildResult = ProbeResult | CollectLogsResult;

export interface CheckProcessorOptions {
  /** The queue the children run on (this cluster's `probes` queue). */
  probes: Queue;
  /** Options of each child: attempts and backoff; `ignoreDependencyOnFailure` is added here. */
  childOptions: JobsOptions;
}

/** `prefix:queue:check-…-probe` → `probe`; `…-logs` → `collect-logs`. */
function childName(key: string): string {
  if (key.endsWith('-probe')) return 'probe';
  if (key.endsWith('-logs')) return 'collect-logs';
  return key.slice(key.lastIndexOf(':') + 1);
}

/** Merges the two children's evidence into one Evidence; a failed log child becomes a failed step. */
export function mergeEvidence(probe: ProbeResult, logs: CollectLogsResult | undefined, logsFailure: string | undefined): Evidence {
  const steps: Step[] = [...probe.evidence.steps, ...(logs?.steps ?? [])];
  if (!logs) steps.push({ name: 'logs', ok: false, error: logsFailure ?? 'log collection did not finish', code: 'internal' });
  // Redacted again here: the children's results come back through Redis from workers that may
  // run an older version, and the failure reasons are free text.
  return redactDeep({ ...probe.evidence, logs: [...probe.evidence.logs, ...(logs?.logs ?? [])], steps });
}

/** The pod's evidence as a check gathers it (probe and logs side by side, merged), for jobs that re-check in place. */
export async function collectCheckEvidence(deps: Pick<ProcessorDeps, 'collectEvidence' | 'collectLogs' | 'clusterAccess'>, request: CheckRequestLike): Promise<Evidence> {
  const [probe, logs] = await Promise.all([
    deps.collectEvidence(deps.clusterAccess, request, { skipLogs: true }),
    deps.collectLogs(deps.clusterAccess, request, undefined).then(
      (r) => ({ ok: true as const, r }),
      (err: unknown) => ({ ok: false as const, reason: describeError(err) }),
    ),
  ]);
  return mergeEvidence({ kind: 'probe', evidence: probe }, logs.ok ? { kind: 'collect-logs', ...logs.r } : undefined, logs.ok ? undefined : logs.reason);
}

export interface TimelineChartPost {
  channel: string;
  threadTs?: string;
  /** What the chart is drawn from: the diagnosis and evidence (a window of it), or a kept model. */
  chart: TimelineChartSource;
  filename: string;
  title: string;
  initialComment?: string;
  idempotencyKey: string;
}

/**
 * Draws the timeline chart and uploads it into the thread, once per key (a re-run finds the
 * key and uploads nothing). The chart adds to the text replies and never replaces them, so a
 * chart that cannot be drawn or uploaded (e.g. the app lacks files:write) is logged and
 * skipped instead of failing the job. Returns the file id when it was uploaded.
 */
export async function postTimelineChart(deps: Pick<ProcessorDeps, 'poster' | 'logger' | 'renderTimelinePng'>, post: TimelineChartPost): Promise<string | undefined> {
  if (!deps.renderTimelinePng || !deps.poster.uploadFile) return undefined;
  try {
    const png = await deps.renderTimelinePng(post.chart);
    const res = await deps.poster.uploadFile({
      channel: post.channel,
      ...(post.threadTs !== undefined && { thread_ts: post.threadTs }),
      filename: post.filename,
      title: post.title,
      content: png,
      ...(post.initialComment !== undefined && { initialComment: post.initialComment }),
      idempotencyKey: post.idempotencyKey,
    });
    return res.fileId;
  } catch (err) {
    deps.logger.warn({ key: post.idempotencyKey, err: describeError(err) }, 'timeline chart not posted');
    return undefined;
  }
}

/** Posts (idempotently) the progress message of a check; returns its ts. */
export async function postProgress(deps: ProcessorDeps, jobId: string, data: CheckPayload): Promise<string | undefined> {
  const msg = deps.renderProgress({ namespace: data.namespace, pod: data.pod }, `Checking ${data.pod} in ${data.namespace}…`);
  const res = await deps.poster.post({
    channel: data.slack.channel,
    text: msg.text,
    ...(msg.blocks && { blocks: msg.blocks }),
    ...(data.slack.threadTs !== undefined && { thread_ts: data.slack.threadTs }),
    idempotencyKey: postKeys.progress(jobId),
  });
  return res?.ts;
}

export function createCheckProcessor(
  deps: ProcessorDeps,
  options: CheckProcessorOptions,
): (job: Job<CheckPayload, CheckResult>, token?: string) => Promise<CheckResult> {
  const childOpts: JobsOptions = { ...options.childOptions, ignoreDependencyOnFailure: true };

  async function startChildren(job: Job<CheckPayload, CheckResult>, jobId: string): Promise<void> {
    const { state: _state, ...data } = job.data;
    const progressTs = await postProgress(deps, jobId, data);
    const parent = { id: jobId, queue: job.queueQualifiedName };
    await options.probes.addBulk([
      { name: JOB_NAMES.probe, data, opts: { ...childOpts, jobId: childJobId(jobId, 'probe'), parent } },
      { name: JOB_NAMES.collectLogs, data, opts: { ...childOpts, jobId: childJobId(jobId, 'collect-logs'), parent } },
    ]);
    await job.updateData({ ...data, state: { step: 'children', ...(progressTs !== undefined && { progressTs }) } });
  }

  async function finish(job: Job<CheckPayload, CheckResult>, jobId: string): Promise<CheckResult> {
    const data = job.data;
    const values = Object.values(await job.getChildrenValues<ChildResult>());
    const failures = Object.entries(await job.getIgnoredChildrenFailures()).map(([key, reason]) => ({ name: childName(key), reason }));
    const probe = values.find((v): v is ProbeResult => v?.kind === 'probe');
    const logs = values.find((v): v is CollectLogsResult => v?.kind === 'collect-logs');
    const target = { namespace: data.namespace, pod: data.pod };
    const channel = data.slack.channel;
    const ts = data.state?.progressTs;
    const alreadyUpdated = data.state?.step === 'posted';

    if (!probe) {
      const reason = failures.find((f) => f.name === 'probe')?.reason ?? 'the probe did not run';
      const msg = deps.renderProgress(target, `Could not check ${data.pod} in ${data.namespace}: ${reason}`);
      if (ts !== undefined && !alreadyUpdated) await deps.poster.update({ channel, ts, text: msg.text, blocks: msg.blocks ?? [] });
      return { error: reason, ...(ts !== undefined && { messageTs: ts }), threadPosts: 0, failedChildren: failures };
    }

    const evidence = mergeEvidence(probe, logs, failures.find((f) => f.name === 'collect-logs')?.reason);
    // The cluster's clock, not the worker's: ages and "N s after the restart" must match the cluster.
    const diagnosed = deps.diagnose(evidence, { now: new Date(evidence.clusterNow ?? evidence.collectedAt) });
    // Each fix as a patch to the object that owns the setting, validated by server-side dry-run.
    const diagnosis = await attachRemediations(deps.clusterAccess, diagnosed, evidence);

    // *Apply fix* is offered only to someone the channel policy lets take intrusive actions.
    const summary = deps.renderSummary(diagnosis, { applyFix: data.slack.mayIntrude === true });
    // What could not be posted, told to the user at the end (one notice, not one per failure).
    const undelivered: { what: string; err: SlackCallError }[] = [];
    const slackFailure = (what: string, err: unknown): void => {
      const s = findSlackCallError(err);
      if (!s) throw err;
      deps.logger.warn({ jobId, what, slackCode: s.slackCode }, 'slack refused a post of the check');
      undelivered.push({ what, err: s });
    };
    let summaryTs = ts;
    if (ts !== undefined && !alreadyUpdated) {
      try {
        await deps.poster.update({ channel, ts, text: summary.text, blocks: summary.blocks ?? [] });
      } catch (err) {
        if (!findSlackCallError(err)) throw err;
        // The "Checking…" message cannot be edited (deleted, edit window, …): post the summary
        // anew so the channel does not keep saying "Checking…" with no answer. If the channel
        // refuses that too, the error fails the job and the failed handler tells the user.
        deps.logger.warn({ jobId, err: String(err) }, 'could not update the progress message; posting the summary as a new message');
        const res = await deps.poster.post({ channel, text: summary.text, ...(summary.blocks && { blocks: summary.blocks }), ...(data.slack.threadTs !== undefined && { thread_ts: data.slack.threadTs }), idempotencyKey: `${jobId}-summary` });
        summaryTs = res?.ts ?? ts;
      }
      // Remember the update on the job itself: a re-run after a crash must not update again.
      await job.updateData({ ...data, state: { ...data.state, step: 'posted', ...(summaryTs !== undefined && { progressTs: summaryTs }) } });
    }

    const thread = deps.renderThread(diagnosis, evidence);
    const threadTs = data.slack.threadTs ?? summaryTs;
    let threadPosts = 0;
    let timelineFileId: string | undefined;
    for (const [i, msg] of thread.entries()) {
      try {
        await deps.poster.post({
          channel,
          text: msg.text,
          ...(msg.blocks && { blocks: msg.blocks }),
          ...(threadTs !== undefined && { thread_ts: threadTs }),
          idempotencyKey: postKeys.thread(jobId, i),
        });
        threadPosts++;
      } catch (err) {
        slackFailure(`thread reply ${i + 1} of ${thread.length}`, err);
      }
      // The timeline chart goes with the first reply, where the story is told.
      if (i === 0) {
        timelineFileId = await postTimelineChart(deps, {
          channel,
          ...(threadTs !== undefined && { threadTs }),
          chart: { diagnosis, evidence },
          filename: `${data.pod}-timeline.png`,
          title: `Timeline of ${data.pod} in ${data.namespace} (cluster time, UTC)`,
          idempotencyKey: `${jobId}-timeline`,
        });
      }
    }
    if (data.evidence && deps.poster.uploadFile) {
      // Evidence is already masked (env values, log lines); redact once more before it leaves.
      try {
        await deps.poster.uploadFile({
          channel,
          ...(threadTs !== undefined && { thread_ts: threadTs }),
          filename: `${data.pod}-evidence.json`,
          title: `Evidence of the check of ${data.pod} in ${data.namespace} (re-analyse with podnet analyze FILE)`,
          content: redactSecrets(JSON.stringify(evidence, null, 2)),
          idempotencyKey: `${jobId}-evidence`,
        });
      } catch (err) {
        slackFailure('the evidence file', err);
      }
    }
    const asker = userTarget(data);
    if (undelivered.length > 0 && asker && deps.poster.tellUser) {
      const first = undelivered[0]!;
      const what = `${undelivered.map((u) => u.what).join(', ')} of \`${escapeSlackText(describeJobCommand('check', data))}\` (the summary is in the channel)`;
      await deps.poster.tellUser(asker, undeliveredText(what, channel, first.err), { onceKey: `${jobId}-partial` });
    }
    await deps.onFinding?.({ channel, ...(threadTs !== undefined && { threadTs }) }, jobId, diagnosis, evidence);
    deps.logger.info({ jobId, pod: data.pod, namespace: data.namespace, top: diagnosis.hypotheses[0]?.cause }, 'check posted');
    return { diagnosis, ...(summaryTs !== undefined && { messageTs: summaryTs }), threadPosts, ...(timelineFileId !== undefined && { timelineFileId }), failedChildren: failures, ...(undelivered.length > 0 && { undelivered: undelivered.map((u) => `${u.what}: ${u.err.slackCode}`) }) };
  }

  return (job, token) =>
    runJob(async () => {
      const jobId = job.id ?? job.data.requestId;
      if (job.data.state === undefined) await startChildren(job, jobId);
      // Parks the job until both children are done; false when they already are (a re-run).
      if (token !== undefined && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
      return finish(job, jobId);
    });
}
