/**
 * Structured JSON logs (pino). Secret-bearing fields are redacted by path; free text must
 * go through `redactSecrets` (src/logscan/redact.ts) before it is logged.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Longest free-text message the Bolt and Web API loggers write; the rest is cut before redaction. */
export const MAX_LOGGED_CHARS = 8000;

const REDACT_PATHS = [
  // Top level as well as one level down: `logger.info({ token })` is as likely as `{ slack: { token } }`.
  'token', 'botToken', 'appToken', 'signingSecret', 'password', 'secret', 'authorization',
  '*.token', '*.botToken', '*.appToken', '*.signingSecret', '*.password', '*.secret', '*.authorization',
  'headers.authorization', 'headers["x-slack-signature"]', 'config.slack.botToken', 'config.slack.signingSecret',
];

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where to write; defaults to stderr so stdout stays for command output. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'podnet',
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (options.destination ?? process.stderr) as pino.DestinationStream,
  );
}

/** A logger that drops everything, for tests and quiet CLI runs. */
export const silentLogger: Logger = pino({ level: 'silent' });
