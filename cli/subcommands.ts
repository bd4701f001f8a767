/**
 * (cli/ holds what the command lines of every role share; roles and bin/ import it, src/ never.)
 * The shape every `brski <role> <command>` shares: dispatch, help, and exit codes (0 done,
 * 1 failed, 2 usage or configuration error), with typed errors printed as "CODE: message".
 */
import { isStackError } from '../src/core/errors.ts';

export const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
export const err = (s: string): void => void process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

export type Subcommand = (argv: string[]) => number | Promise<number>;

export async function runSubcommands(role: string, help: string, commands: Readonly<Record<string, Subcommand>>, argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    out(help);
    return cmd === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(commands, cmd) ? commands[cmd] : undefined;
  if (!command) {
    err(`brski ${role}: unknown command '${cmd}'\n${help}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (e) {
    if (isStackError(e, 'ERR_CONFIG')) {
      err(`brski ${role} ${cmd}: ${e.message}`);
      return 2;
    }
    err(`brski ${role} ${cmd}: ${isStackError(e) ? `${e.code}: ${e.message}` : ((e as Error)?.stack ?? String(e))}`);
    return 1;
  }
}

/** The value of a parsed command line, or undefined after printing its help. */
export function helpOr<T>(p: { readonly help: true; readonly text: string } | { readonly help: false; readonly value: T }): T | undefined {
  if (p.help) {
    out(p.text);
    return undefined;
  }
  return p.value;
}
