/**
 * libcoap's coap-client, through the stateful join proxy, reaches the registrar's /.well-known/core.
 *
 * The real `brski registrar serve` (OSCORE, vouchers with a real `brski masa serve`, a JPY port)
 * behind `brski proxy --mode stateful --registrar HOST:PORT`. libcoap's `coap-client-notls` asks
 * the proxy's join port, as a pledge would, and must see the registrar's links: the one it gets
 * from the registrar directly, byte for byte. With `-b 64` libcoap fetches the (longer) answer
 * block-wise through the proxy, and its PDU log (`-v 7`) shows every Block2 it got. The proxy's
 * counters show that the traffic went through it.
 *
 * Missing coap-client-notls: skipped loudly on a developer machine, a failure under CI (CI=true).
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLinks, type Link } from '../../src/codec/link-format/link-format.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';
import { readProxyCounters, startProxy, type ProxyProcess } from '../helpers/join-proxy.ts';
import { parseLibcoapPdus } from '../helpers/libcoap-log.ts';
import { BRSKI, killAll, requirePeer, run, spawnReady, type ReadyProcess } from '../helpers/processes.ts';

const BLOCK = 64;

describe('interop: libcoap coap-client → brski proxy --mode stateful → brski registrar serve', function () {
  this.timeout(90_000);
  let client: string;
  let dir: TempDir;
  let registrar: ReadyProcess;
  let registrarPort: number;
  let jpyUrl: string;
  let proxy: ProxyProcess;
  let outputs = 0;

  before(async function () {
    client = requirePeer(this, 'coap-client-notls');
    dir = makeTempDir('brski-proxy-libcoap-');
    const pkiDir = join(dir.path, 'pki');
    const init = await run(BRSKI, ['pki', 'init', pkiDir, '--pledges', '1'], { timeoutMs: 60_000 });
    expect(init.code, init.stderr).to.equal(0);
    const masa = await spawnReady(BRSKI, ['masa', 'serve', '--pki', pkiDir, '--db', join(dir.path, 'masa.db'), '--port', '0', '--first-claim', '--log-level', 'warn'], {
      ready: /^ready (https:\/\/127\.0\.0\.1:\d+)$/,
      timeoutMs: 30_000,
    });
    registrar = await spawnReady(
      BRSKI,
      [
        'registrar', 'serve', '--pki', pkiDir, '--db', join(dir.path, 'registrar.db'), '--port', '0', '--allow-any',
        '--security', 'oscore', '--masa-url', masa.match[1]!, '--require-voucher', '--jpy-port', '0', '--log-level', 'warn',
      ],
      { ready: /^ready coap:\/\/127\.0\.0\.1:(\d+) (jpy:\/\/\S+)$/, timeoutMs: 30_000 },
    );
    registrarPort = Number(registrar.match[1]);
    jpyUrl = registrar.match[2]!;
    proxy = await startProxy(['--mode', 'stateful', '--registrar', `127.0.0.1:${registrarPort}`, '--max-per-address', '0']);
    expect(proxy.mode).to.equal('stateful');
    expect(proxy.join.port).to.not.equal(registrarPort);
  });

  after(async () => {
    await killAll();
    dir?.remove();
  });

  /** coap-client-notls -v 7 ... -o FILE URI: the payload (from the file) and libcoap's PDU log. */
  async function get(uri: string, extra: string[] = []): Promise<{ payload: string; log: string }> {
    // A fresh file each time: coap-client leaves -o untouched when the payload is empty.
    const out = join(dir.path, `wkc-${++outputs}.txt`);
    writeFileSync(out, '');
    const r = await run(client, ['-v', '7', '-B', '20', '-m', 'get', ...extra, '-o', out, uri], { timeoutMs: 30_000 });
    const log = r.stdout.toString('utf8');
    expect(r.code, `coap-client ${extra.join(' ')} ${uri} exited ${r.code}\n${r.stderr}\n${log.slice(-4000)}`).to.equal(0);
    return { payload: readFileSync(out, 'utf8'), log };
  }

  const byHref = (links: readonly Link[]): Map<string, Link> => new Map(links.map((l) => [l.href, l]));

  it("GET /.well-known/core at the proxy's join port lists the registrar's resources, as the registrar itself does", async () => {
    const before = await readProxyCounters(proxy.proc);
    const via = await get(`coap://127.0.0.1:${proxy.join.port}/.well-known/core`);
    const after = await readProxyCounters(proxy.proc);
    const direct = await get(`coap://127.0.0.1:${registrarPort}/.well-known/core`);
    expect(via.payload, 'the same links through the proxy as from the registrar').to.equal(direct.payload);

    const links = byHref(parseLinks(via.payload));
    expect(links.get('/.well-known/brski')?.attrs.rt).to.equal('brski');
    expect(links.get('/.well-known/edhoc')?.attrs.rt).to.equal('core.edhoc');
    expect(links.get('/.well-known/cmp')?.attrs.rt).to.equal('ace.cmp');
    expect(links.get('/.well-known/cmp')?.attrs.ct).to.equal(259);
    expect(links.get('/.well-known/brski/rv')?.attrs.rt).to.equal('brski.rv');
    expect(links.get('/.well-known/brski/vs')?.attrs.rt).to.equal('brski.vs');
    expect(links.get(jpyUrl)?.attrs.rt, 'the JPY port for stateless proxies').to.equal('brski.rjp');

    expect(after.relayedUp - before.relayedUp, 'datagrams relayed to the registrar').to.be.at.least(1);
    expect(after.relayedDown - before.relayedDown, 'datagrams relayed back').to.be.at.least(1);
    expect(after.mappingsCreated - before.mappingsCreated, 'coap-client became one pledge entry').to.equal(1);
    expect(after.dropped.source + after.dropped.stale + after.dropped.cap).to.equal(0);
  });

  it(`with -b ${BLOCK} libcoap fetches the links block-wise (Block2) through the proxy`, async () => {
    const whole = (await get(`coap://127.0.0.1:${registrarPort}/.well-known/core`)).payload;
    expect(whole.length, 'the answer needs more than one block').to.be.greaterThan(BLOCK);
    const before = await readProxyCounters(proxy.proc);
    const { payload, log } = await get(`coap://127.0.0.1:${proxy.join.port}/.well-known/core`, ['-b', String(BLOCK)]);
    const after = await readProxyCounters(proxy.proc);
    expect(payload).to.equal(whole);

    const pdus = parseLibcoapPdus(log);
    // libcoap logs the last response a second time (as handed to the application): count each message ID once.
    const answers = pdus.filter((p, i) => p.type === 'ACK' && p.code === '2.05' && pdus.findIndex((q) => q.type === 'ACK' && q.mid === p.mid) === i);
    const blocks = Math.ceil(Buffer.byteLength(whole) / BLOCK);
    expect(answers.map((p) => p.block2?.num), 'Block2 numbers libcoap received').to.deep.equal([...Array(blocks).keys()]);
    for (const p of answers) expect(p.block2!.size, `block ${p.block2!.num}`).to.equal(BLOCK);
    expect(answers.map((p) => p.block2!.more)).to.deep.equal([...Array(blocks).keys()].map((i) => i < blocks - 1));
    const requests = pdus.filter((p) => p.type === 'CON' && p.code === 'GET');
    expect(requests.length, 'one GET per block').to.be.at.least(blocks);
    expect(after.relayedUp - before.relayedUp, 'each block request went through the proxy').to.be.at.least(blocks);
    expect(after.relayedDown - before.relayedDown, 'each block came back through the proxy').to.be.at.least(blocks);
  });

  it('GET /.well-known/core?rt=brski* through the proxy gives only the BRSKI links', async () => {
    const { payload } = await get(`coap://127.0.0.1:${proxy.join.port}/.well-known/core?rt=brski*`);
    const links = parseLinks(payload);
    expect(links.length).to.be.greaterThan(1);
    for (const l of links) expect(String(l.attrs.rt), l.href).to.match(/^brski/);
    expect(links.map((l) => l.href)).to.include.members(['/.well-known/brski', jpyUrl]);
  });
});
