/**
 * Container logs as kubelet serves them: one line per record, each beginning with an
 * RFC 3339 timestamp. Sources are iterated line by line (a string is walked with indexOf,
 * a file is read with a stream, a generated log is produced on demand), so a 1 GB log costs
 * a few chunks of memory, not a gigabyte.
 */
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { createInterface } from 'node:readline';

/** Where a log's lines come from. */
export type LogSource =
  | { type: 'text'; text: string }
  | { type: 'file'; path: string }
  | { type: 'generate'; lines: number; template: string; stepMs: number; endAt: number };

/** The pods/log query options the simulator honours (follow is always false). */
export interface LogQuery {
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  sinceSeconds?: number;
  sinceTime?: string;
}

/** Resolves on `drain` or `close`, removing both listeners (a long stream waits thousands of times). */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

/** Lines of a source, without their trailing newline. */
export async function* sourceLines(source: LogSource): AsyncGenerator<string> {
  if (source.type === 'text') {
    const t = source.text;
    let start = 0;
    while (start < t.length) {
      const nl = t.indexOf('\n', start);
      const end = nl < 0 ? t.length : nl;
      yield t.slice(start, end);
      start = end + 1;
    }
    return;
  }
  if (source.type === 'file') {
    const rl = createInterface({ input: createReadStream(source.path, { encoding: 'utf8', highWaterMark: 64 * 1024 }), crlfDelay: Infinity });
    for await (const line of rl) yield line;
    return;
  }
  for (let n = 1; n <= source.lines; n++) {
    const at = new Date(source.endAt - (source.lines - n) * source.stepMs).toISOString();
    yield `${at} ${source.template.replaceAll('{n}', String(n))}`;
  }
}

/** The timestamp that starts a kubelet log line, in ms (NaN when the line has none). */
export function lineTime(line: string): number {
  const sp = line.indexOf(' ');
  return Date.parse(sp < 0 ? line : line.slice(0, sp));
}

/** Keeps the last `n` items of a stream in a ring, so tailLines costs n lines of memory. */
async function* tail(lines: AsyncIterable<string>, n: number): AsyncGenerator<string> {
  if (n <= 0) return;
  const ring: string[] = new Array<string>(n);
  let count = 0;
  for await (const l of lines) ring[count++ % n] = l;
  const start = Math.max(0, count - n);
  for (let i = start; i < count; i++) yield ring[i % n] as string;
}

async function* filterSince(lines: AsyncIterable<string>, fromMs: number): AsyncGenerator<string> {
  for await (const l of lines) {
    const t = lineTime(l);
    // kubelet drops records older than since; an unparsable line follows its predecessor's fate.
    if (Number.isNaN(t) || t >= fromMs) yield l;
  }
}

/**
 * Writes the log to `out` in kubelet's order (since → tail → timestamps → limitBytes),
 * waiting for `drain` whenever the socket's buffer is full. Returns bytes written.
 */
export async function streamLog(source: LogSource, query: LogQuery, now: number, out: Writable): Promise<number> {
  let lines: AsyncIterable<string> = sourceLines(source);
  const fromMs = query.sinceTime !== undefined ? Date.parse(query.sinceTime) : query.sinceSeconds !== undefined ? now - query.sinceSeconds * 1000 : undefined;
  if (fromMs !== undefined && !Number.isNaN(fromMs)) lines = filterSince(lines, fromMs);
  if (query.tailLines !== undefined && query.tailLines >= 0) lines = tail(lines, query.tailLines);
  let budget = query.limitBytes ?? Infinity;
  let written = 0;
  let batch = '';
  const flush = async (): Promise<void> => {
    if (!batch) return;
    let chunk = Buffer.from(batch, 'utf8');
    batch = '';
    if (chunk.length > budget) chunk = chunk.subarray(0, budget);
    budget -= chunk.length;
    written += chunk.length;
    if (out.destroyed) throw new Error('client went away');
    if (!out.write(chunk)) await drained(out);
  };
  for await (const raw of lines) {
    let line = raw;
    if (!query.timestamps) {
      const sp = line.indexOf(' ');
      line = sp < 0 ? '' : line.slice(sp + 1);
    }
    batch += `${line}\n`;
    if (batch.length >= 64 * 1024) await flush();
    if (budget <= 0) break;
    if (out.destroyed) break;
  }
  if (budget > 0) await flush();
  return written;
}
