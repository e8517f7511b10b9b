/** What a program run in a simulated container sees (its context) and where it writes. */
import { SimClock } from '../clock.js';
import type { SimListener, SimNetwork } from '../netmodel.js';

/** An exact reply for one argv, from the scenario's `exec` list. */
export interface ExecOverride {
  argv: string[];
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

/** Everything a command run in one container can see. */
export interface ExecContext {
  namespace: string;
  pod: string;
  container: string;
  /** `status.podIP`; dials to it (or to the pod's hostname) are local. */
  podIP?: string;
  /** Executables present in the container image (`sh`, `cat`, `nc` ...). */
  tools: string[];
  /** Inode of the container's network namespace (`readlink /proc/self/ns/net`). */
  netnsInode: number;
  /** All listeners in this container's network namespace. */
  listeners: SimListener[];
  /** Exact replies; matched against the exec argv and against each command a script runs. */
  overrides: ExecOverride[];
  /** Where a dial to an address outside the namespace goes; absent = nowhere (it times out). */
  network?: SimNetwork;
  /** Simulated time of this exec (runCommand makes one): waits pass instantly, `timeout` cuts them. */
  clock?: SimClock;
}

/** The result of one exec. */
export interface ExecOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
  /**
   * Set when the runtime could not start the process at all; the text is the CRI
   * runtime's error, e.g. `failed to exec in container: failed to start exec "ID": OCI
   * runtime exec failed: exec failed: unable to start container process: exec: "nc":
   * executable file not found in $PATH: unknown`. stdout/stderr are empty then.
   */
  failure?: string;
}

/** An exec override matching `argv` exactly, if the scenario has one. */
export function findOverride(ctx: ExecContext, argv: string[]): ExecOverride | undefined {
  return ctx.overrides.find((o) => o.argv.length === argv.length && o.argv.every((a, i) => a === argv[i]));
}

/** The last path segment (`/usr/bin/nc` → `nc`). */
export const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** Whether the image has the executable: by basename, or by the exact path. */
export function hasTool(ctx: ExecContext, name: string): boolean {
  return ctx.tools.includes(basename(name)) || ctx.tools.includes(name);
}

/** Where a program writes: fd 1 and fd 2 after redirections. */
export interface Writer {
  out(text: string): void;
  err(text: string): void;
}

/** Collects what a program writes to fd 1 and fd 2. */
export class Output {
  stdout = '';
  stderr = '';
  writer(): Writer {
    return { out: (t) => (this.stdout += t), err: (t) => (this.stderr += t) };
  }
}

/** Runs one program (argv[0] already found in the image) and gives its exit status. */
export type ProgramRunner = (ctx: ExecContext, argv: string[], stdin: string, w: Writer) => number;

/** The exec's simulated clock (a context built outside runCommand gets a fresh one). */
export function clockOf(ctx: ExecContext): SimClock {
  ctx.clock ??= new SimClock();
  return ctx.clock;
}
