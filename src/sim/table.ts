/**
 * Server-side printing (meta.k8s.io/v1 Table), which `kubectl get` asks for. The columns and
 * cell formats follow the apiserver's printers (pkg/printers/internalversion), with ages
 * measured against the scenario's clock so the output is reproducible.
 */
type Obj = Record<string, unknown>;

interface Column {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  priority?: number;
  description?: string;
}

/** A Table row cell value. */
type Cell = string | number | boolean;

const get = (o: unknown, path: string): unknown => {
  let cur = o;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[p];
  }
  return cur;
};
const str = (v: unknown, dflt = ''): string => (typeof v === 'string' ? v : dflt);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** kubectl's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${d}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function since(ts: unknown, now: number): string {
  if (typeof ts !== 'string' || Number.isNaN(Date.parse(ts))) return '<unknown>';
  return humanDuration(now - Date.parse(ts));
}

const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.' };
const AGE: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' };

/** The printer of a kind: its columns and a row function. */
interface Printer {
  columns: Column[];
  row(o: Obj, now: number): Cell[];
}

function podRow(pod: Obj, now: number): Cell[] {
  const statuses = arr(get(pod, 'status.containerStatuses'));
  const total = arr(get(pod, 'spec.containers')).length;
  let ready = 0;
  let restarts = 0;
  let lastRestart = 0;
  let reason = str(get(pod, 'status.reason')) || str(get(pod, 'status.phase'), 'Unknown');
  let initializing = false;
  const initStatuses = arr(get(pod, 'status.initContainerStatuses'));
  initStatuses.forEach((c, i) => {
    restarts += Number(c.restartCount ?? 0);
    const term = get(c, 'state.terminated') as Obj | undefined;
    const waiting = get(c, 'state.waiting') as Obj | undefined;
    if (term && Number(term.exitCode ?? 0) === 0) return;
    if (get(c, 'started') === true && get(c, 'state.running')) return; // native sidecar
    initializing = true;
    if (term) reason = term.reason ? `Init:${str(term.reason)}` : term.signal ? `Init:Signal:${String(term.signal)}` : `Init:ExitCode:${String(term.exitCode)}`;
    else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') reason = `Init:${str(waiting.reason)}`;
    else reason = `Init:${i}/${initStatuses.length}`;
  });
  if (!initializing) {
    let hasRunning = false;
    for (const c of [...statuses].reverse()) {
      restarts += Number(c.restartCount ?? 0);
      const last = str(get(c, 'lastState.terminated.finishedAt'));
      if (last) lastRestart = Math.max(lastRestart, Date.parse(last));
      const waiting = get(c, 'state.waiting') as Obj | undefined;
      const term = get(c, 'state.terminated') as Obj | undefined;
      if (waiting?.reason) reason = str(waiting.reason);
      else if (term?.reason) reason = str(term.reason);
      else if (term) reason = term.signal ? `Signal:${String(term.signal)}` : `ExitCode:${String(term.exitCode)}`;
      else if (c.ready === true && get(c, 'state.running')) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (get(pod, 'metadata.deletionTimestamp')) reason = str(get(pod, 'status.reason')) === 'NodeLost' ? 'Unknown' : 'Terminating';
  const restartCell = lastRestart > 0 ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts);
  const gates = arr(get(pod, 'spec.readinessGates'));
  return [
    str(get(pod, 'metadata.name')),
    `${ready}/${total}`,
    reason,
    restartCell,
    since(get(pod, 'metadata.creationTimestamp'), now),
    str(get(pod, 'status.podIP'), '<none>'),
    str(get(pod, 'spec.nodeName'), '<none>'),
    str(get(pod, 'status.nominatedNodeName'), '<none>'),
    gates.length ? `0/${gates.length}` : '<none>',
  ];
}

function eventRow(e: Obj, now: number): Cell[] {
  const first = str(e.firstTimestamp) || str(get(e, 'eventTime')) || str(get(e, 'metadata.creationTimestamp'));
  const last = str(e.lastTimestamp) || first;
  const count = Number(e.count ?? 1);
  const interval = count > 1 ? `${since(last, now)} (x${count} over ${since(first, now)})` : since(last, now);
  const source = [str(get(e, 'source.component')), str(get(e, 'source.host'))].filter(Boolean).join(', ');
  return [
    interval,
    str(e.type),
    str(e.reason),
    `${str(get(e, 'involvedObject.kind')).toLowerCase()}/${str(get(e, 'involvedObject.name'))}`,
    str(get(e, 'involvedObject.fieldPath')),
    source,
    str(e.message).trim(),
    since(first, now),
    count,
    str(get(e, 'metadata.name')),
  ];
}

function nodeRow(n: Obj, now: number): Cell[] {
  const ready = arr(get(n, 'status.conditions')).find((c) => c.type === 'Ready');
  let status = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
  if (get(n, 'spec.unschedulable') === true) status += ',SchedulingDisabled';
  const labels = (get(n, 'metadata.labels') ?? {}) as Record<string, string>;
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .sort();
  const addr = (t: string) => str(arr(get(n, 'status.addresses')).find((a) => a.type === t)?.address, '<none>');
  return [
    str(get(n, 'metadata.name')), status, roles.join(',') || '<none>', since(get(n, 'metadata.creationTimestamp'), now),
    str(get(n, 'status.nodeInfo.kubeletVersion')), addr('InternalIP'), addr('ExternalIP'), str(get(n, 'status.nodeInfo.osImage')),
    str(get(n, 'status.nodeInfo.kernelVersion')), str(get(n, 'status.nodeInfo.containerRuntimeVersion')),
  ];
}

function serviceRow(s: Obj, now: number): Cell[] {
  const ports = arr(get(s, 'spec.ports')).map((p) => `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${str(p.protocol, 'TCP')}`);
  const selector = Object.entries((get(s, 'spec.selector') ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  const external = arr(get(s, 'status.loadBalancer.ingress')).map((i) => str(i.ip) || str(i.hostname));
  return [
    str(get(s, 'metadata.name')), str(get(s, 'spec.type'), 'ClusterIP'), str(get(s, 'spec.clusterIP'), '<none>'),
    external.join(',') || '<none>', ports.join(',') || '<none>', since(get(s, 'metadata.creationTimestamp'), now), selector.join(',') || '<none>',
  ];
}

function endpointsRow(e: Obj, now: number): Cell[] {
  const eps: string[] = [];
  for (const subset of arr(e.subsets)) for (const a of arr(subset.addresses)) for (const p of arr(subset.ports)) eps.push(`${str(a.ip)}:${String(p.port)}`);
  const shown = eps.length > 3 ? `${eps.slice(0, 3).join(',')} + ${eps.length - 3} more...` : eps.join(',') || '<none>';
  return [str(get(e, 'metadata.name')), shown, since(get(e, 'metadata.creationTimestamp'), now)];
}

function policyRow(p: Obj, now: number): Cell[] {
  const labels = (get(p, 'spec.podSelector.matchLabels') ?? {}) as Record<string, string>;
  const sel = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
  return [str(get(p, 'metadata.name')), sel || '<none>', since(get(p, 'metadata.creationTimestamp'), now)];
}

const PRINTERS: Record<string, Printer> = {
  Pod: {
    columns: [
      NAME,
      { name: 'Ready', type: 'string', description: 'The aggregate readiness state of this pod for accepting traffic.' },
      { name: 'Status', type: 'string', description: 'The aggregate status of the containers in this pod.' },
      { name: 'Restarts', type: 'string', description: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.' },
      AGE,
      { name: 'IP', type: 'string', priority: 1, description: 'IP address allocated to the pod.' },
      { name: 'Node', type: 'string', priority: 1, description: 'Name of the Node this pod is scheduled on.' },
      { name: 'Nominated Node', type: 'string', priority: 1, description: 'Nominated node name.' },
      { name: 'Readiness Gates', type: 'string', priority: 1, description: 'Pod readiness gates.' },
    ],
    row: podRow,
  },
  Event: {
    columns: [
      { name: 'Last Seen', type: 'string', description: 'The time at which the most recent occurrence of this event was recorded.' },
      { name: 'Type', type: 'string', description: 'Type of this event (Normal, Warning).' },
      { name: 'Reason', type: 'string', description: 'This should be a short, machine understandable string.' },
      { name: 'Object', type: 'string', description: 'The object that this event is about.' },
      { name: 'Subobject', type: 'string', priority: 1, description: 'Field path of the object the event is about.' },
      { name: 'Source', type: 'string', priority: 1, description: 'The component reporting this event.' },
      { name: 'Message', type: 'string', description: 'A human-readable description of the status of this operation.' },
      { name: 'First Seen', type: 'string', priority: 1, description: 'The time at which the event was first recorded.' },
      { name: 'Count', type: 'integer', priority: 1, description: 'The number of times this event has occurred.' },
      { name: 'Name', type: 'string', format: 'name', priority: 1, description: 'Name of the event.' },
    ],
    row: eventRow,
  },
  Node: {
    columns: [
      NAME,
      { name: 'Status', type: 'string', description: 'The status of the node.' },
      { name: 'Roles', type: 'string', description: 'The roles of the node.' },
      AGE,
      { name: 'Version', type: 'string', description: 'Kubelet Version reported by the node.' },
      { name: 'Internal-IP', type: 'string', priority: 1, description: 'List of addresses reachable to the node.' },
      { name: 'External-IP', type: 'string', priority: 1, description: 'List of addresses reachable to the node.' },
      { name: 'OS-Image', type: 'string', priority: 1, description: 'OS Image reported by the node.' },
      { name: 'Kernel-Version', type: 'string', priority: 1, description: 'Kernel Version reported by the node.' },
      { name: 'Container-Runtime', type: 'string', priority: 1, description: 'Container Runtime Version reported by the node.' },
    ],
    row: nodeRow,
  },
  Service: {
    columns: [
      NAME,
      { name: 'Type', type: 'string', description: 'The type of the service.' },
      { name: 'Cluster-IP', type: 'string', description: 'The cluster IP of the service.' },
      { name: 'External-IP', type: 'string', description: 'The external IPs of the service.' },
      { name: 'Port(s)', type: 'string', description: 'The ports of the service.' },
      AGE,
      { name: 'Selector', type: 'string', priority: 1, description: 'Route service traffic to pods with label keys and values matching this selector.' },
    ],
    row: serviceRow,
  },
  Endpoints: {
    columns: [NAME, { name: 'Endpoints', type: 'string', description: 'Endpoints of the service.' }, AGE],
    row: endpointsRow,
  },
  NetworkPolicy: {
    columns: [NAME, { name: 'Pod-Selector', type: 'string', description: 'The pod selector of the policy.' }, AGE],
    row: policyRow,
  },
  Namespace: {
    columns: [NAME, { name: 'Status', type: 'string', description: 'The status of the namespace.' }, AGE],
    row: (o, now) => [str(get(o, 'metadata.name')), str(get(o, 'status.phase'), 'Active'), since(get(o, 'metadata.creationTimestamp'), now)],
  },
  StatefulSet: {
    columns: [NAME, { name: 'Ready', type: 'string', description: 'Number of ready replicas.' }, AGE],
    row: (o, now) => [str(get(o, 'metadata.name')), `${Number(get(o, 'status.readyReplicas') ?? 0)}/${Number(get(o, 'spec.replicas') ?? 1)}`, since(get(o, 'metadata.creationTimestamp'), now)],
  },
};

const GENERIC: Printer = { columns: [NAME, AGE], row: (o, now) => [str(get(o, 'metadata.name')), since(get(o, 'metadata.creationTimestamp'), now)] };

/** Which object each row carries (`includeObject`): None, Metadata (default) or Object. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Builds a meta.k8s.io/v1 Table for objects of one kind. */
export function toTable(kind: string, items: Obj[], options: { now: number; resourceVersion: string; includeObject?: IncludeObject }): Obj {
  const printer = PRINTERS[kind] ?? GENERIC;
  const include = options.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: options.resourceVersion },
    columnDefinitions: printer.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
    rows: items.map((o) => {
      const row: Obj = { cells: printer.row(o, options.now) };
      if (include === 'Object') row.object = o;
      else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
      return row;
    }),
  };
}

/** True when the Accept header asks for a Table (kubectl get). */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}
