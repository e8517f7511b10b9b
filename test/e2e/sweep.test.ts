/**
 * End to end: `/podnet sweep -n shop` through real Bolt → Redis → the sweep job → one
 * rate-limited client-node against a generated namespace on the simulator → the Slack
 * stand-in. The channel message shows progress as pods complete (updated in place, at most
 * once a second), then becomes the table with the unhealthy pods first.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { checkBlocks } from '../../src/render/block-limits.js';
import { generateSweepScenario } from '../../src/sim/generate.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { startE2EStack, type E2EStack } from '../helpers/e2e-stack.js';

const CHANNEL = 'C0SWEEP01';
let stack: E2EStack;
const template = loadScenario('scenarios/server-crashloop.yaml');

beforeAll(async () => {
  stack = await startE2EStack({
    scenario: generateSweepScenario({ template, pods: 40, unhealthyEvery: 5, namespace: 'shop' }),
    channels: [{ id: CHANNEL, namespaces: ['shop'] }],
    clusterNow: () => new Date(template.now),
    // Slow enough that the sweep takes a few seconds and progress shows.
    qps: 25,
    burst: 5,
  });
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

describe('sweep through Slack, Redis, workers and the simulator', () => {
  test('progress updates in place, then the table with the unhealthy pods first', async () => {
    const ack = await stack.slash('sweep -n shop', CHANNEL);
    const ackText = (ack.json as { text: string }).text;
    expect(ackText).toContain('Queued sweep of shop');
    const jobId = /job `([^`]+)`/.exec(ackText)?.[1] ?? '';
    const job = await stack.finished(jobId, 60_000);
    expect(job.failedReason).toBeUndefined();

    const messages = stack.slack.messages(CHANNEL);
    // The table, and under it the chart of pods by top cause (a PNG file share).
    expect(messages).toHaveLength(2);
    const m = messages[0]!;
    expect(messages[1]!.files?.[0]).toMatchObject({ name: 'sweep-shop.png', title: 'Sweep of shop: pods by top cause' });
    const chart = stack.slack.files().find((f) => f.filename === 'sweep-shop.png');
    expect(Buffer.from(chart!.content!).subarray(1, 4).toString()).toBe('PNG');
    // Progress: the first post, then updates in place as pods complete (the first pod done
    // always sends one), at most one a second.
    const first = stack.slack.calls('chat.postMessage').find((c) => c.ok && c.params.channel === CHANNEL)!;
    expect(String(first.params.text)).toBe('Sweeping shop: listing pods…');
    const updates = stack.slack.calls('chat.update').filter((c) => c.ok && c.params.ts === m.ts);
    const progress = updates.filter((c) => String(c.params.text).startsWith('Sweeping shop:'));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(String(progress.at(-1)!.params.text)).toMatch(/^Sweeping shop: \d+\/40 pods, \d+ unhealthy so far$/);
    const result = job.returnvalue as { progressUpdates: number; durationMs: number };
    expect(result.progressUpdates).toBe(progress.length);
    // The throttle as a count against the sweep's own duration (every update is sent while
    // the sweep runs, each ≥ 1 s after the one before; 900 allows a timer's rounding), not a
    // stopwatch on Slack's arrival times: a slower machine only loosens it, and without the
    // throttle each of the 39 pods before the last would send one.
    expect(progress.length).toBeLessThanOrEqual(Math.floor(result.durationMs / 900) + 1);
    expect(progress.length).toBeLessThan(39);
    // The last update is the table.
    expect(updates.at(-1)!.params.text).toBe('Sweep of shop: 40 pods, 8 unhealthy, 8 checked in depth');
    expect(m.text).toBe('Sweep of shop: 40 pods, 8 unhealthy, 8 checked in depth');
    const table = (m.blocks as { type: string; text?: { text: string } }[])
      .filter((b) => b.type === 'section' && b.text?.text.startsWith('```'))
      .map((b) => b.text!.text.replace(/```/g, ''))
      .join('\n')
      .split('\n');
    expect(table[0]).toMatch(/^POD\s+STATE\s+READY\s+RESTARTS\s+TOP CAUSE\s+CONF$/);
    expect(table).toHaveLength(41);
    expect(table.slice(1, 9).every((l) => l.includes('server-crashloop'))).toBe(true);
    expect(table.slice(9).every((l) => !l.includes('server-crashloop'))).toBe(true);
    expect(checkBlocks(m.blocks ?? [])).toEqual([]);
  }, 90_000);

  test('a namespace the channel may not touch is refused by the bot; nothing is queued', async () => {
    const before = await stack.checks.getJobCounts();
    const ack = await stack.slash('sweep -n kube-system', CHANNEL);
    expect((ack.json as { text: string }).text).toContain('may not touch namespace kube-system');
    expect(await stack.checks.getJobCounts()).toEqual(before);
  });
});
