/**
 * Plain-text rendering for the terminal. ANSI colour only when `color: true` (the CLI
 * decides from the TTY and NO_COLOR; this stays pure). Pure.
 */
import { remediationText } from './remediation.js';
import type { Diagnosis, Hypothesis } from '../analysis/types.js';
import { FIT_LABEL, hms, itemLine, pct, targetLine } from './format.js';

export interface TextRenderOptions {
  color?: boolean;
  /** Hypotheses shown in full after the first (default 2); the rest are one line each. */
  detailed?: number;
}

const CODES = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
type Style = keyof typeof CODES;

export function renderText(d: Diagnosis, options: TextRenderOptions = {}): string {
  const paint = (s: string, ...styles: Style[]) => (options.color ? `${styles.map((st) => `\u001b[${CODES[st]}m`).join('')}${s}\u001b[0m` : s);
  const out: string[] = [];
  const t = d.target;
  out.push(paint(`podnet check ${t.namespace}/${t.pod}`, 'bold') + `  ${targetLine(d)}`);
  out.push(paint(`generated ${d.generatedAt}`, 'dim'));
  out.push('');

  const [top, ...rest] = d.hypotheses;
  if (top) {
    out.push(`${paint('Most likely cause:', 'bold')} ${paint(top.cause, 'bold', confColor(top))} (${pct(top.confidence)})`);
    out.push(...hypothesisBody(top, paint));
  }
  const detailed = options.detailed ?? 2;
  if (rest.length > 0) {
    out.push('', paint('Other hypotheses', 'bold'));
    rest.forEach((h, i) => {
      out.push(`  ${paint(h.cause, confColor(h))} (${pct(h.confidence)}) — ${h.summary}`);
      if (i < detailed - 1) out.push(...hypothesisBody(h, paint).slice(1).map((l) => `  ${l}`));
    });
  }
  if (d.ruledOut.length > 0) {
    out.push('', paint('Ruled out', 'bold'));
    for (const r of d.ruledOut) out.push(`  ${paint('✗', 'green')} ${r.cause}: ${r.why}`);
  }
  if (d.correlations.length > 0) {
    out.push('', paint('Correlations', 'bold'));
    for (const c of d.correlations) out.push(`  • ${c}`);
  }
  if (d.timeline.length > 0) {
    out.push('', paint('Timeline (UTC)', 'bold'));
    for (const e of d.timeline) {
      const kind = e.kind === 'refused' || e.kind === 'killed' || e.kind === 'oom' || e.kind === 'probe-failed' ? paint(e.kind.padEnd(12), 'red') : e.kind.padEnd(12);
      out.push(`  ${hms(e.at)}  ${(e.container ?? '-').padEnd(12)} ${kind} ${e.what}`);
    }
  }
  out.push('', paint('Workaround options', 'bold'));
  for (const o of d.options) {
    const fit = o.fit === 'recommended' ? paint(FIT_LABEL[o.fit], 'green', 'bold') : o.fit === 'possible' ? paint(FIT_LABEL[o.fit], 'yellow') : paint(FIT_LABEL[o.fit], 'dim');
    out.push(`  ${o.id.padEnd(16)} ${fit} — ${o.why}`);
    out.push(paint(`  ${''.padEnd(16)} trade-off: ${o.tradeoff}`, 'dim'));
  }
  if (d.steps.length > 0) {
    out.push('', paint('Steps', 'bold'));
    for (const s of d.steps) out.push(`  ${s.ok ? paint('✓', 'green') : paint('✗', 'red')} ${s.name}${s.error ? ` — ${s.error}` : ''}`);
  }
  if (d.next.length > 0) {
    out.push('', paint('Collect next', 'bold'));
    for (const n of d.next) out.push(`  • ${n}`);
  }
  return `${out.join('\n')}\n`;
}

function confColor(h: Hypothesis): Style {
  return h.confidence >= 0.7 ? 'red' : h.confidence >= 0.4 ? 'yellow' : 'cyan';
}

function hypothesisBody(h: Hypothesis, paint: (s: string, ...st: Style[]) => string): string[] {
  const out = [`  ${h.summary}`, `  ${paint('Fix:', 'bold')} ${h.fix}`];
  if (h.remediation) {
    const [head, ...rest] = remediationText(h.remediation);
    out.push(`  ${paint('Remediation:', 'bold')} ${head}`);
    for (const l of rest) out.push(`    ${l.startsWith('- ') ? paint(l, 'red') : l.startsWith('+ ') ? paint(l, 'green') : l}`);
  }
  if (h.evidence.length > 0) {
    out.push(`  ${paint('Evidence for:', 'bold')}`);
    for (const i of h.evidence) out.push(`    + ${itemLine(i)}`);
  }
  if (h.against.length > 0) {
    out.push(`  ${paint('Evidence against:', 'bold')}`);
    for (const i of h.against) out.push(`    - ${itemLine(i)}`);
  }
  return out;
}
