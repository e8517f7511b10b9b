/**
 * The simulator's shell and programs against the real ones on this machine: dash as `sh`,
 * bash, and OpenBSD netcat, dialling a real listener. Same script, same arguments; stdout,
 * stderr and the exit code must be equal. 127.0.0.2 stands in for the pod IP (a server
 * bound to 127.0.0.1 refuses it, as it refuses the pod IP). Skipped, with a message, where
 * dash, bash or netcat-openbsd are missing — except under CI=true, where that fails.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialArgv } from '../../src/probes/dial.js';
import { DIAL_SCRIPT } from '../../src/probes/inside.js';
import { runCommand, type ExecContext } from '../../src/sim/shell/index.js';

const POD_IP_STAND_IN = '127.0.0.2';

function which(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

const dash = existsSync('/usr/bin/dash') ? '/usr/bin/dash' : which('dash');
const bash = which('bash');
const nc = which('nc');
const ncIsOpenBSD = nc !== undefined && /OpenBSD netcat/.test(spawnSync(nc, ['-h'], { encoding: 'utf8' }).stderr ?? '');
const ready = process.platform === 'linux' && dash !== undefined && bash !== undefined && ncIsOpenBSD;
if (!ready && process.env.CI !== 'true') {
  console.warn('sim-shell-real: needs dash, bash and netcat-openbsd (apt-get install netcat-openbsd); skipped');
}

describe('the real tools the comparison needs', () => {
  it('are installed under CI (.ci/run installs them): a skip would hide the comparison', () => {
    if (process.env.CI === 'true') expect({ dash, bash, nc, ncIsOpenBSD }).toEqual({ dash: expect.any(String), bash: expect.any(String), nc: expect.any(String), ncIsOpenBSD: true });
  });
});

let server: net.Server;
let port: number;
let closedPort: number;
let binWithoutNc: string;
let binBare: string;

beforeAll(async () => {
  if (!ready) return;
  server = net.createServer((s) => s.destroy());
  await new Promise<void>((done) => server.listen({ host: '127.0.0.1', port: 0 }, done));
  port = (server.address() as net.AddressInfo).port;
  const probe = net.createServer();
  await new Promise<void>((done) => probe.listen({ host: '127.0.0.1', port: 0 }, done));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise((done) => probe.close(done));
  // PATHs with the coreutils the scripts use (and bash), but no nc; and without bash either.
  binWithoutNc = mkdtempSync(join(tmpdir(), 'podnet-sim-bin-'));
  binBare = mkdtempSync(join(tmpdir(), 'podnet-sim-bin-'));
  for (const tool of ['cat', 'readlink', 'bash', 'timeout']) {
    const path = which(tool);
    if (path) symlinkSync(path, join(binWithoutNc, tool));
    if (path && tool !== 'bash') symlinkSync(path, join(binBare, tool));
  }
});

afterAll(async () => {
  if (!ready) return;
  await new Promise((done) => server.close(done));
  rmSync(binWithoutNc, { recursive: true, force: true });
  rmSync(binBare, { recursive: true, force: true });
});

function model(argv: string[], tools: string[]): { stdout: string; stderr: string; exitCode: number } {
  const ctx: ExecContext = {
    namespace: 'ns',
    pod: 'pod',
    container: 'c',
    podIP: POD_IP_STAND_IN,
    tools,
    netnsInode: Number(/\d+/.exec(readlinkSync('/proc/self/ns/net'))?.[0]),
    listeners: [{ proto: 'tcp', address: '127.0.0.1', port, container: 'server', inode: 1 }],
    overrides: [],
  };
  const { stdout, stderr, exitCode } = runCommand(ctx, argv);
  return { stdout, stderr, exitCode };
}

type Image = 'all' | 'no-nc' | 'bare';
const TOOLS: Record<Image, string[]> = {
  all: ['sh', 'bash', 'cat', 'readlink', 'nc', 'timeout'],
  'no-nc': ['sh', 'bash', 'cat', 'readlink', 'timeout'],
  bare: ['sh', 'cat', 'readlink', 'timeout'],
};

/** Runs argv for real; argv[0] `sh` is dash invoked as `sh`. */
function real(argv: string[], image: Image): { stdout: string; stderr: string; exitCode: number } {
  const [name = '', ...args] = argv;
  const file = name === 'sh' ? (dash as string) : name === 'bash' ? (bash as string) : name;
  const path = image === 'all' ? (process.env.PATH ?? '') : image === 'no-nc' ? binWithoutNc : binBare;
  // HOME without a ~/.bashrc: bash reads it even non-interactively when stdin is a socket
  // (node's pipes are socketpairs), and a developer's bashrc (pyenv init…) would run here.
  const env = { ...process.env, PATH: path, LC_ALL: 'C', HOME: binBare };
  const result = spawnSync(file, args, { argv0: name, encoding: 'utf8', env, timeout: 10_000 });
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.status ?? -1 };
}

(ready ? describe : describe.skip)('simulated shell = real dash/bash/nc', () => {
  const cases: { name: string; argv: () => string[]; image?: Image }[] = [
    { name: 'probe DIAL_SCRIPT, listener', argv: () => ['sh', '-c', DIAL_SCRIPT, 'sh', '127.0.0.1', String(port)] },
    { name: 'probe DIAL_SCRIPT, nothing listening', argv: () => ['sh', '-c', DIAL_SCRIPT, 'sh', '127.0.0.1', String(closedPort)] },
    {
      name: 'probe DIAL_SCRIPT with the pod IP: loopback connects, pod IP refused',
      argv: () => ['sh', '-c', DIAL_SCRIPT, 'sh', '127.0.0.1', String(port), POD_IP_STAND_IN],
    },
    {
      name: 'probe DIAL_SCRIPT without nc (bash /dev/tcp)',
      argv: () => ['sh', '-c', DIAL_SCRIPT, 'sh', '127.0.0.1', String(port), POD_IP_STAND_IN],
      image: 'no-nc',
    },
    { name: 'probe DIAL_SCRIPT without nc or bash', argv: () => ['sh', '-c', DIAL_SCRIPT, 'sh', '127.0.0.1', String(port)], image: 'bare' },
    { name: 'nc -z -v, listener', argv: () => ['nc', '-z', '-v', '-w', '2', '127.0.0.1', String(port)] },
    { name: 'nc -vz, pod IP refused', argv: () => ['nc', '-vz', POD_IP_STAND_IN, String(port)] },
    { name: 'nc bad port', argv: () => ['nc', '-z', '127.0.0.1', 'grpc'] },
    { name: 'bash /dev/tcp open', argv: () => ['bash', '-c', 'exec 3<>/dev/tcp/$1/$2 && echo open; echo rc=$?', 'probe', '127.0.0.1', String(port)] },
    { name: 'bash /dev/tcp refused', argv: () => ['bash', '-c', 'exec 3<>/dev/tcp/$1/$2 && echo open; echo rc=$?', 'probe', POD_IP_STAND_IN, String(port)] },
    { name: 'bash /dev/tcp refused, line 2, no $0', argv: () => ['bash', '-c', `true\n</dev/tcp/127.0.0.1/${closedPort}`] },
    { name: 'dash has no /dev/tcp', argv: () => ['sh', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}; echo after`] },
    { name: 'dash < /dev/tcp', argv: () => ['sh', '-c', `cat </dev/tcp/127.0.0.1/${port}; echo rc=$?`] },
    { name: 'dash: nc not found', argv: () => ['sh', '-c', 'true\nnc -z 127.0.0.1 1'], image: 'no-nc' },
    { name: 'bash: nc not found', argv: () => ['bash', '-c', 'nc -z 127.0.0.1 1', 'probe'], image: 'no-nc' },
    { name: 'dash command -v', argv: () => ['sh', '-c', 'command -v nc >/dev/null; echo $?; command -v echo'], image: 'no-nc' },
    { name: 'bash command -v', argv: () => ['bash', '-c', 'command -v nc; echo $?'], image: 'no-nc' },
    { name: 'quoting and "$@"', argv: () => ['sh', '-c', `for a in "$@"; do echo "[$a]"; done; echo '$1' "\\$2" $#`, 'x', 'a b', '', 'c'] },
    { name: 'cat missing file, 2>&1', argv: () => ['sh', '-c', 'cat /nope 2>&1; echo rc=$?'] },
    { name: 'set -e', argv: () => ['sh', '-c', 'set -e; false || echo ok; if false; then :; fi; false; echo never'] },
    { name: 'syntax error', argv: () => ['sh', '-c', 'if true; then echo x'] },
    { name: 'readlink netns', argv: () => ['readlink', '/proc/self/ns/net'] },
    { name: 'probe DIAL_SCRIPT, unknown name', argv: () => dialArgv('nosuch-svc.invalid', port) },
    { name: 'probe DIAL_SCRIPT without nc, unknown name', argv: () => dialArgv('nosuch-svc.invalid', port), image: 'no-nc' },
    { name: 'command substitution and case', argv: () => ['sh', '-c', 'case "$(nc -h 2>&1 </dev/null)" in *"OpenBSD netcat"*) echo openbsd ;; *) echo other ;; esac; X=$(echo "$1"); echo "[$X] $?"', 'sh', '$(id)'] },
    { name: 'bash: case with | and (', argv: () => ['bash', '-c', 'case "$1:$2" in a:*|b:*:*) echo first ;; (*) echo second ;; esac', 'bash', 'b', '::1'] },
    { name: 'timeout runs nc', argv: () => ['timeout', '5', 'nc', '-v', '-z', '-w', '2', '127.0.0.1', String(closedPort)] },
  ];

  it.each(cases)('$name', ({ argv, image = 'all' }) => {
    const command = argv();
    expect(model(command, TOOLS[image])).toEqual(real(command, image));
  });
});
