/**
 * End to end: the postmortem's timeline chart. A check typed in a channel with an open incident
 * answers in the incident's thread, and its finding keeps the model its timeline chart is drawn
 * from (bounded, not the image); `incident close` draws that model again and uploads the PNG
 * into the thread through the check's own chart upload (postTimelineChart), and the Markdown
 * postmortem links it. An incident whose finding was stored without a model (before it was
 * kept) still closes: no chart, no error.
 *
 * Real parts: signed Slack requests to the Bolt app, Redis, the workers, the simulator on the
 * seed incident, and the Slack stand-in.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { PNG } from 'pngjs';
import { KEPT_MODEL_LIMITS } from '../../src/render/timeline-chart.js';
import type { StoredFile, StoredMessage } from '../../src/slack/stand-in.js';
import { ackText, jobOf, startIncidentStack, waitFor, type IncidentStack } from '../helpers/incident-stack.js';

let stack: IncidentStack;

beforeAll(async () => {
  stack = await startIncidentStack();
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const filesIn = (thread: StoredMessage | undefined): string[] => (thread?.replies ?? []).flatMap((r) => (r.files ?? []).map((f) => f.id));

async function openIncident(channel: string, title: string): Promise<{ id: string; threadTs: string }> {
  await stack.finished(jobOf(ackText(await stack.slash(`incident open "${title}"`, channel))));
  const incident = await stack.hooks.store.openIn(channel);
  if (!incident) throw new Error('the incident did not open');
  return { id: incident.id, threadTs: incident.threadTs };
}

describe('incident close uploads the leading finding\'s timeline chart', () => {
  const channel = 'C0INCIDENT';

  test('a check in the channel keeps its chart model; close uploads it as a PNG naming the pod and cause, linked from the Markdown', async () => {
    const { id, threadTs } = await openIncident(channel, 'agent cannot reach mlserver');
    const check = await stack.finished(jobOf(ackText(await stack.slash('check mlserver-0 -n financial-ml', channel))), 60_000);
    expect(check.failedReason).toBeUndefined();
    const finding = await waitFor(async () => (await stack.hooks.store.timeline(id)).find((e) => e.kind === 'finding'), 10_000, 'the finding');
    expect(finding.cause).toBe('probe-bind-mismatch');
    // The model, bounded; no image bytes.
    expect(finding.chart?.title).toContain('mlserver-0');
    expect(finding.chart!.marks.length).toBeGreaterThan(0);
    expect(JSON.stringify(finding.chart).length).toBeLessThanOrEqual(KEPT_MODEL_LIMITS.jsonChars);
    expect(JSON.stringify(finding.chart)).not.toMatch(/iVBOR|base64|<svg/);

    const close = await stack.finished(jobOf(ackText(await stack.slash('incident close', channel))), 60_000);
    expect(close.failedReason).toBeUndefined();
    const result = close.returnvalue as { fileId: string; chartFileIds?: string[] };
    expect(result.chartFileIds).toHaveLength(1);
    const chart = stack.slack.files().find((f) => f.id === result.chartFileIds![0]) as StoredFile;
    expect(chart).toMatchObject({ completed: true, channel, filename: `${id}-mlserver-0-timeline.png` });
    expect(chart.title).toContain('mlserver-0');
    expect(chart.title).toContain('probe-bind-mismatch');
    const bytes = Buffer.from(chart.content!);
    expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(PNG.sync.read(bytes).width).toBeGreaterThan(1800);
    // The same model as the check's own chart in the thread: the same picture, byte for byte.
    const checkChart = stack.slack.files().find((f) => f.filename === 'mlserver-0-timeline.png');
    expect(checkChart).toBeDefined();
    expect(bytes.equals(Buffer.from(checkChart!.content!))).toBe(true);

    // Both files are in the incident's thread, the chart before the draft that links it.
    const thread = filesIn(stack.slack.message(channel, threadTs));
    expect(thread.indexOf(chart.id)).toBeGreaterThanOrEqual(0);
    expect(thread.indexOf(chart.id)).toBeLessThan(thread.indexOf(result.fileId));
    const md = Buffer.from(stack.slack.files().find((f) => f.id === result.fileId)!.content!).toString('utf8');
    expect(md).toContain('## Timeline charts');
    expect(md).toContain(`](${id}-mlserver-0-timeline.png)`);
  }, 120_000);

  test('an incident whose finding kept no model (stored before) closes: postmortem, no chart, no error', async () => {
    const { id } = await openIncident(channel, 'older record');
    await stack.hooks.store.append(id, {
      at: new Date().toISOString(),
      kind: 'finding',
      who: 'podnet',
      text: 'check of financial-ml/mlserver-0: probe-bind-mismatch — older entry',
      cause: 'probe-bind-mismatch',
      confidence: 0.9,
      target: 'financial-ml/mlserver-0',
      evidence: ['an older evidence line'],
    });
    const pngsBefore = stack.slack.files().filter((f) => f.filename.endsWith('.png')).length;
    const close = await stack.finished(jobOf(ackText(await stack.slash('incident close', channel))), 60_000);
    expect(close.failedReason).toBeUndefined();
    const result = close.returnvalue as { fileId?: string; chartFileIds?: string[]; error?: string };
    expect(result.error).toBeUndefined();
    expect(result.chartFileIds).toBeUndefined();
    expect(stack.slack.files().filter((f) => f.filename.endsWith('.png'))).toHaveLength(pngsBefore);
    const md = Buffer.from(stack.slack.files().find((f) => f.id === result.fileId)!.content!).toString('utf8');
    expect(md).toMatch(/## Root cause\s+`probe-bind-mismatch`/);
    expect(md).not.toContain('Timeline charts');
  }, 60_000);
});
