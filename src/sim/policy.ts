/**
 * NetworkPolicy semantics over a scenario's objects, shared by the simulator (which decides a
 * dial with {@link policyAdmits}) and the lab (which writes the same decisions as nftables,
 * src/lab/policy.ts). Pure.
 *
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/: a pod selected by a
 * policy with policyType Ingress (Egress) is isolated in that direction; a connection is allowed
 * when any rule of any selecting policy admits the peer and the port; policyTypes defaults to
 * Ingress, plus Egress when the policy has egress rules; replies are always allowed; "Pods
 * cannot block localhost access" (the caller never asks about loopback).
 */
import type { V1LabelSelector } from '@kubernetes/client-node';
import { selectorMatches } from '../probes/network.js';
import { parseAddress } from './netmodel.js';

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A Kubernetes object's labels (empty when it has none). */
export const labelsOf = (o: Obj): Record<string, string> => ((o.metadata as Obj | undefined)?.labels ?? {}) as Record<string, string>;
const nsOf = (o: Obj): string => str((o.metadata as Obj | undefined)?.namespace) ?? 'default';

/** A Namespace's labels, with the `kubernetes.io/metadata.name` label every namespace carries. */
export function namespaceLabels(objects: readonly Obj[], ns: string): Record<string, string> {
  const obj = objects.find((o) => o.kind === 'Namespace' && str((o.metadata as Obj).name) === ns);
  return { ...(obj ? labelsOf(obj) : {}), 'kubernetes.io/metadata.name': ns };
}

/** The NetworkPolicies in `ns` whose podSelector selects a pod with `labels`. */
export function selectingPolicies(objects: readonly Obj[], ns: string, labels: Record<string, string>): Obj[] {
  return objects.filter((o) => o.kind === 'NetworkPolicy' && nsOf(o) === ns && selectorMatches((o.spec as Obj | undefined)?.podSelector as V1LabelSelector | undefined, labels));
}

/** A policy's policyTypes, defaulted as the API server does. */
export function policyTypes(p: Obj): string[] {
  const spec = (p.spec ?? {}) as Obj;
  const given = spec.policyTypes as string[] | undefined;
  if (given?.length) return given;
  return ['Ingress', ...(spec.egress ? ['Egress'] : [])];
}

/** One end of a connection: a pod (namespace, labels, its container ports) or a bare address. */
export interface PolicyPeer {
  ip: string;
  pod?: { namespace: string; labels: Record<string, string>; obj: Obj };
}

function cidrContains(cidr: string, ip: string): boolean {
  const [base = '', bitsText] = cidr.split('/');
  const net = parseAddress(base);
  const addr = parseAddress(ip);
  if (!net || !addr || net.family !== addr.family) return false;
  const bits = bitsText === undefined ? net.bytes.length * 8 : Number(bitsText);
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> (i % 8);
    if (((net.bytes[Math.floor(i / 8)] ?? 0) & mask) !== ((addr.bytes[Math.floor(i / 8)] ?? 0) & mask)) return false;
  }
  return true;
}

function peerMatches(objects: readonly Obj[], policyNs: string, p: Obj, peer: PolicyPeer): boolean {
  const block = p.ipBlock as Obj | undefined;
  if (block) {
    const except = (block.except ?? []) as string[];
    return cidrContains(str(block.cidr) ?? '', peer.ip) && !except.some((c) => cidrContains(c, peer.ip));
  }
  if (!peer.pod) return false;
  const nsSel = p.namespaceSelector as V1LabelSelector | undefined;
  const nsOk = nsSel ? selectorMatches(nsSel, namespaceLabels(objects, peer.pod.namespace)) : peer.pod.namespace === policyNs;
  return nsOk && selectorMatches(p.podSelector as V1LabelSelector | undefined, peer.pod.labels);
}

/** A port a rule names: a number (with endPort), or a container port's name on the destination pod. */
function portMatches(rulePort: Obj, port: number, destination: PolicyPeer): boolean {
  if ((str(rulePort.protocol) ?? 'TCP') !== 'TCP') return false;
  const p = rulePort.port;
  if (p === undefined) return true;
  if (typeof p === 'number') return typeof rulePort.endPort === 'number' ? port >= p && port <= rulePort.endPort : port === p;
  const containers = (((destination.pod?.obj.spec ?? {}) as Obj).containers ?? []) as Obj[];
  return containers.some((c) => ((c.ports ?? []) as Obj[]).some((cp) => cp.name === p && cp.containerPort === port));
}

function ruleAdmits(objects: readonly Obj[], policyNs: string, rule: Obj, peerKey: 'from' | 'to', peer: PolicyPeer, destination: PolicyPeer, port: number): boolean {
  const ports = (rule.ports ?? []) as Obj[];
  if (ports.length && !ports.some((p) => portMatches(p, port, destination))) return false;
  const peers = (rule[peerKey] ?? []) as Obj[];
  return peers.length === 0 || peers.some((p) => peerMatches(objects, policyNs, p, peer));
}

/** Whether the policies selecting `self` admit a TCP connection with `peer` in `direction`. */
function directionAdmits(objects: readonly Obj[], direction: 'Ingress' | 'Egress', self: PolicyPeer, peer: PolicyPeer, destination: PolicyPeer, port: number): boolean {
  if (!self.pod) return true;
  const policies = selectingPolicies(objects, self.pod.namespace, self.pod.labels).filter((p) => policyTypes(p).includes(direction));
  if (policies.length === 0) return true;
  const [rulesKey, peerKey] = direction === 'Ingress' ? (['ingress', 'from'] as const) : (['egress', 'to'] as const);
  return policies.some((p) => (((p.spec ?? {}) as Obj)[rulesKey] as Obj[] | undefined ?? []).some((r) => ruleAdmits(objects, self.pod!.namespace, r, peerKey, peer, destination, port)));
}

/**
 * Whether the scenario's NetworkPolicies let `source` open a TCP connection to `destination`
 * on `port`: the source's egress policies and the destination's ingress policies must both
 * admit it.
 */
export function policyAdmits(objects: readonly Obj[], source: PolicyPeer, destination: PolicyPeer, port: number): boolean {
  return directionAdmits(objects, 'Egress', source, destination, destination, port) && directionAdmits(objects, 'Ingress', destination, source, destination, port);
}

/**
 * Whether a NetworkPolicy denial is refused (REJECT: an ICMP port-unreachable, "Connection
 * refused") rather than dropped (a timeout) on the scenario's cluster: `cluster.policyDenial`
 * when the file says; else REJECT on K3s, whose embedded kube-router policy controller ends a
 * pod's chain with `REJECT --reject-with icmp-port-unreachable`
 * (https://github.com/cloudnativelabs/kube-router pkg/controllers/netpol/policy.go), and DROP
 * elsewhere (Calico's and Cilium's default).
 */
export function policyDenialRejects(cluster: { version: string; policyDenial?: 'reject' | 'drop' | undefined }): boolean {
  if (cluster.policyDenial) return cluster.policyDenial === 'reject';
  return /k3s/i.test(cluster.version);
}
