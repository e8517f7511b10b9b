/**
 * Block Kit → plain text, for the demo's transcript: what a person would read in Slack,
 * printed in a terminal. Covers the blocks podnet's renderers use (header, section with
 * fields, context, divider, actions, image, rich_text); anything else shows as `[type]`.
 */

interface TextObject {
  type?: string;
  text?: string;
}
interface Block {
  type?: string;
  text?: TextObject;
  fields?: TextObject[];
  elements?: unknown[];
  accessory?: { type?: string; text?: TextObject };
  alt_text?: string;
  title?: TextObject;
}

/** The emoji podnet's messages use, as a terminal shows them; others stay as `:name:`. */
const EMOJI: Record<string, string> = {
  hourglass_flowing_sand: '⏳', hourglass: '⌛', white_check_mark: '✅', x: '❌', warning: '⚠️', no_entry: '⛔',
  white_circle: '⚪', large_green_circle: '🟢', large_yellow_circle: '🟡', red_circle: '🔴', mag: '🔍',
  heavy_check_mark: '✔', rotating_light: '🚨', information_source: 'ℹ️', arrows_counterclockwise: '🔄',
};

/**
 * Slack mrkdwn → readable plain text: `*bold*` loses its stars, links become `label (url)`,
 * known emoji codes become emoji, entities are decoded. Code spans and blocks are kept.
 */
export function mrkdwnToText(s: string): string {
  return s
    .replace(/(^|[\s(])\*([^*\s]|[^*\s][^*\n]*?[^*\s])\*(?=$|[\s).,:;!?])/g, '$1$2')
    .replace(/:([a-z0-9_+-]+):/g, (m, name: string) => EMOJI[name] ?? m)
    .replace(/<([^|>]+)\|([^>]+)>/g, (_m, url: string, label: string) => (url.startsWith('http') ? `${label} (${url})` : label))
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/<[#@!]([^>|]+)>/g, '@$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const textOf = (t: TextObject | undefined): string => (t?.text === undefined ? '' : t.type === 'mrkdwn' ? mrkdwnToText(t.text) : t.text);

function richText(elements: unknown[]): string {
  const out: string[] = [];
  const walk = (e: unknown): void => {
    if (e === null || typeof e !== 'object') return;
    const el = e as { type?: string; text?: string; elements?: unknown[]; url?: string };
    if (typeof el.text === 'string') out.push(el.text);
    else if (el.type === 'link' && el.url) out.push(el.url);
    if (Array.isArray(el.elements)) {
      el.elements.forEach(walk);
      if (el.type === 'rich_text_section' || el.type === 'rich_text_preformatted' || el.type === 'rich_text_quote') out.push('\n');
    }
  };
  elements.forEach(walk);
  return out.join('').trimEnd();
}

/** Renders one message's blocks (or its fallback text when it has none) as plain text. */
export function blocksToText(blocks: unknown[] | undefined, fallback = ''): string {
  if (!blocks || blocks.length === 0) return mrkdwnToText(fallback);
  const lines: string[] = [];
  for (const raw of blocks) {
    const b = raw as Block;
    switch (b.type) {
      case 'header': {
        const t = textOf(b.text);
        lines.push(t, '═'.repeat(Math.min(60, Math.max(3, t.length))));
        break;
      }
      case 'section': {
        if (b.text) lines.push(textOf(b.text));
        for (const f of b.fields ?? []) lines.push(`  ${textOf(f).replace(/\n/g, '\n  ')}`);
        if (b.accessory?.type === 'button') lines.push(`  [ ${textOf(b.accessory.text)} ]`);
        break;
      }
      case 'context':
        lines.push(
          (b.elements ?? [])
            .map((e) => {
              const el = e as TextObject & { alt_text?: string };
              return el.type === 'image' ? '' : textOf(el);
            })
            .filter(Boolean)
            .map((t) => `  · ${t}`)
            .join('\n'),
        );
        break;
      case 'divider':
        lines.push('─'.repeat(40));
        break;
      case 'actions':
        lines.push((b.elements ?? []).map((e) => `[ ${textOf((e as { text?: TextObject }).text)} ]`).join(' '));
        break;
      case 'image':
        lines.push(`[image: ${b.alt_text ?? textOf(b.title)}]`);
        break;
      case 'rich_text':
        lines.push(richText(b.elements ?? []));
        break;
      default:
        lines.push(`[${b.type ?? 'block'}]`);
    }
  }
  return lines.filter((l) => l !== '').join('\n');
}

/** Indents every line of `text` by `prefix`. */
export function indent(text: string, prefix = '  '): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : prefix + l))
    .join('\n');
}
