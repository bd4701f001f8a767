/**
 * The voucher exchange at the registrar (cBRSKI /.well-known/brski/rv, /vs, /es over OSCORE) on
 * the in-memory network, with a fake MASA in place of the HTTPS client, and the pledge's voucher
 * checks (obtainVoucher): the happy path, a PVR naming another registrar, a PVR signed by another
 * key, MASA refusals and outages, a voucher for another serial, and a voucher signed by an
 * untrusted MASA key.
 */
import { expect } from 'chai';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { stringOpt, uintOpt, uintOption } from '../../../src/codec/coap/option-value.ts';
import { parseLinks } from '../../../src/codec/link-format/link-format.ts';
import { formatDateAndTime, signVoucherCose } from '../../../src/codec/voucher/index.ts';
import { certificateDer, type Certificate, type PledgeCredential, type TestPki } from '../../../src/pki/index.ts';
import { buildPledgeVoucherRequest, isPledgeVoucherError, obtainVoucher, statusTelemetry, type RvAnswer } from '../../../src/protocol/pledge/index.ts';
import { SecurityContextRegistry } from '../../../src/protocol/oscore/context-registry.ts';
import { BlockwiseLayer } from '../../../src/stack/blockwise-layer.ts';
import { establishOscore, type OscoreEstablishment } from '../../../src/stack/edhoc-client.ts';
import { Endpoint } from '../../../src/stack/endpoint.ts';
import type { ClientRequest } from '../../../src/stack/exchange.ts';
import { OscoreLayer } from '../../../src/stack/oscore-layer.ts';
import { FakeMasa } from './fake-masa.ts';
import type { TempDir } from '../../helpers/files.ts';
import { makePki, makeWorld, newTempDir, REGISTRAR_ADDRESS, type World } from './harness.ts';

const BLOCK = 64;

function req(method: number, path: string, o: { payload?: Uint8Array; cf?: number; accept?: number } = {}): ClientRequest {
  const options = path.split('/').filter(Boolean).map((s) => stringOpt(Opt.URI_PATH, s));
  if (o.cf !== undefined) options.push(uintOpt(Opt.CONTENT_FORMAT, o.cf));
  if (o.accept !== undefined) options.push(uintOpt(Opt.ACCEPT, o.accept));
  return { method, options, payload: o.payload ?? new Uint8Array(0), peer: REGISTRAR_ADDRESS, confirmable: true, blockSize: BLOCK, timeoutMs: 30_000 };
}

describe('cBRSKI voucher exchange at the registrar (/.well-known/brski/rv, /vs, /es)', () => {
  let dir: TempDir;
  let base: { dir: TempDir; pki: TestPki; foreign: TestPki };
  let w: World;
  let masa: FakeMasa;
  let pledgeEp: Endpoint;
  let n = 0;

  before(async () => {
    dir = newTempDir();
    base = { dir, ...(await makePki(dir)) };
  });
  after(() => dir.remove());

  beforeEach(async () => {
    masa = new FakeMasa(base.pki);
    w = await makeWorld(base, { security: 'oscore', requireVoucher: true, masaUrl: 'https://masa.invalid' }, undefined, { masa: masa.client });
    pledgeEp = new Endpoint(w.network.createTransport(`10.0.2.${++n}`), [new BlockwiseLayer({ preferredBlockSize: BLOCK }), new OscoreLayer({ contexts: new SecurityContextRegistry() })]);
  });
  afterEach(async () => {
    await pledgeEp.close();
    await w.close();
  });

  const establish = (p: PledgeCredential): Promise<OscoreEstablishment> =>
    establishOscore(pledgeEp, REGISTRAR_ADDRESS, { credential: p, judgeResponder: () => ({ accept: true }), blockSize: BLOCK });

  const NONCE = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

  async function voucherVia(est: OscoreEstablishment, p: PledgeCredential, masaAnchor: Certificate = base.pki.manufacturer.masa.certificate) {
    return obtainVoucher({
      identity: p,
      registrarChain: est.peer.certificates,
      masaAnchor,
      nonce: NONCE,
      postPvr: async (pvr): Promise<RvAnswer> => {
        const res = await est.request(req(Code.POST, '/.well-known/brski/rv', { payload: pvr, cf: ContentFormat.VOUCHER_COSE, accept: ContentFormat.VOUCHER_COSE }));
        const cf = uintOption(res, Opt.CONTENT_FORMAT);
        const maxAge = uintOption(res, Opt.MAX_AGE);
        return { code: res.code, payload: res.payload, ...(cf !== undefined ? { contentFormat: cf } : {}), ...(maxAge !== undefined ? { maxAge } : {}) };
      },
    });
  }

  it('lists rv, vs and es with rt="brski.*" in /.well-known/core', async () => {
    const res = await pledgeEp.request(req(Code.GET, '/.well-known/core'));
    const links = parseLinks(Buffer.from(res.payload).toString('utf8'));
    for (const f of ['rv', 'vs', 'es']) expect(links.find((l) => l.href === `/.well-known/brski/${f}`)?.attrs['rt'], f).to.equal(`brski.${f}`);
  });

  it('PVR → RVR (x5bag, prior-signed-voucher-request, idevid-issuer) → voucher without x5bag; the pledge pins the issuing CA; /vs stored', async () => {
    const p = base.pki.pledges[0]!;
    const est = await establish(p);
    const v = await voucherVia(est, p);
    expect(v.pinnedDomainCert?.subject).to.equal(base.pki.domain.issuingCa.certificate.subject);
    expect(masa.calls).to.have.length(1);
    expect(masa.auditCalls.map((c) => [c.url, c.accept]), 'the audit log is fetched (--audit-policy warn)').to.deep.equal([
      ['https://masa.invalid/.well-known/brski/requestauditlog', 'application/json'],
    ]);
    const call = masa.calls[0]!;
    expect(call.url).to.equal('https://masa.invalid/.well-known/brski/requestvoucher');
    expect(call.rvr.serialNumber).to.equal(p.serialNumber);
    expect(call.rvr.nonce).to.deep.equal(NONCE);
    expect(call.rvr.priorSignedVoucherRequest).to.be.instanceOf(Uint8Array);
    expect(call.rvr.idevidIssuer).to.be.instanceOf(Uint8Array);
    expect(call.x5bag).to.be.at.least(4);
    const sizes = w.service.vouchers!.lastSizes!;
    expect(sizes.voucher).to.equal(v.voucherBytes);
    expect(v.voucherBytes, 'the unprotected x5bag is stripped').to.be.lessThan(masa.lastBytes - 300);
    const res = await est.request(req(Code.POST, '/.well-known/brski/vs', { payload: statusTelemetry(true), cf: ContentFormat.CBOR }));
    expect(res.code).to.equal(Code.CHANGED);
    const rec = w.service.vouchers!.records()[p.serialNumber]!;
    expect(rec.voucherAt).to.be.a('string');
    expect((rec.voucherStatus!.value as { status: boolean }).status).to.equal(true);
    expect(w.service.vouchers!.hasVoucher(p.serialNumber)).to.equal(true);
    expect(w.service.vouchers!.hasVoucher(base.pki.pledges[1]!.serialNumber)).to.equal(false);
  });

  it('a PVR naming another registrar (proximity-registrar-cert) is refused with 4.03; the MASA is not asked', async () => {
    const p = base.pki.pledges[0]!;
    const est = await establish(p);
    const pvr = buildPledgeVoucherRequest(p, base.foreign.domain.registrar.certificate, NONCE);
    const res = await est.request(req(Code.POST, '/.well-known/brski/rv', { payload: pvr, cf: ContentFormat.VOUCHER_COSE }));
    expect(res.code).to.equal(Code.FORBIDDEN);
    expect(Buffer.from(res.payload).toString('utf8')).to.match(/another registrar/);
    expect(masa.calls).to.have.length(0);
  });

  it('a PVR signed by another key than the EDHOC-authenticated IDevID is refused with 4.03', async () => {
    const p = base.pki.pledges[0]!;
    const est = await establish(p);
    const pvr = buildPledgeVoucherRequest({ ...base.pki.pledges[1]!, serialNumber: p.serialNumber }, w.pki.domain.registrar.certificate, NONCE);
    const res = await est.request(req(Code.POST, '/.well-known/brski/rv', { payload: pvr, cf: ContentFormat.VOUCHER_COSE }));
    expect(res.code).to.equal(Code.FORBIDDEN);
    expect(Buffer.from(res.payload).toString('utf8')).to.match(/not signed by the IDevID/);
  });

  it('without OSCORE /rv answers 4.01', async () => {
    const plain = new Endpoint(w.network.createTransport('10.0.3.1'), [new BlockwiseLayer({ preferredBlockSize: BLOCK })]);
    try {
      const res = await plain.request(req(Code.POST, '/.well-known/brski/rv', { payload: new Uint8Array([1]), cf: ContentFormat.VOUCHER_COSE }));
      expect(res.code).to.equal(Code.UNAUTHORIZED);
    } finally {
      await plain.close();
    }
  });

  it('MASA 403 → 4.03 and 404 → 4.04 with the MASA diagnostic; MASA down → 5.03 with Max-Age; the pledge gets typed errors', async () => {
    const p = base.pki.pledges[0]!;
    const est = await establish(p);
    masa.status = 403;
    let e = await voucherVia(est, p).catch((x: unknown) => x);
    expect(isPledgeVoucherError(e, 'refused'), String(e)).to.equal(true);
    expect((e as Error).message).to.match(/4\.03.*MASA 403/);
    masa.status = 404;
    e = await voucherVia(est, p).catch((x: unknown) => x);
    expect((e as Error).message).to.match(/4\.04.*MASA 404/);
    masa.status = 200;
    masa.down = true;
    e = await voucherVia(est, p).catch((x: unknown) => x);
    expect(isPledgeVoucherError(e, 'unavailable'), String(e)).to.equal(true);
    expect((e as Error).message).to.match(/Max-Age 7/);
    expect(w.service.vouchers!.hasVoucher(p.serialNumber)).to.equal(false);
  });

  it('the registrar does not relay a voucher signed by an untrusted MASA key (5.03); the pledge refuses one itself', async () => {
    const p = base.pki.pledges[0]!;
    const est = await establish(p);
    masa.key = base.foreign.manufacturer.masa.privateKey;
    const e = await voucherVia(est, p).catch((x: unknown) => x);
    expect(isPledgeVoucherError(e, 'unavailable'), String(e)).to.equal(true);
    expect((e as Error).message).to.match(/unusable: the voucher signature verifies with no certificate/);
    expect(w.service.vouchers!.hasVoucher(p.serialNumber)).to.equal(false);
    const forged = signVoucherCose(
      { kind: 'voucher', assertion: 'proximity', createdOn: formatDateAndTime(new Date()), nonce: NONCE, pinnedDomainCert: certificateDer(base.pki.domain.issuingCa.certificate), serialNumber: p.serialNumber },
      { privateKey: base.foreign.manufacturer.masa.privateKey },
    );
    const direct = await obtainVoucher({
      identity: p,
      registrarChain: [...base.pki.domain.registrar.chain],
      masaAnchor: base.pki.manufacturer.masa.certificate,
      nonce: NONCE,
      postPvr: async () => ({ code: Code.CHANGED, contentFormat: ContentFormat.VOUCHER_COSE, payload: forged }),
    }).catch((x: unknown) => x);
    expect(isPledgeVoucherError(direct, 'signature'), String(direct)).to.equal(true);
  });

  it('the registrar does not relay a voucher for another serial number, or one pinning another domain (5.03)', async () => {
    const p = base.pki.pledges[0]!;
    const est = await establish(p);
    masa.serial = 'PLEDGE-0099';
    let e = await voucherVia(est, p).catch((x: unknown) => x);
    expect((e as Error).message).to.match(/5\.03.*unusable: the voucher is for PLEDGE-0099/);
    delete masa.serial;
    masa.pin = base.foreign.domain.rootCa.certificate;
    e = await voucherVia(est, p).catch((x: unknown) => x);
    expect((e as Error).message).to.match(/5\.03.*pins a certificate this registrar does not chain to/);
  });

  it('the pledge refuses a voucher for another serial number', async () => {
    const p = base.pki.pledges[0]!;
    const other = signVoucherCose(
      { kind: 'voucher', assertion: 'proximity', createdOn: formatDateAndTime(new Date()), nonce: NONCE, pinnedDomainCert: certificateDer(base.pki.domain.issuingCa.certificate), serialNumber: 'PLEDGE-0099' },
      { privateKey: base.pki.manufacturer.masa.privateKey },
    );
    const e = await obtainVoucher({
      identity: p,
      registrarChain: [...base.pki.domain.registrar.chain],
      masaAnchor: base.pki.manufacturer.masa.certificate,
      nonce: NONCE,
      postPvr: async () => ({ code: Code.CHANGED, contentFormat: ContentFormat.VOUCHER_COSE, payload: other }),
    }).catch((x: unknown) => x);
    expect(isPledgeVoucherError(e, 'serial-number'), String(e)).to.equal(true);
  });

  it('the pledge refuses a voucher with another nonce, and one pinning a CA the registrar does not chain to', async () => {
    const p = base.pki.pledges[0]!;
    const make = (nonce: Uint8Array, pinned: Certificate) =>
      signVoucherCose(
        { kind: 'voucher', assertion: 'proximity', createdOn: formatDateAndTime(new Date()), nonce, pinnedDomainCert: certificateDer(pinned), serialNumber: p.serialNumber },
        { privateKey: base.pki.manufacturer.masa.privateKey },
      );
    const run = (payload: Uint8Array) =>
      obtainVoucher({
        identity: p,
        registrarChain: [...base.pki.domain.registrar.chain],
        masaAnchor: base.pki.manufacturer.masa.certificate,
        nonce: NONCE,
        postPvr: async () => ({ code: Code.CHANGED, contentFormat: ContentFormat.VOUCHER_COSE, payload }),
      }).catch((x: unknown) => x);
    expect(isPledgeVoucherError(await run(make(new Uint8Array(16), base.pki.domain.issuingCa.certificate)), 'nonce')).to.equal(true);
    expect(isPledgeVoucherError(await run(make(NONCE, base.foreign.domain.rootCa.certificate)), 'pinning')).to.equal(true);
    const ok = await run(make(NONCE, base.pki.domain.rootCa.certificate));
    expect(isPledgeVoucherError(ok), String(ok)).to.equal(false);
  });
});
