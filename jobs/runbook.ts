/**
 * `runbook` (list | show | run | continue). A run is the runner's resumable state machine
 * (src/runbooks/runner.ts) driven by actions built on the worker's real capabilities:
 *
 * - check: the same collection as a `check` job (probe evidence + logs, merged with
 *   mergeEvidence from jobs/check.ts), the same analysis, a compact summary in the thread;
 * - logs: one bounded, scanned read of one container (as the `logs` job), posted;
 * - sweep: runSweep + its Slack table; watch: a `watch` job when the worker has one;
 * - post: a message in the thread; debug: a check with an ephemeral debug container.
 *
 * A `wait:` step does not sleep inside the job: the run is saved and the job re-added with
 * BullMQ's `delay`, so no worker slot is held. A `confirm:` step saves the run and posts
 * Confirm/Decline buttons; the bot's button handler enqueues a `continue` job.
 *
 * Every outcome is posted in the run's thread and, when that thread is an incident's,
 * appended to its timeline. Posts and entries are keyed by run and step, so a job that
 * BullMQ runs again posts and appends nothing twice.
 */
import type { Job, Queue } from 'bullmq';
import type { Diagnosis } from '../src/analysis/types.js';
import type { Evidence } from '../src/evidence.js';
import { describeError, PodnetError } from '../src/errors.js';
import type { IncidentRecorder } from '../src/incidents/hooks.js';
import { LOGS_BOUNDS } from '../src/logscan/bounds.js';
import { compileGrep } from '../src/logscan/grep.js';
import { scanLog } from '../src/logscan/scan.js';
import type { WatchStartCommand } from '../src/commands/grammar.js';
import { JOB_NAMES, type RunbookPayload, type SlackTarget } from '../src/queue/contracts.js';
import { jobOptions } from '../src/queue/job-options.js';
import { runJob, type ProcessorDeps } from '../src/queue/processor-deps.js';
import { renderLogsMessage } from '../src/render/logs.js';
import {
  renderConfirmAnswer,
  renderDebugOutput,
  renderGrepLines,
  renderOutcome,
  renderPostStep,
  renderRunbookList,
  renderRunbookShow,
  renderRunbooksLoadFailed,
  renderRunEnd,
  renderRunStart,
  renderUnknownRunbook,
  watchByHandText,
} from '../src/render/runbook.js';
import type { SlackMessage } from '../src/render/slack-limits.js';
import { renderSweepSlack, sweepHeadline } from '../src/render/sweep.js';
import { advanceRun, fillTemplate, startRun, type CheckSummary, type RunbookActions, type RunbookTarget, type RunState, type StepOutcome } from '../src/runbooks/runner.js';
import type { RunStore, StoredRun } from '../src/runbooks/runs.js';
import { evaluateCondition, parseDurationMs, stepKind, type Runbook, type RunbookStep } from '../src/runbooks/schema.js';
import type { SlackBlock } from '../src/slack/poster.js';
import { runSweep } from '../src/sweep/sweep.js';
import { mergeEvidence } from './check.js';

export interface RunbookJobDeps {
  processor: ProcessorDeps;
  incidents: IncidentRecorder;
  runs: RunStore;
  /** The loaded runbooks by name (src/runbooks/loader.ts); rejects with the file:line error. */
  runbooks: () => Promise<Map<string, Runbook>>;
  /** This cluster's `checks` queue: delayed continuations (wait) and watch jobs go there. */
  queue: Queue;
  /**
   * Starts a watch (src/watch/enqueue.ts) answering in the run's thread. Without it, a
   * watch step posts the command to start one by hand.
   */
  startWatch?: (cmd: WatchStartCommand, slack: SlackTarget, requestId: string) => Promise<{ jobId: string }>;
  /** A `wait:` step with a `confirm:` runs inline; it sleeps at most this long. Default 60 000 ms. */
  maxInlineWaitMs?: number;
  /** How long a debug step waits for its ephemeral container to run. Default 30 000 ms. */
  debugStartTimeoutMs?: number;
  now?: () => Date;
}

export interface RunbookJobResult {
  runId?: string;
  status?: RunState['status'];
  threadTs?: string;
  outcomes?: number;
  error?: string;
}

/** Job-id-safe run id for a request. */
export function runIdFor(requestId: string): string {
  return `rb-${requestId.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 80)}`;
}

/** The variables a check gives the runbook (for `when:` and templates). */
export function checkSummaryOf(diagnosis: Diagnosis, evidence: Evidence): CheckSummary {
  const top = diagnosis.hypotheses[0];
  const client = diagnosis.target.client;
  const server = diagnosis.target.server;
  const restarts = evidence.pod?.containers.find((c) => c.name === server)?.status?.restartCount;
  const dial = evidence.dials.find((d) => d.from === client)?.outcome ?? evidence.dials[0]?.outcome;
  const cause = top?.cause ?? 'unknown';
  const confidence = top?.confidence ?? 0;
  // Shared only when at least two containers' namespaces were read and are equal (the same test
  // as the analysis's ruled-out sentence): a runbook must not say "one namespace" when they were
  // never compared.
  const read = evidence.netns.filter((n) => n.netns);
  const values = new Set(read.map((n) => n.netns));
  const netns = values.size > 1 ? 'separate' : read.length >= 2 ? 'shared' : 'unknown';
  return {
    cause,
    confidence,
    ...(client !== undefined && { client }),
    ...(server !== undefined && { server }),
    ...(restarts !== undefined && { restarts }),
    ...(dial !== undefined && { dial }),
    netns,
    headline: `${cause} (${Math.round(confidence * 100)}%)${top ? ` — ${top.summary}` : ''}`,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What every step of the processor shares: its deps with their defaults applied, and how it posts. */
interface RunbookContext {
  deps: RunbookJobDeps;
  p: ProcessorDeps;
  now: () => Date;
  maxInlineWaitMs: number;
  debugStartTimeoutMs: number;
  /** Posts messages in order (each keyed `<key>-<i>`); returns the first one's ts. */
  post(channel: string, threadTs: string | undefined, messages: SlackMessage[], key: string): Promise<string | undefined>;
}

export function createRunbookProcessor(deps: RunbookJobDeps): (job: Job<RunbookPayload, RunbookJobResult>) => Promise<RunbookJobResult> {
  const ctx = runbookContext(deps);
  return (job) =>
    runJob(async () => {
      const data = job.data;
      const jobId = job.id ?? data.requestId;
      switch (data.action) {
        case 'list':
          return listRunbooks(ctx, data, jobId);
        case 'show':
          return showRunbook(ctx, data, jobId);
        case 'run':
          return startRunbook(ctx, data, jobId);
        case 'continue':
          return resumeRunbook(ctx, data, jobId);
      }
    });
}

function runbookContext(deps: RunbookJobDeps): RunbookContext {
  const p = deps.processor;
  return {
    deps,
    p,
    now: deps.now ?? (() => new Date()),
    maxInlineWaitMs: deps.maxInlineWaitMs ?? 60_000,
    debugStartTimeoutMs: deps.debugStartTimeoutMs ?? 30_000,
    async post(channel, threadTs, messages, key) {
      let first: string | undefined;
      for (const [i, m] of messages.entries()) {
        const res = await p.poster.post({ channel, text: m.text, blocks: m.blocks as SlackBlock[], ...(threadTs !== undefined && { thread_ts: threadTs }), idempotencyKey: `${key}-${i}` });
        first ??= res?.ts;
      }
      return first;
    },
  };
}

/** The loaded runbooks, or undefined after saying in Slack why they could not be loaded. */
async function loadRunbooks(ctx: RunbookContext, data: RunbookPayload, jobId: string): Promise<Map<string, Runbook> | undefined> {
  try {
    return await ctx.deps.runbooks();
  } catch (err) {
    await ctx.post(data.slack.channel, data.slack.threadTs, renderRunbooksLoadFailed(describeError(err)), `${jobId}-load-error`);
    return undefined;
  }
}

async function unknownRunbook(ctx: RunbookContext, data: RunbookPayload, jobId: string, runbooks: Map<string, Runbook>): Promise<RunbookJobResult> {
  await ctx.post(data.slack.channel, data.slack.threadTs, renderUnknownRunbook(data.runbook ?? '', [...runbooks.keys()]), `${jobId}-unknown`);
  return { error: `unknown runbook ${data.runbook}` };
}

/** `runbook list`. */
async function listRunbooks(ctx: RunbookContext, data: RunbookPayload, jobId: string): Promise<RunbookJobResult> {
  const runbooks = await loadRunbooks(ctx, data, jobId);
  if (runbooks) await ctx.post(data.slack.channel, data.slack.threadTs, renderRunbookList(runbooks), `${jobId}-list`);
  return {};
}

/** `runbook show NAME`. */
async function showRunbook(ctx: RunbookContext, data: RunbookPayload, jobId: string): Promise<RunbookJobResult> {
  const runbooks = await loadRunbooks(ctx, data, jobId);
  if (!runbooks) return { error: 'runbooks failed to load' };
  const rb = runbooks.get(data.runbook ?? '');
  if (!rb) return unknownRunbook(ctx, data, jobId, runbooks);
  await ctx.post(data.slack.channel, data.slack.threadTs, renderRunbookShow(rb), `${jobId}-show`);
  return {};
}

/** `runbook run NAME POD`: posts the run's first message (its thread), stores the run and advances it. */
async function startRunbook(ctx: RunbookContext, data: RunbookPayload, jobId: string): Promise<RunbookJobResult> {
  const { deps } = ctx;
  const runbooks = await loadRunbooks(ctx, data, jobId);
  if (!runbooks) return { error: 'runbooks failed to load' };
  const runbook = runbooks.get(data.runbook ?? '');
  if (!runbook) return unknownRunbook(ctx, data, jobId, runbooks);
  const runId = runIdFor(data.requestId);
  const existing = await deps.runs.get(runId);
  if (existing) return advance(ctx, existing, runbook); // a re-run of this job: carry on from the saved state
  const target = { namespace: data.namespace, pod: data.pod ?? '' };
  const ts = await ctx.post(data.slack.channel, data.slack.threadTs, renderRunStart(runbook, target, data.slack.user, runId), `${runId}-start`);
  const threadTs = data.slack.threadTs ?? ts;
  if (threadTs === undefined) throw new Error('Slack returned no ts for the runbook header');
  const incident = await deps.incidents.incidentOf({ channel: data.slack.channel, threadTs });
  const stored: StoredRun = {
    runId,
    runbook: runbook.metadata.name,
    cluster: data.cluster,
    channel: data.slack.channel,
    threadTs,
    startedBy: data.slack.user,
    startedAt: data.requestedAt,
    ...(incident && { incidentId: incident.id }),
    state: startRun(runbook, target),
  };
  await deps.runs.save(stored);
  return advance(ctx, stored, runbook);
}

/** `continue`: a delayed wait ran out, or someone answered a confirm. */
async function resumeRunbook(ctx: RunbookContext, data: RunbookPayload, jobId: string): Promise<RunbookJobResult> {
  const stored = data.runId !== undefined ? await ctx.deps.runs.get(data.runId) : undefined;
  if (!stored) throw new PodnetError('not-found', `runbook run ${data.runId} is not stored (expired?)`);
  const runbooks = await loadRunbooks(ctx, data, jobId);
  if (!runbooks) return { error: 'runbooks failed to load' };
  const runbook = runbooks.get(stored.runbook);
  if (!runbook) return unknownRunbook(ctx, { ...data, runbook: stored.runbook }, jobId, runbooks);
  if (data.confirmation !== undefined && stored.state.status !== 'awaiting-confirm') {
    return { runId: stored.runId, status: stored.state.status, threadTs: stored.threadTs, error: 'not waiting for confirmation' };
  }
  if (data.confirmation === undefined && stored.state.status !== 'running') {
    return { runId: stored.runId, status: stored.state.status, threadTs: stored.threadTs };
  }
  if (data.confirmation !== undefined) await postConfirmAnswer(ctx, data, jobId, stored, runbook, data.confirmation);
  return advance(ctx, stored, runbook, data.confirmation);
}

/** Turns the prompt into its answer (when the button said which message it was) and says who answered in the thread. */
async function postConfirmAnswer(ctx: RunbookContext, data: RunbookPayload, jobId: string, stored: StoredRun, runbook: Runbook, confirmation: 'confirmed' | 'declined'): Promise<void> {
  const { p } = ctx;
  const step = `${stored.runbook} ${stored.state.next + 1}. ${runbook.steps[stored.state.next]?.id ?? ''}`.trim();
  const answer = renderConfirmAnswer(step, confirmation, data.slack.user);
  if (data.promptTs !== undefined) {
    await p.poster
      .update({ channel: stored.channel, ts: data.promptTs, text: answer.prompt.text, blocks: answer.prompt.blocks as SlackBlock[] })
      .catch((err: unknown) => p.logger.warn({ jobId, err: String(err) }, 'could not update the runbook prompt to its answer'));
  }
  await p.poster.post({ channel: stored.channel, thread_ts: stored.threadTs, text: answer.text, idempotencyKey: `${jobId}-answer` });
}

/** Runs a stored run forward until it ends, waits (confirm / delayed wait) or fails. */
async function advance(ctx: RunbookContext, run: StoredRun, runbook: Runbook, confirmation?: 'confirmed' | 'declined'): Promise<RunbookJobResult> {
  const { deps } = ctx;
  const incident = await deps.incidents.incidentOf({ channel: run.channel, threadTs: run.threadTs });
  let current = run.state.next;
  const record = async (outcome: StepOutcome) => {
    current = outcome.index + 1;
    await recordOutcome(ctx, run, runbook, incident, outcome);
  };
  const actions = runActions(ctx, run, () => current);
  let state = run.state;
  let answer = confirmation;
  for (;;) {
    // Stop the runner before the next plain `wait:`: that wait becomes a delayed job.
    let stop = state.next;
    while (stop < runbook.steps.length && !isPlainWait(runbook.steps[stop]!)) stop++;
    state = await advanceRun({ ...runbook, steps: runbook.steps.slice(0, stop) }, state, actions, { onOutcome: record, ...(answer !== undefined && { confirmation: answer }) });
    answer = undefined;
    if (state.status === 'awaiting-confirm') {
      const pending = runbook.steps[state.next];
      await deps.runs.save({ ...run, state, ...(pending && { pendingKind: stepKind(pending) }) });
      return { runId: run.runId, status: state.status, threadTs: run.threadTs, outcomes: state.outcomes.length };
    }
    if (state.status === 'failed') break;
    if (state.next >= runbook.steps.length) {
      state = { ...state, status: 'done' };
      break;
    }
    const waited = await planWait(ctx, run, runbook, state, record);
    state = waited.state;
    if (waited.delayed) return { runId: run.runId, status: 'running', threadTs: run.threadTs, outcomes: state.outcomes.length };
  }
  await deps.runs.save({ ...run, state });
  await ctx.post(run.channel, run.threadTs, renderRunEnd(runbook.metadata.name, state), `${run.runId}-end`);
  return { runId: run.runId, status: state.status, threadTs: run.threadTs, outcomes: state.outcomes.length };
}

/** Posts one step outcome in the run's thread and, when the thread is an incident's, appends it to the timeline (each once). */
async function recordOutcome(ctx: RunbookContext, run: StoredRun, runbook: Runbook, incident: Awaited<ReturnType<IncidentRecorder['incidentOf']>>, outcome: StepOutcome): Promise<void> {
  const entryKey = `${run.runId}-step-${outcome.index}-${outcome.status}`;
  await ctx.post(run.channel, run.threadTs, [renderOutcome(runbook.metadata.name, outcome, run.runId)], entryKey);
  if (!incident) return;
  const detail = outcome.status === 'awaiting-confirm' ? `awaiting confirmation: ${outcome.detail}` : outcome.detail;
  await ctx.deps.incidents.appendOnce(incident, entryKey, {
    at: ctx.now().toISOString(),
    kind: 'runbook-step',
    who: 'podnet',
    text: `runbook ${runbook.metadata.name} ${outcome.index + 1}. ${outcome.id}: ${detail}`,
    target: `${run.state.target.namespace}/${run.state.target.pod}`,
  });
}

/**
 * The plain `wait:` step at `state.next`: skipped when its `when:` is false (the run goes on),
 * else the run is saved and a delayed `continue` job added (`delayed`: this job is done).
 */
async function planWait(ctx: RunbookContext, run: StoredRun, runbook: Runbook, state: RunState, record: (o: StepOutcome) => Promise<void>): Promise<{ state: RunState; delayed: boolean }> {
  const { deps, now } = ctx;
  const index = state.next;
  const step = runbook.steps[index]! as RunbookStep & { wait: string };
  const id = step.id ?? `${index + 1}-wait`;
  if (step.when && !evaluateCondition(step.when, state.vars)) {
    const outcome: StepOutcome = { index, id, kind: 'wait', status: 'skipped', detail: `skipped: ${step.when} is false` };
    await record(outcome);
    return { state: { ...state, next: index + 1, outcomes: [...state.outcomes, outcome], status: 'running' }, delayed: false };
  }
  const ms = parseDurationMs(step.wait);
  const resumeAt = new Date(now().getTime() + ms);
  const outcome: StepOutcome = { index, id, kind: 'wait', status: 'done', detail: `${step.note ? `${fillTemplate(step.note, state)} — ` : ''}waiting ${step.wait}; the runbook continues at ${resumeAt.toISOString().slice(11, 19)} UTC` };
  await record(outcome);
  const next: RunState = { ...state, next: index + 1, outcomes: [...state.outcomes, outcome], status: 'running' };
  await deps.runs.save({ ...run, state: next });
  const payload: RunbookPayload = {
    requestId: `${run.runId}-wait-${index}`,
    cluster: run.cluster,
    namespace: next.target.namespace,
    slack: { channel: run.channel, user: run.startedBy, threadTs: run.threadTs },
    requestedAt: now().toISOString(),
    action: 'continue',
    runId: run.runId,
  };
  await deps.queue.add(JOB_NAMES.runbook, payload, { ...jobOptions(), jobId: payload.requestId, delay: ms });
  return { state: next, delayed: true };
}

/** What one step of a run may do in the run's thread. */
interface StepScope {
  ctx: RunbookContext;
  run: StoredRun;
  /** An idempotency key for this step's `what`. */
  key(what: string): string;
  /** The index of the step running. */
  current(): number;
}

/** The actions of one run, posting in its thread. `current()` is the index of the step running. */
function runActions(ctx: RunbookContext, run: StoredRun, current: () => number): RunbookActions {
  const scope: StepScope = { ctx, run, current, key: (what) => `${run.runId}-${current()}-${what}` };
  const { p } = ctx;
  const { channel, threadTs } = run;
  return {
    async check(target, options) {
      const { evidence, diagnosis } = await checkStep(scope, target, options);
      return checkSummaryOf(diagnosis, evidence);
    },
    logs: (target, options) => logsStep(scope, target, options),
    async sweep(namespace, selector) {
      const result = await runSweep(p.clusterAccess, { namespace, ...(selector !== undefined && { labelSelector: selector }) });
      const msg = renderSweepSlack(result);
      await p.poster.post({ channel, thread_ts: threadTs, text: msg.text, blocks: msg.blocks as SlackBlock[], idempotencyKey: scope.key('sweep') });
      return sweepHeadline(result);
    },
    watch: (target, options) => watchStep(scope, target, options),
    async post(text) {
      const msg = renderPostStep(text);
      await p.poster.post({ channel, thread_ts: threadTs, text: msg.text, blocks: msg.blocks as SlackBlock[], idempotencyKey: scope.key('post') });
    },
    async wait(ms) {
      await sleep(Math.min(ms, ctx.maxInlineWaitMs));
    },
    debug: (target, image) => debugStep(scope, target, image),
  };
}

/** A `check:` step: the same collection and analysis as a `check` job, its summary in the thread, the finding on the incident. */
async function checkStep(scope: StepScope, target: RunbookTarget, request: { port?: number; debugContainerImage?: string }): Promise<{ evidence: Evidence; diagnosis: Diagnosis }> {
  const { ctx, run } = scope;
  const { p } = ctx;
  const { channel, threadTs } = run;
  const req = { namespace: target.namespace, pod: target.pod, ...(request.port !== undefined && { port: request.port }), ...(request.debugContainerImage !== undefined && { debugContainerImage: request.debugContainerImage }) };
  const [probe, logs] = await Promise.all([
    p.collectEvidence(p.clusterAccess, req, { skipLogs: true }),
    p.collectLogs(p.clusterAccess, req, undefined).then(
      (r) => ({ ok: true as const, r }),
      (err: unknown) => ({ ok: false as const, reason: describeError(err) }),
    ),
  ]);
  const evidence = mergeEvidence({ kind: 'probe', evidence: probe }, logs.ok ? { kind: 'collect-logs', ...logs.r } : undefined, logs.ok ? undefined : logs.reason);
  const diagnosis = p.diagnose(evidence, { now: new Date(evidence.clusterNow ?? evidence.collectedAt) });
  const summary = p.renderSummary(diagnosis);
  await p.poster.post({ channel, thread_ts: threadTs, text: summary.text, ...(summary.blocks && { blocks: summary.blocks }), idempotencyKey: scope.key('check') });
  await ctx.deps.incidents.onFinding({ channel, threadTs }, `${run.runId}-${scope.current()}`, diagnosis, ctx.now(), evidence);
  return { evidence, diagnosis };
}

/** The container a `logs:` step reads: the one named, else the pod's only one. */
async function logsContainer(p: ProcessorDeps, target: RunbookTarget, named: string | undefined): Promise<string> {
  if (named !== undefined && named !== 'unknown') return named;
  const pod = await p.clusterAccess.getPod(target.namespace, target.pod);
  const names = pod.spec?.containers.map((c) => c.name) ?? [];
  if (named === 'unknown' || names.length !== 1) {
    throw new PodnetError('bad-input', `no container to read: the check named no server and ${target.pod} has ${names.length} containers (${names.join(', ')}); set logs.container in the runbook`);
  }
  return names[0]!;
}

/** A `logs:` step: one bounded, scanned read of one container (as the `logs` job), posted; returns its one-line summary. */
async function logsStep(scope: StepScope, target: RunbookTarget, options: Parameters<RunbookActions['logs']>[1]): Promise<string> {
  const { ctx, run } = scope;
  const { p } = ctx;
  const { channel, threadTs } = run;
  const container = await logsContainer(p, target, options.container);
  const previous = options.previous ?? false;
  let chunks: AsyncIterable<Buffer>;
  try {
    chunks = await p.clusterAccess.streamLog(target.namespace, target.pod, {
      container,
      previous,
      timestamps: true,
      tailLines: LOGS_BOUNDS.tailLines,
      limitBytes: LOGS_BOUNDS.limitBytes,
      ...(options.since !== undefined && { sinceSeconds: Math.round(parseDurationMs(options.since) / 1000) }),
    });
  } catch (err) {
    throw new PodnetError('not-found', `could not read ${container}${previous ? ' (previous run)' : ''}: ${describeError(err)}`);
  }
  const grep = options.grep !== undefined ? compileGrep(options.grep, { literal: true, ignoreCase: true, flag: 'grep:' }) : undefined;
  const log = await scanLog(chunks, { container, previous, tailLines: LOGS_BOUNDS.shownLines, ...(grep && { grep }), deadline: Date.now() + LOGS_BOUNDS.budgetMs });
  const { grepLines, grepCount, matchedLines: _m, ...evidence } = log;
  const payload = { requestId: run.runId, cluster: run.cluster, namespace: target.namespace, pod: target.pod, container, previous, slack: { channel, user: run.startedBy, threadTs }, requestedAt: run.startedAt };
  const messages = renderLogsMessage(payload, evidence);
  if (grepLines?.length) messages.push(...renderGrepLines(options.grep ?? '', grepCount ?? 0, grepLines));
  await ctx.post(channel, threadTs, messages, scope.key('logs'));
  const counts = new Map<string, number>();
  for (const m of evidence.matches) counts.set(m.signature, (counts.get(m.signature) ?? 0) + 1);
  const sigs = [...counts.keys()].map((s) => `${s} ×${evidence.signatureCounts?.[s as keyof typeof evidence.signatureCounts] ?? counts.get(s)}`);
  return `${evidence.lines} lines of ${container}${previous ? ' (previous run)' : ''}: ${sigs.length ? sigs.join(', ') : 'no known signature'}${grep ? `; grep "${options.grep}": ${grepCount ?? 0} lines` : ''}`;
}

/** A `watch:` step: a `watch` job answering in the run's thread, or the command to start one by hand. */
async function watchStep(scope: StepScope, target: RunbookTarget, options: Parameters<RunbookActions['watch']>[1]): Promise<string> {
  const { ctx, run } = scope;
  const { channel, threadTs } = run;
  const every = options.every ?? '30s';
  const span = options.for ?? '30m';
  if (!ctx.deps.startWatch) {
    const text = watchByHandText(target, every, span);
    await ctx.p.poster.post({ channel, thread_ts: threadTs, text, idempotencyKey: scope.key('watch') });
    return `watch not started here: ${text}`;
  }
  const cmd: WatchStartCommand = {
    verb: 'watch',
    action: 'start',
    pod: target.pod,
    namespace: target.namespace,
    everySeconds: parseDurationMs(every) / 1000,
    forSeconds: parseDurationMs(span) / 1000,
    cluster: run.cluster,
  };
  const res = await ctx.deps.startWatch(cmd, { channel, user: run.startedBy, threadTs }, `${run.runId}-watch-${scope.current()}`);
  return `watch started (\`${res.jobId}\`): every ${every} for ${span}; changes will be posted in this thread`;
}

/** A confirmed `debug:` step: attaches an ephemeral container, waits for it to run, and shows what listens. */
async function debugStep(scope: StepScope, target: RunbookTarget, image: string): Promise<string> {
  const { ctx, run } = scope;
  const { p } = ctx;
  // The engineer confirmed: attach it (the pod shares one network namespace, so the
  // debug container sees the same sockets) and show what listens, from inside.
  const name = `podnet-debug-${run.runId.slice(-6).replace(/[^a-z0-9]/gi, '').toLowerCase()}${scope.current()}`;
  await p.clusterAccess.addEphemeralContainer(target.namespace, target.pod, { name, image, command: ['sleep', '3600'], stdin: false, tty: false });
  await waitForDebugContainer(ctx, target, name, image);
  const res = await p.clusterAccess.exec(target.namespace, target.pod, name, ['netstat', '-ltn']).catch((err: unknown) => ({ stdout: '', stderr: describeError(err), exitCode: 1 }));
  const lines = `${res.stdout}${res.stderr}`.trim().split('\n').filter(Boolean).slice(0, 30);
  await ctx.post(run.channel, run.threadTs, renderDebugOutput(name, image, target.pod, lines), scope.key('debug'));
  const listening = lines.filter((l) => /LISTEN/.test(l)).length;
  return `attached ${name} (${image}); ${listening} listening sockets; exec into it with kubectl exec -it -n ${target.namespace} ${target.pod} -c ${name} -- sh`;
}

/** Polls the pod until the ephemeral container runs; throws when it exits or does not start within the timeout. */
async function waitForDebugContainer(ctx: RunbookContext, target: RunbookTarget, name: string, image: string): Promise<void> {
  const deadline = Date.now() + ctx.debugStartTimeoutMs;
  for (;;) {
    const pod = await ctx.p.clusterAccess.getPod(target.namespace, target.pod);
    const st = pod.status?.ephemeralContainerStatuses?.find((s) => s.name === name);
    if (st?.state?.running) return;
    if (st?.state?.terminated) throw new PodnetError('exec-failed', `debug container ${name} exited: ${st.state.terminated.reason ?? 'terminated'}`);
    if (Date.now() > deadline) throw new PodnetError('timeout', `debug container ${name} (${image}) did not start within ${Math.round(ctx.debugStartTimeoutMs / 1000)} s`);
    await sleep(500);
  }
}

/** A `wait:` step the worker turns into a delayed job (one with a `confirm:` runs inline). */
function isPlainWait(step: RunbookStep): boolean {
  return 'wait' in step && !step.confirm;
}
