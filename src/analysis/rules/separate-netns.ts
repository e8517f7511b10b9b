import type { Hypothesis } from '../types.js';
import type { PodRule } from '../rule.js';
import { Score } from '../confidence.js';
import { capitalize, sharedNetnsSentence } from '../ruled-out.js';
import { accepts, factsOf, note, quoteDial, type Facts } from '../facts.js';

/**
 * separate-netns: the containers of one pod are NOT in one network namespace — a container
 * runtime fault, and the only true "platform" cause of intra-pod loopback failing. The
 * proof is two different `net:[inode]` values read from containers of the same pod. Every
 * container of a pod shares the pod's network namespace
 * (https://kubernetes.io/docs/concepts/workloads/pods/#pod-networking); equal
 * /proc/self/ns/net inodes mean one namespace (https://man7.org/linux/man-pages/man7/namespaces.7.html).
 */
export const separateNetns: PodRule<'separate-netns'> = {
  id: 'separate-netns',
  doc:
    'Fires only when `readlink /proc/self/ns/net` gave different net:[inode] values for containers of the same pod. Equal ' +
    'inodes rule it out. Supported by a loopback dial refused while a listener that accepts it is seen from another container.',
  appLevel: false,
  // Why no patch: the change is not one field of one object podnet can name.
  remediation: { kind: 'manual', text: 'A container runtime / CNI fault: no object in the namespace fixes it. Escalate to the platform team with the network-namespace evidence.' },
  ruledOut,
  detect(ev): Hypothesis | undefined {
    const f = factsOf(ev);
    const read = f.ev.netns.filter((n) => n.netns);
    if (f.netnsValues.length < 2) return undefined;
    const s = new Score();
    s.support(
      0.9,
      ...read.map((n) => ({ kind: 'netns' as const, text: `${n.container}: ${n.netns}`, source: 'readlink /proc/self/ns/net' })),
      note(`${f.netnsValues.length} different network namespaces in one pod; Kubernetes puts every container of a pod in the sandbox's one namespace`),
    );
    const P = f.port;
    const refused = f.dials.filter((d) => d.outcome === 'refused' && (P === undefined || d.port === P));
    const seenFromOther = f.ev.sockets.filter((t) => P !== undefined && t.readFrom !== f.client?.name && t.listeners.some((l) => l.port === P));
    if (refused.length > 0 && P !== undefined && seenFromOther.length > 0 && accepts(f, f.address, P)) {
      s.support(0.3, ...refused.map(quoteDial), note(`${seenFromOther[0]?.readFrom} sees a listener on ${f.address}:${P} in its own namespace (${seenFromOther[0]?.netns ?? '?'})`));
    }
    const node = f.ev.node;
    const runtime = node?.containerRuntime ? `, runtime ${node.containerRuntime}` : '';
    return s.toHypothesis(
      'separate-netns',
      `The containers of this pod are in different network namespaces (${f.netnsValues.join(' vs ')}), so 127.0.0.1 in one is not 127.0.0.1 in the other — a container-runtime fault.`,
      `Escalate to the platform team with this evidence (pod ${f.ev.target.namespace}/${f.ev.target.pod}, node ${f.ev.pod?.nodeName ?? node?.name ?? '?'}${runtime}, the net:[inode] values above). ` +
        `Meanwhile delete the pod so it gets a fresh sandbox, and route the client through a Service.`,
    );
  },
};

/** Equal inodes in every container read: one namespace. One pod, one network namespace (https://kubernetes.io/docs/concepts/workloads/pods/#pod-networking). */
function ruledOut(f: Facts): string | undefined {
  const shared = sharedNetnsSentence(f);
  return shared ? `${capitalize(shared)}. Equal inodes mean one namespace; loopback is common to every container.` : undefined;
}
