/**
 * The executables a lab container has: a bin dir of symlinks named as the scenario's
 * `tools` (`sh`, `nc`, `cat` …), each pointing at a real program from this machine's Debian
 * packages, and nothing else on PATH. A symlink keeps the name a program is called by (argv[0]),
 * so `nc` prints `nc: …` and busybox runs the applet named by the link.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Which real netcat `nc` (and `netcat`) is in a lab container. */
export type NcVariant = 'openbsd' | 'ncat' | 'busybox' | 'traditional';
/** Which real shell `sh` is. */
export type ShVariant = 'dash' | 'bash' | 'busybox';

/** The flavour of the image's tools: which packages `nc`, `sh` and the coreutils come from. */
export interface ToolVariants {
  /** Default `openbsd` (netcat-openbsd, Debian's default `nc`). */
  nc?: NcVariant;
  /** Default `dash` (Debian's `/bin/sh`). */
  sh?: ShVariant;
  /** Every tool busybox has as an applet is busybox's (a busybox image). Default false. */
  busybox?: boolean;
}

/** Real programs per variant (Debian bookworm paths; packages named for `.ci/run`). */
const NC: Record<NcVariant, string> = {
  openbsd: '/usr/bin/nc.openbsd', // netcat-openbsd
  ncat: '/usr/bin/ncat', // ncat (nmap's; `nc` on RHEL/UBI images)
  busybox: '/usr/bin/busybox', // busybox (Debian build)
  traditional: '/usr/bin/nc.traditional', // netcat-traditional
};
const SH: Record<ShVariant, string> = { dash: '/usr/bin/dash', bash: '/usr/bin/bash', busybox: '/usr/bin/busybox' };
const BUSYBOX = '/usr/bin/busybox';
/** Where other tools are looked up: system dirs only (never a user's shims, e.g. pyenv). */
const SYSTEM_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

let applets: Set<string> | undefined;
/** busybox's applets (`busybox --list`), empty when busybox is missing. */
function busyboxApplets(): Set<string> {
  if (!applets) {
    try {
      applets = new Set(execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean));
    } catch {
      applets = new Set();
    }
  }
  return applets;
}

/** The real program a tool name stands for under these variants, or undefined if this machine has none. */
export function toolBinary(name: string, variants: ToolVariants = {}): string | undefined {
  let path: string | undefined;
  if (name === 'nc' || name === 'netcat') path = NC[variants.nc ?? 'openbsd'];
  else if (name === 'sh') path = SH[variants.sh ?? (variants.busybox ? 'busybox' : 'dash')];
  else if (name === 'ncat') path = NC.ncat;
  else if (name === 'busybox') path = BUSYBOX;
  else if (variants.busybox && busyboxApplets().has(name)) path = BUSYBOX;
  else path = SYSTEM_DIRS.map((d) => join(d, name)).find((p) => existsSync(p));
  if (path === BUSYBOX && name !== 'busybox' && !busyboxApplets().has(name)) return undefined;
  return path && existsSync(path) ? path : undefined;
}

/**
 * Fills `dir` with one symlink per tool. Returns the tools this machine has no program for
 * (they are absent in the lab, so an exec of one fails as in an image without it).
 */
export function fillBinDir(dir: string, tools: readonly string[], variants: ToolVariants = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const missing: string[] = [];
  for (const tool of new Set(tools)) {
    if (!/^[A-Za-z0-9._+-]+$/.test(tool)) {
      missing.push(tool);
      continue;
    }
    const real = toolBinary(tool, variants);
    if (!real) missing.push(tool);
    else if (!existsSync(join(dir, tool))) symlinkSync(real, join(dir, tool));
  }
  return missing;
}
