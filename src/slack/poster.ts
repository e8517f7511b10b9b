/**
 * Posting to Slack from workers: never drops a message, never posts one twice, and when Slack
 * refuses for good, says so in a way the person who asked can see.
 *
 * - Retries (src/slack/slack-errors.ts classifies every Slack error): a 429 is waited out for
 *   exactly its Retry-After seconds, then the call goes again — no backoff added on top
 *   (docs.slack.dev/apis/web-api/rate-limits: "wait … then retry"); waits are bounded only by
 *   `maxRetryTimeMs` in total. 5xx, network errors and Slack's transient codes
 *   (`internal_error`, `fatal_error`, `service_unavailable`, `request_timeout`) are retried
 *   with backoff, at most `transientAttempts` times. Everything else is not retried.
 *   The WebClient itself retries nothing (`retries: 0`, `rejectRateLimitedCalls: true`): its
 *   own policy paused its one request queue — every channel — on any 429 and then added
 *   p-retry's exponential delay on top of Retry-After.
 * - Order: calls to the same channel go out one at a time in the order they were made, so a
 *   429 on one post cannot let a later one overtake it; a 429 in one channel holds only that
 *   channel (chat.postMessage's limit is "one message per second per channel").
 * - Reshaping: a message whose blocks carry more text than BLOCK_TEXT_BUDGET or more than 50
 *   blocks is split into several messages before it is sent. If Slack still refuses the
 *   content — `invalid_blocks` → the same message as plain text; `msg_blocks_too_long` → split
 *   in halves; `msg_too_long` → the text cut, the whole of it attached as a file.
 * - Uploads: files.getUploadURLExternal → POST the bytes → files.completeUploadExternal, done
 *   here so that an upload URL answering 4xx is replaced by a fresh one (at most
 *   `uploadAttempts` URLs) instead of being retried for 15 minutes.
 * - A request that times out or gets a 5xx is retried; if Slack had in fact accepted it, the
 *   retry duplicates it. Slack offers no idempotency key to prevent this.
 * - Idempotency: `post({ idempotencyKey })` records the message ts in Redis under
 *   `<prefix><key>`. A job re-run after it posted (worker killed, job retried) finds the ts and
 *   updates that message instead of posting a second one. See `post` for the remaining window.
 * - Telling the user: `tellUser` reaches the person who asked through the command's
 *   response_url while it is valid, else chat.postEphemeral, else a DM (src/slack/notify.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  ErrorCode as WebErrorCode,
  WebClient,
  WebClientEvent,
  type Block,
  type KnownBlock,
  type Logger as WebLogger,
  type RetryOptions,
} from '@slack/web-api';
import type { RedisClient } from '../queue/redis.js';
import { PodnetError } from '../errors.js';
import { redactBounded } from '../logscan/redact.js';
import { MAX_LOGGED_CHARS, silentLogger, type Logger } from '../logger.js';
import { BLOCK_TEXT_BUDGET, blockTextLength, classifySlackError, SlackCallError } from './slack-errors.js';

export type SlackBlock = Block | KnownBlock;

export interface PostMessage {
  channel: string;
  /** Fallback text (notifications, screen readers). Always required. */
  text: string;
  blocks?: SlackBlock[];
  thread_ts?: string;
  /** Stable per logical message (e.g. `<jobId>-summary`); a second post with it updates instead. */
  idempotencyKey?: string;
  /** Defaults to false: podnet's messages carry their own links. */
  unfurl_links?: boolean;
}

export interface UpdateMessage {
  channel: string;
  ts: string;
  text: string;
  /** Required: chat.update with text and no blocks would wipe the message's blocks. Pass [] to clear on purpose. */
  blocks: SlackBlock[];
  /** Where the overflow of a message too long for one goes; default the thread of `ts`. */
  thread_ts?: string;
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  text: string;
  blocks?: SlackBlock[];
  thread_ts?: string;
}

export interface UploadFile {
  channel: string;
  thread_ts?: string;
  filename: string;
  content: string | Buffer;
  title?: string;
  initialComment?: string;
  /** Like `post`: a re-run with the same key does not upload again. */
  idempotencyKey?: string;
}

export interface PostResult {
  channel: string;
  ts: string;
  /** True when the key had been posted before and the existing message was updated (or kept). */
  reused: boolean;
  /** How the content had to change for Slack to take it (absent when sent as given). */
  reshaped?: 'split' | 'plain-text' | 'file';
}

/** Who asked and how to reach them (the job payload's `slack` target plus when they asked). */
export interface UserTarget {
  channel: string;
  user: string;
  threadTs?: string;
  /** The command's or button's response_url (valid 30 minutes, 5 uses). */
  responseUrl?: string;
  /** ISO time the command was accepted: the response_url's 30 minutes count from here. */
  requestedAt?: string;
}

/** Which way a `tellUser` message reached the user (or `none`). */
export type TellRoute = 'response_url' | 'ephemeral' | 'dm' | 'none';

export interface SlackPosterOptions {
  /** Bot token (xoxb-). */
  token: string;
  /** Web API base; default Slack's. */
  slackApiUrl?: string;
  /** Needed for idempotency keys and response_url use counts. Without it, keys are ignored (and a warning logged once). */
  redis?: RedisClient;
  /** Default `podnet:posted:`. */
  keyPrefix?: string;
  /** How long a key is remembered. Default 7 days (longer than any job's retry horizon). */
  keyTtlSeconds?: number;
  /**
   * A "pending" marker younger than this means another attempt is posting right now: wait for
   * its ts instead of posting. Older than this, its owner is presumed dead. Default 30 s.
   */
  pendingTimeoutMs?: number;
  /** Give up on a call (429 waits and retries together) after this long. Default 15 minutes. */
  maxRetryTimeMs?: number;
  /** Backoff between retries of transient failures (never added to a Retry-After wait). Defaults 500 ms .. 30 s. */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Tries of a call failing transiently (5xx, network, internal_error). Default 5. */
  transientAttempts?: number;
  /** Fresh upload URLs to try when one answers 4xx. Default 3. */
  uploadAttempts?: number;
  /** Split messages over Slack's limits and fall back to plain text / a file. Default true; false sends content as given (tests of the stand-in's checks). */
  reshape?: boolean;
  /**
   * response_url uses the worker allows itself per URL. Slack allows 5 in 30 minutes
   * (docs.slack.dev/interactivity/handling-user-interaction#message_responses); the bot may
   * spend one on a late "queued" confirmation, so the default is 4.
   */
  responseUrlUses?: number;
  /** Per-request timeout. Default 30 s. */
  requestTimeoutMs?: number;
  /** The clock (response_url validity). Default Date.now. */
  now?: () => number;
  /**
   * How the poster waits: out a Retry-After, a backoff, another attempt's pending marker.
   * Default a setTimeout; tests pass one that records (or holds) each wait.
   */
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
  /** Injected client (tests); otherwise one is built from the options above. */
  client?: WebClient;
  /**
   * Called once per Web API call podnet makes, after its retries: status `ok`, `error` (Slack
   * refused it, e.g. invalid_blocks) or `unavailable` (gave up). Each 429 waited out is also
   * reported, as status `rate-limited`. For `podnet_slack_calls_total`.
   */
  onCall?: (call: { method: string; status: 'ok' | 'error' | 'unavailable' | 'rate-limited' }) => void;
  /** Called for every 429 the client waits out (Retry-After seconds). For `podnet_slack_rate_limit_waits_total`. */
  onRateLimited?: (wait: { method: string; retryAfterSeconds: number }) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** response_url lifetime: "up to 5 times within 30 minutes" (docs.slack.dev/interactivity/handling-user-interaction#message_responses). */
export const RESPONSE_URL_TTL_MS = 30 * 60_000;

/** podnet's cap on fallback text when a message is split or cut (Slack's is 40 000). */
const TEXT_CAP = 3000;
const SLACK_TEXT_LIMIT = 40_000;

/** What a failed WebClient call was, for the retry loop. */
type Failure = { kind: 'rate-limited'; retryAfter: number } | { kind: 'transient'; code: string; detail: string } | { kind: 'refused'; code: string; detail: string };

function failureOf(err: unknown): Failure {
  const e = err as { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string; errors?: string[] }; message?: string };
  if (e.code === WebErrorCode.RateLimitedError) return { kind: 'rate-limited', retryAfter: e.retryAfter ?? 1 };
  if (e.code === WebErrorCode.PlatformError) {
    const code = e.data?.error ?? 'unknown_error';
    const detail = e.data?.errors?.length ? ` (${e.data.errors.slice(0, 3).join('; ')})` : '';
    const cls = classifySlackError(code).class;
    if (cls === 'rate-limited') return { kind: 'rate-limited', retryAfter: 1 };
    return cls === 'transient' ? { kind: 'transient', code, detail } : { kind: 'refused', code, detail };
  }
  if (e.code === WebErrorCode.HTTPError) {
    const status = e.statusCode ?? 0;
    return status >= 500 ? { kind: 'transient', code: 'http_error', detail: ` (HTTP ${status})` } : { kind: 'refused', code: 'http_error', detail: ` (HTTP ${status})` };
  }
  return { kind: 'transient', code: 'network_error', detail: ` (${e.message ?? String(err)})` };
}

/** Splits blocks into runs of at most 50 blocks and BLOCK_TEXT_BUDGET characters of text each. */
export function splitBlocks(blocks: SlackBlock[], budget: number = BLOCK_TEXT_BUDGET, maxBlocks = 50): SlackBlock[][] {
  const parts: SlackBlock[][] = [];
  let cur: SlackBlock[] = [];
  let len = 0;
  for (const b of blocks) {
    const n = blockTextLength(b);
    if (cur.length > 0 && (cur.length >= maxBlocks || len + n > budget)) {
      parts.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(b);
    len += n;
  }
  if (cur.length > 0) parts.push(cur);
  return parts.length > 0 ? parts : [[]];
}

const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** Posts, updates, uploads and responds, with the guarantees in the file comment. */
export class SlackPoster {
  readonly client: WebClient;
  private readonly redis?: RedisClient;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly pendingTimeoutMs: number;
  private readonly logger: Logger;
  private readonly maxRetryTimeMs: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly transientAttempts: number;
  private readonly uploadAttempts: number;
  private readonly reshape: boolean;
  private readonly responseUrlUses: number;
  private readonly requestTimeoutMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly onCall?: SlackPosterOptions['onCall'];
  private rateLimitedCount = 0;
  private warnedNoRedis = false;

  constructor(options: SlackPosterOptions) {
    this.logger = options.logger ?? silentLogger;
    this.maxRetryTimeMs = options.maxRetryTimeMs ?? 15 * 60_000;
    this.minDelay = options.minRetryDelayMs ?? 500;
    this.maxDelay = options.maxRetryDelayMs ?? 30_000;
    this.transientAttempts = Math.max(1, options.transientAttempts ?? 5);
    this.uploadAttempts = Math.max(1, options.uploadAttempts ?? 3);
    this.reshape = options.reshape ?? true;
    this.responseUrlUses = options.responseUrlUses ?? 4;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    this.client =
      options.client ??
      new WebClient(options.token, {
        ...(options.slackApiUrl !== undefined && { slackApiUrl: options.slackApiUrl }),
        // podnet's retry loop (`call`) does all retrying, per channel; see the file comment.
        rejectRateLimitedCalls: true,
        retryConfig: { retries: 0 } as RetryOptions,
        timeout: this.requestTimeoutMs,
        // The WebClient's own logger is chatty at info; route it to ours at debug.
        logger: webLogger(this.logger),
      });
    if (options.onCall) this.onCall = options.onCall;
    this.client.on(WebClientEvent.RATE_LIMITED, (retryAfter: number, info: { url?: string }) => {
      this.rateLimitedCount += 1;
      const method = info.url?.split('/').pop() ?? 'unknown';
      this.logger.warn({ retryAfter, method }, 'slack rate limited; waiting Retry-After');
      options.onCall?.({ method, status: 'rate-limited' });
      options.onRateLimited?.({ method, retryAfterSeconds: retryAfter });
    });
    if (options.redis) this.redis = options.redis;
    this.prefix = options.keyPrefix ?? 'podnet:posted:';
    this.ttl = options.keyTtlSeconds ?? 7 * 24 * 3600;
    this.pendingTimeoutMs = options.pendingTimeoutMs ?? 30_000;
  }

  /** How many 429s the client has waited out since it was created. */
  get rateLimited(): number {
    return this.rateLimitedCount;
  }

  /** Runs `fn` after every earlier call queued under `key` (a channel) has settled. */
  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(key, settled);
    void settled.then(() => {
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return next;
  }

  /**
   * Posts a message, once per idempotency key.
   *
   * With a key: SET `<prefix><key>` = pending (NX) → chat.postMessage → SET key = ts. A re-run
   * that finds a ts updates that message (so the newest content wins) and returns it. A re-run
   * that finds a fresh "pending" waits for the other attempt's ts. The window that remains: an
   * attempt killed after Slack accepted the post and before the ts reached Redis leaves a
   * pending marker that goes stale after `pendingTimeoutMs`; the next attempt then posts again
   * (a duplicate is preferred to a lost message). That window is one Redis round trip long.
   */
  post(message: PostMessage): Promise<PostResult> {
    return this.serial(message.channel, () => this.postNow(message));
  }

  private async postNow(message: PostMessage): Promise<PostResult> {
    const { idempotencyKey, ...rest } = message;
    if (idempotencyKey === undefined || !this.redis) {
      if (idempotencyKey !== undefined && !this.warnedNoRedis) {
        this.warnedNoRedis = true;
        this.logger.warn('SlackPoster has no Redis: idempotency keys are ignored');
      }
      return { ...(await this.send(rest, idempotencyKey)), reused: false };
    }
    const redis = this.redis;
    const key = this.prefix + idempotencyKey;
    const marker = `pending:${randomUUID()}:${Date.now()}`;
    for (;;) {
      let owned: boolean;
      try {
        owned = (await redis.set(key, marker, 'EX', this.ttl, 'NX')) === 'OK';
      } catch (err) {
        // Redis down: post anyway. A possible duplicate beats a lost message.
        this.logger.warn({ err: String(err), key: idempotencyKey }, 'idempotency store unavailable; posting without it');
        return { ...(await this.send(rest, idempotencyKey)), reused: false };
      }
      if (owned) {
        let result: Awaited<ReturnType<SlackPoster['send']>>;
        try {
          result = await this.send(rest, idempotencyKey);
        } catch (err) {
          // Nothing was posted (Slack refused or we gave up): free the key for the retry.
          await redis.del(key).catch(() => undefined);
          throw err;
        }
        await redis.set(key, `posted:${result.channel}:${result.ts}`, 'EX', this.ttl).catch((err: unknown) => {
          this.logger.warn({ err: String(err), key: idempotencyKey }, 'posted but could not record the ts; a re-run may post again');
        });
        return { ...result, reused: false };
      }
      const existing = await redis.get(key);
      if (existing === null) continue; // expired or freed between SET and GET
      if (existing.startsWith('posted:')) {
        const [, channel = message.channel, ts = ''] = existing.split(':');
        await this.updateNow({ channel, ts, text: message.text, blocks: message.blocks ?? [], ...(message.thread_ts !== undefined && { thread_ts: message.thread_ts }) }).catch((err: unknown) => {
          // The message exists; failing to refresh it must not fail the job.
          this.logger.warn({ err: String(err), key: idempotencyKey }, 'could not update the earlier post');
        });
        return { channel, ts, reused: true };
      }
      const since = Number(existing.split(':')[2] ?? 0);
      if (Date.now() - since < this.pendingTimeoutMs) {
        await this.sleep(200);
        continue;
      }
      // The other attempt died holding the marker. Take over only if the marker is unchanged.
      const took = await redis.eval(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 else return 0 end",
        1,
        key,
        existing,
        marker,
        String(this.ttl),
      );
      if (took === 1) {
        this.logger.warn({ key: idempotencyKey }, 'stale pending post marker: posting again (the earlier attempt may have posted)');
        await redis.del(key);
      }
    }
  }

  /**
   * Sends one logical message, reshaped as needed (see the file comment). Returns the first
   * message's ts; the other parts are thread replies (or follow in the same thread), each
   * posted once per `<key>-part-N` when a key is given.
   */
  private async send(message: Omit<PostMessage, 'idempotencyKey'>, key: string | undefined): Promise<{ channel: string; ts: string; reshaped?: PostResult['reshaped'] }> {
    const parts = this.reshape && message.blocks !== undefined ? splitBlocks(message.blocks) : [message.blocks];
    if (parts.length === 1) return this.sendOne({ ...message, ...(parts[0] !== undefined && { blocks: parts[0] }) });
    const first = await this.sendOne({ ...message, text: cut(`${message.text} (1/${parts.length})`, TEXT_CAP), blocks: parts[0]! });
    const threadTs = message.thread_ts ?? first.ts;
    await this.sendRest(first.channel, threadTs, message.text, parts, key ?? `${first.channel}-${first.ts}`);
    return { ...first, reshaped: 'split' };
  }

  /** Posts parts 2..n of a split message into `threadTs`, once each per key. */
  private async sendRest(channel: string, threadTs: string, text: string, parts: (SlackBlock[] | undefined)[], key: string): Promise<void> {
    for (let i = 1; i < parts.length; i++) {
      const part = { channel, thread_ts: threadTs, text: cut(`${text} (${i + 1}/${parts.length})`, TEXT_CAP), ...(parts[i] !== undefined && { blocks: parts[i] }) };
      if (this.redis) await this.postNow({ ...part, idempotencyKey: `${key}-part-${i}` });
      else await this.sendOne(part);
    }
  }

  /** One chat.postMessage, with the content fallbacks for reshape-class refusals. */
  private async sendOne(message: Omit<PostMessage, 'idempotencyKey'>): Promise<{ channel: string; ts: string; reshaped?: PostResult['reshaped'] }> {
    const postMessage = (m: Omit<PostMessage, 'idempotencyKey'>) =>
      this.call('chat.postMessage', m.channel, () =>
        this.client.chat.postMessage({
          channel: m.channel,
          text: m.text,
          ...(m.blocks !== undefined && { blocks: m.blocks }),
          ...(m.thread_ts !== undefined && { thread_ts: m.thread_ts }),
          unfurl_links: m.unfurl_links ?? false,
          unfurl_media: false,
        }),
      );
    try {
      const res = await postMessage(message);
      if (!res.ts) throw new PodnetError('server-error', 'Slack accepted the message but returned no ts');
      return { channel: res.channel ?? message.channel, ts: res.ts };
    } catch (err) {
      if (!this.reshape || !(err instanceof SlackCallError) || err.slackClass !== 'reshape') throw err;
      const code = err.slackCode;
      this.logger.warn({ channel: message.channel, slackCode: code }, 'Slack refused the message content; sending it in another shape');
      if ((code === 'invalid_blocks' || code === 'invalid_blocks_format') && message.blocks !== undefined) {
        const { blocks: _b, ...plain } = message;
        const res = await postMessage({ ...plain, text: cut(message.text, SLACK_TEXT_LIMIT) });
        return { channel: res.channel ?? message.channel, ts: res.ts ?? '', reshaped: 'plain-text' };
      }
      if (code === 'msg_blocks_too_long' && message.blocks !== undefined && message.blocks.length > 1) {
        const half = Math.ceil(message.blocks.length / 2);
        const parts = [message.blocks.slice(0, half), message.blocks.slice(half)];
        const first = await this.sendOne({ ...message, text: cut(`${message.text} (1/2)`, TEXT_CAP), blocks: parts[0]! });
        await this.sendRest(first.channel, message.thread_ts ?? first.ts, message.text, parts, `${first.channel}-${first.ts}`);
        return { ...first, reshaped: 'split' };
      }
      // msg_too_long (or one block too long): the text cut to fit, the whole of it as a file.
      const res = await postMessage({ channel: message.channel, text: `${cut(message.text, TEXT_CAP)}\n(Too long for one Slack message: the whole text is attached.)`, ...(message.thread_ts !== undefined && { thread_ts: message.thread_ts }) });
      const ts = res.ts ?? '';
      await this.uploadNow({ channel: message.channel, thread_ts: message.thread_ts ?? ts, filename: 'podnet-message.txt', content: `${message.text}\n\n${JSON.stringify(message.blocks ?? [], null, 2)}` });
      return { channel: res.channel ?? message.channel, ts, reshaped: 'file' };
    }
  }

  /** Replaces a message's text and blocks (both always sent); overflow goes to its thread. */
  update(message: UpdateMessage): Promise<PostResult> {
    return this.serial(message.channel, () => this.updateNow(message));
  }

  private async updateNow(message: UpdateMessage): Promise<PostResult> {
    const chatUpdate = (text: string, blocks: SlackBlock[]) =>
      this.call('chat.update', message.channel, () => this.client.chat.update({ channel: message.channel, ts: message.ts, text, blocks }));
    const parts = this.reshape ? splitBlocks(message.blocks) : [message.blocks];
    const overflowKey = `${message.channel}-${message.ts}-update`;
    const threadTs = message.thread_ts ?? message.ts;
    try {
      await chatUpdate(parts.length > 1 ? cut(`${message.text} (1/${parts.length})`, TEXT_CAP) : message.text, parts[0]!);
      if (parts.length > 1) await this.sendRest(message.channel, threadTs, message.text, parts, overflowKey);
      return { channel: message.channel, ts: message.ts, reused: false, ...(parts.length > 1 && { reshaped: 'split' as const }) };
    } catch (err) {
      if (!this.reshape || !(err instanceof SlackCallError) || err.slackClass !== 'reshape') throw err;
      this.logger.warn({ channel: message.channel, slackCode: err.slackCode }, 'Slack refused the update content; sending it in another shape');
      if (err.slackCode === 'invalid_blocks' || err.slackCode === 'invalid_blocks_format') {
        // An explicit empty blocks array with the text: the message becomes the plain text.
        await chatUpdate(cut(message.text, SLACK_TEXT_LIMIT), []);
        return { channel: message.channel, ts: message.ts, reused: false, reshaped: 'plain-text' };
      }
      if (err.slackCode === 'msg_blocks_too_long' && parts[0]!.length > 1) {
        const half = Math.ceil(parts[0]!.length / 2);
        const halves = [parts[0]!.slice(0, half), parts[0]!.slice(half), ...parts.slice(1)];
        await chatUpdate(cut(`${message.text} (1/${halves.length})`, TEXT_CAP), halves[0]!);
        await this.sendRest(message.channel, threadTs, message.text, halves, overflowKey);
        return { channel: message.channel, ts: message.ts, reused: false, reshaped: 'split' };
      }
      await chatUpdate(`${cut(message.text, TEXT_CAP)}\n(Too long for one Slack message: the whole text is attached in the thread.)`, []);
      await this.uploadNow({ channel: message.channel, thread_ts: threadTs, filename: 'podnet-message.txt', content: `${message.text}\n\n${JSON.stringify(message.blocks, null, 2)}` });
      return { channel: message.channel, ts: message.ts, reused: false, reshaped: 'file' };
    }
  }

  /** A message only `user` sees. */
  ephemeral(message: EphemeralMessage): Promise<void> {
    return this.serial(message.channel, async () => {
      await this.call('chat.postEphemeral', message.channel, () =>
        this.client.chat.postEphemeral({
          channel: message.channel,
          user: message.user,
          text: message.text,
          ...(message.blocks !== undefined && { blocks: message.blocks }),
          ...(message.thread_ts !== undefined && { thread_ts: message.thread_ts }),
        }),
      );
    });
  }

  /** Opens (or resumes) the DM with `user` (conversations.open; needs `im:write`) and posts `text` there. */
  async directMessage(user: string, text: string): Promise<PostResult> {
    const opened = await this.call('conversations.open', user, () => this.client.conversations.open({ users: user }));
    const channel = (opened.channel as { id?: string } | undefined)?.id;
    if (!channel) throw new PodnetError('server-error', 'Slack opened the DM but returned no channel id');
    return this.post({ channel, text });
  }

  /**
   * Uploads a file into a channel/thread (files.getUploadURLExternal, POST to the upload URL,
   * files.completeUploadExternal). Returns the file id. The key is recorded after completion
   * only: an attempt killed mid-upload uploads again.
   */
  uploadFile(file: UploadFile): Promise<{ fileId: string; reused: boolean }> {
    return this.serial(file.channel, async () => {
      const key = file.idempotencyKey !== undefined && this.redis ? `${this.prefix}${file.idempotencyKey}` : undefined;
      if (key && this.redis) {
        const existing = await this.redis.get(key).catch(() => null);
        if (existing?.startsWith('file:')) return { fileId: existing.slice(5), reused: true };
      }
      const fileId = await this.uploadNow(file);
      if (key && this.redis) await this.redis.set(key, `file:${fileId}`, 'EX', this.ttl).catch(() => undefined);
      return { fileId, reused: false };
    });
  }

  private async uploadNow(file: Omit<UploadFile, 'idempotencyKey'>): Promise<string> {
    const content = typeof file.content === 'string' ? Buffer.from(file.content) : file.content;
    let fileId: string | undefined;
    let lastStatus = 0;
    for (let attempt = 1; attempt <= this.uploadAttempts && fileId === undefined; attempt++) {
      const res = await this.call('files.getUploadURLExternal', file.channel, () => this.client.files.getUploadURLExternal({ filename: file.filename, length: content.length }));
      if (!res.upload_url || !res.file_id) throw new PodnetError('server-error', 'Slack returned no upload URL');
      lastStatus = await this.putUpload(res.upload_url, file.filename, content);
      if (lastStatus >= 200 && lastStatus < 300) fileId = res.file_id;
      // A 4xx means this URL will never take the file (expired, used, refused): get a fresh one.
      else this.logger.warn({ status: lastStatus, attempt, filename: file.filename }, 'upload URL refused the file; asking Slack for a fresh one');
    }
    if (fileId === undefined) {
      throw new SlackCallError({ method: 'upload', slackCode: 'upload_failed', channel: file.channel, message: `Slack's upload URL refused the file ${this.uploadAttempts} times (last HTTP ${lastStatus})` });
    }
    await this.call('files.completeUploadExternal', file.channel, () =>
      this.client.files.completeUploadExternal({
        files: [{ id: fileId, title: file.title ?? file.filename }],
        channel_id: file.channel,
        ...(file.thread_ts !== undefined && { thread_ts: file.thread_ts }),
        ...(file.initialComment !== undefined && { initial_comment: file.initialComment }),
      } as Parameters<WebClient['files']['completeUploadExternal']>[0]),
    );
    return fileId;
  }

  /** POSTs the bytes to one upload URL; retries 429 (Retry-After) and 5xx on the same URL, returns the final HTTP status (4xx included). */
  private async putUpload(url: string, filename: string, content: Buffer): Promise<number> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let retryAfter: number | undefined;
      try {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(content)]), filename);
        const res = await fetch(url, { method: 'POST', body: form, signal: AbortSignal.timeout(this.requestTimeoutMs) });
        status = res.status;
        const ra = Number(res.headers.get('retry-after'));
        if (Number.isFinite(ra) && ra > 0) retryAfter = ra;
        await res.arrayBuffer();
      } catch (err) {
        this.logger.warn({ err: String(err) }, 'upload POST failed');
      }
      const transient = status === 0 || status >= 500;
      if (status === 429 && retryAfter !== undefined && Date.now() - started + retryAfter * 1000 <= this.maxRetryTimeMs) {
        await this.sleep(retryAfter * 1000);
        continue;
      }
      if (!transient || attempt >= this.transientAttempts) return status;
      await this.sleep(this.backoff(attempt));
    }
  }

  /**
   * POSTs a JSON body to a slash command / action response_url (valid 30 minutes, 5 uses).
   * Retries 429 (after Retry-After) and 5xx a bounded number of times; a 4xx (expired or used
   * up) throws at once.
   */
  async respond(responseUrl: string, body: Record<string, unknown>): Promise<void> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let retryAfter: number | undefined;
      try {
        const res = await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(this.requestTimeoutMs) });
        status = res.status;
        const ra = Number(res.headers.get('retry-after'));
        if (Number.isFinite(ra) && ra > 0) retryAfter = ra;
        await res.text();
      } catch (err) {
        this.logger.warn({ err: String(err) }, 'response_url post failed');
      }
      if (status >= 200 && status < 300) return;
      if (status !== 0 && status !== 429 && status < 500) {
        throw new SlackCallError({ method: 'respond', slackCode: 'response_url_refused', message: `Slack refused the response_url post (HTTP ${status}); the URL may have expired (30 minutes, 5 uses)` });
      }
      const wait = status === 429 && retryAfter !== undefined ? retryAfter * 1000 : this.backoff(attempt);
      if ((status !== 429 && attempt >= this.transientAttempts) || Date.now() - started + wait > this.maxRetryTimeMs) {
        throw new SlackCallError({ method: 'respond', slackCode: status === 0 ? 'network_error' : 'http_error', message: `Slack response_url still failing (HTTP ${status}) after retrying` });
      }
      await this.sleep(wait);
    }
  }

  /**
   * Tells the person who asked something podnet could not say where it meant to: through the
   * response_url while it is valid (no membership or token needed), else an ephemeral message
   * in the channel, else a DM. Never throws; returns the route that worked. With `onceKey`
   * (and Redis) the same notice goes out at most once.
   */
  async tellUser(target: UserTarget, text: string, options: { onceKey?: string } = {}): Promise<TellRoute> {
    if (options.onceKey !== undefined && this.redis) {
      const fresh = await this.redis.set(`${this.prefix}told:${options.onceKey}`, '1', 'EX', this.ttl, 'NX').catch(() => 'OK');
      if (fresh !== 'OK') return 'none';
    }
    const tries: [TellRoute, () => Promise<unknown>][] = [];
    if (target.responseUrl && (await this.responseUrlUsable(target))) {
      const url = target.responseUrl;
      tries.push(['response_url', () => this.respond(url, { response_type: 'ephemeral', replace_original: false, text })]);
    }
    tries.push(['ephemeral', () => this.ephemeral({ channel: target.channel, user: target.user, text, ...(target.threadTs !== undefined && { thread_ts: target.threadTs }) })]);
    tries.push(['dm', () => this.directMessage(target.user, text)]);
    for (const [route, attempt] of tries) {
      try {
        await attempt();
        this.logger.info({ route, channel: target.channel, user: target.user }, 'told the user');
        return route;
      } catch (err) {
        this.logger.warn({ route, err: String(err) }, 'could not tell the user this way; trying the next');
      }
    }
    this.logger.error({ channel: target.channel, user: target.user }, 'could not reach the user by response_url, ephemeral or DM');
    return 'none';
  }

  /** Within 30 minutes of the request and under the use budget (counted in Redis across workers). */
  private async responseUrlUsable(target: UserTarget): Promise<boolean> {
    if (target.requestedAt !== undefined) {
      const at = Date.parse(target.requestedAt);
      if (Number.isFinite(at) && this.now() - at >= RESPONSE_URL_TTL_MS) return false;
    }
    if (!this.redis || !target.responseUrl) return true;
    const key = `${this.prefix}respond-uses:${Buffer.from(target.responseUrl).toString('base64url').slice(-64)}`;
    try {
      const uses = await this.redis.incr(key);
      if (uses === 1) await this.redis.pexpire(key, RESPONSE_URL_TTL_MS);
      return uses <= this.responseUrlUses;
    } catch {
      return true;
    }
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.maxDelay, this.minDelay * 2 ** (attempt - 1));
    return Math.round(base * (0.5 + Math.random() / 2));
  }

  /**
   * Runs a Web API call with podnet's retry policy: 429 → wait Retry-After exactly and again
   * (bounded by `maxRetryTimeMs` in total); transient → backoff, at most `transientAttempts`
   * tries; anything else → SlackCallError at once. The caller's `serial` chain is what keeps
   * a channel's calls in order while it waits.
   */
  private async call<T>(method: string, channel: string | undefined, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await fn();
        this.onCall?.({ method, status: 'ok' });
        return result;
      } catch (err) {
        const f = failureOf(err);
        const elapsed = Date.now() - started;
        if (f.kind === 'rate-limited') {
          const wait = f.retryAfter * 1000;
          if (elapsed + wait <= this.maxRetryTimeMs) {
            await this.sleep(wait);
            continue;
          }
          this.onCall?.({ method, status: 'unavailable' });
          throw new SlackCallError({ method, slackCode: 'ratelimited', ...(channel !== undefined && { channel }), message: `Slack kept rate-limiting ${method} for ${Math.round(elapsed / 1000)} s`, cause: err });
        }
        if (f.kind === 'transient') {
          const wait = this.backoff(attempt);
          if (attempt < this.transientAttempts && elapsed + wait <= this.maxRetryTimeMs) {
            this.logger.warn({ method, slackCode: f.code, attempt }, 'slack call failed; retrying');
            await this.sleep(wait);
            continue;
          }
          this.onCall?.({ method, status: 'unavailable' });
          throw new SlackCallError({ method, slackCode: f.code, ...(channel !== undefined && { channel }), message: `Slack unreachable after ${attempt} tries: ${f.code}${f.detail}`, cause: err });
        }
        this.onCall?.({ method, status: 'error' });
        throw new SlackCallError({ method, slackCode: f.code, ...(channel !== undefined && { channel }), message: `Slack refused the call: ${f.code}${f.detail}`, cause: err });
      }
    }
  }
}

/**
 * Adapts a pino logger to @slack/logger's interface, demoting its info chatter to debug. At
 * debug the WebClient logs request bodies (message text, file contents, tokens in form
 * bodies): every line is cut and redacted, and formatted only when its level is on.
 */
export function webLogger(logger: Logger): WebLogger {
  const child = logger.child({ component: 'slack-web-api' });
  let level = 'info';
  const at = (lvl: 'debug' | 'warn' | 'error') => (...msg: unknown[]) => {
    if (child.isLevelEnabled(lvl)) child[lvl](redactBounded(msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' '), MAX_LOGGED_CHARS));
  };
  return {
    debug: at('debug'),
    info: at('debug'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (l: string) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  } as unknown as WebLogger;
}
