import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, parseScenario, formatPath } from '../../src/sim/scenario.js';
import { PodnetError } from '../../src/errors.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from '../../src/sim/selectors.js';
import { humanDuration } from '../../src/sim/table.js';

const BASE = `apiVersion: podnet.dev/v1alpha1
kind: Scenario
metadata: {name: t}
now: "2025-07-06T15:20:00Z"
cluster: {version: v1.32.5+k3s1}
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: p, namespace: ns}
    spec:
      containers: [{name: a, image: x}, {name: b, image: y}]
`;

function errorOf(text: string, file = 'bad.yaml'): PodnetError {
  try {
    parseScenario(text, file);
  } catch (err) {
    if (err instanceof PodnetError) return err;
    throw err;
  }
  throw new Error('expected parseScenario to throw');
}

describe('parseScenario', () => {
  it('accepts a minimal file and applies defaults', () => {
    const s = parseScenario(`${BASE}pods:\n  ns/p:\n    containers:\n      a: {}\n`, 'ok.yaml');
    expect(s.pods['ns/p']?.netns).toBe('shared');
    expect(s.pods['ns/p']?.containers.a?.listen).toEqual([]);
    expect(s.faults).toEqual([]);
  });

  it('ships a valid seed incident', () => {
    const s = loadScenario('scenarios/seed-incident.yaml');
    expect(s.cluster.version).toBe('v1.32.5+k3s1');
    expect(s.objects.filter((o) => o.kind === 'Node')).toHaveLength(5);
    // merge keys resolve: every node keeps the shared labels and its own hostname
    const n2 = s.objects.find((o) => o.metadata.name === 'fml-k3s-02');
    expect(n2?.metadata.labels?.['kubernetes.io/hostname']).toBe('fml-k3s-02');
    expect(n2?.metadata.labels?.['node-role.kubernetes.io/control-plane']).toBe('true');
    expect(s.pods['financial-ml/mlserver-0']?.containers.mlserver?.listen.map((l) => l.address)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });

  it('names file, path and problem for a wrong type, in one paragraph', () => {
    const err = errorOf(BASE.replace('metadata: {name: p, namespace: ns}', 'metadata: {name: 7, namespace: ns}'), 'scenarios/x.yaml');
    expect(err.code).toBe('bad-input');
    expect(err.message).toBe('Scenario file scenarios/x.yaml: objects[0].metadata.name: expected a string, got the number 7.');
    expect(err.message).not.toContain('\n');
  });

  it('reports a missing field as required', () => {
    const err = errorOf(BASE.replace('cluster: {version: v1.32.5+k3s1}\n', ''));
    expect(err.message).toBe('Scenario file bad.yaml: cluster: is required (expected a mapping).');
  });

  it('rejects unknown fields (typos) with the field name', () => {
    const err = errorOf(`${BASE}pods:\n  ns/p:\n    containers:\n      a: {tool: [nc]}\n`);
    expect(err.message).toContain('pods["ns/p"].containers.a: unknown field "tool"');
  });

  it('checks listen proto and port range', () => {
    let err = errorOf(`${BASE}pods:\n  ns/p:\n    containers:\n      a:\n        listen: [{proto: udp, address: 0.0.0.0, port: 53}]\n`);
    expect(err.message).toContain('pods["ns/p"].containers.a.listen[0].proto: expected one of "tcp", "tcp6", got the string "udp"');
    err = errorOf(`${BASE}pods:\n  ns/p:\n    containers:\n      a:\n        listen: [{proto: tcp, address: 0.0.0.0, port: 70000}]\n`);
    expect(err.message).toContain('listen[0].port: must be at most 65535, got the number 70000');
    err = errorOf(`${BASE}pods:\n  ns/p:\n    containers:\n      a:\n        listen: [{proto: tcp, address: 0.0.0.0, port: 0}]\n`);
    expect(err.message).toContain('listen[0].port: must be at least 1');
  });

  it('checks that pods keys name a Pod in objects and containers exist', () => {
    let err = errorOf(`${BASE}pods:\n  ns/q:\n    containers: {}\n`);
    expect(err.message).toBe('Scenario file bad.yaml: pods["ns/q"]: no Pod ns/q in objects (Pods in the file: ns/p).');
    err = errorOf(`${BASE}pods:\n  ns/p:\n    containers:\n      c: {}\n`);
    expect(err.message).toContain('pods["ns/p"].containers.c: Pod ns/p has no container "c"');
    err = errorOf(`${BASE}pods:\n  p:\n    containers: {}\n`);
    expect(err.message).toContain('the key must be NAMESPACE/POD');
  });

  describe('refuses binds a Linux kernel refuses', () => {
    const WITH_IP = BASE.replace('      containers: [{name: a, image: x}, {name: b, image: y}]\n', '      containers: [{name: a, image: x}, {name: b, image: y}]\n    status: {podIP: 10.42.0.5, podIPs: [{ip: 10.42.0.5}, {ip: "fd00::5"}]}\n');
    const withListen = (a: string, b = '[]', netns = 'shared') => `${WITH_IP}pods:\n  ns/p:\n    netns: ${netns}\n    containers:\n      a: {listen: ${a}}\n      b: {listen: ${b}}\n`;

    it('0.0.0.0:P and [::]:P without v6only in one namespace: EADDRINUSE, with the fix', () => {
      const err = errorOf(withListen('[{proto: tcp, address: 0.0.0.0, port: 6379}]', '[{proto: tcp6, address: "::", port: 6379}]'));
      expect(err.message).toBe(
        'Scenario file bad.yaml: pods["ns/p"].containers.b.listen[0]: tcp6 [::]:6379 cannot be bound next to tcp 0.0.0.0:6379 (pods["ns/p"].containers.a.listen[0]) ' +
          'in the same network namespace: a [::] socket without IPV6_V6ONLY also takes IPv4 (ipv6(7); net.ipv6.bindv6only defaults to 0), so the kernel refuses the second bind with EADDRINUSE. ' +
          'Set v6only: true on the [::] socket (as Redis, PostgreSQL and Python asyncio servers do), or keep one of the two.',
      );
      expect(err.detail).toEqual({ file: 'bad.yaml', path: 'pods["ns/p"].containers.b.listen[0]' });
    });

    it('accepts what the kernel accepts', () => {
      const ok = [
        '[{proto: tcp, address: 0.0.0.0, port: 6379}, {proto: tcp6, address: "::", port: 6379, v6only: true}]',
        '[{proto: tcp, address: 127.0.0.1, port: 80}, {proto: tcp, address: 10.42.0.5, port: 80}, {proto: tcp6, address: "::1", port: 80}]',
        '[{proto: tcp6, address: "fd00::5", port: 81}, {proto: tcp, address: 0.0.0.0, port: 81}]',
        '[{proto: tcp, address: 127.0.0.2, port: 82}, {proto: tcp6, address: "::ffff:10.42.0.5", port: 83}]',
      ];
      for (const l of ok) expect(() => parseScenario(withListen(l), 'ok.yaml')).not.toThrow();
      // Separate namespaces do not share ports.
      expect(() => parseScenario(withListen('[{proto: tcp, address: 0.0.0.0, port: 80}]', '[{proto: tcp, address: 0.0.0.0, port: 80}]', 'per-container'), 'ok.yaml')).not.toThrow();
    });

    it('the same address and port twice, or a wildcard over a specific address', () => {
      expect(errorOf(withListen('[{proto: tcp, address: 127.0.0.1, port: 80}]', '[{proto: tcp, address: 127.0.0.1, port: 80}]')).message).toMatch(
        /^Scenario file bad\.yaml: pods\["ns\/p"\]\.containers\.b\.listen\[0\]: tcp 127\.0\.0\.1:80 cannot be bound next to tcp 127\.0\.0\.1:80 .*EADDRINUSE/,
      );
      expect(errorOf(withListen('[{proto: tcp, address: 0.0.0.0, port: 80}, {proto: tcp, address: 10.42.0.5, port: 80}]')).message).toMatch(/containers\.a\.listen\[1\]: tcp 10\.42\.0\.5:80 cannot be bound next to tcp 0\.0\.0\.0:80/);
      expect(errorOf(withListen('[{proto: tcp6, address: "::", port: 80, v6only: true}, {proto: tcp6, address: "::1", port: 80}]')).message).toMatch(/listen\[1\]: tcp6 \[::1\]:80 cannot be bound/);
      expect(errorOf(withListen('[{proto: tcp6, address: "::", port: 80}, {proto: tcp, address: 127.0.0.1, port: 80}]')).message).toMatch(/listen\[1\].*Set v6only: true/);
    });

    it('an address the pod does not have, or of the wrong family', () => {
      expect(errorOf(withListen('[{proto: tcp, address: 10.42.0.99, port: 80}]')).message).toBe(
        'Scenario file bad.yaml: pods["ns/p"].containers.a.listen[0]: tcp 10.42.0.99:80 cannot be bound: no interface in the pod\'s network namespace has 10.42.0.99 ' +
          '(it has loopback and 10.42.0.5, fd00::5): bind fails with EADDRNOTAVAIL, "Cannot assign requested address".',
      );
      expect(errorOf(withListen('[{proto: tcp, address: "::", port: 80}]')).message).toMatch(/is not an IPv4 address: a tcp socket is AF_INET \(use proto tcp6/);
      expect(errorOf(withListen('[{proto: tcp6, address: 0.0.0.0, port: 80}]')).message).toMatch(/is not an IPv6 address/);
    });
  });

  it('gives line and column for YAML syntax errors', () => {
    const err = errorOf('apiVersion: podnet.dev/v1alpha1\nkind: [Scenario\nnow: x\n');
    expect(err.message).toMatch(/^Scenario file bad\.yaml: not valid YAML at line \d+, column \d+: /);
  });

  it('rejects a bad now, a bad apiVersion and a fault without effect', () => {
    expect(errorOf(BASE.replace('"2025-07-06T15:20:00Z"', 'yesterday')).message).toContain('now: expected an RFC 3339 time');
    expect(errorOf(BASE.replace('podnet.dev/v1alpha1', 'podnet.dev/v2')).message).toContain('apiVersion: expected "podnet.dev/v1alpha1", got the string "podnet.dev/v2"');
    expect(errorOf(`${BASE}faults:\n  - {path: /api}\n`).message).toContain('faults[0]: needs a status or a delayMs');
    expect(errorOf(`${BASE}faults:\n  - {path: "/api/(", status: 500}\n`).message).toContain('faults[0].path: not a valid regular expression');
  });

  it('accepts a timeline and names what is wrong in a bad entry', () => {
    expect(parseScenario(`${BASE}timeline: [{at: 30s, pod: ns/p, log: {container: a, lines: [hello]}}]\n`, 'x').timeline).toHaveLength(1);
    expect(errorOf(`${BASE}timeline: [{at: 30s, anything: 1}]\n`).message).toContain('timeline[0].pod');
    expect(errorOf(`${BASE}timeline: [{at: 30s, pod: ns/q, log: {container: a, lines: [x]}}]\n`).message).toContain('timeline[0].pod: no Pod ns/q in objects');
  });

  it('names the file when it cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-scn-'));
    expect(() => loadScenario(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read it \(no such file\)/);
    writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
    expect(() => loadScenario(join(dir, 'list.yaml'))).toThrow(/expected a mapping .* got a list/);
  });

  it('formats paths', () => {
    expect(formatPath(['objects', 3, 'metadata', 'name'])).toBe('objects[3].metadata.name');
    expect(formatPath(['pods', 'ns/p', 'containers'])).toBe('pods["ns/p"].containers');
  });
});

describe('selectors', () => {
  const obj = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({ metadata: { name: 'n', namespace: 'ns', labels }, ...extra });
  it('label selectors', () => {
    const o = obj({ app: 'mlserver', tier: 'ml' });
    const t = (s: string) => parseLabelSelector(s)(o);
    expect(t('app=mlserver')).toBe(true);
    expect(t('app==mlserver,tier=ml')).toBe(true);
    expect(t('app!=mlserver')).toBe(false);
    expect(t('app in (a, mlserver)')).toBe(true);
    expect(t('app notin (mlserver)')).toBe(false);
    expect(t('tier')).toBe(true);
    expect(t('!tier')).toBe(false);
    expect(t('!other,app in (mlserver),tier notin (x,y)')).toBe(true);
    expect(() => parseLabelSelector('app=(')).toThrow(SelectorError);
  });
  it('field selectors', () => {
    const e = { metadata: { name: 'e1', namespace: 'ns' }, involvedObject: { kind: 'Pod', name: 'mlserver-0' }, type: 'Warning' };
    expect(parseFieldSelector('involvedObject.kind=Pod,involvedObject.name=mlserver-0', 'Event')(e)).toBe(true);
    expect(parseFieldSelector('involvedObject.name!=mlserver-0', 'Event')(e)).toBe(false);
    expect(parseFieldSelector('type=Warning,metadata.namespace=ns', 'Event')(e)).toBe(true);
    expect(() => parseFieldSelector('spec.bogus=1', 'Pod')).toThrow('field label not supported: spec.bogus');
  });
});

describe('humanDuration (kubectl ages)', () => {
  it.each([
    [5_000, '5s'], [119_000, '119s'], [150_000, '2m30s'], [600_000, '10m'], [3 * 3600_000 + 5 * 60_000, '3h5m'], [30 * 3600_000, '30h'], [50 * 3600_000, '2d2h'],
  ])('%d ms -> %s', (ms, want) => expect(humanDuration(ms)).toBe(want));
});
