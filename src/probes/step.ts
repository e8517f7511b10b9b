/**
 * Runs one probe step and records how it went as a {@link Step}. A failed step is data, not an
 * exception: the check goes on and the user sees what could not be collected and why.
 */
import { PodnetError, describeError } from '../errors.js';
import type { ErrorCode, Step } from '../evidence.js';

/** Where steps are recorded, and who hears about them as they finish. */
export interface StepSink {
  steps: Step[];
  onProgress?: (step: Step) => void;
}

/** Records a step that did not throw but still failed (e.g. a missing tool). */
export function recordStep(sink: StepSink, step: Step): void {
  sink.steps.push(step);
  sink.onProgress?.(step);
}

/** Records a failed step from a thrown value. */
export function failStep(sink: StepSink, name: string, err: unknown, durationMs?: number): void {
  const code: ErrorCode = err instanceof PodnetError ? err.code : 'internal';
  recordStep(sink, { name, ok: false, code, error: describeError(err), ...(durationMs === undefined ? {} : { durationMs }) });
}

/**
 * Runs `fn` as the step `name`. Resolves to its result, or to `undefined` after recording the
 * failure. Never rejects.
 */
export async function runStep<T>(sink: StepSink, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  const started = performance.now();
  try {
    const result = await fn();
    recordStep(sink, { name, ok: true, durationMs: Math.round(performance.now() - started) });
    return result;
  } catch (err) {
    failStep(sink, name, err, Math.round(performance.now() - started));
    return undefined;
  }
}

/** ISO string of a client-node Date (or a fixture's string), or undefined. */
export function toIso(value: Date | string | undefined | null): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  return value;
}
