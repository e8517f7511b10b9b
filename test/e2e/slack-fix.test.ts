/**
 * End to end: *Apply fix* and *Roll back* through Slack. A signed `/podnet check` → the real
 * Bolt app → real Redis → podnet's workers → real client-node → the simulator (seed incident)
 * → a summary whose *Apply fix* button carries a confirm dialog with the diff, shown only to a
 * user the channel policy lets take intrusive actions. The press goes back through Bolt, is
 * authorized again and queued; the worker applies the patch to the Seldon Server, posts the
 * diff and *Fixed — verified*. Where the fix does not take (MLServer's listeners do not follow
 * the env), the verdict is *Not fixed* with a *Roll back* button that restores the Server.
 * A user outside the policy gets no button, and a crafted press is refused.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createClusterAccess } from '../../src/cluster/client.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { FixStore } from '../../src/remediation/fix-store.js';
import { IncidentStore } from '../../src/incidents/store.js';
import { loadScenario } from '../../src/sim/scenario.js';
import type { StoredMessage } from '../../src/slack/stand-in.js';
import { blockActionBody, postSigned, slashCommandBody } from '../../src/slack/testing.js';
import { startE2EStack, waitFor, type E2EStack } from '../helpers/e2e-stack.js';

const CHANNEL = 'C0FIXOPS01';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const SERVER = { apiVersion: 'mlops.seldon.io/v1alpha1', kind: 'Server', namespace: 'financial-ml', name: 'mlserver' };
/** Bob asks in his own channel: the same check in one channel within 10 s coalesces into the first. */
const BOBS = 'C0FIXOPS02';
const channels = [CHANNEL, BOBS].map((id) => ({ id, namespaces: ['financial-ml'], intrusive: { users: [ALICE] } }));

type Button = { action_id?: string; value?: string; confirm?: { text: { text: string } } };
const buttons = (m: StoredMessage): Button[] => (m.blocks as { type: string; elements?: Button[] }[] | undefined ?? []).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
const textOf = (m: StoredMessage): string => JSON.stringify([m.text, m.blocks]);

async function check(stack: E2EStack, user: string, channel = CHANNEL): Promise<StoredMessage> {
  const before = stack.slack.messages(channel).length;
  const ack = await postSigned(stack.botUrl, slashCommandBody({ text: 'check mlserver-0 -n financial-ml', channel, user, responseUrl: stack.slack.responseUrl(channel) }), stack.signingSecret);
  expect(ack.status).toBe(200);
  return waitFor(() => {
    const m = stack.slack.messages(channel)[before];
    return m && m.edits > 0 && m.replies.length > 0 ? m : undefined;
  }, 90_000, 'the check summary');
}

async function press(stack: E2EStack, summary: StoredMessage, actionId: string, value: string, user: string): Promise<string> {
  const id = `press-${Math.random().toString(36).slice(2)}`;
  const res = await postSigned(stack.botUrl, blockActionBody({ actionId, value, channel: summary.channel, user, messageTs: summary.ts, responseUrl: stack.slack.responseUrl(id) }), stack.signingSecret);
  expect(res.status).toBe(200);
  const [answer] = await waitFor(() => (stack.slack.responses(id).length > 0 ? stack.slack.responses(id) : undefined), 60_000, 'the answer to the press');
  return String((answer!.body as { text?: string }).text);
}

/** The reply in the summary's thread whose text matches. */
const reply = (stack: E2EStack, summary: StoredMessage, re: RegExp, timeoutMs = 90_000) =>
  waitFor(() => stack.slack.message(CHANNEL, summary.ts)?.replies.find((r) => re.test(textOf(r))), timeoutMs, `a reply matching ${re}`);

async function serverEnv(stack: E2EStack): Promise<unknown> {
  const cluster = createClusterAccess({ kubeConfigYaml: stack.sim.kubeconfigYaml() });
  const server = (await cluster.getObject(SERVER)) as KubeObject & { spec: { podSpec: { containers: { env?: unknown }[] } } };
  return server.spec.podSpec.containers[0]?.env;
}

describe('Apply fix → Fixed — verified (seed incident)', () => {
  let stack: E2EStack;
  beforeAll(async () => {
    stack = await startE2EStack({ channels, fixVerify: { settleMs: 1500, intervalMs: 500, deadlineMs: 60_000 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('a user outside the intrusive policy gets no button, and a crafted press is refused', async () => {
    const summary = await check(stack, BOB, BOBS);
    expect(textOf(summary)).toContain('probe-bind-mismatch');
    expect(buttons(summary).map((b) => b.action_id)).not.toContain('podnet_apply_fix');
    const crafted = JSON.stringify({ ns: 'financial-ml', pod: 'mlserver-0', cause: 'probe-bind-mismatch', patch: '0badc0de' });
    const answer = await press(stack, summary, 'podnet_apply_fix', crafted, BOB);
    expect(answer).toMatch(/^:no_entry: You may not apply a fix from this channel/);
    expect((await stack.checks.getJobs(['waiting', 'active', 'completed', 'failed'])).filter((j) => j.name === 'apply-fix')).toHaveLength(0);
    expect(await serverEnv(stack)).toEqual([{ name: 'MLSERVER_HOST', value: '127.0.0.1' }]);
  }, 180_000);

  test('check → Apply fix (confirm shows the diff) → the diff in the thread → Fixed — verified; a double press applies once', async () => {
    const summary = await check(stack, ALICE);
    const apply = buttons(summary).find((b) => b.action_id === 'podnet_apply_fix');
    expect(apply).toBeDefined();
    expect(apply!.confirm?.text.text).toMatch(/Patch \*Server mlserver in financial-ml\*[\s\S]*- - name: MLSERVER_HOST/);
    // Even an allowed user's press applies only the patch the check plans now: a crafted hash is refused by the worker.
    const crafted = JSON.stringify({ ...(JSON.parse(apply!.value!) as object), patch: '0badc0de' });
    expect(await press(stack, summary, 'podnet_apply_fix', crafted, ALICE)).toMatch(/Applying the fix/);
    const refused = await reply(stack, summary, /Fix not applied/);
    expect(textOf(refused)).toMatch(/differs from the one the summary showed/);
    expect(await serverEnv(stack)).toEqual([{ name: 'MLSERVER_HOST', value: '127.0.0.1' }]);
    const [first, second] = await Promise.all([press(stack, summary, 'podnet_apply_fix', apply!.value!, ALICE), press(stack, summary, 'podnet_apply_fix', apply!.value!, ALICE)]);
    expect(first).toMatch(/Applying the fix for `probe-bind-mismatch`/);
    expect(/job `([^`]+)`/.exec(second)?.[1]).toBe(/job `([^`]+)`/.exec(first)?.[1]);

    const applied = await reply(stack, summary, /applied the fix for/);
    expect(textOf(applied)).toMatch(/Server mlserver in financial-ml[\s\S]*- - name: MLSERVER_HOST/);
    const verdict = await reply(stack, summary, /Fixed — verified/);
    expect(textOf(verdict)).toMatch(/connected/);
    expect(buttons(verdict)).toHaveLength(0);
    expect(await serverEnv(stack)).toBeUndefined();

    const trail = await new FixStore({ redis: stack.redis, prefix: stack.prefix }).auditTrail(stack.cluster);
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ action: 'apply', outcome: 'applied', who: ALICE, channel: CHANNEL, object: 'Server financial-ml/mlserver (mlops.seldon.io/v1alpha1)', diff: ['- env:', '- - name: MLSERVER_HOST', '- value: 127.0.0.1'] });
    expect(stack.slack.message(CHANNEL, summary.ts)!.replies.filter((r) => /applied the fix for/.test(textOf(r)))).toHaveLength(1);
  }, 240_000);
});

describe('Apply fix → Not fixed → Roll back (listeners that do not follow the env)', () => {
  let stack: E2EStack;
  beforeAll(async () => {
    const s = loadScenario('scenarios/seed-incident.yaml');
    const pods = structuredClone(s.pods);
    delete pods['financial-ml/mlserver-0']!.containers.mlserver!.listenFollows;
    stack = await startE2EStack({ scenario: { ...s, pods }, channels, fixVerify: { settleMs: 1500, intervalMs: 500, deadlineMs: 4000 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('Not fixed names what still fails; Roll back is policy-gated and restores the Server once', async () => {
    const summary = await check(stack, ALICE);
    // An incident is open in the channel: the apply, the verdict and the roll-back go on its timeline.
    const incidents = new IncidentStore({ redis: stack.redis, prefix: stack.prefix });
    const incident = await incidents.open({ title: 'mlserver unreachable', channel: CHANNEL, threadTs: '1700000000.000777', openedBy: ALICE, at: new Date() });
    const apply = buttons(summary).find((b) => b.action_id === 'podnet_apply_fix')!;
    await press(stack, summary, 'podnet_apply_fix', apply.value!, ALICE);
    const verdict = await reply(stack, summary, /Not fixed/);
    expect(textOf(verdict)).toMatch(/probe-bind-mismatch is still diagnosed|not ready|refused/);
    expect(await serverEnv(stack)).toBeUndefined();
    const rollBack = buttons(verdict).find((b) => b.action_id === 'podnet_roll_back');
    expect(rollBack?.confirm?.text.text).toMatch(/restores the previous values of \*Server mlserver in financial-ml\*/);

    expect(await press(stack, summary, 'podnet_roll_back', rollBack!.value!, BOB)).toMatch(/^:no_entry: You may not roll back a fix from this channel/);
    expect(await serverEnv(stack)).toBeUndefined();

    expect(await press(stack, summary, 'podnet_roll_back', rollBack!.value!, ALICE)).toMatch(/Rolling back the fix to Server mlserver/);
    const undone = await reply(stack, summary, /rolled back the fix/);
    expect(textOf(undone)).toMatch(/\+ - name: MLSERVER_HOST/);
    expect(await serverEnv(stack)).toEqual([{ name: 'MLSERVER_HOST', value: '127.0.0.1' }]);

    const trail = await new FixStore({ redis: stack.redis, prefix: stack.prefix }).auditTrail(stack.cluster);
    expect(trail.map((r) => [r.action, r.outcome, r.who])).toEqual([['roll-back', 'rolled-back', ALICE], ['apply', 'applied', ALICE]]);
    // The timeline entry follows the thread reply: wait for all three.
    const actionsOf = async () => (await incidents.timeline(incident.id)).filter((e) => e.kind === 'action').map((e) => `${e.who} ${e.text}`);
    const timeline = await waitFor(async () => ((await actionsOf()).length >= 3 ? actionsOf() : undefined), 60_000, 'three timeline entries');
    expect(timeline).toEqual([
      expect.stringMatching(/^U0ALICE001 applied the fix for probe-bind-mismatch to Server financial-ml\/mlserver .*- - name: MLSERVER_HOST/),
      expect.stringMatching(/^U0ALICE001 Not fixed after \d+ s: /),
      expect.stringMatching(/^U0ALICE001 rolled back the fix to Server financial-ml\/mlserver .*\+ - name: MLSERVER_HOST/),
    ]);
  }, 240_000);
});
