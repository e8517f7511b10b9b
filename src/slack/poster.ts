/**
 * Posting to Slack from workers: never drops a message, never posts one twice.
 *
 * - Rate limits: @slack/web-api's WebClient, with `rejectRateLimitedCalls: false`, answers a
 *   429 by pausing its request queue for Retry-After seconds and retrying (each 429 is one
 *   retry of its p-retry policy). We give it a policy that retries without a count limit,
 *   bounded only by a long total time (`maxRetryTimeMs`, default 15 min), so a rate-limit
 *   storm delays messages but does not lose them. 5xx and network errors are retried by the
 *   same policy. Platform errors (`ok: false`, e.g. `invalid_blocks`) are permanent and thrown.
 * - Order: posts to the same thread (or the same channel top level) go out one at a time in
 *   the order `post` was called, so a 429 on one reply cannot let a later reply overtake it.
 * - A request that times out (`requestTimeoutMs`) or gets a 5xx is retried; if Slack had in
 *   fact accepted it, the retry duplicates it. Slack offers no idempotency key to prevent this.
 * - Idempotency: `post({ idempotencyKey })` records the message ts in Redis under
 *   `<prefix><key>`. A job re-run after it posted (worker killed, job retried) finds the ts and
 *   updates that message instead of posting a second one. See `post` for the remaining window.
 */
import { randomUUID } from 'node:crypto';
import {
  ErrorCode as WebErrorCode,
  WebClient,
  WebClientEvent,
  type Block,
  type FilesUploadV2Arguments,
  type KnownBlock,
  type Logger as WebLogger,
  type RetryOptions,
} from '@slack/web-api';
import type { Redis } from 'ioredis';
import { PodnetError } from '../errors.js';
import { redactBounded } from '../logscan/redact.js';
import { MAX_LOGGED_CHARS, silentLogger, type Logger } from '../logger.js';

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
}

export interface SlackPosterOptions {
  /** Bot token (xoxb-). */
  token: string;
  /** Web API base; default Slack's. */
  slackApiUrl?: string;
  /** Needed for idempotency keys. Without it, keys are ignored (and a warning logged once). */
  redis?: Redis;
  /** Default `podnet:posted:`. */
  keyPrefix?: string;
  /** How long a key is remembered. Default 7 days (longer than any job's retry horizon). */
  keyTtlSeconds?: number;
  /**
   * A "pending" marker younger than this means another attempt is posting right now: wait for
   * its ts instead of posting. Older than this, its owner is presumed dead. Default 30 s.
   */
  pendingTimeoutMs?: number;
  /** Give up retrying a call after this long. Default 15 minutes. */
  maxRetryTimeMs?: number;
  /** Backoff between retries (added to any Retry-After wait). Defaults 500 ms .. 30 s. */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Per-request timeout. Default 30 s. */
  requestTimeoutMs?: number;
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Posts, updates, uploads and responds, with the guarantees in the file comment. */
export class SlackPoster {
  readonly client: WebClient;
  private readonly redis?: Redis;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly pendingTimeoutMs: number;
  private readonly logger: Logger;
  private readonly retry: RetryOptions;
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly onCall?: SlackPosterOptions['onCall'];
  private rateLimitedCount = 0;
  private warnedNoRedis = false;

  constructor(options: SlackPosterOptions) {
    this.logger = options.logger ?? silentLogger;
    this.retry = {
      // `forever` + maxRetryTime: no count limit, only a time limit. The delay sequence
      // grows to maxTimeout and stays there.
      retries: 12,
      forever: true,
      factor: 2,
      minTimeout: options.minRetryDelayMs ?? 500,
      maxTimeout: options.maxRetryDelayMs ?? 30_000,
      randomize: true,
      maxRetryTime: options.maxRetryTimeMs ?? 15 * 60_000,
    } as RetryOptions;
    this.client =
      options.client ??
      new WebClient(options.token, {
        ...(options.slackApiUrl !== undefined && { slackApiUrl: options.slackApiUrl }),
        rejectRateLimitedCalls: false,
        retryConfig: this.retry,
        timeout: options.requestTimeoutMs ?? 30_000,
        // The WebClient's own logger is chatty at info on every 429; route it to ours at debug.
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

  /** Runs `fn` after every earlier call queued under `key` has settled. */
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
    return this.serial(`${message.channel}/${message.thread_ts ?? '-'}`, () => this.postNow(message));
  }

  private async postNow(message: PostMessage): Promise<PostResult> {
    const { idempotencyKey, ...rest } = message;
    if (idempotencyKey === undefined || !this.redis) {
      if (idempotencyKey !== undefined && !this.warnedNoRedis) {
        this.warnedNoRedis = true;
        this.logger.warn('SlackPoster has no Redis: idempotency keys are ignored');
      }
      return { ...(await this.send(rest)), reused: false };
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
        return { ...(await this.send(rest)), reused: false };
      }
      if (owned) {
        let result: { channel: string; ts: string };
        try {
          result = await this.send(rest);
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
        await this.updateNow({ channel, ts, text: message.text, blocks: message.blocks ?? [] }).catch((err: unknown) => {
          // The message exists; failing to refresh it must not fail the job.
          this.logger.warn({ err: String(err), key: idempotencyKey }, 'could not update the earlier post');
        });
        return { channel, ts, reused: true };
      }
      const since = Number(existing.split(':')[2] ?? 0);
      if (Date.now() - since < this.pendingTimeoutMs) {
        await sleep(200);
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

  private async send(message: Omit<PostMessage, 'idempotencyKey'>): Promise<{ channel: string; ts: string }> {
    const res = await this.call('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel: message.channel,
        text: message.text,
        ...(message.blocks !== undefined && { blocks: message.blocks }),
        ...(message.thread_ts !== undefined && { thread_ts: message.thread_ts }),
        unfurl_links: message.unfurl_links ?? false,
        unfurl_media: false,
      }),
    );
    if (!res.ts) throw new PodnetError('server-error', 'Slack accepted the message but returned no ts');
    return { channel: res.channel ?? message.channel, ts: res.ts };
  }

  /** Replaces a message's text and blocks (both always sent). */
  update(message: UpdateMessage): Promise<PostResult> {
    return this.serial(`${message.channel}@${message.ts}`, () => this.updateNow(message));
  }

  private async updateNow(message: UpdateMessage): Promise<PostResult> {
    await this.call('chat.update', () => this.client.chat.update({ channel: message.channel, ts: message.ts, text: message.text, blocks: message.blocks }));
    return { channel: message.channel, ts: message.ts, reused: false };
  }

  /** A message only `user` sees. */
  async ephemeral(message: EphemeralMessage): Promise<void> {
    await this.call('chat.postEphemeral', () =>
      this.client.chat.postEphemeral({
        channel: message.channel,
        user: message.user,
        text: message.text,
        ...(message.blocks !== undefined && { blocks: message.blocks }),
        ...(message.thread_ts !== undefined && { thread_ts: message.thread_ts }),
      }),
    );
  }

  /**
   * Uploads a file into a channel/thread (files.getUploadURLExternal, POST to the upload URL,
   * files.completeUploadExternal, via WebClient.filesUploadV2). Returns the file id.
   * The key is recorded after completion only: an attempt killed mid-upload uploads again.
   */
  uploadFile(file: UploadFile): Promise<{ fileId: string; reused: boolean }> {
    return this.serial(`${file.channel}/${file.thread_ts ?? '-'}`, async () => {
      const key = file.idempotencyKey !== undefined && this.redis ? `${this.prefix}${file.idempotencyKey}` : undefined;
      if (key && this.redis) {
        const existing = await this.redis.get(key).catch(() => null);
        if (existing?.startsWith('file:')) return { fileId: existing.slice(5), reused: true };
      }
      const content = typeof file.content === 'string' ? Buffer.from(file.content) : file.content;
      const args = {
        channel_id: file.channel,
        ...(file.thread_ts !== undefined && { thread_ts: file.thread_ts }),
        file: content,
        filename: file.filename,
        title: file.title ?? file.filename,
        ...(file.initialComment !== undefined && { initial_comment: file.initialComment }),
      } as FilesUploadV2Arguments;
      const res = await this.call('files.uploadV2', () => this.client.filesUploadV2(args));
      const uploaded = (res.files as { files?: { id?: string }[] }[] | undefined)?.[0]?.files?.[0]?.id;
      if (!uploaded) throw new PodnetError('server-error', 'Slack completed the upload but returned no file id');
      if (key && this.redis) await this.redis.set(key, `file:${uploaded}`, 'EX', this.ttl).catch(() => undefined);
      return { fileId: uploaded, reused: false };
    });
  }

  /**
   * POSTs a JSON body to a slash command / action response_url (valid 30 minutes, 5 uses).
   * Retries 429 (after Retry-After) and 5xx within the total retry time.
   */
  async respond(responseUrl: string, body: Record<string, unknown>): Promise<void> {
    const deadline = Date.now() + (this.retry.maxRetryTime ?? 15 * 60_000);
    let delay = this.retry.minTimeout ?? 500;
    for (;;) {
      let status: number;
      let retryAfter: number | undefined;
      try {
        const res = await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        status = res.status;
        const ra = Number(res.headers.get('retry-after'));
        if (Number.isFinite(ra) && ra > 0) retryAfter = ra;
        await res.text();
      } catch (err) {
        status = 0;
        this.logger.warn({ err: String(err) }, 'response_url post failed; retrying');
      }
      if (status >= 200 && status < 300) return;
      if (status !== 0 && status !== 429 && status < 500) {
        throw new PodnetError('bad-input', `Slack refused the response_url post (HTTP ${status}); the URL may have expired (30 minutes, 5 uses)`);
      }
      if (Date.now() >= deadline) throw new PodnetError('unavailable', `Slack response_url still failing (HTTP ${status}) after retrying`);
      await sleep(retryAfter !== undefined ? retryAfter * 1000 : delay);
      delay = Math.min(delay * 2, this.retry.maxTimeout ?? 30_000);
    }
  }

  /** Runs a Web API call; maps WebClient's errors to coded podnet errors. */
  private async call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      const result = await fn();
      this.onCall?.({ method, status: 'ok' });
      return result;
    } catch (err) {
      const e = err as { code?: string; data?: { error?: string; errors?: string[] }; message?: string };
      this.onCall?.({ method, status: e.code === WebErrorCode.PlatformError ? 'error' : 'unavailable' });
      if (e.code === WebErrorCode.PlatformError) {
        const detail = e.data?.errors?.length ? ` (${e.data.errors.slice(0, 3).join('; ')})` : '';
        throw new PodnetError('bad-input', `Slack refused the call: ${e.data?.error ?? 'error'}${detail}`, { cause: err });
      }
      throw new PodnetError('unavailable', `Slack unreachable after retrying: ${e.message ?? String(err)}`, { cause: err });
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
