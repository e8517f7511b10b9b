/**
 * Coded domain errors. The code tells callers what to do: permanent codes are not retried
 * (a 403 stays a 403), transient ones are.
 */
import type { ErrorCode } from './evidence.js';

export type { ErrorCode };

const PERMANENT: ReadonlySet<ErrorCode> = new Set(['forbidden', 'not-found', 'bad-input', 'no-tool']);

export class PodnetError extends Error {
  readonly code: ErrorCode;
  /** Extra structured detail safe to show a user (never secrets). */
  readonly detail?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; detail?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PodnetError';
    this.code = code;
    this.detail = options?.detail;
  }

  /** True when trying again cannot help. */
  get permanent(): boolean {
    return PERMANENT.has(this.code);
  }
}

/** Bad user input: the message says what was wrong and what would be right. */
export class BadInputError extends PodnetError {
  readonly usage?: string;
  constructor(message: string, usage?: string) {
    super('bad-input', message);
    this.name = 'BadInputError';
    this.usage = usage;
  }
}

/** Invalid configuration: the message says which setting and how to fix it. */
export class ConfigError extends PodnetError {
  constructor(message: string) {
    super('bad-input', message);
    this.name = 'ConfigError';
  }
}

/** A one-line, user-safe description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}

export function isPermanent(err: unknown): boolean {
  return err instanceof PodnetError && err.permanent;
}
