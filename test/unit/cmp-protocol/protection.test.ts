/**
 * PKIMessage protection (RFC 9810 §5.1.3, RFC 9483 §3.2/§3.3, RFC 9481): the openssl fixtures
 * verify, tampered copies do not, and our own signature and MAC protection round-trips for each
 * supported algorithm.
 */
import { expect } from 'chai';
import { BitString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { toHex } from '../../../src/core/bytes.ts';
import { seededRandom } from '../../../src/core/random.ts';
import {
  ID_HMAC_SHA1,
  ID_HMAC_WITH_SHA256,
  ID_PASSWORD_BASED_MAC,
  ID_PBMAC1,
  PBMParameter,
  PKIHeader,
  PKIMessage,
  bodyTypeOf,
  decodeAsn1,
  decodePkiMessage,
  encodeAsn1,
  encodePkiMessage,
} from '../../../src/codec/cmp/index.ts';
import {
  OID_KP_CMC_RA,
  certificateDer,
  readSubjectKeyIdentifier,
  sameCertificate,
  type KeyAlgorithm,
} from '../../../src/pki/index.ts';
import {
  CmpFailure,
  buildHeader,
  directoryName,
  genmBody,
  macProtectionLike,
  protectMessage,
  verifyProtection,
  type MacProtection,
  type ProtectionCredentials,
} from '../../../src/protocol/cmp/index.ts';
import {
  FIXTURE_MAC_REF,
  FIXTURE_MAC_SECRET,
  T0,
  fixture,
  fixtureCert,
  fixtureNames,
  makeCa,
  makeCert,
  makeRoot,
  thrown,
} from './helpers.ts';

const root = fixtureCert('root');
const srv = fixtureCert('srv');
const client = fixtureCert('client');
const ldevid = fixtureCert('new');

function failInfoOf(e: unknown): readonly string[] {
  expect(e, 'a CmpFailure').to.be.instanceOf(CmpFailure);
  return (e as CmpFailure).failInfo;
}

function macSecret(kid: Uint8Array | undefined): Uint8Array | undefined {
  return kid === undefined || toHex(kid) === toHex(FIXTURE_MAC_REF) ? FIXTURE_MAC_SECRET : undefined;
}

describe('cmp-protocol/protection: openssl fixtures (RFC 9483 §3.2)', () => {
  for (const name of fixtureNames()) {
    it(`${name} verifies`, () => {
      const m = decodePkiMessage(fixture(name));
      const at = m.header.messageTime!;
      const info = verifyProtection(m, { trustAnchors: [root], macSecret, at });
      if (name.startsWith('ir-mac.')) {
        expect(info.kind).to.equal('mac');
        expect(info.algorithm).to.equal(ID_PASSWORD_BASED_MAC);
      } else {
        expect(info.kind).to.equal('signature');
        if (info.kind !== 'signature') return;
        const type = bodyTypeOf(m);
        const isRequest = ['ir', 'cr', 'kur', 'p10cr', 'rr', 'genm', 'certConf', 'pollReq'].includes(type);
        const expected = isRequest ? (name.startsWith('kur.') ? ldevid : client) : srv;
        expect(sameCertificate(info.certificate, expected), `signer of ${name}`).to.equal(true);
        expect(sameCertificate(info.chain[info.chain.length - 1]!, root), 'path ends in the anchor').to.equal(true);
      }
    });
  }

  it('ir-mac: the request (PBM, HMAC-SHA256) and the answer (PBM, hmac-sha1 of the IPsec arc) both verify', () => {
    const req = decodePkiMessage(fixture('ir-mac.1.ir.der'));
    const rsp = decodePkiMessage(fixture('ir-mac.2.ip.der'));
    const p1 = decodeAsn1(new Uint8Array(req.header.protectionAlg!.parameters!), PBMParameter);
    const p2 = decodeAsn1(new Uint8Array(rsp.header.protectionAlg!.parameters!), PBMParameter);
    expect(p1.mac.algorithm).to.equal(ID_HMAC_WITH_SHA256);
    expect(p2.mac.algorithm).to.equal(ID_HMAC_SHA1);
    expect(verifyProtection(req, { trustAnchors: [], macSecret }).kind).to.equal('mac');
    expect(verifyProtection(rsp, { trustAnchors: [], macSecret }).kind).to.equal('mac');
  });

  it('ir-mac with the wrong secret: badMessageCheck; without a secret source: wrongIntegrity', () => {
    const req = decodePkiMessage(fixture('ir-mac.1.ir.der'));
    const wrong = thrown(() => verifyProtection(req, { trustAnchors: [], macSecret: () => new TextEncoder().encode('not the secret') }));
    expect(failInfoOf(wrong)).to.deep.equal(['badMessageCheck']);
    const unknownKid = thrown(() => verifyProtection(req, { trustAnchors: [], macSecret: () => undefined }));
    expect(failInfoOf(unknownKid)).to.deep.equal(['badMessageCheck']);
    const none = thrown(() => verifyProtection(req, { trustAnchors: [root] }));
    expect(failInfoOf(none)).to.deep.equal(['wrongIntegrity']);
  });

  it('a tampered header (senderNonce) or body fails with badMessageCheck', () => {
    const m = decodePkiMessage(fixture('ir.1.ir.der'));
    const nonce = Uint8Array.from(m.header.senderNonce!);
    nonce[0]! ^= 0x01;
    const tampered = decodePkiMessage(encodePkiMessage(new PKIMessage({ ...m, header: new PKIHeader({ ...m.header, senderNonce: nonce }) })));
    const e = thrown(() => verifyProtection(tampered, { trustAnchors: [root], at: m.header.messageTime! }));
    expect(e.code).to.equal('ERR_CMP_PROTECTION');
    expect(failInfoOf(e)).to.deep.equal(['badMessageCheck']);

    // Flip one bit inside the DER of the body (the subject CN of the template) and decode again.
    const der = fixture('ir.1.ir.der');
    const at = Buffer.from(der).indexOf(Buffer.from('pledge-0001-ldevid'));
    expect(at).to.be.greaterThan(0);
    const copy = Uint8Array.from(der);
    copy[at]! ^= 0x01;
    const e2 = thrown(() => verifyProtection(decodePkiMessage(copy), { trustAnchors: [root], at: m.header.messageTime! }));
    expect(failInfoOf(e2)).to.deep.equal(['badMessageCheck']);

    // And one bit of the MAC of a MAC-protected message.
    const mac = fixture('ir-mac.1.ir.der');
    const macCopy = Uint8Array.from(mac);
    macCopy[macCopy.length - 1]! ^= 0x80;
    const e3 = thrown(() => verifyProtection(decodePkiMessage(macCopy), { trustAnchors: [], macSecret }));
    expect(failInfoOf(e3)).to.deep.equal(['badMessageCheck']);
  });

  it('a signer that does not chain to the trust anchors: signerNotTrusted', async () => {
    const otherRoot = await makeRoot('Other Root');
    const m = decodePkiMessage(fixture('ir.1.ir.der'));
    const e = thrown(() => verifyProtection(m, { trustAnchors: [otherRoot.cert], at: m.header.messageTime! }));
    expect(e.code).to.equal('ERR_CMP_PROTECTION');
    expect(failInfoOf(e)).to.deep.equal(['signerNotTrusted']);
    expect((e.cause as { code?: string }).code).to.equal('ERR_CERT_CHAIN');
  });

  it('missing protection: badMessageCheck; unknown protection algorithm: badAlg', () => {
    const m = decodePkiMessage(fixture('genm-cacerts.1.genm.der'));
    const bare = new PKIMessage({ header: m.header, body: m.body });
    expect(failInfoOf(thrown(() => verifyProtection(bare, { trustAnchors: [root] })))).to.deep.equal(['badMessageCheck']);
    const odd = new PKIMessage({
      ...m,
      header: new PKIHeader({ ...m.header, protectionAlg: new AlgorithmIdentifier({ algorithm: '1.2.3.4.5' }) }),
    });
    expect(failInfoOf(thrown(() => verifyProtection(odd, { trustAnchors: [root] })))).to.deep.equal(['badAlg']);
  });

  it('the sender name must be the protection certificate subject (RFC 9483 §3.1)', () => {
    const m = decodePkiMessage(fixture('genm-cacerts.1.genm.der'));
    // Re-sign is impossible (no key), so swap in a different sender: the check fires before the signature one.
    const other = new PKIMessage({ ...m, header: new PKIHeader({ ...m.header, sender: directoryName('CN=someone else') }) });
    const e = thrown(() => verifyProtection(other, { trustAnchors: [root], at: m.header.messageTime! }));
    expect(failInfoOf(e)).to.deep.equal(['badMessageCheck']);
    expect(e.message).to.match(/sender/);
  });
});

describe('cmp-protocol/protection: our signatures (RFC 9481 §3)', () => {
  const algs: KeyAlgorithm[] = ['P-256', 'P-384', 'Ed25519', 'RSA-2048'];
  for (const alg of algs) {
    it(`${alg}: protect, then verify; senderKID = SKI; extraCerts = signer first, then its chain`, async () => {
      const r = await makeRoot(`Root ${alg}`, {}, alg);
      const ca = await makeCa(`CA ${alg}`, r, {}, alg);
      const ee = await makeCert(`EE ${alg}`, ca, {}, alg);
      const creds: ProtectionCredentials = { kind: 'signature', privateKey: ee.keys.privateKey, certificate: ee.cert, chain: [ee.cert, ca.cert] };
      const rnd = seededRandom(1);
      const header = buildHeader({ sender: directoryName(ee.cert), transactionId: rnd.bytes(16), senderNonce: rnd.bytes(16), messageTime: T0 });
      const m = decodePkiMessage(encodePkiMessage(protectMessage(header, genmBody(['1.3.6.1.5.5.7.4.17']), creds)));
      expect(toHex(m.header.senderKID!)).to.equal(toHex(readSubjectKeyIdentifier(ee.cert)!));
      expect(m.extraCerts!.map((c) => toHex(c.der))).to.deep.equal([toHex(certificateDer(ee.cert)), toHex(certificateDer(ca.cert))]);
      const info = verifyProtection(m, { trustAnchors: [r.cert], at: T0 });
      expect(info.kind).to.equal('signature');
      if (info.kind === 'signature') expect(info.chain).to.have.length(3);

      // The signature is over ProtectedPart: changing the body breaks it.
      const other = new PKIMessage({ ...m, body: genmBody(['1.3.6.1.5.5.7.4.19']) });
      expect(failInfoOf(thrown(() => verifyProtection(other, { trustAnchors: [r.cert], at: T0 })))).to.deep.equal(['badMessageCheck']);
    });
  }

  it('a protection algorithm that does not fit the key: badAlg', async () => {
    const r = await makeRoot('Root');
    const ee = await makeCert('EE', r);
    const creds: ProtectionCredentials = { kind: 'signature', privateKey: ee.keys.privateKey, certificate: ee.cert };
    const rnd = seededRandom(2);
    const m = protectMessage(buildHeader({ sender: directoryName(ee.cert), transactionId: rnd.bytes(16), senderNonce: rnd.bytes(16) }), genmBody(['1.3.6.1.5.5.7.4.17']), creds);
    const lying = new PKIMessage({ ...m, header: new PKIHeader({ ...m.header, protectionAlg: new AlgorithmIdentifier({ algorithm: '1.3.101.112' }) }) });
    expect(failInfoOf(thrown(() => verifyProtection(lying, { trustAnchors: [r.cert], at: T0 })))).to.deep.equal(['badAlg']);
  });

  it('requireEku: an outer signer without id-kp-cmcRA is notAuthorized', async () => {
    const r = await makeRoot('Root');
    const ee = await makeCert('EE', r);
    const ra = await makeCert('RA', r, { extendedKeyUsage: [OID_KP_CMC_RA] });
    const rnd = seededRandom(3);
    const sign = (c: typeof ee): PKIMessage =>
      protectMessage(buildHeader({ sender: directoryName(c.cert), transactionId: rnd.bytes(16), senderNonce: rnd.bytes(16) }), genmBody(['1.3.6.1.5.5.7.4.17']), {
        kind: 'signature',
        privateKey: c.keys.privateKey,
        certificate: c.cert,
      });
    expect(verifyProtection(sign(ra), { trustAnchors: [r.cert], at: T0, requireEku: OID_KP_CMC_RA }).kind).to.equal('signature');
    expect(failInfoOf(thrown(() => verifyProtection(sign(ee), { trustAnchors: [r.cert], at: T0, requireEku: OID_KP_CMC_RA })))).to.deep.equal(['notAuthorized']);
  });

  it('without extraCerts the signer is found among known certificates by senderKID', async () => {
    const r = await makeRoot('Root');
    const ee = await makeCert('EE', r);
    const rnd = seededRandom(4);
    const m = protectMessage(buildHeader({ sender: directoryName(ee.cert), transactionId: rnd.bytes(16), senderNonce: rnd.bytes(16) }), genmBody(['1.3.6.1.5.5.7.4.17']), {
      kind: 'signature',
      privateKey: ee.keys.privateKey,
      certificate: ee.cert,
    });
    const bare = new PKIMessage({ header: m.header, body: m.body, protection: m.protection! });
    expect(failInfoOf(thrown(() => verifyProtection(bare, { trustAnchors: [r.cert], at: T0 })))).to.deep.equal(['badMessageCheck']);
    expect(verifyProtection(bare, { trustAnchors: [r.cert], untrusted: [ee.cert], at: T0 }).kind).to.equal('signature');
  });
});

describe('cmp-protocol/protection: MAC (RFC 9481 §6.1)', () => {
  const secret = new TextEncoder().encode('shared secret');
  const variants: { name: string; creds: MacProtection; oid: string }[] = [
    { name: 'PBM SHA-256 / HMAC-SHA256', creds: { kind: 'mac', secret, senderKid: FIXTURE_MAC_REF }, oid: ID_PASSWORD_BASED_MAC },
    { name: 'PBM SHA-1 / hmac-sha1 (IPsec OID, as openssl)', creds: { kind: 'mac', secret, owf: 'sha1', mac: 'sha1', pbmHmacSha1Ipsec: true, iterationCount: 500 }, oid: ID_PASSWORD_BASED_MAC },
    { name: 'PBMAC1 PBKDF2-HMAC-SHA256 / HMAC-SHA256', creds: { kind: 'mac', secret, algorithm: 'pbmac1', iterationCount: 1000 }, oid: ID_PBMAC1 },
    { name: 'PBMAC1 PBKDF2-HMAC-SHA512 / HMAC-SHA512', creds: { kind: 'mac', secret, algorithm: 'pbmac1', owf: 'sha512', mac: 'sha512', iterationCount: 1000 }, oid: ID_PBMAC1 },
  ];
  for (const v of variants) {
    it(`${v.name}: protect, verify, answer in kind`, () => {
      const rnd = seededRandom(5);
      const header = buildHeader({ sender: directoryName('CN=pledge'), transactionId: rnd.bytes(16), senderNonce: rnd.bytes(16) });
      const m = decodePkiMessage(encodePkiMessage(protectMessage(header, genmBody(['1.3.6.1.5.5.7.4.17']), v.creds, { random: rnd })));
      expect(m.header.protectionAlg!.algorithm).to.equal(v.oid);
      expect(m.extraCerts).to.equal(undefined);
      const info = verifyProtection(m, { trustAnchors: [], macSecret: () => secret });
      expect(info.kind).to.equal('mac');
      expect(failInfoOf(thrown(() => verifyProtection(m, { trustAnchors: [], macSecret: () => new Uint8Array([1]) })))).to.deep.equal(['badMessageCheck']);

      const answer = macProtectionLike(m.header.protectionAlg!, secret);
      const r = protectMessage(header, genmBody(['1.3.6.1.5.5.7.4.19']), answer, { random: seededRandom(6) });
      expect(r.header.protectionAlg!.algorithm).to.equal(v.oid);
      expect(toHex(new Uint8Array(r.header.protectionAlg!.parameters!))).to.not.equal(toHex(new Uint8Array(m.header.protectionAlg!.parameters!)), 'fresh salt');
      expect(verifyProtection(r, { trustAnchors: [], macSecret: () => secret }).kind).to.equal('mac');
    });
  }

  it('refuses a peer-chosen iteration count above the bound (badAlg)', () => {
    const rnd = seededRandom(7);
    const m = protectMessage(buildHeader({ sender: directoryName('CN=x'), transactionId: rnd.bytes(16), senderNonce: rnd.bytes(16) }), genmBody(['1.3.6.1.5.5.7.4.17']), {
      kind: 'mac',
      secret,
    });
    const p = decodeAsn1(new Uint8Array(m.header.protectionAlg!.parameters!), PBMParameter);
    p.iterationCount = 10_000_000;
    const big = new PKIMessage({
      ...m,
      header: new PKIHeader({
        ...m.header,
        protectionAlg: new AlgorithmIdentifier({ algorithm: ID_PASSWORD_BASED_MAC, parameters: Uint8Array.from(encodeAsn1(p)).buffer }),
      }),
      protection: new BitString(new Uint8Array(32)),
    });
    expect(failInfoOf(thrown(() => verifyProtection(big, { trustAnchors: [], macSecret: () => secret })))).to.deep.equal(['badAlg']);
  });
});
