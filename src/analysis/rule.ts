/**
 * A cause as one unit: the rule that detects it, whether it is the app's own, how it is
 * fixed beyond the fix text, and what rules it out. Adding a cause is one file in `rules/`
 * and one line in `rules/index.ts` (whose type wants every {@link CauseId}); a rule object
 * lacking a part does not compile.
 */
import type { ContainerEvidence, Evidence } from '../evidence.js';
import type { OwnerChain } from '../remediation/owners.js';
import type { Remediation } from '../remediation/types.js';
import type { Facts } from './facts.js';
import type { CauseId, Hypothesis, RuleContext } from './types.js';

/**
 * How a cause is fixed beyond its fix text (src/remediation): one patch to the object that
 * owns the setting, built from the evidence and the owner chain; or why no patch can say it
 * (an escalation or a choice a person makes); or nothing (`unknown`: there is no fix yet).
 */
export type CauseRemediation =
  | { kind: 'patch'; plan(ev: Evidence, chain: OwnerChain): Remediation }
  | { kind: 'manual'; text: string }
  | { kind: 'none' };

/** The parts every rule carries, whatever its shape. */
interface RuleParts<C extends CauseId> {
  id: C;
  /** What triggers the rule and why it matters. */
  doc: string;
  /**
   * Fixed inside the pod's own configuration (env vars, ports, probes, resources, mesh
   * config): when it is the settled cause, the workaround options say they are not needed.
   */
  appLevel: boolean;
  /** The patch builder, or why there is none. */
  remediation: CauseRemediation;
  /**
   * The sentence saying how the evidence rules this cause out, or undefined when it does not
   * (asked only when the cause did not fire). Pure.
   */
  ruledOut(f: Facts): string | undefined;
}

/** A rule over the whole evidence: one hypothesis, or none. */
export interface PodRule<C extends CauseId = CauseId> extends RuleParts<C> {
  detect(ev: Evidence, ctx: RuleContext): Hypothesis | undefined;
}

/**
 * A rule about one container that may not be named ("the server"): `diagnose` runs
 * `detectFor` over `candidates` and keeps the most confident hypothesis (the first of equals).
 */
export interface ContainerRule<C extends CauseId = CauseId> extends RuleParts<C> {
  /** The containers to try, most likely first. */
  candidates(f: Facts): readonly ContainerEvidence[];
  detectFor(f: Facts, c: ContainerEvidence, ctx: RuleContext): Hypothesis | undefined;
}

/**
 * A rule is data: what triggers it is in `doc`; detection is pure. It returns its best
 * hypothesis whatever its confidence: `diagnose` applies the threshold (MIN_CONFIDENCE).
 */
export type Rule<C extends CauseId = CauseId> = PodRule<C> | ContainerRule<C>;

/** For a cause nothing in the evidence can rule out (say why beside it). */
export const neverRuledOut = (): undefined => undefined;

/**
 * What a rule lacks, one line each (empty when it is complete): the run-time twin of the
 * {@link Rule} type, for rules built outside the compiler's sight (tests, plain JavaScript).
 */
export function ruleProblems(rule: unknown, id?: CauseId): string[] {
  const r = (typeof rule === 'object' && rule !== null ? rule : {}) as Record<string, unknown>;
  const name = typeof r.id === 'string' ? r.id : (id ?? '?');
  const problems: string[] = [];
  const fn = (k: string) => typeof r[k] === 'function';
  if (id !== undefined && r.id !== id) problems.push(`${name}: id is ${JSON.stringify(r.id)}, not ${id}`);
  if (typeof r.doc !== 'string' || r.doc.trim().length === 0) problems.push(`${name}: no doc`);
  if (typeof r.appLevel !== 'boolean') problems.push(`${name}: appLevel is not true or false`);
  if (!fn('ruledOut')) problems.push(`${name}: no ruledOut (use neverRuledOut and say why)`);
  if (fn('detect') === (fn('candidates') || fn('detectFor'))) problems.push(`${name}: wants either detect, or candidates and detectFor`);
  else if (!fn('detect') && !(fn('candidates') && fn('detectFor'))) problems.push(`${name}: candidates without detectFor, or the other way round`);
  const how = (typeof r.remediation === 'object' && r.remediation !== null ? r.remediation : {}) as Record<string, unknown>;
  const remediationOk =
    (how.kind === 'patch' && typeof how.plan === 'function') ||
    (how.kind === 'manual' && typeof how.text === 'string' && how.text.trim().length > 0) ||
    (how.kind === 'none' && name === 'unknown');
  if (!remediationOk) problems.push(`${name}: remediation wants a patch builder or manual text (none only for unknown)`);
  return problems;
}
