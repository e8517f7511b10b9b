/**
 * `--lab` and `--lab-tools` as every command that takes `--scenario` reads them (check, sim,
 * logs, demo): one parser, and one usage text from the flags' specs.
 */
import { labFlag, labToolsFlag } from '../commands/verbs/flags.js';
import { optionList } from '../commands/verbs/usage.js';
import { BadInputError } from '../errors.js';
import type { LabOptions } from './lab.js';
import type { NcVariant, ShVariant, ToolVariants } from './tools.js';

/** Usage lines for the lab flags: the option list of their specs (src/commands/verbs/flags.ts), as `podnet check --help` shows them. */
export const LAB_USAGE = optionList([labFlag, labToolsFlag], 'cli', { withHelp: false });

/** parseArgs option definitions for the lab flags. */
export const LAB_ARG_OPTIONS = { lab: { type: 'boolean' }, 'lab-tools': { type: 'string' } } as const;

const NC: readonly NcVariant[] = ['openbsd', 'ncat', 'busybox', 'traditional'];
const SH: readonly ShVariant[] = ['dash', 'bash', 'busybox'];

/** `nc=ncat,sh=busybox,busybox` → tool variants; BadInputError naming the bad part. */
export function parseLabTools(spec: string): ToolVariants {
  const out: ToolVariants = {};
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, value] = part.split('=', 2) as [string, string | undefined];
    if (key === 'nc' && NC.includes(value as NcVariant)) out.nc = value as NcVariant;
    else if (key === 'sh' && SH.includes(value as ShVariant)) out.sh = value as ShVariant;
    else if (key === 'busybox' && (value === undefined || value === 'true')) out.busybox = true;
    else throw new BadInputError(`--lab-tools: "${part}" is not one of nc=${NC.join('|')}, sh=${SH.join('|')}, busybox`);
  }
  return out;
}

/**
 * Lab options from parsed flags, or undefined without `--lab`. `--lab` needs `--scenario`;
 * `--lab-tools` needs `--lab`.
 */
export function labOptionsFrom(values: { lab?: boolean; 'lab-tools'?: string }, scenario: string | undefined): LabOptions | undefined {
  if (values['lab-tools'] !== undefined && !values.lab) throw new BadInputError('--lab-tools only applies with --lab');
  if (!values.lab) return undefined;
  if (!scenario) throw new BadInputError('--lab builds the pods of a scenario file: add --scenario FILE');
  return { handleSignals: true, label: scenario, ...(values['lab-tools'] ? { tools: parseLabTools(values['lab-tools']) } : {}) };
}
