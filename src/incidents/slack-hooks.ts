/**
 * The bot side of incidents and runbooks, called from src/slack/app.ts:
 *
 * - `wrapEnqueue`: a command accepted in a channel with an open incident (or in an incident's
 *   thread, via `@podnet`) answers in the incident's thread and lands on its timeline
 *   (`command`, or `action` for a button press). `incident open/summary/close` fail fast with
 *   a one-line reason when the channel's state does not allow them.
 * - `runbookButton`: Confirm / Decline on a runbook's confirm step. Confirming an intrusive
 *   step (a debug container) needs the policy's intrusive permission for the presser; the
 *   first valid press resumes the run (a `runbook` continue job), later ones are told so.
 *
 * Slack refuses slash commands inside threads, so (a) and `@podnet` mentions are the two ways
 * into an incident's thread.
 */
import type { RedisClient } from '../queue/redis.js';
import { authorize, type Policy } from '../authz/policy.js';
import { formatCommand, type ParsedCommand } from '../commands/grammar.js';
import { BadInputError, describeError } from '../errors.js';
import { createChecksQueues } from '../queue/checks-queues.js';
import { DEFAULT_PREFIX, JOB_NAMES, type RunbookPayload } from '../queue/contracts.js';
import { jobOptions } from '../queue/job-options.js';
import { RunStore } from '../runbooks/runs.js';
import { IncidentStore } from './store.js';

/** What src/slack/app.ts passes to `enqueue` (structural copy, to keep this module free of Bolt). */
export interface HookEnqueueContext {
  channel: string;
  user: string;
  threadTs?: string;
  channelName?: string;
  /** `slash`, `mention` or `button:<action_id>`. */
  source: string;
}

export type HookEnqueueFn<C extends HookEnqueueContext> = (cmd: ParsedCommand, ctx: C) => Promise<{ jobId: string; deduplicated?: boolean }>;

export interface IncidentHooksOptions {
  redis: RedisClient;
  /** Key prefix of the queues (incident keys share it). Default `podnet`. */
  prefix?: string;
  now?: () => Date;
}

export interface RunbookButtonInput {
  policy: Policy;
  runId: string;
  answer: 'confirmed' | 'declined';
  user: string;
  channel: string;
  channelName?: string;
  /** ts of the message carrying the buttons (updated to the answer by the worker). */
  promptTs?: string;
}

export interface RunbookButtonResult {
  /** One line for the presser (ephemeral). */
  text: string;
  outcome: 'queued' | 'denied' | 'invalid';
  reason?: string;
  jobId?: string;
  namespace?: string;
}

export interface IncidentHooks {
  store: IncidentStore;
  wrapEnqueue<C extends HookEnqueueContext>(inner: HookEnqueueFn<C>): HookEnqueueFn<C>;
  runbookButton(input: RunbookButtonInput): Promise<RunbookButtonResult>;
  close(): Promise<void>;
}

/** Strips the `<@U…>` mention(s) from an app_mention's text, leaving the command. */
export function mentionCommandText(text: string): string {
  return text.replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, ' ').replace(/\s+/g, ' ').trim();
}

export function createIncidentHooks(options: IncidentHooksOptions): IncidentHooks {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const now = options.now ?? (() => new Date());
  const store = new IncidentStore({ redis: options.redis, prefix });
  const runs = new RunStore({ redis: options.redis, prefix });
  const queues = createChecksQueues(options.redis, prefix);

  // Commands arriving in one channel while its open-incident lookup is in flight share that
  // lookup instead of each sending its own: under a burst of slash commands every lookup sits on
  // an ack's path. The shared answer is at most one Redis round trip older than a joiner's
  // arrival, i.e. concurrent with it; nothing is cached once the reply is in.
  const inFlight = new Map<string, ReturnType<IncidentStore['openIn']>>();
  const openIn = (channel: string): ReturnType<IncidentStore['openIn']> => {
    let pending = inFlight.get(channel);
    if (!pending) {
      pending = store.openIn(channel).finally(() => inFlight.delete(channel));
      inFlight.set(channel, pending);
    }
    return pending;
  };

  function wrapEnqueue<C extends HookEnqueueContext>(inner: HookEnqueueFn<C>): HookEnqueueFn<C> {
    return async (cmd, ctx) => {
      // In a thread: that thread's incident (open or closed). Elsewhere: the channel's open one.
      const incident = ctx.threadTs !== undefined ? await store.byThread(ctx.channel, ctx.threadTs) : await openIn(ctx.channel);
      if (cmd.verb === 'incident') {
        if (cmd.action === 'open') {
          const current = incident?.status === 'open' ? incident : await openIn(ctx.channel);
          if (current) {
            throw new BadInputError(`This channel already has an open incident: "${current.title}" (${current.id}); close it with \`/podnet incident close\` first`);
          }
          return inner(cmd, ctx);
        }
        if (!incident) {
          throw new BadInputError(`There is no open incident in this channel; start one with \`/podnet incident open TITLE\``);
        }
        if (cmd.action === 'close' && incident.status === 'closed') {
          throw new BadInputError(`Incident ${incident.id} ("${incident.title}") is already closed`);
        }
        if (cmd.action === 'summary') {
          await store.append(incident.id, { at: now().toISOString(), kind: 'command', who: ctx.user, text: '/podnet incident summary' });
        }
        return inner(cmd, { ...ctx, threadTs: incident.threadTs });
      }
      if (!incident || incident.status !== 'open') return inner(cmd, ctx);
      const button = ctx.source.startsWith('button:');
      const text = `${button ? `pressed ${ctx.source.slice('button:'.length).replace(/^podnet_/, '')}: ` : ''}/podnet ${formatCommand(cmd)}`;
      await store.append(incident.id, { at: now().toISOString(), kind: button ? 'action' : 'command', who: ctx.user, text });
      return inner(cmd, { ...ctx, threadTs: incident.threadTs });
    };
  }

  async function runbookButton(input: RunbookButtonInput): Promise<RunbookButtonResult> {
    const run = await runs.get(input.runId);
    if (!run) return { text: ':warning: This runbook run is not known (it may have expired); start it again with `/podnet runbook run`.', outcome: 'invalid', reason: 'unknown run' };
    const { state } = run;
    // The run id is the button's value, which a crafted payload can set: only the channel the
    // run posts in may answer it (another channel's policy says nothing about this run).
    if (run.channel !== input.channel) {
      const reason = `run ${run.runId} belongs to another channel`;
      return { text: ':no_entry: This runbook run belongs to another channel; answer it there.', outcome: 'denied', reason, namespace: state.target.namespace };
    }
    if (state.status !== 'awaiting-confirm') {
      return { text: `:information_source: Runbook ${run.runbook} is not waiting for an answer (it is ${state.status}).`, outcome: 'invalid', reason: `run ${state.status}`, namespace: state.target.namespace };
    }
    // A debug step changes the pod: answering it either way needs the intrusive permission
    // (a Decline uses the step up as surely as a Confirm runs it).
    const intrusive = run.pendingKind === 'debug';
    const decision = authorize(input.policy, {
      channel: input.channel,
      ...(input.channelName !== undefined && { channelName: input.channelName }),
      user: input.user,
      verb: 'runbook',
      namespace: state.target.namespace,
      intrusive,
    });
    const incident = run.incidentId !== undefined ? await store.get(run.incidentId) : undefined;
    const verb = input.answer === 'confirmed' ? 'Confirm' : 'Decline';
    if (!decision.allowed) {
      if (incident?.status === 'open') {
        await store.append(incident.id, { at: now().toISOString(), kind: 'action', who: input.user, text: `pressed ${verb} on runbook ${run.runbook} step ${state.next + 1}: refused (${decision.reason})` });
      }
      return { text: `:no_entry: ${decision.reason}`, outcome: 'denied', reason: decision.reason, namespace: state.target.namespace };
    }
    if (!(await runs.claimAnswer(run.runId, state.next, input.user))) {
      return { text: ':information_source: Someone already answered this step; the runbook is continuing.', outcome: 'invalid', reason: 'already answered', namespace: state.target.namespace };
    }
    const payload: RunbookPayload = {
      requestId: `${run.runId}-answer-${state.next}`,
      cluster: run.cluster,
      namespace: state.target.namespace,
      slack: { channel: run.channel, user: input.user, threadTs: run.threadTs },
      requestedAt: now().toISOString(),
      action: 'continue',
      runId: run.runId,
      confirmation: input.answer,
      ...(input.promptTs !== undefined && { promptTs: input.promptTs }),
    };
    const jobId = payload.requestId;
    try {
      await queues.of(run.cluster).add(JOB_NAMES.runbook, payload, { ...jobOptions(), jobId });
    } catch (err) {
      return { text: `:x: Could not resume runbook ${run.runbook}: ${describeError(err)}. Press the button again in a moment.`, outcome: 'invalid', reason: describeError(err) };
    }
    if (incident?.status === 'open') {
      await store.append(incident.id, { at: now().toISOString(), kind: 'action', who: input.user, text: `${input.answer} runbook ${run.runbook} step ${state.next + 1}` });
    }
    return {
      text: `:white_check_mark: ${input.answer === 'confirmed' ? 'Confirmed' : 'Declined'}; runbook ${run.runbook} continues in the thread (job \`${jobId}\`).`,
      outcome: 'queued',
      jobId,
      namespace: state.target.namespace,
    };
  }

  return {
    store,
    wrapEnqueue,
    runbookButton,
    async close() {
      await queues.close();
    },
  };
}
