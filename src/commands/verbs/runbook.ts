/** `runbook list | show NAME | run NAME POD`: on-call runbooks. */
import { validatePodName, validateRunbookName } from '../validate.js';
import { clusterFlag, namespaceFlag } from './flags.js';
import { bad, clusterOf, expectPositionals, HelpRequest, isHelpWord, namespaceOf, scanInput, suggest, Words, type Scanned } from './scan.js';
import type { FlagSpec, ParseDefaults, VerbSpec } from './spec.js';

export type RunbookCommand =
  | { verb: 'runbook'; action: 'list' }
  | { verb: 'runbook'; action: 'show'; name: string }
  | { verb: 'runbook'; action: 'run'; name: string; pod: string; namespace: string; cluster?: string };

const FLAGS = [namespaceFlag, clusterFlag] as const satisfies readonly FlagSpec[];

function parseRun(s: Scanned, d: ParseDefaults | undefined): RunbookCommand {
  expectPositionals('runbook', s, 2, 'the runbook name and pod');
  const name = s.positionals[0];
  if (name === undefined) bad('runbook run needs a runbook name and a pod, e.g. runbook run oom-triage mlserver-0 -n financial-ml');
  const pod = s.positionals[1];
  if (pod === undefined) bad(`runbook run ${name} needs a pod name, e.g. runbook run ${name} mlserver-0 -n financial-ml`);
  return { verb: 'runbook', action: 'run', name: validateRunbookName(name), pod: validatePodName(pod), namespace: namespaceOf(s, d), ...clusterOf(s) };
}

export const runbookVerb = {
  name: 'runbook',
  aliases: [],
  usage: () => 'runbook list  |  runbook show NAME  |  runbook run NAME POD [-n NS] [--cluster NAME]',
  summary: 'list, show or run an on-call runbook',
  surfaces: ['slack'],
  flags: FLAGS,
  parse(input): RunbookCommand {
    const action = input.tokens[0]?.text;
    if (isHelpWord(input.tokens[0])) throw new HelpRequest('runbook');
    const s = scanInput('runbook', FLAGS, { ...input, tokens: input.tokens.slice(1) });
    const noFlags = () => {
      if (s.values.size > 0) bad(`runbook ${action} takes no options`);
    };
    switch (action) {
      case 'list':
        noFlags();
        expectPositionals('runbook', s, 0, 'runbook list');
        return { verb: 'runbook', action: 'list' };
      case 'show': {
        noFlags();
        expectPositionals('runbook', s, 1, 'the runbook name');
        const name = s.positionals[0];
        if (name === undefined) bad('runbook show needs a runbook name (see runbook list)');
        return { verb: 'runbook', action: 'show', name: validateRunbookName(name) };
      }
      case 'run':
        return parseRun(s, input.defaults);
      case undefined:
        return bad('runbook needs an action: list, show NAME or run NAME POD');
      default:
        return bad(`Unknown runbook action "${action}"${suggest(action, ['list', 'show', 'run'])}: use list, show NAME or run NAME POD`);
    }
  },
  format: (c) =>
    c.action === 'run' ? new Words().push('run', c.name, c.pod).opt('-n', c.namespace).opt('--cluster', c.cluster).parts : c.action === 'show' ? ['show', c.name] : ['list'],
  describe: (c) => (c.action === 'run' ? `runbook ${c.name} on ${c.pod} in ${c.namespace}` : c.action === 'show' ? `runbook ${c.name}` : 'runbook list'),
  routes: (c) => c.action === 'run',
  permission: { policy: 'channel', intrusive: () => false },
  run: { on: 'worker', job: 'runbook', processor: 'runbook', renderer: 'src/render/runbook.ts#renderOutcome' },
} as const satisfies VerbSpec<RunbookCommand>;
