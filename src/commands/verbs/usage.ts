/**
 * Usage texts built from a verb's flag table, so that what `help`, `podnet VERB --help` and
 * every bad-input message show is what the parser takes, on each surface.
 */
import { flagsOn } from './scan.js';
import type { FlagSpec, Surface } from './spec.js';

/** `[-n NS]` or `[--previous]`: one flag as a usage line shows it (its first spelling). */
function flagWords(flag: FlagSpec): string {
  return `[${flag.names[0]}${flag.kind === 'string' ? ` ${flag.metavar ?? 'VALUE'}` : ''}]`;
}

/**
 * The usage of a verb of one form on one surface: `check POD [-n NS] [--client C] …`, the flags
 * in table order.
 *
 * @param head the verb and its arguments, e.g. `check POD`.
 */
export function synopsis(head: string, flags: readonly FlagSpec[], surface: Surface): string {
  return [head, ...flagsOn(flags, surface).map(flagWords)].join(' ');
}

/** Options for {@link wrapWords}. */
export interface WrapOptions {
  /** Longest line, in characters (default 100). */
  width?: number;
  /** Spaces before every line after the first (default 0). */
  indent?: number;
}

/**
 * Breaks text into lines no longer than `width` (a longer word keeps its line) between its
 * words: the words of a usage line are whole options (`[--lab-tools SPEC]`), never split.
 */
export function wrapWords(text: string, options: WrapOptions = {}): string {
  const { width = 100, indent = 0 } = options;
  const lines: string[] = [];
  let line = '';
  for (const word of text.match(/\[[^\]]*\]|\S+/g) ?? []) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = `${' '.repeat(indent)}${word}`;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join('\n');
}

/** `-n, --namespace NS`: every spelling (short ones first) and the value. */
function spellings(flag: FlagSpec): string {
  const names = [...flag.names].sort((a, b) => Number(a.startsWith('--')) - Number(b.startsWith('--')));
  return `${names.join(', ')}${flag.kind === 'string' ? ` ${flag.metavar ?? 'VALUE'}` : ''}`;
}

/** Column where an option's help starts in {@link optionList}. */
const HELP_COLUMN = 28;

/** Options for {@link optionList}. */
export interface OptionListOptions {
  /** End with `-h, --help` (default true). */
  withHelp?: boolean;
}

/**
 * The option list of a verb on one surface, one flag a line (its spellings, then its help,
 * wrapped under the help column), ending with `-h, --help`.
 */
export function optionList(flags: readonly FlagSpec[], surface: Surface, options: OptionListOptions = {}): string {
  const help = options.withHelp === false ? [] : [['-h, --help', 'show this help'] as const];
  const rows = [...flagsOn(flags, surface).map((f) => [spellings(f), f.help] as const), ...help];
  return rows
    .map(([names, help]) => {
      const lead = `  ${names}`;
      const first = lead.length + 2 > HELP_COLUMN ? `${lead}\n${' '.repeat(HELP_COLUMN)}` : lead.padEnd(HELP_COLUMN);
      return `${first}${wrapWords(help, { width: 100 - HELP_COLUMN, indent: 0 }).split('\n').join(`\n${' '.repeat(HELP_COLUMN)}`)}`;
    })
    .join('\n');
}
