/**
 * EST-oscore at the registrar (RFC 9148 resources over EDHOC + OSCORE, the EST-oscore draft), and
 * CMP over OSCORE: the registrar service on the in-memory network with `--security oscore`, a
 * pledge endpoint `[BlockwiseLayer(64), OscoreLayer]`, the fake RA/CA upstream of the LRA tests.
 */
import { expect } from 'chai';
import { createPublicKey } from 'node:crypto';
import { decodeMessage } from '../../../src/codec/coap/message.ts';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { CON } from '../../../src/codec/coap/numbers/types.ts';
import { findOption, stringOpt, uintOpt, uintOption } from '../../../src/codec/coap/option-value.ts';
import { decodeCertsOnly } from '../../../src/codec/est/certs-only.ts';
import { decodeMultipartCore } from '../../../src/codec/est/multipart-core.ts';
import { parseLinks } from '../../../src/codec/link-format/link-format.ts';
import { bodyTypeOf, decodePkiMessage } from '../../../src/codec/cmp/index.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { certificateDer, generateKeyPairSync, parseCertificate, verifyChain, type Certificate, type PledgeCredential } from '../../../src/pki/index.ts';
import { buildPkcs10 } from '../../../src/protocol/cmp/message-builder.ts';
import { SecurityContextRegistry } from '../../../src/protocol/oscore/context-registry.ts';
import { BlockwiseLayer } from '../../../src/stack/blockwise-layer.ts';
import { establishOscore, type OscoreEstablishment } from '../../../src/stack/edhoc-client.ts';
import { x5chainJudge } from '../../../src/stack/edhoc-resource.ts';
import { Endpoint } from '../../../src/stack/endpoint.ts';
import type { ClientRequest } from '../../../src/stack/exchange.ts';
import { OscoreLayer } from '../../../src/stack/oscore-layer.ts';
import type { Datagram } from '../../../src/transport/memory.ts';
import { RawPeer } from '../lockstep/raw-peer.ts';
import { failInfoOfAnswer, makePki, makeWorld, newTempDir, REGISTRAR_ADDRESS, TestPledge, type World } from './harness.ts';
import type { TempDir } from '../../helpers/files.ts';
import type { TestPki } from '../../../src/pki/index.ts';

const BLOCK = 64;

function req(method: number, path: string, o: { payload?: Uint8Array; cf?: number; accept?: number } = {}): ClientRequest {
  const options = path.split('/').filter(Boolean).map((s) => stringOpt(Opt.URI_PATH, s));
  if (o.cf !== undefined) options.push(uintOpt(Opt.CONTENT_FORMAT, o.cf));
  if (o.accept !== undefined) options.push(uintOpt(Opt.ACCEPT, o.accept));
  return { method, options, payload: o.payload ?? new Uint8Array(0), peer: REGISTRAR_ADDRESS, confirmable: true, blockSize: BLOCK, timeoutMs: 30_000 };
}

function csrFor(serial: string): { der: Uint8Array; spki: Uint8Array } {
  const key = generateKeyPairSync('P-256').privateKey;
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  return { der: buildPkcs10({ privateKey: key, subject: `CN=ldevid ${serial},serialNumber=${serial}` }), spki };
}

/** The SubjectPublicKeyInfo DER of a certificate. */
function spkiOf(c: Certificate): Uint8Array {
  return new Uint8Array(c.publicKey.rawData);
}

describe('EST-oscore and CMP over OSCORE at the registrar (--security oscore)', () => {
  let dir: TempDir;
  let base: { dir: TempDir; pki: TestPki; foreign: TestPki };
  let w: World;
  let pledgeEp: Endpoint;
  let seen: Datagram[];
  let n = 0;

  before(async () => {
    dir = newTempDir();
    base = { dir, ...(await makePki(dir)) };
  });
  after(() => dir.remove());

  beforeEach(async () => {
    w = await makeWorld(base, { security: 'oscore' });
    pledgeEp = new Endpoint(w.network.createTransport(`10.0.1.${++n}`), [new BlockwiseLayer({ preferredBlockSize: BLOCK }), new OscoreLayer({ contexts: new SecurityContextRegistry() })]);
    seen = [];
    w.network.tap = (d) => void seen.push(d);
  });
  afterEach(async () => {
    await pledgeEp.close();
    await w.close();
  });

  const establish = (p: PledgeCredential): Promise<OscoreEstablishment> =>
    establishOscore(pledgeEp, REGISTRAR_ADDRESS, {
      credential: p,
      method: 0,
      suite: 2,
      judgeResponder: x5chainJudge({ trustAnchors: [base.pki.domain.rootCa.certificate] }),
      blockSize: BLOCK,
    });

  it('lists the EST resources with rt="ace.est.*" and osc in /.well-known/core', async () => {
    const res = await pledgeEp.request(req(Code.GET, '/.well-known/core'));
    expect(res.code).to.equal(Code.CONTENT);
    const links = parseLinks(Buffer.from(res.payload).toString('utf8'));
    for (const f of ['crts', 'sen', 'sren', 'att']) {
      const l = links.find((x) => x.href === `/.well-known/est/${f}`);
      expect(l, f).to.not.equal(undefined);
      expect(l!.attrs['rt']).to.equal(`ace.est.${f}`);
      expect(l!.attrs['osc']).to.equal(true);
    }
    expect(links.some((l) => l.href === '/.well-known/edhoc')).to.equal(true);
  });

  it('EDHOC with the IDevID, then /crts (281, 287, 62) and /sen (281 and 287): an LDevID for the new key', async () => {
    const p = base.pki.pledges[0]!;
    const est = await establish(p);
    expect(est.peer.certificates[0]!.subject).to.equal(base.pki.domain.registrar.certificate.subject);

    const crts = await est.request(req(Code.GET, '/.well-known/est/crts'));
    expect(crts.code).to.equal(Code.CONTENT);
    expect(uintOption(crts, Opt.CONTENT_FORMAT)).to.equal(ContentFormat.PKCS7_CERTS_ONLY);
    const anchors = decodeCertsOnly(crts.payload).map((d) => parseCertificate(d));
    expect(anchors[0]!.subject).to.equal(base.pki.domain.rootCa.certificate.subject);
    const single = await est.request(req(Code.GET, '/.well-known/est/crts', { accept: ContentFormat.PKIX_CERT }));
    expect(uintOption(single, Opt.CONTENT_FORMAT)).to.equal(ContentFormat.PKIX_CERT);
    expect(Buffer.compare(single.payload, certificateDer(base.pki.domain.rootCa.certificate))).to.equal(0);
    const multi = await est.request(req(Code.GET, '/.well-known/est/crts', { accept: ContentFormat.MULTIPART_CORE }));
    expect(decodeMultipartCore(multi.payload).map((x) => x.contentFormat)).to.deep.equal(anchors.map(() => ContentFormat.PKIX_CERT));
    const att = await est.request(req(Code.GET, '/.well-known/est/att'));
    expect([att.code, uintOption(att, Opt.CONTENT_FORMAT)]).to.deep.equal([Code.CONTENT, ContentFormat.CSRATTRS]);

    const csr = csrFor(p.serialNumber);
    const sen = await est.request(req(Code.POST, '/.well-known/est/sen', { payload: csr.der, cf: ContentFormat.PKCS10 }));
    expect(sen.code, Buffer.from(sen.payload).toString()).to.equal(Code.CHANGED);
    expect(uintOption(sen, Opt.CONTENT_FORMAT)).to.equal(ContentFormat.PKCS7_CERTS_ONLY);
    const ldevid = parseCertificate(decodeCertsOnly(sen.payload)[0]!);
    expect(Buffer.compare(spkiOf(ldevid), csr.spki), 'certifies the CSR key').to.equal(0);
    // The RA/CA saw a p10cr signed by the registrar, carrying the pledge's CSR.
    const seenByCa = w.upstream.policy.issued[0]!;
    expect(seenByCa.bodyType).to.equal('p10cr');
    expect(seenByCa.requester.certificate!.subject).to.equal(base.pki.domain.registrar.certificate.subject);
    verifyChain(ldevid, anchors.slice(1), [base.pki.domain.rootCa.certificate]);
    // Upstream: the registrar-signed nested message around its own p10cr.
    expect(w.upstream.sentTypes()).to.deep.equal(['nested[p10cr]']);

    const sen287 = await est.request(req(Code.POST, '/.well-known/est/sen', { payload: csrFor(p.serialNumber).der, cf: ContentFormat.PKCS10, accept: ContentFormat.PKIX_CERT }));
    expect([sen287.code, uintOption(sen287, Opt.CONTENT_FORMAT)]).to.deep.equal([Code.CHANGED, ContentFormat.PKIX_CERT]);
    expect(parseCertificate(sen287.payload).subject).to.be.a('string');
  });

  it('/sen with a CSR naming another pledge: 4.03', async () => {
    const est = await establish(base.pki.pledges[1]!);
    const res = await est.request(req(Code.POST, '/.well-known/est/sen', { payload: csrFor(base.pki.pledges[0]!.serialNumber).der, cf: ContentFormat.PKCS10 }));
    expect(res.code).to.equal(Code.FORBIDDEN);
    expect(w.upstream.sent.length).to.equal(0);
  });

  it('an IDevID of an untrusted manufacturer: EDHOC error, no OSCORE context', async () => {
    try {
      await establish(base.foreign.pledges[0]!);
      expect.fail('EDHOC should have failed');
    } catch (e) {
      expect(isStackError(e), String(e)).to.equal(true);
      expect(String((e as Error).message)).to.match(/EDHOC|error/i);
    }
    expect(w.service.edhoc!.stats.established).to.equal(0);
  });

  it('a pledge not on the allow list: EDHOC error', async () => {
    try {
      await establish(base.pki.pledges[3]!);
      expect.fail('EDHOC should have failed');
    } catch (e) {
      expect(isStackError(e), String(e)).to.equal(true);
    }
  });

  it('unprotected requests to OSCORE-only resources: 4.01 (EST and, with --security oscore, CMP)', async () => {
    const crts = await pledgeEp.request(req(Code.GET, '/.well-known/est/crts'));
    expect(crts.code).to.equal(Code.UNAUTHORIZED);
    const cmp = await pledgeEp.request(req(Code.POST, '/.well-known/cmp', { payload: w.pledge(0).ir().der, cf: ContentFormat.PKIXCMP }));
    expect(cmp.code).to.equal(Code.UNAUTHORIZED);
    expect(w.upstream.sent.length).to.equal(0);
  });

  it('a replayed OSCORE request: 4.01', async () => {
    const est = await establish(base.pki.pledges[0]!);
    seen = [];
    const first = await est.request(req(Code.GET, '/.well-known/est/att'));
    expect(first.code).to.equal(Code.CONTENT);
    const captured = decodeMessage(seen.find((d) => d.to.address === REGISTRAR_ADDRESS.address && d.data.length > 4)!.data);
    expect(findOption(captured, Opt.OSCORE)).to.not.equal(undefined);
    const raw = new RawPeer(w.network, '10.0.2.1');
    raw.send(REGISTRAR_ADDRESS, { type: CON, code: captured.code, messageId: 4242, token: Uint8Array.of(9, 9), options: captured.options, payload: captured.payload });
    const replay = (await raw.next()).msg;
    expect(replay.code).to.equal(Code.UNAUTHORIZED);
  });

  it('CMP over OSCORE: the IDevID signer must be the EDHOC peer (else notAuthorized); the right one enrolls', async () => {
    const est = await establish(base.pki.pledges[0]!);
    const other = new TestPledge(w, base.pki.pledges[1]!);
    const bad = await est.request(req(Code.POST, '/.well-known/cmp', { payload: other.ir().der, cf: ContentFormat.PKIXCMP }));
    expect(bad.code).to.equal(Code.CHANGED);
    const badMsg = decodePkiMessage(bad.payload);
    expect(bodyTypeOf(badMsg)).to.equal('error');
    expect(failInfoOfAnswer(badMsg)).to.include('notAuthorized');
    const own = new TestPledge(w, base.pki.pledges[0]!);
    const good = await est.request(req(Code.POST, '/.well-known/cmp', { payload: own.ir({ implicitConfirm: true }).der, cf: ContentFormat.PKIXCMP }));
    expect(bodyTypeOf(decodePkiMessage(good.payload))).to.equal('ip');
  });

  it('/sen while the RA/CA is down: 5.03 + Max-Age, journal keeps it; the same CSR later gets the certificate', async () => {
    const p = base.pki.pledges[2]!;
    const est = await establish(p);
    const csrReq = csrFor(p.serialNumber);
    const csr = csrReq.der;
    w.upstream.online = false;
    const first = await est.request(req(Code.POST, '/.well-known/est/sen', { payload: csr, cf: ContentFormat.PKCS10 }));
    expect(first.code).to.equal(Code.SERVICE_UNAVAILABLE);
    expect(uintOption(first, Opt.MAX_AGE)).to.equal(w.config.checkAfterSeconds);
    const again = await est.request(req(Code.POST, '/.well-known/est/sen', { payload: csr, cf: ContentFormat.PKCS10 }));
    expect(again.code, 'still down').to.equal(Code.SERVICE_UNAVAILABLE);
    w.upstream.online = true;
    w.clock.advance(60_000);
    await w.service.ra.runOutbox();
    const done = await est.request(req(Code.POST, '/.well-known/est/sen', { payload: csr, cf: ContentFormat.PKCS10, accept: ContentFormat.PKIX_CERT }));
    expect(done.code, Buffer.from(done.payload).toString()).to.equal(Code.CHANGED);
    expect(Buffer.compare(spkiOf(parseCertificate(done.payload)), csrReq.spki)).to.equal(0);
    expect(w.upstream.sentTypes().filter((t) => t === 'nested[p10cr]').length, 'one p10cr upstream').to.equal(1);
    // and once more (a lost response): the same certificate
    const repeat = await est.request(req(Code.POST, '/.well-known/est/sen', { payload: csr, cf: ContentFormat.PKCS10, accept: ContentFormat.PKIX_CERT }));
    expect(Buffer.compare(repeat.payload, done.payload)).to.equal(0);
  });
});

describe('--security and --enroll options', () => {
  it('registrar: --security defaults to both, accepts none|oscore|both, refuses others', async () => {
    const { parseServeConfig } = await import('../../../registrar/config.ts');
    const base = ['--pki', '/tmp/pki', '--allow-any'];
    const get = (extra: string[]) => {
      const r = parseServeConfig([...base, ...extra]);
      return r.help ? undefined : r.value.security;
    };
    expect(get([])).to.equal('both');
    expect(get(['--security', 'oscore'])).to.equal('oscore');
    expect(get(['--security', 'none'])).to.equal('none');
    expect(() => get(['--security', 'dtls'])).to.throw(/--security/);
  });

  it('pledge: --security none|oscore, --enroll cmp|est; est needs oscore', async () => {
    const { parsePledgeArgs } = await import('../../../pledge/config.ts');
    const base = ['--pki', '/tmp/pki', '--registrar', 'coap://127.0.0.1:5683', '--state', '/tmp/s'];
    const cfg = (extra: string[]) => {
      const r = parsePledgeArgs([...base, ...extra]);
      return r.help ? undefined : r.config;
    };
    expect(cfg([])).to.include({ security: 'none', enroll: 'cmp' });
    expect(cfg(['--security', 'oscore', '--enroll', 'est'])).to.include({ security: 'oscore', enroll: 'est' });
    expect(() => cfg(['--enroll', 'est'])).to.throw(/needs --security oscore/);
    expect(() => cfg(['--security', 'tls'])).to.throw(/--security/);
  });
});
