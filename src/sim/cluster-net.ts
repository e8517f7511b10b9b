/**
 * The cluster network as one simulated pod sees it: where a dial to an address outside its own
 * namespace goes. The same topology the lab builds with real namespaces (src/lab/lab.ts):
 * - another pod's IP reaches that pod's namespace, where its listeners decide (bind rules in
 *   netmodel.ts) — unless a NetworkPolicy (the source's egress or the destination's ingress)
 *   denies it: then the dial is refused where the CNI REJECTs (K3s's kube-router: `REJECT
 *   --reject-with icmp-port-unreachable`) and times out where it DROPs (Calico, Cilium);
 * - a node address (a pod's hostIP, a Node's address) reaches the node, where hostNetwork
 *   pods' listeners decide; NetworkPolicy does not apply to the node;
 * - a pod whose containers have namespaces of their own (`netns: per-container`, a runtime
 *   fault) is linked to nothing: a dial to it times out;
 * - any other address is routed nowhere: the SYN is lost and the dial times out.
 * Service ClusterIPs are not translated (no kube-proxy): a dial to one times out, as in the lab.
 */
import { acceptsDial, type DialResult, type SimListener, type SimNetwork } from './netmodel.js';
import { labelsOf, policyAdmits, type PolicyPeer } from './policy.js';

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const meta = (o: Obj): Obj => (o.metadata ?? {}) as Obj;
const keyOf = (o: Obj): string => `${str(meta(o).namespace) ?? 'default'}/${str(meta(o).name) ?? ''}`;

/** What {@link clusterNetwork} reads: the cluster as it stands now. */
export interface ClusterNetworkOptions {
  /** Every object as served now (Pods with their status, NetworkPolicies, Namespaces, Nodes). */
  objects: readonly Obj[];
  /** The listeners in a pod's shared namespace; undefined when its containers have their own. */
  listenersOf(podKey: string): SimListener[] | undefined;
  /** A denied dial is refused (REJECT) rather than dropped (a timeout). */
  rejects: boolean;
}

/** Every IP of a pod: status.podIPs, and status.podIP. */
export function podIPsOf(pod: Obj): string[] {
  const status = (pod.status ?? {}) as Obj;
  const ips = ((status.podIPs ?? []) as Obj[]).map((p) => str(p.ip)).filter((x): x is string => !!x);
  const one = str(status.podIP);
  if (one && !ips.includes(one)) ips.push(one);
  return ips;
}

const isHostNetwork = (pod: Obj): boolean => ((pod.spec ?? {}) as Obj).hostNetwork === true;
const isLive = (pod: Obj): boolean => !['Succeeded', 'Failed'].includes(str(((pod.status ?? {}) as Obj).phase) ?? '');

function nodeAddresses(objects: readonly Obj[]): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'Pod') {
      const hostIP = str(((o.status ?? {}) as Obj).hostIP);
      if (hostIP) out.add(hostIP);
      if (isHostNetwork(o)) for (const ip of podIPsOf(o)) out.add(ip);
    }
    if (o.kind === 'Node') for (const a of ((((o.status ?? {}) as Obj).addresses ?? []) as Obj[])) if (str(a.address) && /IP$/.test(str(a.type) ?? '')) out.add(str(a.address)!);
  }
  return out;
}

const peerOf = (pod: Obj, ip: string): PolicyPeer => ({ ip, pod: { namespace: str(meta(pod).namespace) ?? 'default', labels: labelsOf(pod), obj: pod } });

function listenerAnswer(listeners: SimListener[], address: string, port: number): DialResult {
  return listeners.some((l) => l.port === port && acceptsDial(l, address)) ? 'connected' : 'refused';
}

/** The network seen from pod `from` (`NAMESPACE/NAME`). */
export function clusterNetwork(options: ClusterNetworkOptions, from: string): SimNetwork {
  const pods = options.objects.filter((o) => o.kind === 'Pod' && isLive(o));
  const source = pods.find((p) => keyOf(p) === from);
  return {
    route(address: string, port: number): DialResult {
      const destination = pods.find((p) => !isHostNetwork(p) && podIPsOf(p).includes(address));
      if (!destination) {
        if (!nodeAddresses(options.objects).has(address)) return 'timeout';
        const onNode = pods.filter(isHostNetwork).flatMap((p) => options.listenersOf(keyOf(p)) ?? []);
        return listenerAnswer(onNode, address, port);
      }
      const key = keyOf(destination);
      const listeners = options.listenersOf(key);
      if (!listeners) return 'timeout';
      if (key !== from && source && !isHostNetwork(source)) {
        const v6 = address.includes(':');
        const sourceIP = podIPsOf(source).find((ip) => ip.includes(':') === v6) ?? '';
        const admitted = policyAdmits(options.objects, peerOf(source, sourceIP), peerOf(destination, address), port);
        if (!admitted) return options.rejects ? 'refused' : 'timeout';
      }
      return listenerAnswer(listeners, address, port);
    },
  };
}
