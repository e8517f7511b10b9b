/** Pure parts of incidents and runbooks: finding entries, step descriptions, outcome and list messages within Slack limits. */
import { describe, expect, test } from '@jest/globals';
import { renderIncidentHeader, renderSummaryMessages } from '../../src/render/incident.js';
import { runIdFor } from '../../jobs/runbook.js';
import { describeStep, renderOutcome, renderRunbookList, renderRunbookShow } from '../../src/render/runbook.js';
import type { Diagnosis } from '../../src/analysis/types.js';
import { findingEntry } from '../../src/incidents/hooks.js';
import { mentionCommandText } from '../../src/incidents/slack-hooks.js';
import { summarizeIncident } from '../../src/incidents/summary.js';
import { checkMessage } from '../../src/render/slack-limits.js';
import { loadRunbookDir } from '../../src/runbooks/loader.js';

const diagnosis = {
  target: { namespace: 'financial-ml', pod: 'mlserver-0', client: 'agent', server: 'mlserver', inferredFrom: [] },
  hypotheses: [
    {
      cause: 'probe-bind-mismatch', confidence: 0.88, summary: 'mlserver listens on loopback only', fix: 'unset MLSERVER_HOST', against: [],
      evidence: Array.from({ length: 8 }, (_, i) => ({ kind: 'log' as const, text: `line ${i}\n  continued`, source: 'mlserver logs', ...(i === 0 && { at: '2025-07-06T15:19:20Z' }) })),
    },
  ],
  ruledOut: [], options: [], timeline: [], steps: [], correlations: [], next: [], generatedAt: '2025-07-06T15:20:00Z',
} as Diagnosis;

describe('findingEntry', () => {
  test('cause, confidence, fix and at most five one-line quoted evidence lines', () => {
    const e = findingEntry(diagnosis, '2025-07-06T15:20:00.000Z');
    expect(e).toMatchObject({ kind: 'finding', who: 'podnet', cause: 'probe-bind-mismatch', confidence: 0.88, fix: 'unset MLSERVER_HOST', target: 'financial-ml/mlserver-0' });
    expect(e.evidence).toHaveLength(5);
    expect(e.evidence![0]).toBe('2025-07-06T15:19:20Z mlserver logs: line 0 continued');
    expect(e.text).toContain('probe-bind-mismatch');
  });
});

describe('mentionCommandText', () => {
  test('drops the mention, keeps the command', () => {
    expect(mentionCommandText('<@U0PODNETBOT> check mlserver-0 -n financial-ml')).toBe('check mlserver-0 -n financial-ml');
    expect(mentionCommandText('<@U0PODNETBOT|podnet>   incident   summary ')).toBe('incident summary');
  });
});

describe('runbook messages', () => {
  test('every shipped runbook lists, shows and reports outcomes within Slack limits', async () => {
    const books = await loadRunbookDir('runbooks');
    expect([...books.keys()].sort()).toEqual(['crashloop-triage', 'mlserver-unreachable', 'oom-triage']);
    for (const m of renderRunbookList(books)) expect(checkMessage(m)).toEqual([]);
    for (const rb of books.values()) for (const m of renderRunbookShow(rb)) expect(checkMessage(m)).toEqual([]);
    const show = renderRunbookShow(books.get('crashloop-triage')!).map((m) => JSON.stringify(m.blocks)).join('');
    expect(show).toContain('asks first');
    expect(describeStep(books.get('oom-triage')!.steps[2]!, 2)).toBe('3. `previous-logs` logs of {{server}} (previous run) — when `cause == server-oom-killed`');
  });

  test('a confirm outcome carries Confirm / Decline with the run id; a debug step says it is intrusive', () => {
    const m = renderOutcome('crashloop-triage', { index: 3, id: 'debug', kind: 'debug', status: 'awaiting-confirm', detail: 'Attach a debug container?' }, 'rb-1');
    expect(checkMessage(m)).toEqual([]);
    const s = JSON.stringify(m.blocks);
    expect(s).toContain('"action_id":"podnet_runbook_confirm","value":"rb-1"');
    expect(s).toContain('"action_id":"podnet_runbook_decline","value":"rb-1"');
    expect(s).toContain('intrusive');
    const done = renderOutcome('oom-triage', { index: 0, id: 'x', kind: 'post', status: 'skipped', detail: 'skipped: cause == a is false' }, 'rb-1');
    expect(JSON.stringify(done.blocks)).not.toContain('podnet_runbook');
    expect(runIdFor('a:b/c')).toBe('rb-a-b-c');
  });

  test('incident header and a long summary stay within limits', () => {
    const incident = { id: 'inc-1', title: 'x'.repeat(200), channel: 'C1', threadTs: '1.1', openedBy: 'U1', openedAt: '2025-07-06T15:00:00.000Z', status: 'open' as const };
    expect(checkMessage(renderIncidentHeader(incident))).toEqual([]);
    const timeline = Array.from({ length: 400 }, (_, i) => ({ at: '2025-07-06T15:00:00.000Z', kind: 'command' as const, who: 'U1', text: `command ${i} ${'y'.repeat(100)}` }));
    const msgs = renderSummaryMessages(incident, summarizeIncident(incident, timeline, new Date('2025-07-06T16:00:00Z')).lines, false);
    expect(msgs.length).toBeGreaterThan(0);
    for (const m of msgs) expect(checkMessage(m)).toEqual([]);
    const all = msgs.map((m) => JSON.stringify(m.blocks)).join('');
    for (let i = 0; i < 400; i += 37) expect(all).toContain(`command ${i} `);
  });
});
