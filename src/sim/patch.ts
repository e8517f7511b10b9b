/**
 * The three PATCH formats of the Kubernetes API, applied to a plain JSON object the way the
 * apiserver applies them, with its error bodies:
 * - JSON merge patch (RFC 7386, `application/merge-patch+json`): maps merge, `null` deletes,
 *   lists are replaced whole.
 * - Strategic merge patch (`application/strategic-merge-patch+json`): like a merge patch, but
 *   lists with a patch merge key (containers, env, ports, volumes… by name) merge by that key,
 *   and `$patch: delete` / `$patch: replace` directives apply. Built-in kinds only: the
 *   apiserver answers 415 for custom resources ("strategic merge patch is not supported for
 *   custom resources": https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/#use-a-json-merge-patch-to-update-a-deployment
 *   and apiextensions-apiserver's customresource_handler.go, which lists only json and merge patch).
 * - JSON patch (RFC 6902, `application/json-patch+json`): add, remove, replace, move, copy, test.
 * Pure: no I/O, inputs are never mutated.
 */
import { failure, type StatusBody } from './resources.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** The content types the apiserver accepts on PATCH. */
export const PATCH_CONTENT_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export type PatchKind = 'json' | 'merge' | 'strategic';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

/**
 * Patch merge keys of the core/apps/batch types podnet patches, by list field name
 * (k8s.io/api/core/v1/types.go `patchMergeKey` tags: Container.Env name, Container.Ports
 * containerPort, PodSpec.Containers name, Volumes name, VolumeMounts mountPath, …).
 * A list not named here is replaced whole, as the apiserver does for atomic lists.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  ports: 'containerPort',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
};

/** RFC 7386 JSON merge patch (JSON values in and out). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  return mergeValue(target as Json, patch as Json);
}

function mergeValue(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergeValue(out[k] ?? null, v);
  }
  return out;
}

/** A strategic merge patch; a thrown {@link PatchError} carries the apiserver's Status. */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  return strategicValue(target as Json, patch as Json, undefined);
}

function strategicValue(target: Json, patch: Json, field: string | undefined): Json {
  if (Array.isArray(patch)) {
    const key = field ? MERGE_KEYS[field] : undefined;
    if (!key || !Array.isArray(target)) return clone(patch.filter((p) => !(isObject(p) && p.$patch === 'delete')));
    return mergeList(target, patch, key, field as string);
  }
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _drop, ...rest } = patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return null;
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    // Directives kubectl adds that only order or prune: the result is the same without them here.
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const name = k.slice('$deleteFromPrimitiveList/'.length);
      const list = out[name];
      if (Array.isArray(list) && Array.isArray(v)) out[name] = list.filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) delete out[k];
    else {
      const merged = strategicValue(out[k] ?? null, v, k);
      if (merged === null) delete out[k];
      else out[k] = merged;
    }
  }
  return out;
}

function mergeList(target: Json[], patch: Json[], key: string, field: string): Json[] {
  const out = clone(target);
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(failure(400, `error decoding patch: ${field}: expected a list of objects with the merge key "${key}"`));
    const id = item[key];
    if (id === undefined) {
      throw new PatchError(failure(400, `map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`));
    }
    const i = out.findIndex((e) => isObject(e) && e[key] === id);
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = strategicValue(out[i] as Json, item, undefined);
    else {
      const { $patch: _drop, ...rest } = item;
      out.push(rest);
    }
  }
  return out;
}

/** A patch that cannot apply; `status` is what the apiserver answers. */
export class PatchError extends Error {
  constructor(readonly status: StatusBody) {
    super(status.message);
    this.name = 'PatchError';
  }
}

/** RFC 6901 pointer → tokens. */
function pointer(path: unknown): string[] {
  if (typeof path !== 'string') throw new PatchError(failure(422, 'the server rejected our request due to an error in our request', { causes: [{ message: 'missing path' }] }, 'Invalid'));
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(invalidPatch(`JSON pointer must be empty or start with a "/": ${path}`));
  return path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The apiserver's wording for a JSON patch that cannot apply (evanphx/json-patch errors). */
function invalidPatch(message: string): StatusBody {
  return failure(422, `the server rejected our request due to an error in our request`, { causes: [{ reason: 'FieldValueInvalid', message }] }, 'Invalid');
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: JsonObject | Json[]; last: string } {
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length - 1, path)] as Json;
    else if (isObject(cur) && t in cur) cur = cur[t] as Json;
    else throw new PatchError(invalidPatch(`doc is missing path: "${path}": missing value`));
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError(invalidPatch(`doc is missing path: "${path}": missing value`));
  return { parent: cur, last: tokens[tokens.length - 1] as string };
}

function arrayIndex(token: string, max: number, path: string): number {
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(invalidPatch(`Unable to access invalid index: ${token}: invalid index referenced: ${path}`));
  const n = Number(token);
  if (n > max) throw new PatchError(invalidPatch(`Unable to access invalid index: ${n}: invalid index referenced: ${path}`));
  return n;
}

function getAt(doc: Json, path: string): Json {
  let cur: Json = doc;
  for (const t of pointer(path)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length - 1, path)] as Json;
    else if (isObject(cur) && t in cur) cur = cur[t] as Json;
    else throw new PatchError(invalidPatch(`doc is missing path: "${path}": missing value`));
  }
  return cur;
}

function removeAt(doc: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) throw new PatchError(invalidPatch('unable to remove the whole document'));
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(last, parent.length - 1, path), 1)[0] as Json;
  if (!(last in parent)) throw new PatchError(invalidPatch(`Unable to remove nonexistent key: ${last}: missing value`));
  const v = parent[last] as Json;
  delete parent[last];
  return v;
}

function addAt(doc: Json, path: string, value: Json): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return clone(value);
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    if (last === '-') parent.push(clone(value));
    else parent.splice(arrayIndex(last, parent.length, path), 0, clone(value));
  } else parent[last] = clone(value);
  return doc;
}

const deepEqual = (a: unknown, b: unknown): boolean => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

/** RFC 6902 JSON patch. */
export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  return jsonPatch(target as Json, ops);
}

function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new PatchError(failure(400, 'error decoding patch: json: cannot unmarshal object into Go value of type jsonpatch.Patch'));
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObject(raw)) throw new PatchError(failure(400, 'error decoding patch: json: cannot unmarshal into Go value of type jsonpatch.Operation'));
    const op = raw.op;
    const path = raw.path as string;
    switch (op) {
      case 'add':
        if (!('value' in raw)) throw new PatchError(invalidPatch(`add operation does not apply: doc is missing value: "${path}"`));
        doc = addAt(doc, path, raw.value as Json);
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'replace': {
        if (!('value' in raw)) throw new PatchError(invalidPatch(`replace operation does not apply: doc is missing value: "${path}"`));
        const tokens = pointer(path);
        if (tokens.length === 0) {
          doc = clone(raw.value as Json);
          break;
        }
        const { parent, last } = parentOf(doc, tokens, path);
        if (Array.isArray(parent)) parent[arrayIndex(last, parent.length - 1, path)] = clone(raw.value as Json);
        else if (last in parent) parent[last] = clone(raw.value as Json);
        else throw new PatchError(invalidPatch(`replace operation does not apply: doc is missing key: ${path}: missing value`));
        break;
      }
      case 'move':
      case 'copy': {
        const from = raw.from as string;
        const value = op === 'move' ? removeAt(doc, from) : clone(getAt(doc, from));
        doc = addAt(doc, path, value);
        break;
      }
      case 'test': {
        const have = getAt(doc, path);
        if (!deepEqual(have, raw.value)) throw new PatchError(invalidPatch(`testing value ${path} failed: test failed`));
        break;
      }
      default:
        throw new PatchError(invalidPatch(`Unexpected kind: ${String(op)}`));
    }
  }
  return doc;
}
