/**
 * A local stand-in for the Slack Web API, for tests and the demo. It speaks the wire format
 * @slack/web-api sends (form-encoded, JSON or multipart bodies; Bearer or `token` auth),
 * records every call, keeps message state (updates in place, thread replies under their
 * parent), rejects what Slack rejects (Block Kit limits, missing auth, missing text), and can
 * be told to answer the next calls with 429 + Retry-After or a 5xx.
 *
 * Not a mock of our code: it is the far side of the HTTP connection, so the real WebClient,
 * Bolt's `respond` and our poster all run for real against it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { checkBlocks, SLACK_LIMITS } from '../render/block-limits.js';
import { blockTextLength } from './slack-errors.js';

/**
 * Total block text from which the stand-in answers `msg_blocks_too_long`. Slack documents no
 * such limit; bolt-js #2509 reports refusals from ~13,297 characters (markdown blocks) and
 * #2867 at 11,341 (rich_text/section/header). 12 000 sits inside the reported range.
 */
export const STAND_IN_BLOCK_TEXT_LIMIT = 12_000;

type Params = Record<string, unknown>;

/** One HTTP call the stand-in answered. Tokens are never recorded, only whether one was sent. */
export interface RecordedCall {
  /** Web API method (`chat.postMessage`), `upload` for the file upload URL, `respond` for response_url. */
  method: string;
  params: Params;
  /** HTTP status answered. */
  status: number;
  ok: boolean;
  error?: string;
  authed: boolean;
  /** ms since the epoch. */
  at: number;
}

/** A message as it stands now (after updates), with its thread replies. */
export interface StoredMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  user: string;
  bot_id: string;
  /** How many times chat.update changed it. */
  edits: number;
  files?: { id: string; title?: string; name: string; size: number }[];
  metadata?: unknown;
  replies: StoredMessage[];
}

export interface StoredEphemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  message_ts: string;
}

export interface StoredFile {
  id: string;
  filename: string;
  length: number;
  content?: Buffer;
  title?: string;
  completed: boolean;
  channel?: string;
}

export interface RecordedResponse {
  id: string;
  body: Params;
  at: number;
}

/**
 * An injected failure: HTTP 429 + Retry-After, a 5xx, a 4xx (on the upload URL or response_url),
 * or a Slack platform error (`ok: false, error`) answered with HTTP 200 as Slack does.
 */
export type FailureSpec = { status: 429; retryAfter: number } | { status: 500 | 502 | 503 } | { status: 400 | 403 | 404 | 410 } | { error: string };

/** Where an injected failure applies beyond its method. */
export interface FailureFilter {
  /** The first `after` matching calls pass. */
  after?: number;
  /** Only calls to this channel (the `channel` / `channel_id` parameter). */
  channel?: string;
}

/** How the bot stands with a channel: a member (default) or one of Slack's refusals. */
export type ChannelState = 'member' | 'not_in_channel' | 'channel_not_found' | 'is_archived';

export interface SlackStandInOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** Tokens accepted; default any xoxb-/xoxp- token. */
  tokens?: string[];
  /** Artificial latency per Web API call, ms (default 0). */
  latencyMs?: number;
}

export interface SlackStandIn {
  /** Web API base, e.g. `http://127.0.0.1:PORT/api/` (give this to WebClient as slackApiUrl). */
  url: string;
  /** Server root, e.g. `http://127.0.0.1:PORT`. */
  baseUrl: string;
  /** Every call so far, optionally of one method. */
  calls(method?: string): RecordedCall[];
  /** Top-level messages of a channel (or all), in ts order, with replies nested. */
  messages(channel?: string): StoredMessage[];
  /** One message by channel and ts (top-level or reply). */
  message(channel: string, ts: string): StoredMessage | undefined;
  ephemerals(channel?: string): StoredEphemeral[];
  files(): StoredFile[];
  views(): Params[];
  /** A response_url for a fake slash command / action; posts to it are recorded. */
  responseUrl(id?: string): string;
  /** Bodies posted to response_urls, optionally of one id. */
  responses(id?: string): RecordedResponse[];
  /**
   * The next `times` calls of `method` ('*' = any, 'respond', 'upload') fail as specified;
   * with `after`, the first `after` calls from now pass and the ones after them fail.
   */
  failNext(method: string, spec: FailureSpec, times?: number, options?: FailureFilter): void;
  /**
   * Makes every chat.postMessage / chat.update / chat.postEphemeral / file share into `channel`
   * answer as Slack does for that state (`not_in_channel`, `channel_not_found`, `is_archived`).
   */
  setChannel(channel: string, state: ChannelState): void;
  /** Every Web API call with a token answers this error (`invalid_auth`, `token_revoked`…); undefined restores. response_urls need no token and keep working. */
  setAuthError(error: string | undefined): void;
  /** The response_url `id` answers 404 `expired_url` from now on (Slack's 30-minute window passed). */
  expireResponseUrl(id: string): void;
  /**
   * Socket Mode: sends an envelope (`slash_commands`, `interactive`, `events_api`) to the app
   * connected over the socket (waiting up to 5 s for one to connect) and resolves with its ack.
   * `apps.connections.open` (called with an xapp- token) hands out this socket's URL.
   */
  socketSend(type: 'slash_commands' | 'interactive' | 'events_api', payload: Params, timeoutMs?: number): Promise<{ envelope_id: string; payload?: unknown }>;
  /** How many Socket Mode connections are open. */
  socketConnections(): number;
  /** Forgets calls, messages and pending failures. */
  reset(): void;
  close(): Promise<void>;
}

export const STAND_IN_IDS = { team: 'T0STANDIN', botUser: 'U0PODNETBOT', bot: 'B0PODNET' } as const;

function parseMaybeJson(key: string, value: string): unknown {
  if (['blocks', 'attachments', 'metadata', 'view', 'files', 'unfurl'].includes(key) || /^[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function parseParams(req: IncomingMessage, body: Buffer, url: URL): Promise<{ params: Params; files: Record<string, Buffer> }> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  const params: Params = {};
  const files: Record<string, Buffer> = {};
  for (const [k, v] of url.searchParams) params[k] = parseMaybeJson(k, v);
  if (type.startsWith('application/json')) {
    const parsed: unknown = body.length ? JSON.parse(body.toString('utf8')) : {};
    if (typeof parsed === 'object' && parsed !== null) Object.assign(params, parsed);
  } else if (type.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
    for (const [k, v] of form.entries()) {
      if (typeof v === 'string') params[k] = parseMaybeJson(k, v);
      else files[k] = Buffer.from(await v.arrayBuffer());
    }
  } else if (body.length > 0) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = parseMaybeJson(k, v);
  }
  return { params, files };
}

class SlackApiError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Params = {},
  ) {
    super(error);
  }
}

/** The Web API methods the stand-in answers, by name. */
type WebApiMethods = Record<string, (p: Params) => Params>;

/** What the stand-in has recorded and the Slack-side state it keeps; reset() starts these afresh. */
interface StandInRecords {
  calls: RecordedCall[];
  channels: Map<string, StoredMessage[]>;
  byKey: Map<string, StoredMessage>;
  ephemerals: StoredEphemeral[];
  files: Map<string, StoredFile>;
  views: Params[];
  responses: RecordedResponse[];
  failures: { method: string; spec: FailureSpec; left: number; skip: number; channel?: string }[];
  channelStates: Map<string, ChannelState>;
  authError: string | undefined;
  respondUses: Map<string, number>;
  expiredUrls: Set<string>;
}

/** The stand-in's state: its records plus the counters, its URL and the token of the call in progress. */
interface StandInState extends StandInRecords {
  tsCounter: number;
  idCounter: number;
  readonly tsBase: number;
  baseUrl: string;
  currentToken: string;
}

function freshRecords(): StandInRecords {
  return {
    calls: [],
    channels: new Map(),
    byKey: new Map(),
    ephemerals: [],
    files: new Map(),
    views: [],
    responses: [],
    failures: [],
    channelStates: new Map(),
    authError: undefined,
    respondUses: new Map(),
    expiredUrls: new Set(),
  };
}

/** A message ts: unique, increasing, in Slack's `SECONDS.MICROS` shape. */
function nextTs(s: StandInState): string {
  s.tsCounter += 1;
  return `${s.tsBase + Math.floor(s.tsCounter / 1_000_000)}.${String(s.tsCounter % 1_000_000).padStart(6, '0')}`;
}

function nextId(s: StandInState, prefix: string): string {
  return `${prefix}${String((s.idCounter += 1)).padStart(8, '0')}`;
}

const messageKey = (channel: string, ts: string): string => `${channel}/${ts}`;

function tokenOk(options: SlackStandInOptions, token: string): boolean {
  return options.tokens ? options.tokens.includes(token) : /^(xox[bpa]|xapp)-/.test(token);
}

/** Socket Mode: the WebSocket server behind apps.connections.open, its sockets and the acks awaited. */
interface SocketMode {
  wss: WebSocketServer;
  sockets: Set<WebSocket>;
  pendingAcks: Map<string, (msg: { envelope_id: string; payload?: unknown }) => void>;
}

/** Socket Mode's server side: `hello` on connect, acks matched to their envelopes. */
function startSocketMode(): SocketMode {
  const sock: SocketMode = { wss: new WebSocketServer({ noServer: true }), sockets: new Set(), pendingAcks: new Map() };
  sock.wss.on('connection', (ws) => {
    sock.sockets.add(ws);
    ws.on('close', () => sock.sockets.delete(ws));
    ws.on('message', (data) => {
      try {
        const msg = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
        if (msg.envelope_id !== undefined) sock.pendingAcks.get(msg.envelope_id)?.({ envelope_id: msg.envelope_id, ...(msg.payload !== undefined && { payload: msg.payload }) });
      } catch {
        // not JSON: ignore, as Slack would drop it
      }
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: sock.sockets.size, debug_info: { host: 'stand-in' }, connection_info: { app_id: 'A0PODNET' } }));
  });
  return sock;
}

/** Sends an envelope to the first connected app (waiting for one) and resolves with its ack. */
async function socketSend(
  s: StandInState,
  sock: SocketMode,
  type: 'slash_commands' | 'interactive' | 'events_api',
  payload: Params,
  timeoutMs: number,
): Promise<{ envelope_id: string; payload?: unknown }> {
  const deadline = Date.now() + timeoutMs;
  while (sock.sockets.size === 0) {
    if (Date.now() > deadline) throw new Error('no Socket Mode connection to the stand-in');
    await new Promise((r) => setTimeout(r, 20));
  }
  const ws = [...sock.sockets][0] as WebSocket;
  const envelopeId = nextId(s, 'E');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.pendingAcks.delete(envelopeId);
      reject(new Error(`no ack for envelope ${envelopeId} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.pendingAcks.set(envelopeId, (msg) => {
      clearTimeout(timer);
      sock.pendingAcks.delete(envelopeId);
      resolve(msg);
    });
    ws.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' }));
  });
}

/** Closes the sockets (with a handshake, briefly), the WebSocket server and the HTTP server. */
async function closeStandIn(sock: SocketMode, server: Server): Promise<void> {
  // Close sockets with a handshake first: a client mid-disconnect that sees its socket
  // torn down re-enters its own close path (and @slack/socket-mode then leaks a timer).
  const open = [...sock.sockets];
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(open.map((ws) => new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) return resolve();
      ws.once('close', () => resolve());
      if (ws.readyState === ws.OPEN) ws.close(1001, 'stand-in closing');
    }))),
    new Promise((r) => {
      timer = setTimeout(r, 1000);
    }),
  ]);
  clearTimeout(timer);
  for (const ws of sock.sockets) ws.terminate();
  sock.wss.close();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The failure set up for this call, if any (failNext); counts it. */
function takeFailure(s: StandInState, method: string, channel?: string): FailureSpec | undefined {
  const matching = s.failures.filter((x) => (x.method === method || x.method === '*') && (x.channel === undefined || x.channel === channel));
  const f = matching.find((x) => x.skip === 0 && x.left > 0);
  // Every matching entry counts this call towards its `after`.
  for (const x of matching) if (x !== f && x.skip > 0) x.skip -= 1;
  if (!f) return undefined;
  f.left -= 1;
  s.failures = s.failures.filter((x) => x.left > 0);
  return f.spec;
}

/** Slack's refusals of a message's content: no text, too long, invalid or too long blocks. */
function checkMessageContent(p: Params, requireContent: boolean): void {
  const text = typeof p.text === 'string' ? p.text : undefined;
  if (requireContent && (text === undefined || text === '') && p.blocks === undefined && p.attachments === undefined) throw new SlackApiError('no_text');
  if (text !== undefined && text.length > SLACK_LIMITS.messageText) throw new SlackApiError('msg_too_long');
  if (p.blocks !== undefined) {
    const errors = checkBlocks(p.blocks);
    if (errors.length) {
      throw new SlackApiError('invalid_blocks', { errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
    }
    if (blockTextLength(p.blocks) > STAND_IN_BLOCK_TEXT_LIMIT) throw new SlackApiError('msg_blocks_too_long');
  }
}


/** Slack's answer for a post into a channel the bot is not in (or that is gone / archived). */
function checkChannel(s: StandInState, channel: string): void {
  const state = s.channelStates.get(channel);
  if (state !== undefined && state !== 'member') throw new SlackApiError(state);
}

function requireString(p: Params, name: string, error: string): string {
  const v = p[name];
  if (typeof v !== 'string' || v === '') throw new SlackApiError(error, { needed: name });
  return v;
}

function publicMessage(m: StoredMessage): Params {
  const { replies: _r, edits: _e, channel: _c, ...rest } = m;
  return { type: 'message', ...rest };
}

/** api.test, auth.test, apps.connections.open, conversations.*, users.info. */
function sessionMethods(s: StandInState): WebApiMethods {
  return {
    'api.test': (p) => ({ args: p }),
    'auth.test': () => ({ url: `${s.baseUrl}/`, team: 'stand-in', user: 'podnet', team_id: STAND_IN_IDS.team, user_id: STAND_IN_IDS.botUser, bot_id: STAND_IN_IDS.bot }),
    'apps.connections.open': () => {
      if (!s.currentToken.startsWith('xapp-')) throw new SlackApiError('not_allowed_token_type');
      return { url: `${s.baseUrl.replace(/^http/, 'ws')}/socket` };
    },
    // A DM with the user (needs im:write in Slack); its id is D + the user id here.
    'conversations.open': (p) => {
      const users = requireString(p, 'users', 'users_list_not_supplied');
      if (users.includes(',')) throw new SlackApiError('not_enough_users');
      return { channel: { id: `D${users}` } };
    },
    'conversations.info': (p) => {
      const channel = requireString(p, 'channel', 'channel_not_found');
      return { channel: { id: channel, name: `channel-${channel.toLowerCase()}`, is_channel: true, is_member: true } };
    },
    'users.info': (p) => {
      const user = requireString(p, 'user', 'user_not_found');
      return { user: { id: user, name: user.toLowerCase(), real_name: user } };
    },
  };
}

/** chat.*: messages kept per channel, thread replies under their parent, ephemerals apart. */
function chatMethods(s: StandInState): WebApiMethods {
  return {
    'chat.postMessage': (p) => {
      const channel = requireString(p, 'channel', 'channel_not_found');
      checkChannel(s, channel);
      checkMessageContent(p, true);
      let threadTs = typeof p.thread_ts === 'string' && p.thread_ts !== '' ? p.thread_ts : undefined;
      let parent: StoredMessage | undefined;
      if (threadTs !== undefined) {
        parent = s.byKey.get(messageKey(channel, threadTs));
        if (!parent) throw new SlackApiError('thread_not_found');
        // A reply to a reply joins the parent's thread, as in Slack.
        if (parent.thread_ts !== undefined && parent.thread_ts !== parent.ts) {
          threadTs = parent.thread_ts;
          parent = s.byKey.get(messageKey(channel, threadTs));
        }
      }
      const msg: StoredMessage = {
        channel,
        ts: nextTs(s),
        ...(typeof p.text === 'string' && { text: p.text }),
        ...(Array.isArray(p.blocks) && { blocks: p.blocks }),
        ...(threadTs !== undefined && { thread_ts: threadTs }),
        ...(p.metadata !== undefined && { metadata: p.metadata }),
        user: STAND_IN_IDS.botUser,
        bot_id: STAND_IN_IDS.bot,
        edits: 0,
        replies: [],
      };
      s.byKey.set(messageKey(channel, msg.ts), msg);
      if (parent) {
        parent.thread_ts ??= parent.ts;
        parent.replies.push(msg);
      } else {
        const list = s.channels.get(channel) ?? [];
        list.push(msg);
        s.channels.set(channel, list);
      }
      return { channel, ts: msg.ts, message: publicMessage(msg) };
    },
    'chat.update': (p) => {
      const channel = requireString(p, 'channel', 'channel_not_found');
      const ts = requireString(p, 'ts', 'message_not_found');
      checkChannel(s, channel);
      const msg = s.byKey.get(messageKey(channel, ts));
      if (!msg) throw new SlackApiError('message_not_found');
      checkMessageContent(p, true);
      if (typeof p.text === 'string') msg.text = p.text;
      // As in Slack: an update without blocks replaces the blocks with none.
      if (Array.isArray(p.blocks)) msg.blocks = p.blocks;
      else delete msg.blocks;
      msg.edits += 1;
      return { channel, ts, text: msg.text ?? '', message: publicMessage(msg) };
    },
    'chat.delete': (p) => {
      const channel = requireString(p, 'channel', 'channel_not_found');
      const ts = requireString(p, 'ts', 'message_not_found');
      const msg = s.byKey.get(messageKey(channel, ts));
      if (!msg) throw new SlackApiError('message_not_found');
      s.byKey.delete(messageKey(channel, ts));
      s.channels.set(channel, (s.channels.get(channel) ?? []).filter((m) => m !== msg));
      for (const top of s.channels.get(channel) ?? []) top.replies = top.replies.filter((m) => m !== msg);
      return { channel, ts };
    },
    'chat.postEphemeral': (p) => {
      const channel = requireString(p, 'channel', 'channel_not_found');
      const user = requireString(p, 'user', 'user_not_found');
      checkChannel(s, channel);
      checkMessageContent(p, true);
      const e: StoredEphemeral = {
        channel,
        user,
        ...(typeof p.text === 'string' && { text: p.text }),
        ...(Array.isArray(p.blocks) && { blocks: p.blocks }),
        ...(typeof p.thread_ts === 'string' && { thread_ts: p.thread_ts }),
        message_ts: nextTs(s),
      };
      s.ephemerals.push(e);
      return { message_ts: e.message_ts };
    },
  };
}

/** views.open: the view's blocks checked, the view kept. */
function viewMethods(s: StandInState): WebApiMethods {
  return {
    'views.open': (p) => {
      requireString(p, 'trigger_id', 'invalid_trigger_id');
      const view = p.view;
      if (typeof view !== 'object' || view === null) throw new SlackApiError('invalid_arguments');
      const v = view as Params;
      if (v.blocks !== undefined) {
        const errors = checkBlocks(v.blocks, '/view/blocks');
        if (errors.length) throw new SlackApiError('invalid_arguments', { response_metadata: { messages: errors } });
      }
      const stored = { id: nextId(s, 'V'), ...v };
      s.views.push(stored);
      return { view: stored };
    },
  };
}

/** files.*: the two-step external upload; completing it into a channel posts a message that carries the files. */
function fileMethods(s: StandInState, postMessage: (p: Params) => Params): WebApiMethods {
  return {
    'files.getUploadURLExternal': (p) => {
      const filename = requireString(p, 'filename', 'invalid_arguments');
      const length = Number(p.length);
      if (!Number.isInteger(length) || length < 0) throw new SlackApiError('invalid_arguments', { needed: 'length' });
      const id = nextId(s, 'F');
      s.files.set(id, { id, filename, length, completed: false });
      return { upload_url: `${s.baseUrl}/upload/${id}`, file_id: id };
    },
    'files.completeUploadExternal': (p) => {
      const list = p.files;
      if (!Array.isArray(list) || list.length === 0) throw new SlackApiError('invalid_arguments', { needed: 'files' });
      const done: StoredFile[] = [];
      for (const item of list as Params[]) {
        const f = s.files.get(String(item.id));
        if (!f || f.content === undefined) throw new SlackApiError('file_not_found');
        f.completed = true;
        if (typeof item.title === 'string') f.title = item.title;
        done.push(f);
      }
      const channel = typeof p.channel_id === 'string' ? p.channel_id : typeof p.channels === 'string' ? p.channels.split(',')[0] : undefined;
      if (channel) checkChannel(s, channel);
      if (channel) {
        const shared = postMessage({
          channel,
          text: typeof p.initial_comment === 'string' && p.initial_comment !== '' ? p.initial_comment : done.map((f) => f.title ?? f.filename).join(', '),
          ...(typeof p.thread_ts === 'string' && { thread_ts: p.thread_ts }),
        }) as { ts: string };
        const msg = s.byKey.get(messageKey(channel, shared.ts));
        if (msg) msg.files = done.map((f) => ({ id: f.id, name: f.filename, size: f.content?.length ?? 0, ...(f.title !== undefined && { title: f.title }) }));
        for (const f of done) f.channel = channel;
      }
      return { files: done.map((f) => ({ id: f.id, title: f.title ?? f.filename, name: f.filename })) };
    },
  };
}

/** Writes a JSON (or, for a string, plain-text) reply. */
function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

/** Answers with a failure set up by failNext, and records it. */
function failWith(res: ServerResponse, spec: FailureSpec, record: RecordedCall): void {
  record.ok = false;
  if ('error' in spec) {
    record.status = 200;
    record.error = spec.error;
    send(res, 200, { ok: false, error: spec.error });
    return;
  }
  record.status = spec.status;
  if (spec.status === 429) {
    record.error = 'ratelimited';
    send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(spec.retryAfter) });
  } else {
    record.error = `http_${spec.status}`;
    send(res, spec.status, 'upstream error');
  }
}

/** POST /respond/ID: a response_url (5 uses, then `used_url`; `expired_url` once expired). */
async function handleRespond(s: StandInState, req: IncomingMessage, res: ServerResponse, url: URL, path: string, body: Buffer): Promise<void> {
  const id = decodeURIComponent(path.slice('/respond/'.length));
  const { params } = await parseParams(req, body, url);
  const record: RecordedCall = { method: 'respond', params, status: 200, ok: true, authed: false, at: Date.now() };
  s.calls.push(record);
  const failure = takeFailure(s, 'respond');
  if (failure) return failWith(res, failure, record);
  // "respond up to 5 times within 30 minutes" (docs.slack.dev/interactivity/handling-user-interaction#message_responses).
  const uses = (s.respondUses.get(id) ?? 0) + 1;
  s.respondUses.set(id, uses);
  if (s.expiredUrls.has(id) || uses > 5) {
    record.status = 404;
    record.ok = false;
    record.error = s.expiredUrls.has(id) ? 'expired_url' : 'used_url';
    return send(res, 404, record.error);
}
s.responses.push({ id, body: params, at: record.at });
return send(res, 200, 'ok');
}

/** POST /upload/ID: the bytes of a file whose upload URL files.getUploadURLExternal handed out. */
async function handleUpload(s: StandInState, req: IncomingMessage, res: ServerResponse, url: URL, path: string, body: Buffer): Promise<void> {
  const id = decodeURIComponent(path.slice('/upload/'.length));
  const { params, files: parts } = await parseParams(req, body, url);
  const record: RecordedCall = { method: 'upload', params: { id, bytes: body.length }, status: 200, ok: true, authed: true, at: Date.now() };
  s.calls.push(record);
  const failure = takeFailure(s, 'upload');
  if (failure) return failWith(res, failure, record);
  const f = s.files.get(id);
  if (!f) {
    record.status = 404;
    record.ok = false;
    return send(res, 404, 'no such upload');
}
const first = Object.values(parts)[0];
f.content = first ?? (typeof params.body === 'string' ? Buffer.from(params.body) : body);
return send(res, 200, `OK - ${f.content.length}`);
}

/** POST or GET /api/METHOD: auth, latency, failures set up, then the method. */
async function handleWebApi(s: StandInState, options: SlackStandInOptions, methods: WebApiMethods, req: IncomingMessage, res: ServerResponse, url: URL, path: string, body: Buffer): Promise<void> {
  const m = /^\/api\/([A-Za-z0-9_.]+)$/.exec(path);
  if (!m || (req.method !== 'POST' && req.method !== 'GET')) return send(res, 404, 'not found');
  const method = m[1] as string;
  const { params } = await parseParams(req, body, url);
  const auth = req.headers.authorization;
  const token = auth?.startsWith('Bearer ') ? auth.slice(7) : typeof params.token === 'string' ? params.token : undefined;
  delete params.token;
  const record: RecordedCall = { method, params, status: 200, ok: false, authed: token !== undefined, at: Date.now() };
  s.calls.push(record);
  if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));

  const channelParam = typeof params.channel === 'string' ? params.channel : typeof params.channel_id === 'string' ? params.channel_id : undefined;
  const failure = takeFailure(s, method, channelParam);
  if (failure) return failWith(res, failure, record);

  const reply = (ok: boolean, payload: Params) => {
    record.ok = ok;
    if (!ok) record.error = String(payload.error);
    send(res, 200, { ok, ...payload });
  };
  if (token === undefined) return reply(false, { error: 'not_authed' });
  if (!tokenOk(options, token)) return reply(false, { error: 'invalid_auth' });
  if (s.authError !== undefined) return reply(false, { error: s.authError });
  const impl = methods[method];
  if (!impl) return reply(false, { error: 'unknown_method', req_method: method });
  s.currentToken = token;
  try {
    reply(true, impl(params));
  } catch (err) {
    if (err instanceof SlackApiError) return reply(false, { error: err.error, ...err.extra });
    throw err;
  }
}

/** Starts the stand-in on 127.0.0.1. */
export async function startSlackStandIn(options: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const s: StandInState = { ...freshRecords(), tsCounter: 0, idCounter: 0, tsBase: Math.floor(Date.now() / 1000), baseUrl: '', currentToken: '' };
  const sock = startSocketMode();
  const chat = chatMethods(s);
  const methods: WebApiMethods = { ...sessionMethods(s), ...chat, ...viewMethods(s), ...fileMethods(s, chat['chat.postMessage'] as (p: Params) => Params) };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const path = url.pathname;
    if (path.startsWith('/respond/') && req.method === 'POST') return handleRespond(s, req, res, url, path, body);
    if (path.startsWith('/upload/') && req.method === 'POST') return handleUpload(s, req, res, url, path, body);
    return handleWebApi(s, options, methods, req, res, url, path, body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { ok: false, error: 'internal_error', detail: String(err) });
    });
  });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== '/socket') {
      socket.destroy();
      return;
    }
    sock.wss.handleUpgrade(req, socket, head, (ws) => sock.wss.emit('connection', ws, req));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  s.baseUrl = `http://127.0.0.1:${port}`;

  const clone = <T>(v: T): T => structuredClone(v);

  return {
    url: `${s.baseUrl}/api/`,
    baseUrl: s.baseUrl,
    calls: (method) => clone(method === undefined ? s.calls : s.calls.filter((c) => c.method === method)),
    messages: (channel) => {
      const all = channel === undefined ? [...s.channels.values()].flat() : (s.channels.get(channel) ?? []);
      return clone([...all].sort((a, b) => Number(a.ts) - Number(b.ts)));
    },
    message: (channel, ts) => {
      const msg = s.byKey.get(messageKey(channel, ts));
      return msg ? clone(msg) : undefined;
    },
    ephemerals: (channel) => clone(channel === undefined ? s.ephemerals : s.ephemerals.filter((e) => e.channel === channel)),
    files: () => clone([...s.files.values()]),
    views: () => clone(s.views),
    responseUrl: (id) => `${s.baseUrl}/respond/${encodeURIComponent(id ?? nextId(s, 'R'))}`,
    responses: (id) => clone(id === undefined ? s.responses : s.responses.filter((r) => r.id === id)),
    failNext(method, spec, times = 1, opts = {}) {
      s.failures.push({ method, spec, left: times, skip: opts.after ?? 0, ...(opts.channel !== undefined && { channel: opts.channel }) });
    },
    setChannel(channel, state) {
      s.channelStates.set(channel, state);
    },
    setAuthError(error) {
      s.authError = error;
    },
    expireResponseUrl(id) {
      s.expiredUrls.add(id);
    },
    socketSend: (type, payload, timeoutMs = 5000) => socketSend(s, sock, type, payload, timeoutMs),
    socketConnections: () => sock.sockets.size,
    reset() {
      Object.assign(s, freshRecords());
    },
    close: () => closeStandIn(sock, server),
  };
}
