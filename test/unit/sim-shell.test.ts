import { describe, expect, it } from '@jest/globals';
import { runCommand, type ExecContext } from '../../src/sim/shell/index.js';

const POD_IP = '10.42.0.15';

function context(extra: Partial<ExecContext> = {}): ExecContext {
  return {
    namespace: 'financial-ml',
    pod: 'mlserver-0',
    container: 'agent',
    podIP: POD_IP,
    tools: ['sh', 'bash', 'cat', 'readlink', 'nc', 'echo', 'true', 'false', 'timeout', 'sleep'],
    netnsInode: 4026532201,
    listeners: [
      { proto: 'tcp', address: '127.0.0.1', port: 9500, container: 'mlserver', inode: 1001 },
      { proto: 'tcp6', address: '::', port: 9000, container: 'mlserver', inode: 1002 },
    ],
    overrides: [],
    ...extra,
  };
}

const run = (argv: string[], extra: Partial<ExecContext> = {}) => runCommand(context(extra), argv);

describe('runtime', () => {
  it('fails to start a program that is not in the image, as runc does', () => {
    const outcome = run(['nc', '-z', '127.0.0.1', '9500'], { tools: ['sh', 'cat'] });
    expect(outcome.failure).toMatch(
      /^failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "nc": executable file not found in \$PATH: unknown$/,
    );
    expect(outcome.stdout).toBe('');
  });

  it('looks up an absolute path by its basename, with stat wording when missing', () => {
    expect(run(['/bin/cat', '/etc/hostname']).stdout).toBe('mlserver-0\n');
    expect(run(['/bin/bash', '-c', 'true'], { tools: ['sh'] }).failure).toContain(
      'exec: "/bin/bash": stat /bin/bash: no such file or directory: unknown',
    );
  });

  it('an override matching the argv exactly wins, even over a missing tool', () => {
    const overrides = [{ argv: ['ss', '-ltn'], stdout: 'State Recv-Q\n', exitCode: 0 }];
    expect(run(['ss', '-ltn'], { overrides, tools: [] })).toEqual({ stdout: 'State Recv-Q\n', stderr: '', exitCode: 0 });
    expect(run(['ss', '-ltnp'], { overrides, tools: [] }).failure).toContain('exec: "ss"');
  });

  it('a program present but not modelled says so', () => {
    const outcome = run(['ss', '-ltn'], { tools: ['ss'] });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).toContain('unsupported by podnet simulator');
  });
});

describe('programs', () => {
  it('cat /proc/net/tcp and tcp6 from the listeners', () => {
    const tcp = run(['cat', '/proc/net/tcp']);
    expect(tcp.exitCode).toBe(0);
    expect(tcp.stdout).toContain('   0: 0100007F:251C 00000000:0000 0A ');
    const tcp6 = run(['cat', '/proc/net/tcp6']);
    expect(tcp6.stdout).toContain('   0: 00000000000000000000000000000000:2328 ');
    expect(run(['cat', '/proc/self/net/tcp']).stdout).toBe(tcp.stdout);
  });

  it('cat of a missing file', () => {
    const outcome = run(['cat', '/proc/net/tcp', '/nope']);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.stderr).toBe('cat: /nope: No such file or directory\n');
    expect(outcome.stdout).toContain('local_address');
  });

  it('cat /etc/hosts is kubelet\'s file', () => {
    const hosts = run(['cat', '/etc/hosts']).stdout;
    expect(hosts).toContain('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
    expect(hosts).toContain(`${POD_IP}\tmlserver-0\n`);
  });

  it('readlink /proc/self/ns/net', () => {
    expect(run(['readlink', '/proc/self/ns/net'])).toEqual({ stdout: 'net:[4026532201]\n', stderr: '', exitCode: 0 });
    expect(run(['readlink', '/etc/hosts']).exitCode).toBe(1);
  });

  it('nc -z: connected and refused, with OpenBSD netcat wording', () => {
    expect(run(['nc', '-z', '-w', '2', '127.0.0.1', '9500'])).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(run(['nc', '-zv', '127.0.0.1', '9500']).stderr).toBe('Connection to 127.0.0.1 9500 port [tcp/*] succeeded!\n');
    expect(run(['nc', '-z', '-v', '-w', '2', POD_IP, '9500'])).toEqual({
      stdout: '',
      stderr: `nc: connect to ${POD_IP} port 9500 (tcp) failed: Connection refused\n`,
      exitCode: 1,
    });
    expect(run(['nc', '-z', POD_IP, '9500'])).toEqual({ stdout: '', stderr: '', exitCode: 1 });
    expect(run(['nc', '-z', '-v', POD_IP, '9000']).exitCode).toBe(0); // :: accepts IPv4
  });

  it('nc to localhost tries ::1 then 127.0.0.1', () => {
    const outcome = run(['nc', '-z', '-v', 'localhost', '9500']);
    expect(outcome.stderr).toBe(
      'nc: connect to localhost (::1) port 9500 (tcp) failed: Connection refused\n' +
        'Connection to localhost (127.0.0.1) 9500 port [tcp/*] succeeded!\n',
    );
    expect(outcome.exitCode).toBe(0);
    expect(run(['nc', '-z', '-v', '-4', 'localhost', '9500']).stderr).toBe(
      'Connection to localhost (127.0.0.1) 9500 port [tcp/*] succeeded!\n',
    );
  });

  it('nc argument errors', () => {
    expect(run(['nc', '-z', '127.0.0.1', 'http']).stderr).toBe('nc: port number invalid: http\n');
    expect(run(['nc', '-z']).stderr).toMatch(/^usage: nc /);
    expect(run(['nc', '-z', '-v', 'mlserver.svc', '9500']).stderr).toBe(
      'nc: getaddrinfo for host "mlserver.svc" port 9500: Name or service not known\n',
    );
  });

  it('timeout runs a program, not a builtin', () => {
    expect(run(['timeout', '2', 'nc', '-z', '127.0.0.1', '9500']).exitCode).toBe(0);
    expect(run(['timeout', '2', 'curl', 'x'])).toEqual({
      stdout: '',
      stderr: "timeout: failed to run command 'curl': No such file or directory\n",
      exitCode: 127,
    });
  });
});

describe('timeouts in simulated time (captured on Debian bookworm; see src/sim/dial-words.ts)', () => {
  const dropped = { network: { route: () => 'timeout' as const } };
  it('nc -w gives up after its timeout with its own words; without -w the kernel\'s ETIMEDOUT', () => {
    expect(run(['nc', '-v', '-z', '-w', '2', '10.42.0.98', '8080'], dropped)).toEqual({
      stdout: '', stderr: 'nc: connect to 10.42.0.98 port 8080 (tcp) timed out: Operation now in progress\n', exitCode: 1,
    });
    expect(run(['nc', '-v', '-z', '10.9.0.99', '8080'], dropped)).toEqual({
      stdout: '', stderr: 'nc: connect to 10.9.0.99 port 8080 (tcp) failed: Connection timed out\n', exitCode: 1,
    });
    expect(run(['nc', '-z', '-w', '1', '10.9.0.99', '8080'], dropped)).toEqual({ stdout: '', stderr: '', exitCode: 1 });
    expect(run(['nc', '-z', '-w', 'x', '10.9.0.99', '8080'], dropped).stderr).toBe('nc: timeout invalid: x\n');
  });

  it('with no network at all, an address outside the pod times out', () => {
    expect(run(['nc', '-v', '-z', '-w', '2', '10.42.0.98', '8080']).stderr).toMatch(/timed out: Operation now in progress/);
  });

  it('timeout kills a wait longer than its deadline: 124, or 137 with -s KILL; what came before stays', () => {
    expect(run(['timeout', '1', 'bash', '-c', 'exec 3<>/dev/tcp/10.9.0.99/8080'], dropped)).toEqual({ stdout: '', stderr: '', exitCode: 124 });
    expect(run(['timeout', '-s', 'KILL', '1', 'bash', '-c', 'exec 3<>/dev/tcp/10.9.0.99/8080'], dropped).exitCode).toBe(137);
    expect(run(['timeout', '5', 'nc', '-v', '-z', '-w', '1', '10.9.0.99', '8080'], dropped)).toEqual({
      stdout: '', stderr: 'nc: connect to 10.9.0.99 port 8080 (tcp) timed out: Operation now in progress\n', exitCode: 1,
    });
    expect(run(['timeout', '1', 'nc', '-v', '-z', '10.9.0.99', '8080'], dropped).exitCode).toBe(124);
    expect(run(['timeout', '1', 'sleep', '3'])).toEqual({ stdout: '', stderr: '', exitCode: 124 });
    expect(run(['timeout', '3', 'sleep', '1']).exitCode).toBe(0);
    expect(run(['sh', '-c', 'echo before; timeout 1 bash -c "exec 3<>/dev/tcp/10.9.0.99/8080"; echo rc=$?'], dropped).stdout).toBe('before\nrc=124\n');
    expect(run(['timeout', 'soon', 'true']).exitCode).toBe(125);
  });

  it('bash /dev/tcp without a bound waits for the kernel and says so', () => {
    expect(run(['bash', '-c', 'exec 3<>/dev/tcp/10.9.0.99/8080'], dropped)).toEqual({
      stdout: '', stderr: 'bash: connect: Connection timed out\nbash: line 1: /dev/tcp/10.9.0.99/8080: Connection timed out\n', exitCode: 1,
    });
  });
});

describe('sh -c', () => {
  const sh = (script: string, ...args: string[]) => run(['sh', '-c', script, ...args]);
  const bash = (script: string, ...args: string[]) => run(['bash', '-c', script, ...args]);

  it('sequences, && and ||, $?', () => {
    expect(sh('echo a; false; echo $?').stdout).toBe('a\n1\n');
    expect(sh('true && echo yes || echo no').stdout).toBe('yes\n');
    expect(sh('false && echo yes || echo no').stdout).toBe('no\n');
    expect(sh('echo one\necho two').stdout).toBe('one\ntwo\n');
    expect(sh('false').exitCode).toBe(1);
    expect(sh('! false').exitCode).toBe(0);
  });

  it('positional parameters are data, never code', () => {
    expect(sh('echo "$1" $2', 'probe', '127.0.0.1; rm -rf /', '9500').stdout).toBe('127.0.0.1; rm -rf / 9500\n');
    expect(sh('for a in "$@"; do echo "[$a]"; done', 'probe', 'a b', 'c').stdout).toBe('[a b]\n[c]\n');
    expect(sh('for a in $@; do echo "[$a]"; done', 'probe', 'a b', 'c').stdout).toBe('[a]\n[b]\n[c]\n');
    expect(sh('echo $0 $#', 'probe', 'x').stdout).toBe('probe 1\n');
    expect(sh('echo "$(id)"')).toMatchObject({ stdout: '\n', stderr: 'sh: 1: id: not found\n' });
    expect(sh('X=$(echo "$1"); echo "[$X]"', 'probe', '$(id); `id`').stdout).toBe('[$(id); `id`]\n');
  });

  it('command substitution and case', () => {
    expect(sh('X="$(echo a; echo b)"; echo "$X"').stdout).toBe('a\nb\n');
    expect(sh('case "$(nc -h 2>&1)" in *BusyBox*) echo bb ;; *"OpenBSD netcat"*) echo openbsd ;; *) echo other ;; esac', 'sh').stdout).toBe('openbsd\n');
    expect(sh('case "$1:$2" in a:*|b:*:*) echo first ;; (*) echo second ;; esac', 'sh', 'b', '::1').stdout).toBe('first\n');
    expect(sh('case x in y) echo no ;; esac; echo "rc=$?"').stdout).toBe('rc=0\n');
    expect(sh('case "[v1.10" in *"[v1."*) echo traditional ;; esac').stdout).toBe('traditional\n');
    expect(sh('case x in x) echo "$(false)"; echo "rc=$?" ;; esac').stdout).toBe('\nrc=0\n');
  });

  it('quoting', () => {
    expect(sh(`echo 'a  b' "c  d" e\\ f`).stdout).toBe('a  b c  d e f\n');
    expect(sh('echo "\\$1 is $1"', 'p', 'x').stdout).toBe('$1 is x\n');
    expect(sh('X=hello; echo "$X world"').stdout).toBe('hello world\n');
  });

  it('redirections', () => {
    expect(sh('cat /nope 2>/dev/null; echo rc=$?')).toEqual({ stdout: 'rc=1\n', stderr: '', exitCode: 0 });
    expect(sh('cat /nope 2>&1')).toEqual({ stdout: 'cat: /nope: No such file or directory\n', stderr: '', exitCode: 1 });
    expect(sh('echo hi >/dev/null')).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(sh('echo warn 1>&2')).toEqual({ stdout: '', stderr: 'warn\n', exitCode: 0 });
    expect(sh('echo x >/tmp/out').stderr).toBe('sh: unsupported by podnet simulator: writing to /tmp/out\n');
    expect(sh('exec 2>/dev/null; cat /nope; echo done')).toEqual({ stdout: 'done\n', stderr: '', exitCode: 0 });
  });

  it('command -v', () => {
    expect(sh('command -v nc')).toEqual({ stdout: '/usr/bin/nc\n', stderr: '', exitCode: 0 });
    expect(sh('command -v echo').stdout).toBe('echo\n');
    expect(sh('command -v curl')).toEqual({ stdout: '', stderr: '', exitCode: 127 });
    expect(bash('command -v curl')).toEqual({ stdout: '', stderr: '', exitCode: 1 });
  });

  it('if / elif / else and for', () => {
    const script =
      'if command -v nc >/dev/null 2>&1; then nc -z -w 2 "$1" "$2" && echo open || echo closed\n' +
      'elif command -v bash >/dev/null; then echo bash\nelse echo none; fi';
    expect(sh(script, 'probe', '127.0.0.1', '9500').stdout).toBe('open\n');
    expect(sh(script, 'probe', POD_IP, '9500').stdout).toBe('closed\n');
    expect(run(['sh', '-c', script, 'probe', '127.0.0.1', '9500'], { tools: ['sh'] }).stdout).toBe('none\n');
    expect(sh('for p in 9500 9000 8080; do nc -z 127.0.0.1 $p; echo "$p=$?"; done').stdout).toBe('9500=0\n9000=0\n8080=1\n');
  });

  it('a missing program in a script: dash and bash wording, exit 127', () => {
    const tools = ['sh', 'bash'];
    expect(run(['sh', '-c', 'nc -z 127.0.0.1 9500'], { tools })).toEqual({ stdout: '', stderr: 'sh: 1: nc: not found\n', exitCode: 127 });
    expect(run(['sh', '-c', 'true\nnc -z 127.0.0.1 9500', 'probe'], { tools }).stderr).toBe('probe: 2: nc: not found\n');
    expect(run(['bash', '-c', 'nc -z 127.0.0.1 9500'], { tools })).toEqual({
      stdout: '',
      stderr: 'bash: line 1: nc: command not found\n',
      exitCode: 127,
    });
  });

  it('exit and set -e', () => {
    expect(sh('exit 3; echo no')).toEqual({ stdout: '', stderr: '', exitCode: 3 });
    expect(sh('set -e; false; echo no').exitCode).toBe(1);
    expect(sh('set -e; false || echo recovered').stdout).toBe('recovered\n');
    expect(sh('set -e; if false; then :; fi; echo yes').stdout).toBe('yes\n');
    expect(sh('(exit 4); echo $?').stdout).toBe('4\n');
    expect(run(['sh', '-ec', 'false; echo no']).exitCode).toBe(1);
  });

  it('bash /dev/tcp dials; dash has no /dev/tcp', () => {
    expect(bash('exec 3<>/dev/tcp/127.0.0.1/9500 && echo open')).toEqual({ stdout: 'open\n', stderr: '', exitCode: 0 });
    expect(bash('exec 3<>/dev/tcp/$1/$2', 'probe', POD_IP, '9500')).toEqual({
      stdout: '',
      stderr: `probe: connect: Connection refused\nprobe: line 1: /dev/tcp/${POD_IP}/9500: Connection refused\n`,
      exitCode: 1,
    });
    expect(bash('</dev/tcp/localhost/9500; echo rc=$?').stdout).toBe('rc=0\n');
    expect(bash('true\n</dev/tcp/127.0.0.1/1; echo rc=$?')).toEqual({
      stdout: 'rc=1\n',
      stderr: 'bash: connect: Connection refused\nbash: line 2: /dev/tcp/127.0.0.1/1: Connection refused\n',
      exitCode: 0,
    });
    expect(sh('exec 3<>/dev/tcp/127.0.0.1/9500; echo after')).toEqual({
      stdout: '',
      stderr: 'sh: 1: cannot create /dev/tcp/127.0.0.1/9500: Directory nonexistent\n',
      exitCode: 2,
    });
    expect(sh('cat </dev/tcp/127.0.0.1/9500; echo rc=$?')).toEqual({
      stdout: 'rc=2\n',
      stderr: 'sh: 1: cannot open /dev/tcp/127.0.0.1/9500: No such file\n',
      exitCode: 0,
    });
  });

  it('unsupported syntax stops cleanly with exit 2', () => {
    for (const script of ['cat /proc/net/tcp | grep 251C', 'sleep 1 &', 'while true; do :; done', 'f() { :; }', 'echo $((1 + 1))']) {
      const outcome = sh(script);
      expect(outcome.exitCode).toBe(2);
      expect(outcome.stderr).toMatch(/^sh: unsupported by podnet simulator: /);
    }
  });

  it('syntax errors are reported, never thrown', () => {
    expect(sh('if true; then echo x').stderr).toBe('sh: 1: Syntax error: end of file unexpected (expecting "fi")\n');
    expect(sh("echo 'open").exitCode).toBe(2);
    expect(sh('echo ;; echo').exitCode).toBe(2);
    expect(run(['sh', '-c']).stderr).toBe('sh: 0: -c requires an argument\n');
  });

  it('overrides apply to the commands a script runs', () => {
    const overrides = [{ argv: ['cat', '/etc/resolv.conf'], stdout: 'nameserver 10.43.0.10\n' }];
    expect(run(['sh', '-c', 'cat /etc/resolv.conf'], { overrides }).stdout).toBe('nameserver 10.43.0.10\n');
  });

  it('a probe-like script gathering everything in one exec', () => {
    const script = [
      'readlink /proc/self/ns/net',
      'cat /proc/net/tcp /proc/net/tcp6 2>/dev/null',
      'if command -v nc >/dev/null 2>&1; then',
      '  nc -z -v -w 2 "$1" "$2" 2>&1; echo "dial=$?"',
      'else',
      '  echo "dial=unavailable"',
      'fi',
    ].join('\n');
    const outcome = sh(script, 'podnet', '127.0.0.1', '9500');
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stdout.split('\n')[0]).toBe('net:[4026532201]');
    expect(outcome.stdout).toContain('0100007F:251C');
    expect(outcome.stdout).toContain('Connection to 127.0.0.1 9500 port [tcp/*] succeeded!\ndial=0\n');
  });
});
