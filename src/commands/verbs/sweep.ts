/** `sweep`: check every matching pod of a namespace; one summary table. */
import { validateSelector } from '../validate.js';
import { clusterFlag, namespaceFlag } from './flags.js';
import { clusterOf, expectPositionals, namespaceOf, scanInput, Words } from './scan.js';
import type { FlagSpec, VerbSpec } from './spec.js';

/** `sweep`: check every matching pod, one summary table. */
export interface SweepCommand {
  verb: 'sweep';
  namespace: string;
  selector?: string;
  cluster?: string;
}

const FLAGS = [
  namespaceFlag,
  {
    key: 'selector', names: ['-l', '--selector'], kind: 'string', surfaces: ['slack'], metavar: 'SELECTOR',
    valueName: 'a label selector', example: '-l app=mlserver', help: 'only the pods matching this label selector',
  },
  clusterFlag,
] as const satisfies readonly FlagSpec[];

export const sweepVerb = {
  name: 'sweep',
  aliases: [],
  usage: 'sweep [-n NS] [-l SELECTOR] [--cluster NAME]',
  summary: 'check every matching pod; one summary table',
  surfaces: ['slack'],
  flags: FLAGS,
  parse(input) {
    const s = scanInput('sweep', FLAGS, input);
    expectPositionals('sweep', s.positionals, 0, 'sweep');
    const selector = s.values.get('selector');
    return { verb: 'sweep', namespace: namespaceOf(s, input.defaults), ...(selector !== undefined && { selector: validateSelector(selector) }), ...clusterOf(s) };
  },
  format: (c) => new Words().opt('-n', c.namespace).opt('-l', c.selector).opt('--cluster', c.cluster).parts,
  describe: (c) => `sweep of ${c.namespace}${c.selector ? ` (${c.selector})` : ''}`,
  routes: () => true,
  permission: { policy: 'channel', intrusive: () => false },
  run: { on: 'worker', job: 'sweep', processor: 'sweep', renderer: 'src/render/sweep.ts#renderSweepSlack' },
} as const satisfies VerbSpec<SweepCommand>;
