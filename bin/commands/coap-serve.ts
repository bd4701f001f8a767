/**
 * `brski coap serve`: a CoAP resource server over a directory. GET serves files (Block2 for large
 * ones), PUT and POST store the body and answer its SHA-256 (hex), DELETE removes a file, and
 * /.well-known/core lists every file with rt, ct and sz. File contents are cached in memory
 * (bounded) and revalidated against the file's mtime at most once a second.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { Code } from '../../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../../src/codec/coap/numbers/options.ts';
import { uintOpt } from '../../src/codec/coap/option-value.ts';
import type { CoapOption } from '../../src/codec/coap/message.ts';
import type { Link } from '../../src/codec/link-format/link-format.ts';
import { JsonLogger, type LogLevel, type Logger } from '../../src/core/logger.ts';
import { BlockwiseLayer } from '../../src/stack/blockwise-layer.ts';
import { Endpoint } from '../../src/stack/endpoint.ts';
import { response, type CoapResponse } from '../../src/stack/exchange.ts';
import { Router, type RoutedRequest } from '../../src/stack/router.ts';
import { formatPeer } from '../../src/transport/transport.ts';
import { UdpTransport } from '../../src/transport/udp.ts';
import { stderrTracer } from '../../cli/trace.ts';
import { untilStopped } from '../../cli/until-stopped.ts';

const HELP = `usage: brski coap serve --root DIR [options]

  --root DIR            directory to serve (created if missing)
  --host H              address to bind (default 127.0.0.1; '::' for all, dual stack)
  --port N              UDP port (default 5683; 0 picks a free one)
  --block-size N        largest block size used: 16..1024 (default 1024)
  --max-body N          largest request or response body in bytes (default 1048576)
  --max-files N         files listed in /.well-known/core at most (default 1000)
  --log-level L         debug|info|warn|error (default info); logs are JSON lines on stderr
  --verbose             trace every message on stderr
Prints "ready coap://HOST:PORT root=DIR" on stdout once it listens. Stops on SIGINT or SIGTERM.`;

const CF_BY_EXT: Record<string, number> = {
  '.txt': ContentFormat.TEXT_PLAIN,
  '.json': ContentFormat.JSON,
  '.cbor': ContentFormat.CBOR,
  '.wlnk': ContentFormat.LINK_FORMAT,
  '.der': ContentFormat.PKIX_CERT,
  '.crt': ContentFormat.PKIX_CERT,
  '.p10': ContentFormat.PKCS10,
  '.csr': ContentFormat.PKCS10,
  '.pkixcmp': ContentFormat.PKIXCMP,
  '.cmp': ContentFormat.PKIXCMP,
};

const MAX_CACHE_BYTES = 64 << 20;
const REVALIDATE_MS = 1000;

interface CachedFile {
  data: Uint8Array;
  mtimeMs: number;
  checkedAt: number;
}

export class DirectoryResources {
  private readonly cache = new Map<string, CachedFile>();
  private cacheBytes = 0;
  private listing: Link[] = [];

  constructor(
    readonly root: string,
    private readonly maxBody: number,
    private readonly maxFiles: number,
    private readonly logger: Logger,
  ) {}

  install(router: Router): void {
    router.add({
      path: '/',
      prefix: true,
      hidden: true,
      links: () => this.listing,
      methods: {
        [Code.GET]: (r) => this.get(r),
        [Code.PUT]: (r) => this.store(r, 'PUT'),
        [Code.POST]: (r) => this.store(r, 'POST'),
        [Code.DELETE]: (r) => this.remove(r),
      },
    });
  }

  /** Rebuilds the /.well-known/core listing (called at start and after every change). */
  async refreshListing(): Promise<void> {
    const links: Link[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        if (links.length >= this.maxFiles) return;
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile() && !e.name.startsWith('.')) {
          const st = await stat(p);
          const href = `/${relative(this.root, p).split(sep).map(encodeURIComponent).join('/')}`;
          links.push({ href, attrs: { rt: 'file', ct: contentFormatOf(p), sz: st.size } });
        }
      }
    };
    await walk(this.root);
    this.listing = links;
  }

  /** Path → resolved file and its Content-Format option (bounded; only paths that resolved). */
  private readonly resolved = new Map<string, { file: string; cf: CoapOption[] }>();

  private lookup(r: RoutedRequest): { file: string; cf: CoapOption[] } | undefined {
    const key = r.path.join('/');
    let hit = this.resolved.get(key);
    if (!hit) {
      const file = this.fileOf(r);
      if (!file) return undefined;
      hit = { file, cf: [uintOpt(Opt.CONTENT_FORMAT, contentFormatOf(file))] };
      if (this.resolved.size >= 4096) this.resolved.clear();
      this.resolved.set(key, hit);
    }
    return hit;
  }

  private fileOf(r: RoutedRequest): string | undefined {
    const segs = r.path;
    if (segs.length === 0) return undefined;
    for (const s of segs) {
      if (s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\\') || s.includes('\0') || s.startsWith('.')) return undefined;
    }
    const p = resolve(this.root, ...segs);
    return p.startsWith(this.root + sep) ? p : undefined;
  }

  private async get(r: RoutedRequest): Promise<CoapResponse> {
    const hit = this.lookup(r);
    if (!hit) return response(Code.NOT_FOUND);
    const file = hit.file;
    const now = Date.now();
    let c = this.cache.get(file);
    if (!c || now - c.checkedAt > REVALIDATE_MS) {
      let st;
      try {
        st = await stat(file);
      } catch {
        this.forget(file);
        return response(Code.NOT_FOUND);
      }
      if (!st.isFile()) return response(Code.NOT_FOUND);
      if (st.size > this.maxBody) return response(Code.INTERNAL_SERVER_ERROR, `file of ${st.size} bytes exceeds --max-body`);
      if (!c || c.mtimeMs !== st.mtimeMs || c.data.length !== st.size) {
        const data = new Uint8Array(await readFile(file));
        this.forget(file);
        c = { data, mtimeMs: st.mtimeMs, checkedAt: now };
        if (this.cacheBytes + data.length <= MAX_CACHE_BYTES) {
          this.cache.set(file, c);
          this.cacheBytes += data.length;
        }
      } else c.checkedAt = now;
    }
    return response(Code.CONTENT, c.data, hit.cf);
  }

  private async store(r: RoutedRequest, method: string): Promise<CoapResponse> {
    const file = this.fileOf(r);
    if (!file) return response(Code.FORBIDDEN, 'path not allowed');
    let existed = true;
    try {
      const st = await stat(file);
      if (!st.isFile()) return response(Code.FORBIDDEN, 'not a file');
    } catch {
      existed = false;
    }
    await mkdir(resolve(file, '..'), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, r.payload);
    await rename(tmp, file);
    this.forget(file);
    const digest = createHash('sha256').update(r.payload).digest('hex');
    this.logger.info('stored', { method, file: relative(this.root, file), bytes: r.payload.length, sha256: digest });
    await this.refreshListing();
    return response(existed ? Code.CHANGED : Code.CREATED, digest, [uintOpt(Opt.CONTENT_FORMAT, ContentFormat.TEXT_PLAIN)]);
  }

  private async remove(r: RoutedRequest): Promise<CoapResponse> {
    const file = this.fileOf(r);
    if (!file) return response(Code.NOT_FOUND);
    try {
      await unlink(file);
    } catch {
      return response(Code.NOT_FOUND);
    }
    this.forget(file);
    await this.refreshListing();
    return response(Code.DELETED);
  }

  private forget(file: string): void {
    const c = this.cache.get(file);
    if (c) {
      this.cacheBytes -= c.data.length;
      this.cache.delete(file);
    }
  }
}

function contentFormatOf(file: string): number {
  return CF_BY_EXT[extname(file).toLowerCase()] ?? ContentFormat.OCTET_STREAM;
}

export async function serve(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        root: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '5683' },
        'block-size': { type: 'string', default: '1024' },
        'max-body': { type: 'string', default: String(1 << 20) },
        'max-files': { type: 'string', default: '1000' },
        'log-level': { type: 'string', default: 'info' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`brski coap serve: ${(e as Error).message}\n`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (!v.root) {
    process.stderr.write(`brski coap serve: --root DIR is required\n${HELP}\n`);
    return 2;
  }
  const level = v['log-level'] as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    process.stderr.write(`brski coap serve: --log-level must be debug, info, warn or error\n`);
    return 2;
  }
  const logger = new JsonLogger((l) => process.stderr.write(l), level, { service: 'coap-serve' });
  const root = resolve(v.root);
  await mkdir(root, { recursive: true });
  const maxBody = Number(v['max-body']);
  const transport = await UdpTransport.bind({ host: v.host, port: Number(v.port), logger, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  const tracer = v.verbose ? stderrTracer() : undefined;
  const blockwise = new BlockwiseLayer({ preferredBlockSize: Number(v['block-size']), maxBodySize: maxBody });
  const endpoint = new Endpoint(transport, [blockwise], { logger, tracer });
  const router = new Router();
  const files = new DirectoryResources(root, maxBody, Number(v['max-files']), logger);
  files.install(router);
  await files.refreshListing();
  endpoint.setHandler(router.handle);
  const stopped = untilStopped();
  const local = transport.localAddress();
  process.stdout.write(`ready coap://${formatPeer(local)} root=${root}\n`);
  logger.info('listening', { address: local.address, port: local.port, root });
  await stopped;
  logger.info('stopping', { stats: endpoint.stats });
  await endpoint.close();
  return 0;
}
