/**
 * A scenario's NetworkPolicies as nftables rules inside a lab pod's namespace. Pure: it
 * returns the ruleset text; the lab loads it with `nft -f -` in the namespace.
 *
 * Semantics (https://kubernetes.io/docs/concepts/services-networking/network-policies/):
 * a pod selected by a policy with policyType Ingress (Egress) is isolated in that direction;
 * a connection is allowed when any rule of any selecting policy admits the peer and port;
 * replies of allowed connections are allowed; "Pods cannot block localhost access" (loopback
 * is always accepted). kube-router (K3s's embedded policy controller) always admits traffic
 * from the node itself (kubelet probes) and ends a pod's chain with `REJECT --reject-with
 * icmp-port-unreachable` (pkg/controllers/netpol/policy.go) — a denied TCP dial reads
 * "Connection refused"; CNIs that DROP (Calico's default, Cilium) make it time out. The lab
 * stands the cluster DNS Service (10.43.0.10) in for the kube-dns pods (kube-system,
 * `k8s-app: kube-dns`), as a CNI sees CoreDNS's pod IP after kube-proxy's DNAT.
 */
import type { V1LabelSelector } from '@kubernetes/client-node';
import { selectorMatches } from '../probes/network.js';
import { podIPsOf } from '../sim/cluster-net.js';
import { labelsOf, namespaceLabels as nsLabels, policyDenialRejects, policyTypes, selectingPolicies } from '../sim/policy.js';
import type { Scenario } from '../sim/scenario.js';
import { CLUSTER_DNS_IP } from './files.js';

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

interface Peer {
  namespace: string;
  labels: Record<string, string>;
  ips: string[];
}

/** Whether a denied connection is refused (REJECT) rather than dropped on this scenario's cluster (policyDenialRejects). */
export function rejectsOnThisCluster(scenario: Scenario): boolean {
  return policyDenialRejects(scenario.cluster);
}

function peersOf(scenario: Scenario): Peer[] {
  const peers: Peer[] = [{ namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ips: [CLUSTER_DNS_IP] }];
  for (const o of scenario.objects as unknown as Obj[]) {
    if (o.kind !== 'Pod') continue;
    peers.push({ namespace: str((o.metadata as Obj).namespace) ?? 'default', labels: labelsOf(o), ips: podIPsOf(o) });
  }
  return peers;
}

const namespaceLabels = (scenario: Scenario, ns: string): Record<string, string> => nsLabels(scenario.objects as unknown as Obj[], ns);

/** nft set elements for addresses of one family. */
const set = (items: string[]): string => `{ ${items.join(', ')} }`;

/** The rules (nft statements) admitting one policy rule's peers and ports in one direction. */
function ruleStatements(scenario: Scenario, policyNs: string, rule: Obj, peerKey: 'from' | 'to', dir: 'saddr' | 'daddr'): string[] {
  const peers = (rule[peerKey] ?? []) as Obj[];
  const v4: string[] = [];
  const v6: string[] = [];
  let any = peers.length === 0;
  for (const p of peers) {
    const block = p.ipBlock as Obj | undefined;
    if (block) {
      const cidr = str(block.cidr) ?? '';
      (cidr.includes(':') ? v6 : v4).push(cidr);
      continue;
    }
    const podSel = p.podSelector as V1LabelSelector | undefined;
    const nsSel = p.namespaceSelector as V1LabelSelector | undefined;
    for (const peer of peersOf(scenario)) {
      const nsOk = nsSel ? selectorMatches(nsSel, namespaceLabels(scenario, peer.namespace)) : peer.namespace === policyNs;
      if (nsOk && selectorMatches(podSel, peer.labels)) for (const a of peer.ips) (a.includes(':') ? v6 : v4).push(a);
    }
  }
  if (peers.length && v4.length === 0 && v6.length === 0) return [];
  const ports = ((rule.ports ?? []) as Obj[]).map((p) => ({ proto: (str(p.protocol) ?? 'TCP').toLowerCase(), port: p.port, end: p.endPort }));
  const portMatches = ports.length === 0
    ? ['']
    : ports.filter((p) => typeof p.port === 'number' || p.port === undefined).map((p) => (p.port === undefined ? `meta l4proto ${p.proto} ` : `${p.proto} dport ${String(p.port)}${typeof p.end === 'number' ? `-${p.end}` : ''} `));
  const out: string[] = [];
  for (const m of portMatches) {
    if (any) out.push(`${m}accept`);
    else {
      if (v4.length) out.push(`ip ${dir} ${set(v4)} ${m}accept`);
      if (v6.length) out.push(`ip6 ${dir} ${set(v6)} ${m}accept`);
    }
  }
  any = false;
  return out;
}

/**
 * The nft ruleset for one pod (`NS/NAME`), or undefined when no policy selects it. `reject`:
 * end with `reject with icmpx port-unreachable` (REJECT) instead of `drop`. `nodeAddrs`: the
 * node's addresses, always admitted inbound (kubelet probes).
 */
export function policyRuleset(scenario: Scenario, podKey: string, options: { reject: boolean; table: string; nodeAddrs?: string[] }): string | undefined {
  const [ns = 'default', name = ''] = podKey.split('/');
  const pod = (scenario.objects as unknown as Obj[]).find((o) => o.kind === 'Pod' && str((o.metadata as Obj).namespace) === ns && str((o.metadata as Obj).name) === name);
  if (!pod) return undefined;
  const labels = labelsOf(pod);
  const selecting = selectingPolicies(scenario.objects as unknown as Obj[], ns, labels);
  if (selecting.length === 0) return undefined;
  const types = policyTypes;
  const verdict = options.reject ? 'reject with icmpx type port-unreachable' : 'drop';
  const chains: string[] = [];
  for (const [type, hook, iface, key, dir] of [['Ingress', 'input', 'iif', 'from', 'saddr'], ['Egress', 'output', 'oif', 'to', 'daddr']] as const) {
    const policies = selecting.filter((p) => types(p).includes(type));
    if (policies.length === 0) continue;
    const lines = [`type filter hook ${hook} priority 0; policy accept;`, `${iface} "lo" accept`, 'ct state established,related accept'];
    if (type === 'Ingress') {
      const node = (options.nodeAddrs ?? []).filter((a) => !a.includes(':'));
      if (node.length) lines.push(`ip saddr ${set(node)} accept`);
    }
    for (const p of policies) {
      const rules = (((p.spec ?? {}) as Obj)[type === 'Ingress' ? 'ingress' : 'egress'] ?? []) as Obj[];
      for (const r of rules) lines.push(...ruleStatements(scenario, ns, r, key, dir));
    }
    lines.push(verdict);
    chains.push(`  chain ${hook} {\n${lines.map((l) => `    ${l}`).join('\n')}\n  }`);
  }
  return `table inet ${options.table} {\n${chains.join('\n')}\n}\n`;
}
