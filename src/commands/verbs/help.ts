/**
 * `help [VERB]`: every verb's usage and summary, or one verb's. Built by the registry
 * (./index.ts) from the other specs, so help can never miss a verb.
 */
import { bad, suggest } from './scan.js';
import type { VerbSpec } from './spec.js';

export interface HelpCommand {
  verb: 'help';
  /** The verb asked about; absent for general help. */
  topic?: string;
}

/** What help reads from the registry: the verbs typed in Slack, and the texts. */
export interface HelpSource {
  names(): readonly string[];
  text(topic: string | undefined): string;
}

/** The `help` verb over a registry. */
export function helpVerb(source: HelpSource) {
  return {
    name: 'help',
    aliases: [],
    usage: () => 'help [VERB]',
    summary: 'this help, or the usage of one command',
    surfaces: ['slack'],
    flags: [],
    parse({ tokens }): HelpCommand {
      const topic = tokens[0]?.text.toLowerCase();
      if (topic === undefined) return { verb: 'help' };
      const names = source.names();
      if (!names.includes(topic)) bad(`No help for "${tokens[0]?.text}"${suggest(topic, names)}: ask about one of ${names.join(', ')}`);
      return { verb: 'help', topic };
    },
    format: (c: HelpCommand) => (c.topic !== undefined ? [c.topic] : []),
    describe: () => 'help',
    routes: () => false,
    permission: { policy: 'open', intrusive: () => false },
    run: { on: 'bot', answer: async (c: HelpCommand) => `\`\`\`${source.text(c.topic)}\`\`\``, renderer: 'src/commands/verbs/index.ts#helpText' },
  } as const satisfies VerbSpec<HelpCommand>;
}
