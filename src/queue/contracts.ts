/**
 * The one file that says what travels through Redis: queue names, job names, and the typed
 * payload and result of every job. Payloads carry ids and names only — never a token, a
 * kubeconfig or a secret — because anyone with Redis access can read them.
 *
 * A `check` is a BullMQ parent with two children, `probe` (pod, events, node, policies,
 * exec probes — everything but logs) and `collect-logs`. The bot adds only the parent (one
 * cheap `Queue.add`, so the slash command acks fast); the parent's first step posts the
 * progress message and adds the children with `parent` set, then waits for them
 * (`moveToWaitingChildren`); its second step merges their evidence, runs the analysis and
 * posts the result.
 */
import type { Diagnosis } from '../analysis/types.js';
import type { Evidence, LogEvidence, Step } from '../evidence.js';

/** Every job name podnet uses: the verbs' jobs (src/commands/verbs, `run.job`) and the check's two children. */
export const JOB_NAMES = {
  check: 'check',
  probe: 'probe',
  collectLogs: 'collect-logs',
  logs: 'logs',
  watch: 'watch',
  sweep: 'sweep',
  runbook: 'runbook',
  incident: 'incident',
  applyFix: 'apply-fix',
  rollBack: 'roll-back',
} as const;
export type JobName = (typeof JOB_NAMES)[keyof typeof JOB_NAMES];

/** The kinds of queue per cluster. Parents and children live apart so one cannot starve the other. */
export const QUEUE_KINDS = ['checks', 'probes'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

/** Default Redis key prefix of every podnet queue. */
export const DEFAULT_PREFIX = 'podnet';

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The queue of one kind for one cluster, e.g. `podnet-prod-eu-checks`. Cluster names are
 * DNS-1123 labels: BullMQ forbids ':' in queue names, and one worker deployment per cluster
 * consumes only its own queues.
 */
export function queueName(cluster: string, kind: QueueKind): string {
  if (!NAME_RE.test(cluster)) {
    throw new Error(`cluster name "${cluster}" is not a DNS-1123 label (lowercase letters, digits, '-'; at most 63)`);
  }
  return `podnet-${cluster}-${kind}`;
}

/** Where the answer goes in Slack. Ids only. */
export interface SlackTarget {
  channel: string;
  /** The Slack user id who asked. */
  user: string;
  /** When the command was typed in a thread, answer in that thread. */
  threadTs?: string;
  /** The slash command's response_url (a capability URL, short-lived; not a token). */
  responseUrl?: string;
  /**
   * The bot's policy lets `user` take intrusive actions in this channel and namespace: the
   * summary may offer *Apply fix*. Only decides whether the button is shown; every press is
   * authorized again by the bot (src/slack/fix-buttons.ts).
   */
  mayIntrude?: boolean;
}

/** Fields every command payload carries. */
export interface CommandPayloadBase {
  /** Unique per accepted command; job ids derive from it. */
  requestId: string;
  cluster: string;
  namespace: string;
  slack: SlackTarget;
  /** ISO time the bot accepted the command. */
  requestedAt: string;
}

/** Payload of `check` and of its children `probe` and `collect-logs`. */
export interface CheckPayload extends CommandPayloadBase {
  pod: string;
  client?: string;
  server?: string;
  port?: number;
  debugContainerImage?: string;
  /** Also upload the collected evidence as JSON in the thread (`--evidence`, the Show evidence button). */
  evidence?: boolean;
  /** Written by the worker (job.updateData) as the check moves through its steps; absent when queued. */
  state?: CheckState;
}

/** Where a `check` parent is, kept on its job data so a re-run resumes instead of redoing. */
export interface CheckState {
  step: 'children' | 'posted';
  /** ts of the channel message "Checking …" that the result replaces. */
  progressTs?: string;
}

/** Payload of the `logs` command. */
export interface LogsPayload extends CommandPayloadBase {
  pod: string;
  container?: string;
  previous?: boolean;
  sinceSeconds?: number;
  /** `--grep RE`: also select the lines matching this (validated) regular expression. */
  grep?: string;
}

/** Result of the `probe` child: everything but logs. */
export interface ProbeResult {
  kind: 'probe';
  evidence: Evidence;
}

/** Result of the `collect-logs` child. */
export interface CollectLogsResult {
  kind: 'collect-logs';
  logs: LogEvidence[];
  steps: Step[];
}

/** Result of the `check` parent, stored on the job (JSON). */
export interface CheckResult {
  /** Absent when the check could not run at all (e.g. the pod does not exist). */
  diagnosis?: Diagnosis;
  /** One line for the user when the check could not run. */
  error?: string;
  /** The channel message updated in place to the summary. */
  messageTs?: string;
  /** Thread replies posted under it (the timeline chart not counted). */
  threadPosts: number;
  /** The timeline chart uploaded into the thread (a file share, one more reply), when it was. */
  timelineFileId?: string;
  /** Children that failed after all attempts, with their reason (partial result). */
  failedChildren: { name: string; reason: string }[];
  /** Posts Slack refused for good (`what: slack_code`); the user was told another way. */
  undelivered?: string[];
}

/** Result of the `logs` job. */
export interface LogsResult {
  logs: LogEvidence[];
  steps: Step[];
  messageTs?: string;
}

/**
 * Payload of `incident` (jobs/incident.ts): open posts the header message whose ts becomes the
 * thread; summary and close act on the incident whose thread `slack.threadTs` is.
 */
export interface IncidentPayload extends Omit<CommandPayloadBase, 'namespace'> {
  action: 'open' | 'summary' | 'close';
  /** For `open`. */
  title?: string;
}

/**
 * Payload of `runbook` (jobs/runbook.ts). `list`/`show` answer from the loaded runbooks; `run`
 * starts a run; `continue` resumes a stored run (after a `wait:` delay or a confirm button).
 */
export interface RunbookPayload extends CommandPayloadBase {
  action: 'list' | 'show' | 'run' | 'continue';
  /** The runbook's name (show, run). */
  runbook?: string;
  /** The pod (run). */
  pod?: string;
  /** The stored run to resume (continue). */
  runId?: string;
  /** The answer to the pending confirm (continue after a button press). */
  confirmation?: 'confirmed' | 'declined';
  /** ts of the message carrying the Confirm/Decline buttons, updated to the answer. */
  promptTs?: string;
}

/**
 * Payload of `watch` (jobs/watch.ts). `run` is the template of the watch's BullMQ job
 * scheduler (one job per interval); `stop` posts the final message of watches the bot has
 * already unscheduled. The watch's state (history, messages) lives in Redis under its id.
 */
export interface WatchPayload extends CommandPayloadBase {
  action: 'run' | 'stop';
  /** The job scheduler id (run), also the key of the watch's state. */
  watchId?: string;
  /** The watches to close (stop). */
  watchIds?: string[];
  pod?: string;
}

/** Payload of `sweep` (jobs/sweep.ts). */
export interface SweepPayload extends CommandPayloadBase {
  selector?: string;
}

/**
 * Payload of `apply-fix` and `roll-back` (jobs/apply-fix.ts). `apply-fix` re-checks the pod,
 * applies the remediation of `cause` only when its patch still hashes to `patchHash` (what the
 * person saw), then verifies. `roll-back` restores the values stored under `fixId`.
 */
export interface FixPayload extends CommandPayloadBase {
  /** The apply's id (its job id); the key of the stored change. */
  fixId: string;
  pod: string;
  client?: string;
  server?: string;
  port?: number;
  cause?: string;
  patchHash?: string;
  /** Written by the worker once the patch is applied, so a retry does not apply it again. */
  state?: { step: 'applied' | 'done' };
}

/** Deterministic child job ids: a re-added flow cannot create a second probe. No ':' allowed. */
export function childJobId(parentId: string, child: 'probe' | 'collect-logs'): string {
  return `${parentId}-${child === 'probe' ? 'probe' : 'logs'}`;
}

/**
 * Idempotency keys for Slack posts, keyed by the check's job id so a re-run posts nothing new.
 * (The in-place update to the summary has no key: the job records it in `state.step`.)
 */
export const postKeys = {
  progress: (jobId: string): string => `${jobId}-progress`,
  thread: (jobId: string, i: number): string => `${jobId}-thread-${i}`,
};
