/** echo and printf (programs, and builtins of the shell). */
import type { Writer } from '../context.js';

/** echo: `-n` drops the newline; dash's builtin also interprets backslash escapes. */
export function echoCommand(args: string[], escapes: boolean, w: Writer): number {
  let rest = args;
  let newline = true;
  if (rest[0] === '-n') {
    newline = false;
    rest = rest.slice(1);
  }
  let text = rest.join(' ');
  if (escapes) {
    const cut = text.indexOf('\\c');
    if (cut >= 0) {
      text = text.slice(0, cut);
      newline = false;
    }
    text = unescapeBackslashes(text);
  }
  w.out(newline ? `${text}\n` : text);
  return 0;
}

function unescapeBackslashes(text: string): string {
  const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', a: '\x07', b: '\b', f: '\f', v: '\v' };
  return text.replace(/\\([ntr\\abfv])/g, (_m, c: string) => map[c] ?? c);
}

/** printf: `%s`, `%d`, `%%` and backslash escapes; the format repeats while arguments are left. */
export function printfCommand(args: string[], w: Writer): number {
  const format = args[0];
  if (format === undefined) {
    w.err('printf: usage: printf format [arguments]\n');
    return 2;
  }
  let values = args.slice(1);
  // printf reuses the format until the arguments run out.
  do {
    let used = 0;
    const text = unescapeBackslashes(format).replace(/%([sd%])/g, (_m, c: string) => {
      if (c === '%') return '%';
      const value = values[used++] ?? '';
      return c === 'd' ? String(Number.parseInt(value, 10) || 0) : value;
    });
    w.out(text);
    values = values.slice(used);
    if (used === 0) break;
  } while (values.length > 0);
  return 0;
}
