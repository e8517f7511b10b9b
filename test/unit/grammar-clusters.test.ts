/** The `clusters` verb: no arguments, no options; round-trips through formatCommand. */
import { describe, expect, it } from '@jest/globals';
import { BadInputError } from '../../src/errors.js';
import { HELP_TEXT, describeCommand, formatCommand, parseArgv, parseCommand, usageFor } from '../../src/commands/grammar.js';

function fails(text: string): BadInputError {
  try {
    parseCommand(text);
  } catch (err) {
    if (err instanceof BadInputError) return err;
    throw err;
  }
  throw new Error(`expected "${text}" to be refused`);
}

describe('clusters', () => {
  it('parses with no arguments, in Slack text and CLI argv', () => {
    expect(parseCommand('clusters')).toEqual({ verb: 'clusters' });
    expect(parseCommand('/podnet CLUSTERS')).toEqual({ verb: 'clusters' });
    expect(parseArgv(['clusters'])).toEqual({ verb: 'clusters' });
    expect(formatCommand({ verb: 'clusters' })).toBe('clusters');
    expect(parseCommand(formatCommand({ verb: 'clusters' }))).toEqual({ verb: 'clusters' });
    expect(describeCommand({ verb: 'clusters' })).toBe('clusters list');
  });
  it('is in the help, and asks for help like the others', () => {
    expect(HELP_TEXT).toContain(usageFor('clusters'));
    expect(HELP_TEXT).toContain('live podnet worker');
    expect(parseCommand('clusters --help')).toEqual({ verb: 'help', topic: 'clusters' });
    expect(parseCommand('help clusters')).toEqual({ verb: 'help', topic: 'clusters' });
  });
  it('refuses arguments and options with the usage', () => {
    const extra = fails('clusters prod');
    expect(extra.message).toBe('Unexpected "prod" after clusters: clusters takes no arguments (quote values that contain spaces)');
    expect(extra.usage).toBe('clusters');
    expect(fails('clusters --cluster a').message).toMatch(/^Unknown option "--cluster" for clusters: it takes no options/);
  });
  it('suggests it for a typo', () => {
    expect(fails('cluster').message).toMatch(/did you mean "clusters"\?/);
  });
});
