/**
 * Linear time for what a user or a log controls (issue 11, finding 4): 1 MB adversarial lines
 * through `--grep` (RE2 semantics) and through the redactor, each as a ratio against a
 * baseline run over bytes of the same size in the same process:
 *
 * - redaction: each adversarial 1 MB line vs 1 MB of ordinary log lines through the same
 *   `redactSecrets` (the old URL rule took ~40 s on 300 KB of `a-a-a-`: a ratio in the
 *   thousands);
 * - growth: the worst shape at 4 MB vs 1 MB (linear ≈ 4, quadratic ≈ 16);
 * - grep: `scanLog` with each catastrophic pattern over a 1 MB line plus 1 MB of short lines,
 *   vs `scanLog` with the literal pattern `refused` over the same bytes;
 * - one whole 1 MB line through the compiled RE2 pattern vs a plain `indexOf` scan of it.
 *
 * Best of 3 runs each (the machine is shared).
 */
import { compileGrep } from '../src/logscan/grep.js';
import { redactSecrets } from '../src/logscan/redact.js';
import { scanLog } from '../src/logscan/scan.js';
import { adversarialLines, EVIL_PATTERNS } from './adversarial.js';
import { check, info, type Bench, type Figure } from './harness.js';

const MB = 1024 * 1024;
const RUNS = 3;

function best(fn: () => unknown): number {
  let min = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

async function bestAsync(fn: () => Promise<unknown>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

/** ~`bytes` of what a server logs on an ordinary day, with a few secrets to mask. */
function ordinaryLog(bytes: number): string {
  const lines = [
    'time="2025-07-06T15:17:51Z" level=info msg="Received inference request" model=iris replica=1',
    '2025-07-06 15:17:51,123 [mlserver] INFO - POST /v2/models/iris/infer 200 3.1ms',
    'INFO:     10.42.0.17:51234 - "POST /v2/models/iris/infer HTTP/1.1" 200 OK',
    '{"level":"info","msg":"connecting","url":"redis://default:hunter2@redis:6379/0","password":"x"}',
    'dial tcp 127.0.0.1:9500: connect: connection refused',
  ];
  let out = '';
  for (let i = 0; out.length < bytes; i++) out += `${lines[i % lines.length]}\n`;
  return out.slice(0, bytes);
}

/** The chunks as the stream a log read gives. */
async function* chunks(list: string[]): AsyncGenerator<string> {
  yield* list;
}

export const bench: Bench = {
  name: 'linear',
  description: '1 MB adversarial lines through --grep (RE2) and redaction, as ratios to ordinary input of the same size',
  async run(log) {
    const figures: Figure[] = [];
    const ordinary = ordinaryLog(MB);
    const base = best(() => redactSecrets(ordinary));
    figures.push(info('redact 1 MB of ordinary log lines (baseline)', base, 'ms'));
    let worst = { name: '', ms: 0 };
    for (const [name, line] of Object.entries(adversarialLines(MB))) {
      const ms = best(() => redactSecrets(line));
      log(`redact ${name}: ${ms.toFixed(1)} ms`);
      if (ms > worst.ms) worst = { name, ms };
    }
    figures.push(check(`redact worst 1 MB line (${worst.name}) / baseline`, worst.ms / base, 'x', '<=', 20));
    const big = adversarialLines(4 * MB)[worst.name]!;
    const one = adversarialLines(MB)[worst.name]!;
    figures.push(check(`redact growth 4 MB / 1 MB (${worst.name})`, best(() => redactSecrets(big)) / best(() => redactSecrets(one)), 'x', '<=', 8));

    const input = [`${'a'.repeat(MB)}\n`, `${'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=\n'.repeat(MB / 48)}`];
    const scan = (pattern: string) => () => scanLog(chunks(input), { container: 'c', previous: false, grep: compileGrep(pattern) });
    const plain = await bestAsync(scan('refused'));
    figures.push(info('scanLog --grep refused over 2 MB (baseline)', plain, 'ms'));
    let worstGrep = { pattern: '', ms: 0 };
    for (const p of EVIL_PATTERNS) {
      const ms = await bestAsync(scan(p));
      log(`scanLog --grep ${p}: ${ms.toFixed(1)} ms`);
      if (ms > worstGrep.ms) worstGrep = { pattern: p, ms };
    }
    figures.push(check(`scanLog worst --grep (${worstGrep.pattern}) / baseline`, worstGrep.ms / plain, 'x', '<=', 20));

    const line = 'a'.repeat(MB);
    const scanBase = best(() => line.indexOf('X'));
    let worstLine = 0;
    for (const p of EVIL_PATTERNS) {
      const m = compileGrep(p);
      worstLine = Math.max(worstLine, best(() => m.test(line)));
    }
    figures.push(info('RE2 worst pattern on one whole 1 MB line', worstLine, 'ms'));
    figures.push(info('indexOf over the same 1 MB line', scanBase, 'ms'));
    return figures;
  },
};
