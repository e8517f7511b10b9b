import type { ContainerEvidence } from '../../evidence.js';
import type { Hypothesis, Rule } from '../types.js';
import { Score, MIN_CONFIDENCE } from '../confidence.js';
import { factsOf, matchesOf, quoteEvent, quoteLastState, quoteMatch, quoteRefusal, quoteState, refusalsAfter, serverCandidates, type Facts } from '../facts.js';

/**
 * server-oom-killed: the server was killed by the kernel's OOM killer (with cgroup v2 the
 * whole container goes, memory.oom.group). Exit 137 alone is not enough: a kubelet kill after
 * failed probes is also SIGKILL/137, so the rule wants reason=OOMKilled, an OOM event or an
 * OOM line in the logs.
 */
export const serverOomKilled: Rule = {
  id: 'server-oom-killed',
  doc:
    'Fires on lastState/state.terminated reason=OOMKilled (exit 137), OOMKilling/SystemOOM node events or OOM log lines for the ' +
    'server container; supported by client refusals within 60 s after the OOM kill. Exit 137 without reason=OOMKilled is ' +
    'not taken as OOM (kubelet probe kills are 137 too).',
  detect(ev): Hypothesis[] {
    const f = factsOf(ev);
    const out = serverCandidates(f)
      .map((c) => detectFor(f, c))
      .filter((h): h is Hypothesis => !!h && h.confidence >= MIN_CONFIDENCE)
      .sort((a, b) => b.confidence - a.confidence);
    return out.slice(0, 1);
  },
};

function detectFor(f: Facts, c: ContainerEvidence): Hypothesis | undefined {
  const s = new Score();
  const st = c.status;
  const oomLast = st?.lastState?.reason === 'OOMKilled';
  const oomNow = st?.state.reason === 'OOMKilled';
  if (oomLast) s.support(0.7, quoteLastState(c));
  if (oomNow) s.support(0.7, quoteState(c));
  const podName = f.ev.pod?.name ?? '';
  const nodeOom = [...f.nodeEvents, ...f.events].filter(
    (e) => /OOMKilling|SystemOOM|OOMKilled/i.test(e.reason) && (e.container === c.name || e.message.includes(podName) || e.message.includes(c.name) || e.reason === 'SystemOOM'),
  );
  if (nodeOom.length > 0) s.support(0.3, ...nodeOom.slice(0, 3).map(quoteEvent));
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
  const fix =
    `Give ${c.name} more memory: raise resources.limits.memory${limit ? ` (now ${limit})` : ''} above its peak, ` +
    `or load a smaller model${workers ? ` / lower ${workers.name}${workers.value ? ` (now ${workers.value})` : ''}` : ' / run fewer worker processes'}. ` +
    `Check the peak with \`kubectl top pod ${f.ev.pod?.name ?? ''} -n ${f.ev.target.namespace} --containers\` during a load.`;
  const summary = `${c.name} was OOM-killed${finished ? ` at ${finished}` : ''} (restartCount=${restarts}); the client is refused while it restarts.`;
  return s.toHypothesis('server-oom-killed', summary, fix);
}
