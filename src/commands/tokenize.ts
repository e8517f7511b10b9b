/**
 * Splits a command line into words the way a shell user expects: whitespace separates,
 * single and double quotes group (including the "smart" quotes Slack clients substitute)
 * when they start a word or follow `=`, a backslash escapes the next character outside
 * single quotes. No expansion of any kind:
 * the words are data, never run by a shell.
 */
import { BadInputError } from '../errors.js';

const OPENERS: Record<string, string> = {
  '"': '"',
  "'": "'",
  '\u201c': '\u201d', // “ ”
  '\u201d': '\u201d', // some clients send ” on both sides
  '\u2018': '\u2019', // ‘ ’
  '\u2019': '\u2019',
};

/** A word and whether any part of it was quoted (a quoted `-n` is not an option). */
export interface Token {
  text: string;
  quoted: boolean;
}

/**
 * Tokenizes `text`. Throws BadInputError for an unclosed quote, because guessing where the
 * user meant it to end would run a different command than the one they typed.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let current = '';
  let inWord = false;
  let quoted = false;
  let closer: string | undefined;
  let singleLike = false;

  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] as string;
    if (closer !== undefined) {
      if (ch === closer || (closer === '\u201d' && ch === '"') || (closer === '"' && ch === '\u201d')) {
        closer = undefined;
      } else if (ch === '\\' && !singleLike && i + 1 < text.length) {
        i += 1;
        current += text[i];
      } else {
        current += ch;
      }
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) tokens.push({ text: current, quoted });
      current = '';
      inWord = false;
      quoted = false;
      continue;
    }
    const close = OPENERS[ch];
    // A quote opens only at the start of a word or after `=` (`--grep="a b"`), so the
    // apostrophe in `incident open agent can't reach mlserver` stays a letter.
    if (close !== undefined && (!inWord || current.endsWith('='))) {
      closer = close;
      singleLike = ch === "'" || ch === '\u2018' || ch === '\u2019';
      inWord = true;
      quoted = true;
      continue;
    }
    if (ch === '\\' && i + 1 < text.length) {
      i += 1;
      current += text[i];
      inWord = true;
      continue;
    }
    current += ch;
    inWord = true;
  }
  if (closer !== undefined) {
    throw new BadInputError(`Unclosed quote in "${text.trim()}": add the closing ${closer === "'" ? "'" : '"'}`);
  }
  if (inWord) tokens.push({ text: current, quoted });
  return tokens;
}
