/**
 * libcoap's coap-client (4.3) against `brski coap serve`: block-wise GET at every block size,
 * block-wise POST and PUT, /.well-known/core filtering, and error codes. libcoap logs every PDU it
 * sends and receives at -v 7, so each test also checks the exchange from libcoap's side.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLinks } from '../../src/codec/link-format/link-format.ts';
import { makeTempDir, sha256Hex, type TempDir } from '../helpers/files.ts';
import { parseLibcoapPdus } from '../helpers/libcoap-log.ts';
import { BRSKI, killAll, requirePeer, run, spawnReady, type ReadyProcess } from '../helpers/processes.ts';

const SIZE = 5000;

describe('interop: libcoap coap-client -> brski coap serve', function () {
  let client: string;
  let root: TempDir;
  let outDir: TempDir;
  let server: ReadyProcess;
  let base: string;
  let file: Uint8Array;

  before(async function () {
    client = requirePeer(this, 'coap-client-notls');
    root = makeTempDir('brski-serve-');
    outDir = makeTempDir('brski-libcoap-out-');
    file = root.write('r.bin', SIZE);
    root.write('alpha-1.txt', 'first alpha');
    root.write('alpha-2.txt', 'second alpha, a bit longer');
    root.write('beta.txt', 'beta');
    server = await spawnReady(BRSKI, ['coap', 'serve', '--root', root.path, '--port', '0', '--log-level', 'warn'], {
      ready: /^ready coap:\/\/(127\.0\.0\.1:\d+) root=/,
      timeoutMs: 20_000,
    });
    base = `coap://${server.match[1]}`;
  });

  after(async function () {
    await server?.kill();
    await killAll();
    root?.remove();
    outDir?.remove();
  });

  /** coap-client with -v 7 (PDU log on stdout); fails with its output if it does not exit 0. */
  async function coapClient(args: string[]): Promise<{ stderr: string; log: string }> {
    const r = await run(client, ['-v', '7', '-B', '20', ...args], { timeoutMs: 30_000 });
    const log = r.stdout.toString('utf8');
    expect(r.code, `coap-client ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${log.slice(-4000)}`).to.equal(0);
    return { stderr: r.stderr, log };
  }

  for (const b of [16, 64, 256, 1024]) {
    it(`GET a ${SIZE}-byte file with -b ${b}`, async function () {
      const out = join(outDir.path, `get-${b}.bin`);
      const { log } = await coapClient(['-b', String(b), '-o', out, `${base}/r.bin`]);
      expect(Buffer.compare(readFileSync(out), file)).to.equal(0);

      const pdus = parseLibcoapPdus(log);
      // libcoap logs the last response a second time (as handed to the application, with the
      // request's original token): count each message ID once.
      const answers = pdus.filter((p, i) => p.type === 'ACK' && p.code === '2.05' && pdus.findIndex((q) => q.type === 'ACK' && q.mid === p.mid) === i);
      const blocks = Math.ceil(SIZE / b);
      expect(answers.map((p) => p.block2?.num)).to.deep.equal([...Array(blocks).keys()]);
      for (const p of answers) expect(p.block2!.size, `block ${p.block2!.num}`).to.equal(b);
      expect(answers.map((p) => p.block2!.more)).to.deep.equal([...Array(blocks).keys()].map((i) => i < blocks - 1));
      // Every block the server sent is full except the last.
      const lengths = answers.map((p) => p.payloadLength);
      if (lengths.every((l) => l !== undefined)) {
        expect(lengths.reduce((s, l) => s! + l!, 0)).to.equal(SIZE);
        expect(lengths.slice(0, -1).every((l) => l === b)).to.equal(true);
      }
    });
  }

  for (const method of ['post', 'put'] as const) {
    for (const b of [64, 1024]) {
      it(`${method.toUpperCase()} a ${SIZE}-byte body with -b ${b}: the answer is its SHA-256 and the file holds it`, async function () {
        const name = `${method}-${b}.bin`;
        const body = outDir.write(`body-${name}`, SIZE);
        const digestFile = join(outDir.path, `digest-${name}`);
        const { log } = await coapClient(['-m', method, '-b', String(b), '-f', join(outDir.path, `body-${name}`), '-o', digestFile, `${base}/${name}`]);
        expect(readFileSync(digestFile, 'utf8')).to.equal(sha256Hex(body));
        expect(Buffer.compare(readFileSync(join(root.path, name)), body)).to.equal(0);

        const acks = parseLibcoapPdus(log).filter((p) => p.type === 'ACK');
        const blocks = Math.ceil(SIZE / b);
        expect(acks.map((p) => p.code)).to.deep.equal([...Array(blocks - 1).fill('2.31'), '2.01']);
        expect(acks.map((p) => p.block1?.num)).to.deep.equal([...Array(blocks).keys()]);
        for (const p of acks) expect(p.block1!.size).to.equal(b);
      });
    }
  }

  it('PUT to an existing file answers 2.04 Changed and replaces it', async function () {
    const body = outDir.write('replace.bin', 700);
    const { log } = await coapClient(['-m', 'put', '-b', '256', '-f', join(outDir.path, 'replace.bin'), `${base}/beta.txt`]);
    const acks = parseLibcoapPdus(log).filter((p) => p.type === 'ACK');
    expect(acks.at(-1)?.code).to.equal('2.04');
    expect(Buffer.compare(readFileSync(join(root.path, 'beta.txt')), body)).to.equal(0);
  });

  function filesOnDisk(): Map<string, number> {
    const m = new Map<string, number>();
    for (const n of readdirSync(root.path)) if (!n.startsWith('.')) m.set(`/${n}`, statSync(join(root.path, n)).size);
    return m;
  }

  let discoveries = 0;
  async function discover(query: string): Promise<{ text: string; code: string | undefined }> {
    // A fresh file each time: coap-client leaves -o untouched when the payload is empty.
    const out = join(outDir.path, `wkc-${++discoveries}.txt`);
    writeFileSync(out, '');
    const { log } = await coapClient(['-o', out, `${base}/.well-known/core${query}`]);
    const last = parseLibcoapPdus(log).filter((p) => p.type === 'ACK').at(-1);
    return { text: readFileSync(out, 'utf8'), code: last?.code };
  }

  it('GET /.well-known/core?rt=file lists every file with rt, ct and sz', async function () {
    const { text, code } = await discover('?rt=file');
    expect(code).to.equal('2.05');
    const links = parseLinks(text);
    const onDisk = filesOnDisk();
    expect(links.map((l) => l.href).sort()).to.deep.equal([...onDisk.keys()].sort());
    for (const l of links) {
      expect(l.attrs.rt, l.href).to.equal('file');
      expect(l.attrs.sz, l.href).to.equal(onDisk.get(l.href));
      expect(l.attrs.ct, l.href).to.equal(l.href.endsWith('.txt') ? 0 : 42);
    }
  });

  it('GET /.well-known/core?rt=nomatch answers 2.05 with an empty list', async function () {
    const { text, code } = await discover('?rt=nomatch');
    expect(code).to.equal('2.05');
    expect(text).to.equal('');
  });

  it('GET /.well-known/core?href=/alpha* filters by prefix', async function () {
    const { text, code } = await discover('?href=/alpha*');
    expect(code).to.equal('2.05');
    expect(parseLinks(text).map((l) => l.href)).to.deep.equal(['/alpha-1.txt', '/alpha-2.txt']);
  });

  it('GET of a missing file answers 4.04', async function () {
    const r = await run(client, ['-B', '20', `${base}/no-such-file.bin`], { timeoutMs: 30_000 });
    expect(r.code).to.equal(0);
    expect(r.stderr).to.match(/^4\.04\b/m);
    expect(r.stdout.length).to.equal(0);
  });

  it('FETCH on a file answers 4.05 Method Not Allowed', async function () {
    const r = await run(client, ['-B', '20', '-m', 'fetch', `${base}/r.bin`], { timeoutMs: 30_000 });
    expect(r.code).to.equal(0);
    expect(r.stderr).to.match(/^4\.05 FETCH not allowed/m);
  });

  it('DELETE on /.well-known/core answers 4.05', async function () {
    const r = await run(client, ['-B', '20', '-m', 'delete', `${base}/.well-known/core`], { timeoutMs: 30_000 });
    expect(r.code).to.equal(0);
    expect(r.stderr).to.match(/^4\.05\b/m);
  });
});
