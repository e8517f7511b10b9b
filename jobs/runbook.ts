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
import { RUNBOOK_ACTION_IDS } from '../src/incidents/slack-hooks.js';
import { compileGrep } from '../src/logscan/grep.js';
import { scanLog } from '../src/logscan/scan.js';
import type { WatchStartCommand } from '../src/commands/grammar.js';
import { JOB_NAMES, type RunbookPayload, type SlackTarget } from '../src/queue/contracts.js';
import { jobOptions } from '../src/queue/job-options.js';
import { runJob, type ProcessorDeps } from '../src/queue/processor-deps.js';
import { actions as actionsBlock, button, context, escapeMrkdwn, finishMessages, header, inlineMrkdwn, joinMrkdwn, md, mention, section, sections, type SlackMessage } from '../src/render/slack-limits.js';
import { renderSweepSlack, sweepHeadline } from '../src/render/sweep.js';
import { advanceRun, fillTemplate, startRun, type CheckSummary, type RunbookActions, type RunbookTarget, type RunState, type StepOutcome } from '../src/runbooks/runner.js';
import type { RunStore, StoredRun } from '../src/runbooks/runs.js';
import { evaluateCondition, parseDurationMs, stepKind, type Runbook, type RunbookStep } from '../src/runbooks/schema.js';
import type { SlackBlock } from '../src/slack/poster.js';
import { runSweep } from '../src/sweep/sweep.js';
import { mergeEvidence } from './check.js';
import { LOGS_BOUNDS } from '../src/logscan/bounds.js';
import { renderLogsMessage } from '../src/render/logs.js';

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

const ICON: Record<StepOutcome['status'], string> = {
  done: ':white_check_mark:',
  skipped: ':fast_forward:',
  failed: ':x:',
  'awaiting-confirm': ':raised_hand:',
  declined: ':no_entry_sign:',
};

/** Job-id-safe run id for a request. */
export function runIdFor(requestId: string): string {
  return `rb-${requestId.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 80)}`;
}

/** Pure: one line describing a step (for `runbook show`). */
export function describeStep(step: RunbookStep, index: number): string {
  const kind = stepKind(step);
  const id = step.id ?? `${index + 1}-${kind}`;
  let what: string;
  if ('check' in step) what = `check${step.check.port ? ` port ${step.check.port}` : ''}`;
  else if ('logs' in step) what = `logs${step.logs.container ? ` of ${step.logs.container}` : ''}${step.logs.previous ? ' (previous run)' : ''}${step.logs.since ? ` since ${step.logs.since}` : ''}${step.logs.grep ? ` grep "${step.logs.grep}"` : ''}`;
  else if ('sweep' in step) what = `sweep the namespace${step.sweep.selector ? ` -l ${step.sweep.selector}` : ''}`;
  else if ('watch' in step) what = `watch every ${step.watch.every ?? '30s'} for ${step.watch.for ?? '30m'}`;
  else if ('wait' in step) what = `wait ${step.wait}`;
  else if ('post' in step) what = `post "${step.post.length > 80 ? `${step.post.slice(0, 77)}…` : step.post}"`;
  else what = `debug container ${step.debug.image}`;
  return `${index + 1}. \`${id}\` ${what}${step.when ? ` — when \`${step.when}\`` : ''}${step.confirm ? ` — asks first: "${step.confirm}"` : ''}`;
}

/** Pure: the `runbook list` message. */
export function renderRunbookList(runbooks: Map<string, Runbook>): SlackMessage[] {
  const lines = [...runbooks.values()].map((rb) => md`• *${rb.metadata.name}* — ${rb.metadata.description ?? '(no description)'} (${rb.steps.length} steps)`);
  return finishMessages(md`${runbooks.size} runbooks: ${[...runbooks.keys()].join(', ')}`, [
    header('Runbooks'),
    ...sections(undefined, lines.length ? lines : [md`No runbooks are loaded (PODNET_RUNBOOKS_DIR).`]),
    context(md`\`/podnet runbook show NAME\` · \`/podnet runbook run NAME POD -n NS\``),
  ]);
}

/** Pure: the `runbook show NAME` message. */
export function renderRunbookShow(rb: Runbook): SlackMessage[] {
  return finishMessages(md`Runbook ${rb.metadata.name}: ${rb.steps.length} steps`, [
    header(`Runbook: ${rb.metadata.name}`),
    ...(rb.metadata.description ? [section(escapeMrkdwn(rb.metadata.description))] : []),
    ...sections(undefined, rb.steps.map((s, i) => inlineMrkdwn(describeStep(s, i)))),
    context(md`\`/podnet runbook run ${rb.metadata.name} POD -n NS\``),
  ]);
}

/** Pure: the thread message of one step outcome; a confirm carries Confirm / Decline buttons. */
export function renderOutcome(runbook: string, outcome: StepOutcome, runId: string): SlackMessage {
  const line = md`${ICON[outcome.status]} *${runbook} ${outcome.index + 1}. ${outcome.id}* — ${outcome.detail}`;
  if (outcome.status !== 'awaiting-confirm') return finishMessages(md`${runbook} step ${outcome.index + 1} ${outcome.id}: ${outcome.status}: ${outcome.detail}`, [section(line)])[0]!;
  const intrusive = outcome.kind === 'debug';
  return finishMessages(md`${runbook} step ${outcome.index + 1} waits for confirmation: ${outcome.detail}`, [
    section(md`${ICON['awaiting-confirm']} *${runbook} ${outcome.index + 1}. ${outcome.id}* — ${outcome.detail}`),
    context(intrusive ? md`This step changes the pod (an ephemeral debug container): only users the channel policy allows intrusive actions may answer (Confirm or Decline).` : md`Anyone allowed in this channel may answer.`),
    actionsBlock([
      button('Confirm', RUNBOOK_ACTION_IDS.confirm, runId, { style: intrusive ? 'danger' : 'primary' }),
      button('Decline', RUNBOOK_ACTION_IDS.decline, runId),
    ]),
  ])[0]!;
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

export function createRunbookProcessor(deps: RunbookJobDeps): (job: Job<RunbookPayload, RunbookJobResult>) => Promise<RunbookJobResult> {
  const p = deps.processor;
  const now = deps.now ?? (() => new Date());
  const maxInlineWaitMs = deps.maxInlineWaitMs ?? 60_000;
  const debugStartTimeoutMs = deps.debugStartTimeoutMs ?? 30_000;

  async function post(channel: string, threadTs: string | undefined, messages: SlackMessage[], key: string): Promise<string | undefined> {
    let first: string | undefined;
    for (const [i, m] of messages.entries()) {
      const res = await p.poster.post({ channel, text: m.text, blocks: m.blocks as SlackBlock[], ...(threadTs !== undefined && { thread_ts: threadTs }), idempotencyKey: `${key}-${i}` });
      first ??= res?.ts;
    }
    return first;
  }

  async function loadRunbooks(data: RunbookPayload, jobId: string): Promise<Map<string, Runbook> | undefined> {
    try {
      return await deps.runbooks();
    } catch (err) {
      await post(data.slack.channel, data.slack.threadTs, finishMessages(md`Runbooks failed to load`, [section(md`:x: The runbooks could not be loaded: ${describeError(err)}`)]), `${jobId}-load-error`);
      return undefined;
    }
  }

  async function unknownRunbook(data: RunbookPayload, jobId: string, runbooks: Map<string, Runbook>): Promise<RunbookJobResult> {
    const text = md`:warning: There is no runbook named \`${data.runbook ?? ''}\`. Available: ${joinMrkdwn([...runbooks.keys()].map((n) => md`\`${n}\``), ', ').text || 'none'}.`;
    await post(data.slack.channel, data.slack.threadTs, finishMessages(text, [section(text)]), `${jobId}-unknown`);
    return { error: `unknown runbook ${data.runbook}` };
  }

  /** The actions of one run, posting in its thread. `current()` is the index of the step running. */
  function actionsFor(run: StoredRun, current: () => number): RunbookActions {
    const { channel, threadTs } = run;
    const key = (what: string) => `${run.runId}-${current()}-${what}`;
    const check = async (target: RunbookTarget, request: { port?: number; debugContainerImage?: string }) => {
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
      await p.poster.post({ channel, thread_ts: threadTs, text: summary.text, ...(summary.blocks && { blocks: summary.blocks }), idempotencyKey: key('check') });
      await deps.incidents.onFinding({ channel, threadTs }, `${run.runId}-${current()}`, diagnosis, now(), evidence);
      return { evidence, diagnosis };
    };
    return {
      async check(target, options) {
        const { evidence, diagnosis } = await check(target, options);
        return checkSummaryOf(diagnosis, evidence);
      },
      async logs(target, options) {
        let container = options.container;
        if (container === undefined || container === 'unknown') {
          const pod = await p.clusterAccess.getPod(target.namespace, target.pod);
          const names = pod.spec?.containers.map((c) => c.name) ?? [];
          if (container === 'unknown' || names.length !== 1) {
            throw new PodnetError('bad-input', `no container to read: the check named no server and ${target.pod} has ${names.length} containers (${names.join(', ')}); set logs.container in the runbook`);
          }
          container = names[0]!;
        }
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
        if (grepLines?.length) messages.push(...finishMessages(md`grep "${options.grep ?? ''}": ${grepCount ?? 0} lines`, sections(md`*grep "${options.grep ?? ''}"* (${grepCount ?? 0} lines)`, grepLines.slice(0, 40).map((l) => inlineMrkdwn(`${l.at ? `${l.at} ` : ''}${l.text}`)), { code: true })));
        await post(channel, threadTs, messages, key('logs'));
        const counts = new Map<string, number>();
        for (const m of evidence.matches) counts.set(m.signature, (counts.get(m.signature) ?? 0) + 1);
        const sigs = [...counts.keys()].map((s) => `${s} ×${evidence.signatureCounts?.[s as keyof typeof evidence.signatureCounts] ?? counts.get(s)}`);
        return `${evidence.lines} lines of ${container}${previous ? ' (previous run)' : ''}: ${sigs.length ? sigs.join(', ') : 'no known signature'}${grep ? `; grep "${options.grep}": ${grepCount ?? 0} lines` : ''}`;
      },
      async sweep(namespace, selector) {
        const result = await runSweep(p.clusterAccess, { namespace, ...(selector !== undefined && { labelSelector: selector }) });
        const msg = renderSweepSlack(result);
        await p.poster.post({ channel, thread_ts: threadTs, text: msg.text, blocks: msg.blocks as SlackBlock[], idempotencyKey: key('sweep') });
        return sweepHeadline(result);
      },
      async watch(target, options) {
        const every = options.every ?? '30s';
        const span = options.for ?? '30m';
        if (!deps.startWatch) {
          const text = `To watch ${target.pod}, run \`/podnet watch ${target.pod} -n ${target.namespace} --every ${every} --for ${span}\` (this worker has no watch jobs).`;
          await p.poster.post({ channel, thread_ts: threadTs, text, idempotencyKey: key('watch') });
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
        const res = await deps.startWatch(cmd, { channel, user: run.startedBy, threadTs }, `${run.runId}-watch-${current()}`);
        return `watch started (\`${res.jobId}\`): every ${every} for ${span}; changes will be posted in this thread`;
      },
      async post(text) {
        const msg = finishMessages(escapeMrkdwn(text), sections(undefined, text.split('\n').map((l) => inlineMrkdwn(l))))[0]!;
        await p.poster.post({ channel, thread_ts: threadTs, text: msg.text, blocks: msg.blocks as SlackBlock[], idempotencyKey: key('post') });
      },
      async wait(ms) {
        await sleep(Math.min(ms, maxInlineWaitMs));
      },
      async debug(target, image) {
        // The engineer confirmed: attach it (the pod shares one network namespace, so the
        // debug container sees the same sockets) and show what listens, from inside.
        const name = `podnet-debug-${run.runId.slice(-6).replace(/[^a-z0-9]/gi, '').toLowerCase()}${current()}`;
        await p.clusterAccess.addEphemeralContainer(target.namespace, target.pod, { name, image, command: ['sleep', '3600'], stdin: false, tty: false });
        const deadline = Date.now() + debugStartTimeoutMs;
        for (;;) {
          const pod = await p.clusterAccess.getPod(target.namespace, target.pod);
          const st = pod.status?.ephemeralContainerStatuses?.find((s) => s.name === name);
          if (st?.state?.running) break;
          if (st?.state?.terminated) throw new PodnetError('exec-failed', `debug container ${name} exited: ${st.state.terminated.reason ?? 'terminated'}`);
          if (Date.now() > deadline) throw new PodnetError('timeout', `debug container ${name} (${image}) did not start within ${Math.round(debugStartTimeoutMs / 1000)} s`);
          await sleep(500);
        }
        const res = await p.clusterAccess.exec(target.namespace, target.pod, name, ['netstat', '-ltn']).catch((err: unknown) => ({ stdout: '', stderr: describeError(err), exitCode: 1 }));
        const lines = `${res.stdout}${res.stderr}`.trim().split('\n').filter(Boolean).slice(0, 30);
        const text = `Debug container ${name} (${image}) attached to ${target.pod}. Listening sockets seen from it (\`netstat -ltn\`):`;
        await post(channel, threadTs, finishMessages(md`${text}`, [section(md`${text}`), ...sections(undefined, lines.length ? lines.map((l) => inlineMrkdwn(l)) : [md`(no output)`], { code: true })]), key('debug'));
        const listening = lines.filter((l) => /LISTEN/.test(l)).length;
        return `attached ${name} (${image}); ${listening} listening sockets; exec into it with kubectl exec -it -n ${target.namespace} ${target.pod} -c ${name} -- sh`;
      },
    };
  }

  /** Runs a stored run forward until it ends, waits (confirm / delayed wait) or fails. */
  async function advance(run: StoredRun, runbook: Runbook, confirmation?: 'confirmed' | 'declined'): Promise<RunbookJobResult> {
    const incident = await deps.incidents.incidentOf({ channel: run.channel, threadTs: run.threadTs });
    let current = run.state.next;
    const record = async (outcome: StepOutcome) => {
      current = outcome.index + 1;
      const entryKey = `${run.runId}-step-${outcome.index}-${outcome.status}`;
      await post(run.channel, run.threadTs, [renderOutcome(runbook.metadata.name, outcome, run.runId)], entryKey);
      if (incident) {
        const detail = outcome.status === 'awaiting-confirm' ? `awaiting confirmation: ${outcome.detail}` : outcome.detail;
        await deps.incidents.appendOnce(incident, entryKey, {
          at: now().toISOString(),
          kind: 'runbook-step',
          who: 'podnet',
          text: `runbook ${runbook.metadata.name} ${outcome.index + 1}. ${outcome.id}: ${detail}`,
          target: `${run.state.target.namespace}/${run.state.target.pod}`,
        });
      }
    };
    const actions = actionsFor(run, () => current);
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
      const index = state.next;
      const step = runbook.steps[index]! as RunbookStep & { wait: string };
      const id = step.id ?? `${index + 1}-wait`;
      if (step.when && !evaluateCondition(step.when, state.vars)) {
        const outcome: StepOutcome = { index, id, kind: 'wait', status: 'skipped', detail: `skipped: ${step.when} is false` };
        await record(outcome);
        state = { ...state, next: index + 1, outcomes: [...state.outcomes, outcome], status: 'running' };
        continue;
      }
      const ms = parseDurationMs(step.wait);
      const resumeAt = new Date(now().getTime() + ms);
      const outcome: StepOutcome = { index, id, kind: 'wait', status: 'done', detail: `${step.note ? `${fillTemplate(step.note, state)} — ` : ''}waiting ${step.wait}; the runbook continues at ${resumeAt.toISOString().slice(11, 19)} UTC` };
      await record(outcome);
      state = { ...state, next: index + 1, outcomes: [...state.outcomes, outcome], status: 'running' };
      await deps.runs.save({ ...run, state });
      const payload: RunbookPayload = {
        requestId: `${run.runId}-wait-${index}`,
        cluster: run.cluster,
        namespace: state.target.namespace,
        slack: { channel: run.channel, user: run.startedBy, threadTs: run.threadTs },
        requestedAt: now().toISOString(),
        action: 'continue',
        runId: run.runId,
      };
      await deps.queue.add(JOB_NAMES.runbook, payload, { ...jobOptions(), jobId: payload.requestId, delay: ms });
      return { runId: run.runId, status: 'running', threadTs: run.threadTs, outcomes: state.outcomes.length };
    }
    await deps.runs.save({ ...run, state });
    const counts = (s: StepOutcome['status']) => state.outcomes.filter((o) => o.status === s).length;
    const last = state.outcomes[state.outcomes.length - 1];
    const text =
      state.status === 'done'
        ? md`:checkered_flag: Runbook ${runbook.metadata.name} finished on ${state.target.pod}: ${counts('done')} steps done, ${counts('skipped')} skipped${counts('declined') ? `, ${counts('declined')} declined` : ''}.${state.vars.cause ? md` Leading cause: \`${state.vars.cause}\`.` : ''}`
        : md`:x: Runbook ${runbook.metadata.name} stopped at step ${(last?.index ?? 0) + 1} (${last?.id ?? ''}): ${last?.detail ?? 'failed'}. Later steps were not run.`;
    await post(run.channel, run.threadTs, finishMessages(text, [section(text)]), `${run.runId}-end`);
    return { runId: run.runId, status: state.status, threadTs: run.threadTs, outcomes: state.outcomes.length };
  }

  async function run(data: RunbookPayload, jobId: string): Promise<RunbookJobResult> {
    const runbooks = await loadRunbooks(data, jobId);
    if (!runbooks) return { error: 'runbooks failed to load' };
    const runbook = runbooks.get(data.runbook ?? '');
    if (!runbook) return unknownRunbook(data, jobId, runbooks);
    const runId = runIdFor(data.requestId);
    const existing = await deps.runs.get(runId);
    if (existing) return advance(existing, runbook); // a re-run of this job: carry on from the saved state
    const pod = data.pod ?? '';
    const target = { namespace: data.namespace, pod };
    const startText = md`:arrow_forward: Running runbook *${runbook.metadata.name}* on ${pod} in ${data.namespace} for ${mention(data.slack.user)} (${runbook.steps.length} steps).`;
    const startMsg = finishMessages(startText, [section(startText), context(...(runbook.metadata.description ? [inlineMrkdwn(runbook.metadata.description)] : []), md`run \`${runId}\``)]);
    const ts = await post(data.slack.channel, data.slack.threadTs, startMsg, `${runId}-start`);
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
    return advance(stored, runbook);
  }

  async function resume(data: RunbookPayload, jobId: string): Promise<RunbookJobResult> {
    const stored = data.runId !== undefined ? await deps.runs.get(data.runId) : undefined;
    if (!stored) throw new PodnetError('not-found', `runbook run ${data.runId} is not stored (expired?)`);
    const runbooks = await loadRunbooks(data, jobId);
    if (!runbooks) return { error: 'runbooks failed to load' };
    const runbook = runbooks.get(stored.runbook);
    if (!runbook) return unknownRunbook({ ...data, runbook: stored.runbook }, jobId, runbooks);
    if (data.confirmation !== undefined && stored.state.status !== 'awaiting-confirm') {
      return { runId: stored.runId, status: stored.state.status, threadTs: stored.threadTs, error: 'not waiting for confirmation' };
    }
    if (data.confirmation === undefined && stored.state.status !== 'running') {
      return { runId: stored.runId, status: stored.state.status, threadTs: stored.threadTs };
    }
    if (data.confirmation !== undefined) {
      const who = data.confirmation === 'confirmed' ? 'Confirmed' : 'Declined';
      const text = `${who} by <@${data.slack.user}>.`;
      if (data.promptTs !== undefined) {
        // The prompt turns into its answer: no buttons left to press, and who answered shown.
        const step = `${stored.runbook} ${stored.state.next + 1}. ${runbook.steps[stored.state.next]?.id ?? ''}`.trim();
        const icon = data.confirmation === 'confirmed' ? ':white_check_mark:' : ':no_entry_sign:';
        const answered = `${icon} *${escapeMrkdwn(step)}* — ${text}`;
        await p.poster
          .update({ channel: stored.channel, ts: data.promptTs, text: `${step}: ${text}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: answered } }] })
          .catch((err: unknown) => p.logger.warn({ jobId, err: String(err) }, 'could not update the runbook prompt to its answer'));
      }
      await p.poster.post({ channel: stored.channel, thread_ts: stored.threadTs, text, idempotencyKey: `${jobId}-answer` });
    }
    return advance(stored, runbook, data.confirmation);
  }

  return (job) =>
    runJob(async () => {
      const data = job.data;
      const jobId = job.id ?? data.requestId;
      switch (data.action) {
        case 'list': {
          const runbooks = await loadRunbooks(data, jobId);
          if (runbooks) await post(data.slack.channel, data.slack.threadTs, renderRunbookList(runbooks), `${jobId}-list`);
          return {};
        }
        case 'show': {
          const runbooks = await loadRunbooks(data, jobId);
          if (!runbooks) return { error: 'runbooks failed to load' };
          const rb = runbooks.get(data.runbook ?? '');
          if (!rb) return unknownRunbook(data, jobId, runbooks);
          await post(data.slack.channel, data.slack.threadTs, renderRunbookShow(rb), `${jobId}-show`);
          return {};
        }
        case 'run':
          return run(data, jobId);
        case 'continue':
          return resume(data, jobId);
      }
    });
}

/** A `wait:` step the worker turns into a delayed job (one with a `confirm:` runs inline). */
function isPlainWait(step: RunbookStep): boolean {
  return 'wait' in step && !step.confirm;
}
