/**
 * Streaming log scanner: splits a container log into lines as chunks arrive, counts them,
 * keeps a small tail, and collects the lines that match a known signature — in flat memory,
 * whatever the size of the log.
 *
 * Why it is fast: each chunk is turned into a latin1 string once (one byte = one character,
 * so string offsets are byte offsets and no UTF-8 decoding happens for ordinary lines). Lines
 * are counted with `indexOf('\n')`, and one global RegExp of literal keywords runs over the
 * whole chunk; only a line that contains a keyword is cut out, decoded as UTF-8 and run
 * through the signature patterns. A non-matching line costs no allocation at all.
 */
import type { LogEvidence, SignatureId, SignatureMatch } from '../evidence.js';
import { PodnetError } from '../errors.js';
import type { LineMatcher } from './grep.js';
import { redactSecrets } from './redact.js';
import { keywordPrefilter, matchLine, SIGNATURES, type Signature } from './signatures.js';

/** Options of {@link scanLog}. Bounds default to none: the caller decides what it can afford. */
export interface ScanLogOptions {
  container: string;
  previous: boolean;
  /** Stop after this many lines (sets `truncated` when more followed). Default: no bound. */
  maxLines?: number;
  /** Stop after this many bytes (sets `truncated` when more followed). Default: no bound. */
  maxBytes?: number;
  /** Lines kept for display at the end. Default 20. */
  tailLines?: number;
  /** A line longer than this is matched and kept only up to here. Default 16 KiB. */
  maxLineBytes?: number;
  /** Matches kept per signature from the start of the log. Default 20. */
  keepFirst?: number;
  /** Matches kept per signature from the end of the log. Default 20. */
  keepLast?: number;
  /** Mask secrets in the lines kept (matches, tail, grep lines). Default true. */
  redact?: boolean;
  /**
   * Also keep lines matching this user pattern (`podnet logs --grep`), compiled by
   * `compileGrep` (RE2 semantics: linear time). Each line is matched up to `maxLineBytes`.
   */
  grep?: LineMatcher;
  /** Lines kept for `grep`. Default 500 (the first ones). */
  grepMax?: number;
  /** Signatures to look for. Default {@link SIGNATURES}. */
  signatures?: readonly Signature[];
  /**
   * Time budget: past this instant (ms since the epoch, by `now`) {@link scanLog} stops
   * between chunks and throws a `timeout` PodnetError. Default: none.
   */
  deadline?: number;
  /** Clock for `deadline`. Default `Date.now`. */
  now?: () => number;
}

/** A line kept for display. */
export interface LogLine {
  at?: string;
  text: string;
}

/** {@link LogEvidence} plus the lines a `grep` pattern selected. */
export interface LogScanResult extends LogEvidence {
  /** Lines matching `options.grep`, first `grepMax` of them. */
  grepLines?: LogLine[];
  /** How many lines matched `options.grep`. */
  grepCount?: number;
  /** Lines that matched at least one signature (what `grep -c` with the same patterns counts). */
  matchedLines: number;
}

/** Characters of a kept line (after the timestamp). */
const LINE_DISPLAY_CHARS = 500;
const CR = 13;

/**
 * `2025-07-06T15:17:51.123456789Z ` — what kubelet puts in front of each line with
 * `timestamps=true`.
 */
const KUBELET_TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;
/** logrus `time="2025-07-06T15:17:51Z"`, used when the log was read without timestamps. */
const LOGRUS_TS = /\btime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))"/;

/**
 * Splits a line into its kubelet timestamp and the line as logged. `at` falls back to a
 * logrus `time="…"` field when there is no kubelet timestamp.
 */
export function splitTimestamp(line: string): { at?: string; text: string } {
  const m = KUBELET_TS.exec(line);
  if (m) return { at: m[1], text: line.slice(m[0].length) };
  const l = LOGRUS_TS.exec(line.length > 200 ? line.slice(0, 200) : line);
  return l ? { at: l[1], text: line } : { text: line };
}

function displayText(text: string, redact: boolean): string {
  const t = text.length > LINE_DISPLAY_CHARS ? text.slice(0, LINE_DISPLAY_CHARS) : text;
  return redact ? redactSecrets(t) : t;
}

/** Where the line holding offset `i` starts. (`lastIndexOf` with -1 would look at offset 0.) */
function lineStart(s: string, i: number): number {
  return i === 0 ? 0 : s.lastIndexOf('\n', i - 1) + 1;
}

interface Kept {
  seq: number;
  match: SignatureMatch;
}

/**
 * The scanner behind {@link scanLog}, for callers that push chunks themselves. `push`
 * returns false once a bound is reached (stop reading); `finish` returns the evidence.
 */
export class LogScanner {
  private readonly maxLines: number;
  private readonly maxBytes: number;
  private readonly tailLines: number;
  private readonly maxLineBytes: number;
  private readonly keepFirst: number;
  private readonly keepLast: number;
  private readonly redact: boolean;
  private readonly prefilter: RegExp;
  private readonly grep?: LineMatcher;
  private readonly grepMax: number;
  private readonly wanted?: ReadonlySet<SignatureId>;

  private lines = 0;
  private bytes = 0;
  private truncated = false;
  private done = false;
  private sawFirst = false;
  private firstAt?: string;
  /** The first characters of the last complete line, for `lastAt`. */
  private lastHead = '';

  private carry: Buffer[] = [];
  private carryLen = 0;
  private carryOpen = false;

  private seq = 0;
  private readonly first = new Map<SignatureId, Kept[]>();
  private readonly last = new Map<SignatureId, Kept[]>();
  private readonly counts = new Map<SignatureId, number>();
  private tail: string[] = [];
  private readonly grepLines: string[] = [];
  private grepCount = 0;

  constructor(private readonly options: ScanLogOptions) {
    this.maxLines = options.maxLines ?? Infinity;
    this.maxBytes = options.maxBytes ?? Infinity;
    this.tailLines = Math.max(0, options.tailLines ?? 20);
    this.maxLineBytes = Math.max(1, options.maxLineBytes ?? 16 * 1024);
    this.keepFirst = Math.max(0, options.keepFirst ?? 20);
    this.keepLast = Math.max(0, options.keepLast ?? 20);
    this.redact = options.redact ?? true;
    const signatures = options.signatures ?? SIGNATURES;
    this.prefilter = keywordPrefilter(signatures);
    if (options.signatures) this.wanted = new Set(signatures.map((s) => s.id));
    if (options.grep) this.grep = options.grep;
    this.grepMax = options.grepMax ?? 500;
    if (this.maxLines <= 0 || this.maxBytes <= 0) this.done = true;
  }

  /**
   * Feeds one chunk. Returns false when no more input is wanted. (Right at a bound it
   * returns true once more: the next chunk only tells whether the log was truncated.)
   */
  push(input: Buffer | string): boolean {
    let chunk = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
    if (chunk.length === 0) return !this.done;
    if (this.done) {
      this.truncated = true;
      return false;
    }
    if (this.bytes + chunk.length > this.maxBytes) {
      // Cut at the byte bound; the partial line left over becomes the final line.
      chunk = chunk.subarray(0, this.maxBytes - this.bytes);
      this.truncated = true;
      this.done = true;
    }
    this.bytes += chunk.length;
    const s = chunk.toString('latin1');
    let pos = 0;

    if (this.carryOpen) {
      const nl = s.indexOf('\n');
      if (nl === -1) {
        this.appendCarry(chunk);
        return !this.done;
      }
      this.appendCarry(chunk.subarray(0, nl));
      this.flushCarry();
      pos = nl + 1;
      if (this.lines >= this.maxLines) return this.stopAt(chunk.length, pos);
    }

    // Count the complete lines of this chunk (up to the line bound).
    const remaining = this.maxLines - this.lines;
    let n = 0;
    let end = pos;
    let p = s.indexOf('\n', pos);
    while (p !== -1) {
      n++;
      end = p + 1;
      if (n >= remaining) break;
      p = s.indexOf('\n', end);
    }

    if (n > 0) {
      if (!this.sawFirst) this.noteFirst(s.slice(pos, pos + 80));
      this.lines += n;
      this.scanRegion(chunk, s, pos, end);
      this.keepTail(chunk, s, pos, end);
    }

    if (this.lines >= this.maxLines) return this.stopAt(chunk.length, end);
    if (end < chunk.length) this.appendCarry(chunk.subarray(end));
    return !this.done;
  }

  /** Ends the scan and returns the evidence. */
  finish(): LogScanResult {
    if (this.carryOpen) {
      if (this.lines < this.maxLines) this.flushCarry();
      else this.truncated = true;
    }
    const matches: Kept[] = [];
    for (const list of this.first.values()) matches.push(...list);
    for (const list of this.last.values()) matches.push(...list.slice(-this.keepLast));
    matches.sort((a, b) => a.seq - b.seq);

    const signatureCounts: Partial<Record<SignatureId, number>> = {};
    for (const [id, count] of this.counts) signatureCounts[id] = count;

    const result: LogScanResult = {
      container: this.options.container,
      previous: this.options.previous,
      lines: this.lines,
      bytes: this.bytes,
      truncated: this.truncated,
      matchedLines: this.seq,
      matches: matches.map((k) => ({ ...k.match, line: displayText(k.match.line, this.redact) })),
      signatureCounts,
      tail: this.tail.map((raw) => {
        const { at, text } = splitTimestamp(raw);
        const t = displayText(text, this.redact);
        return at === undefined ? { text: t } : { at, text: t };
      }),
    };
    if (this.firstAt !== undefined) result.firstAt = this.firstAt;
    const lastAt = this.lastHead ? splitTimestamp(this.lastHead).at : undefined;
    if (lastAt !== undefined) result.lastAt = lastAt;
    if (this.grep) {
      result.grepCount = this.grepCount;
      result.grepLines = this.grepLines.map((raw) => {
        const { at, text } = splitTimestamp(raw);
        const t = displayText(text, this.redact);
        return at === undefined ? { text: t } : { at, text: t };
      });
    }
    return result;
  }

  /**
   * The line bound was reached at `end` of a chunk of `length` bytes. Exactly at the end of
   * the chunk we cannot tell yet whether more follows, so one more chunk is asked for: if
   * it comes, the log was truncated.
   */
  private stopAt(length: number, end: number): boolean {
    this.done = true;
    if (end < length) {
      this.bytes -= length - end;
      this.truncated = true;
      return false;
    }
    return true;
  }

  private noteFirst(head: string): void {
    this.sawFirst = true;
    this.firstAt = splitTimestamp(head).at;
  }

  /** Runs the keyword prefilter (and the user's grep) over the complete lines [pos, end). */
  private scanRegion(chunk: Buffer, s: string, pos: number, end: number): void {
    const re = this.prefilter;
    re.lastIndex = pos;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null && m.index < end) {
      const i = m.index;
      const ls = lineStart(s, i);
      const le = s.indexOf('\n', i);
      this.candidate(chunk, ls, le);
      re.lastIndex = le + 1;
    }
    const grep = this.grep;
    if (grep) {
      // Line by line: RE2 is linear in each (bounded) line, so a pattern cannot stall the scan.
      for (let ls = pos; ls < end; ) {
        const le = s.indexOf('\n', ls);
        if (grep.test(this.lineAt(chunk, ls, le))) this.grepHit(chunk, ls, le);
        ls = le + 1;
      }
    }
  }

  /** Decodes line [ls, le) (without CR, capped) as UTF-8. */
  private lineAt(chunk: Buffer, ls: number, le: number): string {
    let e = le > ls && chunk[le - 1] === CR ? le - 1 : le;
    if (e - ls > this.maxLineBytes) e = ls + this.maxLineBytes;
    return chunk.toString('utf8', ls, e);
  }

  private candidate(chunk: Buffer, ls: number, le: number): void {
    this.matchRaw(this.lineAt(chunk, ls, le));
  }

  private grepHit(chunk: Buffer, ls: number, le: number): void {
    this.grepCount++;
    if (this.grepLines.length < this.grepMax) this.grepLines.push(this.lineAt(chunk, ls, le));
  }

  /** Runs the signatures over one decoded line (kubelet timestamp still on). */
  private matchRaw(raw: string): void {
    const { at, text } = splitTimestamp(raw);
    const all = matchLine(text);
    const found = this.wanted ? all.filter((f) => this.wanted!.has(f.id)) : all;
    if (found.length === 0) return;
    const seq = this.seq++;
    for (const f of found) {
      this.counts.set(f.id, (this.counts.get(f.id) ?? 0) + 1);
      const match: SignatureMatch = {
        signature: f.id,
        container: this.options.container,
        previous: this.options.previous,
        // Trimmed now (the redaction of kept lines waits for finish, when the set is final).
        line: text.length > LINE_DISPLAY_CHARS ? text.slice(0, LINE_DISPLAY_CHARS) : text,
      };
      if (at !== undefined) match.at = at;
      if (f.groups) match.groups = f.groups;
      this.keep(f.id, { seq, match });
    }
  }

  private keep(id: SignatureId, kept: Kept): void {
    let first = this.first.get(id);
    if (!first) this.first.set(id, (first = []));
    if (first.length < this.keepFirst) {
      first.push(kept);
      return;
    }
    if (this.keepLast === 0) return;
    let last = this.last.get(id);
    if (!last) this.last.set(id, (last = []));
    last.push(kept);
    if (last.length > this.keepLast * 2) last.splice(0, last.length - this.keepLast);
  }

  /** Keeps the last `tailLines` lines of [pos, end) and the head of the last one. */
  private keepTail(chunk: Buffer, s: string, pos: number, end: number): void {
    const want = this.tailLines;
    const found: string[] = [];
    let e = end - 1; // the '\n' that ends the line being looked at
    let lastStart = -1;
    while (e >= pos) {
      const st = lineStart(s, e);
      const start = st < pos ? pos : st;
      if (lastStart === -1) lastStart = start;
      if (found.length >= want) break;
      found.push(this.lineAt(chunk, start, e));
      e = start - 1;
    }
    if (lastStart !== -1) this.lastHead = s.slice(lastStart, lastStart + 80);
    if (want === 0) return;
    found.reverse();
    this.tail = found.length >= want ? found : [...this.tail, ...found].slice(-want);
  }

  private appendCarry(part: Buffer): void {
    this.carryOpen = true;
    const room = this.maxLineBytes + 1 - this.carryLen; // +1: room for a trailing CR
    if (room <= 0 || part.length === 0) return;
    // Copy: a small slice must not pin a whole (possibly 1 MB) chunk.
    const piece = Buffer.from(part.subarray(0, Math.min(room, part.length)));
    this.carry.push(piece);
    this.carryLen += piece.length;
  }

  /** The open line is complete (or the input ended): count it and look at it. */
  private flushCarry(): void {
    const buf = this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry, this.carryLen);
    this.carry = [];
    this.carryLen = 0;
    this.carryOpen = false;
    this.lines++;
    const s = buf.toString('latin1');
    if (!this.sawFirst) this.noteFirst(s.slice(0, 80));
    this.lastHead = s.slice(0, 80);
    this.prefilter.lastIndex = 0;
    if (this.prefilter.test(s)) this.candidate(buf, 0, buf.length);
    if (this.grep?.test(this.lineAt(buf, 0, buf.length))) this.grepHit(buf, 0, buf.length);
    if (this.tailLines > 0) {
      this.tail.push(this.lineAt(buf, 0, buf.length));
      if (this.tail.length > this.tailLines) this.tail.shift();
    }
  }
}

/**
 * Scans one container log as it streams: counts lines and bytes, keeps the first/last
 * kubelet timestamps, the last `tailLines` lines, and the lines matching a known signature
 * (the first and last `keepFirst`/`keepLast` per signature, with totals in
 * `signatureCounts`). Stops reading at `maxLines`/`maxBytes` and sets `truncated`. Kept
 * lines are trimmed to 500 characters and, by default, have secrets masked.
 *
 * Handles lines split across chunks, CRLF, a last line without a newline, and very long
 * lines (matched and kept only up to `maxLineBytes`). Memory stays flat: nothing but the
 * kept lines and at most one open line outlives a chunk.
 */
export async function scanLog(chunks: AsyncIterable<Buffer | string>, options: ScanLogOptions): Promise<LogScanResult> {
  const scanner = new LogScanner(options);
  const now = options.now ?? Date.now;
  for await (const chunk of chunks) {
    if (options.deadline !== undefined && now() > options.deadline) {
      // Leaving the loop by throwing also calls return(): the read is cancelled, not left open.
      throw new PodnetError('timeout', 'reading the log took longer than its time budget; it was cancelled', { detail: { budgetExceeded: true } });
    }
    // Leaving the loop early calls the iterator's return(), which destroys a stream source.
    if (!scanner.push(chunk)) break;
  }
  return scanner.finish();
}
