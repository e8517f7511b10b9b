/** The shells as programs: `sh`/`dash`/`ash` (dash flavour) and `bash`, reading their command line. */
import type { ExecContext, ProgramRunner, Writer } from '../context.js';
import { Shell, type Flavour } from '../interpreter.js';

/**
 * `sh [-eux] -c SCRIPT [NAME [ARGS...]]`, `sh` (script on stdin); `bash` likewise.
 * `runProgram` runs the programs the script starts.
 */
export function runShell(ctx: ExecContext, flavour: Flavour, argv: string[], stdin: string, w: Writer, runProgram: ProgramRunner): number {
  const invokedAs = argv[0] ?? 'sh';
  const args = argv.slice(1);
  let command = false;
  let errexit = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      i++;
      break;
    }
    if (!/^[-+][a-zA-Z]+$/.test(arg)) break;
    if (arg.startsWith('-') && arg.includes('c')) command = true;
    if (arg.startsWith('-') && arg.includes('e')) errexit = true;
  }
  const rest = args.slice(i);
  let script: string;
  let name = invokedAs;
  let positional: string[];
  if (command) {
    if (rest[0] === undefined) {
      w.err(flavour === 'dash' ? `${invokedAs}: 0: -c requires an argument\n` : `${invokedAs}: -c: option requires an argument\n`);
      return 2;
    }
    script = rest[0];
    if (rest[1] !== undefined) name = rest[1];
    positional = rest.slice(2);
  } else if (rest[0] !== undefined) {
    w.err(flavour === 'dash' ? `${invokedAs}: 0: cannot open ${rest[0]}: No such file\n` : `${invokedAs}: ${rest[0]}: No such file or directory\n`);
    return flavour === 'dash' ? 2 : 127;
  } else {
    script = stdin;
    positional = [];
  }
  return new Shell(ctx, flavour, name, positional, '', w, { errexit, runProgram }).run(script);
}
