/** test and [ (programs, and builtins of the shell). */
import { hasTool, type ExecContext, type Writer } from '../context.js';
import { readModelFile } from './files.js';

/** test / [ : enough for probes that check a file or compare strings and numbers. */
export function testCommand(args: string[], ctx: ExecContext, w: Writer, name: 'test' | '['): number {
  let operands = args;
  if (name === '[') {
    if (operands[operands.length - 1] !== ']') {
      w.err('[: missing ]\n');
      return 2;
    }
    operands = operands.slice(0, -1);
  }
  let negate = false;
  if (operands[0] === '!' && operands.length > 1) {
    negate = true;
    operands = operands.slice(1);
  }
  const truth = (value: boolean): number => (value !== negate ? 0 : 1);
  if (operands.length === 0) return truth(false);
  if (operands.length === 1) return truth((operands[0] ?? '') !== '');
  if (operands.length === 2) {
    const [op, value = ''] = operands;
    const file = readModelFile(ctx, value);
    switch (op) {
      case '-n':
        return truth(value !== '');
      case '-z':
        return truth(value === '');
      case '-e':
      case '-f':
      case '-r':
        return truth(file !== undefined);
      case '-s':
        return truth(file !== undefined && file.length > 0);
      case '-d':
        return truth(['/', '/proc', '/proc/net', '/etc', '/dev', '/tmp'].includes(value));
      case '-x':
        return truth(hasTool(ctx, value) && value.includes('/'));
    }
  }
  if (operands.length === 3) {
    const [a = '', op, b = ''] = operands;
    const numbers = (): [number, number] | undefined =>
      /^-?\d+$/.test(a.trim()) && /^-?\d+$/.test(b.trim()) ? [Number(a), Number(b)] : undefined;
    switch (op) {
      case '=':
      case '==':
        return truth(a === b);
      case '!=':
        return truth(a !== b);
      case '-eq':
      case '-ne':
      case '-lt':
      case '-le':
      case '-gt':
      case '-ge': {
        const n = numbers();
        if (!n) {
          w.err(`${name}: Illegal number: ${/^-?\d+$/.test(a.trim()) ? b : a}\n`);
          return 2;
        }
        const [x, y] = n;
        const results: Record<string, boolean> = { '-eq': x === y, '-ne': x !== y, '-lt': x < y, '-le': x <= y, '-gt': x > y, '-ge': x >= y };
        return truth(results[op] ?? false);
      }
    }
  }
  w.err(`${name}: unsupported by podnet simulator: test expression ${JSON.stringify(args.join(' '))}\n`);
  return 2;
}
