/**
 * Our client against libcoap's coap-server (4.3, `-d 10`: PUT creates dynamic resources): a 5 KB
 * body goes up as Block1 and comes back as Block2 at 64-byte blocks, through the library
 * (Endpoint + BlockwiseLayer over UDP, every message traced) and once through `brski coap put|get`.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBlockOption, blockSize } from '../../src/codec/coap/block-option.ts';
import type { CoapMessage } from '../../src/codec/coap/message.ts';
import { Code, formatCode } from '../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../src/codec/coap/numbers/options.ts';
import { ACK, CON } from '../../src/codec/coap/numbers/types.ts';
import { findOption } from '../../src/codec/coap/option-value.ts';
import { pathOptions } from '../../src/codec/coap/uri.ts';
import { BlockwiseLayer } from '../../src/stack/blockwise-layer.ts';
import { Endpoint, type TraceDirection } from '../../src/stack/endpoint.ts';
import { UdpTransport } from '../../src/transport/udp.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';
import { BRSKI, freeUdpPort, killAll, requirePeer, run, spawnReady, type ReadyProcess } from '../helpers/processes.ts';

const SIZE = 5000;
const BLOCK = 64;
const BLOCKS = Math.ceil(SIZE / BLOCK);

describe('interop: our client -> libcoap coap-server', function () {
  let server: ReadyProcess;
  let port: number;
  let tmp: TempDir;

  before(async function () {
    const bin = requirePeer(this, 'coap-server-notls');
    tmp = makeTempDir('brski-libcoap-srv-');
    port = await freeUdpPort();
    // -v 7 logs "created UDP  endpoint 127.0.0.1:PORT" once it listens (and every PDU after).
    server = await spawnReady(bin, ['-A', '127.0.0.1', '-p', String(port), '-d', '10', '-v', '7'], {
      ready: new RegExp(`created UDP\\s+endpoint 127\\.0\\.0\\.1:${port}\\b`),
      readyOn: 'both',
      timeoutMs: 10_000,
    });
  });

  after(async function () {
    await server?.kill();
    await killAll();
    tmp?.remove();
  });

  describe('library Endpoint + BlockwiseLayer over UdpTransport', function () {
    let endpoint: Endpoint;
    const trace: { dir: TraceDirection; msg: CoapMessage }[] = [];
    const peer = (): { address: string; port: number } => ({ address: '127.0.0.1', port });

    before(async function () {
      const transport = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
      endpoint = new Endpoint(transport, [new BlockwiseLayer({ preferredBlockSize: BLOCK })], {
        tracer: (dir, msg) => trace.push({ dir, msg }),
      });
    });

    after(async function () {
      await endpoint?.close();
    });

    it(`PUT ${SIZE} bytes at ${BLOCK}-byte blocks to a dynamic resource, GET them back at ${BLOCK}-byte blocks`, async function () {
      const body = new Uint8Array(randomBytes(SIZE));
      const options = pathOptions('/brski-lib-test');

      trace.length = 0;
      const put = await endpoint.request({ method: Code.PUT, options, payload: body, peer: peer(), confirmable: true, blockSize: BLOCK });
      expect(formatCode(put.code), server.stdout().slice(-2000)).to.equal('2.01');
      const putOut = trace.filter((t) => t.dir === 'out').map((t) => t.msg);
      const putIn = trace.filter((t) => t.dir === 'in').map((t) => t.msg);
      // One CON PUT per block, numbered 0..n-1, each at SZX 2 (64 bytes); 2.31 for all but the last.
      expect(putOut.every((m) => m.type === CON && m.code === Code.PUT)).to.equal(true);
      expect(putOut.map((m) => decodeBlockOption(findOption(m, Opt.BLOCK1)!).num)).to.deep.equal([...Array(BLOCKS).keys()]);
      expect(putOut.every((m) => blockSize(decodeBlockOption(findOption(m, Opt.BLOCK1)!).szx) === BLOCK)).to.equal(true);
      expect(putIn.map((m) => formatCode(m.code))).to.deep.equal([...Array(BLOCKS - 1).fill('2.31'), '2.01']);

      trace.length = 0;
      const get = await endpoint.request({ method: Code.GET, options, payload: new Uint8Array(0), peer: peer(), confirmable: true, blockSize: BLOCK });
      expect(formatCode(get.code)).to.equal('2.05');
      expect(Buffer.compare(get.payload, body)).to.equal(0);
      const getIn = trace.filter((t) => t.dir === 'in').map((t) => t.msg);
      expect(getIn.length).to.equal(BLOCKS);
      expect(getIn.every((m) => m.type === ACK && m.code === Code.CONTENT)).to.equal(true);
      expect(getIn.map((m) => decodeBlockOption(findOption(m, Opt.BLOCK2)!).num)).to.deep.equal([...Array(BLOCKS).keys()]);
      expect(getIn.every((m) => blockSize(decodeBlockOption(findOption(m, Opt.BLOCK2)!).szx) === BLOCK)).to.equal(true);
    });

    it(`no datagram in either direction carried more than ${BLOCK} bytes of payload`, async function () {
      // Re-run a full round trip with a fresh resource, then look at every traced message.
      trace.length = 0;
      const body = new Uint8Array(randomBytes(SIZE));
      const options = pathOptions('/brski-lib-test-2');
      await endpoint.request({ method: Code.PUT, options, payload: body, peer: peer(), confirmable: true, blockSize: BLOCK });
      const got = await endpoint.request({ method: Code.GET, options, payload: new Uint8Array(0), peer: peer(), confirmable: true, blockSize: BLOCK });
      expect(Buffer.compare(got.payload, body)).to.equal(0);
      expect(trace.length).to.be.at.least(4 * BLOCKS);
      const oversize = trace.filter((t) => t.msg.payload.length > BLOCK);
      expect(oversize.map((t) => `${t.dir} ${formatCode(t.msg.code)} ${t.msg.payload.length} B`)).to.deep.equal([]);
      // Payload that did travel adds up to the body, twice (up and down).
      const total = (dir: TraceDirection): number => trace.filter((t) => t.dir === dir).reduce((s, t) => s + t.msg.payload.length, 0);
      expect(total('out')).to.equal(SIZE);
      expect(total('in')).to.equal(SIZE);
    });
  });

  describe('brski coap put|get --block-size 64', function () {
    it('stores a 5 KB body and reads it back byte for byte, every message at most 64 bytes of payload', async function () {
      const body = tmp.write('cli-body.bin', SIZE);
      const uri = `coap://127.0.0.1:${port}/brski-cli-test`;
      const put = await run(BRSKI, ['coap', 'put', uri, '--file', join(tmp.path, 'cli-body.bin'), '--block-size', String(BLOCK), '--verbose', '--timeout', '20']);
      expect(put.code, put.stderr.slice(-3000)).to.equal(0);
      expect(put.stderr).to.match(/^2\.01 /m);
      const out = join(tmp.path, 'cli-back.bin');
      const get = await run(BRSKI, ['coap', 'get', uri, '--out', out, '--block-size', String(BLOCK), '--verbose', '--timeout', '20']);
      expect(get.code, get.stderr.slice(-3000)).to.equal(0);
      expect(get.stderr).to.match(new RegExp(`^2\\.05 .*${SIZE} bytes$`, 'm'));
      expect(Buffer.compare(readFileSync(out), body)).to.equal(0);

      // The --verbose trace: "→ 127.0.0.1:P CON [MID=..] PUT T=.. Uri-Path:".." Block1:3/1/64 payload 64 B".
      for (const [name, r, opt, n] of [
        ['put', put, 'Block1', BLOCKS],
        ['get', get, 'Block2', BLOCKS],
      ] as const) {
        const lines = r.stderr.split('\n').filter((l) => /^[→←] /.test(l));
        expect(lines.length, name).to.equal(2 * n);
        for (const l of lines) {
          const p = /payload (\d+) B/.exec(l);
          if (p) expect(Number(p[1]), l).to.be.at.most(BLOCK);
        }
        const blocks = lines.filter((l) => l.startsWith(name === 'put' ? '→' : '←')).map((l) => new RegExp(`${opt}:(\\d+)/[01]/(\\d+)`).exec(l));
        expect(blocks.map((m) => Number(m?.[1]))).to.deep.equal([...Array(n).keys()]);
        expect(blocks.every((m) => Number(m?.[2]) === BLOCK)).to.equal(true);
      }
    });
  });
});
