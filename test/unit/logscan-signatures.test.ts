import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keywordPrefilter, matchLine, SIGNATURES, toExtendedRegex } from '../../src/logscan/signatures.js';
import type { SignatureId } from '../../src/evidence.js';
import { NEGATIVE, POSITIVE } from '../helpers/logscan-corpus.js';

const ALL_IDS: SignatureId[] = [
  'client-refused', 'agent-waiting', 'agent-gave-up', 'agent-ready', 'agent-not-ready-legacy', 'agent-inference-host',
  'server-http-running', 'server-grpc-running', 'model-loaded', 'worker-stopped', 'bind-error', 'traceback', 'oom', 'mesh-proxy',
];

describe('SIGNATURES', () => {
  it('has exactly one signature per SignatureId, each documented', () => {
    expect(SIGNATURES.map((s) => s.id).sort()).toEqual([...ALL_IDS].sort());
    for (const s of SIGNATURES) {
      expect(s.doc.length).toBeGreaterThan(20);
      expect(s.keywords.length).toBeGreaterThan(0);
    }
  });

  it('every signature has at least one positive example in the corpus', () => {
    const covered = new Set(POSITIVE.flatMap((p) => p.ids));
    for (const id of ALL_IDS) expect(covered.has(id)).toBe(true);
  });

  it.each(POSITIVE.map((p) => [p.ids.join('+'), p] as const))('matches %s: %#', (_name, p) => {
    const got = matchLine(p.line);
    expect(got.map((m) => m.id).sort()).toEqual([...p.ids].sort());
    if (p.groups) {
      const first = got.find((m) => m.id === p.ids[0]);
      expect(first?.groups).toEqual(expect.objectContaining(p.groups));
    }
  });

  it.each(NEGATIVE)('matches nothing in an ordinary line: %s', (line) => {
    expect(matchLine(line)).toEqual([]);
  });

  it('folds suffixed group names (host_grpc -> host) and drops groups that did not take part', () => {
    const [m] = matchLine('ipv4:10.0.0.1:81: Failed to connect to remote host: Connection refused');
    expect(m?.groups).toEqual({ host: '10.0.0.1', port: '81' });
    const [bare] = matchLine('Connection refused');
    expect(bare).toEqual({ id: 'client-refused' });
  });

  it("each signature's keywords occur in every corpus line its pattern matches (matchLine relies on it)", () => {
    for (const line of [...POSITIVE.map((p) => p.line), ...NEGATIVE]) {
      for (const sig of SIGNATURES) {
        if (sig.pattern.test(line)) expect([sig.id, line, sig.keywords.some((k) => line.includes(k))]).toEqual([sig.id, line, true]);
      }
    }
  });

  it('the keyword prefilter finds every positive line (it is never stricter than the patterns)', () => {
    const pre = keywordPrefilter();
    for (const p of POSITIVE) {
      pre.lastIndex = 0;
      expect([p.line, pre.test(p.line)]).toEqual([p.line, true]);
    }
  });
});

describe('toExtendedRegex', () => {
  it('turns JS-only syntax into ERE', () => {
    expect(toExtendedRegex(/a(?<x>\d+)(?:b|c)\s\/d.*?e/)).toBe('a([0-9]+)(b|c)[[:space:]]/d.*e');
    expect(() => toExtendedRegex(/a(?=b)/)).toThrow(/lookaround/);
    expect(() => toExtendedRegex(/a/i)).toThrow(/flags/);
    expect(() => toExtendedRegex(/[\w]/)).toThrow(/bracket/);
  });

  it('grep -E with the converted patterns selects the same corpus lines as the JS patterns', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-ere-'));
    try {
      const lines = [...POSITIVE.map((p) => p.line), ...NEGATIVE];
      const file = join(dir, 'corpus.log');
      writeFileSync(file, lines.join('\n') + '\n');
      for (const sig of SIGNATURES) {
        const ere = toExtendedRegex(sig.pattern);
        let out = '';
        try {
          out = execFileSync('grep', ['-n', '-E', ere, file], { encoding: 'utf8' });
        } catch (err) {
          // grep exits 1 when nothing matched; 2 is a bad pattern.
          expect((err as { status?: number }).status).toBe(1);
        }
        const grepLines = out.split('\n').filter(Boolean).map((l) => Number(l.slice(0, l.indexOf(':'))) - 1);
        const jsLines = lines.flatMap((l, i) => (sig.pattern.test(l) ? [i] : []));
        expect([sig.id, grepLines]).toEqual([sig.id, jsLines]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
