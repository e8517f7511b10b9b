/** Markdown rendering (incident notes, tickets, `--output markdown`). Pure. */
import { remediationMarkdown } from './remediation.js';
import type { Diagnosis, Hypothesis } from '../analysis/types.js';
import { FIT_LABEL, hms, itemLine, pct, targetLine } from './format.js';

/** Escapes characters that would break a table cell or inline formatting. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Inline code that survives backticks inside. */
function code(s: string): string {
  return s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``;
}

export function renderMarkdown(d: Diagnosis): string {
  const t = d.target;
  const out: string[] = [];
  out.push(`# podnet: ${t.pod} (${t.namespace})`, '', `${targetLine(d)} — generated ${d.generatedAt}`, '');
  const [top, ...rest] = d.hypotheses;
  if (top) {
    out.push(`## Most likely cause: ${code(top.cause)} (${pct(top.confidence)})`, '');
    out.push(...hypothesis(top));
  }
  if (rest.length > 0) {
    out.push('## Other hypotheses', '');
    for (const h of rest) {
      out.push(`### ${code(h.cause)} (${pct(h.confidence)})`, '');
      out.push(...hypothesis(h));
    }
  }
  if (d.ruledOut.length > 0) {
    out.push('## Ruled out', '');
    for (const r of d.ruledOut) out.push(`- ${code(r.cause)}: ${r.why}`);
    out.push('');
  }
  if (d.correlations.length > 0) {
    out.push('## Correlations', '');
    for (const c of d.correlations) out.push(`- ${c}`);
    out.push('');
  }
  out.push('## Workaround options', '', '| option | fit | why | trade-off |', '|---|---|---|---|');
  for (const o of d.options) out.push(`| ${code(o.id)} | ${FIT_LABEL[o.fit]} | ${cell(o.why)} | ${cell(o.tradeoff)} |`);
  out.push('');
  if (d.timeline.length > 0) {
    out.push('## Timeline (UTC)', '', '| time | container | what |', '|---|---|---|');
    for (const e of d.timeline) out.push(`| ${hms(e.at)} | ${cell(e.container ?? '')} | ${cell(`${e.kind}: ${e.what}`)} |`);
    out.push('');
  }
  if (d.steps.length > 0) {
    out.push('## Steps', '');
    for (const s of d.steps) out.push(`- ${s.ok ? '✅' : '❌'} ${code(s.name)}${s.error ? ` — ${s.error}` : ''}`);
    out.push('');
  }
  if (d.next.length > 0) {
    out.push('## Collect next', '');
    for (const n of d.next) out.push(`- ${n}`);
    out.push('');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function hypothesis(h: Hypothesis): string[] {
  const out = [h.summary, '', `**Fix:** ${h.fix}`, ''];
  if (h.remediation) out.push(...remediationMarkdown(h.remediation, mdEscape));
  if (h.evidence.length > 0) {
    out.push('**Evidence for:**', '');
    for (const i of h.evidence) out.push(`- ${itemLine(i)}`);
    out.push('');
  }
  if (h.against.length > 0) {
    out.push('**Evidence against:**', '');
    for (const i of h.against) out.push(`- ${itemLine(i)}`);
    out.push('');
  }
  return out;
}

/** Cluster text in Markdown prose: no emphasis, code, links or HTML can come from it. */
function mdEscape(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`);
}
