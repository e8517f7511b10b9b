/**
 * Secret redaction for free text (log lines, events, termination messages, command text)
 * before it is shown, posted to Slack or logged. It masks the secret and keeps enough around
 * it (the key name, the token kind) for an engineer to see what was there; ordinary log
 * text, addresses, ports and timestamps pass unchanged.
 *
 * Every rule runs in time linear in the text: each starts at a literal or at the start of a
 * word, and no rule can scan a long stretch and then fail only to be retried one character
 * later (the cause of the old quadratic URL rule: a 300 KB `a-a-a-…` line took ~40 s). The
 * bench (`npm run bench`, "redact") and test/unit/redact-linear.test.ts hold this on 1 MB
 * adversarial lines. Callers still bound what they redact ({@link redactBounded}).
 */

/** What replaces a secret value. */
export const REDACTED = '[redacted]';

/**
 * Words that make a key secret when the key ENDS with them: `db_password`, `SLACK_BOT_TOKEN`,
 * `aws_secret_access_key`, `--api-key`, `SENTRY_DSN`. Anchoring at the end keeps `max_tokens`,
 * `tokenizer` and `secretName` out. The short words (`pass`, `pw`, `pwd`, `auth`, `dsn`,
 * `salt`, `cookie`) must start the key or follow `_`/`-`/`.`, so `bypass` and `oauth2_enabled`
 * stay readable.
 */
const SECRET_WORDS =
  '(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|credentials?|authorization|secret_key_base|signing(?:[_-]?key)?|(?<![A-Za-z0-9])(?:pass|pwd|pw|auth|dsn|salt|cookie))';

/** A whole key (env name, flag without dashes, JSON key) is secret: same words, anchored at both ends. */
const SECRET_NAME = new RegExp(`^[A-Za-z0-9_.-]*?${SECRET_WORDS}$`, 'i');

/** Words after `password is` that describe the password rather than being it. */
const IS_NOT_VALUE =
  '(?:not|set|required|missing|empty|invalid|incorrect|wrong|too|expired|null|none|undefined|blank|correct|valid|ok|changed|being|a|an|the|of|for|in|from|stored|read|mounted|used|configured)\\b';

/**
 * A `-p` value that is not a password: a port (`-p 8080`, `-p8080:80/tcp`,
 * `-p 127.0.0.1:80:80`), a path (`mkdir -p /data`), or the rest of a one-dash option that
 * starts with p (`find -path`, `-perm`, `-print0`, `-prune`, `java -profile`).
 */
const NOT_A_PASSWORD = /^(?:(?:[0-9.]+:)?[0-9]{1,5}(?::[0-9]{1,5})?(?:\/(?:tcp|udp|sctp))?|[/.~$].*|ath|erm|rint0?|rintf|rune|rofile|id|ort|roto|retty|lugin|arallel)$/i;

/**
 * Where a token or key may start: at a non-alphanumeric, and also right after a URL escape
 * (`%20ghp_…`) or a JSON escape (`\nghp_…`), where `\b` would see no boundary.
 */
const START = '(?<=^|[^A-Za-z0-9]|%[0-9A-Fa-f]{2}|\\\\[nrt])';

/** A rule whose pattern starts where a token may ({@link START}). */
const at = (source: string, flags = 'g'): RegExp => new RegExp(`${START}${source}`, flags);

interface Rule {
  re: RegExp;
  replace: string | ((match: string, ...groups: string[]) => string);
}

const RULES: Rule[] = [
  // PEM private keys, whole block (also an unterminated one at the end of the text). The lazy
  // body stops at the first END or at the end: each BEGIN scans forward once and what it
  // scanned is consumed, so the rule stays linear.
  {
    re: /-----BEGIN ((?:[A-Z0-9]{1,20} ){0,4})PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    replace: (_m, kind: string) => `-----BEGIN ${kind}PRIVATE KEY-----${REDACTED}-----END ${kind}PRIVATE KEY-----`,
  },
  // Slack incoming webhooks, workflow triggers and response_urls: the path is the credential.
  // Also JSON-escaped (`https:\/\/hooks.slack.com\/services\/…`), as request bodies are logged,
  // and URL-encoded.
  // https://api.slack.com/messaging/webhooks
  { re: /https(?::|%3A)(?:\\?\/|%2F){2}hooks\.slack\.com(?:\\?\/|%2F)[^\s"'<>&]+/gi, replace: `https://hooks.slack.com/${REDACTED}` },
  // Slack tokens: xoxb-, xoxp-, xoxa-, xoxo-, xoxs-, xoxr-, xoxe-; app-level xapp-.
  { re: at('(xox[abposre]|xapp)-[A-Za-z0-9-]{8,}'), replace: `$1-${REDACTED}` },
  // GitHub tokens.
  { re: at('(gh[pousr])_[A-Za-z0-9]{20,}'), replace: `$1_${REDACTED}` },
  { re: at('github_pat_[A-Za-z0-9_]{20,}'), replace: `github_pat_${REDACTED}` },
  // GitLab tokens (personal, deploy, runner, trigger, feed, OAuth app, CI job).
  // https://docs.gitlab.com/ee/security/token_overview.html#token-prefixes
  { re: at('(gl(?:pat|dt|rt|ptt|ft|oas|soat|cbt|imt|agent))-[A-Za-z0-9_-]{16,}'), replace: `$1-${REDACTED}` },
  // OpenAI / Anthropic style keys: sk-…, sk-proj-…, sk-ant-….
  { re: at('sk-(?:(proj|ant|svcacct|admin)-)?[A-Za-z0-9_-]{16,}'), replace: (_m, kind: string | undefined) => `sk-${kind ? `${kind}-` : ''}${REDACTED}` },
  // Stripe secret and restricted keys. https://docs.stripe.com/keys
  { re: at('([sr]k_(?:live|test))_[A-Za-z0-9]{10,}'), replace: `$1_${REDACTED}` },
  // Google API keys. https://cloud.google.com/docs/authentication/api-keys
  { re: at('AIza[0-9A-Za-z_-]{30,}'), replace: `AIza${REDACTED}` },
  // npm, Hugging Face and Docker Hub access tokens.
  { re: at('npm_[A-Za-z0-9]{30,}'), replace: `npm_${REDACTED}` },
  { re: at('hf_[A-Za-z0-9]{30,}'), replace: `hf_${REDACTED}` },
  { re: at('dckr_pat_[A-Za-z0-9_-]{20,}'), replace: `dckr_pat_${REDACTED}` },
  // SendGrid API keys: SG.<22>.<43>.
  { re: at('SG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}'), replace: `SG.${REDACTED}` },
  // AWS access key ids (the secret key is caught by its key name below).
  { re: at('(AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])'), replace: `$1${REDACTED}` },
  // JSON Web Tokens (also Kubernetes service-account tokens).
  { re: at('eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*'), replace: `eyJ${REDACTED}` },
  // Authorization schemes.
  { re: at('(Bearer|Basic|Token|Digest)([ \\t]+|%20)[A-Za-z0-9._~+/=-]{8,}'), replace: `$1$2${REDACTED}` },
  // user:password@ in URLs (redis://:pw@host, https://user:pw@host). Anchored at `://` and
  // neither part crosses a `/`, so a scan ends at the next URL: linear (the old rule matched
  // the scheme first and rescanned every `a-a-a-…` run from each of its letters).
  { re: /(?<=[A-Za-z0-9])(:\/\/[^/\s:@]*):[^/\s@]+@/g, replace: `$1:${REDACTED}@` },
  // Sentry DSNs: the key is the user part. https://docs.sentry.io/concepts/key-terms/dsn-explainer/
  { re: /(?<=[A-Za-z0-9]:\/\/)[0-9a-f]{32}(?=(?::[0-9a-f]{32})?@)/g, replace: REDACTED },
  // Cookie headers: every cookie's value (the names stay, they say which session it was). A
  // cookie name starts only after `;` or a blank, so a long run without `=` is scanned once.
  {
    re: /\b((?:Set-)?Cookie)([ \t]*:[ \t]*)([^\r\n]*)/gi,
    replace: (_m, name: string, sep: string, value: string) => `${name}${sep}${value.replace(/(?<=^|[;\s])([^=;\s]+)=([^;\s]*)/g, `$1=${REDACTED}`)}`,
  },
  // `mysql -uroot -phunter2`: a password glued to -p. A port (`-p8080`) is not masked.
  {
    re: /(?<=^|[\s"'=])-p(?!\[redacted\])([^\s"'-][^\s"']*)/g,
    replace: (m, value: string) => (NOT_A_PASSWORD.test(value) ? m : `-p${REDACTED}`),
  },
  // `--password hunter2`, `--db-pass x`, `-p x` (flag, blank, value): the value after a
  // secret-named flag. A flag followed by another flag has no value to mask.
  {
    re: new RegExp(`(?<=^|[\\s"'])(--?(?:[A-Za-z0-9_.-]*?${SECRET_WORDS}|p))([ \\t]+)(?!-)(?!\\[redacted\\])([^\\s"']+)`, 'gi'),
    replace: (m, flag: string, sep: string, value: string) => (flag === '-p' && NOT_A_PASSWORD.test(value) ? m : `${flag}${sep}${REDACTED}`),
  },
  // key=value, key: value, "key": "value", 'key': 'value', key="value", "key" => "value",
  // key is value, URL-encoded key%3Dvalue / %22key%22%3A%22value%22, and JSON-escaped
  // \"key\": \"value\" (a JSON body logged as a JSON string). A value an earlier
  // rule already masked (`xoxb-[redacted]`) is taken whole, so no stray bracket is left. An
  // unterminated quoted value is masked to the end of the line.
  {
    re: new RegExp(
      `(?<=^|[^A-Za-z0-9_.-]|%[0-9A-Fa-f]{2}|\\\\[nrt])(["']|%22|\\\\")?([A-Za-z0-9_.-]*?${SECRET_WORDS})\\1` +
        `([ \\t]*(?:=>|[:=]|%3[AaDd])[ \\t]*|[ \\t]+is[ \\t]+(?!${IS_NOT_VALUE}))` +
        `(?:(Bearer|Basic|Token|Digest)[ \\t]+)?` +
        `(\\[redacted\\]|%22(?:[^%\\s&]|%(?!22))*(?:%22)?|\\\\"(?:[^"\\\\\\r\\n]|\\\\[^"\\r\\n])*(?:\\\\")?|"(?:[^"\\\\\\r\\n]|\\\\.)*"?|'(?:[^'\\\\\\r\\n]|\\\\.)*'?|[^\\s,;&"'}\\]]*\\[redacted\\]|[^\\s,;&"'}\\]]+)`,
      'gi',
    ),
    replace: (_m, q: string | undefined, key: string, sep: string, scheme: string | undefined, value: string) => {
      const quote = value.startsWith('%22') ? '%22' : value.startsWith('\\"') ? '\\"' : value.startsWith('"') || value.startsWith("'") ? value[0]! : '';
      const closed = quote !== '' && value.length > quote.length && value.endsWith(quote);
      const masked = quote ? `${quote}${REDACTED}${closed ? quote : ''}` : REDACTED;
      return `${q ?? ''}${key}${q ?? ''}${sep}${scheme ? `${scheme} ` : ''}${masked}`;
    },
  },
];

/**
 * Masks tokens, passwords and keys in `text`: Slack, GitHub, GitLab, OpenAI, Stripe, Google,
 * npm, Hugging Face, Docker Hub, SendGrid and AWS tokens, JWTs, `Bearer` credentials, PEM
 * private-key blocks, Slack webhook URLs, `user:password@` in URLs, Sentry DSN keys, cookie
 * values, `-pPASSWORD`, the value after a secret-named flag (`--password x`), and values of
 * secret-named keys (`password=`, `token:`, `"api_key": "…"`, `"token" => "v"`,
 * `db_password is x`, `password%3D…`, `AWS_SECRET_ACCESS_KEY=`). Idempotent. Linear in the
 * length of `text`; callers that take text from outside bound it first ({@link redactBounded}).
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, rule.replace as (substring: string, ...args: string[]) => string);
  }
  return out;
}

/**
 * Slack along the cut: what is kept past `max` before redacting, so a secret straddling the
 * cut is still recognised by its prefix and masked, not left half-shown.
 */
const CUT_MARGIN = 512;

/**
 * Redacts at most `max` characters of `text`: cuts first (with a margin, so a secret across the
 * cut is still seen whole), then redacts, then cuts to `max`. What a caller showing or logging
 * outside text should use: the cost is bounded by `max`, not by what the outside sent.
 */
export function redactBounded(text: string, max: number): string {
  if (text.length <= max) return redactSecrets(text);
  return redactSecrets(text.slice(0, max + CUT_MARGIN)).slice(0, max);
}

/**
 * Redacts a large text (a whole log for a file) line by line, each line cut at `maxLine`
 * characters with a note saying so. Linear in the text, whatever its lines look like.
 */
export function redactLines(text: string, maxLine: number): string {
  const out: string[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    out.push(line.length > maxLine ? `${redactBounded(line, maxLine)} [line cut at ${maxLine} characters]` : redactSecrets(line));
    start = end + 1;
  }
  return out.join('\n');
}

/**
 * True when a name (env var, flag without its dashes, JSON key) says its value is a secret:
 * `DB_PASSWORD`, `DB_PASS`, `ADMIN_PW`, `PASS`, `API_PASS`, `SENTRY_DSN`, `COOKIE_SALT`,
 * `SESSION_SIGNING`, `SLACK_BOT_TOKEN`, `--api-key`.
 */
export function isSecretName(name: string): boolean {
  const bare = name.replace(/^-+/, '');
  return bare.length <= 256 && SECRET_NAME.test(bare);
}

/** Longest single string {@link redactDeep} keeps: evidence strings are lines, not files. */
export const DEEP_MAX_CHARS = 16 * 1024;

/**
 * A copy of `value` with every string in it redacted ({@link redactBounded}, each cut at
 * `max`): every free-text field of evidence (termination messages, event messages, step
 * errors, dial details, log lines) whatever its name, including fields added later. Keys are
 * kept; numbers, booleans and null pass through. Structured strings (addresses, ports,
 * names, timestamps) contain no secret shape and come back unchanged.
 */
export function redactDeep<T>(value: T, max: number = DEEP_MAX_CHARS): T {
  if (typeof value === 'string') return redactBounded(value, max) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, max)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, max);
    return out as T;
  }
  return value;
}
