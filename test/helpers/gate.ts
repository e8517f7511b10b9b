/**
 * A gate a test holds shut while it watches the order of events: code under test awaits
 * `passed`, and the test opens it once the event that must come first has happened. The
 * fallback opens it after `fallbackMs` anyway, only so that a broken implementation (one
 * that waits on the gate where it must not) fails the test instead of hanging it.
 */
export interface Gate {
  /** Resolves when the gate opens. */
  readonly passed: Promise<void>;
  /** Opens the gate (and cancels the fallback); opening twice is harmless. */
  open(): void;
}

export function gate(fallbackMs: number): Gate {
  let resolve!: () => void;
  const passed = new Promise<void>((r) => {
    resolve = r;
  });
  const fallback = setTimeout(() => resolve(), fallbackMs);
  return {
    passed,
    open() {
      clearTimeout(fallback);
      resolve();
    },
  };
}
