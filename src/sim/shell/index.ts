/**
 * What happens when someone execs a command in a simulated container: the container
 * runtime's executable lookup, a handful of programs (cat, readlink, nc, echo, true, false,
 * timeout, hostname, sleep) and a small POSIX sh (dash flavour for `sh`, bash flavour for
 * `bash`), all answering from the scenario's network model. Nothing here touches the real
 * machine: files are synthesized, dials go through netmodel.
 *
 * Messages copy the real programs (checked on Debian bookworm: dash 0.5.12, bash 5.2.15,
 * netcat-openbsd 1.219, coreutils; runc via containerd for a missing executable), because
 * the probes and the analysis read them.
 *
 * The shell subset: lists with `;`, newlines, `&&`, `||`, `!`; `if/elif/else/fi`,
 * `for NAME [in WORDS]; do ...; done`, `case WORD in PATTERN|PATTERN) ...;; esac` (`*`, `?`;
 * no bracket expressions), `{ ...; }` and `( ... )`; words with '...', "..."
 * and backslash quoting; `$(...)`; `$1`..`$9`, `${N}`, `$@`, `$*`, `$#`, `$?`, `$0`, `$$`, variables
 * and `NAME=value` assignments (global, also when they prefix a command); redirections
 * `[n]>`, `>>`, `<`, `<>`, `[n]>&m`, `&>` to /dev/null, /dev/stdout, /dev/stderr and, in
 * bash only, /dev/tcp/HOST/PORT (a dial); builtins `echo`, `printf` (%s %d %%, \n \t \\),
 * `true`, `false`, `:`, `exit`, `exec`, `command [-v|-V]`, `test`/`[` (-n -z -e -f -r -s -d,
 * = != -eq -ne -lt -le -gt -ge), `set -e/+e/-u/-x/--`, `shift`, `cd`. No pipes, globbing,
 * backquotes, arithmetic, functions, `while`, background jobs (so not the probe's bash watchdog,
 * used only where an image has bash but no `timeout`): those stop
 * the script with `NAME: unsupported by podnet simulator: WHAT` on stderr and exit code 2.
 *
 * Where things are: runtime.ts (the exec as the container runtime sees it), context.ts (what
 * a program sees), programs/ (one file per program family; index.ts is the table by name),
 * and the shell as lexer.ts → parser.ts → interpreter.ts. Programs get the program table as a
 * parameter (`ProgramRunner`), so imports go one way.
 */
export type { ExecContext, ExecOutcome, ExecOverride } from './context.js';
export { overrideReply, runCommand, runtimeFailure } from './runtime.js';
