/**
 * Remediation planning: for each hypothesis, what its cause's rule carries (src/analysis/rule.ts
 * `remediation`): the patch that carries its fix to the object that owns the setting
 * (patches.ts), or manual text when no patch can say it. Pure: it reads the evidence and the
 * owner chain (already fetched) and returns data; the dry-run happens in apply.ts.
 */
import type { Evidence } from '../evidence.js';
import type { CauseId, Hypothesis } from '../analysis/types.js';
import { RULES, RULE_OF } from '../analysis/rules/index.js';
import type { OwnerChain } from './owners.js';
import { settingOwner } from './patches.js';
import type { Remediation } from './types.js';

/** The causes whose fix is one patch to the object that owns the setting (their rules carry a patch builder). */
export const PATCHABLE_CAUSES: readonly CauseId[] = RULES.filter((r) => r.remediation.kind === 'patch').map((r) => r.id);

/** The remediation of one hypothesis, before its dry-run; undefined for a cause with nothing to fix (`unknown`). */
export function planRemediation(h: Hypothesis, ev: Evidence, chain: OwnerChain | undefined): Remediation | undefined {
  const how = RULE_OF[h.cause].remediation;
  if (how.kind === 'none') return undefined;
  if (how.kind === 'manual') return { why: chain ? settingOwner(chain).why : 'owners not read', manual: how.text };
  if (!chain) return { why: 'the pod and its owners could not be read', manual: 'podnet could not read the pod\'s owners, so it cannot name the object to patch; apply the fix by hand.' };
  if (chain.problem) return { why: chain.path.concat(chain.problem).join('; '), manual: `podnet could not follow the pod's owners (${chain.problem}); apply the fix to the owning object by hand.` };
  return how.plan(ev, chain);
}
