/** `clusters`: the clusters podnet knows, which have a live worker, and when each was last seen. */
import { expectPositionals, scanInput } from './scan.js';
import type { VerbSpec } from './spec.js';

export interface ClustersCommand {
  verb: 'clusters';
}

export const clustersVerb = {
  name: 'clusters',
  aliases: [],
  usage: () => 'clusters',
  summary: 'list the clusters with a live podnet worker, and when each was last seen',
  surfaces: ['slack'],
  flags: [],
  parse(input) {
    const s = scanInput('clusters', [], input);
    expectPositionals('clusters', s, 0, 'clusters');
    return { verb: 'clusters' };
  },
  format: () => [],
  describe: () => 'clusters list',
  routes: () => false,
  permission: { policy: 'channel', intrusive: () => false },
  run: {
    on: 'bot',
    // Answered by the bot from the workers' heartbeats (src/render/clusters.ts clustersText).
    answer: async (_cmd, bot) => (bot.clustersText ? bot.clustersText() : 'Listing clusters is not available in this deployment.'),
    renderer: 'src/render/clusters.ts#clustersText',
  },
} as const satisfies VerbSpec<ClustersCommand>;
