/**
 * labelSelector and fieldSelector as the apiserver reads them, so the simulator filters
 * lists the way a cluster would. Parse errors carry the apiserver's wording for a 400.
 */

/** A parsed selector: a predicate over an object. */
export type Selector = (obj: Record<string, unknown>) => boolean;

/** Thrown for a selector the apiserver would reject with 400 BadRequest. */
export class SelectorError extends Error {}

type LabelReq =
  | { op: 'exists' | '!'; key: string }
  | { op: '=' | '!='; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] };

/** Splits on commas that are not inside parentheses (`env in (a,b),tier=x`). */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function parseLabelReq(term: string): LabelReq {
  let m = /^!\s*([\w./-]+)$/.exec(term);
  if (m) return { op: '!', key: m[1] as string };
  m = /^([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m) {
    const values = (m[3] as string).split(',').map((v) => v.trim()).filter((v) => v.length > 0);
    return { op: m[2] as 'in' | 'notin', key: m[1] as string, values };
  }
  m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
  if (m) return { op: m[2] === '!=' ? '!=' : '=', key: m[1] as string, value: m[3] as string };
  m = /^([\w./-]+)$/.exec(term);
  if (m) return { op: 'exists', key: m[1] as string };
  throw new SelectorError(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
}

/** Parses a labelSelector (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`; comma = AND). */
export function parseLabelSelector(text: string | undefined): Selector {
  if (!text || !text.trim()) return () => true;
  const reqs = splitTop(text).map(parseLabelReq);
  return (obj) => {
    const labels = ((obj.metadata as { labels?: Record<string, string> } | undefined)?.labels) ?? {};
    return reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case 'exists':
          return has;
        case '!':
          return !has;
        case '=':
          return has && v === r.value;
        case '!=':
          return !has || v !== r.value;
        case 'in':
          return has && r.values.includes(v as string);
        case 'notin':
          return !has || !r.values.includes(v as string);
      }
    });
  };
}

/** Reads a dotted field path (`involvedObject.name`) as the apiserver's field label would. */
export function fieldValue(obj: Record<string, unknown>, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/** Field labels the simulator supports, per kind; anything else is a 400 as on a real apiserver. */
const FIELD_LABELS: Record<string, string[]> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Event: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  Node: ['spec.unschedulable'],
  Namespace: ['status.phase'],
  Secret: ['type'],
};

/** Parses a fieldSelector (`a=b`, `a==b`, `a!=b`; comma = AND) for objects of `kind`. */
export function parseFieldSelector(text: string | undefined, kind: string): Selector {
  if (!text || !text.trim()) return () => true;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(FIELD_LABELS[kind] ?? [])]);
  const reqs = splitTop(text).map((term) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = m[1] as string;
    if (!allowed.has(field)) throw new SelectorError(`field label not supported: ${field}`);
    return { field, negate: m[2] === '!=', value: (m[3] as string).trim() };
  });
  return (obj) =>
    reqs.every((r) => {
      let v = fieldValue(obj, r.field) ?? '';
      if (r.field === 'source' && kind === 'Event') v = fieldValue(obj, 'source.component') ?? '';
      if (r.field === 'spec.hostNetwork' && v === '') v = 'false';
      return r.negate ? v !== r.value : v === r.value;
    });
}
