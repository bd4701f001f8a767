/**
 * `npm run demo` (for now: the CoAP layer of the system, over an emulated 6LoWPAN-class link).
 *
 * 0. creates the test PKI in demo-out/pki if absent (`brski pki init`) and checks its chains;
 * 1. starts `brski coap serve` as its own process on loopback, serving a directory with a 5 KB
 *    file (a stand-in for a certificate chain);
 * 2. from this process, a client endpoint behind the link emulator (10% loss each way, 250 kbit/s,
 *    MAX_RETRANSMIT 6 as suits such a link,
 *    127-byte MTU) GETs it and POSTs 5 KB back in 64-byte blocks, checking bytes and SHA-256;
 * 3. with libcoap installed, coap-client-notls fetches the same file at 64-byte blocks;
 * 4. prints what happened: datagrams, bytes, retransmissions, losses, time.
 * Exits 0 only if every transfer returned the right bytes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, formatCode } from '../src/codec/coap/numbers/codes.ts';
import { pathOptions } from '../src/codec/coap/uri.ts';
import { BlockwiseLayer } from '../src/stack/blockwise-layer.ts';
import { Endpoint } from '../src/stack/endpoint.ts';
import { LinkEmulator } from '../src/transport/link-emulator.ts';
import { UdpTransport } from '../src/transport/udp.ts';

const dir = mkdtempSync(join(tmpdir(), 'brski-demo-'));
const root = join(dir, 'root');
const file = randomBytes(5000);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function startServer(): Promise<{ port: number; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/brski', 'coap', 'serve', '--root', root, '--port', '0', '--block-size', '64', '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready coap:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ port: Number(m[1]), stop: () => child.kill('SIGTERM') });
    });
    child.on('exit', (code) => reject(new Error(`brski coap serve exited with ${code}: ${out}`)));
  });
}

const rows: string[][] = [];
let ok = true;
const row = (what: string, good: boolean, detail: string): void => {
  ok &&= good;
  rows.push([what, good ? 'ok' : 'FAILED', detail]);
};

const pkiDir = join('demo-out', 'pki');
if (!existsSync(join(pkiDir, 'pki.json'))) {
  const r = spawnSync(process.execPath, ['bin/brski', 'pki', 'init', pkiDir, '--pledges', '5'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`brski pki init failed: ${r.stderr}`);
  console.log(`demo: created the test PKI in ${pkiDir} (brski pki init --pledges 5)`);
}
const show = spawnSync(process.execPath, ['bin/brski', 'pki', 'show', pkiDir], { encoding: 'utf8' });
row('test PKI: every certificate chain verifies', show.status === 0, show.stdout.trim().split('\n').at(-1) ?? '');
mkdirSync(root, { recursive: true });
writeFileSync(join(root, 'chain.der'), file);
const server = await startServer();
console.log(`demo: brski coap serve (pid separate) listening on udp 127.0.0.1:${server.port}, root ${root}`);

const link = new LinkEmulator(await UdpTransport.bind({ host: '127.0.0.1', port: 0 }), {
  up: { loss: 0.1, rateBps: 250_000, mtu: 127, framePayload: 127 },
  down: { loss: 0.1, rateBps: 250_000, mtu: 127, framePayload: 127 },
});
const client = new Endpoint(link, [new BlockwiseLayer({ preferredBlockSize: 64 })], { config: { ackTimeoutMs: 300, maxRetransmit: 6 } });
const peer = { address: '127.0.0.1', port: server.port };
try {
  let t = performance.now();
  const got = await client.request({ method: Code.GET, options: pathOptions('/chain.der'), payload: new Uint8Array(0), peer, confirmable: true, blockSize: 64 });
  row('GET /chain.der, Block2 64 B, lossy link', formatCode(got.code) === '2.05' && sha(got.payload) === sha(file), `${formatCode(got.code)} ${got.payload.length} B in ${(performance.now() - t).toFixed(0)} ms`);
  t = performance.now();
  const up = randomBytes(5000);
  const posted = await client.request({ method: Code.POST, options: pathOptions('/upload.bin'), payload: up, peer, confirmable: true, blockSize: 64 });
  const answer = new TextDecoder().decode(posted.payload);
  row('POST /upload.bin, Block1 64 B, lossy link', answer === sha(up) && sha(readFileSync(join(root, 'upload.bin'))) === sha(up), `${formatCode(posted.code)} sha256 ${answer.slice(0, 16)}… in ${(performance.now() - t).toFixed(0)} ms`);
  const hasLibcoap = spawnSync('sh', ['-c', 'command -v coap-client-notls']).status === 0;
  if (hasLibcoap) {
    const out = join(dir, 'libcoap.der');
    const r = spawnSync('coap-client-notls', ['-m', 'get', '-b', '64', '-o', out, `coap://127.0.0.1:${server.port}/chain.der`], { timeout: 30_000 });
    const same = r.status === 0 && sha(readFileSync(out)) === sha(file);
    row('libcoap coap-client-notls -b 64 GET', same, `exit ${r.status}`);
  } else rows.push(['libcoap coap-client-notls -b 64 GET', 'skipped', 'libcoap3-bin not installed']);
} catch (e) {
  row('transfer', false, (e as Error).message);
} finally {
  await client.close();
  server.stop();
}

const c = link.counters;
const s = client.stats;
console.log('');
const widths = [44, 8, 50];
for (const r of [['transfer', 'result', 'detail'], ...rows]) console.log(r.map((x, i) => x.padEnd(widths[i]!)).join(' '));
console.log('');
console.log(`client link: up ${c.up.datagrams} datagrams / ${c.up.bytes} B (lost ${c.up.lost}), down ${c.down.datagrams} datagrams / ${c.down.bytes} B (lost ${c.down.lost}); retransmissions ${s.retransmissions}`);
console.log(`files in ${root}`);
console.log(ok ? 'demo: all transfers correct' : 'demo: FAILED');
process.exit(ok ? 0 : 1);
