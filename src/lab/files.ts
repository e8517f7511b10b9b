/**
 * The files kubelet writes into a pod that decide name resolution: /etc/hosts and
 * /etc/resolv.conf. Pure: the lab writes them where `ip netns exec` binds them over /etc.
 */

/**
 * /etc/hosts as kubelet writes it for a pod that is not hostNetwork:
 * `managedHostsFileContent` in kubernetes/kubernetes pkg/kubelet/kubelet_pods.go — the
 * header, localhost for 127.0.0.1 and ::1, the ip6-* names, then one line per pod IP
 * (`IP\tHOSTNAME`, or `IP\tHOSTNAME.SUBDOMAIN.NS.svc.DOMAIN\tHOSTNAME` when the pod has a
 * subdomain). Host aliases are left out (no shipped scenario has them).
 */
export function kubeletHostsFile(podIPs: readonly string[], hostname: string, fqdn?: string): string {
  let text =
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) text += fqdn ? `${ip}\t${fqdn}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return text;
}

/** The cluster DNS Service address the lab's resolver answers on (K3s's default kube-dns ClusterIP). */
export const CLUSTER_DNS_IP = '10.43.0.10';

/**
 * /etc/resolv.conf for dnsPolicy ClusterFirst: the pod's namespace search path and
 * `options ndots:5` (kubernetes/kubernetes pkg/kubelet/network/dns/dns.go, GetPodDNS with
 * `defaultDNSOptions = []string{"ndots:5"}`), the nameserver being the cluster DNS.
 */
export function kubeletResolvConf(namespace: string, clusterDomain = 'cluster.local', nameserver = CLUSTER_DNS_IP): string {
  return `search ${namespace}.svc.${clusterDomain} svc.${clusterDomain} ${clusterDomain}\nnameserver ${nameserver}\noptions ndots:5\n`;
}
