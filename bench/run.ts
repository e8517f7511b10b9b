/** `npm run bench [-- NAME...]`: runs the benchmarks and prints their figures. */
import type { Bench, Figure } from './harness.js';

/** Each name loads bench/NAME.bench.ts; the order is the order they run in. */
const BENCHES = ['logscan', 'linear', 'check', 'budget', 'ack', 'worker', 'sweep', 'simlog'];
const load = (name: string): Promise<{ bench: Bench }> => import(`./${name}.bench.js`);

function format(f: Figure): string {
  const value = Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(f.value < 10 ? 3 : 1);
  const verdict = f.target === undefined ? '' : `  target ${f.target}  ${f.ok ? 'MET' : 'MISSED'}`;
  return `  ${f.name.padEnd(48)} ${value.padStart(10)} ${f.unit.padEnd(8)}${verdict}`;
}

async function main(): Promise<number> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : BENCHES;
  let missed = 0;
  for (const name of names) {
    if (!BENCHES.includes(name)) {
      console.error(`bench: unknown benchmark "${name}"; known: ${BENCHES.join(', ')}`);
      return 2;
    }
    let mod: { bench: Bench };
    try {
      mod = await load(name);
    } catch (err) {
      console.log(`\n# ${name}: not available (${(err as Error).message.split('\n')[0]})`);
      continue;
    }
    console.log(`\n# ${mod.bench.name}: ${mod.bench.description}`);
    const figures = await mod.bench.run((line) => console.log(`  … ${line}`));
    for (const f of figures) {
      console.log(format(f));
      if (f.ok === false) missed++;
    }
  }
  console.log(`\n${missed === 0 ? 'all targets met' : `${missed} target(s) missed`}`);
  return missed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
