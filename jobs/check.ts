/**
 * `check` (flow parent): runs once `probe` and `collect-logs` are done (or failed for good),
 * merges their evidence, runs the analysis and posts: the progress message is updated in place
 * to the summary, and the detail goes to its thread. Every post is keyed by this job's id, so
 * a re-run after a crash posts nothing twice.
 */
import type { Job } from 'bullmq';
import type { Evidence, Step } from '../src/evidence.js';
import {
  postKeys,
  type CheckPayload,
  type CheckResult,
  type CollectLogsResult,
  type ProbeResult,
} from '../src/queue/contracts.js';
import { runJob, type ProcessorDeps } from '../src/queue/processor-deps.js';
import { postProgress } from './probe.js';

type ChildResult = ProbeResult | CollectLogsResult;

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
  return { ...probe.evidence, logs: [...probe.evidence.logs, ...(logs?.logs ?? [])], steps };
}

export function createCheckProcessor(deps: ProcessorDeps): (job: Job<CheckPayload, CheckResult>) => Promise<CheckResult> {
  return (job) =>
    runJob(async () => {
      const data = job.data;
      const jobId = job.id ?? data.requestId;
      const values = Object.values(await job.getChildrenValues<ChildResult>());
      const failures = Object.entries(await job.getIgnoredChildrenFailures()).map(([key, reason]) => ({ name: childName(key), reason }));
      const probe = values.find((v): v is ProbeResult => v?.kind === 'probe');
      const logs = values.find((v): v is CollectLogsResult => v?.kind === 'collect-logs');
      const target = { namespace: data.namespace, pod: data.pod };
      const channel = data.slack.channel;

      // Normally the probe child posted it; if it failed before, this posts it (same key).
      const ts = probe?.progressTs ?? (await postProgress(deps, jobId, data));

      if (!probe) {
        const reason = failures.find((f) => f.name === 'probe')?.reason ?? 'the probe did not run';
        const msg = deps.renderProgress(target, `Could not check ${data.pod} in ${data.namespace}: ${reason}`);
        if (ts !== undefined) {
          await deps.poster.update({ channel, ts, text: msg.text, blocks: msg.blocks ?? [] });
        }
        return { error: reason, ...(ts !== undefined && { messageTs: ts }), threadPosts: 0, failedChildren: failures };
      }

      const evidence = mergeEvidence(probe, logs, failures.find((f) => f.name === 'collect-logs')?.reason);
      // The cluster's clock, not the worker's: ages and "N s after the restart" must match the cluster.
      const diagnosis = deps.diagnose(evidence, { now: new Date(evidence.clusterNow ?? evidence.collectedAt) });

      const summary = deps.renderSummary(diagnosis);
      if (ts !== undefined && !data.posted?.summary) {
        await deps.poster.update({ channel, ts, text: summary.text, blocks: summary.blocks ?? [] });
        // Remember the update on the job itself: a re-run after a crash must not update again.
        await job.updateData({ ...data, posted: { ...data.posted, summary: true } });
      }

      const thread = deps.renderThread(diagnosis, evidence);
      const threadTs = data.slack.threadTs ?? ts;
      for (const [i, msg] of thread.entries()) {
        await deps.poster.post({
          channel,
          text: msg.text,
          ...(msg.blocks && { blocks: msg.blocks }),
          ...(threadTs !== undefined && { thread_ts: threadTs }),
          idempotencyKey: postKeys.thread(jobId, i),
        });
      }
      deps.logger.info({ jobId, pod: data.pod, namespace: data.namespace, top: diagnosis.hypotheses[0]?.cause }, 'check posted');
      return { diagnosis, ...(ts !== undefined && { messageTs: ts }), threadPosts: thread.length, failedChildren: failures };
    });
}
