/**
 * `diagnose(evidence, ctx)`: runs every rule (choosing the best candidate container for the
 * rules about one, and applying MIN_CONFIDENCE once, here), ranks the hypotheses, and adds
 * the timeline, correlations, workaround options, ruled-out causes and what to collect next.
 * Pure: the clock is `ctx.now`, nothing is read or written.
 */
import type { Evidence } from '../evidence.js';
import { CAUSE_IDS, type CauseId, type Diagnosis, type Hypothesis, type RuleContext } from './types.js';
import type { ContainerRule, Rule } from './rule.js';
import { factsOf } from './facts.js';
import { RULES } from './rules/index.js';
import { buildTimeline, correlate } from './timeline.js';
import { assessOptions } from './options.js';
import { ruleOut } from './ruled-out.js';
import { nextSteps } from './next.js';
import { MIN_CONFIDENCE } from './confidence.js';

/** `unknown` is dropped when another cause reaches this confidence. */
export const UNKNOWN_DROP_AT = 0.4;

export interface DiagnoseOptions {
  /** Rules to run; defaults to {@link RULES}. */
  rules?: readonly Rule[];
}

/** The diagnosis of one evidence. Pure. */
export function diagnose(evidence: Evidence, ctx: RuleContext, options: DiagnoseOptions = {}): Diagnosis {
  const rules = options.rules ?? RULES;
  const found: Hypothesis[] = [];
  for (const rule of rules) {
    let h: Hypothesis | undefined;
    try {
      h = runRule(rule, evidence, ctx);
    } catch (err) {
      // A rule bug must not sink the diagnosis; it shows up as a note on `unknown`.
      evidence = { ...evidence, steps: [...evidence.steps, { name: `rule:${rule.id}`, ok: false, code: 'internal', error: `rule ${rule.id} failed: ${err instanceof Error ? err.message : String(err)}` }] };
    }
    if (h) found.push(h);
  }
  let hypotheses = rank(found);
  const topOther = hypotheses.find((h) => h.cause !== 'unknown');
  if (topOther && topOther.confidence >= UNKNOWN_DROP_AT) hypotheses = hypotheses.filter((h) => h.cause !== 'unknown');
  if (hypotheses.length === 0) {
    hypotheses = [{ cause: 'unknown', confidence: 0.1, summary: 'The evidence does not match any known cause.', evidence: [], against: [], fix: nextSteps(evidence).join(' ') || 'Re-run the check during a failure.' }];
  }
  const fired = new Set<CauseId>(hypotheses.map((h) => h.cause));
  return {
    target: evidence.target,
    hypotheses,
    ruledOut: ruleOut(evidence, fired, rules),
    options: assessOptions(evidence, hypotheses, rules),
    timeline: buildTimeline(evidence),
    steps: evidence.steps,
    correlations: correlate(evidence),
    next: hypotheses[0]?.cause === 'unknown' || hypotheses[0]!.confidence < 0.5 ? nextSteps(evidence) : nextSteps(evidence).filter((s) => !s.startsWith('Re-run')),
    generatedAt: ctx.now.toISOString(),
  };
}

/**
 * What one rule contributes to a diagnosis: its hypothesis when it reaches MIN_CONFIDENCE
 * (`unknown` always counts: its confidence says how thin the evidence is), else none. May
 * throw when the rule does; {@link diagnose} turns that into a failed step.
 */
export function runRule(rule: Rule, evidence: Evidence, ctx: RuleContext): Hypothesis | undefined {
  const h = 'candidates' in rule ? bestCandidate(rule, evidence, ctx) : rule.detect(evidence, ctx);
  return h && (h.cause === 'unknown' || h.confidence >= MIN_CONFIDENCE) ? h : undefined;
}

/** The most confident hypothesis over the rule's candidate containers; the first of equals wins. */
function bestCandidate(rule: ContainerRule, evidence: Evidence, ctx: RuleContext): Hypothesis | undefined {
  const f = factsOf(evidence);
  let best: Hypothesis | undefined;
  for (const c of rule.candidates(f)) {
    const h = rule.detectFor(f, c, ctx);
    if (h && (!best || h.confidence > best.confidence)) best = h;
  }
  return best;
}

/** Highest confidence first; ties by the order of CAUSE_IDS (more specific causes first). */
export function rank(hs: Hypothesis[]): Hypothesis[] {
  return [...hs].sort((a, b) => b.confidence - a.confidence || CAUSE_IDS.indexOf(a.cause) - CAUSE_IDS.indexOf(b.cause));
}
