/**
 * What around the pod could touch its traffic: NetworkPolicies that select it, the Services of
 * its namespace (those pointing at it, and those that may serve what it dials), and mesh
 * sidecars that may intercept it. (NetworkPolicy cannot block loopback;
 * recording the policies lets the analysis say so with the objects in hand.)
 */
import type { V1LabelSelector, V1NetworkPolicy, V1Pod, V1Service } from '@kubernetes/client-node';
import type { ClusterAccess } from '../cluster/types.js';
import type { NetworkPolicyEvidence, ServiceEvidence } from '../evidence.js';

/** Label selector semantics of Kubernetes: matchLabels AND every matchExpression; empty selects all. */
export function selectorMatches(selector: V1LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, expr.key);
    const value = labels[expr.key];
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
        if (!has || !values.includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false; // an operator we do not know selects nothing rather than everything
    }
  }
  return true;
}

/** The policy as evidence. Pure. */
export function policyEvidence(p: V1NetworkPolicy): NetworkPolicyEvidence {
  const spec = p.spec;
  const ingress = spec?.ingress ?? [];
  const egress = spec?.egress ?? [];
  // Defaults per the API: Ingress always; Egress when egress rules are present.
  const policyTypes = spec?.policyTypes ?? (egress.length ? ['Ingress', 'Egress'] : ['Ingress']);
  const openRule = (r: { ports?: unknown[]; from?: unknown[]; to?: unknown[] }) => !r.ports?.length && !r.from?.length && !r.to?.length;
  return {
    name: p.metadata?.name ?? '',
    policyTypes,
    ingressRules: ingress.length,
    egressRules: egress.length,
    allowsAllIngress: !policyTypes.includes('Ingress') || ingress.some(openRule),
    allowsAllEgress: !policyTypes.includes('Egress') || egress.some(openRule),
  };
}

/** Policies of the namespace whose podSelector selects the pod. */
export async function probePolicies(cluster: ClusterAccess, namespace: string, labels: Record<string, string>): Promise<NetworkPolicyEvidence[]> {
  const all = await cluster.listNetworkPolicies(namespace);
  return all.filter((p) => selectorMatches(p.spec?.podSelector, labels)).map(policyEvidence);
}

/** The service as evidence. Pure. */
export function serviceEvidence(s: V1Service): ServiceEvidence {
  return {
    name: s.metadata?.name ?? '',
    type: s.spec?.type ?? 'ClusterIP',
    ...(s.spec?.clusterIP ? { clusterIP: s.spec.clusterIP } : {}),
    ports: (s.spec?.ports ?? []).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: p.port,
      ...(p.targetPort === undefined ? {} : { targetPort: p.targetPort }),
      ...(p.protocol ? { protocol: p.protocol } : {}),
    })),
    selector: { ...(s.spec?.selector ?? {}) },
  };
}

/** At most this many Services of a namespace are kept as evidence. */
export const MAX_SERVICES = 200;

/**
 * The namespace's Services (one list call), those selecting the pod first. All of them are
 * kept, not only the pod's own: when the client dials localhost for a server that runs in
 * another pod, the Service that serves the port is one that selects OTHER pods.
 */
export async function probeServices(cluster: ClusterAccess, namespace: string, labels: Record<string, string>): Promise<ServiceEvidence[]> {
  const all = await cluster.listServices(namespace);
  const selectsPod = (s: V1Service) => {
    const sel = s.spec?.selector ?? {};
    return Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
  };
  return [...all.filter(selectsPod), ...all.filter((s) => !selectsPod(s))].slice(0, MAX_SERVICES).map(serviceEvidence);
}

const MESH = /istio-proxy|istio-init|istio-validation|linkerd-proxy|linkerd-init|envoy/i;

/** Mesh proxy containers and init containers, by name or image. Pure. */
export function detectSidecars(pod: V1Pod): string[] {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return all.filter((c) => MESH.test(c.name) || MESH.test(c.image ?? '')).map((c) => c.name);
}
