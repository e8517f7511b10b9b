/**
 * Slack Block Kit limits, enforced in this one place. Every message podnet renders for Slack
 * passes through {@link finishMessages}: texts are cut with an ellipsis, messages with too many
 * blocks are split, and each message keeps a fallback `text`. The block types here are the
 * small subset podnet uses (no @slack import: render/ stays free of I/O packages).
 */

import { checkBlocks, SLACK_LIMITS } from './block-limits.js';

/** Slack's own limits: one table of them, in ./block-limits.ts. */
export { SLACK_LIMITS };

/** Where podnet chooses to stay shorter than Slack allows ({@link SLACK_LIMITS}). */
export const PODNET_CAPS = Object.freeze({
  /** A context element's text (Slack allows 3000): context lines are notes. */
  contextText: 2000,
  /** Fallback `text`: Slack truncates past 40 000; notifications show far less. */
  fallbackText: 3000,
});

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
}
export interface ConfirmDialog {
  title: PlainText;
  text: PlainText | MrkdwnText;
  confirm: PlainText;
  deny: PlainText;
  style?: 'primary' | 'danger';
}
export interface ButtonElement {
  type: 'button';
  text: PlainText;
  action_id: string;
  value?: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmDialog;
}
export type Block =
  | { type: 'header'; text: PlainText; block_id?: string }
  | { type: 'section'; text: MrkdwnText | PlainText; block_id?: string }
  | { type: 'context'; elements: (MrkdwnText | PlainText)[]; block_id?: string }
  | { type: 'actions'; elements: ButtonElement[]; block_id?: string }
  | { type: 'divider'; block_id?: string };

export interface SlackMessage {
  /** Fallback text for notifications and clients without blocks; never empty. */
  text: string;
  blocks: Block[];
}

/** Cuts `text` to `max` characters, ending in an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  return `${text.slice(0, max - 1)}…`;
}

/**
 * Text that is safe to put in Slack mrkdwn. Made only by {@link escapeMrkdwn},
 * {@link inlineMrkdwn}, the {@link md} template tag (which escapes every value it
 * interpolates) and {@link mention}. The Block Kit builders below, the fallback `text` of
 * {@link finishMessages} and the workers' poster take only this type, so text from the cluster
 * or a user cannot reach a message unescaped by accident: a plain `string` does not compile.
 */
export class Mrkdwn {
  /** Use the factories; the constructor is for this module. */
  private constructor(readonly text: string) {}
  /** @internal */
  static of(text: string): Mrkdwn {
    return new Mrkdwn(text);
  }
  /** In a plain template literal it reads as its (already escaped) text. */
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

/**
 * Escapes text for Slack mrkdwn: `&`, `<`, `>` become entities, so `<!here>`, `<@U123>` and
 * `<https://x|y>` show as typed and ping or link nothing. Line breaks are kept (for code
 * blocks of log lines); use {@link inlineMrkdwn} for one line.
 * https://api.slack.com/reference/surfaces/formatting#escaping
 */
export function escapeMrkdwn(text: string): Mrkdwn {
  return Mrkdwn.of(escapeText(text));
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * One line of outside text for mrkdwn: escaped, and its line breaks shown as ` ⏎ ` so a title
 * or an event message cannot start a line of its own (a fake `*Fix:*` line, a `>` quote).
 */
export function inlineMrkdwn(text: string): Mrkdwn {
  return Mrkdwn.of(escapeText(text.replace(/\r?\n|\r/g, ' ⏎ ')));
}

/**
 * Template tag for mrkdwn: the literal parts are podnet's own formatting and pass as written;
 * every interpolated value is escaped on one line ({@link inlineMrkdwn}) unless it already is
 * {@link Mrkdwn}. `` md`*Fix:* ${fix}` `` is safe whatever `fix` holds.
 */
export function md(strings: TemplateStringsArray, ...values: (Mrkdwn | string | number)[]): Mrkdwn {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += v instanceof Mrkdwn ? v.text : typeof v === 'number' ? String(v) : inlineMrkdwn(v).text;
    out += strings[i + 1] ?? '';
  });
  return Mrkdwn.of(out);
}

/** A user mention `<@U123>` from a Slack user id; anything not shaped like an id is escaped instead. */
export function mention(userId: string): Mrkdwn {
  return /^[UW][A-Z0-9]{1,}$/.test(userId) ? Mrkdwn.of(`<@${userId}>`) : inlineMrkdwn(userId);
}

/** Joins mrkdwn parts with a literal separator. */
export function joinMrkdwn(parts: readonly Mrkdwn[], separator: string): Mrkdwn {
  return Mrkdwn.of(parts.map((p) => p.text).join(separator));
}

/** Plain text for a header or button (plain_text parses no mrkdwn; line breaks are folded). */
function plain(text: string): string {
  return text.replace(/\r?\n|\r/g, ' ');
}

/** A header block: plain text (Slack parses no mentions or links in it). */
export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncate(plain(text), SLACK_LIMITS.headerText), emoji: true } };
}

/** A section block; its text must be {@link Mrkdwn}. */
export function section(mrkdwn: Mrkdwn): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(mrkdwn.text, SLACK_LIMITS.sectionText) } };
}

/** A context block of mrkdwn elements. */
export function context(...mrkdwn: Mrkdwn[]): Block {
  return {
    type: 'context',
    elements: mrkdwn.slice(0, SLACK_LIMITS.contextElements).map((t) => ({ type: 'mrkdwn', text: truncate(t.text, PODNET_CAPS.contextText) })),
  };
}

export function divider(): Block {
  return { type: 'divider' };
}

/**
 * Sections holding `lines` under a title, as many as needed so that none passes the section
 * limit; a single over-long line is cut. `code` wraps each section's lines in a code block.
 */
export function sections(title: Mrkdwn | undefined, lines: readonly Mrkdwn[], options: { code?: boolean } = {}): Block[] {
  const fence = options.code ? 6 + 2 : 0; // ``` + newline, twice
  const max = SLACK_LIMITS.sectionText - fence;
  const out: Block[] = [];
  let cur: string[] = [];
  let len = 0;
  let first = true;
  const head = () => (first && title ? `${title.text}\n` : '');
  const flush = () => {
    if (cur.length === 0) return;
    const body = cur.join('\n');
    out.push(section(Mrkdwn.of(`${head()}${options.code ? `\`\`\`\n${body}\n\`\`\`` : body}`)));
    first = false;
    cur = [];
    len = 0;
  };
  for (const raw of lines) {
    const room = max - head().length;
    // Inside a code block a ``` in the text would close it early.
    const line = truncate(options.code ? raw.text.replace(/```/g, "'''") : raw.text, room);
    if (len + line.length + 1 > room) flush();
    cur.push(line);
    len += line.length + 1;
  }
  flush();
  if (out.length === 0 && title) out.push(section(title));
  return out;
}

export function button(text: string, actionId: string, value: string, extra: Pick<ButtonElement, 'style' | 'confirm'> = {}): ButtonElement {
  const b: ButtonElement = {
    type: 'button',
    text: { type: 'plain_text', text: truncate(text, SLACK_LIMITS.buttonText), emoji: true },
    action_id: truncate(actionId, SLACK_LIMITS.actionId),
    value: truncate(value, SLACK_LIMITS.buttonValue),
  };
  if (extra.style) b.style = extra.style;
  if (extra.confirm) {
    const c = extra.confirm;
    b.confirm = {
      title: { type: 'plain_text', text: truncate(c.title.text, SLACK_LIMITS.confirmTitle) },
      text: { ...c.text, text: truncate(c.text.text, SLACK_LIMITS.confirmText) },
      confirm: { type: 'plain_text', text: truncate(c.confirm.text, SLACK_LIMITS.confirmButton) },
      deny: { type: 'plain_text', text: truncate(c.deny.text, SLACK_LIMITS.confirmButton) },
      ...(c.style ? { style: c.style } : {}),
    };
  }
  return b;
}

export function actions(elements: ButtonElement[]): Block {
  return { type: 'actions', elements: elements.slice(0, SLACK_LIMITS.actionsElements) };
}

/**
 * A compact JSON button value within the 2000-character limit: string fields are shortened
 * until it fits (names are DNS labels, so this only bites on hostile input).
 */
export function buttonValue(payload: Record<string, string | number | boolean | undefined>): string {
  const clean = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  let s = JSON.stringify(clean);
  if (s.length <= SLACK_LIMITS.buttonValue) return s;
  const per = Math.floor(SLACK_LIMITS.buttonValue / Math.max(1, Object.keys(clean).length)) - 12;
  for (const [k, v] of Object.entries(clean)) if (typeof v === 'string') clean[k] = v.slice(0, Math.max(1, per));
  s = JSON.stringify(clean);
  return s.length <= SLACK_LIMITS.buttonValue ? s : JSON.stringify({ truncated: true });
}

/** Re-applies every text limit to a block (for blocks built elsewhere). */
export function clampBlock(b: Block): Block {
  switch (b.type) {
    case 'header':
      return header(b.text.text);
    case 'section':
      return { ...b, text: { ...b.text, text: truncate(b.text.text, SLACK_LIMITS.sectionText) } };
    case 'context':
      return { ...b, elements: b.elements.slice(0, SLACK_LIMITS.contextElements).map((e) => ({ ...e, text: truncate(e.text, PODNET_CAPS.contextText) })) };
    case 'actions':
      return actions(b.elements.map((e) => button(e.text.text, e.action_id, e.value ?? '', { style: e.style, confirm: e.confirm })));
    default:
      return b;
  }
}

/**
 * Turns one logical message into as many Slack messages as the 50-block limit needs. Every
 * block is clamped; each part keeps a fallback text (numbered when split).
 */
export function finishMessages(text: Mrkdwn, blocks: Block[]): SlackMessage[] {
  // Slack parses mentions and links in the fallback text too (it is the notification).
  const fallback = truncate(text.text.trim() || 'podnet', PODNET_CAPS.fallbackText);
  const clamped = blocks.map(clampBlock);
  const max = SLACK_LIMITS.blocksPerMessage;
  if (clamped.length <= max) return [{ text: fallback, blocks: clamped }];
  const parts: Block[][] = [];
  for (let i = 0; i < clamped.length; i += max) parts.push(clamped.slice(i, i + max));
  return parts.map((p, i) => ({ text: truncate(`${fallback} (${i + 1}/${parts.length})`, PODNET_CAPS.fallbackText), blocks: p }));
}

/** Checks a message against Slack's limits (the stand-in's checker) and the fallback text; returns the violations (empty when fine). */
export function checkMessage(m: SlackMessage): string[] {
  return [...(m.text ? [] : ['missing fallback text']), ...checkBlocks(m.blocks)];
}
