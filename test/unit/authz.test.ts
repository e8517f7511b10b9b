import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog, memoryAuditLog } from '../../src/authz/audit.js';
import {
  DENY_ALL,
  authorize,
  channelDefaults,
  globMatch,
  loadPolicy,
  parsePolicy,
  parsePolicyYaml,
  type AuthorizeRequest,
} from '../../src/authz/policy.js';
import { ConfigError } from '../../src/errors.js';

const YAML = `
default: deny
groups:
  sre: [U0SRE00001, U0SRE00002]
channels:
  - id: C0MLONCALL
    name: ml-oncall
    namespaces: [financial-ml, "team-*"]
    cluster: prod-eu
    intrusive:
      users: [U0ALICE001]
      groups: [sre]
  - name: sandbox
    namespaces: ["*"]
    verbs: [check, logs, help]
  - id: C0DEFAULTNS
    namespaces: ["team-*", scratch]
`;

const policy = parsePolicyYaml(YAML, 'test.yaml');
const req = (over: Partial<AuthorizeRequest>): AuthorizeRequest => ({
  channel: 'C0MLONCALL',
  user: 'U0BOB00001',
  verb: 'check',
  namespace: 'financial-ml',
  intrusive: false,
  ...over,
});

describe('globMatch', () => {
  it.each([
    ['*', 'anything', true],
    ['team-*', 'team-a', true],
    ['team-*', 'team-', true],
    ['team-*', 'xteam-a', false],
    ['financial-ml', 'financial-ml', true],
    ['financial-ml', 'financial-mlx', false],
    ['a*b', 'axxb', true],
    ['a.b', 'axb', false],
  ])('%s ~ %s = %s', (p, v, want) => expect(globMatch(p, v)).toBe(want));
});

describe('parsePolicy', () => {
  it('applies defaults', () => {
    expect(parsePolicy({})).toEqual({ default: 'deny', groups: {}, channels: [] });
  });
  it('names the path of a bad value', () => {
    expect(() => parsePolicyYaml('channels:\n  - id: C0X1\n    namespaces: [ok, "Bad_NS"]\n', 'p.yaml')).toThrow(
      /^Invalid policy p\.yaml: channels\[0\]\.namespaces\[1\]: expected a namespace or a glob/,
    );
  });
  it('rejects unknown keys, a bad default, a channel without id or name, an empty namespace list', () => {
    expect(() => parsePolicy({ defualt: 'allow' })).toThrow(ConfigError);
    expect(() => parsePolicy({ default: 'maybe' })).toThrow(/default/);
    expect(() => parsePolicy({ channels: [{ namespaces: ['a'] }] })).toThrow(/channels\[0\].*id \(preferred\) or a name/);
    expect(() => parsePolicy({ channels: [{ id: 'C1X', namespaces: [] }] })).toThrow(/channels\[0\]\.namespaces: list at least one/);
    expect(() => parsePolicy({ channels: [{ id: 'c-lower', namespaces: ['a'] }] })).toThrow(/channels\[0\]\.id: expected a Slack channel id/);
  });
  it('rejects an undefined group and a default namespace outside the list', () => {
    expect(() => parsePolicy({ channels: [{ id: 'C1X', namespaces: ['a'], intrusive: { groups: ['nope'] } }] })).toThrow(
      /channels\[0\]\.intrusive\.groups: group "nope" is not defined/,
    );
    expect(() => parsePolicy({ channels: [{ id: 'C1X', namespaces: ['a'], defaultNamespace: 'b' }] })).toThrow(/defaultNamespace: "b"/);
  });
  it('rejects YAML that does not parse', () => {
    expect(() => parsePolicyYaml('channels: [', 'x.yaml')).toThrow(/^Invalid policy x\.yaml: not valid YAML/);
  });
  it('loads a file and says how to fix a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-policy-'));
    const path = join(dir, 'policy.yaml');
    writeFileSync(path, YAML);
    await expect(loadPolicy(path)).resolves.toEqual(policy);
    await expect(loadPolicy(join(dir, 'missing.yaml'))).rejects.toThrow(/Cannot read the policy file .*missing\.yaml \(ENOENT\): check PODNET_POLICY_FILE/);
  });
});

describe('authorize', () => {
  it('allows a listed namespace and returns the channel cluster', () => {
    expect(authorize(policy, req({}))).toEqual({ allowed: true, cluster: 'prod-eu' });
    expect(authorize(policy, req({ namespace: 'team-x' }))).toEqual({ allowed: true, cluster: 'prod-eu' });
  });
  it('denies a namespace outside the channel policy, naming the rule', () => {
    expect(authorize(policy, req({ namespace: 'kube-system' }))).toEqual({
      allowed: false,
      reason: 'This channel may not touch namespace kube-system (policy channel C0MLONCALL allows financial-ml, team-*)',
    });
  });
  it('denies unknown channels by default, and allows them only non-intrusively with default: allow', () => {
    expect(authorize(policy, req({ channel: 'C0UNKNOWN' }))).toMatchObject({ allowed: false, reason: expect.stringMatching(/not in podnet's policy \(default: deny\)/) });
    const open = parsePolicy({ default: 'allow' });
    expect(authorize(open, req({ channel: 'C0UNKNOWN', namespace: 'anything' }))).toEqual({ allowed: true });
    expect(authorize(open, req({ channel: 'C0UNKNOWN', intrusive: true }))).toMatchObject({ allowed: false });
    expect(authorize(DENY_ALL, req({}))).toMatchObject({ allowed: false });
  });
  it('always allows help', () => {
    expect(authorize(DENY_ALL, req({ verb: 'help', namespace: undefined }))).toEqual({ allowed: true });
  });
  it('matches by name only when the channel id is not listed', () => {
    expect(authorize(policy, req({ channel: 'C0OTHER', channelName: 'sandbox', namespace: 'x' }))).toEqual({ allowed: true });
    expect(authorize(policy, req({ channel: 'C0OTHER', channelName: 'ml-oncall' }))).toMatchObject({ allowed: false });
  });
  it('restricts verbs when the channel lists them', () => {
    expect(authorize(policy, req({ channel: 'C0OTHER', channelName: 'sandbox', verb: 'sweep', namespace: 'x' }))).toEqual({
      allowed: false,
      reason: 'This channel may not run sweep (policy channel #sandbox allows check, logs, help)',
    });
  });
  it('allows intrusive actions only to listed users and group members', () => {
    expect(authorize(policy, req({ intrusive: true }))).toMatchObject({ allowed: false, reason: expect.stringMatching(/debug container/) });
    expect(authorize(policy, req({ intrusive: true, user: 'U0ALICE001' }))).toMatchObject({ allowed: true });
    expect(authorize(policy, req({ intrusive: true, user: 'U0SRE00002' }))).toMatchObject({ allowed: true });
    expect(authorize(policy, req({ intrusive: true, user: 'U0SRE00002', channel: 'C0DEFAULTNS', namespace: 'scratch' }))).toMatchObject({
      allowed: false,
    });
  });
  it('refuses a cluster other than the one the channel routes to', () => {
    expect(authorize(policy, req({ cluster: 'prod-us' }))).toMatchObject({ allowed: false, reason: expect.stringMatching(/routes to cluster prod-eu, not prod-us/) });
    expect(authorize(policy, req({ cluster: 'prod-eu' }))).toMatchObject({ allowed: true });
  });
  it('allows channel-scoped verbs without a namespace in a known channel', () => {
    expect(authorize(policy, req({ verb: 'incident', namespace: undefined }))).toMatchObject({ allowed: true });
  });
});

describe('channelDefaults', () => {
  it('uses the first literal namespace, or the explicit default', () => {
    expect(channelDefaults(policy, 'C0MLONCALL')).toEqual({ namespace: 'financial-ml', cluster: 'prod-eu' });
    expect(channelDefaults(policy, 'C0DEFAULTNS')).toEqual({ namespace: 'scratch' });
    expect(channelDefaults(policy, 'C0NONE')).toEqual({});
    const p = parsePolicy({ channels: [{ id: 'C1X', namespaces: ['a', 'b'], defaultNamespace: 'b' }] });
    expect(channelDefaults(p, 'C1X')).toEqual({ namespace: 'b' });
  });
});

describe('audit log', () => {
  const at = () => new Date('2026-01-02T03:04:05.000Z');
  it('appends JSON lines with secrets masked, never truncating the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-audit-'));
    const path = join(dir, 'audit.log');
    writeFileSync(path, '{"existing":true}\n');
    const log = createAuditLog({ path, now: at });
    log.record({ who: 'U1', channel: 'C1', command: 'check p --grep token=xoxb-1234567890-abcdef', verb: 'check', namespace: 'ns', outcome: 'queued', jobId: 'j1' });
    log.record({ who: 'U2', channel: 'C1', command: 'chek p', outcome: 'invalid', reason: 'Unknown command "chek"' });
    await log.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0] as string)).toEqual({ existing: true });
    const first = JSON.parse(lines[1] as string);
    expect(first).toMatchObject({ at: '2026-01-02T03:04:05.000Z', who: 'U1', channel: 'C1', verb: 'check', namespace: 'ns', outcome: 'queued', jobId: 'j1' });
    expect(first.command).not.toContain('xoxb-1234567890');
    expect(first.command).toContain('[redacted]');
    expect(JSON.parse(lines[2] as string)).toMatchObject({ outcome: 'invalid', reason: 'Unknown command "chek"' });
  });
  it('keeps records in memory for tests', () => {
    const log = memoryAuditLog(at);
    log.record({ who: 'U1', command: 'help', outcome: 'done' });
    expect(log.records).toEqual([{ at: '2026-01-02T03:04:05.000Z', who: 'U1', command: 'help', outcome: 'done' }]);
  });
});
