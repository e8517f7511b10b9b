/** OpenBSD netcat (`nc`, `netcat`, `nc.openbsd`). */
import { failedConnectSeconds, openbsdNcFailure, openbsdNcUnresolved } from '../../dial-words.js';
import { dialAddress, resolveHost } from '../../netmodel.js';
import { clockOf, type ExecContext, type Writer } from '../context.js';

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
export function ncProgram(ctx: ExecContext, args: string[], w: Writer): number {
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
