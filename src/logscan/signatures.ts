/**
 * Known log signatures: the log lines that tell podnet what a container was doing when the
 * client was refused (Seldon agent readiness, MLServer binds, crashes, OOM, bind errors,
 * mesh proxies). Rules in src/analysis read the matches by {@link SignatureId}.
 *
 * Patterns are written in a small common subset of JavaScript and POSIX ERE (no lookaround,
 * no back-references, no `i` flag; `\d` and `\s` only outside brackets) so that
 * {@link toExtendedRegex} can hand the very same patterns to `grep -E` — the log-scan
 * benchmark compares against that, and a unit test checks both agree on the corpus.
 *
 * Named groups that stand for the same thing in different alternatives are spelled
 * `host`, `host_py`, `host_grpc`…: JavaScript (Node 20) forbids duplicate group names, and
 * {@link matchLine} folds the `_suffix` away so callers always see `host`/`port`.
 */
import type { SignatureId } from '../evidence.js';

export interface Signature {
  id: SignatureId;
  /** Matched against one log line (kubelet timestamp already removed). */
  pattern: RegExp;
  /** What the line means for a diagnosis. */
  doc: string;
  /**
   * Literal strings, at least one of which occurs in every line the pattern matches. The
   * scanner looks for these over whole chunks first and runs `pattern` only on lines that
   * contain one, which is what makes scanning a 1 GB log cheap.
   */
  keywords: string[];
}

// Building blocks (kept ERE-compatible: see the module comment).
/** An IPv4/hostname, or a bracketed IPv6 literal such as `[::1]`. */
const HOST = String.raw`\[[0-9A-Fa-f:.%]+\]|[0-9A-Za-z_.-]+`;
const PORT = String.raw`[0-9]+`;
/**
 * `^.*(?:` in front of the alternatives that capture an address: the regex engine takes the
 * leftmost match, and without it a generic `Connection refused` or `[Errno 98]` earlier in
 * the line would win over the alternative that knows the host and port.
 */
const SPECIFIC_FIRST = '^.*(?:';

/** Every signature podnet knows, one per {@link SignatureId}. */
export const SIGNATURES: readonly Signature[] = [
  {
    id: 'client-refused',
    pattern: new RegExp(
      SPECIFIC_FIRST +
      [
        // Go (Seldon agent, gRPC-go): dial tcp 127.0.0.1:9500: connect: connection refused
        String.raw`dial tcp (?<host>${HOST}):(?<port>${PORT}): connect: connection refused`,
        // gRPC core (python/C++): ipv4:127.0.0.1:9500: Failed to connect to remote host: Connection refused
        String.raw`ipv[46]:(?<host_grpc>${HOST}):(?<port_grpc>${PORT}): Failed to connect to remote host: Connection refused`,
        // asyncio / aiohttp: [Errno 111] Connect call failed ('127.0.0.1', 9500)
        String.raw`Connect call failed \('(?<host_py>[^']*)', (?<port_py>${PORT})`,
        // curl: Failed to connect to localhost port 9000 after 0 ms: Connection refused
        String.raw`Failed to connect to (?<host_curl>${HOST}) port (?<port_curl>${PORT})[^:]*: Connection refused`,
        // node: connect ECONNREFUSED 127.0.0.1:9500
        String.raw`ECONNREFUSED (?<host_node>${HOST}):(?<port_node>${PORT})`,
      ].join('|') +
        // anything else: a bare refusal, with no address to capture
        ')|[Cc]onnection refused|ConnectionRefusedError|ECONNREFUSED',
    ),
    // "refused" is a RST or an ICMP port-unreachable: nothing accepted that address:port, or a
    // REJECT rule answered (K3s's kube-router REJECTs policy denials between pods; see
    // analysis/rules/network-policy-blocks.ts). On a pod's own loopback no policy applies.
    doc: 'A client was refused (RST or ICMP port-unreachable): nothing accepted that address:port at that moment, or a REJECT rule answered (a NetworkPolicy denial on K3s/kube-router reads so; never on loopback). A DROP makes the dial time out instead.',
    keywords: ['onnection refused', 'ConnectionRefused', 'Connect call failed', 'ECONNREFUSED'],
  },
  {
    id: 'agent-waiting',
    pattern: /Waiting for Inference Server service to become ready(?:\.\.\. next check in (?<next>[0-9][0-9.a-z]*))?/,
    doc: 'The Seldon agent checks MLServer (gRPC ServerLive on host:9500) and it did not answer; repeated every SELDON_PERIOD_READY_SUB_SERVICE_SECONDS, so it can appear after the agent was ready.',
    keywords: ['Waiting for Inference Server'],
  },
  {
    id: 'agent-gave-up',
    pattern: /Giving up on waiting for Inference Server service to become ready/,
    doc: 'The Seldon agent stopped waiting and marked the inference server service as failed.',
    keywords: ['Giving up on waiting'],
  },
  {
    id: 'agent-ready',
    pattern: /All critical agent subservices ready/,
    doc: 'The Seldon agent reached MLServer at that moment: whatever refused later was not a permanent block.',
    keywords: ['critical agent subservices'],
  },
  {
    id: 'agent-not-ready-legacy',
    pattern: /Inference [Ss]erver not ready/,
    doc: 'Older Seldon agents (< 2.9.1): MLServer did not answer the readiness check.',
    keywords: ['nference server not ready', 'nference Server not ready'],
  },
  {
    id: 'agent-inference-host',
    pattern: /Setting inference-host from (?<source>[A-Za-z0-9_]+) to (?<host>[^ "',]+)/,
    doc: 'The address the (patched) Seldon agent dials MLServer on, and where it came from.',
    keywords: ['inference-host from'],
  },
  {
    id: 'server-http-running',
    pattern: new RegExp(
      String.raw`HTTP server running on (?<url>https?://(?<host>${HOST}):(?<port>${PORT}))` +
        String.raw`|Uvicorn running on (?<url_uv>https?://(?<host_uv>${HOST}):(?<port_uv>${PORT}))`,
    ),
    doc: 'MLServer/uvicorn is about to bind its HTTP port on this address (logged before the bind, so a bind error may follow).',
    keywords: ['HTTP server running on', 'Uvicorn running on'],
  },
  {
    id: 'server-grpc-running',
    pattern: new RegExp(String.raw`gRPC server running on (?<url>(?:https?://)?(?<host>${HOST}):(?<port>${PORT}))`),
    doc: 'MLServer is about to bind its gRPC port on this address; 127.0.0.1 or ::1 here means pod-IP dials (probes) are refused.',
    keywords: ['gRPC server running on'],
  },
  {
    id: 'model-loaded',
    pattern: /Loaded model '(?<model>[^']*)' successfully/,
    doc: 'MLServer loaded a model: the server process was up and serving at that time.',
    keywords: ['Loaded model'],
  },
  {
    id: 'worker-stopped',
    pattern: /Worker with PID (?<pid>[0-9]+) on (?<pool>.*) stopped unexpectedly with exit code (?<code>-?[0-9]+)/,
    doc: 'An MLServer inference worker died (exit code 137/-9 usually means the OOM killer).',
    keywords: ['stopped unexpectedly'],
  },
  {
    id: 'bind-error',
    pattern: new RegExp(
      SPECIFIC_FIRST +
      [
        String.raw`listen tcp[46]? (?<host>${HOST}):(?<port>${PORT}): bind: address already in use`,
        String.raw`bind on address \('(?<host_py>[^']*)', (?<port_py>${PORT})\)`,
      ].join('|') + String.raw`)|[Aa]ddress already in use|Failed to bind|\[Errno 98\]|EADDRINUSE`,
    ),
    doc: 'A process could not bind its port: another process in the shared network namespace (or the node, with hostNetwork) holds it.',
    keywords: ['ddress already in use', 'Failed to bind', 'Errno 98', 'EADDRINUSE', 'bind on address'],
  },
  {
    id: 'traceback',
    pattern: /Traceback \(most recent call last\)|(?:^|[ "=])panic: |goroutine (?<goroutine>[0-9]+) \[running\]/,
    doc: 'A Python traceback or Go panic: the process crashed or an error escaped; the lines after it say why.',
    keywords: ['Traceback (most recent', 'panic: ', '[running]'],
  },
  {
    id: 'oom',
    pattern: /^.*Killed process (?<pid>[0-9]+)|[Oo]ut of memory|OOMKilled|MemoryError|Cannot allocate memory/,
    doc: 'Memory ran out: the process (or the whole container, cgroup v2) is killed; restarts and refusals follow.',
    keywords: ['ut of memory', 'OOMKilled', 'Killed process', 'MemoryError', 'Cannot allocate memory'],
  },
  {
    id: 'mesh-proxy',
    pattern:
      /upstream connect error or disconnect\/reset before headers(?:\. (?:retried and the latest )?reset reason: (?<reason>[^,"]*))?|no healthy upstream|upstream_reset_before_response_started/,
    doc: 'An Envoy-based mesh proxy (istio-proxy) answered instead of the server: the traffic went through the sidecar.',
    keywords: ['upstream connect error', 'no healthy upstream', 'upstream_reset'],
  },
];

/** One signature that matched a line, with its named captures (suffixes folded away). */
export interface LineMatch {
  id: SignatureId;
  groups?: Record<string, string>;
}

/** Group names of a pattern, in order, with their folded form (`host_grpc` -> `host`). */
function groupNamesOf(pattern: RegExp): { name: string; key: string }[] {
  return [...pattern.source.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => ({ name: m[1]!, key: m[1]!.replace(/_[a-z]+$/, '') }));
}

/** Per-line matching plan, built once: which signatures each keyword points at, group names. */
interface Compiled {
  sig: Signature;
  groups: { name: string; key: string }[];
}
let compiled: { list: Compiled[]; byKeyword: Map<string, number>; keywords: RegExp } | undefined;

function compile(): NonNullable<typeof compiled> {
  // Candidate sets are 32-bit masks.
  if (SIGNATURES.length > 31) throw new Error('matchLine: more than 31 signatures; widen the candidate mask');
  const list = SIGNATURES.map((sig) => ({ sig, groups: groupNamesOf(sig.pattern) }));
  const byKeyword = new Map<string, number>();
  SIGNATURES.forEach((sig, i) => {
    for (const k of sig.keywords) byKeyword.set(k, (byKeyword.get(k) ?? 0) | (1 << i));
  });
  return { list, byKeyword, keywords: keywordPrefilter() };
}

/**
 * Every signature that matches one log line (a line may match several: the seed's
 * `Waiting for Inference Server service to become ready... connection refused` is both
 * `agent-waiting` and `client-refused`). Pass the line without the kubelet timestamp.
 */
export function matchLine(line: string): LineMatch[] {
  const plan = (compiled ??= compile());
  // One pass over the line finds which signatures can match at all (their keywords are
  // necessary, tested over the corpus); only those patterns run. A log that is nothing but
  // refusals thus costs one keyword scan and one pattern per line, not fourteen.
  let candidates = 0;
  const re = plan.keywords;
  re.lastIndex = 0;
  let k: RegExpExecArray | null;
  while ((k = re.exec(line)) !== null) {
    candidates |= plan.byKeyword.get(k[0]) ?? 0;
    re.lastIndex = k.index + 1; // overlapping keywords of different signatures both count
  }
  const out: LineMatch[] = [];
  for (let i = 0; candidates !== 0 && i < plan.list.length; i++) {
    if ((candidates & (1 << i)) === 0) continue;
    candidates &= ~(1 << i);
    const { sig, groups } = plan.list[i]!;
    const m = sig.pattern.exec(line);
    if (!m) continue;
    let found: Record<string, string> | undefined;
    if (m.groups) {
      for (const g of groups) {
        const value = m.groups[g.name];
        if (value === undefined) continue;
        found ??= {};
        found[g.key] ??= value;
      }
    }
    out.push(found ? { id: sig.id, groups: found } : { id: sig.id });
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * One global RegExp of every signature's keywords: a cheap first pass over whole chunks.
 * A fresh object each call, because a global RegExp carries `lastIndex` state.
 */
export function keywordPrefilter(signatures: readonly Signature[] = SIGNATURES): RegExp {
  const words = [...new Set(signatures.flatMap((s) => s.keywords))];
  return new RegExp(words.map(escapeRegExp).join('|'), 'g');
}

/**
 * The same pattern as a POSIX extended regular expression for `grep -E`: named and
 * non-capturing groups become plain groups, `\d`/`\s` become bracket classes, `\/` becomes
 * `/`. Only the subset the signatures use is supported; anything else throws, so a new
 * pattern cannot silently make the benchmark compare different work.
 */
export function toExtendedRegex(pattern: RegExp): string {
  if (pattern.flags.replace(/[gmy]/g, '') !== '') throw new Error(`toExtendedRegex: flags "${pattern.flags}" unsupported`);
  const src = pattern.source;
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      i++;
      if (n === undefined) throw new Error('toExtendedRegex: trailing backslash');
      if (inClass) {
        if (n === '/' || n === '-' || n === '.') out += n === '-' ? '-' : n;
        else throw new Error(`toExtendedRegex: \\${n} inside a bracket expression unsupported`);
        continue;
      }
      if (n === 'd') out += '[0-9]';
      else if (n === 's') out += '[[:space:]]';
      else if (n === 'S') out += '[^[:space:]]';
      else if (n === '/') out += '/';
      else if ('.[]()*+?{}|^$\\'.includes(n)) out += '\\' + n;
      else throw new Error(`toExtendedRegex: \\${n} unsupported`);
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A leading `]` or `^]` is literal in both dialects; copy it so it does not close the class.
      if (src[i + 1] === '^') out += src[++i];
      if (src[i + 1] === ']') out += src[++i];
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      if (src[i + 2] === ':') {
        i += 2;
      } else if (src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!') {
        const close = src.indexOf('>', i);
        i = close;
      } else {
        throw new Error('toExtendedRegex: lookaround unsupported');
      }
      out += '(';
      continue;
    }
    if ((c === '*' || c === '+' || c === '?' || c === '}') && src[i + 1] === '?') {
      // Lazy quantifiers only change which text a group captures, not whether a line matches.
      out += c;
      i++;
      continue;
    }
    out += c;
  }
  return out;
}
