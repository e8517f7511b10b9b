/**
 * The dial classifier over REAL tool output: test/fixtures/dial/dials.json holds what
 * DIAL_SCRIPT printed with OpenBSD nc, ncat, netcat-traditional, Debian's and upstream's
 * busybox, bash and dash in a real network namespace (regenerate: `npm run fixtures:dial`).
 * Each record carries the outcome the namespace's set-up makes true.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { classifyDial } from '../../src/probes/dial.js';
import { parseScriptOutput, readDials } from '../../src/probes/inside.js';
import type { DialRecord } from '../helpers/dial-lab.js';

const records = JSON.parse(readFileSync(new URL('../fixtures/dial/dials.json', import.meta.url), 'utf8')) as DialRecord[];

describe('dial classification of captured real tool output', () => {
  it('covers every tool variant and outcome', () => {
    const images = new Set(records.map((r) => r.image));
    for (const image of ['openbsd', 'ncat', 'traditional', 'busybox-debian', 'busybox-debian-only', 'busybox-upstream', 'bash', 'bash-no-timeout', 'dash']) {
      expect(images).toContain(image);
    }
    expect(new Set(records.map((r) => r.expect))).toEqual(new Set(['connected', 'refused', 'timeout', 'unresolved', 'error', 'no-tool']));
  });

  it.each(records.map((r) => [`${r.image}: ${r.target}`, r] as const))('%s', (_name, record) => {
    const dials = readDials(parseScriptOutput(record.stdout));
    expect(dials).toHaveLength(1);
    const [dial] = dials;
    expect({ host: dial!.host, outcome: dial!.reading.outcome }).toEqual({ host: record.host, outcome: record.expect });
    if (record.expect !== 'connected' && record.expect !== 'no-tool') expect(dial!.reading.detail).toBeTruthy();
    // The detail is the tool's reason, never ncat's banner or traditional's reverse lookup note.
    expect(dial!.reading.detail ?? '').not.toMatch(/^Ncat: Version|inverse host lookup failed/);
  });
});

describe('classifyDial', () => {
  it('never reads a usage text as a timeout (Debian busybox: "-w SEC Connect timeout")', () => {
    const usage = "nc: invalid option -- 'v'\nBusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.\n\nUsage: nc [-iN] [-wN] [-l] [-p PORT] [-f FILE|IPADDR PORT] [-e PROG]\n\n\t-w SEC\tConnect timeout\n";
    expect(classifyDial({ variant: 'busybox-no-z', host: '127.0.0.1', exitCode: 1, stdout: usage })).toEqual({ outcome: 'error', detail: "nc: invalid option -- 'v'" });
  });

  it('reads the bound cutting a dial off: timeout for an address, the resolver for a name', () => {
    expect(classifyDial({ variant: 'bash', host: '10.42.0.98', exitCode: 124, stdout: '', wrap: 'timeout 5' }).outcome).toBe('timeout');
    expect(classifyDial({ variant: 'bash', host: '10.42.0.98', exitCode: 143, stdout: '', wrap: 'watchdog' }).outcome).toBe('timeout');
    expect(classifyDial({ variant: 'openbsd', host: 'redis.db.svc', exitCode: 124, stdout: '', wrap: 'timeout 5' }).outcome).toBe('unresolved');
    expect(classifyDial({ variant: 'openbsd', host: '10.0.0.1', exitCode: undefined, stdout: '' }).outcome).toBe('timeout');
  });

  it('upstream busybox -v -z prints nothing on a refusal: that is an error, not a refusal (the script uses -vv)', () => {
    expect(classifyDial({ variant: 'busybox', host: '127.0.0.1', exitCode: 1, stdout: '' })).toEqual({ outcome: 'error', detail: 'exit status 1 and no output' });
  });
});
