/**
 * Runs one input-size-hostile case in its own process, so a test can kill it at a timeout far
 * above its linear cost (a backtracking or quadratic version takes minutes to hours on these
 * inputs, a linear one well under a second). Prints `ok <ms>` and exits 0 when done.
 * Run: node --import ./test/helpers/register-ts.js test/helpers/linear-child.ts CASE
 */
import { Writable } from 'node:stream';
import { createAuditLog } from '../../src/authz/audit.js';
import { compileGrep } from '../../src/logscan/grep.js';
import { redactBounded, redactLines, redactSecrets } from '../../src/logscan/redact.js';
import { scanLog } from '../../src/logscan/scan.js';
import { adversarialLines, EVIL_PATTERNS } from '../../bench/adversarial.js';

const MB = 1024 * 1024;

async function* chunks(list: string[]): AsyncGenerator<string> {
  yield* list;
}

const CASES: Record<string, () => Promise<void> | void> = {
  /** Every evil pattern over a 1 MB line (cut at the scanner's 16 KiB line bound) and 1 MB of short lines. */
  async grep() {
    const long = `${'a'.repeat(MB)}\n`;
    const short = `${'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=\n'.repeat(MB / 48)}`;
    for (const p of EVIL_PATTERNS) {
      const r = await scanLog(chunks([long, short]), { container: 'c', previous: false, grep: compileGrep(p) });
      if (r.lines < 2) throw new Error('scan read nothing');
    }
  },
  /** The same patterns on a whole 1 MB line, no cut: RE2 is linear in the line itself. */
  grepLine() {
    const line = 'a'.repeat(MB);
    for (const p of EVIL_PATTERNS) compileGrep(p).test(line);
  },
  /** Every redaction rule over every 1 MB adversarial line. */
  redact() {
    for (const line of Object.values(adversarialLines(MB))) redactSecrets(line);
  },
  /** The uploaded log file: 1 MB adversarial lines redacted line by line. */
  redactFile() {
    redactLines(Object.values(adversarialLines(MB)).join('\n'), 16 * 1024);
  },
  /** A slash command of 1 MB through the audit log (redacted after it is cut). */
  audit() {
    const log = createAuditLog({ stream: new Writable({ write: (_c, _e, done) => done() }) });
    for (const line of Object.values(adversarialLines(MB))) log.record({ who: 'U1', command: line, outcome: 'invalid', reason: line });
  },
  bounded() {
    for (const line of Object.values(adversarialLines(MB))) redactBounded(line, 2000);
  },
};

const name = process.argv[2] ?? '';
const run = CASES[name];
if (!run) {
  console.error(`unknown case "${name}"; known: ${Object.keys(CASES).join(', ')}`);
  process.exit(2);
}
const t0 = performance.now();
await run();
console.log(`ok ${Math.round(performance.now() - t0)}`);
