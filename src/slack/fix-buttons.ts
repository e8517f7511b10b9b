/**
 * The bot's side of *Apply fix* and *Roll back*. A press is authorized again here, whatever
 * the button says: the presser must be among the channel's intrusive users for the namespace
 * (the same gate as a debug container), a roll-back only in the channel the fix was applied
 * from, for the namespace of the stored fix (the button carries only the fix id). The worker
 * then checks that the patch still matches the current plan (jobs/apply-fix.ts). Job ids come
 * from the press, so a double press queues one job. Nothing here calls a cluster.
 */
import { createHash } from 'node:crypto';
import { CAUSE_IDS } from '../analysis/types.js';
import { authorize, channelDefaults, type Policy } from '../authz/policy.js';
import { validateLabel, validatePodName } from '../commands/validate.js';
import { BadInputError, describeError } from '../errors.js';
import { createChecksQueues } from '../queue/checks-queues.js';
import { DEFAULT_PREFIX, JOB_NAMES, type FixPayload } from '../queue/contracts.js';
import { jobOptions } from '../queue/job-options.js';
import type { RedisClient } from '../queue/redis.js';
import { SLACK_ACTIONS } from '../render/slack.js';
import { FixStore } from '../remediation/fix-store.js';

/** Action ids this module answers. */
export const FIX_ACTION = /^podnet_(apply_fix|roll_back)$/;

export interface FixPress {
  actionId: string;
  value: string;
  user: string;
  channel: string;
  channelName?: string;
  /** The thread the summary (or verdict) lives in: where the fix job answers. */
  threadTs?: string;
}

export interface FixPressResult {
  /** One line for the presser (ephemeral). */
  text: string;
  outcome: 'queued' | 'denied' | 'invalid' | 'failed';
  reason?: string;
  jobId?: string;
  namespace?: string;
  cluster?: string;
  /** What the press stands for, for the audit log. */
  command: string;
}

export interface FixButtons {
  press(input: FixPress): Promise<FixPressResult>;
  close(): Promise<void>;
}

export interface FixButtonsOptions {
  redis: RedisClient;
  prefix?: string;
  policy: Policy;
  /** Where a press goes when the channel's policy names no cluster. */
  defaultCluster: string;
  now?: () => Date;
}

const idOf = (...parts: (string | number | undefined)[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);

function parseValue(value: string): Record<string, unknown> {
  try {
    const v = JSON.parse(value) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new BadInputError('This button carries data podnet cannot read; press Re-run on the check and use its button');
}

export function createFixButtons(options: FixButtonsOptions): FixButtons {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const now = options.now ?? (() => new Date());
  const store = new FixStore({ redis: options.redis, prefix });
  const queues = createChecksQueues(options.redis, prefix);

  /** The intrusive gate, worded for this action. */
  function gate(input: FixPress, namespace: string, cluster: string | undefined, what: string) {
    return authorize(options.policy, {
      channel: input.channel,
      ...(input.channelName !== undefined && { channelName: input.channelName }),
      user: input.user,
      verb: 'check',
      namespace,
      ...(cluster !== undefined && { cluster }),
      intrusive: true,
      action: what,
    });
  }

  async function enqueue(cluster: string, name: string, payload: FixPayload, jobId: string): Promise<void> {
    await queues.of(cluster).add(name, payload, { ...jobOptions(), attempts: 1, jobId });
  }

  async function applyPress(input: FixPress): Promise<FixPressResult> {
    const v = parseValue(input.value);
    const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
    const pod = validatePodName(str('pod') ?? '');
    const namespace = validateLabel(str('ns') ?? '', 'namespace');
    const cause = str('cause') ?? '';
    const hash = str('patch') ?? '';
    if (!(CAUSE_IDS as readonly string[]).includes(cause) || !/^[0-9a-f]{8}$/.test(hash)) throw new BadInputError('This Apply fix button does not name a cause and a patch; press Re-run and use the new summary');
    const command = `apply fix ${cause} to ${pod} -n ${namespace}`;
    const decision = gate(input, namespace, undefined, 'apply a fix');
    if (!decision.allowed) return { text: `:no_entry: ${decision.reason}`, outcome: 'denied', reason: decision.reason, namespace, command };
    const cluster = decision.cluster ?? channelDefaults(options.policy, input.channel, input.channelName).cluster ?? options.defaultCluster;
    const fixId = `fix-${idOf(cluster, namespace, pod, cause, hash, input.channel, input.threadTs)}`;
    const port = typeof v.port === 'number' && Number.isInteger(v.port) && v.port >= 1 && v.port <= 65535 ? v.port : undefined;
    const payload: FixPayload = {
      requestId: fixId, fixId, cluster, namespace, pod, cause, patchHash: hash, requestedAt: now().toISOString(),
      slack: { channel: input.channel, user: input.user, ...(input.threadTs !== undefined && { threadTs: input.threadTs }) },
      ...(str('client') !== undefined && { client: validateLabel(str('client') as string, 'container name') }),
      ...(str('server') !== undefined && { server: validateLabel(str('server') as string, 'container name') }),
      ...(port !== undefined && { port }),
    };
    await enqueue(cluster, JOB_NAMES.applyFix, payload, fixId);
    return { text: `:wrench: Applying the fix for \`${cause}\` to the object that owns ${pod}'s setting, then verifying; the result follows in the thread (job \`${fixId}\`).`, outcome: 'queued', jobId: fixId, namespace, cluster, command };
  }

  async function rollBackPress(input: FixPress): Promise<FixPressResult> {
    const fixId = parseValue(input.value).fix;
    if (typeof fixId !== 'string' || !/^fix-[0-9a-f]{32}$/.test(fixId)) throw new BadInputError('This Roll back button does not name a fix podnet applied');
    const record = await store.get(fixId);
    const command = `roll back ${fixId}`;
    if (!record) return { text: ':warning: podnet has no record of this fix (it may have expired); restore the object by hand.', outcome: 'invalid', reason: 'unknown fix', command };
    if (record.channel !== input.channel) {
      return { text: ':no_entry: This fix was applied from another channel; roll it back there.', outcome: 'denied', reason: `${fixId} belongs to another channel`, namespace: record.namespace, command };
    }
    const decision = gate(input, record.namespace, record.cluster, 'roll back a fix');
    if (!decision.allowed) return { text: `:no_entry: ${decision.reason}`, outcome: 'denied', reason: decision.reason, namespace: record.namespace, command };
    const jobId = `rollback-${fixId}`;
    const payload: FixPayload = {
      requestId: jobId, fixId, cluster: record.cluster, namespace: record.namespace, pod: record.pod, requestedAt: now().toISOString(),
      slack: { channel: record.channel, user: input.user, ...(record.threadTs !== undefined && { threadTs: record.threadTs }) },
    };
    await enqueue(record.cluster, JOB_NAMES.rollBack, payload, jobId);
    return { text: `:leftwards_arrow_with_hook: Rolling back the fix to ${record.target.kind} ${record.target.name}; the result follows in the thread (job \`${jobId}\`).`, outcome: 'queued', jobId, namespace: record.namespace, cluster: record.cluster, command };
  }

  return {
    async press(input) {
      try {
        return input.actionId === SLACK_ACTIONS.rollBack ? await rollBackPress(input) : await applyPress(input);
      } catch (err) {
        if (err instanceof BadInputError) return { text: `:warning: ${err.message}`, outcome: 'invalid', reason: err.message, command: input.value.slice(0, 200) };
        return { text: `:x: Could not queue it: ${describeError(err)}. Nothing was changed; press again in a moment.`, outcome: 'failed', reason: describeError(err), command: input.value.slice(0, 200) };
      }
    },
    async close() {
      await queues.close();
    },
  };
}
