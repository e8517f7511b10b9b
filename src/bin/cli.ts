/**
 * `podnet` — one executable, many subcommands. Each subcommand lives in its own entry-point
 * module under src/bin and is loaded only when used, so `podnet check` never loads Bolt. The
 * registered verbs (check, logs, fix) take their summary from the verb registry, as `help` does.
 */
import { specOf } from '../commands/verbs/index.js';
import { describeError, PodnetError } from '../errors.js';
import { EXIT } from './exit.js';

/** An entry point: takes the arguments after the subcommand, returns the exit code. */
export type Main = (argv: string[]) => Promise<number>;

const SUBCOMMANDS: Record<string, { load: () => Promise<{ main: Main }>; summary: string }> = {
  check: { load: () => import('./check.js'), summary: specOf('check').summary },
  fix: { load: () => import('./fix.js'), summary: specOf('fix').summary },
  analyze: { load: () => import('./analyze.js'), summary: 're-run the analysis on a saved evidence file' },
  logs: { load: () => import('./logs.js'), summary: specOf('logs').summary },
  sim: { load: () => import('./sim.js'), summary: 'serve a scenario file over the Kubernetes API' },
  bot: { load: () => import('./bot.js'), summary: 'run the Slack app (Bolt)' },
  worker: { load: () => import('./worker.js'), summary: 'run the BullMQ workers that talk to the cluster' },
  demo: { load: () => import('./demo.js'), summary: 'simulator + Slack stand-in + bot + worker, one signed /podnet check' },
  incident: { load: () => import('./incident.js'), summary: 'incident records (export)' },
};

export function usage(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((k) => k.length));
  const lines = Object.entries(SUBCOMMANDS).map(([name, s]) => `  ${name.padEnd(width)}  ${s.summary}`);
  return ['Usage: podnet <command> [options]', '', 'Commands:', ...lines, '', 'Run `podnet <command> --help` for its options.'].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? EXIT.badInput : EXIT.ok;
  }
  const sub = SUBCOMMANDS[name];
  if (!sub) {
    console.error(`podnet: unknown command "${name}".\n\n${usage()}`);
    return EXIT.badInput;
  }
  try {
    const mod = await sub.load();
    return await mod.main(rest);
  } catch (err) {
    // Last resort: never a stack trace to the user (PODNET_DEBUG=1 shows it).
    console.error(`podnet ${name}: ${describeError(err)}`);
    if (process.env.PODNET_DEBUG) console.error(err);
    return err instanceof PodnetError && err.code === 'bad-input' ? EXIT.badInput : EXIT.failure;
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`podnet: ${describeError(err)}`);
    process.exitCode = EXIT.failure;
  },
);
