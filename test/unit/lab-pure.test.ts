/**
 * The lab's pure parts: names and their owner PID, kubelet's files, the NetworkPolicy ruleset
 * and the `--lab`/`--lab-tools` flags.
 */
import { describe, expect, it } from '@jest/globals';
import { BadInputError } from '../../src/errors.js';
import { labOptionsFrom, parseLabTools } from '../../src/lab/cli.js';
import { kubeletHostsFile, kubeletResolvConf } from '../../src/lab/files.js';
import { labName, ownerPid } from '../../src/lab/names.js';
import { policyRuleset, rejectsOnThisCluster } from '../../src/lab/policy.js';
import { validateScenario } from '../../src/sim/scenario.js';

describe('lab names', () => {
  it('carry the creating PID, and only podnet-PID-… names have an owner', () => {
    expect(labName(4242, 'L1-0-MLServer_0')).toBe('podnet-4242-l1-0-mlserver-0');
    expect(ownerPid('podnet-4242-l1-node')).toBe(4242);
    expect(ownerPid('podnet-sim-abc')).toBeUndefined();
    expect(ownerPid('cni-4242-x')).toBeUndefined();
  });
});

describe('kubelet files', () => {
  it('/etc/hosts as managedHostsFileContent writes it, one line per pod IP', () => {
    expect(kubeletHostsFile(['10.42.1.17', 'fd00::11'], 'mlserver-0', 'mlserver-0.mlserver.financial-ml.svc.cluster.local')).toBe(
      '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n' +
        '10.42.1.17\tmlserver-0.mlserver.financial-ml.svc.cluster.local\tmlserver-0\nfd00::11\tmlserver-0.mlserver.financial-ml.svc.cluster.local\tmlserver-0\n',
    );
    expect(kubeletHostsFile(['10.0.0.5'], 'web-1').endsWith('10.0.0.5\tweb-1\n')).toBe(true);
  });
  it('resolv.conf for ClusterFirst: the namespace search path and ndots:5', () => {
    expect(kubeletResolvConf('shop')).toBe('search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n');
  });
});

describe('NetworkPolicy → nftables', () => {
  const scenario = (version: string) =>
    validateScenario(
      {
        apiVersion: 'podnet.dev/v1alpha1', kind: 'Scenario', metadata: { name: 't' }, now: '2025-01-01T00:00:00Z', cluster: { version },
        objects: [
          { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api', namespace: 'shop', labels: { app: 'api' } }, status: { podIP: '10.42.0.5' } },
          { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } }, status: { podIP: '10.42.0.6' } },
          { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'free', namespace: 'other', labels: { app: 'x' } }, status: { podIP: '10.42.0.7' } },
          {
            apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'api-in', namespace: 'shop' },
            spec: { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }] },
          },
        ],
      },
      't',
    );
  it('a selected pod admits the allowed peers and port, loopback and the node, and REJECTs the rest on K3s', () => {
    const rules = policyRuleset(scenario('v1.32.5+k3s1'), 'shop/api', { reject: true, table: 'podnet-1-policy', nodeAddrs: ['192.168.1.2'] }) ?? '';
    expect(rules).toContain('type filter hook input priority 0; policy accept;');
    expect(rules).toContain('iif "lo" accept');
    expect(rules).toContain('ip saddr { 192.168.1.2 } accept');
    expect(rules).toContain('ip saddr { 10.42.0.6 } tcp dport 8080 accept');
    expect(rules).not.toContain('10.42.0.7');
    expect(rules.trim().split('\n').at(-3)?.trim()).toBe('reject with icmpx type port-unreachable');
    expect(rules).not.toContain('hook output');
  });
  it('K3s rejects, other clusters drop; an unselected pod gets no rules', () => {
    expect(rejectsOnThisCluster(scenario('v1.32.5+k3s1'))).toBe(true);
    expect(rejectsOnThisCluster(scenario('v1.31.2'))).toBe(false);
    expect(policyRuleset(scenario('v1.31.2'), 'shop/api', { reject: false, table: 't' })).toMatch(/\n {4}drop\n/);
    expect(policyRuleset(scenario('v1.31.2'), 'other/free', { reject: false, table: 't' })).toBeUndefined();
  });
});

describe('--lab flags', () => {
  it('--lab needs --scenario; --lab-tools needs --lab and known variants', () => {
    expect(labOptionsFrom({}, 'x.yaml')).toBeUndefined();
    expect(labOptionsFrom({ lab: true }, 'x.yaml')).toEqual({ handleSignals: true, label: 'x.yaml' });
    expect(() => labOptionsFrom({ lab: true }, undefined)).toThrow(BadInputError);
    expect(() => labOptionsFrom({ 'lab-tools': 'nc=ncat' }, 'x.yaml')).toThrow(/only applies with --lab/);
    expect(parseLabTools('nc=ncat,sh=busybox,busybox')).toEqual({ nc: 'ncat', sh: 'busybox', busybox: true });
    expect(() => parseLabTools('nc=gnu')).toThrow(/"nc=gnu" is not one of/);
  });
});
