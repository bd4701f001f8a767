/**
 * `brski <command> [args]`: one entry point for every role and tool.
 * Each command lives in its own module exporting `run(argv): Promise<number>` (the exit code).
 */
const COMMANDS: Record<string, { module: string; summary: string }> = {
  coap: { module: './commands/coap.ts', summary: 'CoAP client (get|post|put|delete <uri>) and resource server (serve)' },
  pki: { module: './commands/pki.ts', summary: 'test PKI: brski pki init DIR [--pledges N]' },
  ca: { module: '../ca/cli.ts', summary: 'operator RA/CA service (CMP over HTTP) and its operator commands' },
  registrar: { module: '../registrar/cli.ts', summary: 'registrar: CMP over CoAP, store-and-forward journal, offline export/import' },
  pledge: { module: '../pledge/cli.ts', summary: 'pledge emulator: N pledges enrolling over CoAP' },
  proxy: { module: '../proxy/cli.ts', summary: 'join proxy: stateful or stateless (JPY) relay with pledge discovery' },
  masa: { module: '../masa/cli.ts', summary: 'MASA: vouchers (COSE or CMS) over HTTPS, ownership, audit log' },
};

function usage(): string {
  const lines = ['usage: brski <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'brski <command> --help shows the options of one command.');
  return lines.join('\n');
}

const [cmd, ...rest] = process.argv.slice(2);
if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
  process.stdout.write(`${usage()}\n`);
  process.exit(cmd ? 0 : 2);
}
const entry = COMMANDS[cmd];
if (!entry) {
  process.stderr.write(`brski: unknown command '${cmd}'\n${usage()}\n`);
  process.exit(2);
}
// A closed pipe (`brski registrar status | head`) ends the command quietly instead of crashing it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
const mod = (await import(entry.module)) as { run(argv: string[]): Promise<number> };
const code = await mod.run(rest);
process.exitCode = code;
