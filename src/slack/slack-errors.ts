/**
 * Every Slack Web API error podnet can meet, classified in one place: what the poster does
 * with it (wait Retry-After, retry, give up) and what the person who asked is told.
 *
 * Sources for the codes and their meaning (per method "Errors" tables):
 * - chat.postMessage: https://docs.slack.dev/reference/methods/chat.postMessage (channel_not_found,
 *   not_in_channel, is_archived, msg_too_long, no_text, restricted_action*, too_many_attachments,
 *   rate_limited, ekm_access_denied, not_authed, invalid_auth, account_inactive, token_revoked,
 *   no_permission, org_login_required, missing_scope, invalid_arguments, invalid_arg_name,
 *   invalid_charset, invalid_form_data, invalid_post_type, missing_post_type, team_added_to_org,
 *   request_timeout, fatal_error; also as listed in slack-ruby/slack-api-ref
 *   methods/chat/chat.postMessage.json), plus `invalid_blocks`, `invalid_blocks_format`,
 *   `msg_blocks_too_long` and `duplicate_message_not_found` from the same page.
 * - chat.update: https://docs.slack.dev/reference/methods/chat.update (cant_update_message,
 *   edit_window_closed, message_not_found, msg_too_long, invalid_blocks, is_inactive).
 * - chat.postEphemeral: https://docs.slack.dev/reference/methods/chat.postEphemeral (user_not_in_channel).
 * - conversations.open: https://docs.slack.dev/reference/methods/conversations.open (user_not_found,
 *   user_disabled, user_not_visible, cannot_dm_bot; needs the `im:write` scope).
 * - files.getUploadURLExternal / files.completeUploadExternal:
 *   https://docs.slack.dev/reference/methods/files.completeUploadExternal (file_not_found,
 *   file_upload_size_restricted, posting_to_general_channel_denied).
 * - The general errors every method can return (internal_error, fatal_error,
 *   service_unavailable, request_timeout, ratelimited) and HTTP 429 + Retry-After:
 *   https://docs.slack.dev/apis/web-api/rate-limits ("Responding to rate limiting conditions":
 *   wait the Retry-After seconds, then continue).
 * - `msg_blocks_too_long` fires below every documented per-block limit: bolt-js issue #2509
 *   (https://github.com/slackapi/bolt-js/issues/2509: refused from ~13,297 characters of block
 *   text with markdown blocks alone, less with other blocks) and #2867 (refused at 11,341
 *   characters of text in rich_text/section/header blocks). See BLOCK_TEXT_BUDGET.
 */
import { PodnetError } from '../errors.js';

/**
 * - `rate-limited`: wait Retry-After exactly, then send again.
 * - `transient`: Slack or the network failed this time; retry a bounded number of times.
 * - `reshape`: the content was refused; send it in another shape (plain text, split, a file).
 * - `permanent`: this call will never succeed as it is (the channel, the user, a setting).
 * - `reauth`: the token is refused; nothing with it will work until an admin fixes it.
 */
export type SlackErrorClass = 'rate-limited' | 'transient' | 'reshape' | 'permanent' | 'reauth';

export interface SlackErrorInfo {
  class: SlackErrorClass;
  /** What it means, for the person who asked (plain text, no user input). */
  meaning: string;
  /** What to do about it, for the person who asked. */
  action: string;
}

const REAUTH_ACTION = "Ask a Slack admin to reinstall the podnet app (or update the worker's SLACK_BOT_TOKEN); nothing podnet posts can arrive until then.";
const RETRY_LATER = 'Run the command again in a few minutes; if it keeps failing, check https://slack-status.com.';

/** The classification table. Codes not listed are `permanent` (see {@link classifySlackError}). */
export const SLACK_ERRORS: Readonly<Record<string, SlackErrorInfo>> = Object.freeze({
  // Rate limits: HTTP 429 + Retry-After; `ratelimited`/`rate_limited` in a 200 body (older methods).
  ratelimited: { class: 'rate-limited', meaning: 'Slack rate-limited podnet', action: RETRY_LATER },
  rate_limited: { class: 'rate-limited', meaning: 'Slack rate-limited podnet', action: RETRY_LATER },
  // Slack's side or the network: "likely due to a transient issue on our end".
  internal_error: { class: 'transient', meaning: 'Slack had an internal error', action: RETRY_LATER },
  fatal_error: { class: 'transient', meaning: 'Slack had an internal error', action: RETRY_LATER },
  service_unavailable: { class: 'transient', meaning: 'Slack was unavailable', action: RETRY_LATER },
  request_timeout: { class: 'transient', meaning: 'the request to Slack was cut short', action: RETRY_LATER },
  team_added_to_org: { class: 'transient', meaning: 'the workspace is migrating to an Enterprise org', action: RETRY_LATER },
  http_error: { class: 'transient', meaning: 'Slack answered with an HTTP error', action: RETRY_LATER },
  network_error: { class: 'transient', meaning: 'Slack could not be reached', action: RETRY_LATER },
  // Content Slack refused: podnet reshapes it (plain text, split, file) before giving up.
  invalid_blocks: { class: 'reshape', meaning: 'Slack refused the message layout (invalid_blocks)', action: 'podnet sent it as plain text instead; please report this to the podnet maintainers.' },
  invalid_blocks_format: { class: 'reshape', meaning: 'Slack refused the message layout (invalid_blocks_format)', action: 'podnet sent it as plain text instead; please report this to the podnet maintainers.' },
  msg_too_long: { class: 'reshape', meaning: 'the message was too long for Slack', action: 'podnet split it or attached it as a file.' },
  msg_blocks_too_long: { class: 'reshape', meaning: 'the message was too long for Slack', action: 'podnet split it or attached it as a file.' },
  // The channel / conversation.
  not_in_channel: { class: 'permanent', meaning: 'podnet is not a member of this channel', action: 'Invite it with `/invite @podnet` in the channel, then run the command again.' },
  channel_not_found: { class: 'permanent', meaning: 'Slack does not let podnet see this channel (private, deleted, or another workspace)', action: 'Invite podnet with `/invite @podnet` (private channels need it), or run the command in a channel podnet is in.' },
  is_archived: { class: 'permanent', meaning: 'the channel is archived', action: 'Run the command in a channel that is not archived.' },
  is_inactive: { class: 'permanent', meaning: 'the channel is inactive', action: 'Run the command in an active channel.' },
  restricted_action: { class: 'permanent', meaning: 'a workspace setting stops podnet from posting here', action: 'Ask a workspace admin to allow apps to post in this channel.' },
  restricted_action_read_only_channel: { class: 'permanent', meaning: 'the channel is read-only for apps', action: 'Run the command in a channel where podnet may post.' },
  restricted_action_thread_only_channel: { class: 'permanent', meaning: 'the channel only allows thread replies', action: 'Run the command inside a thread, or in another channel.' },
  restricted_action_non_threadable_channel: { class: 'permanent', meaning: 'the channel does not allow threads', action: 'Run the command in a channel with threads.' },
  posting_to_general_channel_denied: { class: 'permanent', meaning: 'only admins may post in this channel', action: 'Run the command in another channel.' },
  ekm_access_denied: { class: 'permanent', meaning: 'administrators suspended posting (EKM)', action: 'Ask a workspace admin.' },
  no_permission: { class: 'permanent', meaning: 'podnet lacks permission in this conversation', action: 'Invite it with `/invite @podnet`, then run the command again.' },
  thread_not_found: { class: 'permanent', meaning: 'the thread podnet answers in is gone', action: 'Run the command again outside the thread.' },
  message_not_found: { class: 'permanent', meaning: 'the message podnet was updating was deleted', action: 'Run the command again.' },
  cant_update_message: { class: 'permanent', meaning: 'Slack would not let podnet edit its message', action: 'Run the command again.' },
  edit_window_closed: { class: 'permanent', meaning: 'the message can no longer be edited', action: 'Run the command again.' },
  user_not_in_channel: { class: 'permanent', meaning: 'you are not a member of the channel', action: 'Join the channel, then run the command again.' },
  user_not_found: { class: 'permanent', meaning: 'Slack does not know the user', action: 'Run the command again.' },
  user_disabled: { class: 'permanent', meaning: 'the user is deactivated', action: 'Nothing to do.' },
  user_not_visible: { class: 'permanent', meaning: 'podnet may not see the user', action: 'Ask a workspace admin.' },
  cannot_dm_bot: { class: 'permanent', meaning: 'Slack does not allow DMs to this user', action: 'Nothing to do.' },
  file_upload_size_restricted: { class: 'permanent', meaning: 'the file is larger than the workspace allows', action: 'Narrow the request (e.g. --since, --grep).' },
  upload_failed: { class: 'transient', meaning: "Slack's upload URL refused the file", action: RETRY_LATER },
  response_url_refused: { class: 'permanent', meaning: 'the command\'s response_url expired or was used up (30 minutes, 5 uses)', action: 'Run the command again.' },
  file_not_found: { class: 'transient', meaning: 'the upload did not reach Slack', action: RETRY_LATER },
  // Bugs in the call (podnet's side): not retried, reported.
  no_text: { class: 'permanent', meaning: 'podnet sent an empty message', action: 'Please report this to the podnet maintainers.' },
  too_many_attachments: { class: 'permanent', meaning: 'podnet sent too many attachments', action: 'Please report this to the podnet maintainers.' },
  invalid_arguments: { class: 'permanent', meaning: 'podnet called Slack with invalid arguments', action: 'Please report this to the podnet maintainers.' },
  invalid_arg_name: { class: 'permanent', meaning: 'podnet called Slack with invalid arguments', action: 'Please report this to the podnet maintainers.' },
  invalid_charset: { class: 'permanent', meaning: 'podnet called Slack with an invalid charset', action: 'Please report this to the podnet maintainers.' },
  invalid_form_data: { class: 'permanent', meaning: 'podnet called Slack with invalid form data', action: 'Please report this to the podnet maintainers.' },
  invalid_post_type: { class: 'permanent', meaning: 'podnet called Slack with an invalid content type', action: 'Please report this to the podnet maintainers.' },
  missing_post_type: { class: 'permanent', meaning: 'podnet called Slack without a content type', action: 'Please report this to the podnet maintainers.' },
  as_user_not_supported: { class: 'permanent', meaning: 'podnet used a legacy argument', action: 'Please report this to the podnet maintainers.' },
  unknown_method: { class: 'permanent', meaning: 'this Slack API does not offer the method podnet called', action: 'Check SLACK_API_URL.' },
  // The token.
  not_authed: { class: 'reauth', meaning: "Slack received no token from podnet's worker", action: REAUTH_ACTION },
  invalid_auth: { class: 'reauth', meaning: "Slack refused podnet's token (invalid_auth)", action: REAUTH_ACTION },
  account_inactive: { class: 'reauth', meaning: "podnet's token belongs to a deleted user or workspace", action: REAUTH_ACTION },
  token_revoked: { class: 'reauth', meaning: "podnet's token was revoked (the app may have been removed)", action: REAUTH_ACTION },
  token_expired: { class: 'reauth', meaning: "podnet's token expired", action: REAUTH_ACTION },
  missing_scope: { class: 'reauth', meaning: 'the podnet app lacks a Slack scope it needs', action: 'Ask a Slack admin to reinstall podnet from deploy/slack-app-manifest.yaml (it lists every scope).' },
  org_login_required: { class: 'reauth', meaning: 'the workspace is migrating to an Enterprise org', action: REAUTH_ACTION },
  access_denied: { class: 'reauth', meaning: 'Slack denied podnet access', action: REAUTH_ACTION },
  not_allowed_token_type: { class: 'reauth', meaning: 'podnet was given the wrong kind of token', action: "Set SLACK_BOT_TOKEN to the app's xoxb- Bot User OAuth Token." },
});

/** The class and advice for a Slack error code; an unknown code is `permanent` (never retried blindly). */
export function classifySlackError(code: string): SlackErrorInfo {
  return SLACK_ERRORS[code] ?? { class: 'permanent', meaning: `Slack refused the call (${code})`, action: 'Run the command again; if it keeps failing, please report it.' };
}

/**
 * A Slack call that failed for good (after the poster's retries and reshaping). Carries the
 * Slack code and its class; `PodnetError.code` maps the class onto podnet's codes so BullMQ
 * and the rest of podnet treat it like any coded error.
 */
export class SlackCallError extends PodnetError {
  readonly slackCode: string;
  readonly slackClass: SlackErrorClass;
  readonly method: string;
  readonly channel?: string;

  constructor(options: { method: string; slackCode: string; channel?: string; message?: string; cause?: unknown; retryAfterSeconds?: number }) {
    const info = classifySlackError(options.slackCode);
    const code = info.class === 'transient' || info.class === 'rate-limited' ? 'unavailable' : info.class === 'reauth' ? 'forbidden' : 'bad-input';
    super(code, options.message ?? `Slack refused ${options.method}: ${options.slackCode} (${info.meaning})`, {
      ...(options.cause !== undefined && { cause: options.cause }),
      detail: { slackCode: options.slackCode, method: options.method },
    });
    this.name = 'SlackCallError';
    this.slackCode = options.slackCode;
    this.slackClass = info.class;
    this.method = options.method;
    if (options.channel !== undefined) this.channel = options.channel;
  }

  get info(): SlackErrorInfo {
    return classifySlackError(this.slackCode);
  }
}

/** The SlackCallError in `err` or its `cause` chain (BullMQ wraps errors), if any. */
export function findSlackCallError(err: unknown): SlackCallError | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof SlackCallError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * podnet's bound on the total characters of text in one message's blocks. Slack documents no
 * such limit but refuses `msg_blocks_too_long` from ~11–13k characters (bolt-js #2509, #2867,
 * cited above); 10 000 stays well under the lowest report. Longer messages are split.
 */
export const BLOCK_TEXT_BUDGET = 10_000;

/** Sum of every `text` string in a block tree (what bolt-js #2867 measured). */
export function blockTextLength(blocks: unknown): number {
  let total = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') total += x.length;
        else walk(x);
      }
    }
  };
  walk(blocks);
  return total;
}
