/** Small formatting helpers shared by the renderers. Pure. */
import type { Diagnosis, EvidenceItem, OptionFitLevel } from '../analysis/types.js';

export function pct(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
}

/** `agent → 127.0.0.1:9500` or what is known of it. */
export function targetLine(d: Diagnosis): string {
  const t = d.target;
  const addr = t.address ?? '127.0.0.1';
  const dest = t.port !== undefined ? `${addr.includes(':') ? `[${addr}]` : addr}:${t.port}` : addr;
  const client = t.client ?? 'client';
  return `${client} → ${dest}${t.server ? ` (${t.server})` : ''}`;
}

/** `15:19:24` from an ISO time (UTC), or the input when it is not a time. */
export function hms(at: string | undefined): string {
  if (!at) return '';
  const t = Date.parse(at);
  return Number.isNaN(t) ? at : new Date(t).toISOString().slice(11, 19);
}

/** One evidence item as a line: `[15:19:20] text (source)`. */
export function itemLine(i: EvidenceItem): string {
  const when = i.at && !i.text.startsWith(i.at) ? `[${hms(i.at)}] ` : '';
  return `${when}${i.text}${i.source ? ` (${i.source})` : ''}`;
}

export const FIT_LABEL: Record<OptionFitLevel, string> = {
  recommended: 'recommended',
  possible: 'possible',
  'not-needed': 'not needed',
};

export function failedSteps(d: Diagnosis): Diagnosis['steps'] {
  return d.steps.filter((s) => !s.ok);
}
