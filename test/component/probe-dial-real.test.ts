/**
 * DIAL_SCRIPT with the real tools in a real network namespace (test/helpers/dial-lab.ts: a
 * listener, a closed port, REJECT and DROP rules in nftables, a DNS server answering NXDOMAIN,
 * a dead resolver), each tool variant with a PATH holding exactly its image's executables.
 * Every dial must be read as the kernel set-up says. Needs root, unshare, nft and the tools
 * .ci/run installs (upstream busybox included); under CI a missing piece fails the test.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseScriptOutput, readDials } from '../../src/probes/inside.js';
import { DIAL_EXEC_TIMEOUT_MS } from '../../src/probes/dial.js';
import { type DialRecord, UPSTREAM_BUSYBOX } from '../helpers/dial-lab.js';

const lab = fileURLToPath(new URL('../helpers/dial-lab.ts', import.meta.url));
const register = fileURLToPath(new URL('../helpers/register-ts.js', import.meta.url));
const missing = [
  process.getuid?.() === 0 ? undefined : 'root',
  ...['unshare', 'nft', 'ip', 'nc.openbsd', 'ncat', 'nc.traditional', 'busybox', 'bash', 'dash', 'timeout'].map((t) =>
    spawnSync('sh', ['-c', 'command -v "$1"', 'sh', t]).status === 0 ? undefined : t,
  ),
  existsSync(UPSTREAM_BUSYBOX) ? undefined : `upstream busybox at ${UPSTREAM_BUSYBOX} (.ci/busybox-upstream.sh builds it)`,
].filter((m): m is string => m !== undefined);
const ready = missing.length === 0;
if (!ready && process.env.CI !== 'true') console.warn(`probe-dial-real: skipped, missing: ${missing.join(', ')}`);

describe('DIAL_SCRIPT with real tools in a real network namespace', () => {
  it('needs its tools under CI', () => {
    // Under CI=true nothing may be skipped: a missing tool is a failure, not a skip.
    if (process.env.CI === 'true') expect(missing).toEqual([]);
  });

  (ready ? it : it.skip)(
    'every tool variant × target reads as the kernel set it up, each dial bounded',
    () => {
      const run = spawnSync(process.execPath, ['--import', register, lab], { encoding: 'utf8', timeout: 400_000, maxBuffer: 64 << 20 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const records = JSON.parse(run.stdout) as DialRecord[];
      expect(records.length).toBeGreaterThan(100);
      const wrong: string[] = [];
      for (const record of records) {
        const [dial] = readDials(parseScriptOutput(record.stdout));
        const got = dial?.reading.outcome ?? 'nothing';
        if (got !== record.expect) wrong.push(`${record.image} / ${record.target}: ${got}, expected ${record.expect}\n${record.stdout}`);
        // One dial never takes more than its bound (plus start-up), whatever the tool.
        if (record.seconds * 1000 > DIAL_EXEC_TIMEOUT_MS / 2) wrong.push(`${record.image} / ${record.target}: took ${record.seconds.toFixed(1)} s`);
      }
      expect(wrong).toEqual([]);
    },
    420_000,
  );
});
