/**
 * Remediation as data: for a hypothesis whose fix is a change to an object, the object that
 * owns the setting, the exact patch, the kubectl line and the server-side dry-run's verdict;
 * or `manual` text when no patch can say it.
 */

/** The object a patch goes to. */
export interface RemediationTarget {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export type PatchType = 'merge' | 'strategic' | 'json';

/** Who else writes the target: a patch by hand is reverted at their next sync. */
export interface ManagedBy {
  tool: 'helm' | 'argocd' | 'flux';
  /** Helm release / Argo CD application / Flux Kustomization or HelmRelease. */
  name?: string;
  /** What will happen to the patch and what to change instead. */
  note: string;
}

export interface Remediation {
  /** Absent for a manual remediation. */
  target?: RemediationTarget;
  /** How the owner was found (the ownerReferences walked, where the setting lives). */
  why: string;
  patchType?: PatchType;
  patch?: unknown;
  /** The exact kubectl line that applies the same patch. */
  command?: string;
  /** Server-side dry-run (`dryRun=All`) of the patch: only `ok` patches are offered for Apply. */
  dryRun?: { ok: boolean; message: string };
  /** The change as a diff of the target's spec (`-` removed, `+` added, ` ` context). */
  diff?: string[];
  managedBy?: ManagedBy;
  /** When no patch can say it: what a person has to do (an escalation). */
  manual?: string;
}

/** Whether a remediation can be applied by podnet: a patch whose dry-run passed. */
export function isApplicable(r: Remediation | undefined): r is Remediation & { target: RemediationTarget; patchType: PatchType; dryRun: { ok: true; message: string } } {
  return !!r && !!r.target && r.patch !== undefined && !!r.patchType && r.dryRun?.ok === true;
}
