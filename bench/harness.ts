/**
 * Tiny benchmark harness. Each bench module exports `bench: Bench`; `npm run bench` runs
 * them in turn (or only those named: `npm run bench -- logscan ack`) and prints every
 * figure with its target. Targets are ratios against a baseline measured in the same run
 * where machines differ.
 */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** e.g. `<= 1.5`, `>= 0.5`, `< 100`; absent for informational figures. */
  target?: string;
  /** Whether the target was met (absent when there is no target). */
  ok?: boolean;
}

export interface Bench {
  name: string;
  description: string;
  run(log: (line: string) => void): Promise<Figure[]>;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function check(name: string, value: number, unit: string, op: '<' | '<=' | '>=' | '>', limit: number): Figure {
  const ok = op === '<' ? value < limit : op === '<=' ? value <= limit : op === '>=' ? value >= limit : value > limit;
  return { name, value, unit, target: `${op} ${limit}`, ok };
}

export function info(name: string, value: number, unit: string): Figure {
  return { name, value, unit };
}
