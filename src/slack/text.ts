/**
 * Slack's text escaping. Slash command text arrives with `&`, `<`, `>` escaped and with
 * links, channels and users in `<…|…>` form; the grammar wants what the user typed.
 */

/**
 * What the user typed, from Slack's escaped form: `<http://a|a>` → `a`, `<#C1|ops>` → `#ops`,
 * `<@U1|bob>` → `@bob`, `<http://x>` → `http://x`, then `&lt;` `&gt;` `&amp;` → `<` `>` `&`.
 */
export function unescapeSlackText(text: string): string {
  return text
    .replace(/<([^<>|]*)(?:\|([^<>]*))?>/g, (_m, target: string, label: string | undefined) => {
      if (target.startsWith('#')) return label !== undefined ? `#${label}` : target;
      if (target.startsWith('@')) return label !== undefined ? `@${label}` : target;
      if (label !== undefined) return label;
      return target.replace(/^mailto:/, '');
    })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Escapes text for mrkdwn so user input cannot form mentions or links. */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
