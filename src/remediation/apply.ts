/**
 * Remediation against the cluster: owners resolved once per check, every planned patch
 * validated by server-side dry-run (`dryRun=All`) before it is offered, applied with field
 * manager `podnet`, and rolled back by restoring the spec fields the patch changed.
 */
import type { Diagnosis } from '../analysis/types.js';
import type { ClusterAccess, KubeObject } from '../cluster/types.js';
import type { Evidence } from '../evidence.js';
import { describeError } from '../errors.js';
import { specDiff } from './diff.js';
import { resolveOwners, type OwnerChain } from './owners.js';
import { planRemediation } from './plan.js';
import type { PatchType, Remediation, RemediationTarget } from './types.js';

/** The field manager podnet's writes carry (recorded in managedFields). */
export const FIELD_MANAGER = 'podnet';

/** Runs the patch with `dryRun=All` and records the verdict and the diff. */
export async function validateRemediation(cluster: ClusterAccess, r: Remediation): Promise<Remediation> {
  if (!r.target || r.patch === undefined || !r.patchType) return r;
  try {
    const before = await cluster.getObject(r.target);
    const after = await cluster.patchObject(r.target, r.patchType, r.patch, { dryRun: true, fieldManager: FIELD_MANAGER });
    const diff = specDiff(before, after);
    if (diff.length === 0) return { ...r, diff, dryRun: { ok: false, message: 'the server accepted the patch but it changes nothing: the setting is already as the fix wants it' } };
    return { ...r, diff, dryRun: { ok: true, message: 'server-side dry-run (dryRun=All) accepted the patch' } };
  } catch (err) {
    return { ...r, dryRun: { ok: false, message: `server-side dry-run refused: ${describeError(err)}` } };
  }
}

/**
 * The diagnosis with a remediation on each hypothesis: owners resolved once (a failure is
 * recorded, never thrown), each patch planned and dry-run.
 */
export async function attachRemediations(cluster: ClusterAccess, diagnosis: Diagnosis, evidence: Evidence): Promise<Diagnosis> {
  if (!evidence.pod || diagnosis.hypotheses.every((h) => h.cause === 'unknown')) return diagnosis;
  let chain: OwnerChain | undefined;
  try {
    chain = await resolveOwners(cluster, evidence.target.namespace, evidence.target.pod);
  } catch {
    chain = undefined;
  }
  const hypotheses = await Promise.all(
    diagnosis.hypotheses.map(async (h) => {
      const planned = planRemediation(h, evidence, chain);
      if (!planned) return h;
      return { ...h, remediation: await validateRemediation(cluster, planned) };
    }),
  );
  return { ...diagnosis, hypotheses };
}

/**
 * A JSON patch that puts back the spec fields `after` changed. Each field is first tested to
 * still hold the value the apply left (RFC 6902 `test`: the whole patch fails, 422, if any test
 * fails, https://datatracker.ietf.org/doc/html/rfc6902#section-4.6), so a roll-back never
 * undoes someone's later change to those fields. Not the resourceVersion: controllers bump it
 * with every status write (a Deployment's rollout, Seldon's operator), which would refuse every
 * roll-back on a live cluster.
 */
export function rollbackPatch(before: KubeObject, after: KubeObject): unknown[] {
  const b = (before.spec ?? {}) as Record<string, unknown>;
  const a = (after.spec ?? {}) as Record<string, unknown>;
  const tests: unknown[] = [];
  const ops: unknown[] = [];
  for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (JSON.stringify(b[k]) === JSON.stringify(a[k])) continue;
    const path = `/spec/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (k in a) tests.push({ op: 'test', path, value: a[k] });
    if (!(k in b)) ops.push({ op: 'remove', path });
    else ops.push({ op: k in a ? 'replace' : 'add', path, value: b[k] });
  }
  return [...tests, ...ops];
}

/** What an apply did: enough to show it, audit it and undo it. */
export interface AppliedChange {
  target: RemediationTarget;
  diff: string[];
  /** Patch that restores the previous values. */
  rollback: { patchType: PatchType; patch: unknown };
  resourceVersion?: string;
}

/** Applies a validated remediation (field manager `podnet`). Throws the API's refusal as a PodnetError. */
export async function applyRemediation(cluster: ClusterAccess, r: Remediation): Promise<AppliedChange> {
  if (!r.target || r.patch === undefined || !r.patchType) throw new Error('applyRemediation: the remediation has no patch');
  const before = await cluster.getObject(r.target);
  const after = await cluster.patchObject(r.target, r.patchType, r.patch, { fieldManager: FIELD_MANAGER });
  const rv = (after.metadata as Record<string, unknown> | undefined)?.resourceVersion;
  return {
    target: r.target,
    diff: specDiff(before, after),
    rollback: { patchType: 'json', patch: rollbackPatch(before, after) },
    ...(typeof rv === 'string' ? { resourceVersion: rv } : {}),
  };
}

/** Undoes an {@link AppliedChange}: returns the diff of the roll-back. */
export async function rollBack(cluster: ClusterAccess, change: Pick<AppliedChange, 'target' | 'rollback'>): Promise<string[]> {
  const before = await cluster.getObject(change.target);
  const after = await cluster.patchObject(change.target, change.rollback.patchType, change.rollback.patch, { fieldManager: FIELD_MANAGER });
  return specDiff(before, after);
}

/** Labels a controller sets per pod or per revision: not part of what selects the workload's pods. */
const PER_POD_LABELS = new Set(['pod-template-hash', 'controller-revision-hash', 'statefulset.kubernetes.io/pod-name', 'apps.kubernetes.io/pod-index', 'pod-template-generation', 'batch.kubernetes.io/controller-uid', 'controller-uid']);

/** The label selector of a workload's `spec.selector.matchLabels` (matchExpressions are not needed for the kinds podnet patches). */
function selectorOf(owner: KubeObject): string | undefined {
  const spec = (owner.spec ?? {}) as Record<string, unknown>;
  const sel = (spec.selector ?? {}) as { matchLabels?: Record<string, string> };
  const pairs = Object.entries(sel.matchLabels ?? {});
  return pairs.length > 0 ? pairs.map(([k, v]) => `${k}=${v}`).join(',') : undefined;
}

type PodLike = { metadata?: { name?: string; creationTimestamp?: Date | string; deletionTimestamp?: Date | string; ownerReferences?: { kind: string; name: string; controller?: boolean }[] } };

/** Controllers between a pod and the object podnet patches (a Deployment, a Seldon Server, a CronJob). */
const INTERMEDIATE_OWNERS: Record<string, string> = { ReplicaSet: 'apps/v1', StatefulSet: 'apps/v1', Job: 'batch/v1' };

/** Whether a pod's controller chain reaches `owner` (Pod → ReplicaSet → Deployment; Pod → StatefulSet → Server; Pod → Job → CronJob). */
async function ownedBy(cluster: ClusterAccess, namespace: string, pod: PodLike, owner: RemediationTarget): Promise<boolean> {
  let refs = pod.metadata?.ownerReferences ?? [];
  for (let depth = 0; depth < 3; depth++) {
    const ref = refs.find((r) => r.controller === true) ?? refs[0];
    if (!ref) return false;
    if (ref.kind === owner.kind && ref.name === owner.name) return true;
    const apiVersion = INTERMEDIATE_OWNERS[ref.kind];
    if (!apiVersion) return false;
    const next = await cluster.getObject({ apiVersion, kind: ref.kind, namespace, name: ref.name }).catch(() => undefined);
    refs = ((next?.metadata as PodLike['metadata'] | undefined)?.ownerReferences ?? []) as typeof refs;
  }
  return false;
}

const newestFirst = (a: PodLike, b: PodLike) => new Date(b.metadata?.creationTimestamp ?? 0).getTime() - new Date(a.metadata?.creationTimestamp ?? 0).getTime();

/**
 * The pod to re-check after a fix. The same name while that pod runs (a StatefulSet keeps its
 * pods' names). A Deployment's replacement pod has a new name — a new ReplicaSet's
 * pod-template-hash (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#pod-template-hash-label) —
 * and the old one lingers while it terminates (deletionTimestamp set,
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination). So when the
 * pod is gone or terminating: with `owner` (the patched workload), the newest running pod its
 * selector selects whose controller chain reaches it; without, the newest pod carrying the old
 * pod's workload labels.
 */
export async function successorPod(cluster: ClusterAccess, namespace: string, name: string, labels: Record<string, string>, owner?: RemediationTarget & { object?: KubeObject }): Promise<string> {
  let gone: unknown;
  try {
    const pod = await cluster.getPod(namespace, name);
    if (!pod.metadata?.deletionTimestamp) return name;
    gone = new Error(`pod ${name} is terminating and no replacement was found`);
  } catch (err) {
    gone = err;
  }
  const object = owner ? owner.object ?? (await cluster.getObject(owner).catch(() => undefined)) : undefined;
  const selector = (object && selectorOf(object)) ?? Object.entries(labels).filter(([k]) => !PER_POD_LABELS.has(k)).map(([k, v]) => `${k}=${v}`).join(',');
  if (!selector) throw gone;
  const pods = (await cluster.listPods(namespace, { labelSelector: selector })).filter((p) => !p.metadata?.deletionTimestamp).sort(newestFirst);
  for (const p of pods) {
    if (!p.metadata?.name) continue;
    if (!owner || (await ownedBy(cluster, namespace, p as PodLike, owner))) return p.metadata.name;
  }
  throw gone;
}
