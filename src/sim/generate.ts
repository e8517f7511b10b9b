/**
 * Generated scenarios for sweeps and benchmarks: a namespace of many pods, most healthy,
 * every k-th one a renamed copy of a template scenario's troubled pod (with its events and
 * in-pod model), so a sweep finds real problems among the noise.
 */
import type { Scenario, ScenarioObject } from './scenario.js';

export interface GenerateOptions {
  /** The scenario whose first Pod (with its events and `pods` entry) is copied as the unhealthy pod. */
  template: Scenario;
  /** How many pods; default 500. */
  pods?: number;
  /** Every k-th pod is unhealthy; default 10. */
  unhealthyEvery?: number;
  /** Namespace of the generated pods; default `sweep`. */
  namespace?: string;
}

function rename<T>(value: T, from: string, to: string, ns: string, fromNs: string): T {
  return JSON.parse(
    JSON.stringify(value)
      .replaceAll(`"${from}"`, `"${to}"`)
      .replaceAll(`"${fromNs}"`, `"${ns}"`),
  ) as T;
}

export function generateSweepScenario(options: GenerateOptions): Scenario {
  const { template } = options;
  const total = options.pods ?? 500;
  const every = Math.max(1, options.unhealthyEvery ?? 10);
  const ns = options.namespace ?? 'sweep';
  const troubled = template.objects.find((o) => o.kind === 'Pod');
  if (!troubled?.metadata.namespace) throw new Error(`template ${template.metadata.name} has no namespaced Pod`);
  const tName = troubled.metadata.name;
  const tNs = troubled.metadata.namespace;
  const tEvents = template.objects.filter((o) => o.kind === 'Event' && (o as { involvedObject?: { name?: string } }).involvedObject?.name === tName);
  const tModel = template.pods[`${tNs}/${tName}`];
  const node = template.objects.find((o) => o.kind === 'Node');
  const nodeName = node?.metadata.name ?? 'node-1';

  const objects: ScenarioObject[] = [];
  if (node) objects.push(node);
  objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, status: { phase: 'Active' } } as ScenarioObject);
  const pods: Scenario['pods'] = {};
  const started = new Date(Date.parse(template.now) - 3_600_000).toISOString();

  for (let i = 0; i < total; i++) {
    const name = `app-${String(i).padStart(4, '0')}`;
    if (i % every === every - 1) {
      objects.push(rename(troubled, tName, name, ns, tNs));
      for (const e of tEvents) {
        const copy = rename(e, tName, name, ns, tNs);
        copy.metadata = { ...copy.metadata, name: `${name}.${copy.metadata.name.split('.').at(-1)}` };
        objects.push(copy);
      }
      if (tModel) pods[`${ns}/${name}`] = tModel;
      continue;
    }
    objects.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, labels: { app: 'web', tier: i % 2 ? 'api' : 'frontend' } },
      spec: { nodeName, containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
      status: {
        phase: 'Running',
        podIP: `10.42.${Math.floor(i / 250)}.${(i % 250) + 2}`,
        startTime: started,
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'web', image: 'nginx:1.27', imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: started } } }],
      },
    } as ScenarioObject);
  }
  return {
    ...template,
    metadata: { name: `${template.metadata.name}-sweep-${total}`, description: `${total} pods, every ${every}th a copy of ${tNs}/${tName}` },
    objects,
    pods,
    faults: [],
  };
}
