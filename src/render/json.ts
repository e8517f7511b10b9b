/**
 * The JSON output (`--output json`): a stable subset of the {@link Diagnosis}. The required keys
 * (target, hypotheses, options, timeline, steps) keep their shape; ruledOut, correlations,
 * next and generatedAt are added. Missing target fields are `null` so the keys are always there.
 */
import type { Diagnosis, EvidenceItem } from '../analysis/types.js';
import type { Remediation } from '../remediation/types.js';

export interface JsonDiagnosis {
  target: { namespace: string; pod: string; client: string | null; server: string | null; address: string | null; port: number | null };
  hypotheses: { cause: string; confidence: number; summary: string; evidence: EvidenceItem[]; against: EvidenceItem[]; fix: string; remediation?: Remediation }[];
  options: { id: string; fit: string; why: string; tradeoff: string }[];
  timeline: { at: string; container: string | null; what: string; kind: string }[];
  steps: { name: string; ok: boolean; error?: string; code?: string }[];
  ruledOut: { cause: string; why: string }[];
  correlations: string[];
  next: string[];
  generatedAt: string;
}

export function toJson(d: Diagnosis): JsonDiagnosis {
  const t = d.target;
  return {
    target: { namespace: t.namespace, pod: t.pod, client: t.client ?? null, server: t.server ?? null, address: t.address ?? null, port: t.port ?? null },
    hypotheses: d.hypotheses.map((h) => ({ cause: h.cause, confidence: h.confidence, summary: h.summary, evidence: h.evidence, against: h.against, fix: h.fix, ...(h.remediation ? { remediation: h.remediation } : {}) })),
    options: d.options.map((o) => ({ id: o.id, fit: o.fit, why: o.why, tradeoff: o.tradeoff })),
    timeline: d.timeline.map((e) => ({ at: e.at, container: e.container ?? null, what: e.what, kind: e.kind })),
    steps: d.steps.map((s) => ({ name: s.name, ok: s.ok, ...(s.error !== undefined ? { error: s.error } : {}), ...(s.code !== undefined ? { code: s.code } : {}) })),
    ruledOut: d.ruledOut.map((r) => ({ cause: r.cause, why: r.why })),
    correlations: [...d.correlations],
    next: [...d.next],
    generatedAt: d.generatedAt,
  };
}

/** {@link toJson} as pretty-printed text with a final newline. */
export function renderJson(d: Diagnosis): string {
  return `${JSON.stringify(toJson(d), null, 2)}\n`;
}
