import type { Hypothesis } from '../types.js';
import { neverRuledOut, type PodRule } from '../rule.js';
import { factsOf, note } from '../facts.js';
import { nextSteps } from '../next.js';

/**
 * unknown: the evidence does not settle it. Always produced; the diagnosis keeps it only
 * when no other cause scores well. Its confidence grows with the gaps in the evidence (no
 * socket table, no netns, no dial, no logs), and its fix is what to collect next.
 */
export const unknown: PodRule<'unknown'> = {
  id: 'unknown',
  doc:
    'Always yields one low-confidence hypothesis; confidence rises with each gap in the evidence (socket table, netns, dial, ' +
    'logs, pod). Its fix lists what to collect next. The diagnosis drops it when another cause scores 0.4 or more.',
  appLevel: false,
  remediation: { kind: 'none' },
  // Never listed as ruled out: it is what is left when nothing else fits.
  ruledOut: neverRuledOut,
  detect(ev): Hypothesis {
    const f = factsOf(ev);
    const gaps: string[] = [];
    if (!ev.pod) gaps.push('the pod spec/status');
    if (!f.socketsRead) gaps.push('the socket table');
    if (ev.netns.filter((n) => n.netns).length < 2) gaps.push('the network namespace of each container');
    if (ev.dials.length === 0) gaps.push('a dial from the client');
    if (ev.logs.length === 0) gaps.push('the logs');
    const confidence = Math.round(Math.min(0.5, 0.1 + 0.08 * gaps.length) * 100) / 100;
    const next = nextSteps(ev);
    return {
      cause: 'unknown',
      confidence,
      summary: gaps.length > 0 ? `The evidence does not settle it; missing: ${gaps.join(', ')}.` : 'The evidence collected does not match any known cause.',
      evidence: gaps.map((g) => note(`not collected: ${g}`)),
      against: [],
      fix: next.length > 0 ? `Collect next: ${next.join(' ')}` : 'Re-run the check while the failure happens, with --debug-container.',
    };
  },
};
