/**
 * What to collect next: one line per gap in the evidence, each saying what to run.
 * Used by the `unknown` rule's fix and by the diagnosis's `next` list.
 */
import type { Evidence } from '../evidence.js';
import { factsOf } from './facts.js';

export function nextSteps(ev: Evidence): string[] {
  const f = factsOf(ev);
  const ns = ev.target.namespace;
  const pod = ev.target.pod;
  const out: string[] = [];
  const tools = [...new Set(ev.missingTools.map((m) => `${m.tool} in ${m.container}`))];
  if (!ev.pod) out.push(`Read the pod: \`kubectl get pod ${pod} -n ${ns} -o yaml\` (the pod could not be read).`);
  if (!f.socketsRead) {
    out.push(
      `Read the socket table: \`kubectl exec ${pod} -n ${ns} -c ${ev.target.server ?? ev.target.client ?? 'CONTAINER'} -- cat /proc/net/tcp /proc/net/tcp6\`` +
        (tools.length > 0 ? `, or attach a debug container (\`--debug-container\`; missing: ${tools.join(', ')}).` : '.'),
    );
  }
  if (ev.netns.filter((n) => n.netns).length < 2) {
    out.push(`Compare network namespaces: \`readlink /proc/self/ns/net\` in each container of ${pod}.`);
  }
  if (ev.dials.length === 0 && ev.target.port !== undefined) {
    out.push(`Dial from the client: \`kubectl exec ${pod} -n ${ns} -c ${ev.target.client ?? 'CLIENT'} -- nc -z -w 2 ${ev.target.address ?? '127.0.0.1'} ${ev.target.port}\` (or attach a debug container).`);
  }
  if (ev.target.port === undefined) out.push('Name the port the client dials: `--port P` (it could not be inferred).');
  if (!ev.target.server) out.push('Name the server container: `--server NAME` (it could not be inferred).');
  if (ev.logs.length === 0) {
    out.push(`Collect logs with timestamps: \`kubectl logs ${pod} -n ${ns} --all-containers --timestamps\` and \`--previous\`.`);
  } else if (f.refusals.length === 0 && !ev.logs.some((l) => l.previous)) {
    out.push(`Check the previous run's logs: \`kubectl logs ${pod} -n ${ns} -c ${ev.target.server ?? 'SERVER'} --previous --timestamps\`.`);
  }
  for (const st of ev.steps.filter((s) => !s.ok && s.code === 'forbidden')) {
    out.push(`Grant the missing permission (${st.error ?? st.name}); see deploy/ RBAC manifest.`);
  }
  if (ev.target.port !== undefined) out.push(`Re-run the check during a failure (\`watch ${pod} -n ${ns}\`) to catch a flap in the act.`);
  return out;
}
