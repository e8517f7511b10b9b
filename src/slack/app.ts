/**
 * The Slack side of podnet: a Bolt app whose listeners parse, authorize, enqueue and ack.
 * They never call a cluster; workers do that. Every command and button press is audited.
 *
 * Transport: Bolt's HTTPReceiver (signature + 5-minute timestamp check, 401 otherwise) on
 * /slack/events, /slack/commands and /slack/actions, or Socket Mode when an app token is set.
 * The Web API client points at `config.slack.apiUrl` when given (the stand-in in tests).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  App,
  HTTPReceiver,
  LogLevel,
  SocketModeReceiver,
  type BlockAction,
  type ButtonAction,
  type Logger as BoltLogger,
  type Receiver,
  type RespondArguments,
  type RespondFn,
  type SlashCommand,
} from '@slack/bolt';
import type { RetryOptions } from '@slack/web-api';
import { channelDefaults, authorize, type AuthorizeResult, type Policy } from '../authz/policy.js';
import type { AuditEntry, AuditLog } from '../authz/audit.js';
import {
  HELP_TEXT,
  commandNamespace,
  commandRoutes,
  describeCommand,
  formatCommand,
  isIntrusive,
  parseCommand,
  type CheckCommand,
  type ParsedCommand,
} from '../commands/grammar.js';
import { specOf } from '../commands/verbs/index.js';
import type { BotContext, ClusterSummary } from '../commands/verbs/spec.js';
import { validateImage, validateLabel, validatePodName } from '../commands/validate.js';
import type { Config } from '../config.js';
import { BadInputError, PodnetError, describeError } from '../errors.js';
import { MAX_LOGGED_CHARS, silentLogger, type Logger } from '../logger.js';
import { redactBounded } from '../logscan/redact.js';
import { mentionCommandText, type IncidentHooks } from '../incidents/slack-hooks.js';
import { RUNBOOK_ACTION_IDS } from '../render/runbook.js';
import { escapeSlackText, unescapeSlackText } from './text.js';
import { FIX_ACTION, type FixButtons } from './fix-buttons.js';
import { timestampWithinWindow, type EventDeduper } from './request-guards.js';

type BoltApp = App;

/** The buttons podnet's messages carry (rendered by src/render/slack.ts). */
export const ACTION_IDS = {
  rerun: 'podnet_rerun',
  logs: 'podnet_logs',
  debug: 'podnet_debug',
  evidence: 'podnet_evidence',
  /** On a watch's baseline message (src/render/watch.ts); its value is `watch stop POD -n NS`. */
  watchStop: 'podnet_watch_stop',
} as const;
export type PodnetActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];

/**
 * Who asked and where to answer, as the Slack app passes it to `enqueue`. Ids only, never tokens.
 * The bot turns it into the producer's EnqueueContext (src/queue/enqueue.ts), the one context of a job.
 */
export interface CommandOrigin {
  channel: string;
  user: string;
  teamId: string;
  responseUrl: string;
  /** Set for button presses: the thread of the message carrying the button. */
  threadTs?: string;
  channelName?: string;
  /** `slash` or `button:<action_id>`. */
  source: string;
}

export type EnqueueFn = (cmd: ParsedCommand, ctx: CommandOrigin) => Promise<{ jobId: string; deduplicated?: boolean }>;

export interface SlackAppOptions {
  config: Pick<Config, 'slack' | 'defaultCluster'>;
  policy: Policy;
  audit: AuditLog;
  enqueue: EnqueueFn;
  logger?: Logger;
  /** A receiver to use instead of HTTP / Socket Mode (tests, custom hosting). */
  receiver?: Receiver;
  /** The slash command name. Default `/podnet`. */
  commandName?: string;
  /**
   * How long the slash listener waits for `enqueue` before acking anyway (Slack allows 3 s).
   * When exceeded, the ack says "accepted" and the job id follows via response_url. Default 1500 ms.
   */
  ackBudgetMs?: number;
  /** Whether "Queued …" acks are visible to the channel. Default `ephemeral`. */
  ackVisibility?: 'ephemeral' | 'in_channel';
  /** Image for the debug-container button when the button names none. Default `busybox:1.36`. */
  debugImage?: string;
  /** Answers `/podnet clusters` (src/render/clusters.ts `clustersText`); without it the verb says it is unavailable. */
  listClusters?: () => Promise<string>;
  /** The clusters and their workers from the heartbeats (src/queue/heartbeat.ts `listClusters`), for verbs the bot answers. */
  clusters?: () => Promise<ClusterSummary[]>;
  /** podnet's version, for verbs the bot answers. Default `unknown`. */
  version?: string;
  /**
   * Incidents and runbooks (src/incidents/slack-hooks.ts): routes commands into an open
   * incident's thread, answers `@podnet` mentions, handles runbook Confirm/Decline buttons.
   */
  incidents?: IncidentHooks;
  /** *Apply fix* / *Roll back* presses (src/slack/fix-buttons.ts authorizes and queues them). */
  fixButtons?: FixButtons;
  /** Events API retries (same `event_id`) run once (src/slack/request-guards.ts). Without it, every delivery runs. */
  eventDeduper?: EventDeduper;
  /** The clock for the request-timestamp window (ms). Default Date.now. */
  now?: () => number;
  /** The bot's ids, when known, so no auth.test is needed. */
  botId?: string;
  botUserId?: string;
}

export interface SlackApp {
  app: BoltApp;
  /** Starts listening (HTTP: on `port`, 0 = any; Socket Mode: connects). Returns the bound port. */
  start(port?: number): Promise<{ port: number }>;
  /** Stops taking requests. */
  stop(): Promise<void>;
}

type Ephemeral = { response_type: 'ephemeral' | 'in_channel'; text: string };
const ephemeral = (text: string): Ephemeral => ({ response_type: 'ephemeral', text });

function usageBlock(usage: string): string {
  return usage.includes('\n') ? `\`\`\`${usage}\`\`\`` : `Usage: \`/podnet ${usage}\``;
}

/** Adapts pino to Bolt's logger interface. */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  let level: LogLevel = LogLevel.INFO;
  // At debug Bolt logs every request body: the verification `token` field and the
  // `response_url` (which lets anyone holding it post into the channel) must not reach the logs.
  // Cut before redacting (a slash command can be 160,000 characters); redactSecrets also masks
  // hooks.slack.com URLs, JSON-escaped or not.
  const text = (msg: unknown[]) =>
    redactBounded(msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' '), MAX_LOGGED_CHARS);
  // Bolt logs request bodies at debug on every request: format only when the level is on,
  // so the ack path pays nothing for disabled logging.
  const at = (lvl: 'debug' | 'info' | 'warn' | 'error') => (...msg: unknown[]) => {
    if (child.isLevelEnabled(lvl)) child[lvl](text(msg));
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/**
 * The receiver Bolt listens through: the caller's, Socket Mode with an app token, else signed
 * HTTP — which refuses a request timestamped more than 5 minutes from now before Bolt sees it.
 */
function createReceiver(options: SlackAppOptions, logger: Logger, bLogger: ReturnType<typeof boltLogger>): Receiver {
  const { config } = options;
  if (options.receiver) return options.receiver;
  if (config.slack.appToken) {
    return new SocketModeReceiver({
      appToken: config.slack.appToken,
      logger: bLogger,
      // apps.connections.open goes through this client: honour the API URL override.
      ...(config.slack.apiUrl !== undefined && { installerOptions: { clientOptions: { slackApiUrl: config.slack.apiUrl } } }),
    });
  }
  if (!config.slack.signingSecret) {
    throw new PodnetError('bad-input', "SLACK_SIGNING_SECRET is required for the HTTP receiver; set it from your Slack app's Basic Information page");
  }
  const httpReceiver = new HTTPReceiver({
    signingSecret: config.slack.signingSecret,
    endpoints: ['/slack/events', '/slack/commands', '/slack/actions'],
    logger: bLogger,
    processBeforeResponse: false,
    customRoutes: [
      {
        path: '/healthz',
        method: ['GET'],
        handler: (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok');
        },
      },
    ],
  });
  // Refuse requests signed more than 5 minutes from now in either direction before Bolt
  // sees them: Bolt refuses only stale ones (src/slack/request-guards.ts).
  const bolt = httpReceiver.requestListener;
  const now = options.now ?? Date.now;
  httpReceiver.requestListener = (req, res) => {
    const header = req.headers['x-slack-request-timestamp'];
    if (header !== undefined && !timestampWithinWindow(Array.isArray(header) ? header[0] : header, now())) {
      logger.warn({ timestamp: String(header).slice(0, 20) }, 'refused a request timestamped more than 5 minutes from now');
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('request timestamp outside the 5-minute window');
      return;
    }
    bolt(req, res);
  };
  return httpReceiver;
}

/** The Bolt app over `receiver`; it only ever calls auth.test itself (the workers post). */
function createBoltApp(config: SlackAppOptions['config'], receiver: Receiver, bLogger: ReturnType<typeof boltLogger>, identity: { botId?: string; botUserId?: string }): App {
  return new App({
    receiver,
    logger: bLogger,
    clientOptions: {
      ...(config.slack.apiUrl !== undefined && { slackApiUrl: config.slack.apiUrl }),
      // The bot itself only calls auth.test; workers post. A short, unref'd retry policy keeps a
      // failing auth.test from holding the process open after SIGTERM.
      retryConfig: { retries: 3, factor: 2, minTimeout: 500, unref: true } as RetryOptions,
      timeout: 10_000,
    },
    authorize: async () => ({ botToken: config.slack.botToken, ...identity }),
    // No conversation state is used; Bolt's default in-memory store costs an Error (with a
    // stack trace) per request on the ack path.
    convoStore: false,
  });
}

/** Builds the Bolt app. Nothing listens until `start`. */
export function createSlackApp(options: SlackAppOptions): SlackApp {
  const { config, policy, audit } = options;
  const enqueue: EnqueueFn = options.incidents ? options.incidents.wrapEnqueue(options.enqueue) : options.enqueue;
  const logger = options.logger ?? silentLogger;
  const commandName = options.commandName ?? '/podnet';
  const ackBudgetMs = options.ackBudgetMs ?? 1500;
  const visibility = options.ackVisibility ?? 'ephemeral';
  const debugImage = validateImage(options.debugImage ?? 'busybox:1.36');
  const bLogger = boltLogger(logger);

  const receiver = createReceiver(options, logger, bLogger);

  // Known ids are used as they are; otherwise they are looked up once in the background at
  // start. Listeners never wait on auth.test: acks must not depend on Slack's Web API.
  const identity: { botId?: string; botUserId?: string } = {
    ...(options.botId !== undefined && { botId: options.botId }),
    ...(options.botUserId !== undefined && { botUserId: options.botUserId }),
  };
  const app = createBoltApp(config, receiver, bLogger, identity);

  const record = (entry: AuditEntry) => {
    try {
      audit.record(entry);
    } catch (err) {
      logger.error({ err: describeError(err) }, 'audit write failed');
    }
  };

  /** Fills the cluster from `--cluster`, the channel's policy or the default, on commands whose verb spec routes them. */
  function routed(cmd: ParsedCommand, channelCluster: string | undefined): ParsedCommand {
    if (!commandRoutes(cmd)) return cmd;
    const c = cmd as ParsedCommand & { cluster?: string };
    return { ...c, cluster: c.cluster ?? channelCluster ?? config.defaultCluster } as ParsedCommand;
  }

  const bot: BotContext = {
    version: options.version ?? 'unknown',
    ...(options.listClusters && { clustersText: options.listClusters }),
    ...(options.clusters && { clusters: options.clusters }),
  };

  /**
   * Answers a verb the bot runs itself (spec `run.on: 'bot'`: help, clusters…), after the
   * channel policy when the verb's permission asks for it. Returns the text and the audit outcome.
   */
  async function answerHere(cmd: ParsedCommand, where: { channel: string; user: string; channelName?: string }): Promise<{ text: string; outcome: 'done' | 'denied' | 'failed'; reason?: string }> {
    const spec = specOf(cmd);
    if (spec.run.on !== 'bot') throw new Error(`${cmd.verb} is not answered by the bot`);
    if (spec.permission.policy === 'channel') {
      const d = authorize(policy, { channel: where.channel, user: where.user, verb: cmd.verb, intrusive: spec.permission.intrusive(cmd), ...(where.channelName !== undefined && { channelName: where.channelName }) });
      if (!d.allowed) return { text: `:no_entry: ${escapeSlackText(d.reason)}`, outcome: 'denied', reason: d.reason };
    }
    try {
      return { text: await spec.run.answer(cmd, bot), outcome: 'done' };
    } catch (err) {
      return { text: `:x: Could not answer \`${escapeSlackText(formatCommand(cmd))}\`: ${escapeSlackText(describeError(err))}`, outcome: 'failed', reason: describeError(err) };
    }
  }

  function queuedText(cmd: ParsedCommand, res: { jobId: string; deduplicated?: boolean }): string {
    const dedup = res.deduplicated ? ' — the same check was already running; its results will appear in its thread' : '';
    return `:hourglass_flowing_sand: Queued ${escapeSlackText(describeCommand(cmd))} (job \`${res.jobId}\`)${dedup}`;
  }

  function enqueueFailureText(cmd: ParsedCommand, err: unknown): string {
    if (err instanceof PodnetError && err.code === 'bad-input') return `:warning: ${escapeSlackText(describeError(err))}`;
    return `:x: Could not queue the ${escapeSlackText(describeCommand(cmd))}: ${escapeSlackText(describeError(err))}. Nothing was started; try again in a moment.`;
  }

  /**
   * Authorizes and enqueues; returns what to tell the user. `waitMs` bounds how long the
   * caller waits; past it, `late` gets the final text.
   */
  async function accept(
    cmd: ParsedCommand,
    ctx: CommandOrigin,
    base: Omit<AuditEntry, 'outcome'>,
    channelCluster: string | undefined,
    waitMs: number,
    late: (text: string) => Promise<unknown>,
  ): Promise<{ text: string; accepted: boolean }> {
    const decision = specOf(cmd).permission.policy === 'open' ? ({ allowed: true } as AuthorizeResult) : authorize(policy, {
      channel: ctx.channel,
      ...(ctx.channelName !== undefined && { channelName: ctx.channelName }),
      user: ctx.user,
      verb: cmd.verb,
      ...(commandNamespace(cmd) !== undefined && { namespace: commandNamespace(cmd) }),
      ...('cluster' in cmd && cmd.cluster !== undefined && { cluster: cmd.cluster }),
      intrusive: isIntrusive(cmd),
    });
    if (!decision.allowed) {
      record({ ...base, outcome: 'denied', reason: decision.reason });
      return { text: `:no_entry: ${escapeSlackText(decision.reason)}`, accepted: false };
    }
    const final = routed(cmd, decision.cluster ?? channelCluster);
    const clusterOf = (c: ParsedCommand) => ('cluster' in c ? c.cluster : undefined);
    const auditBase = { ...base, command: formatCommand(final), ...(clusterOf(final) !== undefined && { cluster: clusterOf(final) }) };
    const job = enqueue(final, ctx).then(
      (res) => {
        record({ ...auditBase, outcome: 'queued', jobId: res.jobId });
        return { text: queuedText(final, res), accepted: true };
      },
      (err: unknown) => {
        logger.warn({ err: describeError(err), verb: final.verb }, 'enqueue failed');
        record({ ...auditBase, outcome: 'failed', reason: describeError(err) });
        return { text: enqueueFailureText(final, err), accepted: false };
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => {
      timer = setTimeout(() => resolve('slow'), waitMs);
    });
    const first = await Promise.race([job, slow]);
    clearTimeout(timer);
    if (first !== 'slow') return first;
    void job.then((r) => late(r.text)).catch((err: unknown) => logger.warn({ err: describeError(err) }, 'late response failed'));
    return { text: `:hourglass: Accepted the ${escapeSlackText(describeCommand(final))}; queueing is slow, I will confirm here.`, accepted: true };
  }

  async function onCommand({ command, ack, respond }: { command: SlashCommand; ack: (r?: Ephemeral) => Promise<void>; respond: RespondFn }): Promise<void> {
    const text = unescapeSlackText(command.text ?? '');
    const base = {
      who: command.user_id,
      channel: command.channel_id,
      ...(command.channel_name !== undefined && { channelName: command.channel_name }),
      command: text,
      source: 'slash',
    };
    const defaults = channelDefaults(policy, command.channel_id, command.channel_name);
    let cmd: ParsedCommand;
    try {
      cmd = parseCommand(text, defaults.namespace !== undefined ? { namespace: defaults.namespace } : undefined);
    } catch (err) {
      if (!(err instanceof BadInputError)) throw err;
      await ack(ephemeral(`:warning: ${escapeSlackText(err.message)}\n${usageBlock(err.usage ?? HELP_TEXT)}`));
      record({ ...base, outcome: 'invalid', reason: err.message });
      return;
    }
    const audited = { ...base, verb: cmd.verb, ...(commandNamespace(cmd) !== undefined && { namespace: commandNamespace(cmd) }) };
    if (specOf(cmd).run.on === 'bot') {
      const answer = await answerHere(cmd, { channel: command.channel_id, user: command.user_id, ...(command.channel_name !== undefined && { channelName: command.channel_name }) });
      await ack(ephemeral(answer.text));
      record({ ...audited, outcome: answer.outcome, ...(answer.reason !== undefined && { reason: answer.reason }) });
      return;
    }
    const ctx: CommandOrigin = {
      channel: command.channel_id,
      user: command.user_id,
      teamId: command.team_id,
      responseUrl: command.response_url,
      ...(command.channel_name !== undefined && { channelName: command.channel_name }),
      source: 'slash',
    };
    const result = await accept(cmd, ctx, audited, defaults.cluster, ackBudgetMs, (late) =>
      respond({ response_type: 'ephemeral', text: late } as RespondArguments),
    );
    await ack({ response_type: result.accepted ? visibility : 'ephemeral', text: result.text });
  }

  type ActionArgs = { ack: () => Promise<void>; body: BlockAction; action: ButtonAction; respond: RespondFn };

  async function onPodnetButton({ ack, body, action, respond }: ActionArgs): Promise<void> {
    await ack();
    const b = body;
    const a = action;
    const actionId = a.action_id as PodnetActionId;
    const channel = b.channel?.id ?? b.container?.channel_id ?? '';
    const channelName = b.channel?.name;
    const user = b.user.id;
    const source = `button:${actionId}`;
    const base = { who: user, channel, ...(channelName !== undefined && { channelName }), command: a.value ?? '', source };
    const reply = (text: string) =>
      respond({ response_type: 'ephemeral', replace_original: false, text } as RespondArguments).catch((err: unknown) =>
        logger.warn({ err: describeError(err) }, 'could not answer the button press'),
      );
    const defaults = channelDefaults(policy, channel, channelName);
    let cmd: ParsedCommand;
    try {
      cmd = commandForAction(actionId, a.value ?? '', defaults.namespace, debugImage);
    } catch (err) {
      if (!(err instanceof BadInputError)) throw err;
      record({ ...base, outcome: 'invalid', reason: err.message });
      await reply(`:warning: ${escapeSlackText(err.message)}`);
      return;
    }
    const message = (b as BlockAction & { message?: { ts?: string; thread_ts?: string } }).message;
    const threadTs = message?.thread_ts ?? message?.ts ?? b.container?.message_ts;
    const ctx: CommandOrigin = {
      channel,
      user,
      teamId: b.team?.id ?? b.user.team_id ?? '',
      responseUrl: b.response_url,
      ...(threadTs !== undefined && { threadTs }),
      ...(channelName !== undefined && { channelName }),
      source,
    };
    const audited = { ...base, verb: cmd.verb, ...(commandNamespace(cmd) !== undefined && { namespace: commandNamespace(cmd) }) };
    // The ack went out first; there is no 3 s budget left to protect, so wait for the queue.
    const result = await accept(cmd, ctx, audited, defaults.cluster, 60_000, (text) => reply(text));
    await reply(result.text);
  }

  // Runbook Confirm / Decline (src/incidents/slack-hooks.ts checks the presser's permission).
  async function onRunbookButton({ ack, body, action, respond }: ActionArgs): Promise<void> {
    await ack();
    const b = body;
    const a = action;
    const channel = b.channel?.id ?? b.container?.channel_id ?? '';
    const channelName = b.channel?.name;
    const answer = a.action_id === RUNBOOK_ACTION_IDS.confirm ? 'confirmed' : 'declined';
    const promptTs = (b as BlockAction & { message?: { ts?: string } }).message?.ts ?? b.container?.message_ts;
    const base = { who: b.user.id, channel, ...(channelName !== undefined && { channelName }), command: `runbook ${answer} ${a.value ?? ''}`, source: `button:${a.action_id}`, verb: 'runbook' as const };
    const res = options.incidents
      ? await options.incidents.runbookButton({ policy, runId: a.value ?? '', answer, user: b.user.id, channel, ...(channelName !== undefined && { channelName }), ...(promptTs !== undefined && { promptTs }) }).catch((err: unknown) => ({ text: `:x: ${escapeSlackText(describeError(err))}`, outcome: 'failed' as const, reason: describeError(err), jobId: undefined, namespace: undefined }))
      : { text: 'Runbooks are not available in this deployment.', outcome: 'invalid' as const, reason: 'no incident hooks', jobId: undefined, namespace: undefined };
    record({ ...base, outcome: res.outcome, ...(res.reason !== undefined && { reason: res.reason }), ...(res.jobId !== undefined && { jobId: res.jobId }), ...(res.namespace !== undefined && { namespace: res.namespace }) });
    await respond({ response_type: 'ephemeral', replace_original: false, text: res.text } as RespondArguments).catch((err: unknown) => logger.warn({ err: describeError(err) }, 'could not answer the button press'));
  }

  // Apply fix / Roll back (src/slack/fix-buttons.ts authorizes the presser and queues the job).
  async function onFixButton({ ack, body, action, respond }: ActionArgs): Promise<void> {
    await ack();
    const channel = body.channel?.id ?? body.container?.channel_id ?? '';
    const channelName = body.channel?.name;
    const message = (body as BlockAction & { message?: { ts?: string; thread_ts?: string } }).message;
    const threadTs = message?.thread_ts ?? message?.ts ?? body.container?.message_ts;
    const res = options.fixButtons
      ? await options.fixButtons.press({ actionId: action.action_id, value: action.value ?? '', user: body.user.id, channel, ...(channelName !== undefined && { channelName }), ...(threadTs !== undefined && { threadTs }) })
      : { text: 'Applying fixes is not available in this deployment.', outcome: 'invalid' as const, reason: 'no fix buttons', command: action.value ?? '' };
    record({ who: body.user.id, channel, ...(channelName !== undefined && { channelName }), command: res.command, source: `button:${action.action_id}`, verb: 'check', outcome: res.outcome, ...(res.reason !== undefined && { reason: res.reason }), ...(res.jobId !== undefined && { jobId: res.jobId }), ...(res.namespace !== undefined && { namespace: res.namespace }), ...(res.cluster !== undefined && { cluster: res.cluster }) });
    await respond({ response_type: 'ephemeral', replace_original: false, text: res.text } as RespondArguments).catch((err: unknown) => logger.warn({ err: describeError(err) }, 'could not answer the button press'));
  }

  // `@podnet <command>`: the same grammar; in a thread, answered in that thread (Slack refuses
  // slash commands in threads, so this is how a command runs inside an incident's thread).
  async function onMention({ event, client }: { event: unknown; client: BoltApp['client'] }): Promise<void> {
    const e = event as { user?: string; text: string; channel: string; ts: string; thread_ts?: string; team?: string };
    if (e.user === undefined) return;
    const user = e.user;
    const threadTs = e.thread_ts;
    const reply = (text: string) =>
      client.chat
        .postEphemeral({ channel: e.channel, user, text, ...(threadTs !== undefined && { thread_ts: threadTs }) })
        .catch((err: unknown) => logger.warn({ err: describeError(err) }, 'could not answer the mention'));
    const text = unescapeSlackText(mentionCommandText(e.text));
    const base = { who: user, channel: e.channel, command: text, source: 'mention' };
    const defaults = channelDefaults(policy, e.channel);
    let cmd: ParsedCommand;
    try {
      cmd = parseCommand(text, defaults.namespace !== undefined ? { namespace: defaults.namespace } : undefined);
    } catch (err) {
      if (!(err instanceof BadInputError)) throw err;
      record({ ...base, outcome: 'invalid', reason: err.message });
      await reply(`:warning: ${escapeSlackText(err.message)}\n${usageBlock(err.usage ?? HELP_TEXT)}`);
      return;
    }
    const audited = { ...base, verb: cmd.verb, ...(commandNamespace(cmd) !== undefined && { namespace: commandNamespace(cmd) }) };
    if (specOf(cmd).run.on === 'bot') {
      const answer = await answerHere(cmd, { channel: e.channel, user });
      record({ ...audited, outcome: answer.outcome, ...(answer.reason !== undefined && { reason: answer.reason }) });
      await reply(answer.text);
      return;
    }
    const ctx: CommandOrigin = { channel: e.channel, user, teamId: e.team ?? '', responseUrl: '', ...(threadTs !== undefined && { threadTs }), source: 'mention' };
    const result = await accept(cmd, ctx, audited, defaults.cluster, 60_000, (t) => reply(t));
    await reply(result.text);
  }

  const podnetAction = /^podnet_(rerun|logs|debug|evidence|watch_stop)$/;
  const runbookAction = /^podnet_runbook_(confirm|decline)$/;

  // One dispatcher (a global middleware) instead of one Bolt listener per kind of request:
  // Bolt runs every registered listener's middleware chain, each spreading the request's
  // arguments into a fresh object, on every request. Seven listeners cost each slash command
  // ~0.03 ms of CPU, which under a burst of 50 adds up on the last ack. Anything not handled
  // here goes on to listeners registered later (none in podnet).
  app.use(async (args) => {
    const a = args as unknown as {
      body: { type?: string };
      command?: SlashCommand;
      action?: { action_id?: string };
      event?: { type?: string };
      view?: unknown;
      shortcut?: unknown;
      ack?: () => Promise<void>;
    };
    if (a.command !== undefined) {
      if (a.command.command === commandName) return onCommand(a as unknown as Parameters<typeof onCommand>[0]);
    } else if (a.action !== undefined && a.ack !== undefined) {
      const id = a.action.action_id ?? '';
      if (a.body.type === 'block_actions' && podnetAction.test(id)) return onPodnetButton(a as unknown as ActionArgs);
      if (a.body.type === 'block_actions' && runbookAction.test(id)) return onRunbookButton(a as unknown as ActionArgs);
      if (a.body.type === 'block_actions' && FIX_ACTION.test(id)) return onFixButton(a as unknown as ActionArgs);
      // Every other interaction is acknowledged so Slack shows no error to the user.
      return a.ack();
    } else if (a.event !== undefined) {
      if (a.event.type === 'app_mention') {
        // Slack re-delivers an event it thinks went unanswered, same event_id, X-Slack-Retry-Num ≥ 1.
        const eventId = (a.body as { event_id?: string }).event_id;
        const retryNum = (args as unknown as { context?: { retryNum?: number } }).context?.retryNum;
        if (eventId !== undefined && options.eventDeduper && !(await options.eventDeduper.firstDelivery(eventId, retryNum))) {
          logger.info({ eventId, retryNum }, 'Events API retry of an event already handled; ignored');
          return;
        }
        return onMention(a as unknown as Parameters<typeof onMention>[0]);
      }
    } else if ((a.view !== undefined || a.shortcut !== undefined) && a.ack !== undefined) {
      return a.ack();
    }
    await args.next();
  });

  app.error(async (err) => {
    logger.error({ err: describeError(err) }, 'slack listener failed');
  });

  return {
    app,
    async start(port = 3000) {
      const started = (await app.start(port)) as unknown;
      if (identity.botId === undefined) {
        // Background: verifies the token and learns the bot's ids; acks never wait on it.
        app.client.auth
          .test({ token: config.slack.botToken })
          .then((r) => {
            if (r.bot_id) identity.botId = r.bot_id;
            if (r.user_id) identity.botUserId = r.user_id;
            logger.info({ team: r.team, botUserId: r.user_id }, 'slack token verified');
          })
          .catch((err: unknown) => logger.warn({ err: describeError(err) }, 'auth.test failed; check SLACK_BOT_TOKEN'));
      }
      const server = started as Server | undefined;
      const address = server && typeof server.address === 'function' ? (server.address() as AddressInfo | null) : null;
      return { port: address?.port ?? 0 };
    },
    async stop() {
      await app.stop();
    },
  };
}

/**
 * The command a button stands for. Its value is podnet command text (`check p -n ns …`) or a
 * JSON target `{ ns, pod, client?, server?, port?, container?, previous?, image?, cluster? }`
 * (src/render/slack.ts ButtonPayload).
 */
function commandForAction(actionId: PodnetActionId, value: string, defaultNamespace: string | undefined, debugImage: string): ParsedCommand {
  let base: ParsedCommand;
  if (value.trim().startsWith('{')) {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(value) as Record<string, unknown>;
    } catch {
      throw new BadInputError('This button carries data podnet cannot read; run the command by hand (/podnet help)');
    }
    const str = (k: string) => (typeof data[k] === 'string' ? (data[k] as string) : undefined);
    const pod = str('pod');
    if (pod === undefined) throw new BadInputError('This button names no pod; run the command by hand (/podnet help)');
    // src/render/slack.ts writes `ns`; `namespace` is accepted too.
    const ns = str('ns') ?? str('namespace') ?? defaultNamespace ?? 'default';
    const check: CheckCommand = { verb: 'check', pod: validatePodName(pod), namespace: validateLabel(ns, 'namespace') };
    if (str('client') !== undefined) check.client = validateLabel(str('client') as string, 'container name');
    if (str('server') !== undefined) check.server = validateLabel(str('server') as string, 'container name');
    if (typeof data.port === 'number' && Number.isInteger(data.port) && data.port >= 1 && data.port <= 65535) check.port = data.port;
    if (str('cluster') !== undefined) check.cluster = validateLabel(str('cluster') as string, 'cluster name');
    if (str('image') !== undefined) check.debugContainerImage = validateImage(str('image') as string);
    if (actionId === ACTION_IDS.logs) {
      return {
        verb: 'logs',
        pod: check.pod,
        namespace: check.namespace,
        previous: data.previous === true,
        ...(str('container') !== undefined && { container: validateLabel(str('container') as string, 'container name') }),
        ...(check.cluster !== undefined && { cluster: check.cluster }),
      };
    }
    base = check;
  } else {
    base = parseCommand(value, defaultNamespace !== undefined ? { namespace: defaultNamespace } : undefined);
  }
  switch (actionId) {
    case ACTION_IDS.rerun:
      if (specOf(base).run.on !== 'worker') throw new BadInputError('This button has nothing to re-run');
      return base;
    case ACTION_IDS.logs:
      if (base.verb === 'logs') return base;
      if (base.verb === 'check') {
        return { verb: 'logs', pod: base.pod, namespace: base.namespace, previous: false, ...(base.server !== undefined && { container: base.server }), ...(base.cluster !== undefined && { cluster: base.cluster }) };
      }
      throw new BadInputError('This logs button does not name a pod');
    case ACTION_IDS.debug:
      if (base.verb !== 'check') throw new BadInputError('This debug button does not name a pod to check');
      return { ...base, debugContainerImage: base.debugContainerImage ?? debugImage };
    case ACTION_IDS.evidence:
      if (base.verb !== 'check') throw new BadInputError('This evidence button does not name a pod to check');
      return { ...base, evidence: true };
    case ACTION_IDS.watchStop:
      if (base.verb === 'watch' && base.action === 'stop') return base;
      throw new BadInputError('This stop button does not name a watch; use /podnet watch stop POD');
  }
}
