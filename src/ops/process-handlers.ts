/**
 * Last-resort handlers for the long-running processes (bot, worker): an error nobody caught
 * becomes one JSON log line instead of Node's multi-line stack dump on stderr.
 *
 * - `unhandledRejection`: logged, and the process goes on. A promise someone forgot to await
 *   (a stray notice, a metrics push) must not take the bot down in the middle of an incident;
 *   Node's default since v15 is to crash (nodejs.org/api/cli.html#--unhandled-rejectionsmode).
 * - `uncaughtException`: logged, then exit 1. After a synchronous throw nothing is known about
 *   the process's state (nodejs.org/api/process.html#warning-using-uncaughtexception-correctly:
 *   "It is not safe to resume normal operation after 'uncaughtException'"); Kubernetes restarts
 *   it and BullMQ's stall detection hands its running jobs to another worker.
 */
import type { EventEmitter } from 'node:events';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';

export interface ProcessLike extends EventEmitter {
  exit(code?: number): never | void;
}

/** Installs both handlers on `proc` (default `process`). Returns a function that removes them. */
export function installProcessHandlers(logger: Logger, proc: ProcessLike = process): () => void {
  const onRejection = (reason: unknown): void => {
    logger.error({ event: 'unhandledRejection', err: describeError(reason), type: reason instanceof Error ? reason.name : typeof reason }, 'unhandled promise rejection; continuing');
  };
  const onException = (err: Error): void => {
    logger.fatal({ event: 'uncaughtException', err: describeError(err), type: err.name }, 'uncaught exception; exiting');
    // pino writes synchronously to stderr by default (createLogger's destination): the line is out.
    proc.exit(1);
  };
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}
