/** Pure parts of watch mode: scheduler ids, run bounds, stop selection, messages within Slack limits. */
import { describe, expect, test } from '@jest/globals';
import { checkBlocks } from '../../src/render/block-limits.js';
import { MAX_WATCH_RUNS, maxRunsOf, selectWatches, watchSchedulerId } from '../../src/watch/scheduler.js';
import { formatInterval, renderWatchBaseline, renderWatchChanges, renderWatchEnd, WATCH_STOP_ACTION } from '../../src/render/watch.js';
import type { WatchSnapshot } from '../../src/watch/changes.js';
import type { WatchState } from '../../src/watch/store.js';

const state = (over: Partial<WatchState> = {}): WatchState => ({
  id: 'w', requestId: 'r', cluster: 'prod', namespace: 'financial-ml', pod: 'mlserver-0', channel: 'C1', user: 'U1',
  everyMs: 30_000, endsAt: 1_800_000, startedAt: 0, maxRuns: 61, runs: 0, changes: 0, ...over,
});
const snap: WatchSnapshot = { at: '2025-07-06T15:20:00Z', cause: 'probe-bind-mismatch', confidence: 0.88, restarts: { mlserver: 1 }, terminations: {}, dials: { 'agent->127.0.0.1:9500': 'connected' }, refusals: [] };

describe('watch scheduling', () => {
  test('scheduler ids carry no colon, are stable, and stay short for long names', () => {
    const id = watchSchedulerId({ cluster: 'prod', namespace: 'financial-ml', pod: 'mlserver-0', channel: 'C0X' });
    expect(id).toBe('watch-prod-C0X-financial-ml-mlserver-0');
    expect(watchSchedulerId({ cluster: 'prod', namespace: 'financial-ml', pod: 'mlserver-0', channel: 'C0X' })).toBe(id);
    const long = watchSchedulerId({ cluster: 'c', namespace: 'n'.repeat(63), pod: 'p'.repeat(200), channel: 'C:1' });
    expect(long.length).toBeLessThanOrEqual(120);
    expect(long).not.toContain(':');
  });

  test('runs are bounded by --for/--every and a hard cap', () => {
    expect(maxRunsOf(30_000, 30 * 60_000)).toBe(61);
    expect(maxRunsOf(10_000, 24 * 3600_000)).toBe(MAX_WATCH_RUNS);
  });

  test('watch stop picks the named pod (any namespace when the default did not match), or all', () => {
    const a = state({ id: 'a' });
    const b = state({ id: 'b', pod: 'other', namespace: 'shop' });
    expect(selectWatches([a, b], undefined, undefined).map((w) => w.id)).toEqual(['a', 'b']);
    expect(selectWatches([a, b], 'other', 'financial-ml').map((w) => w.id)).toEqual(['b']);
    expect(selectWatches([a, b], 'mlserver-0', 'financial-ml').map((w) => w.id)).toEqual(['a']);
    expect(selectWatches([a, b], 'nope', 'financial-ml')).toEqual([]);
  });
});

describe('watch messages', () => {
  test('baseline names the cause and carries the Stop button; ended drops it', () => {
    const m = renderWatchBaseline(state(), snap, { runs: 1, changes: 0 });
    expect(m.text).toBe('Watching mlserver-0 in financial-ml every 30s for 30m — baseline: probe-bind-mismatch (88%)');
    expect(JSON.stringify(m.blocks)).toContain(WATCH_STOP_ACTION);
    expect(checkBlocks(m.blocks)).toEqual([]);
    const ended = renderWatchBaseline(state({ stoppedBy: 'U2' }), snap, { runs: 5, changes: 1, latest: snap, ended: 'Watch ended: stopped by <@U2>' });
    expect(JSON.stringify(ended.blocks)).not.toContain(WATCH_STOP_ACTION);
    expect(JSON.stringify(ended.blocks)).toContain('stopped by <@U2>');
  });

  test('changes and the end are one message each, within limits', () => {
    const c = renderWatchChanges(state(), [{ text: 'mlserver restarted 1 more time' }, { text: '1 new refusal' }], snap);
    expect(c.text).toBe('mlserver-0: mlserver restarted 1 more time; 1 new refusal');
    expect(checkBlocks(c.blocks)).toEqual([]);
    expect(renderWatchEnd(state(), '--for 30m is up', 61, 2).text).toBe('Stopped watching mlserver-0 in financial-ml: --for 30m is up (61 checks, 2 changes posted).');
    expect([formatInterval(1000), formatInterval(90_000), formatInterval(5_400_000)]).toEqual(['1s', '1m30s', '1h30m']);
  });
});
