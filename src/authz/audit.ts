/**
 * Append-only audit log: one JSON line per command (who, where, what, outcome). Secrets in
 * the command text are masked before the line is written; the log is read by people.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { redactBounded } from '../logscan/redact.js';

export type AuditOutcome = 'queued' | 'denied' | 'invalid' | 'done' | 'failed';

/** One audit record. `at` is added by the log. */
export interface AuditEntry {
  /** Slack user id (or the OS user for the CLI). */
  who: string;
  channel?: string;
  channelName?: string;
  /** What the user typed or the button they pressed (secrets masked on write). */
  command: string;
  verb?: string;
  namespace?: string;
  cluster?: string;
  outcome: AuditOutcome;
  /** Why it was denied, invalid or failed; one line. */
  reason?: string;
  jobId?: string;
  /** `slash`, `button:<action_id>`, `cli`. */
  source?: string;
}

export interface AuditRecord extends AuditEntry {
  at: string;
}

export interface AuditLog {
  /** Appends one line. Never throws: an audit write failure is reported through `onError`. */
  record(entry: AuditEntry): void;
  /** Flushes and closes the file (no-op for stdout). */
  close(): Promise<void>;
}

export interface AuditLogOptions {
  /** File to append to; `-` or absent writes to stdout. */
  path?: string;
  /** A stream to write to instead of a file (tests). */
  stream?: NodeJS.WritableStream;
  /** Clock. */
  now?: () => Date;
  /** How command text is masked (after it is cut to its bound); default `redactSecrets`. */
  redact?: (text: string) => string;
  /** Called when a write fails (e.g. disk full). */
  onError?: (err: Error) => void;
}

/**
 * Longest command text kept in a record; the rest is cut (a title or a regex is short). It is
 * cut BEFORE it is redacted: a 160,000-character slash command once stalled the bot's acks.
 */
const MAX_COMMAND = 2000;
/** Longest reason kept. */
const MAX_REASON = 1000;

/** Opens the audit log. Files are opened in append mode, never truncated. */
export function createAuditLog(options: AuditLogOptions = {}): AuditLog {
  const now = options.now ?? (() => new Date());
  const mask = options.redact;
  const redact = (text: string, max: number) => (mask ? mask(text.slice(0, max)).slice(0, max) : redactBounded(text, max));
  let file: WriteStream | undefined;
  let out: NodeJS.WritableStream;
  if (options.stream) {
    out = options.stream;
  } else if (options.path !== undefined && options.path !== '-') {
    file = createWriteStream(options.path, { flags: 'a', mode: 0o640 });
    if (options.onError) file.on('error', options.onError);
    out = file;
  } else {
    out = process.stdout;
  }

  return {
    record(entry) {
      const command = redact(entry.command, MAX_COMMAND);
      const rec: AuditRecord = { at: now().toISOString(), ...entry, command };
      if (rec.reason !== undefined) rec.reason = redact(rec.reason, MAX_REASON);
      try {
        out.write(`${JSON.stringify(rec)}\n`);
      } catch (err) {
        options.onError?.(err instanceof Error ? err : new Error(String(err)));
      }
    },
    close() {
      if (!file) return Promise.resolve();
      const f = file;
      return new Promise((resolve) => f.end(() => resolve()));
    },
  };
}

/** An audit log that keeps records in memory (tests, the demo). */
export function memoryAuditLog(now: () => Date = () => new Date()): AuditLog & { records: AuditRecord[] } {
  const records: AuditRecord[] = [];
  return {
    records,
    record(entry) {
      records.push({
        at: now().toISOString(),
        ...entry,
        command: redactBounded(entry.command, MAX_COMMAND),
        ...(entry.reason !== undefined && { reason: redactBounded(entry.reason, MAX_REASON) }),
      });
    },
    close: () => Promise.resolve(),
  };
}
