/** Cluster names (from `--cluster` and the heartbeats) and worker versions reach Slack escaped. */
import { describe, expect, it } from '@jest/globals';
import { clustersText, noLiveWorkerText, NO_LIVE_WORKER } from '../../src/render/clusters.js';

const hostile = { cluster: 'prod<!here>&', live: true, workers: [{ version: '1.0<@U0BAD>' }], lastSeenAgoMs: 4000 };
const dead = { cluster: 'dr', live: false, workers: [], lastSeenAgoMs: 7_200_000 };

describe('cluster texts', () => {
  it('/podnet clusters escapes names and versions, keeps its own formatting', () => {
    const text = clustersText([hostile, dead], 'dr');
    expect(text).toContain('• :large_green_circle: *prod&lt;!here&gt;&amp;* — 1 worker (v1.0&lt;@U0BAD&gt;), last beat 4s ago');
    expect(text).toContain('• :red_circle: *dr* (default) — no live worker, last seen 2h ago');
    expect(text).not.toMatch(/<!here>|<@U0BAD>/);
  });

  it('the no-live-worker refusal escapes the name the user typed and the live ones', () => {
    const text = noLiveWorkerText('x<https://evil|click>', [hostile, dead]);
    expect(text.startsWith(`${NO_LIVE_WORKER} *x&lt;https://evil|click&gt;* (never seen); live clusters: prod&lt;!here&gt;&amp;.`)).toBe(true);
    expect(text).toContain('`podnet worker --cluster x&lt;https://evil|click&gt;`');
    expect(text).not.toMatch(/<https|<!here>/);
  });
});
