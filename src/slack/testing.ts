/**
 * Helpers to speak to the Bolt app the way Slack does: signed, form-encoded slash commands
 * and block actions. Used by tests, the demo and the ack benchmark.
 */
import { createHmac } from 'node:crypto';

/** Slack's v0 request signature headers for `body` signed at `timestamp` (seconds). */
export function signSlackRequest(
  signingSecret: string,
  body: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': String(timestamp) };
}

export interface SlashCommandFields {
  text: string;
  command?: string;
  channel?: string;
  channelName?: string;
  user?: string;
  userName?: string;
  team?: string;
  responseUrl?: string;
  triggerId?: string;
}

/** A form-encoded slash command body as Slack sends it to the request URL. */
export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams(slashCommandPayload(fields)).toString();
}

/** The same slash command as an object (the payload of a Socket Mode `slash_commands` envelope). */
export function slashCommandPayload(fields: SlashCommandFields): Record<string, string> {
  return {
    token: 'deprecated-verification-token',
    team_id: fields.team ?? 'T0STANDIN',
    team_domain: 'podnet-test',
    channel_id: fields.channel ?? 'C0MLONCALL',
    channel_name: fields.channelName ?? 'ml-oncall',
    user_id: fields.user ?? 'U0ALICE001',
    user_name: fields.userName ?? 'alice',
    command: fields.command ?? '/podnet',
    text: fields.text,
    api_app_id: 'A0PODNET',
    is_enterprise_install: 'false',
    response_url: fields.responseUrl ?? 'https://hooks.slack.com/commands/T0STANDIN/1/none',
    trigger_id: fields.triggerId ?? '1.2.abc',
  };
}

export interface BlockActionFields {
  actionId: string;
  value: string;
  channel?: string;
  channelName?: string;
  user?: string;
  team?: string;
  /** ts of the message carrying the button. */
  messageTs?: string;
  /** Set when that message is itself a thread reply. */
  threadTs?: string;
  responseUrl?: string;
  blockId?: string;
}

/** A form-encoded `block_actions` interaction body (`payload=<json>`), as Slack sends on a button click. */
export function blockActionBody(fields: BlockActionFields): string {
  const messageTs = fields.messageTs ?? '1700000000.000100';
  const payload = {
    type: 'block_actions',
    user: { id: fields.user ?? 'U0ALICE001', username: 'alice', team_id: fields.team ?? 'T0STANDIN' },
    api_app_id: 'A0PODNET',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: fields.channel ?? 'C0MLONCALL', is_ephemeral: false },
    trigger_id: '1.2.trigger',
    team: { id: fields.team ?? 'T0STANDIN', domain: 'podnet-test' },
    is_enterprise_install: false,
    channel: { id: fields.channel ?? 'C0MLONCALL', name: fields.channelName ?? 'ml-oncall' },
    message: {
      type: 'message',
      ts: messageTs,
      ...(fields.threadTs !== undefined && { thread_ts: fields.threadTs }),
      text: 'podnet result',
      user: 'U0PODNETBOT',
      bot_id: 'B0PODNET',
    },
    response_url: fields.responseUrl ?? 'https://hooks.slack.com/actions/T0STANDIN/1/none',
    actions: [
      {
        type: 'button',
        action_id: fields.actionId,
        block_id: fields.blockId ?? 'podnet-actions',
        value: fields.value,
        text: { type: 'plain_text', text: 'button' },
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/**
 * POSTs a signed body to the Bolt app. `timestamp` lets tests send stale requests;
 * `signingSecret` a wrong one.
 */
export async function postSigned(
  url: string,
  body: string,
  signingSecret: string,
  options: { timestamp?: number; contentType?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; json?: unknown; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded', ...signSlackRequest(signingSecret, body, options.timestamp), ...options.headers },
    body,
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, body: text, ms, ...(json !== undefined && { json }) };
}
