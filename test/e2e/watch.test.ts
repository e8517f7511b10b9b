/**
 * End to end: `/podnet watch mlserver-0 -n financial-ml` through real Bolt → Redis (a BullMQ
 * job scheduler) → podnet's workers → client-node → the simulator playing a timeline in which
 * mlserver restarts three times, the agent refused 3 s after each → the Slack stand-in.
 *
 * The test drives the simulator's clock (always just after a run finished, so no run sees
 * half a step) and asserts the watch posted exactly: the baseline, one message per restart,
 * one flap message — nothing while nothing changed — that it kept going across a worker
 * restart, and that the Stop button ends it with a final message.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { checkBlocks } from '../../src/render/block-limits.js';
import { blockActionBody, postSigned } from '../../src/slack/testing.js';
import type { StoredMessage } from '../../src/slack/stand-in.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { WatchStore } from '../../src/watch/store.js';
import { startE2EStack, waitFor, type E2EStack } from '../helpers/e2e-stack.js';

const CHANNEL = 'C0WATCH01';
const POD = 'financial-ml/mlserver-0';
const REFUSED = 'time="x" level=info msg="Waiting for Inference Server service to become ready... connection refused"';

const seed = loadScenario('scenarios/seed-incident.yaml');
/** The scenario's elapsed time; the watch starts 10 minutes in, the restarts come at 11, 12 and 13. */
let elapsed = 600_000;
const restartAt = [11, 12, 13].map((m) => m * 60_000);

let stack: E2EStack;
let store: WatchStore;

beforeAll(async () => {
  const timeline = restartAt.flatMap((ms) => [
    { at: `${ms / 1000}s`, pod: POD, restart: { container: 'mlserver', reason: 'Error', exitCode: 137, lines: [] } },
    { at: `${ms / 1000 + 3}s`, pod: POD, log: { container: 'agent', lines: [REFUSED] } },
  ]);
  stack = await startE2EStack({
    scenario: { ...seed, timeline },
    elapsedMs: () => elapsed,
    clusterNow: () => new Date(Date.parse(seed.now) + elapsed),
    channels: [{ id: CHANNEL, namespaces: ['financial-ml'] }],
    // --every 10s --for 10m become 1 s and 60 s.
    watchIntervalScale: 0.1,
  });
  store = new WatchStore(stack.redis, stack.prefix);
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

const text = (m: StoredMessage): string => JSON.stringify([m.text, m.blocks]);
const baseline = (): StoredMessage | undefined => stack.slack.messages(CHANNEL)[0];
/** The thread's messages, without file shares (the flap's timeline chart). */
const replies = (): StoredMessage[] => (baseline()?.replies ?? []).filter((r) => !r.files?.length);
const fileReplies = (): StoredMessage[] => (baseline()?.replies ?? []).filter((r) => r.files?.length);

describe('watch through Slack, Redis, workers and a simulator timeline', () => {
  test('baseline, exactly the restarts, one flap message, survives a worker restart, Stop ends it', async () => {
    const ack = await stack.slash('watch mlserver-0 -n financial-ml --every 10s --for 10m', CHANNEL);
    expect(ack.status).toBe(200);
    const ackText = (ack.json as { text: string }).text;
    expect(ackText).toContain('Queued watch of mlserver-0 in financial-ml');
    const watchId = /job `([^`]+)`/.exec(ackText)?.[1] ?? '';
    expect(watchId).toMatch(/^watch-/);
    expect(await stack.checks.getJobScheduler(watchId)).toMatchObject({ every: 1000 });

    const runs = async () => (await store.get(watchId))?.runs ?? 0;
    /** Waits for the next run to be recorded, then moves the scenario's clock. */
    const afterNextRun = async (then?: () => void) => {
      const before = await runs();
      await waitFor(async () => ((await runs()) > before ? true : undefined), 15_000, `watch run ${before + 1}`);
      then?.();
    };

    // 1. The baseline: top level, the cause, a Stop button.
    const first = await waitFor(() => baseline(), 15_000, 'the baseline');
    expect(first.text).toContain('Watching mlserver-0 in financial-ml every 1s for 1m — baseline: probe-bind-mismatch');
    const actionsBlock = (first.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions');
    const stop = actionsBlock?.elements?.find((e) => e.action_id === 'podnet_watch_stop');
    expect(stop?.value).toBe('watch stop mlserver-0 -n financial-ml');

    // 2. Nothing changes: three more runs, no post.
    for (let i = 0; i < 3; i++) await afterNextRun();
    expect(replies()).toHaveLength(0);
    expect(stack.slack.calls('chat.postMessage').filter((c) => c.ok)).toHaveLength(1);

    // 3. First restart (and the agent's refusal 3 s later).
    await afterNextRun(() => (elapsed = restartAt[0]! + 5_000));
    await waitFor(() => (replies().length >= 1 ? true : undefined), 15_000, 'the first change');
    expect(replies()[0]!.text).toContain('mlserver restarted 1 more time');

    // 4. The workers go away and come back (a redeploy): the scheduler lives in Redis.
    await stack.restartWorkers();
    await afterNextRun(() => (elapsed = restartAt[1]! + 5_000));
    await waitFor(() => (replies().length >= 2 ? true : undefined), 15_000, 'the second change');
    expect(replies()[1]!.text).toContain('mlserver restarted 1 more time');

    // 5. Third restart: the change, then the flap, once.
    await afterNextRun(() => (elapsed = restartAt[2]! + 5_000));
    await waitFor(() => (replies().length >= 4 ? true : undefined), 15_000, 'the third change and the flap');
    for (let i = 0; i < 3; i++) await afterNextRun();

    const posts = replies();
    expect(posts).toHaveLength(4);
    const [c1, c2, c3, flap] = posts.map(text);
    for (const c of [c1, c2, c3]) {
      expect(c).toContain('mlserver restarted 1 more time');
      expect(c).toContain('new refusal');
      expect(c).not.toContain('Flapping');
    }
    expect(flap).toContain('Flapping');
    expect(flap).toContain('mlserver restarted 3 times in 10 min, each time the client was refused within 3 s');
    // The episode's timeline chart, once, in the same thread right after the flap message.
    expect(fileReplies().map((r) => r.files?.[0]?.name)).toEqual(['mlserver-0-flapping.png']);
    const all = baseline()!.replies;
    expect(all[all.findIndex((r) => text(r).includes('Flapping')) + 1]?.files?.[0]?.name).toBe('mlserver-0-flapping.png');
    const chart = stack.slack.files().find((f) => f.filename === 'mlserver-0-flapping.png');
    expect(Buffer.from(chart!.content!).subarray(1, 4).toString()).toBe('PNG');
    for (const m of [first, ...posts]) expect(checkBlocks(m.blocks ?? [])).toEqual([]);
    // The baseline message keeps the latest state in place.
    expect(text(baseline()!)).toContain('3 changes');

    // 6. The Stop button.
    const press = await postSigned(
      stack.botUrl,
      blockActionBody({ actionId: 'podnet_watch_stop', value: stop!.value, channel: CHANNEL, messageTs: first.ts, responseUrl: stack.slack.responseUrl(CHANNEL) }),
      stack.signingSecret,
    );
    expect(press.status).toBe(200);
    await waitFor(() => (replies().length >= 5 ? true : undefined), 15_000, 'the final message');
    expect(replies()[4]!.text).toContain('Stopped watching mlserver-0 in financial-ml: stopped by <@U0ALICE001>');
    expect(await stack.checks.getJobScheduler(watchId)).toBeUndefined();
    const ended = baseline()!;
    expect(JSON.stringify(ended.blocks)).not.toContain('podnet_watch_stop');
    expect(text(ended)).toContain('Watch ended: stopped by');

    // Nothing after the end: once no job of this queue is left to run (a run in flight at the
    // Stop, or a next run left delayed, would be waited for here), nothing more was posted.
    // Waiting for that event, not a fixed pause.
    const calls = stack.slack.calls('chat.postMessage').length;
    const runsAtEnd = await runs();
    await waitFor(
      async () => {
        const counts = await stack.checks.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'waiting-children');
        return Object.values(counts).every((n) => n === 0) ? true : undefined;
      },
      15_000,
      'no watch run left to run',
    );
    expect(stack.slack.calls('chat.postMessage').length).toBe(calls);
    expect(await runs()).toBe(runsAtEnd);
    expect(replies()).toHaveLength(5);
    expect(stack.slack.calls().filter((c) => !c.ok)).toEqual([]);
  }, 120_000);

  test('watch stop with nothing running says so; nothing is queued', async () => {
    const ack = await stack.slash('watch stop mlserver-1 -n financial-ml', CHANNEL);
    expect((ack.json as { text: string }).text).toContain('No watch of mlserver-1 in financial-ml is running in this channel');
  });
});
