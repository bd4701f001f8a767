/**
 * `npm run demo`: BRSKI-AE enrollment end to end on loopback through a join proxy, each role its
 * own process.
 *
 * 1. creates the test PKI in demo-out/pki if absent (`brski pki init --pledges 10`);
 * 2. starts the manufacturer's MASA (`brski masa serve --first-claim`) and the registrar
 *    (`brski registrar serve --security oscore --require-voucher --jpy-port 0`) while the operator
 *    RA/CA is still offline;
 * 3. starts the join proxy with `--discover coap://REGISTRAR`: the registrar announces its JPY
 *    port (rt=brski.rjp), so the proxy runs stateless;
 * 4. starts 10 emulated pledges that find the proxy with `--discover` (its ?brski-jp=* responder)
 *    and share one emulated IEEE 802.15.4 channel (`--link 6lowpan`: 250 kbit/s, 127-byte frames)
 *    losing 5% of the datagrams in each direction, with a CoAP ACK_TIMEOUT tuned for it: each runs
 *    EDHOC with its IDevID, gets a voucher from the MASA through the registrar, then sends its
 *    IDevID-signed CMP ir over OSCORE; the registrar journals it and answers *waiting*, the
 *    pledges poll;
 * 5. brings the RA/CA up (`brski ca serve`) once every pledge is polling: the registrar's outbox
 *    forwards the stored requests, the pledges collect their LDevIDs and confirm;
 * 6. prints a table per pledge, the registrar's journal, the proxy's counters, libcoap's view of
 *    the registrar's /.well-known/core, and where the files are.
 * Exits 0 only when every pledge enrolled; gives up with a message after DEADLINE_S.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { LINK_6LOWPAN } from '../src/transport/link-emulator.ts';

const PLEDGES = 10;
const LOSS = 0.05;
const BLOCK = 64;
/** CoAP ACK_TIMEOUT for the pledges: a 64-byte block and its answer take a few ms on the air. */
const ACK_TIMEOUT_MS = 600;
const MAX_RETRANSMIT = 6;
/** The RA/CA comes up once every pledge polls, or after this long at the latest. */
const CA_OFFLINE_MAX_S = 60;
/** The whole demo gives up after this long. */
const DEADLINE_S = 240;
/** Bytes a 6LoWPAN frame adds on air besides the UDP payload it carries (MAC header, FCS, IPHC). */
const FRAME_OVERHEAD = LINK_6LOWPAN.frameOverhead ?? 0;

const root = resolve('demo-out');
const pkiDir = join(root, 'pki');
const run = join(root, `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
mkdirSync(run, { recursive: true });
const brski = [process.execPath, resolve('bin/brski')] as const;
const started = Date.now();
const children: ChildProcess[] = [];
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (s: string): void => void process.stdout.write(`demo [${elapsed()}]: ${s}\n`);
const print = (s: string): void => void process.stdout.write(`${s}\n`);

function stopAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));
const deadline = setTimeout(() => {
  say(`DEADLINE: not finished after ${DEADLINE_S} s; stopping every role. Logs and databases are in ${run}`);
  stopAll();
  process.exit(1);
}, DEADLINE_S * 1000);

/** A role's process with its output kept line by line. */
class Role {
  readonly lines: string[] = [];
  private err = '';
  private pending = '';
  private waiters: { re: RegExp; from: number; resolve: (m: RegExpExecArray) => void }[] = [];
  readonly exited: Promise<number | null>;
  readonly child: ChildProcess;

  constructor(
    readonly name: string,
    args: readonly string[],
    onStderrLine?: (line: string) => void,
  ) {
    this.child = spawn(brski[0], [brski[1], ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(this.child);
    this.child.stdout!.on('data', (d: Buffer) => {
      const parts = (this.pending + d.toString()).split('\n');
      this.pending = parts.pop()!;
      for (const line of parts) {
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => {
          const m = this.lines.length - 1 >= w.from ? w.re.exec(line) : null;
          if (m) w.resolve(m);
          return !m;
        });
      }
    });
    let errPending = '';
    this.child.stderr!.on('data', (d: Buffer) => {
      const s = d.toString();
      this.err = (this.err + s).slice(-4000);
      if (!onStderrLine) return;
      const parts = (errPending + s).split('\n');
      errPending = parts.pop()!;
      for (const l of parts) onStderrLine(l);
    });
    this.exited = new Promise((res) => this.child.on('exit', (code) => res(code)));
  }

  /** The first stdout line from now on (or from line `from`) that matches `re`. */
  waitFor(re: RegExp, from = 0): Promise<RegExpExecArray> {
    for (let i = from; i < this.lines.length; i++) {
      const m = re.exec(this.lines[i]!);
      if (m) return Promise.resolve(m);
    }
    return new Promise((res, rej) => {
      this.waiters.push({ re, from: this.lines.length, resolve: res });
      void this.exited.then((code) => rej(new Error(`${this.name} exited with ${code} before printing ${re}\n${this.lines.slice(-20).join('\n')}\n${this.err}`)));
    });
  }
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

interface PledgeEntry {
  serialNumber: string;
  result: string;
  ldevidSerial?: string;
  ldevidSubject?: string;
  polls: number;
  timeMs: number;
  bytesSent: number;
  bytesReceived: number;
  framesSent?: number;
  framesReceived?: number;
  retransmissions: number;
  voucherBytes?: number;
  voucherNonceless?: boolean;
  error?: { code: string; message: string };
}

function table(head: readonly string[], rows: readonly (readonly string[])[], numeric: ReadonlySet<number>): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: readonly string[]): string =>
    r
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].map((l) => `  ${l}`).join('\n');
}

function pledgeTable(pledges: readonly PledgeEntry[]): string {
  const rows = pledges.map((p) => {
    const frames = (p.framesSent ?? 0) + (p.framesReceived ?? 0);
    const air = p.bytesSent + p.bytesReceived + frames * FRAME_OVERHEAD;
    return [
      p.serialNumber,
      p.voucherBytes ? `${p.voucherBytes} B ${p.voucherNonceless ? 'nonceless' : 'nonced'}` : '-',
      p.result === 'enrolled' ? (p.ldevidSubject ?? '?') : `${p.result}: ${p.error ? `${p.error.code} ${p.error.message}`.slice(0, 70) : ''}`,
      p.ldevidSerial ?? '-',
      String(p.polls),
      `${p.bytesSent}+${p.bytesReceived}`,
      String(air),
      `${p.framesSent ?? 0}+${p.framesReceived ?? 0}`,
      String(p.retransmissions),
      (p.timeMs / 1000).toFixed(1),
    ];
  });
  return table(['pledge', 'voucher', 'LDevID subject', 'LDevID serial', 'polls', 'UDP B out+in', 'air B', 'frames out+in', 'retx', 'time s'], rows, new Set([4, 6, 8, 9]));
}

async function main(): Promise<number> {
  if (!existsSync(join(pkiDir, 'pki.json'))) {
    const r = spawnSync(brski[0], [brski[1], 'pki', 'init', pkiDir, '--pledges', String(PLEDGES)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`brski pki init failed: ${r.stderr}`);
    say(`created the test PKI in ${pkiDir} (brski pki init --pledges ${PLEDGES})`);
  }
  const manifest = JSON.parse(readFileSync(join(pkiDir, 'pki.json'), 'utf8')) as { pledges?: unknown[] };
  const count = Math.min(PLEDGES, manifest.pledges?.length ?? 0);
  if (count === 0) throw new Error(`${pkiDir} has no pledges; remove it and run the demo again`);

  const masa = new Role('masa', ['masa', 'serve', '--pki', pkiDir, '--db', join(run, 'masa.db'), '--port', '0', '--first-claim', '--log-level', 'warn']);
  const masaUrl = (await masa.waitFor(/^ready (https:\/\/\S+)/))[1]!;
  say(`MASA listening on ${masaUrl} (vouchers; an unowned pledge goes to the first domain that asks)`);

  const caPort = await freeTcpPort();
  const caUrl = `http://127.0.0.1:${caPort}`;
  const registrar = new Role('registrar', [
    'registrar', 'serve', '--pki', pkiDir, '--db', join(run, 'registrar.db'), '--port', '0', '--ca-url', caUrl, '--allow-any',
    '--security', 'oscore', '--masa-url', masaUrl, '--require-voucher', '--jpy-port', '0',
    '--check-after', '2', '--retry-base', '500', '--upstream-timeout', '1000', '--log-level', 'warn',
  ]);
  const reg = await registrar.waitFor(/^ready (coap:\/\/\S+) (jpy:\/\/\S+)/);
  const registrarUri = reg[1]!;
  say(`registrar on ${registrarUri} (EDHOC, OSCORE, vouchers, CMP) and ${reg[2]} for stateless join proxies; the RA/CA at ${caUrl} is offline`);

  const proxy = new Role('proxy', [
    'proxy', '--listen', '127.0.0.1:0', '--discover', registrarUri, '--discovery-port', '0', '--max-pledges', '16', '--max-per-address', '0',
    '--stats-interval', '0', '--log-level', 'warn',
  ]);
  const px = await proxy.waitFor(/^ready udp:\/\/(\S+) mode=(\w+) registrar=(\S+).* discovery=coap:\/\/(\S+):(\d+)/);
  say(
    `join proxy asked ${registrarUri}/.well-known/core and chose ${px[2]!.toUpperCase()} mode ` +
      `(${px[2] === 'stateless' ? 'the registrar announced rt=brski.rjp: the pledge address travels in an encrypted JPY header' : 'no rt=brski.rjp link'}); ` +
      `join port udp://${px[1]}, relaying to ${px[3]}, discovery responder coap://${px[4]}:${px[5]}`,
  );

  say(
    `starting ${count} pledges: discover the proxy at coap://127.0.0.1:${px[5]}, one shared 6LoWPAN channel (250 kbit/s, 127-byte frames), ` +
      `${LOSS * 100}% datagram loss each way, ${BLOCK}-byte blocks, ACK_TIMEOUT ${ACK_TIMEOUT_MS} ms, MAX_RETRANSMIT ${MAX_RETRANSMIT}; ` +
      'EDHOC → voucher → CMP ir over OSCORE, then wait and poll',
  );
  let caStarted = false;
  let allPolling!: () => void;
  const everyonePolling = new Promise<void>((res) => (allPolling = res));
  const jsonFile = join(run, 'pledges.json');
  const pledges = new Role(
    'pledges',
    [
      'pledge', '--pki', pkiDir, '--discover', `coap://127.0.0.1:${px[5]}`, '--count', String(count), '--block-size', String(BLOCK),
      '--security', 'oscore', '--voucher', '--link', '6lowpan', '--link-loss', String(LOSS), '--ack-timeout', String(ACK_TIMEOUT_MS),
      '--max-retransmit', String(MAX_RETRANSMIT), '--state', join(run, 'pledges'), '--json', jsonFile, '--timeout', String(DEADLINE_S - 30),
      '--retry-base', '500', '--log-level', 'error',
    ],
    (line) => {
      if (!line.trim()) return;
      print(`  pledges: ${line.trim()}`);
      const m = /(\d+) enrolled, (\d+) failed, (\d+) running \((\d+) polling\)/.exec(line);
      if (m && Number(m[4]) >= count) allPolling();
    },
  );
  const pledgesDone = pledges.exited;

  await Promise.race([everyonePolling, pledgesDone, new Promise((r) => setTimeout(r, CA_OFFLINE_MAX_S * 1000))]);
  if ((await Promise.race([pledgesDone, Promise.resolve('running')])) === 'running') {
    const ca = new Role('ca', ['ca', 'serve', '--pki', pkiDir, '--db', join(run, 'ca.db'), '--port', String(caPort), '--allow-any', '--log-level', 'warn']);
    await ca.waitFor(/^ready (http:\/\/\S+)/);
    caStarted = true;
    say(`operator RA/CA up at ${caUrl} (CMP over HTTP): the registrar forwards the requests it stored, the pledges collect their LDevIDs at their next poll`);
  }
  const code = await pledgesDone;
  say(`pledges finished (exit ${code})`);

  let results: PledgeEntry[] = [];
  try {
    results = (JSON.parse(readFileSync(jsonFile, 'utf8')) as { pledges: PledgeEntry[] }).pledges;
  } catch (e) {
    say(`no pledge report in ${jsonFile}: ${(e as Error).message}`);
  }
  print('');
  print(
    `pledges (voucher: COSE voucher size and kind; UDP B: CoAP datagrams sent+received; air B: those plus ${FRAME_OVERHEAD} B per 802.15.4 frame; ` +
      `frames: link-layer frames on air; the link lost ${LOSS * 100}% of the datagrams each way):`,
  );
  print(pledgeTable(results));
  const enrolled = results.filter((p) => p.result === 'enrolled').length;
  const sum = (f: (p: PledgeEntry) => number): number => results.reduce((a, p) => a + f(p), 0);
  print(
    `  ${enrolled}/${count} enrolled; ${sum((p) => p.polls)} polls, ${sum((p) => p.retransmissions)} retransmissions, ` +
      `${sum((p) => (p.framesSent ?? 0) + (p.framesReceived ?? 0))} frames on air in all`,
  );

  // The registrar confirms upstream in the background after the pledge's certConf: give it a moment.
  await new Promise((r) => setTimeout(r, 1500));
  const status = spawnSync(brski[0], [brski[1], 'registrar', 'status', '--db', join(run, 'registrar.db'), '--limit', '3'], { encoding: 'utf8', timeout: 20_000 });
  print(`\nregistrar journal (brski registrar status):\n${status.stdout.trimEnd().replace(/^/gm, '  ')}`);

  const before = proxy.lines.length;
  proxy.child.kill('SIGUSR2');
  const counters = await Promise.race([proxy.waitFor(/^counters (.*)$/, before), new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))]);
  if (counters) {
    const c = JSON.parse(counters[1]!) as { relayedUp: number; relayedDown: number; bytesUp: number; bytesDown: number; dropped: Record<string, number>; mappingsCreated: number; expired: number; active: number; peakActive: number };
    const drops = Object.entries(c.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
    print(
      `\njoin proxy counters (SIGUSR2): relayed up ${c.relayedUp} datagrams / ${c.bytesUp} B, down ${c.relayedDown} / ${c.bytesDown} B; ` +
        `pledges admitted ${c.mappingsCreated}, at most ${c.peakActive} at once, ${c.active} still in the table, ${c.expired} expired; dropped: ${drops}`,
    );
    print(`  ${counters[0]}`);
  } else print('\njoin proxy counters: no answer to SIGUSR2');

  if (spawnSync('sh', ['-c', 'command -v coap-client-notls']).status === 0) {
    const wk = spawnSync('coap-client-notls', ['-m', 'get', '-B', '10', `${registrarUri}/.well-known/core`], { encoding: 'utf8', timeout: 15_000 });
    const links = (wk.stdout ?? '').trim();
    print(`\nlibcoap coap-client-notls GET ${registrarUri}/.well-known/core:`);
    print(links ? links.split(/,(?=<)/).map((l) => `  ${l}`).join('\n') : `  (no answer) ${(wk.stderr ?? '').trim()}`);
  } else print('\n(coap-client-notls not installed: no libcoap view of /.well-known/core)');

  const issued = spawnSync(brski[0], [brski[1], 'ca', 'list', '--db', join(run, 'ca.db'), '--limit', '3'], { encoding: 'utf8', timeout: 20_000 });
  if (caStarted) print(`\nRA/CA (brski ca list):\n${issued.stdout.trimEnd().replace(/^/gm, '  ')}`);
  print('');
  say(`files: LDevIDs in ${join(run, 'pledges')}/<serial>/{ldevid.pem,chain.pem}, pledges.json and the databases in ${run}, PKI in ${pkiDir}`);
  const ok = code === 0 && enrolled === count;
  say(ok ? `all ${count} pledges enrolled through the ${px[2]} join proxy` : `FAILED: ${enrolled}/${count} enrolled, the pledges exited with ${code}`);
  return ok ? 0 : 1;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (e) {
  say(`FAILED: ${(e as Error).message}`);
}
clearTimeout(deadline);
stopAll();
process.exit(exitCode);
