/** The container runtime's side of an exec: an override, a missing executable, or the program. */
import { createHash } from 'node:crypto';
import { SimClock } from '../clock.js';
import { findOverride, hasTool, Output, type ExecContext, type ExecOutcome } from './context.js';
import { runProgram } from './programs/index.js';

/**
 * Runs `argv` in the container as the container runtime would for an exec: an override
 * matching the argv exactly wins; otherwise argv[0] must be one of `ctx.tools` (an
 * absolute path is looked up by its basename), or the exec fails to start.
 */
export function runCommand(execCtx: ExecContext, argv: string[]): ExecOutcome {
  const ctx: ExecContext = { ...execCtx, clock: new SimClock() };
  const sink = new Output();
  const override = overrideReply(ctx, argv);
  if (override) return override;
  const name = argv[0];
  if (name === undefined || name === '') {
    return { stdout: '', stderr: '', exitCode: 0, failure: runtimeFailure(ctx, argv, 'exec: "": executable file not found in $PATH') };
  }
  if (!hasTool(ctx, name)) {
    const why = name.includes('/')
      ? `exec: "${name}": stat ${name}: no such file or directory`
      : `exec: "${name}": executable file not found in $PATH`;
    return { stdout: '', stderr: '', exitCode: 0, failure: runtimeFailure(ctx, argv, why) };
  }
  const exitCode = runProgram(ctx, argv, '', sink.writer());
  return { stdout: sink.stdout, stderr: sink.stderr, exitCode };
}

/** containerd's wording for a process runc could not start (exec id derived from the request). */
export function runtimeFailure(ctx: ExecContext, argv: string[], why: string): string {
  const execId = createHash('sha256').update(JSON.stringify([ctx.namespace, ctx.pod, ctx.container, argv])).digest('hex');
  return (
    `failed to exec in container: failed to start exec "${execId}": ` +
    `OCI runtime exec failed: exec failed: unable to start container process: ${why}: unknown`
  );
}

/** The scenario's exact reply for this argv, if it has one (it wins over any program, in lab mode too). */
export function overrideReply(ctx: ExecContext, argv: string[]): ExecOutcome | undefined {
  const o = findOverride(ctx, argv);
  return o ? { stdout: o.stdout ?? '', stderr: o.stderr ?? '', exitCode: o.exitCode ?? 0 } : undefined;
}
