/**
 * The node the pod runs on: K3s version, container runtime, CNI. These settle the "is it the
 * platform?" question with facts rather than guesses.
 */
import type { V1Node } from '@kubernetes/client-node';
import type { ClusterAccess } from '../cluster/types.js';
import type { NodeEvidence } from '../evidence.js';

/** The node as evidence. Pure. */
export function nodeEvidence(node: V1Node): NodeEvidence {
  const info = node.status?.nodeInfo;
  const annotations = node.metadata?.annotations ?? {};
  const kubeletVersion = info?.kubeletVersion;
  const ev: NodeEvidence = { name: node.metadata?.name ?? '' };
  if (kubeletVersion) ev.kubeletVersion = kubeletVersion;
  if (kubeletVersion?.includes('+k3s')) ev.k3sVersion = kubeletVersion;
  if (info?.containerRuntimeVersion) ev.containerRuntime = info.containerRuntimeVersion;
  if (info?.osImage) ev.osImage = info.osImage;
  if (info?.kernelVersion) ev.kernelVersion = info.kernelVersion;
  const keys = Object.keys(annotations);
  if (keys.some((k) => k.startsWith('flannel.alpha.coreos.com/'))) {
    ev.cni = 'flannel';
    const backend = annotations['flannel.alpha.coreos.com/backend-type'];
    if (backend) ev.cniBackend = backend;
  } else if (keys.some((k) => k.startsWith('projectcalico.org/'))) {
    ev.cni = 'calico';
  } else if (keys.some((k) => k.startsWith('io.cilium') || k.startsWith('network.cilium.io/'))) {
    ev.cni = 'cilium';
  }
  return ev;
}

/** Reads the node (one get request). */
export async function probeNode(cluster: ClusterAccess, name: string): Promise<NodeEvidence> {
  return nodeEvidence(await cluster.getNode(name));
}
