/**
 * What a lab leaves behind: nothing after close, nothing after SIGTERM of the process that
 * made it, and leftovers of a dead PID are removed at the next start while a live PID's
 * objects (another engineer's lab) are left alone.
 */
import { expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listNetns, removeLeftovers, removeNetns } from '../../src/lab/names.js';
import { describeLab } from './lab-support.js';

/** A PID that no process has: the kernel's pid_max is far above what we pick, and we check. */
function deadPid(): number {
  for (let pid = 4_000_000; ; pid++) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
}

describeLab('lab: clean-up', () => {
  it('removes a dead PID\'s namespaces and dirs and leaves a live PID\'s alone', () => {
    const dead = deadPid();
    const deadNs = `podnet-${dead}-l1-node`;
    const liveNs = `podnet-${process.pid}-lifecycle-live`;
    const deadDir = join(tmpdir(), `podnet-${dead}-l1-abc`);
    try {
      execFileSync('ip', ['netns', 'add', deadNs]);
      execFileSync('ip', ['netns', 'add', liveNs]);
      mkdirSync(join('/etc/netns', deadNs), { recursive: true });
      writeFileSync(join('/etc/netns', deadNs, 'hosts'), '');
      mkdirSync(deadDir, { recursive: true });
      const removed = removeLeftovers();
      expect(removed.namespaces).toContain(deadNs);
      expect(listNetns()).not.toContain(deadNs);
      expect(existsSync(join('/etc/netns', deadNs))).toBe(false);
      expect(existsSync(deadDir)).toBe(false);
      expect(listNetns()).toContain(liveNs);
    } finally {
      removeNetns(deadNs);
      removeNetns(liveNs);
    }
  });

  it('podnet sim --lab removes its namespaces on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', './test/helpers/register-ts.js', 'src/bin/cli.ts', 'sim', '--scenario', 'scenarios/seed-incident.yaml', '--lab'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (/Ctrl-C to stop/.test(out)) {
          clearInterval(t);
          resolve();
        }
      }, 100);
      child.once('exit', (code) => reject(new Error(`sim exited (${code}): ${out}`)));
    });
    const made = listNetns().filter((n) => n.startsWith(`podnet-${child.pid}-`));
    expect(made.length).toBeGreaterThanOrEqual(2);
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(listNetns().filter((n) => n.startsWith(`podnet-${child.pid}-`))).toEqual([]);
  }, 180_000);
});
