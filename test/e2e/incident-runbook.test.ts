/**
 * End to end: incidents and runbooks through signed Slack requests to the real Bolt app, real
 * Redis, podnet's workers, the simulator on the seed incident, and the Slack stand-in.
 *
 * - open an incident; `runbook run mlserver-unreachable` typed in the channel runs in the
 *   incident's thread: the probe-bind-mismatch branch is taken, the OOM and netns branches
 *   are skipped; an `@podnet check` in the thread answers there and adds a finding;
 * - the summary lists every timeline entry; close posts the final summary and uploads a
 *   postmortem draft naming probe-bind-mismatch with its evidence; `podnet incident export`
 *   prints the same draft;
 * - a runbook's confirm step: an unauthorized press is refused, an allowed press resumes it;
 * - a `wait:` step is a delayed job, not a sleep.
 */
import { mkdtemp, readdir, copyFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Job } from 'bullmq';
import { main as incidentCli } from '../../src/bin/incident.js';
import { checkBlocks } from '../../src/render/block-limits.js';
import type { StoredMessage } from '../../src/slack/stand-in.js';
import { ackText, jobOf, startIncidentStack, USERS, waitFor, type IncidentStack } from '../helpers/incident-stack.js';

let stack: IncidentStack;
let dir: string;

beforeAll(async () => {
  // The shipped runbooks plus one with a wait step.
  dir = await mkdtemp(join(tmpdir(), 'podnet-runbooks-'));
  for (const f of await readdir('runbooks')) await copyFile(join('runbooks', f), join(dir, f));
  await writeFile(
    join(dir, 'wait-test.yaml'),
    ['apiVersion: podnet.dev/v1alpha1', 'kind: Runbook', 'metadata: { name: wait-test }', 'steps:', '  - id: before', '    post: before the wait', '  - id: pause', '    wait: 2s', '  - id: after', '    post: after the wait', ''].join('\n'),
  );
  stack = await startIncidentStack({ runbooksDir: dir });
}, 30_000);
afterAll(async () => {
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const textOf = (m: StoredMessage): string => JSON.stringify([m.text, m.blocks]);

describe('incident with the mlserver-unreachable runbook', () => {
  const channel = 'C0INCIDENT';
  let threadTs: string;
  let incidentId: string;

  test('incident open posts the header; its ts is the thread', async () => {
    const ack = ackText(await stack.slash('incident open "agent cannot reach mlserver"', channel));
    expect(ack).toContain('Queued');
    await stack.finished(jobOf(ack));
    const [header] = stack.slack.messages(channel);
    expect(header).toBeDefined();
    expect(textOf(header!)).toContain('agent cannot reach mlserver');
    const incident = await stack.hooks.store.openIn(channel);
    expect(incident?.threadTs).toBe(header!.ts);
    threadTs = header!.ts;
    incidentId = incident!.id;
    expect(textOf(header!)).toContain(incidentId);
    // A second open in the same channel is refused at once, nothing queued.
    expect(ackText(await stack.slash('incident open "another"', channel))).toMatch(/already has an open incident/);
  }, 30_000);

  test('runbook run in the channel: steps land in the thread; probe-bind branch taken, OOM branch skipped', async () => {
    const ack = ackText(await stack.slash('runbook run mlserver-unreachable mlserver-0 -n financial-ml', channel));
    const job = await stack.finished(jobOf(ack), 60_000);
    expect(job.failedReason).toBeUndefined();
    expect((job.returnvalue as { status: string }).status).toBe('done');
    // Nothing new at the top level: everything is in the incident's thread.
    expect(stack.slack.messages(channel)).toHaveLength(1);
    const replies = stack.slack.message(channel, threadTs)!.replies.map(textOf);
    const step = (id: string) => replies.find((r) => r.includes(`mlserver-unreachable`) && r.includes(`. ${id}*`));
    expect(step('first-check')).toContain(':white_check_mark:');
    expect(step('first-check')).toContain('probe-bind-mismatch');
    expect(step('probe-bind-logs')).toContain(':white_check_mark:');
    expect(step('probe-bind-fix')).toContain(':white_check_mark:');
    expect(step('oom-logs')).toContain(':fast_forward:');
    expect(step('oom-logs')).toContain('cause == server-oom-killed is false');
    expect(step('escalate-netns')).toContain(':fast_forward:');
    // The shared-namespace sentence is posted only because the namespaces were compared.
    expect(step('explain-loopback')).toContain(':white_check_mark:');
    expect(step('netns-not-compared')).toContain(':fast_forward:');
    expect(step('netns-not-compared')).toContain('netns == unknown is false');
    expect(step('watch-after-fix')).toContain('watch started');
    // The fix text and the previous-run logs are posted in the thread.
    expect(replies.some((r) => r.includes('MLSERVER_HOST'))).toBe(true);
    expect(replies.some((r) => r.includes('Logs: mlserver-0/') && r.includes('(previous)'))).toBe(true);
    expect(replies.some((r) => r.includes(':checkered_flag:'))).toBe(true);
    for (const m of stack.slack.message(channel, threadTs)!.replies) expect(checkBlocks(m.blocks ?? [])).toEqual([]);

    const timeline = await stack.hooks.store.timeline(incidentId);
    const kinds = timeline.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'command')).toHaveLength(1);
    expect(timeline.find((e) => e.kind === 'finding')?.cause).toBe('probe-bind-mismatch');
    // 10 steps since explain-loopback-unsettled and netns-not-compared were added.
    expect(timeline.filter((e) => e.kind === 'runbook-step').length).toBe(10);
  }, 90_000);

  test('@podnet check in the thread answers in the thread and adds a command and a finding', async () => {
    const before = await stack.hooks.store.timeline(incidentId);
    const res = await stack.mention('check mlserver-0 -n financial-ml', channel, threadTs);
    expect(res.status).toBe(200);
    const eph = await waitFor(() => stack.slack.ephemerals(channel).find((e) => e.text?.includes('Queued check')), 10_000, 'the queued ephemeral');
    expect(eph.thread_ts).toBe(threadTs);
    await stack.finished(jobOf(eph.text!), 60_000);
    const after = await waitFor(async () => {
      const t = await stack.hooks.store.timeline(incidentId);
      return t.filter((e) => e.kind === 'finding').length > before.filter((e) => e.kind === 'finding').length ? t : undefined;
    }, 10_000, 'the finding');
    expect(after.slice(before.length).map((e) => e.kind)).toEqual(['command', 'finding']);
    expect(after[after.length - 1]!.evidence!.length).toBeGreaterThanOrEqual(3);
    expect(stack.slack.messages(channel)).toHaveLength(1);
  }, 90_000);

  test('summary in the thread contains every timeline entry', async () => {
    const ack = ackText(await stack.slash('incident summary', channel));
    await stack.finished(jobOf(ack));
    const timeline = await stack.hooks.store.timeline(incidentId);
    const summary = stack.slack
      .message(channel, threadTs)!
      .replies.filter((m) => textOf(m).includes('Summary: agent cannot reach mlserver'))
      .map(textOf)
      .join('\n');
    expect(summary).toContain('Leading cause');
    expect(summary).toContain('probe-bind-mismatch');
    for (const e of timeline) expect(summary).toContain(JSON.stringify(e.text).slice(1, -1).slice(0, 60));
  }, 30_000);

  test('close: final summary and a postmortem draft naming the cause with its evidence; export prints it', async () => {
    const ack = ackText(await stack.slash('incident close', channel));
    const job = await stack.finished(jobOf(ack));
    const { fileId } = job.returnvalue as { fileId: string };
    const file = stack.slack.files().find((f) => f.id === fileId);
    expect(file?.completed).toBe(true);
    const md = Buffer.from(file!.content!).toString('utf8');
    expect(md).toContain('# Postmortem draft: agent cannot reach mlserver');
    expect(md).toMatch(/## Root cause\s+`probe-bind-mismatch`/);
    expect(md).toMatch(/### Evidence\s+- .*(127\.0\.0\.1|9500|liveness|probe)/i);
    expect(md).toContain('MLSERVER_HOST');
    const timeline = await stack.hooks.store.timeline(incidentId);
    expect(timeline[timeline.length - 1]!.kind).toBe('closed');
    for (const e of timeline) expect(md).toContain(e.at);
    // The file is in the thread; the header says closed.
    const thread = stack.slack.message(channel, threadTs)!;
    expect(thread.replies.some((r) => r.files?.some((f) => f.id === fileId))).toBe(true);
    expect(textOf(thread)).toContain('Closed');
    expect(await stack.hooks.store.openIn(channel)).toBeUndefined();

    let out = '';
    const code = await incidentCli(['export', incidentId, '--redis', stack.redisUrl, '--prefix', stack.prefix], { out: (t) => (out += t), err: () => undefined, env: {} });
    expect(code).toBe(0);
    expect(out).toBe(md);
    let json = '';
    expect(await incidentCli(['export', incidentId, '--redis', stack.redisUrl, '--prefix', stack.prefix, '--output', 'json'], { out: (t) => (json += t), err: () => undefined, env: {} })).toBe(0);
    expect((JSON.parse(json) as { timeline: unknown[] }).timeline).toHaveLength(timeline.length);
  }, 30_000);

  test('after close, commands in the channel answer in the channel again', async () => {
    expect(ackText(await stack.slash('incident summary', channel))).toMatch(/no open incident/);
  });
});

describe('runbook confirm step', () => {
  const channel = 'C0RUNBOOK1';

  test('an unauthorized press is refused; an allowed press resumes the run', async () => {
    const ack = ackText(await stack.slash('runbook run crashloop-triage mlserver-0 -n financial-ml', channel));
    const job = await stack.finished(jobOf(ack), 60_000);
    const result = job.returnvalue as { status: string; runId: string; threadTs: string };
    expect(result.status).toBe('awaiting-confirm');
    const thread = stack.slack.message(channel, result.threadTs)!;
    const ask = thread.replies.find((r) => textOf(r).includes('podnet_runbook_confirm'))!;
    expect(textOf(ask)).toContain('Attach an ephemeral debug container');
    // The advice step (crashloop only) was skipped: the cause is probe-bind-mismatch.
    expect(thread.replies.some((r) => textOf(r).includes('. advice*') && textOf(r).includes(':fast_forward:'))).toBe(true);

    // Alice may run commands here but not intrusive ones.
    expect((await stack.press('podnet_runbook_confirm', result.runId, channel, USERS.alice, ask.ts, result.threadTs, 'alice-press')).status).toBe(200);
    const refused = await waitFor(() => stack.slack.responses('alice-press')[0], 10_000, 'the refusal');
    expect(String(refused.body.text)).toMatch(/:no_entry:.*[Ii]ntrusive/);
    expect((await Job.fromId(stack.checks, `${result.runId}-answer-3`))).toBeUndefined();

    // Bob is an intrusive user: his press resumes the run; a second press does nothing.
    await stack.press('podnet_runbook_confirm', result.runId, channel, USERS.bob, ask.ts, result.threadTs, 'bob-press');
    const ok = await waitFor(() => stack.slack.responses('bob-press')[0], 10_000, 'the confirmation');
    expect(String(ok.body.text)).toContain('Confirmed');
    const resumed = await stack.finished(jobOf(String(ok.body.text)), 60_000);
    expect(resumed.failedReason).toBeUndefined();
    expect((resumed.returnvalue as { status: string }).status).toBe('done');
    const replies = stack.slack.message(channel, result.threadTs)!.replies.map(textOf);
    expect(replies.some((r) => r.includes(`Confirmed by <@${USERS.bob}>`))).toBe(true);
    expect(replies.some((r) => r.includes('. debug*') && r.includes(':white_check_mark:') && r.includes('attached'))).toBe(true);
    // The prompt itself became its answer: no buttons left, who answered shown.
    const prompt = stack.slack.message(channel, ask.ts)!;
    expect(textOf(prompt)).not.toContain('podnet_runbook_confirm');
    expect(textOf(prompt)).toContain(`Confirmed by <@${USERS.bob}>`);
    await stack.press('podnet_runbook_confirm', result.runId, channel, USERS.bob, ask.ts, result.threadTs, 'bob-again');
    expect(String((await waitFor(() => stack.slack.responses('bob-again')[0], 10_000, 'the second answer')).body.text)).toMatch(/not waiting/);
  }, 120_000);

  test('decline needs the same permission as confirm; an allowed decline skips the step and the prompt shows who declined', async () => {
    const ack = ackText(await stack.slash('runbook run crashloop-triage mlserver-0 -n financial-ml', channel));
    const result = (await stack.finished(jobOf(ack), 60_000)).returnvalue as { runId: string; threadTs: string };
    const ask = await waitFor(() => stack.slack.message(channel, result.threadTs)?.replies.find((r) => textOf(r).includes('podnet_runbook_decline')), 10_000, 'the question');
    // Alice may not answer an intrusive step either way: her Decline does not use the step up.
    await stack.press('podnet_runbook_decline', result.runId, channel, USERS.alice, ask.ts, result.threadTs, 'alice-decline');
    const refused = await waitFor(() => stack.slack.responses('alice-decline')[0], 10_000, 'the refusal');
    expect(String(refused.body.text)).toMatch(/:no_entry:.*[Ii]ntrusive/);
    expect(textOf(stack.slack.message(channel, ask.ts)!)).toContain('podnet_runbook_decline');
    await stack.press('podnet_runbook_decline', result.runId, channel, USERS.bob, ask.ts, result.threadTs, 'bob-decline');
    const res = await waitFor(() => stack.slack.responses('bob-decline')[0], 10_000, 'the answer');
    const done = await stack.finished(jobOf(String(res.body.text)), 30_000);
    expect((done.returnvalue as { status: string }).status).toBe('done');
    const replies = stack.slack.message(channel, result.threadTs)!.replies.map(textOf);
    expect(replies.some((r) => r.includes('. debug*') && r.includes(':no_entry_sign:'))).toBe(true);
    const prompt = textOf(stack.slack.message(channel, ask.ts)!);
    expect(prompt).not.toContain('podnet_runbook_decline');
    expect(prompt).toContain(`Declined by <@${USERS.bob}>`);
  }, 90_000);
});

describe('runbook wait step', () => {
  test('a wait is a delayed continuation job, not a sleep inside the job', async () => {
    const channel = 'C0RUNBOOK2';
    const ack = ackText(await stack.slash('runbook run wait-test mlserver-0 -n financial-ml', channel));
    const first = await stack.finished(jobOf(ack), 30_000);
    expect(first.failedReason).toBeUndefined();
    const r = first.returnvalue as { runId: string; status: string; threadTs: string };
    // The first job ended at the wait (the run is still running) and left the rest to a
    // continuation delayed by the step's 2 s: no stopwatch on the first job's duration.
    expect(r.status).toBe('running');
    const cont = await Job.fromId(stack.checks, `${r.runId}-wait-1`);
    expect(cont?.opts.delay).toBe(2000);
    const done = await stack.finished(`${r.runId}-wait-1`, 15_000);
    expect((done.returnvalue as { status: string }).status).toBe('done');
    // Order: the continuation started after the first job ended, and not before its delay was
    // up (a lower bound from BullMQ's own timestamps, which load cannot break).
    expect(done.processedOn!).toBeGreaterThanOrEqual(first.finishedOn!);
    expect(done.processedOn!).toBeGreaterThanOrEqual(cont!.timestamp + 2000);
    const replies = stack.slack.message(channel, r.threadTs)!.replies.map(textOf);
    expect(replies.some((x) => x.includes('after the wait'))).toBe(true);
  }, 60_000);

  test('runbook list and show answer from the loaded runbooks; an unknown name lists the known ones', async () => {
    const channel = 'C0RUNBOOK2';
    await stack.finished(jobOf(ackText(await stack.slash('runbook list', channel))));
    const all = stack.slack.messages(channel).map(textOf).join('\n');
    for (const name of ['mlserver-unreachable', 'oom-triage', 'crashloop-triage', 'wait-test']) expect(all).toContain(name);
    await stack.finished(jobOf(ackText(await stack.slash('runbook show oom-triage', channel))));
    expect(stack.slack.messages(channel).map(textOf).join('\n')).toContain('when `cause == server-oom-killed`');
    await stack.finished(jobOf(ackText(await stack.slash('runbook run no-such-book mlserver-0 -n financial-ml', channel))));
    expect(stack.slack.messages(channel).map(textOf).join('\n')).toMatch(/no runbook named `no-such-book`/);
  }, 30_000);
});
