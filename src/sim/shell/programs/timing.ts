/** coreutils sleep and timeout, on the exec's simulated clock. */
import { parseDuration } from '../../clock.js';
import { clockOf, hasTool, type ExecContext, type ProgramRunner, type Writer } from '../context.js';

/** coreutils sleep: passes simulated time (so a `timeout` around it fires), never real time. */
export function sleepProgram(ctx: ExecContext, args: string[], w: Writer): number {
  if (args.length === 0) {
    w.err("sleep: missing operand\nTry 'sleep --help' for more information.\n");
    return 1;
  }
  let total = 0;
  for (const arg of args) {
    const seconds = parseDuration(arg);
    if (seconds === undefined) {
      w.err(`sleep: invalid time interval '${arg}'\nTry 'sleep --help' for more information.\n`);
      return 1;
    }
    total += seconds;
  }
  clockOf(ctx).wait(total);
  return 0;
}

/**
 * coreutils timeout: runs the program (never a shell builtin) with a deadline on the exec's
 * simulated clock. When the program would still be waiting at the deadline, it is killed:
 * what it printed so far stays, and the status is 124 (or 128+9 = 137 for `-s KILL`), as
 * https://www.gnu.org/software/coreutils/manual/html_node/timeout-invocation.html says.
 * `runProgram` starts the program (the runtime's program table, passed in to keep imports one way).
 */
export function timeoutProgram(ctx: ExecContext, args: string[], stdin: string, w: Writer, runProgram: ProgramRunner): number {
  let i = 0;
  let signal = 'TERM';
  while (i < args.length && (args[i] ?? '').startsWith('-')) {
    const opt = args[i] ?? '';
    if (opt === '-s' || opt === '--signal') signal = (args[i + 1] ?? '').replace(/^SIG/, '');
    else if (opt.startsWith('--signal=')) signal = opt.slice('--signal='.length).replace(/^SIG/, '');
    i += opt === '-s' || opt === '-k' || opt === '--signal' || opt === '--kill-after' ? 2 : 1;
  }
  const command = args.slice(i + 1);
  const program = command[0];
  if (args[i] === undefined || program === undefined) {
    w.err("timeout: missing operand\nTry 'timeout --help' for more information.\n");
    return 125;
  }
  const seconds = parseDuration(args[i] ?? '');
  if (seconds === undefined) {
    w.err(`timeout: invalid time interval '${args[i] ?? ''}'\nTry 'timeout --help' for more information.\n`);
    return 125;
  }
  if (!hasTool(ctx, program)) {
    w.err(`timeout: failed to run command '${program}': No such file or directory\n`);
    return 127;
  }
  const run = clockOf(ctx).within(seconds, () => runProgram(ctx, command, stdin, w));
  if (!run.killed) return run.status;
  return signal === 'KILL' || signal === '9' ? 137 : 124;
}
