/**
 * Validators for the values users type: Kubernetes names, durations, ports, label
 * selectors, regexes, image references. Each returns the parsed value or throws
 * BadInputError whose message says what was wrong and what would be right.
 */
import { BadInputError } from '../errors.js';
import { compileGrep } from '../logscan/grep.js';

/** RFC 1123 label, as Kubernetes checks namespaces and container names. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain, as Kubernetes checks pod names (dots allowed between labels). */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const MAX_LABEL = 63;
export const MAX_SUBDOMAIN = 253;

/** True for a DNS-1123 label (namespace, container name). */
export function isDnsLabel(value: string): boolean {
  return value.length <= MAX_LABEL && DNS1123_LABEL.test(value);
}

/** True for a DNS-1123 subdomain (pod name). */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= MAX_SUBDOMAIN && DNS1123_SUBDOMAIN.test(value);
}

function hint(value: string): string {
  const lower = value.toLowerCase().replace(/_/g, '-');
  return lower !== value && (isDnsSubdomain(lower) || isDnsLabel(lower)) ? ` (did you mean "${lower}"?)` : '';
}

/** A namespace, container or cluster name: DNS-1123 label. */
export function validateLabel(value: string, what: string): string {
  if (value.length > MAX_LABEL) {
    throw new BadInputError(`"${value.slice(0, 70)}…" is not a valid ${what}: at most ${MAX_LABEL} characters`);
  }
  if (!DNS1123_LABEL.test(value)) {
    throw new BadInputError(
      `"${value}" is not a valid ${what}: use lowercase letters, digits and '-', starting and ending with a letter or digit${hint(value)}`,
    );
  }
  return value;
}

/** A pod name: DNS-1123 subdomain (Kubernetes allows dots in pod names). */
export function validatePodName(value: string): string {
  if (value.length > MAX_SUBDOMAIN) {
    throw new BadInputError(`"${value.slice(0, 70)}…" is not a valid pod name: at most ${MAX_SUBDOMAIN} characters`);
  }
  if (!DNS1123_SUBDOMAIN.test(value)) {
    throw new BadInputError(
      `"${value}" is not a valid pod name: use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit${hint(value)}`,
    );
  }
  return value;
}

/** A TCP port, 1..65535. */
export function validatePort(value: string, flag = '--port'): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new BadInputError(`${flag} must be a port number from 1 to 65535 (got "${value}")`);
  }
  return Number(value);
}

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * Seconds in a duration like `30s`, `10m`, `1h` or `1h30m`, checked against bounds.
 * @param bounds inclusive, in seconds
 */
export function validateDuration(value: string, flag: string, bounds: { min: number; max: number }): number {
  const m = DURATION.exec(value);
  if (value === '' || !m || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) {
    throw new BadInputError(`${flag} must be a duration like 30s, 10m or 1h (got "${value}")`);
  }
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  if (seconds < bounds.min || seconds > bounds.max) {
    throw new BadInputError(`${flag} must be between ${formatDuration(bounds.min)} and ${formatDuration(bounds.max)} (got ${value})`);
  }
  return seconds;
}

/** `90` -> `1m30s`; the inverse of the duration syntax above. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const out = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return out === '' ? '0s' : out;
}

/** Longest accepted `--grep` pattern: a pattern is for a person to read back in Slack. */
export const MAX_GREP = 200;

/**
 * A `--grep` regular expression: bounded length, and RE2 must take it (src/logscan/grep.ts:
 * patterns run in linear time, so no back-references or look-around).
 */
export function validateRegex(value: string, flag = '--grep'): string {
  if (value.length === 0) throw new BadInputError(`${flag} needs a pattern, e.g. ${flag} 'connection refused'`);
  if (value.length > MAX_GREP) {
    throw new BadInputError(`${flag} pattern is ${value.length} characters; at most ${MAX_GREP} are accepted`);
  }
  compileGrep(value, { flag });
  return value;
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function validLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash === -1) return key.length <= MAX_LABEL && LABEL_NAME.test(key);
  const prefix = key.slice(0, slash);
  const name = key.slice(slash + 1);
  return isDnsSubdomain(prefix) && name.length <= MAX_LABEL && LABEL_NAME.test(name);
}

function validLabelValue(value: string): boolean {
  return value === '' || (value.length <= MAX_LABEL && LABEL_NAME.test(value));
}

/** Splits on commas that are not inside `( … )`. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/**
 * A Kubernetes label selector: comma-separated `key`, `!key`, `key=value`, `key==value`,
 * `key!=value`, `key in (a,b)`, `key notin (a,b)`. Returns it with whitespace normalised.
 */
export function validateSelector(value: string, flag = '-l'): string {
  const bad = (why: string): never => {
    throw new BadInputError(
      `${flag} "${value}" is not a valid label selector: ${why}; use e.g. app=mlserver,tier!=cache or 'app in (a,b)'`,
    );
  };
  if (value.trim() === '') bad('it is empty');
  const out: string[] = [];
  for (const raw of splitRequirements(value)) {
    const req = raw.trim();
    if (req === '') bad('empty requirement between commas');
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(req))) {
      const [, key = '', op = '', list = ''] = m;
      if (!validLabelKey(key)) bad(`"${key}" is not a valid label key`);
      const values = list.split(',').map((v) => v.trim());
      if (values.length === 0 || values.some((v) => !validLabelValue(v)) || values.every((v) => v === '')) {
        bad(`"(${list})" is not a valid value list`);
      }
      out.push(`${key} ${op} (${values.join(',')})`);
    } else if ((m = /^([^=!\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(req))) {
      const [, key = '', op = '', val = ''] = m;
      if (!validLabelKey(key)) bad(`"${key}" is not a valid label key`);
      if (!validLabelValue(val)) bad(`"${val}" is not a valid label value`);
      out.push(`${key}${op}${val}`);
    } else if ((m = /^(!?)\s*([^=!\s()]+)$/.exec(req))) {
      const [, not = '', key = ''] = m;
      if (!validLabelKey(key)) bad(`"${key}" is not a valid label key`);
      out.push(`${not}${key}`);
    } else {
      bad(`cannot read "${req}"`);
    }
  }
  return out.join(',');
}

/**
 * A container image reference for `--debug-container`: registry/path[:tag][@digest].
 * Deliberately strict (no spaces or shell characters) although it is only ever passed as data.
 */
export function validateImage(value: string, flag = '--debug-container'): string {
  const ok =
    value.length <= 255 &&
    /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/.test(value);
  if (!ok) {
    throw new BadInputError(`${flag} "${value}" is not a valid image reference: use e.g. busybox:1.36 or nicolaka/netshoot:v0.13`);
  }
  return value;
}

/** A runbook name: lowercase letters, digits, '-', '_' and '.', at most 63 characters. */
export function validateRunbookName(value: string): string {
  if (value.length > MAX_LABEL || !/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/.test(value)) {
    throw new BadInputError(`"${value}" is not a valid runbook name: use lowercase letters, digits, '-', '_' and '.' (see runbook list)`);
  }
  return value;
}
