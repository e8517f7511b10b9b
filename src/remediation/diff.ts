/**
 * The change a patch makes, as a line diff of the target's spec in YAML: what the confirm
 * dialog, the thread and the terminal show before anyone applies it. Pure.
 */
import { stringify } from 'yaml';

/** Lines kept around each change. */
const CONTEXT = 2;
/** Specs longer than this are compared on their changed top-level keys only. */
const MAX_LINES = 400;

function yamlLines(v: unknown): string[] {
  if (v === undefined) return [];
  return stringify(v, { lineWidth: 0 }).replace(/\n$/, '').split('\n');
}

/** Longest-common-subsequence line diff: ` ` kept, `-` removed, `+` added. */
export function lineDiff(a: string[], b: string[]): string[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  while (i < n) out.push(`- ${a[i++]}`);
  while (j < m) out.push(`+ ${b[j++]}`);
  return out;
}

/** Only the changed lines and {@link CONTEXT} lines around them; `…` where lines were skipped. */
function hunks(lines: string[]): string[] {
  const keep = new Set<number>();
  lines.forEach((l, i) => {
    if (l.startsWith('  ')) return;
    for (let k = Math.max(0, i - CONTEXT); k <= Math.min(lines.length - 1, i + CONTEXT); k++) keep.add(k);
  });
  const out: string[] = [];
  let last = -1;
  for (const i of [...keep].sort((x, y) => x - y)) {
    if (last >= 0 && i > last + 1) out.push('  …');
    out.push(lines[i] as string);
    last = i;
  }
  return out;
}

/**
 * The diff of `before.spec` → `after.spec` (the object as stored and as the dry-run returned
 * it), headed by the object's kind and name; empty when the patch changes nothing.
 */
export function specDiff(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const b = (before.spec ?? {}) as Record<string, unknown>;
  const a = (after.spec ?? {}) as Record<string, unknown>;
  let from = yamlLines({ spec: b });
  let to = yamlLines({ spec: a });
  if (from.length > MAX_LINES || to.length > MAX_LINES) {
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]));
    from = yamlLines({ spec: Object.fromEntries(keys.filter((k) => k in b).map((k) => [k, b[k]])) });
    to = yamlLines({ spec: Object.fromEntries(keys.filter((k) => k in a).map((k) => [k, a[k]])) });
  }
  const lines = lineDiff(from, to);
  return lines.some((l) => !l.startsWith('  ')) ? hunks(lines) : [];
}
