/** The programs the simulator models, by executable name. */
import { basename, findOverride, type ExecContext, type Writer } from '../context.js';
import { catProgram, readlinkProgram } from './files.js';
import { ncProgram } from './netcat.js';
import { runShell } from './shell.js';
import { testCommand } from './test-command.js';
import { echoCommand } from './text.js';
import { sleepProgram, timeoutProgram } from './timing.js';

/** Runs an executable that the runtime (or a shell's PATH lookup) found in the image. */
export function runProgram(ctx: ExecContext, argv: string[], stdin: string, w: Writer): number {
  const override = findOverride(ctx, argv);
  if (override) {
    w.out(override.stdout ?? '');
    w.err(override.stderr ?? '');
    return override.exitCode ?? 0;
  }
  const name = basename(argv[0] ?? '');
  const args = argv.slice(1);
  switch (name) {
    case 'sh':
    case 'dash':
    case 'ash':
      return runShell(ctx, 'dash', argv, stdin, w, runProgram);
    case 'bash':
      return runShell(ctx, 'bash', argv, stdin, w, runProgram);
    case 'cat':
      return catProgram(ctx, args, stdin, w);
    case 'readlink':
      return readlinkProgram(ctx, args, w);
    case 'nc':
    case 'netcat':
    case 'nc.openbsd':
      return ncProgram(ctx, args, w);
    case 'timeout':
      return timeoutProgram(ctx, args, stdin, w, runProgram);
    case 'echo':
      return echoCommand(args, false, w);
    case 'true':
      return 0;
    case 'sleep':
      return sleepProgram(ctx, args, w);
    case 'false':
      return 1;
    case 'hostname':
      w.out(`${ctx.pod}\n`);
      return 0;
    case 'test':
      return testCommand(args, ctx, w, 'test');
    case '[':
      return testCommand(args, ctx, w, '[');
    default:
      w.err(`${name}: unsupported by podnet simulator: no model for this program; add an exec override to the scenario\n`);
      return 2;
  }
}
