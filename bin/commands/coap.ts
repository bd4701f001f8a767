/**
 * `brski coap get|post|put|delete <uri>`: a CoAP client for field checks;
 * `brski coap serve`: a resource server over a directory (see coap-serve.ts).
 */
import { lookup } from 'node:dns/promises';
import { readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { Code, formatCode, isSuccess, methodFromName } from '../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../src/codec/coap/numbers/options.ts';
import { uintOpt, uintOption } from '../../src/codec/coap/option-value.ts';
import { parseCoapUri, uriOptions } from '../../src/codec/coap/uri.ts';
import { isStackError } from '../../src/core/errors.ts';
import { BlockwiseLayer } from '../../src/stack/blockwise-layer.ts';
import { Endpoint } from '../../src/stack/endpoint.ts';
import { UdpTransport } from '../../src/transport/udp.ts';
import { serve } from './coap-serve.ts';
import { stderrTracer } from '../../cli/trace.ts';

const CLIENT_HELP = `usage: brski coap <get|post|put|delete> <coap://host[:port]/path[?query]> [options]
       brski coap serve --root DIR [--port N] [options]   (brski coap serve --help)

client options:
  --file F              request payload from file F ('-' for stdin)
  --payload TEXT        request payload given inline
  --out F               write the response payload to F (default: stdout)
  --content-format N    Content-Format of the payload (e.g. 0 text, 42 octets, 60 cbor, 259 pkixcmp)
  --accept N            Accept option
  --block-size N        block size for Block1 and early Block2 negotiation: 16..1024 (default 1024)
  --non                 send a NON request instead of CON
  --timeout S           give up after S seconds (default 93)
  --verbose             trace every message sent and received on stderr
exit status: 0 on a 2.xx response, 1 on 4.xx/5.xx, 2 on usage or transport errors`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'serve') return serve(rest);
  if (!sub || sub === '--help' || sub === '-h') {
    process.stdout.write(`${CLIENT_HELP}\n`);
    return sub ? 0 : 2;
  }
  const method = methodFromName(sub);
  if (!method) {
    process.stderr.write(`brski coap: unknown method '${sub}'\n${CLIENT_HELP}\n`);
    return 2;
  }
  let args;
  try {
    args = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        file: { type: 'string' },
        payload: { type: 'string' },
        out: { type: 'string' },
        'content-format': { type: 'string' },
        accept: { type: 'string' },
        'block-size': { type: 'string' },
        non: { type: 'boolean' },
        timeout: { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`brski coap: ${(e as Error).message}\n`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(`${CLIENT_HELP}\n`);
    return 0;
  }
  if (args.positionals.length !== 1) {
    process.stderr.write(`brski coap ${sub}: exactly one URI expected\n`);
    return 2;
  }
  const int = (name: string, s: string | undefined): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, got '${s}'`);
    return n;
  };
  let endpoint: Endpoint | undefined;
  try {
    const uri = parseCoapUri(args.positionals[0]!);
    if (uri.scheme !== 'coap') throw new Error('coaps (DTLS) is not supported by this client; use coap://');
    const address = isIP(uri.host) ? uri.host : (await lookup(uri.host)).address;
    const payload = v.file !== undefined ? new Uint8Array((v.file === '-' ? await readStdin() : await readFile(v.file))) : new TextEncoder().encode(v.payload ?? '');
    const options = uriOptions(uri);
    const cf = int('content-format', v['content-format']);
    const accept = int('accept', v.accept);
    if (cf !== undefined) options.push(uintOpt(Opt.CONTENT_FORMAT, cf));
    if (accept !== undefined) options.push(uintOpt(Opt.ACCEPT, accept));
    options.sort((a, b) => a.number - b.number);
    const blockSize = int('block-size', v['block-size']);
    const timeoutS = int('timeout', v.timeout) ?? 93;
    const transport = await UdpTransport.bind({ host: isIP(address) === 6 ? '::' : '0.0.0.0', port: 0 });
    const tracer = v.verbose ? stderrTracer() : undefined;
    endpoint = new Endpoint(transport, [new BlockwiseLayer(blockSize ? { preferredBlockSize: Math.max(blockSize, 16) } : {})], { tracer });
    const res = await endpoint.request({
      method,
      options,
      payload,
      peer: { address, port: uri.port },
      confirmable: !v.non,
      blockSize,
      timeoutMs: timeoutS * 1000,
    });
    const rcf = uintOption(res, Opt.CONTENT_FORMAT);
    process.stderr.write(`${formatCode(res.code)}${rcf !== undefined ? ` (content-format ${rcf})` : ''} ${res.payload.length} bytes\n`);
    if (v.out) await writeFile(v.out, res.payload);
    else if (res.payload.length) process.stdout.write(res.payload);
    return isSuccess(res.code) || res.code === Code.CONTINUE ? 0 : 1;
  } catch (e) {
    process.stderr.write(`brski coap: ${isStackError(e) ? `${e.code}: ${e.message}` : (e as Error).message}\n`);
    return 2;
  } finally {
    await endpoint?.close();
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
