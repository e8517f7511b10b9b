/**
 * The user's `--grep` pattern, run with RE2 semantics (re2js, a pure-JS port of RE2): matching
 * takes time linear in the line, whatever the pattern. JavaScript's own RegExp backtracks, so
 * `(.*)*X` on one long line pins a worker for good; RE2 has no backtracking and refuses the
 * features that need it (back-references, look-around).
 * https://github.com/google/re2/wiki/Syntax · https://github.com/le0pard/re2js
 */
import { RE2JS } from 're2js';
import { BadInputError } from '../errors.js';

/** A compiled `--grep` pattern: tests one line at a time. */
export interface LineMatcher {
  /** The pattern as the user gave it. */
  readonly source: string;
  /** True when the pattern matches anywhere in `line`. Linear in `line.length`. */
  test(line: string): boolean;
}

/** Options of {@link compileGrep}. */
export interface CompileGrepOptions {
  /** Match the text literally (runbook `grep:` steps). Default false. */
  literal?: boolean;
  /** Case-insensitive. Default false. */
  ignoreCase?: boolean;
  /** The flag named in error messages. Default `--grep`. */
  flag?: string;
}

/** What RE2 refuses that people write: the error says which and what to use instead. */
const HINTS: [RegExp, string][] = [
  [/\(\?<?[=!]/, 'look-ahead and look-behind ((?=…), (?!…), (?<=…), (?<!…)) are not supported; match the text itself, e.g. "refused" instead of "(?<=connection )refused"'],
  [/\\[1-9]/, 'back-references (\\1) are not supported; spell the repeated text out'],
  [/\{\d*,?\d{4,}\}/, 'a repeat count must be at most 1000, e.g. x{1,1000}'],
];

/**
 * Compiles a `--grep` pattern with RE2 semantics. Throws a {@link BadInputError} saying what
 * is wrong and what would work when RE2 cannot take it (a syntax error, a back-reference,
 * look-around, a repeat over 1000).
 */
export function compileGrep(pattern: string, options: CompileGrepOptions = {}): LineMatcher {
  const flag = options.flag ?? '--grep';
  const source = options.literal ? RE2JS.quote(pattern) : pattern;
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, options.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
    const hint = HINTS.find(([re]) => re.test(pattern))?.[1];
    throw new BadInputError(
      `${flag} "${pattern}" is not a valid regular expression for podnet, which runs patterns with RE2 syntax in linear time (https://github.com/google/re2/wiki/Syntax): ${why}${hint ? `; ${hint}` : ''}.`,
    );
  }
  return { source: pattern, test: (line) => re.test(line) };
}
