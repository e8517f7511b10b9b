/**
 * One grammar for Slack and the terminal: `podnet check|logs|fix` parse through the verb specs
 * (src/commands/verbs) on the `cli` surface, every flag of a verb's table is parsed and shown in
 * the help of each surface it names (and refused on the others), and bad input reads the same.
 */
import { describe, expect, it } from '@jest/globals';
import { parseCheckArgs } from '../../src/bin/check.js';
import { parseCliArgs } from '../../src/bin/cli-args.js';
import { parseFixArgs } from '../../src/bin/fix.js';
import { parseLogsArgs } from '../../src/bin/logs.js';
import { parseCli, parseCommand } from '../../src/commands/grammar.js';
import { switchFlag, valueFlag } from '../../src/commands/verbs/flags.js';
import { cliHelpText, helpText, SPECS, type VerbName } from '../../src/commands/verbs/index.js';
import { flagsOn, scan } from '../../src/commands/verbs/scan.js';
import type { FlagSpec, Surface } from '../../src/commands/verbs/spec.js';
import { optionList, synopsis } from '../../src/commands/verbs/usage.js';
import { BadInputError } from '../../src/errors.js';

const words = (...texts: string[]) => texts.map((text) => ({ text, quoted: false }));

/** The words that give `flag` on a command line. */
function given(flag: FlagSpec): string[] {
  return flag.kind === 'string' ? [flag.names[0] as string, (flag.example ?? 'x').split(' ').slice(1).join(' ') || 'x'] : [flag.names[0] as string];
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof BadInputError) return err.message;
    throw err;
  }
  throw new Error('expected a BadInputError');
}

const CLI_VERBS = ['check', 'logs', 'fix'] as const satisfies readonly VerbName[];

describe('one flag table per verb, read by both surfaces', () => {
  it('a flag added to a table is parsed and shown on the surfaces it names, and unknown on the others', () => {
    const base = SPECS.find((s) => s.name === 'check')!.flags;
    const cliOnly = valueFlag(['--extra-cli'], { metavar: 'X', valueName: 'a thing', sample: 'x1', surfaces: ['cli'], help: 'a new terminal option' });
    const both = switchFlag(['--extra-both'], 'a new switch on both surfaces');
    const flags = [...base, cliOnly, both];
    const onCli = scan('check', flags, words('p', '--extra-cli', 'x1', '--extra-both'), 'cli');
    expect([onCli.values.get('extra-cli'), onCli.booleans.has('extra-both')]).toEqual(['x1', true]);
    expect(synopsis('check POD', flags, 'cli')).toMatch(/\[--extra-cli X\] \[--extra-both\]$/);
    expect(optionList(flags, 'cli')).toMatch(/--extra-cli X +a new terminal option/);
    expect(synopsis('check POD', flags, 'slack')).toMatch(/\[--extra-both\]$/);
    expect(synopsis('check POD', flags, 'slack')).not.toContain('--extra-cli');
    expect(messageOf(() => scan('check', flags, words('p', '--extra-cli', 'x1'), 'slack'))).toMatch(/^Unknown option "--extra-cli" for check.*: valid options: .*--extra-both/);
  });

  it.each(CLI_VERBS)('every %s flag the CLI takes is parsed by podnet %s and listed in its --help', (verb) => {
    const spec = SPECS.find((s) => s.name === verb)!;
    const help = cliHelpText(verb);
    for (const flag of flagsOn(spec.flags, 'cli')) {
      for (const name of flag.names) expect([flag.key, help.includes(name)]).toEqual([flag.key, true]);
      expect(spec.usage('cli')).toContain(flag.names[0]);
      // Given alone (with its example value), a flag is never refused as unknown: the CLI parses it.
      let message = '';
      try {
        parseCli(verb, ['p', ...given(flag)]);
      } catch (err) {
        message = (err as Error).message;
      }
      expect([flag.key, message]).not.toEqual([flag.key, expect.stringMatching(/Unknown option/)]);
    }
  });

  it.each(['check', 'logs'] as const)('%s: a flag of one surface only is an unknown option on the other, in the same words', (verb) => {
    const spec = SPECS.find((s) => s.name === verb)!;
    const only = (surface: Surface) => spec.flags.filter((f) => f.surfaces.length === 1 && f.surfaces[0] === surface);
    expect(only('slack').map((f) => f.key)).toEqual(['cluster']);
    expect(messageOf(() => parseCli(verb, ['p', '--cluster', 'prod']))).toMatch(new RegExp(`^Unknown option "--cluster" for ${verb}`));
    for (const flag of only('cli')) {
      expect(messageOf(() => parseCommand(`${verb} p ${given(flag).join(' ')}`))).toMatch(new RegExp(`^Unknown option "${flag.names[0]}" for ${verb}`));
      expect(helpText(verb)).not.toContain(flag.names[0]);
    }
  });

  it('bad input gives the same message on both surfaces (an unknown option lists the options of each)', () => {
    expect(messageOf(() => parseCli('check', ['p', '--prot', '9']))).toMatch(/^Unknown option "--prot" for check \(did you mean "--port"\?\): valid options: .*--scenario/);
    expect(messageOf(() => parseCommand('check p --prot 9'))).toMatch(/^Unknown option "--prot" for check \(did you mean "--port"\?\): valid options: .*--cluster$/);
    for (const line of ['check Bad_Pod', 'check p --port 0', 'check p -n a_b', 'check p --evidence x', 'check', 'logs p --since soon', 'logs p --grep (['] as const) {
      const [verb, ...rest] = line.split(' ') as ['check' | 'logs', ...string[]];
      expect(messageOf(() => parseCli(verb, rest))).toBe(messageOf(() => parseCommand(line)));
    }
  });
});

describe('--evidence means one thing on both surfaces', () => {
  it('is a switch: the evidence as POD-evidence.json, or the file --evidence-file names (terminal)', () => {
    expect(parseCommand('check mlserver-0 --evidence')).toMatchObject({ evidence: true });
    expect(parseCli('check', ['mlserver-0', '--evidence'])?.command).toMatchObject({ evidence: true });
    expect(parseCheckArgs(['mlserver-0', '--evidence'])?.evidenceOut).toBe('mlserver-0-evidence.json');
    expect(parseCheckArgs(['mlserver-0', '--evidence-file', 'ev.json'])?.evidenceOut).toBe('ev.json');
    expect(parseCheckArgs(['mlserver-0'])?.evidenceOut).toBeUndefined();
  });

  it('refuses a value given to it, on both surfaces, saying what to write', () => {
    const advice = /--evidence takes no value.*write just --evidence, or --evidence-file FILE/;
    expect(messageOf(() => parseCheckArgs(['mlserver-0', '--evidence', 'ev.json']))).toMatch(advice);
    expect(messageOf(() => parseCommand('check mlserver-0 --evidence ev.json'))).toMatch(advice);
    expect(messageOf(() => parseCheckArgs(['mlserver-0', '--evidence=ev.json']))).toMatch(advice);
  });
});

describe('the terminal arguments', () => {
  it('reads where the cluster is and how to print, refusing two sources or an unknown format', () => {
    expect(parseCliArgs('check', ['p', '--scenario', 's.yaml', '-o', 'json'], ['text', 'markdown', 'json'])).toMatchObject({ source: { scenario: 's.yaml', inCluster: false }, output: 'json' });
    expect(messageOf(() => parseCliArgs('logs', ['p', '--scenario', 's', '--context', 'c'], ['text', 'json']))).toMatch(/^--scenario uses a simulated cluster/);
    expect(messageOf(() => parseCliArgs('fix', ['p', '-o', 'markdown'], ['text', 'json']))).toBe('--output must be one of text, json (got "markdown")');
    expect(messageOf(() => parseCliArgs('check', ['p', '--timeline-png', ' '], ['text']))).toMatch(/^--timeline-png needs a value: a file name, e.g. --timeline-png t.png/);
    expect(messageOf(() => parseCliArgs('check', ['p', '--lab'], ['text']))).toMatch(/--lab builds the pods of a scenario file/);
  });

  it('fix: --apply-only durations, cause ids, defaults that depend on the cluster', () => {
    expect(messageOf(() => parseFixArgs(['p', '--settle', '5s']))).toMatch(/^--settle only applies with --apply/);
    expect(messageOf(() => parseFixArgs(['p', '--cause', 'nope']))).toMatch(/^--cause must be a cause id/);
    expect(parseFixArgs(['p', '--apply'])).toMatchObject({ apply: true, verifyForMs: 300_000, settleMs: 60_000, intervalMs: 5_000 });
    expect(parseFixArgs(['p', '--apply', '--scenario', 's', '--settle', '10s'])).toMatchObject({ settleMs: 10_000, intervalMs: 1_000 });
    expect(parseFixArgs(['--help'])).toBeUndefined();
  });

  it('logs: --tail is the terminal\'s, bounded', () => {
    expect(parseLogsArgs(['p', '--tail', '5'])).toMatchObject({ tail: 5 });
    expect(messageOf(() => parseLogsArgs(['p', '--tail', '0']))).toMatch(/^--tail must be a number of lines from 1 to 1000000/);
  });
});
