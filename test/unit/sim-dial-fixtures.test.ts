/**
 * The simulator's dial tools against the real ones: DIAL_SCRIPT run in the simulator, in the
 * same set-up as test/fixtures/dial/dials.json was captured in (a listener on 127.0.0.1:8080
 * only, pod IP 10.42.0.10, 10.42.0.97 REJECTed, 10.42.0.98 DROPped, an NXDOMAIN resolver), must
 * print, dial by dial, exactly what the real tools printed, with the same status — and
 * classifyDial must read both the same. The simulator models OpenBSD nc and bash /dev/tcp
 * (images `openbsd` and `bash`); it has no dead resolver and a pod always has a default route,
 * so the `dead resolver` and `no route` captures are not replayed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { classifyDial, dialArgv } from '../../src/probes/dial.js';
import { parseScriptOutput } from '../../src/probes/inside.js';
import type { SimNetwork } from '../../src/sim/netmodel.js';
import { runCommand, type ExecContext } from '../../src/sim/shell/index.js';

interface Capture { image: string; target: string; host: string; port: number; expect: string; stdout: string }
const captures = JSON.parse(readFileSync(new URL('../fixtures/dial/dials.json', import.meta.url), 'utf8')) as Capture[];

const IMAGES: Record<string, string[]> = {
  openbsd: ['sh', 'nc', 'cat', 'readlink', 'true', 'timeout'],
  bash: ['sh', 'bash', 'cat', 'readlink', 'true', 'timeout'],
};
const SKIPPED = /dead resolver|no route/;

/** The fixture's nftables: 10.42.0.97 REJECT (icmp port-unreachable), 10.42.0.98 DROP; nothing else routes. */
const network: SimNetwork = { route: (address) => (address === '10.42.0.97' ? 'refused' : 'timeout') };

function context(tools: string[]): ExecContext {
  return {
    namespace: 'lab', pod: 'pod-0', container: 'client', podIP: '10.42.0.10', tools, netnsInode: 4026532177,
    listeners: [{ proto: 'tcp', address: '127.0.0.1', port: 8080, container: 'server', inode: 1 }],
    overrides: [], network,
  };
}

/**
 * The lines from `@dial` to `@rc`: what the tool printed and its status. OpenBSD nc names the
 * port's service from /etc/services (`[tcp/http-alt]` on the capturing machine); the simulator
 * prints `[tcp/*]`, as nc does in an image without /etc/services (Debian slim has no netbase).
 */
const withoutServiceName = (stdout: string): string => stdout.replace(/ port \[tcp\/[^\]]+\] succeeded!/g, ' port [tcp/*] succeeded!');
const dialBlock = (stdout: string): string => withoutServiceName(stdout).slice(stdout.indexOf('@dial'));

const replayed = captures.filter((c) => IMAGES[c.image] && !SKIPPED.test(c.target));

describe('simulated dial tools print what the real ones printed (test/fixtures/dial)', () => {
  it('replays every capture of the modelled tools', () => {
    expect(replayed.length).toBeGreaterThanOrEqual(18);
    expect(new Set(replayed.map((c) => c.expect))).toEqual(new Set(['connected', 'refused', 'timeout', 'unresolved']));
  });

  for (const c of replayed) {
    it(`${c.image}: ${c.target} (${c.host}:${c.port}) → ${c.expect}`, () => {
      const sim = runCommand(context(IMAGES[c.image]!), dialArgv(c.host, c.port));
      expect(sim.exitCode).toBe(0);
      expect(dialBlock(sim.stdout)).toBe(dialBlock(c.stdout));
      const read = (stdout: string) => {
        const out = parseScriptOutput(stdout);
        const d = out.dials[0]!;
        return classifyDial({ variant: d.via ?? out.tool ?? 'nc', host: d.host, exitCode: d.rc, stdout: d.output, ...(out.wrap ? { wrap: out.wrap } : {}) });
      };
      expect(read(sim.stdout)).toEqual(read(withoutServiceName(c.stdout)));
      expect(read(sim.stdout).outcome).toBe(c.expect);
    });
  }
});
