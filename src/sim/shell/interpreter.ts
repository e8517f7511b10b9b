/** The shell's interpreter: runs the parsed script (dash or bash flavour) over the exec context. */
import { bashConnectFailure, failedConnectSeconds } from '../dial-words.js';
import { dialAddress, resolveHost } from '../netmodel.js';
import { clockOf, findOverride, hasTool, type ExecContext, type ProgramRunner, type Writer } from './context.js';
import { SyntaxError_, Unsupported } from './errors.js';
import { lex, type Word } from './lexer.js';
import { Parser, type AndOr, type Command, type List, type Pipeline, type Redirection } from './parser.js';
import { readModelFile } from './programs/files.js';
import { testCommand } from './programs/test-command.js';
import { echoCommand, printfCommand } from './programs/text.js';

/** Which shell's wording and features: `sh` is dash (Debian), `bash` is bash. */
export type Flavour = 'dash' | 'bash';

/** Where an fd points. */
type FdTarget = 'stdout' | 'stderr' | 'null' | 'socket' | { content: string };

class ExitSignal {
  constructor(readonly status: number) {}
}

/** A redirection failed: the command does not run; `status` is the shell's for that case. */
class RedirectFailed {
  constructor(readonly status: number) {}
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const BUILTINS = new Set(['echo', 'printf', 'true', 'false', ':', 'exit', 'exec', 'command', 'test', '[', 'set', 'shift', 'cd', 'pwd', 'type']);

/** What a shell starts with. */
export interface ShellOptions {
  /** Runs the programs the script starts (the runtime's program table). */
  runProgram: ProgramRunner;
  /** `set -e` from the start (`sh -e`); default false. */
  errexit?: boolean;
}

/** One shell process: its variables, positional parameters, fds and `$?`; `run` runs a script. */
export class Shell {
  private status = 0;
  private errexit = false;
  private conditionDepth = 0;
  private fds: Map<number, FdTarget>;
  private readonly vars = new Map<string, string>();
  private readonly runProgram: ProgramRunner;

  constructor(
    private readonly ctx: ExecContext,
    private readonly flavour: Flavour,
    private readonly name: string,
    private positional: string[],
    stdin: string,
    private readonly sink: Writer,
    options: ShellOptions,
  ) {
    this.fds = new Map<number, FdTarget>([
      [0, { content: stdin }],
      [1, 'stdout'],
      [2, 'stderr'],
    ]);
    this.errexit = options.errexit ?? false;
    this.runProgram = options.runProgram;
    this.vars.set('PATH', DEFAULT_PATH);
    this.vars.set('HOME', '/root');
    this.vars.set('HOSTNAME', ctx.pod);
    this.vars.set('IFS', ' \t\n');
  }

  run(script: string): number {
    let list: List;
    try {
      list = new Parser(lex(script)).parseScript();
    } catch (error) {
      if (error instanceof Unsupported) return this.unsupported(error.message);
      if (error instanceof SyntaxError_) {
        this.sink.err(this.flavour === 'dash' ? `${this.name}: 1: Syntax error: ${error.message}\n` : `${this.name}: -c: line 1: syntax error: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
    try {
      this.runList(list);
      return this.status;
    } catch (error) {
      if (error instanceof ExitSignal) return error.status;
      if (error instanceof Unsupported) return this.unsupported(error.message);
      throw error;
    }
  }

  private unsupported(what: string): number {
    this.sink.err(`${this.name}: unsupported by podnet simulator: ${what}\n`);
    return 2;
  }

  /** The prefix of an error message about line `line`: `sh: 1: ` (dash), `bash: line 1: ` (bash). */
  private where(line: number): string {
    return this.flavour === 'dash' ? `${this.name}: ${line}: ` : `${this.name}: line ${line}: `;
  }

  private writerFor(fds: Map<number, FdTarget>): Writer {
    const write = (fd: number, text: string): void => {
      const target = fds.get(fd);
      if (target === 'stdout') this.sink.out(text);
      else if (target === 'stderr') this.sink.err(text);
    };
    return { out: (t) => write(1, t), err: (t) => write(2, t) };
  }

  private runList(list: List): void {
    for (const andOr of list) this.runAndOr(andOr);
  }

  private runAndOr(andOr: AndOr): void {
    const count = andOr.rest.length;
    // In `a && b || c` only the last pipeline is subject to set -e.
    this.runGuarded(andOr.first, count > 0);
    andOr.rest.forEach(({ op, pipeline }, i) => {
      if ((op === '&&' && this.status === 0) || (op === '||' && this.status !== 0)) this.runGuarded(pipeline, i < count - 1);
    });
  }

  private runGuarded(pipeline: Pipeline, guarded: boolean): void {
    if (!guarded) {
      this.runPipeline(pipeline, true);
      return;
    }
    this.conditionDepth++;
    try {
      this.runPipeline(pipeline, false);
    } finally {
      this.conditionDepth--;
    }
  }

  private runPipeline(pipeline: Pipeline, errexitApplies: boolean): void {
    if (pipeline.negate) {
      this.conditionDepth++;
      try {
        this.runCommand(pipeline.command);
      } finally {
        this.conditionDepth--;
      }
      this.status = this.status === 0 ? 1 : 0;
      return;
    }
    this.runCommand(pipeline.command);
    if (errexitApplies && this.errexit && this.conditionDepth === 0 && this.status !== 0) throw new ExitSignal(this.status);
  }

  private runCommand(command: Command): void {
    if (command.kind === 'simple') {
      this.runSimple(command);
      return;
    }
    const saved = this.fds;
    if (command.redirs.length > 0) {
      try {
        this.fds = this.applyRedirections(command.redirs, new Map(saved), false);
      } catch (error) {
        if (error instanceof RedirectFailed) {
          this.status = error.status;
          return;
        }
        throw error;
      }
    }
    try {
      this.runCompound(command);
    } finally {
      this.fds = saved;
    }
  }

  private runCompound(command: Exclude<Command, { kind: 'simple' }>): void {
    switch (command.kind) {
      case 'if': {
        for (const clause of command.clauses) {
          this.conditionDepth++;
          try {
            this.runList(clause.cond);
          } finally {
            this.conditionDepth--;
          }
          if (this.status === 0) {
            this.runList(clause.body);
            return;
          }
        }
        if (command.elseBody) this.runList(command.elseBody);
        else this.status = 0;
        return;
      }
      case 'for': {
        const items = command.items ? command.items.flatMap((w) => this.expand(w)) : [...this.positional];
        this.status = 0;
        for (const item of items) {
          this.vars.set(command.name, item);
          this.runList(command.body);
        }
        return;
      }
      case 'case': {
        const subject = this.expand(command.word, false).join('');
        this.status = 0;
        for (const clause of command.clauses) {
          if (clause.patterns.some((p) => this.patternRegExp(p).test(subject))) {
            this.runList(clause.body);
            return;
          }
        }
        return;
      }
      case 'group': {
        if (!command.subshell) {
          this.runList(command.list);
          return;
        }
        const saved = { vars: new Map(this.vars), positional: [...this.positional], errexit: this.errexit };
        try {
          this.runList(command.list);
        } catch (error) {
          if (!(error instanceof ExitSignal)) throw error;
          this.status = error.status;
        } finally {
          this.vars.clear();
          for (const [k, v] of saved.vars) this.vars.set(k, v);
          this.positional = saved.positional;
          this.errexit = saved.errexit;
        }
        return;
      }
    }
  }

  private runSimple(command: Extract<Command, { kind: 'simple' }>): void {
    // Leading NAME=value words are assignments (kept for the rest of the script).
    let index = 0;
    for (; index < command.words.length; index++) {
      const word = command.words[index] as Word;
      const first = word.parts[0];
      const match = first?.kind === 'lit' && !first.quoted ? /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.text) : null;
      if (!match || !first || first.kind !== 'lit') break;
      const valueWord: Word = { line: word.line, parts: [{ ...first, text: first.text.slice(match[0].length) }, ...word.parts.slice(1)] };
      this.vars.set(match[1] ?? '', this.expand(valueWord, false).join(' '));
    }
    const argv = command.words.slice(index).flatMap((w) => this.expand(w));
    const name = argv[0];
    const isExec = name === 'exec';
    let fds: Map<number, FdTarget>;
    try {
      fds = this.applyRedirections(command.redirs, new Map(this.fds), isExec && argv.length === 1);
    } catch (error) {
      if (!(error instanceof RedirectFailed)) throw error;
      this.status = error.status;
      if (isExec && this.flavour === 'dash') throw new ExitSignal(error.status); // a special builtin's redirection error ends sh
      return;
    }
    if (name === undefined) {
      this.status = 0;
      return;
    }
    if (isExec) {
      if (argv.length === 1) {
        this.fds = fds;
        this.status = 0;
        return;
      }
      this.status = this.runExternal(argv.slice(1), fds, command.line);
      throw new ExitSignal(this.status);
    }
    this.status = BUILTINS.has(name) ? this.runBuiltin(argv, fds, command.line) : this.runExternal(argv, fds, command.line);
  }

  private runExternal(argv: string[], fds: Map<number, FdTarget>, line: number): number {
    const name = argv[0] ?? '';
    const w = this.writerFor(fds);
    const override = findOverride(this.ctx, argv);
    if (override) return this.runProgram(this.ctx, argv, '', w);
    if (!hasTool(this.ctx, name)) {
      if (name.includes('/')) {
        w.err(this.flavour === 'dash' ? `${this.where(line)}${name}: not found\n` : `${this.where(line)}${name}: No such file or directory\n`);
      } else {
        w.err(this.flavour === 'dash' ? `${this.where(line)}${name}: not found\n` : `${this.where(line)}${name}: command not found\n`);
      }
      return 127;
    }
    const input = fds.get(0);
    return this.runProgram(this.ctx, argv, typeof input === 'object' ? input.content : '', w);
  }

  private runBuiltin(argv: string[], fds: Map<number, FdTarget>, line: number): number {
    const [name = '', ...args] = argv;
    const w = this.writerFor(fds);
    switch (name) {
      case 'echo':
        return echoCommand(args, this.flavour === 'dash', w);
      case 'printf':
        return printfCommand(args, w);
      case 'true':
      case ':':
      case 'cd':
        return 0;
      case 'false':
        return 1;
      case 'pwd':
        w.out('/\n');
        return 0;
      case 'test':
      case '[':
        return testCommand(args, this.ctx, w, name);
      case 'exit': {
        const code = args[0] === undefined ? this.status : Number.parseInt(args[0], 10);
        if (Number.isNaN(code)) {
          w.err(this.flavour === 'dash' ? `${this.where(line)}exit: Illegal number: ${args[0]}\n` : `${this.where(line)}exit: ${args[0]}: numeric argument required\n`);
          throw new ExitSignal(2);
        }
        throw new ExitSignal(code & 0xff);
      }
      case 'shift': {
        const n = args[0] === undefined ? 1 : Number(args[0]);
        if (!(n <= this.positional.length)) {
          w.err(this.flavour === 'dash' ? `${this.where(line)}shift: can't shift that many\n` : '');
          return this.flavour === 'dash' ? 2 : 1;
        }
        this.positional = this.positional.slice(n);
        return 0;
      }
      case 'set':
        return this.setBuiltin(args);
      case 'command':
      case 'type':
        return this.commandBuiltin(name, args, fds, line);
      default:
        return this.unsupportedStatus(`builtin ${name}`);
    }
  }

  private unsupportedStatus(what: string): never {
    throw new Unsupported(what);
  }

  private setBuiltin(args: string[]): number {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] ?? '';
      if (arg === '--') {
        this.positional = args.slice(i + 1);
        return 0;
      }
      if (/^[-+][euxvfC]+$/.test(arg)) {
        if (arg.includes('e')) this.errexit = arg.startsWith('-');
        continue;
      }
      if ((arg === '-o' || arg === '+o') && args[i + 1] !== undefined) {
        const option = args[++i];
        if (option === 'errexit') this.errexit = arg === '-o';
        else if (option !== 'nounset' && option !== 'pipefail' && option !== 'xtrace') throw new Unsupported(`set ${arg} ${option}`);
        continue;
      }
      this.positional = args.slice(i);
      return 0;
    }
    return 0;
  }

  /** `command -v NAME`: builtins print their name, programs their path; missing: 127 (dash) / 1 (bash). */
  private commandBuiltin(name: string, args: string[], fds: Map<number, FdTarget>, line: number): number {
    const w = this.writerFor(fds);
    const mode = name === 'type' ? '-V' : args[0] === '-v' || args[0] === '-V' ? args[0] : undefined;
    const targets = name === 'type' ? args : mode ? args.slice(1) : args;
    if (!mode) {
      if (targets.length === 0) return 0;
      const argv = targets;
      return BUILTINS.has(argv[0] ?? '') ? this.runBuiltin(argv, fds, line) : this.runExternal(argv, fds, line);
    }
    let status = 0;
    for (const target of targets) {
      const known = BUILTINS.has(target) ? 'builtin' : hasTool(this.ctx, target) ? 'program' : undefined;
      const path = target.includes('/') ? target : `/usr/bin/${target}`;
      if (mode === '-v') {
        if (known === 'builtin') w.out(`${target}\n`);
        else if (known === 'program') w.out(`${path}\n`);
        else status = this.flavour === 'dash' ? 127 : 1;
        continue;
      }
      if (known === 'builtin') w.out(this.flavour === 'dash' ? `${target} is a shell builtin\n` : `${target} is a shell builtin\n`);
      else if (known === 'program') w.out(`${target} is ${path}\n`);
      else {
        if (this.flavour === 'dash') w.out(`${target}: not found\n`);
        else w.err(`${this.where(line)}${name}: ${target}: not found\n`);
        status = this.flavour === 'dash' ? 127 : 1;
      }
    }
    return status;
  }

  /**
   * Applies redirections to a copy of the fd table. A dial to /dev/tcp (bash) happens
   * here. Throws RedirectFailed (after printing the shell's message) when one fails.
   */
  private applyRedirections(redirs: Redirection[], fds: Map<number, FdTarget>, _permanent: boolean): Map<number, FdTarget> {
    for (const redir of redirs) {
      const fields = this.expand(redir.target, false);
      const target = fields.join(' ');
      const w = this.writerFor(fds);
      const fd = redir.fd ?? (redir.op.startsWith('<') ? 0 : 1);
      if (redir.op === '>&' || redir.op === '<&') {
        if (target === '-') {
          fds.delete(fd);
          continue;
        }
        const from = /^\d$/.test(target) ? fds.get(Number(target)) : undefined;
        if (from === undefined) {
          if (!/^\d$/.test(target) && redir.op === '>&' && redir.fd === undefined) {
            // `>&FILE` is bash's `&>FILE`.
            const t = this.openPath(target, '&>', fds, redir.line, w);
            fds.set(1, t);
            fds.set(2, t);
            continue;
          }
          w.err(this.flavour === 'dash' ? `${this.where(redir.line)}${target}: Bad file descriptor\n` : `${this.where(redir.line)}${target}: Bad file descriptor\n`);
          throw new RedirectFailed(this.flavour === 'dash' ? 2 : 1);
        }
        fds.set(fd, from);
        continue;
      }
      const opened = this.openPath(target, redir.op, fds, redir.line, w);
      if (redir.op === '&>') {
        fds.set(1, opened);
        fds.set(2, opened);
      } else {
        fds.set(fd, opened);
      }
    }
    return fds;
  }

  private openPath(path: string, op: string, fds: Map<number, FdTarget>, line: number, w: Writer): FdTarget {
    const reading = op === '<';
    if (path === '/dev/null') return 'null';
    if (path === '/dev/stdout' || path === '/dev/fd/1') return fds.get(1) ?? 'null';
    if (path === '/dev/stderr' || path === '/dev/fd/2') return fds.get(2) ?? 'null';
    const tcp = /^\/dev\/(tcp|udp)\/([^/]+)\/([^/]+)$/.exec(path);
    if (tcp && this.flavour === 'bash') return this.bashDial(tcp[1] ?? 'tcp', tcp[2] ?? '', tcp[3] ?? '', path, line, w);
    const content = reading ? readModelFile(this.ctx, path) : undefined;
    if (content !== undefined) return { content };
    if (this.flavour === 'dash') {
      const missingDir = path.startsWith('/dev/tcp/') || path.startsWith('/dev/udp/');
      if (reading || op === '<&') w.err(`${this.where(line)}cannot open ${path}: No such file\n`);
      else if (missingDir) w.err(`${this.where(line)}cannot create ${path}: Directory nonexistent\n`);
      else throw new Unsupported(`writing to ${path}`);
      throw new RedirectFailed(2);
    }
    if (reading) {
      w.err(`${this.where(line)}${path}: No such file or directory\n`);
      throw new RedirectFailed(1);
    }
    throw new Unsupported(`writing to ${path}`);
  }

  /** bash's /dev/tcp/HOST/PORT: getaddrinfo, then connect() to each address; only the last error is reported. */
  private bashDial(proto: string, host: string, portText: string, path: string, line: number, w: Writer): FdTarget {
    if (proto !== 'tcp') throw new Unsupported('/dev/udp');
    const addresses = resolveHost(host, { podIP: this.ctx.podIP, hostnames: [this.ctx.pod] });
    const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
    // bash's own wording; the NXDOMAIN line is getaddrinfo's (gai_strerror(EAI_NONAME)).
    if (!addresses || !(port >= 1 && port <= 65535)) {
      if (!addresses) w.err(`${this.where(line)}${host}: Name or service not known\n`);
      else w.err(`${this.where(line)}${portText}: Servname not supported for ai_socktype\n`);
      w.err(`${this.where(line)}${path}: Invalid argument\n`);
      throw new RedirectFailed(1);
    }
    let result: 'refused' | 'timeout' = 'refused';
    for (const address of addresses) {
      const r = dialAddress(this.ctx.listeners, address, port, this.ctx.podIP, this.ctx.network);
      if (r === 'connected') return 'socket';
      result = r;
      // bash has no connect timeout of its own: a dropped SYN waits for the kernel's.
      clockOf(this.ctx).wait(failedConnectSeconds({ result: r }));
    }
    w.err(bashConnectFailure(this.name, this.where(line), path, { result }));
    throw new RedirectFailed(1);
  }

  /**
   * A case pattern as a RegExp: unquoted `*` and `?` are wildcards, everything quoted or
   * expanded is literal. (Bracket expressions are not modelled: quote a `[` in a pattern.)
   */
  private patternRegExp(word: Word): RegExp {
    let source = '';
    const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const part of word.parts) {
      if (part.kind === 'lit' && !part.quoted) {
        if (/\[/.test(part.text)) throw new Unsupported('bracket expressions in case patterns');
        source += [...part.text].map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : literal(c))).join('');
      } else if (part.kind === 'lit') source += literal(part.text);
      else if (part.kind === 'param') source += literal(this.param(part.name));
      else source += literal(this.substitute(part.script));
    }
    return new RegExp(`^${source}$`);
  }

  /** `$(SCRIPT)`: runs it in a subshell and gives its stdout less trailing newlines; stderr passes through. */
  private substitute(script: string): string {
    let captured = '';
    const parentErr = this.writerFor(this.fds);
    const sink: Writer = { out: (t) => (captured += t), err: (t) => parentErr.err(t) };
    const sub = new Shell(this.ctx, this.flavour, this.name, [...this.positional], '', sink, { errexit: false, runProgram: this.runProgram });
    for (const [k, v] of this.vars) sub.vars.set(k, v);
    this.status = sub.run(script);
    return captured.replace(/\n+$/, '');
  }

  // Expansion: parameters and command substitution, then field splitting of unquoted expansions. No globbing.
  private expand(word: Word, split = true): string[] {
    const fields: string[] = [];
    let current = '';
    let hasField = false;
    const ifs = this.vars.get('IFS') ?? ' \t\n';
    const pushSplit = (value: string): void => {
      if (!split) {
        current += value;
        hasField = hasField || value !== '';
        return;
      }
      const pieces = ifs === '' ? [value] : value.split(new RegExp(`[${ifs.replace(/[\\\]^-]/g, '\\$&')}]+`));
      pieces.forEach((piece, i) => {
        if (i > 0 && hasField) {
          fields.push(current);
          current = '';
          hasField = false;
        }
        if (piece !== '') {
          current += piece;
          hasField = true;
        }
      });
    };
    for (const part of word.parts) {
      if (part.kind === 'lit') {
        current += part.text;
        hasField = hasField || part.quoted || part.text !== '';
        continue;
      }
      if (part.kind === 'param' && part.name === '@' && part.quoted && split) {
        // "$@": one field per positional parameter, joined to the text around it.
        this.positional.forEach((arg, i) => {
          if (i > 0) {
            fields.push(current);
            current = '';
          }
          current += arg;
          hasField = true;
        });
        continue;
      }
      const value = part.kind === 'cmdsub' ? this.substitute(part.script) : this.param(part.name);
      if (part.quoted) {
        current += value;
        hasField = true;
      } else {
        pushSplit(value);
      }
    }
    if (hasField) fields.push(current);
    return split ? fields : [fields.join('')];
  }

  private param(name: string): string {
    if (/^\d+$/.test(name)) return name === '0' ? this.name : (this.positional[Number(name) - 1] ?? '');
    switch (name) {
      case '@':
      case '*':
        return this.positional.join(' ');
      case '#':
        return String(this.positional.length);
      case '?':
        return String(this.status);
      case '$':
        return '1';
      case '!':
      case '-':
        return '';
      default:
        return this.vars.get(name) ?? '';
    }
  }
}
