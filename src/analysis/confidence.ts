/**
 * The confidence scheme every rule uses, so confidences compare across rules.
 *
 * A rule collects *signals*: each a weight w in (0, 1) for a fact FOR its cause, or a weight
 * a in (0, 1) for a fact AGAINST it. Signals FOR combine as a noisy-OR — independent
 * witnesses each leave a share of doubt: `for = 1 − Π(1 − w)`. Signals AGAINST scale it
 * down: `confidence = for × Π(1 − a)`. The result is clamped to [0.01, 0.99] (evidence
 * never proves a cause outright) and rounded to two decimals.
 *
 * Weights are calibrated so that: one strong, specific fact (a loopback-only listener on
 * a probed port; `reason=OOMKilled`; two different `net:[…]` inodes) alone gives 0.4–0.9;
 * a supporting fact (an env var, a log line) adds 0.1–0.25; a fact that another cause
 * explains better takes 30–80 % off.
 */
import type { EvidenceItem, Hypothesis, CauseId } from './types.js';

export class Score {
  private readonly forW: number[] = [];
  private readonly againstW: number[] = [];
  readonly evidence: EvidenceItem[] = [];
  readonly against: EvidenceItem[] = [];

  /** A fact for the cause, with its weight; items are quoted as evidence. */
  support(weight: number, ...items: (EvidenceItem | undefined)[]): this {
    this.forW.push(weight);
    for (const i of items) if (i) this.evidence.push(i);
    return this;
  }

  /** A fact against the cause, with its weight. */
  oppose(weight: number, ...items: (EvidenceItem | undefined)[]): this {
    this.againstW.push(weight);
    for (const i of items) if (i) this.against.push(i);
    return this;
  }

  /** Evidence to show without weight (context). */
  quote(...items: (EvidenceItem | undefined)[]): this {
    for (const i of items) if (i) this.evidence.push(i);
    return this;
  }

  get hasSupport(): boolean {
    return this.forW.length > 0;
  }

  get value(): number {
    if (this.forW.length === 0) return 0;
    const f = 1 - this.forW.reduce((acc, w) => acc * (1 - w), 1);
    const c = f * this.againstW.reduce((acc, a) => acc * (1 - a), 1);
    return Math.round(Math.min(0.99, Math.max(0.01, c)) * 100) / 100;
  }

  /** Builds the hypothesis (evidence de-duplicated by text). */
  toHypothesis(cause: CauseId, summary: string, fix: string): Hypothesis {
    return { cause, confidence: this.value, summary, evidence: dedupe(this.evidence), against: dedupe(this.against), fix };
  }
}

function dedupe(items: EvidenceItem[]): EvidenceItem[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const k = `${i.kind}|${i.text}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Hypotheses below this are not reported (the rule found only noise). */
export const MIN_CONFIDENCE = 0.1;
