/**
 * Adversarial inputs for the linear-time tests and the bench: long lines built to make a
 * backtracking engine or a quadratic rule blow up (each is ~`bytes` characters).
 */

/** One line per shape, named; each about `bytes` characters long. */
export function adversarialLines(bytes: number): Record<string, string> {
  const rep = (unit: string) => unit.repeat(Math.ceil(bytes / unit.length));
  return {
    // The quadratic URL rule of the old redactor (300 KB took ~40 s).
    'a-a-a': rep('a-'),
    letters: 'a'.repeat(bytes),
    'open quotes': rep('password="'),
    'key=key=': rep('password=password='),
    'key then blanks': rep(`password${' '.repeat(50)}`),
    'url without @': rep('a://b:'),
    'url-encoded': rep('%22password%22%3A%22'),
    'pem without end': rep('-----BEGIN PRIVATE KEY-----'),
    'cookie without =': rep('Cookie:'),
    'dash p': rep(' -p'),
    'slack prefix': rep('xoxb-'),
    'jwt prefix': rep('eyJaaaa.'),
    'flag then blanks': rep(` --password${' '.repeat(30)}`),
    'is then blanks': rep(`password is${' '.repeat(30)}`),
    backslashes: rep('"password": "\\'),
  };
}

/** Patterns a backtracking engine takes exponential or polynomial time on. */
export const EVIL_PATTERNS = ['(.*)*X', '(a+)+$', '(a|a)*b', '(a|aa)+c', '([a-z]+)*=', '(\\w+\\s?)*$'];
