import { BASH_WATCHDOG_SCRIPT } from '../../src/probes/dial.js';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterAccess, ExecResult } from '../../src/cluster/types.js';
import type { TargetEvidence } from '../../src/evidence.js';
import { isDialableHost, probeInside } from '../../src/probes/inside.js';
import type { StepSink } from '../../src/probes/step.js';

/** A pod with two running containers: the agent (client) and mlserver (server). */
const pod = {
  metadata: { name: 'mlserver-0', namespace: 'financial-ml' },
  spec: { containers: [{ name: 'agent' }, { name: 'mlserver' }] },
  status: {
    podIP: '10.42.1.17',
    containerStatuses: [
      { name: 'agent', state: { running: {} } },
      { name: 'mlserver', state: { running: {} } },
    ],
  },
} as unknown as V1Pod;

/** Records every exec argv; answers like a container with sh and nc. */
function recordingCluster(): { cluster: ClusterAccess; argvs: string[][] } {
  const argvs: string[][] = [];
  const cluster = {
    exec: async (_ns: string, _pod: string, _c: string, argv: string[]): Promise<ExecResult> => {
      argvs.push(argv);
      return { stdout: '@netns\nnet:[1]\n@tool nc\n', stderr: '', exitCode: 0 };
    },
  } as unknown as ClusterAccess;
  return { cluster, argvs };
}

const target = (address: string): TargetEvidence => ({
  namespace: 'financial-ml',
  pod: 'mlserver-0',
  client: 'agent',
  server: 'mlserver',
  address,
  port: 9500,
  inferredFrom: [`address ${address} from agent log "Setting inference-host from env to ${address}"`],
});

describe('inside probes: the dial address is validated before it reaches argv', () => {
  it.each(['-e/bin/sh', '../../tmp/x', 'a b', '$(id)', '-lp4444'])('does not dial %j (from a log line or env)', async (address) => {
    const { cluster, argvs } = recordingCluster();
    const sink: StepSink = { steps: [] };
    const ev = await probeInside(cluster, pod, target(address), sink);
    expect(argvs.flat()).not.toContain(address);
    expect(ev.dials).toEqual([]);
    const step = sink.steps.find((s) => s.name === 'exec:dial');
    expect(step).toMatchObject({ ok: false, code: 'bad-input' });
    expect(step?.error).toContain('not an IP address or host name');
  });

  it('dials a valid address as a positional argument', async () => {
    const { cluster, argvs } = recordingCluster();
    await probeInside(cluster, pod, target('127.0.0.1'), { steps: [] });
    const dial = argvs.find((a) => a.includes('127.0.0.1'));
    expect(dial?.slice(0, 2)).toEqual(['sh', '-c']);
    expect(dial?.slice(3)).toEqual(['sh', '127.0.0.1', '9500', '10.42.1.17', BASH_WATCHDOG_SCRIPT]);
  });

  it('accepts IPs and DNS names, refuses option-like and path-like values', () => {
    for (const ok of ['127.0.0.1', '10.42.1.17', '::1', 'fe80::1', 'localhost', 'mlserver.financial-ml.svc.cluster.local']) expect(isDialableHost(ok)).toBe(true);
    for (const bad of ['', '-e', '-lp1', '../x', 'a/b', 'a b', '999.1.1.1', ':-x', 'host;id', '-1.2.3.4']) expect(isDialableHost(bad)).toBe(false);
  });
});
