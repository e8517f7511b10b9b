/**
 * What happens when someone execs a command in a simulated container: the container
 * runtime's executable lookup, a handful of programs (cat, readlink, nc, echo, true, false,
 * timeout, hostname, sleep) and a small POSIX sh (dash flavour for `sh`, bash flavour for
 * `bash`), all answering from the scenario's network model. Nothing here touches the real
 * machine: files are synthesized, dials go through netmodel.
 *
 * Messages copy the real programs (checked on Debian bookworm: dash 0.5.12, bash 5.2.15,
 * netcat-openbsd 1.219, coreutils; runc via containerd for a missing executable), because
 * the probes and the analysis read them.
 *
 * The shell subset: lists with `;`, newlines, `&&`, `||`, `!`; `if/elif/else/fi`,
 * `for NAME [in WORDS]; do ...; done`, `case WORD in PATTERN|PATTERN) ...;; esac` (`*`, `?`;
 * no bracket expressions), `{ ...; }` and `( ... )`; words with '...', "..."
 * and backslash quoting; `$(...)`; `$1`..`$9`, `${N}`, `$@`, `$*`, `$#`, `$?`, `$0`, `$$`, variables
 * and `NAME=value` assignments (global, also when they prefix a command); redirections
 * `[n]>`, `>>`, `<`, `<>`, `[n]>&m`, `&>` to /dev/null, /dev/stdout, /dev/stderr and, in
 * bash only, /dev/tcp/HOST/PORT (a dial); builtins `echo`, `printf` (%s %d %%, \n \t \\),
 * `true`, `false`, `:`, `exit`, `exec`, `command [-v|-V]`, `test`/`[` (-n -z -e -f -r -s -d,
 * = != -eq -ne -lt -le -gt -ge), `set -e/+e/-u/-x/--`, `shift`, `cd`. No pipes, globbing,
 * backquotes, arithmetic, functions, `while`, background jobs (so not the probe's bash watchdog,
 * used only where an image has bash but no `timeout`): those stop
 * the script with `NAME: unsupported by podnet simulator: WHAT` on stderr and exit code 2.
 */
import { createHash } from 'node:crypto';
import { parseDuration, SimClock } from './clock.js';
import { bashConnectFailure, failedConnectSeconds, openbsdNcFailure, openbsdNcUnresolved } from './dial-words.js';
import { dialAddress, procNetTcp, resolveHost, type SimListener, type SimNetwork } from './netmodel.js';
import { SyntaxError_, Unsupported } from './shell/errors.js';
import { lex, type Word } from './shell/lexer.js';
import { Parser, type AndOr, type Command, type List, type Pipeline, type Redirection } from './shell/parser.js';

/** An exact reply for one argv, from the scenario's `exec` list. */
export interface ExecOverride {
  argv: string[];
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

/** Everything a command run in one container can see. */
export interface ExecContext {
  namespace: string;
  pod: string;
  container: string;
  /** `status.podIP`; dials to it (or to the pod's hostname) are local. */
  podIP?: string;
  /** Executables present in the container image (`sh`, `cat`, `nc` ...). */
  tools: string[];
  /** Inode of the container's network namespace (`readlink /proc/self/ns/net`). */
  netnsInode: number;
  /** All listeners in this container's network namespace. */
  listeners: SimListener[];
  /** Exact replies; matched against the exec argv and against each command a script runs. */
  overrides: ExecOverride[];
  /** Where a dial to an address outside the namespace goes; absent = nowhere (it times out). */
  network?: SimNetwork;
  /** Simulated time of this exec (runCommand makes one): waits pass instantly, `timeout` cuts them. */
  clock?: SimClock;
}

/** The result of one exec. */
export interface ExecOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
  /**
   * Set when the runtime could not start the process at all; the text is the CRI
   * runtime's error, e.g. `failed to exec in container: failed to start exec "ID": OCI
   * runtime exec failed: exec failed: unable to start container process: exec: "nc":
   * executable file not found in $PATH: unknown`. stdout/stderr are empty then.
   */
  failure?: string;
}

// --- the runtime ---------------------------------------------------------------------------

/**
 * Runs `argv` in the container as the container runtime would for an exec: an override
 * matching the argv exactly wins; otherwise argv[0] must be one of `ctx.tools` (an
 * absolute path is looked up by its basename), or the exec fails to start.
 */
export function runCommand(execCtx: ExecContext, argv: string[]): ExecOutcome {
  const ctx: ExecContext = { ...execCtx, clock: new SimClock() };
  const sink = new Output();
  const override = findOverride(ctx, argv);
  if (override) return overrideOutcome(override);
  const name = argv[0];
  if (name === undefined || name === '') {
    return { stdout: '', stderr: '', exitCode: 0, failure: runtimeFailure(ctx, argv, 'exec: "": executable file not found in $PATH') };
  }
  if (!hasTool(ctx, name)) {
    const why = name.includes('/')
      ? `exec: "${name}": stat ${name}: no such file or directory`
      : `exec: "${name}": executable file not found in $PATH`;
    return { stdout: '', stderr: '', exitCode: 0, failure: runtimeFailure(ctx, argv, why) };
  }
  const exitCode = runProgram(ctx, argv, '', sink.writer());
  return { stdout: sink.stdout, stderr: sink.stderr, exitCode };
}

/** containerd's wording for a process runc could not start (exec id derived from the request). */
export function runtimeFailure(ctx: ExecContext, argv: string[], why: string): string {
  const execId = createHash('sha256').update(JSON.stringify([ctx.namespace, ctx.pod, ctx.container, argv])).digest('hex');
  return (
    `failed to exec in container: failed to start exec "${execId}": ` +
    `OCI runtime exec failed: exec failed: unable to start container process: ${why}: unknown`
  );
}

function findOverride(ctx: ExecContext, argv: string[]): ExecOverride | undefined {
  return ctx.overrides.find((o) => o.argv.length === argv.length && o.argv.every((a, i) => a === argv[i]));
}

function overrideOutcome(o: ExecOverride): ExecOutcome {
  return { stdout: o.stdout ?? '', stderr: o.stderr ?? '', exitCode: o.exitCode ?? 0 };
}

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

function hasTool(ctx: ExecContext, name: string): boolean {
  return ctx.tools.includes(basename(name)) || ctx.tools.includes(name);
}

// --- output --------------------------------------------------------------------------------

/** Where a program writes: fd 1 and fd 2 after redirections. */
interface Writer {
  out(text: string): void;
  err(text: string): void;
}

class Output {
  stdout = '';
  stderr = '';
  writer(): Writer {
    return { out: (t) => (this.stdout += t), err: (t) => (this.stderr += t) };
  }
}

// --- programs ------------------------------------------------------------------------------

/** Runs an executable that the runtime (or a shell's PATH lookup) found in the image. */
function runProgram(ctx: ExecContext, argv: string[], stdin: string, w: Writer): number {
  const override = findOverride(ctx, argv);
  if (override) {
    w.out(override.stdout ?? '');
    w.err(override.stderr ?? '');
    return override.exitCode ?? 0;
  }
  const name = basename(argv[0] ?? '');
  const args = argv.slice(1);
  switch (name) {
    case 'sh':
    case 'dash':
    case 'ash':
      return runShell(ctx, 'dash', argv, stdin, w);
    case 'bash':
      return runShell(ctx, 'bash', argv, stdin, w);
    case 'cat':
      return catProgram(ctx, args, stdin, w);
    case 'readlink':
      return readlinkProgram(ctx, args, w);
    case 'nc':
    case 'netcat':
    case 'nc.openbsd':
      return ncProgram(ctx, args, w);
    case 'timeout':
      return timeoutProgram(ctx, args, stdin, w);
    case 'echo':
      return echoCommand(args, false, w);
    case 'true':
      return 0;
    case 'sleep':
      return sleepProgram(ctx, args, w);
    case 'false':
      return 1;
    case 'hostname':
      w.out(`${ctx.pod}\n`);
      return 0;
    case 'test':
      return testCommand(args, ctx, w, 'test');
    case '[':
      return testCommand(args, ctx, w, '[');
    default:
      w.err(`${name}: unsupported by podnet simulator: no model for this program; add an exec override to the scenario\n`);
      return 2;
  }
}

/** Files the simulator can show, by path; undefined = no such file. */
function readModelFile(ctx: ExecContext, path: string): string | undefined {
  const net = /^\/proc\/(?:self|thread-self|\d+)\/net\/(tcp6?)$|^\/proc\/net\/(tcp6?)$/.exec(path);
  if (net) {
    const proto = (net[1] ?? net[2]) === 'tcp6' ? 'tcp6' : 'tcp';
    return procNetTcp(ctx.listeners, proto);
  }
  if (path === '/etc/hosts') return etcHosts(ctx);
  if (path === '/etc/hostname') return `${ctx.pod}\n`;
  if (path === '/dev/null') return '';
  return undefined;
}

/** The hosts file kubelet writes into a pod (pkg/kubelet/kubelet_pods.go managedHostsFileContent). */
function etcHosts(ctx: ExecContext): string {
  let text =
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  if (ctx.podIP) text += `${ctx.podIP}\t${ctx.pod}\n`;
  return text;
}

function catProgram(ctx: ExecContext, args: string[], stdin: string, w: Writer): number {
  const files = args.filter((a) => a === '-' || !a.startsWith('-'));
  if (files.length === 0) files.push('-');
  let status = 0;
  for (const file of files) {
    const text = file === '-' ? stdin : readModelFile(ctx, file);
    if (text === undefined) {
      w.err(`cat: ${file}: No such file or directory\n`);
      status = 1;
    } else {
      w.out(text);
    }
  }
  return status;
}

function readlinkProgram(ctx: ExecContext, args: string[], w: Writer): number {
  const paths = args.filter((a) => !a.startsWith('-'));
  if (paths.length === 0) {
    w.err("readlink: missing operand\nTry 'readlink --help' for more information.\n");
    return 1;
  }
  let status = 0;
  for (const path of paths) {
    if (/^\/proc\/(?:self|thread-self|\d+)\/ns\/net$/.test(path)) w.out(`net:[${ctx.netnsInode}]\n`);
    else status = 1; // not a symlink: GNU readlink prints nothing
  }
  return status;
}

const NC_USAGE =
  'usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n' +
  '\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n' +
  '\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n' +
  '\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n' +
  '\t  [destination] [port]\n';

/** `nc -h` (netcat-openbsd 1.219 on Debian bookworm, printed to stderr, exit 0): the probe names the tool from it. */
const NC_HELP =
  "OpenBSD netcat (Debian patchlevel 1.219-1)\n" +
  "usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n" +
  "\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n" +
  "\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n" +
  "\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n" +
  "\t  [destination] [port]\n" +
  "\tCommand Summary:\n" +
  "\t\t-4\t\tUse IPv4\n" +
  "\t\t-6\t\tUse IPv6\n" +
  "\t\t-b\t\tAllow broadcast\n" +
  "\t\t-C\t\tSend CRLF as line-ending\n" +
  "\t\t-D\t\tEnable the debug socket option\n" +
  "\t\t-d\t\tDetach from stdin\n" +
  "\t\t-F\t\tPass socket fd\n" +
  "\t\t-h\t\tThis help text\n" +
  "\t\t-I length\tTCP receive buffer length\n" +
  "\t\t-i interval\tDelay interval for lines sent, ports scanned\n" +
  "\t\t-k\t\tKeep inbound sockets open for multiple connects\n" +
  "\t\t-l\t\tListen mode, for inbound connects\n" +
  "\t\t-M ttl\t\tOutgoing TTL / Hop Limit\n" +
  "\t\t-m minttl\tMinimum incoming TTL / Hop Limit\n" +
  "\t\t-N\t\tShutdown the network socket after EOF on stdin\n" +
  "\t\t-n\t\tSuppress name/port resolutions\n" +
  "\t\t-O length\tTCP send buffer length\n" +
  "\t\t-P proxyuser\tUsername for proxy authentication\n" +
  "\t\t-p port\t\tSpecify local port for remote connects\n" +
  "\t\t-q secs\t\tquit after EOF on stdin and delay of secs\n" +
  "\t\t-r\t\tRandomize remote ports\n" +
  "\t\t-S\t\tEnable the TCP MD5 signature option\n" +
  "\t\t-s sourceaddr\tLocal source address\n" +
  "\t\t-T keyword\tTOS value\n" +
  "\t\t-t\t\tAnswer TELNET negotiation\n" +
  "\t\t-U\t\tUse UNIX domain socket\n" +
  "\t\t-u\t\tUDP mode\n" +
  "\t\t-V rtable\tSpecify alternate routing table\n" +
  "\t\t-v\t\tVerbose\n" +
  "\t\t-W recvlimit\tTerminate after receiving a number of packets\n" +
  "\t\t-w timeout\tTimeout for connects and final net reads\n" +
  "\t\t-X proto\tProxy protocol: \"4\", \"5\" (SOCKS) or \"connect\"\n" +
  "\t\t-x addr[:port]\tSpecify proxy address and port\n" +
  "\t\t-Z\t\tDCCP mode\n" +
  "\t\t-z\t\tZero-I/O mode [used for scanning]\n" +
  "\tPort numbers can be individual or ranges: lo-hi [inclusive]\n";

/** OpenBSD netcat (Debian netcat-openbsd): only TCP connect and port scan (-z) are modelled. */
function ncProgram(ctx: ExecContext, args: string[], w: Writer): number {
  const withValue = new Set(['I', 'i', 'M', 'm', 'O', 'P', 'p', 'q', 's', 'T', 'V', 'W', 'w', 'X', 'x']);
  let verbose = false;
  let family: 4 | 6 | undefined;
  let wait: string | undefined;
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('-') || arg === '-') {
      operands.push(arg);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const flag = arg[j] ?? '';
      if (withValue.has(flag)) {
        const value = j === arg.length - 1 ? args[++i] : arg.slice(j + 1); // `-w 2` or `-w2`
        if (flag === 'w') wait = value;
        break;
      }
      if (flag === 'h') {
        w.err(NC_HELP);
        return 0;
      }
      if (flag === 'v') verbose = true;
      else if (flag === '4') family = 4;
      else if (flag === '6') family = 6;
      else if (flag === 'u' || flag === 'l' || flag === 'U') {
        w.err(`nc: unsupported by podnet simulator: -${flag} (only TCP dials are modelled)\n`);
        return 2;
      }
    }
  }
  const [host, portText] = operands;
  if (host === undefined || portText === undefined) {
    w.err(NC_USAGE);
    return 1;
  }
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    w.err(`nc: port number invalid: ${portText}\n`);
    return 1;
  }
  // netcat.c: `timeout = strtonum(optarg, 0, INT_MAX / 1000, &errstr)`; 0 = no timeout of its own.
  const seconds = wait === undefined ? 0 : /^\d+$/.test(wait) ? Number(wait) : NaN;
  if (Number.isNaN(seconds)) {
    w.err(`nc: timeout invalid: ${wait ?? ''}\n`);
    return 1;
  }
  const connectTimeout = seconds > 0 ? seconds : undefined;
  const port = Number(portText);
  let addresses = resolveHost(host, { podIP: ctx.podIP, hostnames: [ctx.pod] });
  if (addresses && family) addresses = addresses.filter((a) => a.includes(':') === (family === 6));
  if (!addresses || addresses.length === 0) {
    w.err(openbsdNcUnresolved(host, portText));
    return 1;
  }
  const numeric = addresses.length === 1 && addresses[0] === host;
  for (const address of addresses) {
    const shown = numeric ? host : `${host} (${address})`;
    const result = dialAddress(ctx.listeners, address, port, ctx.podIP, ctx.network);
    if (result === 'connected') {
      if (verbose) w.err(`Connection to ${shown} ${port} port [tcp/*] succeeded!\n`);
      return 0;
    }
    const failed = { result, ...(connectTimeout !== undefined ? { connectTimeout } : {}) };
    clockOf(ctx).wait(failedConnectSeconds(failed));
    if (verbose) w.err(openbsdNcFailure(shown, port, failed));
  }
  return 1;
}

/** The exec's simulated clock (a context built outside runCommand gets a fresh one). */
function clockOf(ctx: ExecContext): SimClock {
  ctx.clock ??= new SimClock();
  return ctx.clock;
}

/** coreutils sleep: passes simulated time (so a `timeout` around it fires), never real time. */
function sleepProgram(ctx: ExecContext, args: string[], w: Writer): number {
  if (args.length === 0) {
    w.err("sleep: missing operand\nTry 'sleep --help' for more information.\n");
    return 1;
  }
  let total = 0;
  for (const arg of args) {
    const seconds = parseDuration(arg);
    if (seconds === undefined) {
      w.err(`sleep: invalid time interval '${arg}'\nTry 'sleep --help' for more information.\n`);
      return 1;
    }
    total += seconds;
  }
  clockOf(ctx).wait(total);
  return 0;
}

/**
 * coreutils timeout: runs the program (never a shell builtin) with a deadline on the exec's
 * simulated clock. When the program would still be waiting at the deadline, it is killed:
 * what it printed so far stays, and the status is 124 (or 128+9 = 137 for `-s KILL`), as
 * https://www.gnu.org/software/coreutils/manual/html_node/timeout-invocation.html says.
 */
function timeoutProgram(ctx: ExecContext, args: string[], stdin: string, w: Writer): number {
  let i = 0;
  let signal = 'TERM';
  while (i < args.length && (args[i] ?? '').startsWith('-')) {
    const opt = args[i] ?? '';
    if (opt === '-s' || opt === '--signal') signal = (args[i + 1] ?? '').replace(/^SIG/, '');
    else if (opt.startsWith('--signal=')) signal = opt.slice('--signal='.length).replace(/^SIG/, '');
    i += opt === '-s' || opt === '-k' || opt === '--signal' || opt === '--kill-after' ? 2 : 1;
  }
  const command = args.slice(i + 1);
  const program = command[0];
  if (args[i] === undefined || program === undefined) {
    w.err("timeout: missing operand\nTry 'timeout --help' for more information.\n");
    return 125;
  }
  const seconds = parseDuration(args[i] ?? '');
  if (seconds === undefined) {
    w.err(`timeout: invalid time interval '${args[i] ?? ''}'\nTry 'timeout --help' for more information.\n`);
    return 125;
  }
  if (!hasTool(ctx, program)) {
    w.err(`timeout: failed to run command '${program}': No such file or directory\n`);
    return 127;
  }
  const run = clockOf(ctx).within(seconds, () => runProgram(ctx, command, stdin, w));
  if (!run.killed) return run.status;
  return signal === 'KILL' || signal === '9' ? 137 : 124;
}

/** echo: `-n` drops the newline; dash's builtin also interprets backslash escapes. */
function echoCommand(args: string[], escapes: boolean, w: Writer): number {
  let rest = args;
  let newline = true;
  if (rest[0] === '-n') {
    newline = false;
    rest = rest.slice(1);
  }
  let text = rest.join(' ');
  if (escapes) {
    const cut = text.indexOf('\\c');
    if (cut >= 0) {
      text = text.slice(0, cut);
      newline = false;
    }
    text = unescapeBackslashes(text);
  }
  w.out(newline ? `${text}\n` : text);
  return 0;
}

function unescapeBackslashes(text: string): string {
  const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', a: '\x07', b: '\b', f: '\f', v: '\v' };
  return text.replace(/\\([ntr\\abfv])/g, (_m, c: string) => map[c] ?? c);
}

function printfCommand(args: string[], w: Writer): number {
  const format = args[0];
  if (format === undefined) {
    w.err('printf: usage: printf format [arguments]\n');
    return 2;
  }
  let values = args.slice(1);
  // printf reuses the format until the arguments run out.
  do {
    let used = 0;
    const text = unescapeBackslashes(format).replace(/%([sd%])/g, (_m, c: string) => {
      if (c === '%') return '%';
      const value = values[used++] ?? '';
      return c === 'd' ? String(Number.parseInt(value, 10) || 0) : value;
    });
    w.out(text);
    values = values.slice(used);
    if (used === 0) break;
  } while (values.length > 0);
  return 0;
}

/** test / [ : enough for probes that check a file or compare strings and numbers. */
function testCommand(args: string[], ctx: ExecContext, w: Writer, name: 'test' | '['): number {
  let operands = args;
  if (name === '[') {
    if (operands[operands.length - 1] !== ']') {
      w.err('[: missing ]\n');
      return 2;
    }
    operands = operands.slice(0, -1);
  }
  let negate = false;
  if (operands[0] === '!' && operands.length > 1) {
    negate = true;
    operands = operands.slice(1);
  }
  const truth = (value: boolean): number => (value !== negate ? 0 : 1);
  if (operands.length === 0) return truth(false);
  if (operands.length === 1) return truth((operands[0] ?? '') !== '');
  if (operands.length === 2) {
    const [op, value = ''] = operands;
    const file = readModelFile(ctx, value);
    switch (op) {
      case '-n':
        return truth(value !== '');
      case '-z':
        return truth(value === '');
      case '-e':
      case '-f':
      case '-r':
        return truth(file !== undefined);
      case '-s':
        return truth(file !== undefined && file.length > 0);
      case '-d':
        return truth(['/', '/proc', '/proc/net', '/etc', '/dev', '/tmp'].includes(value));
      case '-x':
        return truth(hasTool(ctx, value) && value.includes('/'));
    }
  }
  if (operands.length === 3) {
    const [a = '', op, b = ''] = operands;
    const numbers = (): [number, number] | undefined =>
      /^-?\d+$/.test(a.trim()) && /^-?\d+$/.test(b.trim()) ? [Number(a), Number(b)] : undefined;
    switch (op) {
      case '=':
      case '==':
        return truth(a === b);
      case '!=':
        return truth(a !== b);
      case '-eq':
      case '-ne':
      case '-lt':
      case '-le':
      case '-gt':
      case '-ge': {
        const n = numbers();
        if (!n) {
          w.err(`${name}: Illegal number: ${/^-?\d+$/.test(a.trim()) ? b : a}\n`);
          return 2;
        }
        const [x, y] = n;
        const results: Record<string, boolean> = { '-eq': x === y, '-ne': x !== y, '-lt': x < y, '-le': x <= y, '-gt': x > y, '-ge': x >= y };
        return truth(results[op] ?? false);
      }
    }
  }
  w.err(`${name}: unsupported by podnet simulator: test expression ${JSON.stringify(args.join(' '))}\n`);
  return 2;
}

// --- the shell: interpreter ----------------------------------------------------------------

type Flavour = 'dash' | 'bash';

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

class Shell {
  private status = 0;
  private errexit = false;
  private conditionDepth = 0;
  private fds: Map<number, FdTarget>;
  private readonly vars = new Map<string, string>();

  constructor(
    private readonly ctx: ExecContext,
    private readonly flavour: Flavour,
    private readonly name: string,
    private positional: string[],
    stdin: string,
    private readonly sink: Writer,
    options: { errexit?: boolean } = {},
  ) {
    this.fds = new Map<number, FdTarget>([
      [0, { content: stdin }],
      [1, 'stdout'],
      [2, 'stderr'],
    ]);
    this.errexit = options.errexit ?? false;
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
    if (override) return runProgram(this.ctx, argv, '', w);
    if (!hasTool(this.ctx, name)) {
      if (name.includes('/')) {
        w.err(this.flavour === 'dash' ? `${this.where(line)}${name}: not found\n` : `${this.where(line)}${name}: No such file or directory\n`);
      } else {
        w.err(this.flavour === 'dash' ? `${this.where(line)}${name}: not found\n` : `${this.where(line)}${name}: command not found\n`);
      }
      return 127;
    }
    const input = fds.get(0);
    return runProgram(this.ctx, argv, typeof input === 'object' ? input.content : '', w);
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
    const sub = new Shell(this.ctx, this.flavour, this.name, [...this.positional], '', sink, { errexit: false });
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

/** `sh [-eux] -c SCRIPT [NAME [ARGS...]]`, `sh` (script on stdin); `bash` likewise. */
function runShell(ctx: ExecContext, flavour: Flavour, argv: string[], stdin: string, w: Writer): number {
  const invokedAs = argv[0] ?? 'sh';
  const args = argv.slice(1);
  let command = false;
  let errexit = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      i++;
      break;
    }
    if (!/^[-+][a-zA-Z]+$/.test(arg)) break;
    if (arg.startsWith('-') && arg.includes('c')) command = true;
    if (arg.startsWith('-') && arg.includes('e')) errexit = true;
  }
  const rest = args.slice(i);
  let script: string;
  let name = invokedAs;
  let positional: string[];
  if (command) {
    if (rest[0] === undefined) {
      w.err(flavour === 'dash' ? `${invokedAs}: 0: -c requires an argument\n` : `${invokedAs}: -c: option requires an argument\n`);
      return 2;
    }
    script = rest[0];
    if (rest[1] !== undefined) name = rest[1];
    positional = rest.slice(2);
  } else if (rest[0] !== undefined) {
    w.err(flavour === 'dash' ? `${invokedAs}: 0: cannot open ${rest[0]}: No such file\n` : `${invokedAs}: ${rest[0]}: No such file or directory\n`);
    return flavour === 'dash' ? 2 : 127;
  } else {
    script = stdin;
    positional = [];
  }
  return new Shell(ctx, flavour, name, positional, '', w, { errexit }).run(script);
}
