/**
 * Retry and retention options shared by the producer (the `check` and `logs` jobs it adds)
 * and the check job (the children it adds), so both sides agree.
 */
import type { JobsOptions } from 'bullmq';

export interface RetryOptions {
  /** Attempts for transient failures. Default 3. Permanent failures use one (UnrecoverableError). */
  attempts?: number;
  /** First backoff delay; doubles each attempt. Default 1000 ms. */
  backoffMs?: number;
}

/** Attempts with exponential backoff; completed jobs kept a day (1000 at most), failed ones a week. */
export function jobOptions(options: RetryOptions = {}): JobsOptions {
  return {
    attempts: options.attempts ?? 3,
    backoff: { type: 'exponential', delay: options.backoffMs ?? 1000 },
    removeOnComplete: { age: 24 * 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
