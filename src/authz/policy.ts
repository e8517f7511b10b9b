/**
 * Channel policy: which Slack channels may touch which namespaces, which cluster a channel
 * routes to, and who may take intrusive actions (ephemeral debug containers).
 *
 * ```yaml
 * default: deny              # unknown channels: deny (the default) or allow (any namespace, never intrusive)
 * groups:                    # named sets of Slack user ids, used by `intrusive.groups`
 *   sre: [U012ABCDEF, U034GHIJKL]
 * channels:
 *   - id: C0123456789
 *     name: ml-oncall        # optional; matched only when the id is not listed
 *     namespaces: [financial-ml, "team-*"]
 *     defaultNamespace: financial-ml   # optional; else the first literal namespace
 *     cluster: prod-eu       # optional; commands here route to this cluster
 *     verbs: [check, logs]   # optional; all verbs when absent
 *     intrusive:
 *       users: [U012ABCDEF]
 *       groups: [sre]
 * ```
 *
 * `authorize` is pure: the same policy and request always give the same answer.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { VERBS, type ParsedCommand } from '../commands/grammar.js';
import { ConfigError } from '../errors.js';

const slackId = (what: string) => z.string().regex(/^[A-Z0-9]{2,}$/, `expected a Slack ${what} id like C0123456789 (uppercase letters and digits)`);
const namespacePattern = z
  .string()
  .regex(/^(\*|[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?)$/, 'expected a namespace or a glob like "team-*" or "*"')
  .max(63);
const clusterName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a cluster name (lowercase letters, digits, "-")');

const channelSchema = z
  .object({
    id: slackId('channel').optional(),
    name: z
      .string()
      .regex(/^#?[a-z0-9][a-z0-9._-]*$/, 'expected a channel name like ml-oncall')
      .transform((n) => n.replace(/^#/, ''))
      .optional(),
    namespaces: z.array(namespacePattern).min(1, 'list at least one namespace (or "*")'),
    defaultNamespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a namespace').optional(),
    cluster: clusterName.optional(),
    verbs: z.array(z.enum(VERBS)).optional(),
    intrusive: z
      .object({
        users: z.array(slackId('user')).default([]),
        groups: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((c) => c.id !== undefined || c.name !== undefined, { message: 'give the channel an id (preferred) or a name' });

export const policySchema = z
  .object({
    default: z.enum(['deny', 'allow']).default('deny'),
    groups: z.record(z.string(), z.array(slackId('user'))).default({}),
    channels: z.array(channelSchema).default([]),
  })
  .strict();

/** A validated policy. */
export type Policy = z.infer<typeof policySchema>;
export type ChannelPolicy = Policy['channels'][number];

/** The policy used when none is configured: every channel denied (help still answers). */
export const DENY_ALL: Policy = Object.freeze({ default: 'deny', groups: {}, channels: [] }) as Policy;

function formatIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(top level)';
    return `${path}: ${issue.message}`;
  });
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : '';
  return `Invalid policy ${source}: ${lines.join('; ')}${more}`;
}

/**
 * Validates a policy object (parsed YAML/JSON). Throws ConfigError naming the path of each
 * problem, e.g. `channels[0].namespaces[1]: expected a namespace or a glob like "team-*"`.
 */
export function parsePolicy(data: unknown, source = '(inline)'): Policy {
  const result = policySchema.safeParse(data ?? {});
  if (!result.success) throw new ConfigError(formatIssues(result.error, source));
  const policy = result.data;
  for (const [i, ch] of policy.channels.entries()) {
    for (const g of ch.intrusive?.groups ?? []) {
      if (!(g in policy.groups)) {
        throw new ConfigError(`Invalid policy ${source}: channels[${i}].intrusive.groups: group "${g}" is not defined under groups:`);
      }
    }
    if (ch.defaultNamespace !== undefined && !ch.namespaces.some((p) => globMatch(p, ch.defaultNamespace as string))) {
      throw new ConfigError(
        `Invalid policy ${source}: channels[${i}].defaultNamespace: "${ch.defaultNamespace}" is not among the channel's namespaces`,
      );
    }
  }
  return policy;
}

/** Parses policy YAML text. */
export function parsePolicyYaml(text: string, source = '(inline)'): Policy {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`Invalid policy ${source}: not valid YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
  return parsePolicy(data, source);
}

/** Reads and validates a policy file. */
export async function loadPolicy(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `Cannot read the policy file ${path} (${code ?? 'error'}): check PODNET_POLICY_FILE points at a readable YAML file`,
    );
  }
  return parsePolicyYaml(text, path);
}

/** Glob with `*` only (any run of characters); everything else literal. */
export function globMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === value;
  let re = GLOBS.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    GLOBS.set(pattern, re);
  }
  return re.test(value);
}

/** Compiled globs; policies hold a handful of patterns, so this stays small. */
const GLOBS = new Map<string, RegExp>();

/** The policy entry for a channel: by id first, then by name. */
export function findChannel(policy: Policy, channel: string, channelName?: string): ChannelPolicy | undefined {
  return (
    policy.channels.find((c) => c.id === channel) ??
    (channelName === undefined ? undefined : policy.channels.find((c) => c.id === undefined && c.name === channelName))
  );
}

/** Where a channel's commands go by default: namespace and cluster. */
export function channelDefaults(policy: Policy, channel: string, channelName?: string): { namespace?: string; cluster?: string } {
  const entry = findChannel(policy, channel, channelName);
  if (!entry) return {};
  const namespace = entry.defaultNamespace ?? entry.namespaces.find((p) => !p.includes('*'));
  return { ...(namespace !== undefined ? { namespace } : {}), ...(entry.cluster !== undefined ? { cluster: entry.cluster } : {}) };
}

export interface AuthorizeRequest {
  channel: string;
  channelName?: string;
  user: string;
  /** The verb asked for; a channel's `verbs` list names Slack verbs, so a terminal-only verb is never on it. */
  verb: ParsedCommand['verb'];
  /** The namespace the command touches, if any. */
  namespace?: string;
  /** The cluster the command targets, if it names one. */
  cluster?: string;
  /** True for actions that change the cluster (debug containers, applying or rolling back a fix). */
  intrusive: boolean;
  /** The intrusive action, for the refusal: default `start a debug container`. */
  action?: string;
}

export type AuthorizeResult = { allowed: true; cluster?: string } | { allowed: false; reason: string };

/**
 * Decides whether a request may run. Pure. `reason` is one line, safe to show the user,
 * and says which policy rule refused it.
 */
export function authorize(policy: Policy, request: AuthorizeRequest): AuthorizeResult {
  if (request.verb === 'help') return { allowed: true };
  const entry = findChannel(policy, request.channel, request.channelName);
  const where = request.channelName ? `#${request.channelName}` : request.channel;

  if (!entry) {
    if (policy.default !== 'allow') {
      return { allowed: false, reason: `This channel (${where}) is not in podnet's policy (default: deny); ask the platform team to add it` };
    }
    if (request.intrusive) {
      return { allowed: false, reason: `Intrusive actions need an explicit channel entry with intrusive users; ${where} has none (policy default: allow)` };
    }
    return { allowed: true };
  }

  const rule = `policy channel ${entry.id ?? `#${entry.name}`}`;
  if (entry.verbs !== undefined && !(entry.verbs as readonly string[]).includes(request.verb)) {
    return { allowed: false, reason: `This channel may not run ${request.verb} (${rule} allows ${entry.verbs.join(', ')})` };
  }
  if (request.namespace !== undefined && !entry.namespaces.some((p) => globMatch(p, request.namespace as string))) {
    return {
      allowed: false,
      reason: `This channel may not touch namespace ${request.namespace} (${rule} allows ${entry.namespaces.join(', ')})`,
    };
  }
  if (request.cluster !== undefined && entry.cluster !== undefined && request.cluster !== entry.cluster) {
    return { allowed: false, reason: `This channel routes to cluster ${entry.cluster}, not ${request.cluster} (${rule})` };
  }
  if (request.intrusive) {
    const users = new Set(entry.intrusive?.users ?? []);
    for (const g of entry.intrusive?.groups ?? []) for (const u of policy.groups[g] ?? []) users.add(u);
    if (!users.has(request.user)) {
      return { allowed: false, reason: `You may not ${request.action ?? 'start a debug container'} from this channel (${rule}: not among its intrusive users or groups)` };
    }
  }
  return entry.cluster !== undefined ? { allowed: true, cluster: entry.cluster } : { allowed: true };
}
