/**
 * `podnet sim --scenario FILE [--port N] [--kubeconfig OUT]` — serves a scenario file over
 * the Kubernetes API on 127.0.0.1 until SIGINT/SIGTERM, and writes a kubeconfig for it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError, PodnetError } from '../errors.js';
import { startSimulator } from '../sim/server.js';
import { LAB_ARG_OPTIONS, LAB_USAGE, labOptionsFrom } from '../lab/cli.js';
import type { LabOptions } from '../lab/lab.js';

export const USAGE = `Usage: podnet sim --scenario FILE [--port N] [--kubeconfig OUT] [--lab [--lab-tools SPEC]]

Serves a scenario file over the Kubernetes API on 127.0.0.1 (pods, events, logs, exec...).

Options:
  --scenario FILE    scenario YAML (e.g. scenarios/seed-incident.yaml)   required
  --port N           port on 127.0.0.1 (default: any free port)
  --kubeconfig OUT   write the kubeconfig here (default: a temporary file, removed on exit)
${LAB_USAGE}
  -h, --help         show this help

Then: kubectl --kubeconfig OUT get pods`;

/** Parsed `podnet sim` arguments. */
export interface SimArgs {
  scenario: string;
  port: number;
  kubeconfig?: string;
  /** Real network namespaces behind pods/exec. */
  lab?: LabOptions;
}

/** Parses argv; throws PodnetError('bad-input') with a one-line reason. `undefined` = help asked. */
export function parseSimArgs(argv: string[]): SimArgs | undefined {
  let values: { scenario?: string; port?: string; kubeconfig?: string; help?: boolean; lab?: boolean; 'lab-tools'?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { scenario: { type: 'string' }, port: { type: 'string' }, kubeconfig: { type: 'string' }, ...LAB_ARG_OPTIONS, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new PodnetError('bad-input', describeError(err).replace(/\. To specify a positional argument.*$/, ''));
  }
  if (values.help) return undefined;
  if (!values.scenario) throw new PodnetError('bad-input', '--scenario FILE is required (e.g. --scenario scenarios/seed-incident.yaml)');
  let port = 0;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port < 0 || port > 65535) throw new PodnetError('bad-input', `--port must be a number from 0 to 65535 (0 = any free port), got "${values.port}"`);
  }
  const lab = labOptionsFrom(values, values.scenario);
  return { scenario: values.scenario, port, ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), ...(lab ? { lab } : {}) };
}

export async function main(argv: string[]): Promise<number> {
  let args: SimArgs | undefined;
  try {
    args = parseSimArgs(argv);
  } catch (err) {
    console.error(`podnet sim: ${describeError(err)}\n\n${USAGE}`);
    return 2;
  }
  if (!args) {
    console.log(USAGE);
    return 0;
  }
  const tempDir = args.kubeconfig ? undefined : mkdtempSync(join(tmpdir(), 'podnet-sim-'));
  const kubeconfigPath = args.kubeconfig ? resolve(args.kubeconfig) : join(tempDir as string, 'kubeconfig');
  let sim;
  try {
    sim = await startSimulator({ scenario: args.scenario, port: args.port, kubeconfigPath, ...(args.lab ? { lab: args.lab } : {}) });
  } catch (err) {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    console.error(`podnet sim: ${describeError(err)}`);
    return err instanceof PodnetError && err.code === 'bad-input' ? 2 : 1;
  }
  console.log(`podnet sim: serving ${args.scenario} at ${sim.url}`);
  if (sim.lab) console.log(`lab: network namespaces ${sim.lab.namespaces().join(', ')} (removed on exit)`);
  console.log(`kubeconfig: ${kubeconfigPath}`);
  console.log(`try: kubectl --kubeconfig ${kubeconfigPath} get pods`);
  console.log('Ctrl-C to stop.');
  const running = sim;
  await new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      console.error(`podnet sim: ${signal}, stopping (${running.requestCount()} requests served).`);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  return 0;
}
