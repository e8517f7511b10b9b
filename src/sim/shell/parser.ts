/** The shell's parser: tokens to a tree of lists, and-or lists, pipelines and commands. */
import { SyntaxError_, Unsupported } from './errors.js';
import type { Token, Word } from './lexer.js';

/** `[n]OP TARGET`, e.g. `2>&1`, `>/dev/null`, `</dev/tcp/HOST/PORT`. */
export interface Redirection {
  fd: number | undefined;
  op: string;
  target: Word;
  line: number;
}

/** One command: a simple command or a compound one, each with its own redirections. */
export type Command =
  | { kind: 'simple'; words: Word[]; redirs: Redirection[]; line: number }
  | { kind: 'if'; clauses: { cond: List; body: List }[]; elseBody: List | undefined; redirs: Redirection[] }
  | { kind: 'for'; name: string; items: Word[] | undefined; body: List; redirs: Redirection[] }
  | { kind: 'case'; word: Word; clauses: { patterns: Word[]; body: List }[]; redirs: Redirection[] }
  | { kind: 'group'; list: List; subshell: boolean; redirs: Redirection[] };

/** A command, maybe negated with `!` (pipes are not modelled). */
export interface Pipeline {
  negate: boolean;
  command: Command;
}
/** Pipelines joined by `&&` and `||`. */
export interface AndOr {
  first: Pipeline;
  rest: { op: '&&' | '||'; pipeline: Pipeline }[];
}
/** And-or lists separated by `;` or newlines. */
export type List = AndOr[];

const RESERVED = new Set(['if', 'then', 'elif', 'else', 'fi', 'for', 'in', 'do', 'done', '{', '}', '!', 'while', 'until', 'case', 'esac', 'function', '[[', ']]']);

/** The literal text of a word if it is one plain unquoted literal (reserved-word test). */
function plainText(word: Word): string | undefined {
  const [only] = word.parts;
  return word.parts.length === 1 && only?.kind === 'lit' && !only.quoted ? only.text : undefined;
}

/** A recursive-descent parser over the lexer's tokens; `parseScript` gives the whole script as one list. */
export class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parseScript(): List {
    const list = this.parseList(new Set());
    const next = this.peek();
    if (next) throw new SyntaxError_(`"${this.describe(next)}" unexpected`);
    return list;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private describe(t: Token): string {
    if (t.type === 'word') return plainText(t.word) ?? 'word';
    if (t.type === 'op') return t.op === '\n' ? 'newline' : t.op;
    return t.op;
  }

  private reservedAt(): string | undefined {
    const t = this.peek();
    if (t?.type !== 'word') return undefined;
    const text = plainText(t.word);
    return text !== undefined && RESERVED.has(text) ? text : undefined;
  }

  private skipNewlines(): void {
    while (this.peek()?.type === 'op' && (this.peek() as { op: string }).op === '\n') this.pos++;
  }

  private expectReserved(word: string): void {
    this.skipNewlines();
    if (this.reservedAt() !== word) {
      const t = this.peek();
      throw new SyntaxError_(t ? `"${this.describe(t)}" unexpected (expecting "${word}")` : `end of file unexpected (expecting "${word}")`);
    }
    this.pos++;
  }

  /** A list ends at end of input, a `)` or one of `terminators` (reserved words). */
  private parseList(terminators: Set<string>): List {
    const list: List = [];
    while (true) {
      this.skipNewlines();
      const t = this.peek();
      if (!t) break;
      if (t.type === 'op' && (t.op === ')' || t.op === ';;')) break;
      const reserved = this.reservedAt();
      if (reserved && terminators.has(reserved)) break;
      if (t.type === 'op' && t.op === ';') throw new SyntaxError_(`"${t.op}" unexpected`);
      list.push(this.parseAndOr());
      const sep = this.peek();
      if (sep?.type === 'op' && sep.op === '&') throw new Unsupported('background jobs (&)');
      if (sep?.type === 'op' && (sep.op === ';' || sep.op === '\n')) {
        this.pos++;
        continue;
      }
      break;
    }
    return list;
  }

  private parseAndOr(): AndOr {
    const first = this.parsePipeline();
    const rest: AndOr['rest'] = [];
    while (true) {
      const t = this.peek();
      if (t?.type !== 'op' || (t.op !== '&&' && t.op !== '||')) break;
      this.pos++;
      this.skipNewlines();
      rest.push({ op: t.op, pipeline: this.parsePipeline() });
    }
    return { first, rest };
  }

  private parsePipeline(): Pipeline {
    let negate = false;
    if (this.reservedAt() === '!') {
      negate = true;
      this.pos++;
    }
    const command = this.parseCommand();
    const t = this.peek();
    if (t?.type === 'op' && t.op === '|') throw new Unsupported('pipelines (|)');
    return { negate, command };
  }

  private parseCommand(): Command {
    const t = this.peek();
    if (!t) throw new SyntaxError_('end of file unexpected');
    if (t.type === 'op' && t.op === '(') {
      this.pos++;
      const list = this.parseList(new Set());
      const close = this.peek();
      if (close?.type !== 'op' || close.op !== ')') throw new SyntaxError_('end of file unexpected (expecting ")")');
      this.pos++;
      return { kind: 'group', list, subshell: true, redirs: this.parseRedirs() };
    }
    if (t.type === 'op') throw new SyntaxError_(`"${this.describe(t)}" unexpected`);
    const reserved = this.reservedAt();
    if (reserved === 'if') return this.parseIf();
    if (reserved === 'for') return this.parseFor();
    if (reserved === 'case') return this.parseCase();
    if (reserved === '{') {
      this.pos++;
      const list = this.parseList(new Set(['}']));
      this.expectReserved('}');
      return { kind: 'group', list, subshell: false, redirs: this.parseRedirs() };
    }
    if (reserved === 'while' || reserved === 'until' || reserved === 'function' || reserved === '[[') {
      throw new Unsupported(`"${reserved}"`);
    }
    if (reserved) throw new SyntaxError_(`"${reserved}" unexpected`);
    return this.parseSimple();
  }

  private parseRedirs(): Redirection[] {
    const redirs: Redirection[] = [];
    while (this.peek()?.type === 'redir') redirs.push(this.parseRedir());
    return redirs;
  }

  private parseRedir(): Redirection {
    const t = this.peek() as Extract<Token, { type: 'redir' }>;
    this.pos++;
    const target = this.peek();
    if (target?.type !== 'word') throw new SyntaxError_(target ? `"${this.describe(target)}" unexpected` : 'end of file unexpected');
    this.pos++;
    return { fd: t.fd, op: t.op, target: target.word, line: t.line };
  }

  private parseSimple(): Command {
    const words: Word[] = [];
    const redirs: Redirection[] = [];
    const line = this.peek()?.line ?? 1;
    while (true) {
      const t = this.peek();
      if (t?.type === 'word') {
        if (words.length === 0 && t.word.parts.length === 1) {
          const text = plainText(t.word);
          if (text !== undefined && /^[A-Za-z_][A-Za-z0-9_]*\(\)$/.test(text)) throw new Unsupported('functions');
        }
        words.push(t.word);
        this.pos++;
      } else if (t?.type === 'redir') {
        redirs.push(this.parseRedir());
      } else if (t?.type === 'op' && t.op === '(' && words.length > 0) {
        throw new Unsupported('functions');
      } else {
        break;
      }
    }
    return { kind: 'simple', words, redirs, line };
  }

  private parseIf(): Command {
    this.pos++; // if
    const clauses: { cond: List; body: List }[] = [];
    let elseBody: List | undefined;
    const cond = this.parseList(new Set(['then']));
    this.expectReserved('then');
    clauses.push({ cond, body: this.parseList(new Set(['elif', 'else', 'fi'])) });
    while (true) {
      this.skipNewlines();
      const r = this.reservedAt();
      if (r === 'elif') {
        this.pos++;
        const c = this.parseList(new Set(['then']));
        this.expectReserved('then');
        clauses.push({ cond: c, body: this.parseList(new Set(['elif', 'else', 'fi'])) });
        continue;
      }
      if (r === 'else') {
        this.pos++;
        elseBody = this.parseList(new Set(['fi']));
      }
      break;
    }
    this.expectReserved('fi');
    return { kind: 'if', clauses, elseBody, redirs: this.parseRedirs() };
  }

  /** `case WORD in [(]PATTERN[|PATTERN]...) LIST ;; ... esac` */
  private parseCase(): Command {
    this.pos++; // case
    const wordToken = this.peek();
    if (wordToken?.type !== 'word') throw new SyntaxError_('Bad case');
    this.pos++;
    this.skipNewlines();
    if (this.reservedAt() !== 'in') throw new SyntaxError_('expecting "in"');
    this.pos++;
    const clauses: { patterns: Word[]; body: List }[] = [];
    while (true) {
      this.skipNewlines();
      if (this.reservedAt() === 'esac') {
        this.pos++;
        break;
      }
      let t = this.peek();
      if (t?.type === 'op' && t.op === '(') {
        this.pos++;
        t = this.peek();
      }
      const patterns: Word[] = [];
      while (true) {
        t = this.peek();
        if (t?.type !== 'word') throw new SyntaxError_(t ? `"${this.describe(t)}" unexpected` : 'end of file unexpected (expecting ")")');
        patterns.push(t.word);
        this.pos++;
        t = this.peek();
        if (t?.type === 'op' && t.op === '|') {
          this.pos++;
          continue;
        }
        if (t?.type === 'op' && t.op === ')') {
          this.pos++;
          break;
        }
        throw new SyntaxError_(t ? `"${this.describe(t)}" unexpected (expecting ")")` : 'end of file unexpected (expecting ")")');
      }
      const body = this.parseList(new Set(['esac']));
      clauses.push({ patterns, body });
      this.skipNewlines();
      t = this.peek();
      if (t?.type === 'op' && t.op === ';;') {
        this.pos++;
        continue;
      }
      if (this.reservedAt() === 'esac') continue;
      throw new SyntaxError_(t ? `"${this.describe(t)}" unexpected (expecting ";;")` : 'end of file unexpected (expecting ";;")');
    }
    return { kind: 'case', word: wordToken.word, clauses, redirs: this.parseRedirs() };
  }

  private parseFor(): Command {
    this.pos++; // for
    const nameToken = this.peek();
    const name = nameToken?.type === 'word' ? plainText(nameToken.word) : undefined;
    if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new SyntaxError_('Bad for loop variable');
    this.pos++;
    let items: Word[] | undefined;
    this.skipNewlines();
    if (this.reservedAt() === 'in') {
      this.pos++;
      items = [];
      while (this.peek()?.type === 'word') {
        items.push((this.peek() as { word: Word }).word);
        this.pos++;
      }
    }
    const sep = this.peek();
    if (sep?.type === 'op' && (sep.op === ';' || sep.op === '\n')) this.pos++;
    this.expectReserved('do');
    const body = this.parseList(new Set(['done']));
    this.expectReserved('done');
    return { kind: 'for', name, items, body, redirs: this.parseRedirs() };
  }
}
