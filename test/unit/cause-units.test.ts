/**
 * A cause is one unit (issue 12): every cause id has one rule carrying every part — doc,
 * detection, app-level flag, remediation and ruled-out text. The compiler checks the
 * registry's type; these tests check the same at run time and show that the checks bite.
 */
import { describe, expect, it } from '@jest/globals';
import { CAUSE_IDS, type CauseId } from '../../src/analysis/types.js';
import { RULE_OF } from '../../src/analysis/rules/index.js';
import { neverRuledOut, ruleProblems, type PodRule } from '../../src/analysis/rule.js';
import { PATCHABLE_CAUSES } from '../../src/remediation/plan.js';

describe('cause units', () => {
  it.each([...CAUSE_IDS])('%s has a complete rule', (id: CauseId) => {
    expect(ruleProblems(RULE_OF[id], id)).toEqual([]);
  });

  it('reports each missing part', () => {
    const { appLevel: _a, ...noFlag } = RULE_OF['port-conflict'];
    expect(ruleProblems(noFlag, 'port-conflict')).toEqual(['port-conflict: appLevel is not true or false']);
    const { ruledOut: _r, remediation: _m, ...bare } = RULE_OF['server-crashloop'];
    expect(ruleProblems(bare, 'server-crashloop')).toEqual([
      'server-crashloop: no ruledOut (use neverRuledOut and say why)',
      'server-crashloop: remediation wants a patch builder or manual text (none only for unknown)',
    ]);
    expect(ruleProblems({ ...RULE_OF['port-conflict'], remediation: { kind: 'none' } }, 'port-conflict')).toHaveLength(1);
    expect(ruleProblems(RULE_OF['port-conflict'], 'port-mismatch')).toEqual(['port-conflict: id is "port-conflict", not port-mismatch']);
    expect(ruleProblems(undefined, 'unknown').length).toBeGreaterThan(3);
  });

  it('the compiler refuses a rule without a part', () => {
    // @ts-expect-error -- appLevel, remediation and ruledOut are missing: a cause is one unit.
    const partial: PodRule<'port-conflict'> = { id: 'port-conflict', doc: 'x', detect: () => undefined };
    const complete: PodRule<'port-conflict'> = { ...partial, appLevel: true, remediation: { kind: 'manual', text: 'y' }, ruledOut: neverRuledOut };
    expect(ruleProblems(complete, 'port-conflict')).toEqual([]);
  });

  it('the patchable causes are the rules that carry a patch builder', () => {
    expect([...PATCHABLE_CAUSES].sort()).toEqual(['bind-address-mismatch', 'liveness-kills-slow-start', 'probe-bind-mismatch', 'server-oom-killed']);
  });
});
