/**
 * Simulated time for one exec in the simulator. A simulated program that would block (a
 * connect whose SYN is dropped, `sleep`) advances this clock instead of waiting, so a dial
 * that times out after 2 s on a real cluster returns at once here — with the real tool's
 * words and exit status. `timeout` (coreutils) sets a deadline: a wait that would pass it
 * ends at the deadline by throwing {@link DeadlineReached}, which the `timeout` that set it
 * catches and turns into its exit status, as the real one kills its child.
 */

/** Thrown by {@link SimClock.wait} when a deadline set by `timeout` falls inside the wait. */
export class DeadlineReached extends Error {
  constructor(readonly deadline: number) {
    super(`simulated deadline ${deadline} s reached`);
  }
}

/** The clock of one exec, in simulated seconds from its start. */
export class SimClock {
  /** Seconds since the exec started. */
  now = 0;
  private readonly deadlines: number[] = [];

  /** Passes `seconds`, or throws DeadlineReached at the earliest deadline inside them. */
  wait(seconds: number): void {
    const end = this.now + Math.max(0, seconds);
    const first = Math.min(...this.deadlines, Infinity);
    if (first <= end) {
      this.now = first;
      throw new DeadlineReached(first);
    }
    this.now = end;
  }

  /**
   * Runs `body` with a deadline `seconds` from now (0 = none, as coreutils `timeout 0`).
   * Returns `{ status }` from body, or `{ killed: true }` when this deadline ended it; a
   * deadline of an outer `within` passes through.
   */
  within(seconds: number, body: () => number): { status: number; killed: false } | { killed: true } {
    if (seconds <= 0) return { status: body(), killed: false };
    const deadline = this.now + seconds;
    this.deadlines.push(deadline);
    try {
      return { status: body(), killed: false };
    } catch (error) {
      if (error instanceof DeadlineReached && error.deadline === deadline) return { killed: true };
      throw error;
    } finally {
      this.deadlines.splice(this.deadlines.lastIndexOf(deadline), 1);
    }
  }
}

/**
 * A coreutils duration (`timeout`, `sleep`): a non-negative number with an optional suffix
 * s, m, h or d (https://www.gnu.org/software/coreutils/manual/html_node/timeout-invocation.html).
 * Undefined when it is not one.
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(text);
  if (!m) return undefined;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
