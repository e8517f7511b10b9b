import { compileGrep } from '../../src/logscan/grep.js';
import { validateRegex } from '../../src/commands/validate.js';
import { BadInputError } from '../../src/errors.js';
import { scanLog } from '../../src/logscan/scan.js';

describe('compileGrep (RE2 semantics)', () => {
  it.each([
    ['connection refused', 'dial tcp: connect: connection refused', true],
    ['refused|reset', 'connection reset by peer', true],
    ['^\\d{4}-\\d\\d', '2025-07-06 boot', true],
    ['(?i)ERROR', 'an error happened', true],
    ['port [0-9]+$', 'listening on port 9000', true],
    ['timeout', 'connection refused', false],
    ['(.*)*X', 'a'.repeat(10_000), false],
  ])('%s on %s → %s', (pattern, line, want) => {
    expect(compileGrep(pattern).test(line)).toBe(want);
  });

  it('matches non-ASCII text by character', () => {
    expect(compileGrep('café.ouvert').test('le café_ouvert')).toBe(true);
  });

  it('literal, case-insensitive patterns for runbook steps', () => {
    const m = compileGrep('a.b (x)', { literal: true, ignoreCase: true });
    expect(m.test('see A.B (X) here')).toBe(true);
    expect(m.test('aXb (x)')).toBe(false);
  });

  it.each([
    ['(a)\\1', /back-references/],
    ['(?<=connection )refused', /look-ahead and look-behind/],
    ['foo(?!bar)', /look-ahead and look-behind/],
    ['a{1,5000}', /at most 1000/],
    ['(', /missing closing \)/],
  ])('refuses %s saying why and what works', (pattern, hint) => {
    expect(() => compileGrep(pattern)).toThrow(BadInputError);
    expect(() => compileGrep(pattern)).toThrow(/is not a valid regular expression for podnet, which runs patterns with RE2 syntax/);
    expect(() => compileGrep(pattern)).toThrow(hint);
    expect(() => validateRegex(pattern)).toThrow(hint);
  });

  it('scanLog keeps lines matching an RE2 pattern, also across chunks and on an unterminated last line', async () => {
    const chunks = async function* () {
      yield* ['a refused\nok\nre', 'fused late\nrefused at end'];
    };
    const r = await scanLog(chunks(), { container: 'c', previous: false, grep: compileGrep('ref.sed') });
    expect(r.grepCount).toBe(3);
    expect(r.grepLines?.map((l) => l.text)).toEqual(['a refused', 'refused late', 'refused at end']);
  });
});
