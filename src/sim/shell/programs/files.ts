/** Files the simulator synthesizes, and the programs that read them: cat, readlink. */
import { kubeletHostsFile } from '../../../lab/files.js';
import { procNetTcp } from '../../netmodel.js';
import type { ExecContext, Writer } from '../context.js';

/** Files the simulator can show, by path; undefined = no such file. */
export function readModelFile(ctx: ExecContext, path: string): string | undefined {
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

/** The hosts file kubelet writes into a pod (pkg/kubelet/kubelet_pods.go managedHostsFileContent): the lab's, one pod IP. */
function etcHosts(ctx: ExecContext): string {
  return kubeletHostsFile(ctx.podIP ? [ctx.podIP] : [], ctx.pod);
}

/** coreutils cat: files from the model, `-` (or none) is stdin. */
export function catProgram(ctx: ExecContext, args: string[], stdin: string, w: Writer): number {
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

/** coreutils readlink: only the network namespace link is a symlink here. */
export function readlinkProgram(ctx: ExecContext, args: string[], w: Writer): number {
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
