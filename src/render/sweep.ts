/**
 * Pure rendering of a sweep: one table, unhealthy pods first. Slack gets the table as a code
 * block split to stay within a section's 3000 characters and a message's 50 blocks.
 */
import type { SweepResult } from '../sweep/sweep.js';
import type { SweepRow } from '../sweep/triage.js';

const HEAD = ['POD', 'STATE', 'READY', 'RESTARTS', 'TOP CAUSE', 'CONF'];

function cells(r: SweepRow): string[] {
  return [
    r.pod,
    r.state,
    r.ready,
    String(r.restarts),
    r.error ? `check failed: ${r.error}` : r.healthy ? '-' : (r.cause ?? 'unknown'),
    r.confidence === undefined ? '' : `${Math.round(r.confidence * 100)}%`,
  ];
}

function table(rows: SweepRow[]): string[] {
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return all.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function sweepHeadline(result: SweepResult): string {
  const unhealthy = result.rows.filter((r) => !r.healthy).length;
  const sel = result.labelSelector ? ` (-l ${result.labelSelector})` : '';
  return `Sweep of ${result.namespace}${sel}: ${result.rows.length} pods, ${unhealthy} unhealthy, ${result.checked} checked in depth`;
}

export function renderSweepText(result: SweepResult): string {
  return [sweepHeadline(result), '', ...table(result.rows)].join('\n');
}

/** Section text limit less the code fence. */
const CHUNK = 3000 - 8;
const MAX_TABLE_BLOCKS = 45;

export function renderSweepSlack(result: SweepResult): { text: string; blocks: object[] } {
  const lines = table(result.rows);
  const chunks: string[] = [];
  let current = '';
  for (const line of lines) {
    const l = line.length > CHUNK ? `${line.slice(0, CHUNK - 1)}…` : line;
    if (current.length + l.length + 1 > CHUNK) {
      chunks.push(current);
      current = '';
    }
    current += (current ? '\n' : '') + l;
  }
  if (current) chunks.push(current);
  const shown = chunks.slice(0, MAX_TABLE_BLOCKS);
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: `podnet sweep: ${result.namespace}`.slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: sweepHeadline(result) } },
    ...shown.map((c) => ({ type: 'section', text: { type: 'mrkdwn', text: '```' + c + '```' } })),
  ];
  if (chunks.length > shown.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Table cut at ${shown.length} blocks; the healthy pods at the end are not shown.` }] });
  }
  return { text: sweepHeadline(result), blocks };
}

/** The progress line while a sweep runs. */
export function renderSweepProgress(namespace: string, done: number, total: number, unhealthy: number): { text: string; blocks: object[] } {
  const width = 20;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const text = `Sweeping ${namespace}: ${done}/${total} pods, ${unhealthy} unhealthy so far`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${text}\n\`${bar}\`` } }] };
}
