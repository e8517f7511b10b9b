/**
 * Secret redaction for free text (log lines, command output) before it is shown, posted to
 * Slack or logged. It masks the secret and keeps enough around it (the key name, the token
 * kind) for an engineer to see what was there; ordinary log text, addresses, ports and
 * timestamps pass unchanged.
 */

/** What replaces a secret value. */
export const REDACTED = '[redacted]';

/**
 * Key names whose value is a secret, as the END of a key: `db_password`, `SLACK_BOT_TOKEN`,
 * `aws_secret_access_key`, `--api-key`. Anchoring at the end keeps `max_tokens`,
 * `tokenizer` and `secretName` out.
 */
const SECRET_KEY =
  '[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|credentials?|authorization)';

interface Rule {
  re: RegExp;
  replace: string | ((match: string, ...groups: string[]) => string);
}

const RULES: Rule[] = [
  // PEM private keys, whole block (also an unterminated one at the end of the text).
  {
    re: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    replace: (_m, kind: string) => `-----BEGIN ${kind}PRIVATE KEY-----${REDACTED}-----END ${kind}PRIVATE KEY-----`,
  },
  // Slack tokens: xoxb-, xoxp-, xoxa-, xoxo-, xoxs-, xoxr-; app-level xapp-.
  { re: /\b(xox[abposr]|xapp)-[A-Za-z0-9-]{8,}/g, replace: `$1-${REDACTED}` },
  // GitHub tokens.
  { re: /\b(gh[pousr])_[A-Za-z0-9]{20,}/g, replace: `$1_${REDACTED}` },
  { re: /\bgithub_pat_[A-Za-z0-9_]{20,}/g, replace: `github_pat_${REDACTED}` },
  // AWS access key ids (the secret key is caught by its key name below).
  { re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: `$1${REDACTED}` },
  // JSON Web Tokens (also Kubernetes service-account tokens).
  { re: /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, replace: `eyJ${REDACTED}` },
  // Authorization schemes.
  { re: /\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{8,}/g, replace: `$1$2${REDACTED}` },
  // user:password@ in URLs (redis://:pw@host, https://user:pw@host).
  { re: /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^/\s@]+@/gi, replace: `$1:${REDACTED}@` },
  // key=value, key: value, "key": "value", 'key': 'value', key="value". A value an earlier
  // rule already masked (`xoxb-[redacted]`) is taken whole, so no stray bracket is left.
  {
    re: new RegExp(
      `(?<![A-Za-z0-9_.-])(["']?)(${SECRET_KEY})\\1(\\s*[:=]\\s*)(?:(Bearer|Basic|Token|Digest)\\s+)?(\\[redacted\\]|"[^"]*"|'[^']*'|[^\\s,;&"'}\\]]*\\[redacted\\]|[^\\s,;&"'}\\]]+)`,
      'gi',
    ),
    replace: (_m, q: string, key: string, sep: string, scheme: string | undefined, value: string) => {
      const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
      const masked = quote ? `${quote}${REDACTED}${quote}` : REDACTED;
      return `${q}${key}${q}${sep}${scheme ? `${scheme} ` : ''}${masked}`;
    },
  },
];

/**
 * Masks tokens, passwords and keys in `text`: Slack, GitHub and AWS tokens, JWTs, `Bearer`
 * credentials, PEM private-key blocks, `user:password@` in URLs, and values of secret-named
 * keys (`password=`, `token:`, `"api_key": "…"`, `AWS_SECRET_ACCESS_KEY=`). Idempotent.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, rule.replace as (substring: string, ...args: string[]) => string);
  }
  return out;
}
