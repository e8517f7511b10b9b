import { dialOutcome, missingExecutable, parseScriptOutput } from '../../src/probes/inside.js';

describe('exec script output', () => {
  it('splits netns, tables and dials at their markers', () => {
    const out = parseScriptOutput(
      [
        '@netns',
        'net:[4026532890]',
        '@tool nc',
        '@dial 127.0.0.1 9500',
        'nc: connect to 127.0.0.1 port 9500 (tcp) failed: Connection refused',
        '@rc 1',
        '@dial 10.42.1.17 9500',
        'Connection to 10.42.1.17 9500 port [tcp/*] succeeded!',
        '@rc 0',
        '',
      ].join('\n'),
    );
    expect(out.netns).toBe('net:[4026532890]');
    expect(out.tool).toBe('nc');
    expect(out.dials).toEqual([
      { host: '127.0.0.1', port: '9500', output: 'nc: connect to 127.0.0.1 port 9500 (tcp) failed: Connection refused', rc: 1 },
      { host: '10.42.1.17', port: '9500', output: 'Connection to 10.42.1.17 9500 port [tcp/*] succeeded!', rc: 0 },
    ]);
  });

  it('reads a bash /dev/tcp dial and a container with no dial tool', () => {
    const bash = parseScriptOutput('@netns\nnet:[1]\n@tool bash\n@dial 10.42.1.17 9500\nbash: connect: Connection refused\nbash: line 1: /dev/tcp/10.42.1.17/9500: Connection refused\n@rc 1\n');
    expect(bash.tool).toBe('bash');
    expect(dialOutcome(bash.dials[0]!.output, bash.dials[0]!.rc)).toBe('refused');
    const none = parseScriptOutput('@netns\nnet:[1]\n@tool none\n@dial 127.0.0.1 9500\n@rc 127\n');
    expect(none.tool).toBe('none');
    expect(dialOutcome(none.dials[0]!.output, none.dials[0]!.rc)).toBe('no-tool');
  });

  it('reads the socket tables', () => {
    const out = parseScriptOutput('@netns\nnet:[1]\n@tcp\n  sl local\n   0: 0100007F:251C 00000000:0000 0A\n@tcp6\n');
    expect(out.tcp).toContain('0100007F:251C');
    expect(out.tcp6).toBeUndefined();
  });

  it('reports a readlink that printed something else', () => {
    expect(parseScriptOutput('@netns\nsh: 1: readlink: not found\n').netnsError).toBe('sh: 1: readlink: not found');
  });

  it('classifies nc outcomes (OpenBSD and busybox wording)', () => {
    expect(dialOutcome('Connection to 127.0.0.1 9500 port [tcp/*] succeeded!', 0)).toBe('connected');
    expect(dialOutcome('nc: connect to 127.0.0.1 port 9500 (tcp) failed: Connection refused', 1)).toBe('refused');
    expect(dialOutcome("nc: can't connect to remote host (127.0.0.1): Connection refused", 1)).toBe('refused');
    expect(dialOutcome('nc: connect to 10.0.0.9 port 9500 (tcp) timed out: Operation now in progress', 1)).toBe('timeout');
    expect(dialOutcome('sh: 1: nc: not found', 127)).toBe('no-tool');
    expect(dialOutcome('nc: getaddrinfo for host "x" port 9500: Name or service not known', 1, 'openbsd', 'x')).toBe('unresolved');
  });

  it('names the executable a runtime could not find', () => {
    expect(missingExecutable({ stdout: '', stderr: '', exitCode: 127, failure: 'exec: "sh": executable file not found in $PATH' })).toBe('sh');
    expect(
      missingExecutable({
        stdout: '',
        stderr: '',
        exitCode: 127,
        failure: 'OCI runtime exec failed: exec failed: unable to start container process: exec: "nc": executable file not found in $PATH: unknown',
      }),
    ).toBe('nc');
    expect(missingExecutable({ stdout: '', stderr: '', exitCode: 1 })).toBeUndefined();
  });
});
