import { Readable } from 'node:stream';
import { LogScanner, scanLog, splitTimestamp, type ScanLogOptions } from '../../src/logscan/scan.js';

const base: ScanLogOptions = { container: 'agent', previous: false };

async function* chunksOf(...parts: (string | Buffer)[]): AsyncIterable<Buffer | string> {
  for (const p of parts) yield p;
}

/** The seed incident's agent log, as kubelet returns it with timestamps=true. */
const SEED = [
  '2025-07-06T15:17:42.000000001Z time="2025-07-06T15:17:42Z" level=info msg="Setting inference-host from SELDON_SERVER_HOST to 127.0.0.1"',
  '2025-07-06T15:17:51.000000002Z time="2025-07-06T15:17:51Z" level=info msg="Waiting for Inference Server service to become ready... connection refused"',
  '2025-07-06T15:17:53.000000003Z time="2025-07-06T15:17:53Z" level=info msg="All critical agent subservices ready"',
  '2025-07-06T15:17:53.000000004Z time="2025-07-06T15:17:53Z" level=info msg="Subscribed to scheduler"',
  '2025-07-06T15:19:24.000000005Z time="2025-07-06T15:19:24Z" level=info msg="Waiting for Inference Server service to become ready... connection refused"',
].join('\n') + '\n';

describe('scanLog on the seed incident', () => {
  it('finds the signatures with kubelet timestamps, counts lines and bytes, keeps first/last timestamps', async () => {
    const ev = await scanLog(chunksOf(SEED), base);
    expect(ev).toMatchObject({ container: 'agent', previous: false, lines: 5, bytes: Buffer.byteLength(SEED), truncated: false });
    expect(ev.firstAt).toBe('2025-07-06T15:17:42.000000001Z');
    expect(ev.lastAt).toBe('2025-07-06T15:19:24.000000005Z');
    expect(ev.matches.map((m) => [m.at, m.signature])).toEqual([
      ['2025-07-06T15:17:42.000000001Z', 'agent-inference-host'],
      ['2025-07-06T15:17:51.000000002Z', 'client-refused'],
      ['2025-07-06T15:17:51.000000002Z', 'agent-waiting'],
      ['2025-07-06T15:17:53.000000003Z', 'agent-ready'],
      ['2025-07-06T15:19:24.000000005Z', 'client-refused'],
      ['2025-07-06T15:19:24.000000005Z', 'agent-waiting'],
    ]);
    expect(ev.matches[0]).toEqual({
      signature: 'agent-inference-host',
      container: 'agent',
      previous: false,
      at: '2025-07-06T15:17:42.000000001Z',
      line: 'time="2025-07-06T15:17:42Z" level=info msg="Setting inference-host from SELDON_SERVER_HOST to 127.0.0.1"',
      groups: { source: 'SELDON_SERVER_HOST', host: '127.0.0.1' },
    });
    expect(ev.signatureCounts).toEqual({ 'agent-inference-host': 1, 'client-refused': 2, 'agent-waiting': 2, 'agent-ready': 1 });
    expect(ev.tail).toHaveLength(5);
    expect(ev.tail[3]).toEqual({ at: '2025-07-06T15:17:53.000000004Z', text: 'time="2025-07-06T15:17:53Z" level=info msg="Subscribed to scheduler"' });
  });

  it('falls back to the logrus time field when the log has no kubelet timestamps', async () => {
    const plain = SEED.split('\n').map((l) => l.slice(31)).join('\n');
    const ev = await scanLog(chunksOf(plain), { ...base, previous: true });
    expect(ev.firstAt).toBe('2025-07-06T15:17:42Z');
    expect(ev.matches[0]).toMatchObject({ at: '2025-07-06T15:17:42Z', previous: true });
  });
});

describe('line splitting', () => {
  const text =
    '2025-07-06T15:00:00Z first line\r\n' +
    '2025-07-06T15:00:01Z dial tcp 127.0.0.1:9500: connect: connection refused\r\n' +
    '2025-07-06T15:00:02Z naïve ünïcödé line — Loaded model \'modèle\' successfully.\n' +
    '\n' +
    '2025-07-06T15:00:03Z gRPC server running on http://127.0.0.1:9500';
  const whole = Buffer.from(text, 'utf8');

  async function viaSplit(offsets: number[]) {
    const parts: Buffer[] = [];
    let prev = 0;
    for (const o of [...offsets, whole.length]) {
      parts.push(whole.subarray(prev, o));
      prev = o;
    }
    return scanLog(chunksOf(...parts), { ...base, grep: /first|ünï/ });
  }

  it('gives the same result whatever the chunk boundaries (every single split offset)', async () => {
    const reference = await viaSplit([]);
    expect(reference.lines).toBe(5);
    expect(reference.matches.map((m) => m.signature)).toEqual(['client-refused', 'model-loaded', 'server-grpc-running']);
    expect(reference.matches[1]!.groups).toEqual({ model: 'modèle' });
    expect(reference.matches[0]!.line).toBe('dial tcp 127.0.0.1:9500: connect: connection refused');
    expect(reference.tail.map((t) => t.text)).toEqual([
      'first line',
      'dial tcp 127.0.0.1:9500: connect: connection refused',
      "naïve ünïcödé line — Loaded model 'modèle' successfully.",
      '',
      'gRPC server running on http://127.0.0.1:9500',
    ]);
    expect(reference.lastAt).toBe('2025-07-06T15:00:03Z');
    expect(reference.grepLines?.map((l) => l.text)).toEqual(['first line', "naïve ünïcödé line — Loaded model 'modèle' successfully."]);
    for (let i = 1; i < whole.length; i++) {
      expect([i, await viaSplit([i])]).toEqual([i, reference]);
    }
  });

  it('also survives byte-by-byte chunks (and splits inside a multi-byte character)', async () => {
    const reference = await viaSplit([]);
    const offsets = Array.from({ length: whole.length - 1 }, (_, i) => i + 1);
    expect(await viaSplit(offsets)).toEqual(reference);
  });

  it('accepts string chunks and a Node stream', async () => {
    const fromStrings = await scanLog(chunksOf('a\nConnection ', 'refused\nb'), base);
    expect(fromStrings.lines).toBe(3);
    expect(fromStrings.matches.map((m) => m.line)).toEqual(['Connection refused']);
    const fromStream = await scanLog(Readable.from([Buffer.from('x\nOOMKilled\n')]), base);
    expect(fromStream.matches.map((m) => m.signature)).toEqual(['oom']);
  });

  it('counts an empty log as zero lines, and "\\n" as one empty line', async () => {
    expect(await scanLog(chunksOf(), base)).toMatchObject({ lines: 0, bytes: 0, matches: [], tail: [], truncated: false });
    expect(await scanLog(chunksOf('\n'), base)).toMatchObject({ lines: 1, bytes: 1, tail: [{ text: '' }] });
  });

  it('caps very long lines: matched and kept only up to maxLineBytes, memory bounded', async () => {
    const long = 'OOMKilled ' + 'x'.repeat(100_000);
    const pieces = [long.slice(0, 30_000), long.slice(30_000, 70_000), long.slice(70_000) + '\nnext\n'];
    const ev = await scanLog(chunksOf(...pieces), { ...base, maxLineBytes: 1000 });
    expect(ev.lines).toBe(2);
    expect(ev.matches).toHaveLength(1);
    expect(ev.matches[0]!.line.length).toBe(500);
    // A keyword beyond the cap is not seen (the documented price of the cap).
    const late = await scanLog(chunksOf('y'.repeat(5000), ' OOMKilled\n'), { ...base, maxLineBytes: 1000 });
    expect(late.matches).toEqual([]);
    expect(late.lines).toBe(1);
  });
});

describe('bounds', () => {
  const log = Array.from({ length: 100 }, (_, i) => `2025-07-06T15:00:${String(i % 60).padStart(2, '0')}Z line ${i}${i % 10 === 0 ? ' connection refused' : ''}`).join('\n') + '\n';

  it('stops at maxLines, sets truncated and counts only what it read', async () => {
    const ev = await scanLog(chunksOf(log), { ...base, maxLines: 25 });
    expect(ev.lines).toBe(25);
    expect(ev.truncated).toBe(true);
    expect(ev.bytes).toBe(Buffer.byteLength(log.split('\n').slice(0, 25).join('\n') + '\n'));
    expect(ev.matches.map((m) => m.line)).toEqual(['line 0 connection refused', 'line 10 connection refused', 'line 20 connection refused']);
    expect(ev.tail.at(-1)?.text).toBe('line 24');
  });

  it('is not truncated when the log ends exactly at the bound', async () => {
    expect(await scanLog(chunksOf(log), { ...base, maxLines: 100 })).toMatchObject({ lines: 100, truncated: false });
    const halves = [log.slice(0, log.indexOf('line 50') - 21), log.slice(log.indexOf('line 50') - 21)];
    expect(await scanLog(chunksOf(...halves), { ...base, maxLines: 50 })).toMatchObject({ lines: 50, truncated: true });
  });

  it('stops at maxBytes; the cut line counts as the last line', async () => {
    const ev = await scanLog(chunksOf(log.slice(0, 50), log.slice(50)), { ...base, maxBytes: 100 });
    expect(ev.bytes).toBe(100);
    expect(ev.truncated).toBe(true);
    const cut = log.slice(0, 100).split('\n');
    expect(cut).toHaveLength(3);
    expect(ev.lines).toBe(3);
    expect(ev.tail.at(-1)?.text).toBe(cut[2]!.slice(21));
  });

  it('stops reading the source once a bound is reached', async () => {
    let pulled = 0;
    async function* endless(): AsyncIterable<string> {
      for (;;) {
        pulled++;
        yield 'connection refused\n'.repeat(10);
      }
    }
    const ev = await scanLog(endless(), { ...base, maxLines: 35 });
    expect(ev.lines).toBe(35);
    expect(pulled).toBe(4);
    const exact = await scanLog(endless(), { ...base, maxLines: 40 });
    expect(exact).toMatchObject({ lines: 40, truncated: true });
    expect(ev.truncated).toBe(true);
  });

  it('keeps the first and last matches per signature and counts them all', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `refusal ${i}: connection refused`).join('\n');
    const ev = await scanLog(chunksOf(many), { ...base, keepFirst: 3, keepLast: 2, tailLines: 2 });
    expect(ev.matches.map((m) => m.line.split(':')[0])).toEqual(['refusal 0', 'refusal 1', 'refusal 2', 'refusal 998', 'refusal 999']);
    expect(ev.signatureCounts).toEqual({ 'client-refused': 1000 });
    expect(ev.tail.map((t) => t.text)).toEqual(['refusal 998: connection refused', 'refusal 999: connection refused']);
  });

  it('keeps tailLines across chunks smaller than the tail', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `l${i}\n`);
    const ev = await scanLog(chunksOf(...lines), { ...base, tailLines: 7 });
    expect(ev.tail.map((t) => t.text)).toEqual(['l23', 'l24', 'l25', 'l26', 'l27', 'l28', 'l29']);
    const none = await scanLog(chunksOf(...lines), { ...base, tailLines: 0 });
    expect(none.tail).toEqual([]);
  });
});

describe('redaction of kept lines', () => {
  it('masks secrets in matches, tail and grep lines; can be turned off', async () => {
    const log = 'auth failed password=hunter2: connection refused\nAuthorization: Bearer abcdefghijkl\n';
    const ev = await scanLog(chunksOf(log), { ...base, grep: /Bearer/ });
    expect(ev.matches[0]!.line).toBe('auth failed password=[redacted] connection refused');
    expect(ev.tail.map((t) => t.text)).toEqual(['auth failed password=[redacted] connection refused', 'Authorization: Bearer [redacted]']);
    expect(ev.grepLines).toEqual([{ text: 'Authorization: Bearer [redacted]' }]);
    const raw = await scanLog(chunksOf(log), { ...base, redact: false });
    expect(raw.matches[0]!.line).toContain('hunter2');
  });
});

describe('LogScanner and splitTimestamp', () => {
  it('push returns false once the bound is reached', () => {
    const s = new LogScanner({ ...base, maxLines: 2 });
    expect(s.push('a\n')).toBe(true);
    expect(s.push('b\nc\n')).toBe(false);
    expect(s.finish()).toMatchObject({ lines: 2, truncated: true });
  });

  it('takes RFC 3339 timestamps with and without fractions or offsets', () => {
    expect(splitTimestamp('2025-07-06T15:17:51.123456789Z hello')).toEqual({ at: '2025-07-06T15:17:51.123456789Z', text: 'hello' });
    expect(splitTimestamp('2025-07-06T15:17:51+02:00 hello')).toEqual({ at: '2025-07-06T15:17:51+02:00', text: 'hello' });
    expect(splitTimestamp('2025-07-06 15:17:51,100 INFO x')).toEqual({ text: '2025-07-06 15:17:51,100 INFO x' });
    expect(splitTimestamp('hello')).toEqual({ text: 'hello' });
  });
});
