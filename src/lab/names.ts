/**
 * Names of everything a lab creates, and the removal of what a crashed lab left behind.
 *
 * Every network namespace, nft table and temp dir is named `podnet-PID-…`, PID being the
 * process that created it. Other people's labs (parallel jest workers, other engineers on
 * the same machine) run at the same time, so a leftover is only what belongs to a PID that
 * no longer lives: a live PID's objects are never touched.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The prefix of every object a lab creates. */
export const LAB_PREFIX = 'podnet-';

/** Directory where `ip netns exec NAME` finds files to bind over /etc (iproute2 ip-netns(8)). */
export const ETC_NETNS = '/etc/netns';

/** `podnet-PID-SUFFIX`, the suffix reduced to [a-z0-9-]. */
export function labName(pid: number, suffix: string): string {
  return `${LAB_PREFIX}${pid}-${suffix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '')}`;
}

/** The PID in a `podnet-PID-…` name, or undefined for any other name. */
export function ownerPid(name: string): number | undefined {
  const m = /^podnet-(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Whether a process with this PID exists (EPERM means it exists but is not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const run = (file: string, args: string[]): string => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Names of the network namespaces `ip netns list` shows. */
export function listNetns(): string[] {
  let out = '';
  try {
    out = run('ip', ['netns', 'list']);
  } catch {
    return [];
  }
  return out.split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
}

/**
 * Removes one namespace: its processes (a helper of a crashed lab exits when its stdin
 * closes, but a process may linger), its name, and its /etc/netns dir. Errors are ignored:
 * another cleaner may have won the race.
 */
export function removeNetns(name: string): void {
  try {
    for (const pid of run('ip', ['netns', 'pids', name]).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
  } catch {
    /* no such namespace */
  }
  try {
    run('ip', ['netns', 'delete', name]);
  } catch {
    /* gone already */
  }
  rmSync(join(ETC_NETNS, name), { recursive: true, force: true });
}

/** What {@link removeLeftovers} removed. */
export interface Leftovers {
  namespaces: string[];
  dirs: string[];
  nftTables: string[];
}

/**
 * Removes the namespaces, /etc/netns dirs, temp dirs and (root-namespace) nft tables named
 * `podnet-PID-…` whose PID is dead. Objects of live PIDs — other labs running now — stay.
 */
export function removeLeftovers(): Leftovers {
  const dead = (name: string): boolean => {
    const pid = ownerPid(name);
    return pid !== undefined && pid !== process.pid && !pidAlive(pid);
  };
  const namespaces = listNetns().filter(dead);
  for (const ns of namespaces) removeNetns(ns);
  const dirs: string[] = [];
  for (const base of [ETC_NETNS, tmpdir()]) {
    let names: string[] = [];
    try {
      names = readdirSync(base);
    } catch {
      continue;
    }
    for (const n of names.filter(dead)) {
      rmSync(join(base, n), { recursive: true, force: true });
      dirs.push(join(base, n));
    }
  }
  const nftTables: string[] = [];
  try {
    for (const line of run('nft', ['list', 'tables']).split('\n')) {
      const m = /^table (\S+) (podnet-\S+)$/.exec(line.trim());
      if (m && dead(m[2] as string)) {
        run('nft', ['delete', 'table', m[1] as string, m[2] as string]);
        nftTables.push(`${m[1]} ${m[2]}`);
      }
    }
  } catch {
    /* no nft: nothing of ours can be there */
  }
  return { namespaces, dirs, nftTables };
}
