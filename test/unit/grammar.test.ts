import {
  HELP_TEXT,
  LIMITS,
  VERBS,
  parseArgv,
  commandNamespace,
  describeCommand,
  formatCommand,
  isIntrusive,
  parseCommand,
  usageFor,
  type ParsedCommand,
} from '../../src/commands/grammar.js';
import { tokenize } from '../../src/commands/tokenize.js';
import { validateSelector } from '../../src/commands/validate.js';
import { BadInputError } from '../../src/errors.js';

/** Parses and expects a BadInputError; returns it for message assertions. */
function fails(text: string): BadInputError {
  try {
    parseCommand(text);
  } catch (err) {
    expect(err).toBeInstanceOf(BadInputError);
    return err as BadInputError;
  }
  throw new Error(`expected "${text}" to be rejected`);
}

describe('tokenize', () => {
  it('splits on whitespace and groups quotes', () => {
    expect(tokenize(`a  "b c" 'd e' f`).map((t) => t.text)).toEqual(['a', 'b c', 'd e', 'f']);
  });
  it('reads smart quotes as quotes', () => {
    expect(tokenize('open \u201cDB down\u201d').map((t) => t.text)).toEqual(['open', 'DB down']);
    expect(tokenize('open \u2018x y\u2019').map((t) => t.text)).toEqual(['open', 'x y']);
  });
  it('keeps apostrophes inside words', () => {
    expect(tokenize("agent can't reach").map((t) => t.text)).toEqual(['agent', "can't", 'reach']);
  });
  it('opens a quote after =', () => {
    expect(tokenize(`--grep="a b"`).map((t) => t.text)).toEqual(['--grep=a b']);
  });
  it('honours backslash escapes', () => {
    expect(tokenize('a\\ b "c\\"d"').map((t) => t.text)).toEqual(['a b', 'c"d']);
  });
  it('marks quoted tokens', () => {
    expect(tokenize(`"-n" -n`).map((t) => t.quoted)).toEqual([true, false]);
  });
  it('rejects an unclosed quote', () => {
    expect(() => tokenize('open "DB down')).toThrow(/Unclosed quote.*closing "/);
  });
});

describe('parseCommand: check', () => {
  it('parses the minimal form with the default namespace', () => {
    expect(parseCommand('check mlserver-0')).toEqual({ verb: 'check', pod: 'mlserver-0', namespace: 'default' });
  });
  it('uses the channel default namespace when -n is absent', () => {
    expect(parseCommand('check mlserver-0', { namespace: 'financial-ml' })).toMatchObject({ namespace: 'financial-ml' });
  });
  it('lets -n override the channel default', () => {
    expect(parseCommand('check mlserver-0 -n team-a', { namespace: 'financial-ml' })).toMatchObject({ namespace: 'team-a' });
  });
  it('parses every option', () => {
    expect(
      parseCommand(
        'check mlserver-0 -n financial-ml --client agent --server mlserver --port 9500 --debug-container busybox:1.36 --evidence --cluster prod-eu',
      ),
    ).toEqual({
      verb: 'check',
      pod: 'mlserver-0',
      namespace: 'financial-ml',
      client: 'agent',
      server: 'mlserver',
      port: 9500,
      debugContainerImage: 'busybox:1.36',
      evidence: true,
      cluster: 'prod-eu',
    });
  });
  it('accepts --flag=value and -n=value forms', () => {
    expect(parseCommand('check p --namespace=ns1 --port=80')).toMatchObject({ namespace: 'ns1', port: 80 });
    expect(parseCommand('check p -n=ns2')).toMatchObject({ namespace: 'ns2' });
  });
  it('accepts flags before the pod', () => {
    expect(parseCommand('check -n ns1 mypod')).toMatchObject({ pod: 'mypod', namespace: 'ns1' });
  });
  it('reads em/en dashes (Slack smart punctuation) as --', () => {
    expect(parseCommand('check p \u2014namespace ns1 \u2013port 81')).toMatchObject({ namespace: 'ns1', port: 81 });
  });
  it('accepts a leading /podnet and is case-insensitive in the verb', () => {
    expect(parseCommand('/podnet CHECK p')).toMatchObject({ verb: 'check', pod: 'p' });
  });
  it('accepts dotted pod names (DNS-1123 subdomain) but not dotted namespaces', () => {
    expect(parseCommand('check web-0.shard-a')).toMatchObject({ pod: 'web-0.shard-a' });
    expect(fails('check p -n a.b').message).toMatch(/"a.b" is not a valid namespace/);
  });
  it('rejects an invalid pod name, naming the rules and a fix', () => {
    const err = fails('check Mlserver_0');
    expect(err.message).toBe(
      `"Mlserver_0" is not a valid pod name: use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (did you mean "mlserver-0"?)`,
    );
    expect(err.usage).toBe(usageFor('check'));
  });
  it('rejects too-long names', () => {
    expect(fails(`check ${'a'.repeat(254)}`).message).toMatch(/at most 253/);
    expect(fails(`check p -n ${'a'.repeat(64)}`).message).toMatch(/at most 63/);
    expect(parseCommand(`check p -n ${'a'.repeat(63)}`)).toMatchObject({ namespace: 'a'.repeat(63) });
  });
  it('rejects bad container names', () => {
    expect(fails('check p --client Agent').message).toMatch(/"Agent" is not a valid container name \(--client\)/);
    expect(fails('check p --server -x').message).toMatch(/--server needs a value|not a valid/);
  });
  it('checks port bounds', () => {
    expect(fails('check p --port 0').message).toBe('--port must be a port number from 1 to 65535 (got "0")');
    expect(fails('check p --port 65536').message).toMatch(/1 to 65535/);
    expect(fails('check p --port grpc').message).toMatch(/got "grpc"/);
    expect(fails('check p --port -1').message).toMatch(/got "-1"/);
    expect(parseCommand('check p --port 65535')).toMatchObject({ port: 65535 });
    expect(parseCommand('check p --port 1')).toMatchObject({ port: 1 });
  });
  it('rejects an unknown flag and suggests the close one', () => {
    const err = fails('check p --namspace x');
    expect(err.message).toMatch(/^Unknown option "--namspace" for check \(did you mean "--namespace"\?\): valid options: -n\/--namespace/);
    expect(err.usage).toBe(usageFor('check'));
  });
  it('rejects a flag that belongs to another verb', () => {
    expect(fails('check p --previous').message).toMatch(/Unknown option "--previous" for check/);
  });
  it('rejects a missing pod', () => {
    expect(fails('check').message).toBe('check needs a pod name, e.g. check mlserver-0 -n financial-ml');
    expect(fails('check -n x').message).toMatch(/needs a pod name/);
  });
  it('rejects a missing flag value', () => {
    expect(fails('check p -n').message).toBe('-n needs a value: a namespace, e.g. -n financial-ml');
    expect(fails('check p -n --port 80').message).toMatch(/-n needs a value/);
    expect(fails('check p --namespace=').message).toMatch(/needs a value/);
  });
  it('rejects a repeated flag', () => {
    expect(fails('check p -n a --namespace b').message).toMatch(/--namespace is given twice \(already -n\)/);
  });
  it('rejects a value on a boolean flag', () => {
    expect(fails('check p --evidence=yes').message).toMatch(/--evidence takes no value/);
  });
  it('rejects extra positional arguments', () => {
    expect(fails('check p q').message).toMatch(/Unexpected "q" after the pod name/);
  });
  it('rejects a bad debug image', () => {
    expect(fails('check p --debug-container "busybox; rm -rf /"').message).toMatch(/not a valid image reference/);
    expect(parseCommand('check p --debug-container ghcr.io/nicolaka/netshoot:v0.13')).toMatchObject({
      debugContainerImage: 'ghcr.io/nicolaka/netshoot:v0.13',
    });
  });
  it('rejects a bad cluster name', () => {
    expect(fails('check p --cluster Prod_EU').message).toMatch(/not a valid cluster name/);
  });
  it('turns --help into help for the verb', () => {
    expect(parseCommand('check --help')).toEqual({ verb: 'help', topic: 'check' });
    expect(parseCommand('logs p -h')).toEqual({ verb: 'help', topic: 'logs' });
  });
  it('does not read a quoted dash word as a flag', () => {
    expect(fails('check "-n"').message).toMatch(/"-n" is not a valid pod name/);
  });
});

describe('parseCommand: logs', () => {
  it('parses all options', () => {
    expect(parseCommand(`logs mlserver-0 -n ml -c mlserver --previous --since 10m --grep 'refused|timeout' --cluster c1`)).toEqual({
      verb: 'logs',
      pod: 'mlserver-0',
      namespace: 'ml',
      container: 'mlserver',
      previous: true,
      sinceSeconds: 600,
      grep: 'refused|timeout',
      cluster: 'c1',
    });
  });
  it('defaults previous to false', () => {
    expect(parseCommand('logs p')).toEqual({ verb: 'logs', pod: 'p', namespace: 'default', previous: false });
  });
  it('accepts compound durations and rejects bad ones', () => {
    expect(parseCommand('logs p --since 1h30m')).toMatchObject({ sinceSeconds: 5400 });
    expect(fails('logs p --since 10').message).toBe('--since must be a duration like 30s, 10m or 1h (got "10")');
    expect(fails('logs p --since 10d').message).toMatch(/duration like/);
    expect(fails('logs p --since 0s').message).toMatch(/between 1s and 168h/);
    expect(fails('logs p --since 169h').message).toMatch(/between/);
  });
  it('rejects a regex that does not compile, and an over-long one', () => {
    expect(fails('logs p --grep "(unclosed"').message).toMatch(/--grep "\(unclosed" is not a valid regular expression/);
    expect(fails(`logs p --grep ${'a'.repeat(201)}`).message).toMatch(/at most 200/);
  });
  it('lets --grep take a pattern that starts with a dash via =', () => {
    expect(parseCommand('logs p --grep=-v')).toMatchObject({ grep: '-v' });
  });
  it('validates the container name', () => {
    expect(fails('logs p -c My_Container').message).toMatch(/not a valid container name/);
  });
});

describe('parseCommand: watch', () => {
  it('applies defaults', () => {
    expect(parseCommand('watch p -n ns')).toEqual({
      verb: 'watch',
      action: 'start',
      pod: 'p',
      namespace: 'ns',
      everySeconds: 30,
      forSeconds: 1800,
    });
  });
  it('parses --every and --for', () => {
    expect(parseCommand('watch p --every 1m --for 2h')).toMatchObject({ everySeconds: 60, forSeconds: 7200 });
  });
  it('enforces the bounds', () => {
    expect(fails('watch p --every 5s').message).toBe('--every must be between 10s and 24h (got 5s)');
    expect(parseCommand('watch p --every 10s')).toMatchObject({ everySeconds: LIMITS.everyMin });
    expect(fails('watch p --for 25h').message).toMatch(/--for must be between 10s and 24h/);
    expect(parseCommand('watch p --for 24h')).toMatchObject({ forSeconds: 86400 });
    expect(fails('watch p --every 10m --for 1m').message).toMatch(/--for 1m is shorter than --every 10m/);
  });
  it('parses watch stop with and without a pod', () => {
    expect(parseCommand('watch stop')).toEqual({ verb: 'watch', action: 'stop' });
    expect(parseCommand('watch stop p -n ns')).toEqual({ verb: 'watch', action: 'stop', pod: 'p', namespace: 'ns' });
    expect(parseCommand('watch stop p', { namespace: 'chan' })).toEqual({ verb: 'watch', action: 'stop', pod: 'p', namespace: 'chan' });
    expect(fails('watch stop p --every 30s').message).toMatch(/does not apply to watch stop/);
  });
  it('requires a pod', () => {
    expect(fails('watch').message).toMatch(/watch needs a pod name/);
  });
});

describe('parseCommand: sweep', () => {
  it('parses namespace and selector', () => {
    expect(parseCommand('sweep -n ml -l app=mlserver,tier!=cache')).toEqual({
      verb: 'sweep',
      namespace: 'ml',
      selector: 'app=mlserver,tier!=cache',
    });
  });
  it('joins an unquoted set-based selector', () => {
    expect(parseCommand('sweep -l app in (a, b)')).toMatchObject({ selector: 'app in (a,b)' });
    expect(parseCommand(`sweep -l 'env notin (dev),!canary'`)).toMatchObject({ selector: 'env notin (dev),!canary' });
  });
  it('rejects positional arguments and bad selectors', () => {
    expect(fails('sweep mypod').message).toMatch(/Unexpected "mypod" after sweep: sweep takes no arguments/);
    expect(fails('sweep -l "=x"').message).toMatch(/not a valid label selector/);
    expect(fails('sweep -l "a b c"').message).toMatch(/not a valid label selector/);
  });
});

describe('validateSelector', () => {
  it.each([
    ['app', 'app'],
    ['!app', '!app'],
    ['app=x', 'app=x'],
    ['app==x', 'app==x'],
    ['app!=x', 'app!=x'],
    ['app=', 'app='],
    ['app.kubernetes.io/name=mlserver', 'app.kubernetes.io/name=mlserver'],
    [' app = x , tier in (a,b) ', 'app=x,tier in (a,b)'],
  ])('accepts %s', (input, normalised) => {
    expect(validateSelector(input)).toBe(normalised);
  });
  it.each(['', 'app=x,', 'a b', 'app=-x', 'Bad_Prefix!/x=y', 'app in ()', 'app in (a', `k=${'v'.repeat(64)}`])('rejects %p', (input) => {
    expect(() => validateSelector(input)).toThrow(BadInputError);
  });
});

describe('parseCommand: incident', () => {
  it('parses open with an unquoted, quoted or smart-quoted title', () => {
    expect(parseCommand('incident open agent cannot reach mlserver')).toEqual({
      verb: 'incident',
      action: 'open',
      title: 'agent cannot reach mlserver',
    });
    expect(parseCommand('incident open "DB down"')).toMatchObject({ title: 'DB down' });
    expect(parseCommand('incident open \u201cDB down\u201d')).toMatchObject({ title: 'DB down' });
    expect(parseCommand("incident open agent can't reach mlserver -n x")).toMatchObject({ title: "agent can't reach mlserver -n x" });
  });
  it('parses summary and close, rejecting arguments', () => {
    expect(parseCommand('incident summary')).toEqual({ verb: 'incident', action: 'summary' });
    expect(parseCommand('incident close')).toEqual({ verb: 'incident', action: 'close' });
    expect(fails('incident close now').message).toMatch(/incident close takes no arguments/);
  });
  it('rejects a missing title, a long title and unknown actions', () => {
    expect(fails('incident open').message).toMatch(/needs a title/);
    expect(fails(`incident open ${'x'.repeat(151)}`).message).toMatch(/at most 150/);
    expect(fails('incident opne x').message).toMatch(/Unknown incident action "opne" \(did you mean "open"\?\)/);
    expect(fails('incident').message).toMatch(/needs an action/);
    expect(fails('incident').usage).toBe(usageFor('incident'));
  });
});

describe('parseCommand: runbook', () => {
  it('parses list, show and run', () => {
    expect(parseCommand('runbook list')).toEqual({ verb: 'runbook', action: 'list' });
    expect(parseCommand('runbook show oom-triage')).toEqual({ verb: 'runbook', action: 'show', name: 'oom-triage' });
    expect(parseCommand('runbook run oom-triage mlserver-0 -n ml --cluster c1')).toEqual({
      verb: 'runbook',
      action: 'run',
      name: 'oom-triage',
      pod: 'mlserver-0',
      namespace: 'ml',
      cluster: 'c1',
    });
  });
  it('rejects missing and bad arguments', () => {
    expect(fails('runbook').message).toMatch(/runbook needs an action/);
    expect(fails('runbook show').message).toMatch(/needs a runbook name/);
    expect(fails('runbook run oom').message).toMatch(/runbook run oom needs a pod name/);
    expect(fails('runbook run Bad! p').message).toMatch(/not a valid runbook name/);
    expect(fails('runbook list -n x').message).toMatch(/takes no options/);
    expect(fails('runbook lst').message).toMatch(/did you mean "list"/);
    expect(fails('runbook run a p --every 1m').message).toMatch(/Unknown option "--every" for runbook/);
  });
  it('gives help for runbook --help', () => {
    expect(parseCommand('runbook --help')).toEqual({ verb: 'help', topic: 'runbook' });
  });
});

describe('parseCommand: help and unknown verbs', () => {
  it('treats empty text as help', () => {
    expect(parseCommand('')).toEqual({ verb: 'help' });
    expect(parseCommand('   ')).toEqual({ verb: 'help' });
  });
  it('parses help with and without a topic', () => {
    expect(parseCommand('help')).toEqual({ verb: 'help' });
    expect(parseCommand('help logs')).toEqual({ verb: 'help', topic: 'logs' });
    expect(fails('help nope').message).toMatch(/No help for "nope"/);
  });
  it('rejects an unknown verb with a suggestion and the full help as usage', () => {
    const err = fails('chek mlserver-0');
    expect(err.message).toBe(`Unknown command "chek" (did you mean "check"?): use one of ${VERBS.join(', ')}`);
    expect(VERBS.slice(0, 7)).toEqual(['check', 'logs', 'watch', 'sweep', 'incident', 'runbook', 'clusters']);
    expect(err.usage).toBe(HELP_TEXT);
    expect(fails('deploy x').message).toMatch(/^Unknown command "deploy": use one of/);
  });
  it('has usage for every verb, and all of them in HELP_TEXT', () => {
    for (const v of VERBS) {
      expect(usageFor(v)).toMatch(new RegExp(`^${v}`));
      expect(HELP_TEXT).toContain(usageFor(v));
    }
  });
  it('never throws anything but BadInputError on junk input', () => {
    const junk = ['check ""', "check ''", '-', '--', 'check -', 'logs p --since', '"', 'check p -n "a b"', '\u0000', 'check \u00e9'];
    for (const j of junk) {
      try {
        parseCommand(j);
      } catch (err) {
        expect(err).toBeInstanceOf(BadInputError);
        expect((err as Error).message).not.toMatch(/\n/);
      }
    }
  });
});

describe('formatCommand, describeCommand, helpers', () => {
  const samples = [
    'check mlserver-0 -n financial-ml --client agent --server mlserver --port 9500 --debug-container busybox:1.36 --evidence --cluster prod',
    'check p',
    "logs p -n ns -c c --previous --since 1h30m --grep 'a b|c'",
    'watch p -n ns --every 1m --for 2h --cluster c1',
    'watch stop',
    'watch stop p -n ns',
    "sweep -n ns -l 'app in (a,b)'",
    'incident open "agent can\'t reach"',
    'incident summary',
    'incident close',
    'runbook list',
    'runbook show oom',
    'runbook run oom p -n ns',
    'help',
    'help check',
  ];
  it.each(samples)('round-trips %s', (text) => {
    const parsed = parseCommand(text);
    expect(parseCommand(formatCommand(parsed))).toEqual(parsed);
  });
  it('describes commands for humans', () => {
    expect(describeCommand(parseCommand('check mlserver-0 -n financial-ml'))).toBe('check of mlserver-0 in financial-ml');
    expect(describeCommand(parseCommand('logs p -n ns -c c --previous'))).toBe('logs of p/c in ns (previous)');
  });
  it('marks only debug-container checks as intrusive', () => {
    expect(isIntrusive(parseCommand('check p --debug-container busybox:1.36'))).toBe(true);
    expect(isIntrusive(parseCommand('check p'))).toBe(false);
    expect(isIntrusive(parseCommand('logs p'))).toBe(false);
  });
  it('reports the namespace a command touches', () => {
    const cases: [string, string | undefined][] = [
      ['check p -n a', 'a'],
      ['sweep -n b', 'b'],
      ['incident summary', undefined],
      ['help', undefined],
      ['runbook run x p -n c', 'c'],
    ];
    for (const [text, ns] of cases) expect(commandNamespace(parseCommand(text) as ParsedCommand)).toBe(ns);
  });
});

describe('parseArgv (CLI)', () => {
  it('treats each argv element as one word', () => {
    expect(parseArgv(['incident', 'open', "agent can't reach mlserver"])).toEqual({ verb: 'incident', action: 'open', title: "agent can't reach mlserver" });
    expect(parseArgv(['logs', 'p', '--grep', 'a b|"c'])).toMatchObject({ grep: 'a b|"c' });
    expect(parseArgv(['check', 'mlserver-0', '-n', 'ml', '--port=9500'])).toEqual({ verb: 'check', pod: 'mlserver-0', namespace: 'ml', port: 9500 });
    expect(parseArgv([])).toEqual({ verb: 'help' });
  });
  it('gives the same errors as Slack', () => {
    expect(() => parseArgv(['check', 'Bad_Pod'])).toThrow(/"Bad_Pod" is not a valid pod name/);
  });
});
