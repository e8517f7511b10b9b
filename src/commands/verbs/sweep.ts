/** `sweep`: check every matching pod of a namespace; one summary table. */
import { validateSelector } from '../validate.js';
import { clusterFlag, namespaceFlag, valueFlag } from './flags.js';
import { clusterOf, expectPositionals, namespaceOf, scanInput, Words } from './scan.js';
import type { VerbSpec } from './spec.js';
import { synopsis } from './usage.js';

/** `sweep`: check every matching pod, one summary table. */
export interface SweepCommand {
  verb: 'sweep';
  namespace: string;
  selector?: string;
  cluster?: string;
}

const FLAGS = [
  namespaceFlag,
  valueFlag(['-l', '--selector'], { metavar: 'SELECTOR', valueName: 'a label selector', sample: 'app=mlserver', surfaces: ['slack'], help: 'only the pods matching this label selector' }),
  clusterFlag,
];

export const sweepVerb = {
  name: 'sweep',
  aliases: [],
  usage: (surface) => synopsis('sweep', FLAGS, surface),
  summary: 'check every matching pod; one summary table',
  surfaces: ['slack'],
  flags: FLAGS,
  parse(input) {
    const s = scanInput('sweep', FLAGS, input);
    expectPositionals('sweep', s, 0, 'sweep');
    const selector = s.values.get('selector');
    return { verb: 'sweep', namespace: namespaceOf(s, input.defaults), ...(selector !== undefined && { selector: validateSelector(selector) }), ...clusterOf(s) };
  },
  format: (c) => new Words().opt('-n', c.namespace).opt('-l', c.selector).opt('--cluster', c.cluster).parts,
  describe: (c) => `sweep of ${c.namespace}${c.selector ? ` (${c.selector})` : ''}`,
  routes: () => true,
  permission: { policy: 'channel', intrusive: () => false },
  run: { on: 'worker', job: 'sweep', processor: 'sweep', renderer: 'src/render/sweep.ts#renderSweepSlack' },
} as const satisfies VerbSpec<SweepCommand>;
