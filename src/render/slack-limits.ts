/**
 * Slack Block Kit limits, enforced in this one place. Every message podnet renders for Slack
 * passes through {@link finishMessages}: texts are cut with an ellipsis, messages with too many
 * blocks are split, and each message keeps a fallback `text`. The block types here are the
 * small subset podnet uses (no @slack import: render/ stays free of I/O packages).
 */

import { checkBlocks, SLACK_LIMITS as BLOCK_KIT } from './block-limits.js';

/**
 * The limits podnet renders to: Slack's own (./block-limits.ts, the one table of them) plus
 * podnet's tighter caps where it chooses to stay shorter than Slack allows.
 */
export const SLACK_LIMITS = Object.freeze({
  ...BLOCK_KIT,
  /** podnet's cap on a context element's text (Slack allows 3000); context lines are notes. */
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

/** Escapes the three characters Slack's mrkdwn reserves. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, SLACK_LIMITS.headerText), emoji: true } };
}

export function section(mrkdwn: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(mrkdwn, SLACK_LIMITS.sectionText) } };
}

export function context(...mrkdwn: string[]): Block {
  return {
    type: 'context',
    elements: mrkdwn.slice(0, SLACK_LIMITS.contextElements).map((t) => ({ type: 'mrkdwn', text: truncate(t, SLACK_LIMITS.contextText) })),
  };
}

export function divider(): Block {
  return { type: 'divider' };
}

/**
 * Sections holding `lines` under a title, as many as needed so that none passes the section
 * limit; a single over-long line is cut. `code` wraps each section's lines in a code block.
 */
export function sections(title: string | undefined, lines: string[], options: { code?: boolean } = {}): Block[] {
  const fence = options.code ? 6 + 2 : 0; // ``` + newline, twice
  const max = SLACK_LIMITS.sectionText - fence;
  const out: Block[] = [];
  let cur: string[] = [];
  let len = 0;
  let first = true;
  const head = () => (first && title ? `${title}\n` : '');
  const flush = () => {
    if (cur.length === 0) return;
    const body = cur.join('\n');
    out.push(section(`${head()}${options.code ? `\`\`\`\n${body}\n\`\`\`` : body}`));
    first = false;
    cur = [];
    len = 0;
  };
  for (const raw of lines) {
    const room = max - head().length;
    const line = truncate(raw, room);
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
      return { ...b, elements: b.elements.slice(0, SLACK_LIMITS.contextElements).map((e) => ({ ...e, text: truncate(e.text, SLACK_LIMITS.contextText) })) };
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
export function finishMessages(text: string, blocks: Block[]): SlackMessage[] {
  const fallback = truncate(text.trim() || 'podnet', SLACK_LIMITS.fallbackText);
  const clamped = blocks.map(clampBlock);
  const max = SLACK_LIMITS.blocksPerMessage;
  if (clamped.length <= max) return [{ text: fallback, blocks: clamped }];
  const parts: Block[][] = [];
  for (let i = 0; i < clamped.length; i += max) parts.push(clamped.slice(i, i + max));
  return parts.map((p, i) => ({ text: truncate(`${fallback} (${i + 1}/${parts.length})`, SLACK_LIMITS.fallbackText), blocks: p }));
}

/** Checks a message against Slack's limits (the stand-in's checker) and the fallback text; returns the violations (empty when fine). */
export function checkMessage(m: SlackMessage): string[] {
  return [...(m.text ? [] : ['missing fallback text']), ...checkBlocks(m.blocks)];
}
