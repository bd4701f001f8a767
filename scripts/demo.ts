/**
 * `npm run demo`: BRSKI-AE enrollment end to end on loopback, each role its own process.
 *
 * 1. creates the test PKI in demo-out/pki if absent (`brski pki init --pledges 10`);
 * 2. starts the manufacturer's MASA (`brski masa serve --first-claim`) and the registrar
 *    (`brski registrar serve --security oscore --require-voucher`) while the operator RA/CA is
 *    still offline;
 * 3. starts 10 emulated pledges (`brski pledge --security oscore`, 64-byte CoAP blocks): each runs
 *    EDHOC with its IDevID, gets a voucher from the MASA through the registrar and checks it,
 *    then sends its IDevID-signed CMP ir over OSCORE; the registrar journals it and answers
 *    *waiting*, the pledges poll;
 * 4. brings the RA/CA up (`brski ca serve`) a few seconds later: the registrar's outbox forwards
 *    the stored requests, the pledges collect their LDevIDs and confirm;
 * 5. prints the pledges' table, the registrar's journal, libcoap's view of the registrar's
 *    /.well-known/core, and where the files are.
 * Exits 0 only when every pledge enrolled.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const PLEDGES = 10;
const root = resolve('demo-out');
const pkiDir = join(root, 'pki');
const run = join(root, `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
mkdirSync(run, { recursive: true });
const brski = [process.execPath, 'bin/brski'];
const children: ChildProcess[] = [];
const say = (s: string): void => void process.stdout.write(`demo: ${s}\n`);

function stopAll(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

/** Starts a role and resolves with the first match of `ready` in its stdout. */
function start(name: string, args: string[], ready: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolveReady, reject) => {
    const child = spawn(brski[0]!, [brski[1]!, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolveReady(m);
    });
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}\n${out}\n${err}`)));
  });
}

/** A free TCP port on loopback for the RA/CA, which starts later than the registrar needs its URL. */
function freeTcpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

if (!existsSync(join(pkiDir, 'pki.json'))) {
  const r = spawnSync(brski[0]!, [brski[1]!, 'pki', 'init', pkiDir, '--pledges', String(PLEDGES)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`brski pki init failed: ${r.stderr}`);
  say(`created the test PKI in ${pkiDir} (brski pki init --pledges ${PLEDGES})`);
}
const manifest = JSON.parse(readFileSync(join(pkiDir, 'pki.json'), 'utf8')) as { pledges?: unknown[] };
const count = Math.min(PLEDGES, manifest.pledges?.length ?? 0);
if (count === 0) throw new Error(`${pkiDir} has no pledges; remove it and run the demo again`);

const masa = await start(
  'masa',
  ['masa', 'serve', '--pki', pkiDir, '--db', join(run, 'masa.db'), '--port', '0', '--first-claim', '--log-level', 'warn'],
  /ready (https:\/\/\S+)/,
);
const masaUrl = masa[1]!;
say(`MASA listening on ${masaUrl} (vouchers, first claim wins)`);

const caPort = await freeTcpPort();
const caUrl = `http://127.0.0.1:${caPort}`;
const reg = await start(
  'registrar',
  [
    'registrar', 'serve', '--pki', pkiDir, '--db', join(run, 'registrar.db'), '--port', '0', '--ca-url', caUrl, '--allow-any',
    '--security', 'oscore', '--masa-url', masaUrl, '--require-voucher',
    '--check-after', '2', '--retry-base', '500', '--upstream-timeout', '1000', '--log-level', 'warn',
  ],
  /ready (coap:\/\/(\S+):(\d+))/,
);
const registrarUri = reg[1]!;
say(`registrar listening on ${registrarUri} (EDHOC, OSCORE, vouchers, CMP over CoAP); the RA/CA at ${caUrl} is still offline`);

say(`starting ${count} pledges at 64-byte blocks: EDHOC → voucher → CMP over OSCORE; they will be told to wait and poll`);
const pledge = spawn(
  brski[0]!,
  [brski[1]!, 'pledge', '--pki', pkiDir, '--registrar', registrarUri, '--count', String(count), '--block-size', '64', '--security', 'oscore', '--voucher', '--state', join(run, 'pledges'), '--json', join(run, 'pledges.json'), '--timeout', '180', '--retry-base', '500', '--log-level', 'error'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
children.push(pledge);
let table = '';
pledge.stdout!.on('data', (d: Buffer) => (table += d.toString()));
const pledgesDone = new Promise<number>((res) => pledge.on('exit', (code) => res(code ?? 1)));

await new Promise((r) => setTimeout(r, 5000));
await start('ca', ['ca', 'serve', '--pki', pkiDir, '--db', join(run, 'ca.db'), '--port', String(caPort), '--allow-any', '--log-level', 'warn'], /ready (http:\/\/\S+)/);
say(`operator RA/CA up at ${caUrl} (CMP over HTTP); the registrar forwards what it stored`);

const code = await pledgesDone;
process.stdout.write(`\n${table}\n`);
// The registrar confirms upstream in the background after the pledge's certConf: give it a moment.
await new Promise((r) => setTimeout(r, 1500));

const status = spawnSync(brski[0]!, [brski[1]!, 'registrar', 'status', '--db', join(run, 'registrar.db'), '--limit', '5'], { encoding: 'utf8' });
process.stdout.write(`registrar journal:\n${status.stdout}\n`);
if (spawnSync('sh', ['-c', 'command -v coap-client-notls']).status === 0) {
  const wk = spawnSync('coap-client-notls', ['-m', 'get', `${registrarUri}/.well-known/core?rt=ace.*`], { encoding: 'utf8', timeout: 10_000 });
  process.stdout.write(`libcoap coap-client GET ${registrarUri}/.well-known/core?rt=ace.*:\n  ${wk.stdout.trim() || wk.stderr.trim()}\n\n`);
}
const issued = spawnSync(brski[0]!, [brski[1]!, 'ca', 'list', '--db', join(run, 'ca.db')], { encoding: 'utf8' });
process.stdout.write(`RA/CA:\n${issued.stdout}\n`);
say(`files: LDevIDs in ${join(run, 'pledges')}/<serial>/, databases and pledges.json in ${run}, PKI in ${pkiDir}`);
say(code === 0 ? `all ${count} pledges enrolled` : `FAILED: the pledges exited with ${code}`);
stopAll();
process.exit(code === 0 ? 0 : 1);
