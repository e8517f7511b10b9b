/**
 * `apply-fix` and `roll-back`: what the *Apply fix* and *Roll back* buttons start (the bot has
 * authorized the presser against the channel policy; src/slack/fix-buttons.ts).
 *
 * apply-fix: re-checks the pod (the same probes, analysis and server-side dry-run as a check)
 * and applies the remediation of the pressed cause only when its patch still hashes to what
 * the summary showed — never the button's word alone. It applies with field manager `podnet`,
 * stores the change with the patch that restores the previous values, audits it, posts the
 * diff in the thread and on the incident's timeline, then verifies (src/remediation/verify.ts)
 * and posts *Fixed — verified* or *Not fixed* with a *Roll back* button.
 *
 * roll-back: applies the stored restoring patch, audits it, posts the diff.
 *
 * Idempotent: the job ids are derived from the press (a double press adds one job), the apply
 * and the roll-back are each claimed once per fix in Redis (a retried job never patches twice),
 * and every post has an idempotency key.
 */
import type { Job } from 'bullmq';
import type { Diagnosis } from '../src/analysis/types.js';
import { describeError } from '../src/errors.js';
import type { Evidence } from '../src/evidence.js';
import { IncidentRecorder } from '../src/incidents/hooks.js';
import type { FixPayload } from '../src/queue/contracts.js';
import { checkRequestOf, runJob, type ProcessorDeps } from '../src/queue/processor-deps.js';
import type { RedisClient } from '../src/queue/redis.js';
import { renderFixApplied, renderFixRefused, renderFixVerdict, renderRolledBack } from '../src/render/fix.js';
import { patchHash } from '../src/render/slack.js';
import { applyRemediation, attachRemediations, rollBack, successorPod } from '../src/remediation/apply.js';
import { changedLines, FixStore, objectName, type FixRecord } from '../src/remediation/fix-store.js';
import { isApplicable } from '../src/remediation/types.js';
import { verifyFix } from '../src/remediation/verify.js';
import type { CauseId } from '../src/analysis/types.js';
import { collectCheckEvidence } from './check.js';

export interface FixJobsOptions {
  connection: RedisClient;
  prefix: string;
  now?: () => Date;
}

/** What a fix job returns (kept on the job). */
export interface FixJobResult {
  outcome: 'refused' | 'verified' | 'not-verified' | 'rolled-back';
  reason?: string;
}

type Msg = { text: string; blocks?: unknown[] };

export function createFixJobs(deps: ProcessorDeps, options: FixJobsOptions): { applyFix(job: Job<FixPayload>): Promise<FixJobResult>; rollBack(job: Job<FixPayload>): Promise<FixJobResult> } {
  const store = new FixStore({ redis: options.connection, prefix: options.prefix });
  const incidents = new IncidentRecorder({ redis: options.connection, prefix: options.prefix });
  const now = options.now ?? (() => new Date());
  const verify = deps.fixVerify ?? { settleMs: 60_000, intervalMs: 5_000, deadlineMs: 300_000 };

  const post = (data: FixPayload, msg: Msg, key: string) =>
    deps.poster.post({ channel: data.slack.channel, text: msg.text, ...(msg.blocks && { blocks: msg.blocks as never }), ...(data.slack.threadTs !== undefined && { thread_ts: data.slack.threadTs }), idempotencyKey: key });

  /** The incident of the thread, else the channel's open one; an `action` entry once per key. */
  async function onTimeline(data: FixPayload, key: string, text: string): Promise<void> {
    const incident = (await incidents.incidentOf(data.slack)) ?? (await incidents.store.openIn(data.slack.channel));
    if (incident) await incidents.appendOnce(incident, key, { at: now().toISOString(), kind: 'action', who: data.slack.user, text, target: `${data.namespace}/${data.pod}` });
  }

  /** One check of the pod, as `podnet check` runs it, with remediations dry-run. */
  async function checkOnce(data: FixPayload, pod: string): Promise<{ evidence: Evidence; diagnosis: Diagnosis }> {
    const evidence = await collectCheckEvidence(deps, checkRequestOf({ ...data, pod }));
    const diagnosis = await attachRemediations(deps.clusterAccess, deps.diagnose(evidence, { now: new Date(evidence.clusterNow ?? evidence.collectedAt) }), evidence);
    return { evidence, diagnosis };
  }

  async function refuse(data: FixPayload, what: string, reason: string, key: string): Promise<FixJobResult> {
    await post(data, renderFixRefused(what, reason), key);
    deps.logger.info({ fixId: data.fixId, reason }, `${what}`);
    return { outcome: 'refused', reason };
  }

  /** Re-plans and applies; the stored record, or why nothing was applied. */
  async function applyOnce(data: FixPayload): Promise<FixRecord | string> {
    const { diagnosis } = await checkOnce(data, data.pod);
    const h = diagnosis.hypotheses.find((x) => x.cause === data.cause);
    if (!h) return `the check no longer finds ${data.cause ?? 'the cause'} (it finds ${diagnosis.hypotheses.map((x) => x.cause).join(', ') || 'nothing'}); press Re-run to see the current state`;
    if (!isApplicable(h.remediation)) return `the fix for ${h.cause} has no patch that passes the server-side dry-run now (${h.remediation?.dryRun?.message ?? h.remediation?.manual ?? 'no patch'})`;
    if (patchHash(h.remediation.patch) !== data.patchHash) return 'the patch the check plans now differs from the one the summary showed (the object changed since); press Re-run and review the new patch';
    // Claimed before the patch: a second job for this fix (a retry after a crash mid-apply) never patches again.
    if (!(await store.claim(data.fixId, 'apply'))) return 'this fix was already applied once (a repeated press or a retried job); see the thread';
    const record: FixRecord = {
      fixId: data.fixId, cluster: data.cluster, namespace: data.namespace, pod: data.pod, cause: h.cause, channel: data.slack.channel,
      ...(data.slack.threadTs !== undefined && { threadTs: data.slack.threadTs }),
      target: h.remediation.target, diff: [], rollback: { patchType: 'json', patch: [] }, appliedBy: data.slack.user, appliedAt: now().toISOString(),
    };
    const audit = { action: 'apply' as const, who: data.slack.user, cluster: data.cluster, channel: data.slack.channel, fixId: data.fixId, object: objectName(h.remediation.target) };
    try {
      const change = await applyRemediation(deps.clusterAccess, h.remediation);
      Object.assign(record, { diff: change.diff, rollback: change.rollback });
    } catch (err) {
      await store.audit({ ...audit, at: now().toISOString(), diff: h.remediation.diff ?? [], outcome: 'refused', reason: describeError(err) }, deps.logger);
      return `the API server refused the patch: ${describeError(err)}`;
    }
    await store.save(record);
    await store.audit({ ...audit, at: record.appliedAt, diff: record.diff, outcome: 'applied' }, deps.logger);
    return record;
  }

  async function applyFix(job: Job<FixPayload>): Promise<FixJobResult> {
    const data = job.data;
    let record = await store.get(data.fixId);
    if (!record) {
      const applied = await applyOnce(data);
      if (typeof applied === 'string') return refuse(data, 'Fix not applied', applied, `${data.fixId}-refused`);
      record = applied;
    }
    await job.updateData({ ...data, state: { step: 'applied' } });
    await post(data, renderFixApplied(record.target, changedLines(record.diff), record.appliedBy, record.cause), `${data.fixId}-applied`);
    await onTimeline(data, `fix-applied-${data.fixId}`, `applied the fix for ${record.cause} to ${objectName(record.target)}: ${changedLines(record.diff).join(' · ')}`);
    // The pod to re-check: the same name (StatefulSet, simulator) or the Deployment's replacement,
    // found through the patched object's selector and controller chain (labels only as a fallback).
    const labels = (await deps.clusterAccess.getPod(data.namespace, data.pod).catch(() => undefined))?.metadata?.labels ?? {};
    const result = await verifyFix({
      cause: record.cause as CauseId,
      check: async () => checkOnce(data, await successorPod(deps.clusterAccess, data.namespace, data.pod, labels, record.target)),
      ...verify,
    });
    await post(data, renderFixVerdict(data.fixId, record.target, result), `${data.fixId}-verdict`);
    await onTimeline(data, `fix-verdict-${data.fixId}`, result.summary);
    deps.logger.info({ fixId: data.fixId, verified: result.verified, checks: result.checks.length }, 'fix verified?');
    await job.updateData({ ...data, state: { step: 'done' } });
    return { outcome: result.verified ? 'verified' : 'not-verified', reason: result.summary };
  }

  async function rollBackJob(job: Job<FixPayload>): Promise<FixJobResult> {
    const data = job.data;
    const record = await store.get(data.fixId);
    if (!record) return refuse(data, 'Not rolled back', 'podnet has no record of this fix (it may have expired); restore the object by hand', `${data.fixId}-rollback-refused`);
    if (!(await store.claim(data.fixId, 'roll-back'))) return refuse(data, 'Not rolled back', 'this fix was already rolled back once', `${data.fixId}-rollback-refused`);
    const audit = { action: 'roll-back' as const, who: data.slack.user, cluster: record.cluster, channel: data.slack.channel, fixId: data.fixId, object: objectName(record.target) };
    let diff: string[];
    try {
      diff = await rollBack(deps.clusterAccess, record);
    } catch (err) {
      await store.audit({ ...audit, at: now().toISOString(), diff: record.diff, outcome: 'refused', reason: describeError(err) }, deps.logger);
      return refuse(data, 'Not rolled back', `the API server refused the restoring patch: ${describeError(err)} (the fields the fix changed were changed again since; restore them by hand)`, `${data.fixId}-rollback-refused`);
    }
    const at = now().toISOString();
    await store.save({ ...record, rolledBackBy: data.slack.user, rolledBackAt: at });
    await store.audit({ ...audit, at, diff, outcome: 'rolled-back' }, deps.logger);
    await post(data, renderRolledBack(record.target, changedLines(diff), data.slack.user), `${data.fixId}-rolled-back`);
    await onTimeline(data, `fix-rolled-back-${data.fixId}`, `rolled back the fix to ${objectName(record.target)}: ${changedLines(diff).join(' · ')}`);
    return { outcome: 'rolled-back' };
  }

  return {
    applyFix: (job) => runJob(() => applyFix(job)),
    rollBack: (job) => runJob(() => rollBackJob(job)),
  };
}
