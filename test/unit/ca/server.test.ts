import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { decodePkiMessage, bodyTypeOf } from '../../../src/codec/cmp/index.ts';
import { initTestPki, type TestPki } from '../../../src/pki/index.ts';
import { CmpHttpServer, parseCmpPath, type CmpPath } from '../../../ca/server.ts';
import { parseServeConfig } from '../../../ca/config.ts';
import { describeExchange, peekPkiMessage, startCaService, type CaService } from '../../../ca/service.ts';
import { REPO_ROOT } from '../../helpers/processes.ts';
import { makeTempDir, type TempDir } from '../../helpers/files.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP request; `body` may be an array of chunks (sent chunked, without Content-Length). */
function send(port: number, opts: { method?: string; path?: string; type?: string | null; body?: Uint8Array | Uint8Array[]; headers?: Record<string, string> }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.type !== null) headers['Content-Type'] = opts.type ?? 'application/pkixcmp';
    const chunked = Array.isArray(opts.body);
    if (!chunked && opts.body) headers['Content-Length'] = String((opts.body as Uint8Array).length);
    const req = httpRequest({ host: '127.0.0.1', port, method: opts.method ?? 'POST', path: opts.path ?? '/.well-known/cmp', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (chunked) {
      for (const c of opts.body as Uint8Array[]) req.write(c);
      req.end();
    } else req.end(opts.body ?? undefined);
  });
}

describe('ca HTTP transport (ca/server.ts)', () => {
  describe('paths (RFC 9811 §3.6 well-known URI, RFC 9483 §6.1 operation labels)', () => {
    it('accepts the CMP paths and names label and operation', () => {
      expect(parseCmpPath('/.well-known/cmp')).to.deep.equal({});
      expect(parseCmpPath('/.well-known/cmp/')).to.deep.equal({});
      expect(parseCmpPath('/.well-known/cmp/initialization')).to.deep.equal({ operation: 'initialization' });
      expect(parseCmpPath('/.well-known/cmp/p/site-a')).to.deep.equal({ label: 'site-a' });
      expect(parseCmpPath('/.well-known/cmp/p/site-a/getcacerts?x=1')).to.deep.equal({ label: 'site-a', operation: 'getcacerts' });
    });
    it('refuses everything else', () => {
      for (const p of ['/', '/.well-known/cmpx', '/.well-known/cmp/p', '/.well-known/cmp/p/a/b/c', '/.well-known/cmp/nosuchop', '/.well-known/cmp/p/bad%20label', '/.well-known/cmp/p/a/nosuchop', '/.well-known/cmp/p/%zz']) {
        expect(parseCmpPath(p), p).to.equal(undefined);
      }
    });
  });

  describe('log fields (shallow DER walk)', () => {
    const fixtures = join(REPO_ROOT, 'test/fixtures/cmp/openssl');
    it('finds the body type and transactionID of every openssl fixture, as the full decoder does', () => {
      const files = readdirSync(fixtures).filter((f) => f.endsWith('.der'));
      expect(files.length).to.be.greaterThan(10);
      for (const f of files) {
        const der = new Uint8Array(readFileSync(join(fixtures, f)));
        const m = decodePkiMessage(der);
        const peek = peekPkiMessage(der);
        expect(peek?.bodyType, f).to.equal(bodyTypeOf(m));
        expect(peek?.transactionId, f).to.deep.equal(m.header.transactionID);
      }
    });
    it('gives up quietly on anything else', () => {
      for (const junk of [new Uint8Array(0), Uint8Array.of(0x30), Uint8Array.of(0x30, 0x85, 1, 1, 1, 1, 1), Uint8Array.of(0x30, 0x02, 0x30, 0x00), Uint8Array.of(0x04, 0x00)]) {
        expect(peekPkiMessage(junk)).to.equal(undefined);
      }
      expect(describeExchange(Uint8Array.of(1), Uint8Array.of(2))).to.deep.equal({ request: 'undecodable' });
    });
  });

  describe('HTTP edge cases', () => {
    let server: CmpHttpServer;
    let port: number;
    const seen: { der: Uint8Array; ctx: CmpPath }[] = [];
    let release: (() => void) | undefined;
    let block: Promise<void> | undefined;

    before(async () => {
      server = new CmpHttpServer({
        handle: async (der, ctx) => {
          seen.push({ der, ctx });
          if (block) await block;
          return Uint8Array.of(0x30, 0x00);
        },
        maxBodyBytes: 1024,
        maxConcurrent: 2,
        maxQueued: 1,
      });
      port = (await server.listen(0, '127.0.0.1')).port;
    });
    after(() => server.close(100));

    it('answers 200 application/pkixcmp, no-cache, and passes label and operation on', async () => {
      const r = await send(port, { path: '/.well-known/cmp/p/site-a/initialization', body: Uint8Array.of(0x30, 0x03, 1, 2, 3) });
      expect(r.status).to.equal(200);
      expect(r.headers['content-type']).to.equal('application/pkixcmp');
      expect(r.headers['cache-control']).to.equal('no-cache');
      expect([...r.body]).to.deep.equal([0x30, 0x00]);
      expect(seen.at(-1)!.ctx).to.deep.equal({ label: 'site-a', operation: 'initialization' });
      expect([...seen.at(-1)!.der]).to.deep.equal([0x30, 0x03, 1, 2, 3]);
    });

    it('accepts media type parameters and any case', async () => {
      expect((await send(port, { type: 'Application/PKIXCMP; foo=bar', body: Uint8Array.of(1) })).status).to.equal(200);
    });

    it('404 for other paths', async () => {
      expect((await send(port, { path: '/cmp', body: Uint8Array.of(1) })).status).to.equal(404);
      expect((await send(port, { path: '/.well-known/cmp/p/x/nosuchop', body: Uint8Array.of(1) })).status).to.equal(404);
    });

    it('405 with Allow: POST for other methods', async () => {
      const r = await send(port, { method: 'GET', type: null });
      expect(r.status).to.equal(405);
      expect(r.headers.allow).to.equal('POST');
      expect((await send(port, { method: 'PUT', body: Uint8Array.of(1) })).status).to.equal(405);
    });

    it('415 for other content types, and none', async () => {
      expect((await send(port, { type: 'application/octet-stream', body: Uint8Array.of(1) })).status).to.equal(415);
      expect((await send(port, { type: null, body: Uint8Array.of(1) })).status).to.equal(415);
    });

    it('413 above the body limit, by Content-Length and while reading a chunked body', async () => {
      const before = seen.length;
      expect((await send(port, { body: new Uint8Array(1025) })).status).to.equal(413);
      const chunks = Array.from({ length: 8 }, () => new Uint8Array(200));
      expect((await send(port, { body: chunks })).status).to.equal(413);
      expect((await send(port, { body: new Uint8Array(1024) })).status).to.equal(200);
      expect(seen.length).to.equal(before + 1);
    });

    it('400 for an empty body', async () => {
      expect((await send(port, { body: new Uint8Array(0) })).status).to.equal(400);
      expect((await send(port, { body: [] })).status).to.equal(400);
    });

    it('bounds requests in progress and waiting: the rest get 503', async () => {
      block = new Promise<void>((r) => (release = r));
      const pending = [1, 2, 3].map(() => send(port, { body: Uint8Array.of(1) }));
      await new Promise((r) => setTimeout(r, 100));
      expect(server.stats.active).to.equal(2);
      expect(server.stats.queued).to.equal(1);
      const refused = await send(port, { body: Uint8Array.of(1) });
      expect(refused.status).to.equal(503);
      expect(refused.headers['retry-after']).to.equal('1');
      block = undefined;
      release!();
      expect((await Promise.all(pending)).map((r) => r.status)).to.deep.equal([200, 200, 200]);
      expect(server.stats.maxActiveSeen).to.equal(2);
    });
  });

  describe('with the CMP responder behind it', function () {
    this.timeout(30_000);
    let dir: TempDir;
    let pki: TestPki;
    let service: CaService;

    before(async () => {
      dir = makeTempDir('brski-ca-http-');
      pki = await initTestPki(join(dir.path, 'pki'), { pledges: 1 });
      const parsed = parseServeConfig(['--pki', pki.dir, '--db', join(dir.path, 'ca.db'), '--port', '0', '--allow-any'], {});
      if (parsed.help) throw new Error('help?');
      service = await startCaService(parsed.value, { pki });
    });
    after(async () => {
      await service?.close();
      dir.remove();
    });

    it('answers a garbage body with a CMP error message (200, application/pkixcmp)', async () => {
      const r = await send(service.port, { body: Uint8Array.from(Buffer.from('this is not DER at all')) });
      expect(r.status).to.equal(200);
      expect(r.headers['content-type']).to.equal('application/pkixcmp');
      const m = decodePkiMessage(new Uint8Array(r.body));
      expect(bodyTypeOf(m)).to.equal('error');
      const info = m.body.error!.pKIStatusInfo;
      expect(info.status).to.equal(2);
      expect(info.failInfo!.names()).to.include('badDataFormat');
    });

    it('answers a truncated PKIMessage with a CMP error message', async () => {
      const r = await send(service.port, { path: '/.well-known/cmp/p/site-a', body: Uint8Array.of(0x30, 0x82, 0x01, 0x00, 0x30, 0x03) });
      expect(r.status).to.equal(200);
      expect(bodyTypeOf(decodePkiMessage(new Uint8Array(r.body)))).to.equal('error');
    });
  });
});
