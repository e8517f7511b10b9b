import type { ContainerEvidence } from '../../evidence.js';
import type { Hypothesis } from '../types.js';
import type { ContainerRule } from '../rule.js';
import { Score } from '../confidence.js';
import { planOom } from '../../remediation/patches.js';
import { serverCandidates, matchesOf, ms, note, quoteEvent, quoteLastState, quoteMatch, quoteRefusal, quoteState, refusalsAfter, settingHome, settingHomeWhy, type Facts } from '../facts.js';

/**
 * server-oom-killed: the server was killed by the kernel's OOM killer (with cgroup v2 the
 * whole container goes, memory.oom.group=1 set by kubelet since Kubernetes 1.28:
 * kubernetes/kubernetes#117793, https://kubernetes.io/blog/2023/08/15/kubernetes-v1-28-release/). Exit 137 alone is not enough: a kubelet kill after
 * failed probes is also SIGKILL/137, so the rule wants reason=OOMKilled, an OOM event or an
 * OOM line in the logs.
 */
export const serverOomKilled: ContainerRule<'server-oom-killed'> = {
  id: 'server-oom-killed',
  doc:
    'Fires on lastState/state.terminated reason=OOMKilled (exit 137), OOMKilling/SystemOOM events that name the pod or ' +
    'container, or OOM log lines of the server container (a node OOM event naming neither only supports a kill it coincides with); supported by client refusals within 60 s after the OOM kill. Exit 137 without reason=OOMKilled is ' +
    'not taken as OOM (kubelet probe kills are 137 too).',
  appLevel: true,
  remediation: { kind: 'patch', plan: planOom },
  ruledOut,
  candidates: serverCandidates,
  detectFor,
};

/**
 * The server's last termination was not OOMKilled and no OOM event, or it never terminated.
 * kubelet stops a container with SIGTERM, then SIGKILL after terminationGracePeriodSeconds
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination): exit 143
 * or 137 without reason=OOMKilled.
 */
function ruledOut(f: Facts): string | undefined {
  const server = f.server;
  if (!server?.status) return undefined;
  const ls = server.status.lastState;
  const oomEvents = [...f.events, ...f.nodeEvents].some((e) => /OOM/i.test(e.reason));
  if (ls?.state === 'terminated' && ls.reason !== 'OOMKilled' && server.status.state.reason !== 'OOMKilled' && !oomEvents) {
    return `${server.name}'s last termination was ${[ls.reason && `reason=${ls.reason}`, ls.exitCode !== undefined && `exitCode=${ls.exitCode}`].filter(Boolean).join(' ')}, not OOMKilled, and there are no OOM events${ls.exitCode === 137 ? " (137 is SIGKILL: kubelet's kill after failed liveness/startup probes gives it too when the process outlives its grace period)" : ''}.`;
  }
  if (!ls && server.status.restartCount === 0 && !oomEvents) return `${server.name} has never been terminated (restartCount=0) and there are no OOM events.`;
  return undefined;
}

function detectFor(f: Facts, c: ContainerEvidence): Hypothesis | undefined {
  const s = new Score();
  const st = c.status;
  const oomLast = st?.lastState?.reason === 'OOMKilled';
  const oomNow = st?.state.reason === 'OOMKilled';
  if (oomLast) s.support(0.7, quoteLastState(c));
  if (oomNow) s.support(0.7, quoteState(c));
  const podName = f.ev.pod?.name ?? '';
  // A node's SystemOOM/OOMKilling events are about any process on the node: they count only
  // when they name this pod or container ("victim process: python" names neither). One that
  // does not name it counts weakly, and only when it coincides with this container's kill.
  const oomEvents = [...f.nodeEvents, ...f.events].filter((e) => /OOMKilling|SystemOOM|OOMKilled/i.test(e.reason));
  const nodeOom = oomEvents.filter((e) => e.container === c.name || (podName !== '' && e.message.includes(podName)) || new RegExp(`\\b${escapeRe(c.name)}\\b`).test(e.message));
  if (nodeOom.length > 0) s.support(0.3, ...nodeOom.slice(0, 3).map(quoteEvent));
  const killedAt = st?.lastState?.finishedAt ?? st?.state.finishedAt;
  const coincident = oomEvents.filter((e) => !nodeOom.includes(e) && Number.isFinite(ms(killedAt)) && Math.abs(ms(e.at) - ms(killedAt)) <= 5000);
  if (coincident.length > 0 && (oomLast || oomNow)) {
    s.support(0.1, ...coincident.slice(0, 2).map(quoteEvent), note(`within 5 s of ${c.name}'s kill; the event does not name the container, so it may be another pod's process`));
  }
  const oomLines = matchesOf(f, ['oom'], c.name);
  if (oomLines.length > 0) s.support(0.2, ...oomLines.slice(-2).map(quoteMatch));
  if (!s.hasSupport) return undefined;

  const finished = st?.lastState?.finishedAt ?? (oomNow ? st?.state.finishedAt : undefined);
  const near = refusalsAfter(f, finished, 60);
  if (near.length > 0) s.support(0.15, ...near.slice(0, 3).map(quoteRefusal));
  const restarts = st?.restartCount ?? 0;
  if (restarts >= 2) s.support(0.05);
  if (!oomLast && !oomNow && st?.lastState?.reason && st.lastState.reason !== 'OOMKilled') {
    s.oppose(0.4, quoteLastState(c));
  }
  const probeKills = f.events.filter((e) => e.reason === 'Killing' && (e.container ?? c.name) === c.name && /probe/i.test(e.message));
  if (probeKills.length > 0 && !oomLast) s.oppose(0.3, ...probeKills.slice(0, 1).map(quoteEvent));

  const limit = c.resources.limits?.memory;
  const workers = c.env.find((e) => /WORKERS/i.test(e.name));
  // `kubectl top` shows a sample from metrics-server (a recent window), not a peak
  // (https://kubernetes.io/docs/tasks/debug/debug-cluster/resource-metrics-pipeline/). The
  // peak is cgroup v2 memory.peak (https://docs.kernel.org/admin-guide/cgroup-v2.html, "memory.peak",
  // Linux ≥ 5.19) or max_over_time of cAdvisor's container_memory_working_set_bytes.
  const podName2 = f.ev.pod?.name ?? 'POD';
  const ns = f.ev.target.namespace;
  const fix =
    `Give ${c.name} more memory: raise resources.limits.memory${limit ? ` (now ${limit})` : ''} above its peak ${settingHome(f, c.name)}, ` +
    `or load a smaller model${workers ? ` / lower ${workers.name}${workers.value ? ` (now ${workers.value})` : ''}` : ' / run fewer worker processes'}. ` +
    `Measure the peak, not a sample: \`kubectl exec ${podName2} -n ${ns} -c ${c.name} -- cat /sys/fs/cgroup/memory.peak\` after a load (cgroup v2), ` +
    `or max_over_time(container_memory_working_set_bytes{namespace="${ns}",pod="${podName2}",container="${c.name}"}[1h]) in Prometheus; \`kubectl top\` shows only a recent sample.` + settingHomeWhy(f);
  const summary = `${c.name} was OOM-killed${finished ? ` at ${finished}` : ''} (restartCount=${restarts}); the client is refused while it restarts.`;
  return s.toHypothesis('server-oom-killed', summary, fix);
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
