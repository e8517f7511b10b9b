/** The shell's lexer: script text to words, operators and redirections. */
import { SyntaxError_, Unsupported } from './errors.js';

/** One piece of a word: literal text, a parameter (`$NAME`, `${N}`, `$@` ...) or a `$(...)`. */
export type WordPart =
  | { kind: 'lit'; text: string; quoted: boolean }
  | { kind: 'param'; name: string; quoted: boolean }
  | { kind: 'cmdsub'; script: string; quoted: boolean };

/** A shell word as the lexer found it, before expansion. */
export interface Word {
  parts: WordPart[];
  line: number;
}

/** A word, an operator (`;`, `&&`, newline ...) or a redirection operator with its fd. */
export type Token =
  | { type: 'word'; word: Word; line: number }
  | { type: 'op'; op: string; line: number }
  | { type: 'redir'; fd: number | undefined; op: string; line: number };

const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '$', '!', '-', '0']);

/** Splits a script into tokens (POSIX sh quoting; `$(...)` kept as text for the interpreter to run). */
export function lex(script: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let parts: WordPart[] = [];
  let wordLine = 1;
  let inWord = false;

  const addLit = (text: string, quoted: boolean): void => {
    if (!inWord) {
      inWord = true;
      wordLine = line;
    }
    const last = parts[parts.length - 1];
    if (last && last.kind === 'lit' && last.quoted === quoted) last.text += text;
    else parts.push({ kind: 'lit', text, quoted });
  };
  const addParam = (name: string, quoted: boolean): void => {
    if (!inWord) {
      inWord = true;
      wordLine = line;
    }
    parts.push({ kind: 'param', name, quoted });
  };
  const endWord = (): void => {
    if (inWord) tokens.push({ type: 'word', word: { parts, line: wordLine }, line: wordLine });
    parts = [];
    inWord = false;
  };
  /** `$(...)` at script[i]: the text up to the matching `)` (quotes and nesting respected). */
  const commandSubstitution = (quoted: boolean): void => {
    if (script[i + 2] === '(') throw new Unsupported('arithmetic $((...))');
    let depth = 1;
    let j = i + 2;
    while (j < script.length && depth > 0) {
      const d = script[j];
      if (d === "'") {
        const close = script.indexOf("'", j + 1);
        if (close < 0) throw new SyntaxError_('Unterminated quoted string');
        j = close + 1;
        continue;
      }
      if (d === '\\') {
        j += 2;
        continue;
      }
      if (d === '"') {
        j++;
        while (j < script.length && script[j] !== '"') j += script[j] === '\\' ? 2 : 1;
        j++;
        continue;
      }
      if (d === '(') depth++;
      else if (d === ')') depth--;
      j++;
    }
    if (depth > 0) throw new SyntaxError_('end of file unexpected (expecting ")")');
    const inner = script.slice(i + 2, j - 1);
    if (!inWord) {
      inWord = true;
      wordLine = line;
    }
    parts.push({ kind: 'cmdsub', script: inner, quoted });
    line += inner.split('\n').length - 1;
    i = j;
  };
  /** `$...` at script[i] (script[i] === '$'); returns the new index. */
  const dollar = (quoted: boolean): void => {
    const next = script[i + 1] ?? '';
    if (next === '(') {
      commandSubstitution(quoted);
      return;
    }
    if (next === '[') throw new Unsupported('arithmetic $[...]');
    if (next === '{') {
      const close = script.indexOf('}', i + 2);
      if (close < 0) throw new SyntaxError_('bad substitution');
      const inner = script.slice(i + 2, close);
      if (!/^(?:[A-Za-z_][A-Za-z0-9_]*|\d+|[@*#?$!0-])$/.test(inner)) throw new Unsupported(`parameter expansion \${${inner}}`);
      addParam(inner, quoted);
      i = close + 1;
      return;
    }
    if (/[0-9]/.test(next) || SPECIAL_PARAMS.has(next)) {
      addParam(next, quoted);
      i += 2;
      return;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(script.slice(i + 1));
    if (name) {
      addParam(name[0], quoted);
      i += 1 + name[0].length;
      return;
    }
    addLit('$', quoted);
    i += 1;
  };

  while (i < script.length) {
    const c = script[i] ?? '';
    if (c === '\\') {
      const next = script[i + 1];
      if (next === '\n') {
        line++;
        i += 2;
        continue;
      }
      addLit(next ?? '\\', true);
      i += next === undefined ? 1 : 2;
      continue;
    }
    if (c === "'") {
      const close = script.indexOf("'", i + 1);
      if (close < 0) throw new SyntaxError_('Unterminated quoted string');
      const text = script.slice(i + 1, close);
      addLit(text, true);
      line += text.split('\n').length - 1;
      i = close + 1;
      continue;
    }
    if (c === '"') {
      addLit('', true);
      i++;
      while (true) {
        const d = script[i];
        if (d === undefined) throw new SyntaxError_('Unterminated quoted string');
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && ['$', '`', '"', '\\', '\n'].includes(script[i + 1] ?? '')) {
          if (script[i + 1] !== '\n') addLit(script[i + 1] ?? '', true);
          else line++;
          i += 2;
          continue;
        }
        if (d === '$') {
          dollar(true);
          continue;
        }
        if (d === '`') throw new Unsupported('command substitution `...`');
        if (d === '\n') line++;
        addLit(d, true);
        i++;
      }
      continue;
    }
    if (c === '$') {
      dollar(false);
      continue;
    }
    if (c === '`') throw new Unsupported('command substitution `...`');
    if (c === '#' && !inWord) {
      while (i < script.length && script[i] !== '\n') i++;
      continue;
    }
    if (c === ' ' || c === '\t') {
      endWord();
      i++;
      continue;
    }
    if (c === '\n') {
      endWord();
      tokens.push({ type: 'op', op: '\n', line });
      line++;
      i++;
      continue;
    }
    // An all-digit word right before < or > is the fd of a redirection.
    if (c === '<' || c === '>') {
      let fd: number | undefined;
      if (inWord && parts.length === 1 && parts[0]?.kind === 'lit' && !parts[0].quoted && /^\d$/.test(parts[0].text)) {
        fd = Number(parts[0].text);
        parts = [];
        inWord = false;
      } else {
        endWord();
      }
      const three = script.slice(i, i + 3);
      const two = script.slice(i, i + 2);
      let op: string = c;
      if (three === '<<<') throw new Unsupported('here-string <<<');
      if (two === '<<') throw new Unsupported('here-document <<');
      if (['>>', '>&', '<&', '<>', '>|'].includes(two)) op = two;
      tokens.push({ type: 'redir', fd, op, line });
      i += op.length;
      continue;
    }
    if (c === '&' || c === '|' || c === ';' || c === '(' || c === ')') {
      endWord();
      const two = script.slice(i, i + 2);
      if (two === '&>') {
        tokens.push({ type: 'redir', fd: undefined, op: '&>', line });
        i += 2;
        continue;
      }
      const op = ['&&', '||', ';;'].includes(two) ? two : c;
      tokens.push({ type: 'op', op, line });
      i += op.length;
      continue;
    }
    addLit(c, false);
    i++;
  }
  endWord();
  return tokens;
}
