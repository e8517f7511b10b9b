/**
 * Slack's Block Kit limits as Slack enforces them on chat.postMessage / chat.update, as data
 * plus one checker. The Slack stand-in rejects what Slack rejects; renderers can run the
 * same check in tests. Source: api.slack.com/reference/block-kit (blocks, elements,
 * composition objects).
 */

export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  /** chat.postMessage `text` (Slack truncates/refuses beyond this: msg_too_long). */
  messageText: 40_000,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  actionsElements: 25,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  markdownBlockText: 12_000,
  imageAltText: 2000,
  contextText: 3000,
} as const;

const KNOWN_BLOCKS = new Set(['section', 'header', 'divider', 'actions', 'context', 'image', 'rich_text', 'input', 'file', 'video', 'markdown', 'table']);

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Problems with a blocks array, in Slack's words with a JSON pointer, e.g.
 * `must be less than 51 items [json-pointer:/blocks]`. Empty when Slack would accept it.
 */
export function checkBlocks(blocks: unknown, pointer = '/blocks'): string[] {
  const errs: string[] = [];
  const err = (msg: string, at: string) => errs.push(`${msg} [json-pointer:${at}]`);
  if (!Array.isArray(blocks)) {
    err('must be an array', pointer);
    return errs;
  }
  if (blocks.length > SLACK_LIMITS.blocksPerMessage) err(`must be less than ${SLACK_LIMITS.blocksPerMessage + 1} items`, pointer);
  const blockIds = new Set<string>();

  const textObj = (t: unknown, at: string, max: number, plainOnly = false) => {
    if (!isObj(t) || typeof t.text !== 'string' || (t.type !== 'plain_text' && t.type !== 'mrkdwn')) {
      err('must be a text object with type and text', at);
      return;
    }
    if (plainOnly && t.type !== 'plain_text') err('must be plain_text', `${at}/type`);
    if (t.text.length > max) err(`must be less than ${max + 1} characters`, `${at}/text`);
    if (t.text.length === 0) err('must be more than 0 characters', `${at}/text`);
  };

  const confirm = (c: unknown, at: string) => {
    if (c === undefined) return;
    if (!isObj(c)) return err('must be a confirm object', at);
    textObj(c.title, `${at}/title`, SLACK_LIMITS.confirmTitle, true);
    textObj(c.text, `${at}/text`, SLACK_LIMITS.confirmText);
    textObj(c.confirm, `${at}/confirm`, SLACK_LIMITS.confirmButton, true);
    textObj(c.deny, `${at}/deny`, SLACK_LIMITS.confirmButton, true);
  };

  const element = (e: unknown, at: string, actionIds: Set<string>) => {
    if (!isObj(e) || typeof e.type !== 'string') return err('must be an element object with a type', at);
    if (typeof e.action_id === 'string') {
      if (e.action_id.length > SLACK_LIMITS.actionId) err(`must be less than ${SLACK_LIMITS.actionId + 1} characters`, `${at}/action_id`);
      if (actionIds.has(e.action_id)) err(`action_id "${e.action_id}" is already used in this block`, `${at}/action_id`);
      actionIds.add(e.action_id);
    }
    if (e.type === 'button') {
      textObj(e.text, `${at}/text`, SLACK_LIMITS.buttonText, true);
      if (e.value !== undefined && (typeof e.value !== 'string' || e.value.length > SLACK_LIMITS.buttonValue)) {
        err(`must be less than ${SLACK_LIMITS.buttonValue + 1} characters`, `${at}/value`);
      }
      if (typeof e.url === 'string' && e.url.length > SLACK_LIMITS.buttonUrl) err(`must be less than ${SLACK_LIMITS.buttonUrl + 1} characters`, `${at}/url`);
      if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') err('must be one of primary, danger', `${at}/style`);
      confirm(e.confirm, `${at}/confirm`);
    }
  };

  blocks.forEach((b, i) => {
    const at = `${pointer}/${i}`;
    if (!isObj(b) || typeof b.type !== 'string') return err('must be a block object with a type', at);
    if (!KNOWN_BLOCKS.has(b.type)) return err(`unsupported type: ${b.type}`, `${at}/type`);
    if (b.block_id !== undefined) {
      if (typeof b.block_id !== 'string' || b.block_id.length > SLACK_LIMITS.blockId) err(`must be less than ${SLACK_LIMITS.blockId + 1} characters`, `${at}/block_id`);
      else if (blockIds.has(b.block_id)) err(`block_id "${b.block_id}" is already used`, `${at}/block_id`);
      else blockIds.add(b.block_id);
    }
    const actionIds = new Set<string>();
    switch (b.type) {
      case 'section': {
        if (b.text === undefined && b.fields === undefined) err('must provide text or fields', at);
        if (b.text !== undefined) textObj(b.text, `${at}/text`, SLACK_LIMITS.sectionText);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields)) err('must be an array', `${at}/fields`);
          else {
            if (b.fields.length > SLACK_LIMITS.sectionFields) err(`must be less than ${SLACK_LIMITS.sectionFields + 1} items`, `${at}/fields`);
            b.fields.forEach((f, j) => textObj(f, `${at}/fields/${j}`, SLACK_LIMITS.sectionFieldText));
          }
        }
        if (b.accessory !== undefined) element(b.accessory, `${at}/accessory`, actionIds);
        break;
      }
      case 'header':
        textObj(b.text, `${at}/text`, SLACK_LIMITS.headerText, true);
        break;
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length === 0) err('must provide at least one element', `${at}/elements`);
        else {
          if (b.elements.length > SLACK_LIMITS.actionsElements) err(`must be less than ${SLACK_LIMITS.actionsElements + 1} items`, `${at}/elements`);
          b.elements.forEach((e, j) => element(e, `${at}/elements/${j}`, actionIds));
        }
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0) err('must provide at least one element', `${at}/elements`);
        else {
          if (b.elements.length > SLACK_LIMITS.contextElements) err(`must be less than ${SLACK_LIMITS.contextElements + 1} items`, `${at}/elements`);
          b.elements.forEach((e, j) => {
            if (isObj(e) && (e.type === 'mrkdwn' || e.type === 'plain_text')) textObj(e, `${at}/elements/${j}`, SLACK_LIMITS.contextText);
            else if (!isObj(e) || e.type !== 'image') err('must be a text or image element', `${at}/elements/${j}`);
          });
        }
        break;
      case 'markdown':
        if (typeof b.text !== 'string' || b.text.length > SLACK_LIMITS.markdownBlockText) {
          err(`must be a string of at most ${SLACK_LIMITS.markdownBlockText} characters`, `${at}/text`);
        }
        break;
      case 'image':
        if (typeof b.alt_text !== 'string' || b.alt_text.length > SLACK_LIMITS.imageAltText) err('must provide alt_text', `${at}/alt_text`);
        break;
      default:
        break;
    }
  });
  return errs;
}
