/** `incident open TITLE… | summary | close`: a threaded incident whose timeline collects every check. */
import { bad, HelpRequest, isHelpWord, suggest, Words } from './scan.js';
import type { VerbSpec } from './spec.js';

export type IncidentCommand =
  | { verb: 'incident'; action: 'open'; title: string }
  | { verb: 'incident'; action: 'summary' }
  | { verb: 'incident'; action: 'close' };

/** Longest incident title accepted. */
export const TITLE_MAX = 150;

export const incidentVerb = {
  name: 'incident',
  aliases: [],
  usage: () => 'incident open TITLE…  |  incident summary  |  incident close',
  summary: 'open a threaded incident; every check and action in it lands on its timeline',
  surfaces: ['slack'],
  flags: [],
  parse({ tokens }): IncidentCommand {
    if (isHelpWord(tokens[0])) throw new HelpRequest('incident');
    const action = tokens[0]?.text;
    const rest = tokens.slice(1);
    switch (action) {
      case 'open': {
        const title = rest.map((t) => t.text).join(' ').trim();
        if (title === '') bad('incident open needs a title, e.g. incident open "agent cannot reach mlserver"');
        if (title.length > TITLE_MAX) bad(`The incident title is ${title.length} characters; at most ${TITLE_MAX} are accepted`);
        return { verb: 'incident', action: 'open', title };
      }
      case 'summary':
      case 'close':
        if (rest.length > 0) bad(`incident ${action} takes no arguments (got "${rest[0]?.text}")`);
        return { verb: 'incident', action };
      case undefined:
        return bad('incident needs an action: open TITLE, summary or close');
      default:
        return bad(`Unknown incident action "${action}"${suggest(action, ['open', 'summary', 'close'])}: use open TITLE, summary or close`);
    }
  },
  format: (c) => (c.action === 'open' ? new Words().push('open').text(c.title).parts : [c.action]),
  describe: (c) => (c.action === 'open' ? `incident "${c.title}"` : `incident ${c.action}`),
  routes: () => false,
  permission: { policy: 'channel', intrusive: () => false },
  run: { on: 'worker', job: 'incident', processor: 'incident', renderer: 'src/render/incident.ts#renderIncidentHeader' },
} as const satisfies VerbSpec<IncidentCommand>;
