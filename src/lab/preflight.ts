/**
 * What `--lab` needs from this machine, checked before anything is created, so that a
 * missing piece is one line (exit 2) instead of a half-built lab.
 */
import { spawnSync } from 'node:child_process';
import { toolBinary, type ToolVariants } from './tools.js';

const works = (file: string, args: string[]): boolean => {
  const r = spawnSync(file, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
};

/**
 * One line naming what is missing for a lab on this machine, or undefined when it can run:
 * Linux, root (network namespaces and nftables need CAP_SYS_ADMIN and CAP_NET_ADMIN),
 * iproute2's `ip netns`, util-linux's `unshare`/`nsenter`, `nft`, and the shell and netcat the
 * variants name.
 */
export function labPrerequisites(variants: ToolVariants = {}): string | undefined {
  if (process.platform !== 'linux') return `--lab needs Linux network namespaces; this is ${process.platform}`;
  if (process.getuid?.() !== 0) return '--lab needs root (it creates network namespaces and nftables rules): run it as root, e.g. sudo npx podnet …';
  if (!works('ip', ['netns', 'list'])) return '--lab needs iproute2 with `ip netns` (apt-get install iproute2)';
  if (!works('unshare', ['--net', 'true'])) return '--lab needs `unshare --net` to work (util-linux, and a kernel and sandbox that allow new network namespaces)';
  if (!works('nsenter', ['--version'])) return '--lab needs nsenter (apt-get install util-linux)';
  if (!works('nft', ['--version'])) return '--lab needs nftables (apt-get install nftables)';
  const missing = ['sh', 'bash', 'cat', 'readlink', 'nc'].filter((t) => !toolBinary(t, variants));
  if (missing.length) return `--lab needs real programs for ${missing.join(', ')} (apt-get install dash bash coreutils netcat-openbsd ncat busybox netcat-traditional)`;
  return undefined;
}
