/** CMP/CRMF codec: messages built from values, encoded, decoded back; tagging; typed errors. */
import { generateKeyPairSync, randomBytes, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as asn1js from 'asn1js';
import { expect } from 'chai';
import { AsnParser, BitString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue as X500AttributeTypeAndValue,
  AttributeValue,
  GeneralName,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
} from '@peculiar/asn1-x509';
import { toHex } from '../../../src/core/bytes.ts';
import { StackError, isStackError } from '../../../src/core/errors.ts';
import {
  AttributeTypeAndValue,
  CMPCertificate,
  CaCertsValue,
  CertConfirmContent,
  CertReqMessages,
  CertReqMsg,
  CertReqTemplateContent,
  CertRequest,
  CertStatus,
  CertTemplate,
  Controls,
  ErrorMsgContent,
  FailureInfo,
  GenMsgContent,
  GenRepContent,
  ID_ECDSA_WITH_SHA256,
  ID_IT_CA_CERTS,
  ID_IT_CERT_PROFILE,
  ID_IT_CERT_REQ_TEMPLATE,
  ID_IT_IMPLICIT_CONFIRM,
  ID_REG_CTRL_ALG_ID,
  ID_SHA512,
  CertProfileValue,
  PKIBody,
  PKIFailureInfo,
  PKIFreeText,
  PKIHeader,
  PKIMessage,
  PKIStatus,
  PKIStatusInfo,
  POPOSigningKey,
  PVNO,
  PollRepContent,
  PollRepContentEntry,
  ProofOfPossession,
  RootCaKeyUpdateContent,
  bodyTypeOf,
  decodeAsn1,
  decodeInfoValue,
  decodePkiMessage,
  encodeAsn1,
  encodePkiMessage,
  encodeProtectedPart,
  infoTypeAndValue,
  nullDn,
  pkiBodyTag,
} from '../../../src/codec/cmp/index.ts';

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/cmp/openssl');
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const P256 = '1.2.840.10045.3.1.7';

function dn(cn: string): Name {
  return new Name([
    new RelativeDistinguishedName([new X500AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: cn }) })]),
  ]);
}

function spkiOf(key: KeyObject): SubjectPublicKeyInfo {
  return AsnParser.parse(key.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
}

/** A header as the Lightweight CMP Profile wants it for a first message (RFC 9483 §3.1). */
function header(extra: Partial<PKIHeader> = {}): PKIHeader {
  return new PKIHeader({
    pvno: PVNO.cmp2000,
    sender: new GeneralName({ directoryName: dn('pledge-0001') }),
    recipient: nullDn(),
    messageTime: new Date(Math.floor(Date.now() / 1000) * 1000),
    protectionAlg: new AlgorithmIdentifier({ algorithm: ID_ECDSA_WITH_SHA256 }),
    senderKID: new Uint8Array(randomBytes(20)),
    transactionID: new Uint8Array(randomBytes(16)),
    senderNonce: new Uint8Array(randomBytes(16)),
    ...extra,
  });
}

/** Signs ProtectedPart and returns the protected message. */
function protect(h: PKIHeader, body: PKIBody, key: KeyObject): PKIMessage {
  const signature = sign('sha256', encodeProtectedPart(h, body), key);
  return new PKIMessage({ header: h, body, protection: new BitString(signature) });
}

function roundTrip(m: PKIMessage): PKIMessage {
  const der = encodePkiMessage(m);
  const back = decodePkiMessage(der);
  expect(toHex(encodePkiMessage(back)), 'decode/encode is the identity').to.equal(toHex(der));
  return back;
}

/** The asn1js children of a constructed encoding. */
function children(der: Uint8Array): asn1js.BaseBlock[] {
  const r = asn1js.fromBER(der);
  return (r.result as asn1js.Constructed).valueBlock.value;
}

function thrown(f: () => unknown): StackError {
  try {
    f();
  } catch (e) {
    if (e instanceof StackError) return e;
    throw new Error(`threw ${String(e)}, not a StackError`);
  }
  throw new Error('did not throw');
}

describe('codec/cmp: messages from values', () => {
  const protectionKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('ir with signature POP (RFC 4211 §4.1) round-trips and both signatures verify', () => {
    const newKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const certReq = new CertRequest({
      certReqId: 0,
      certTemplate: new CertTemplate({ subject: dn('pledge-0001-ldevid'), publicKey: spkiOf(newKey.publicKey) }),
    });
    const popo = new ProofOfPossession({
      signature: new POPOSigningKey({
        algorithmIdentifier: new AlgorithmIdentifier({ algorithm: ID_ECDSA_WITH_SHA256 }),
        signature: new BitString(sign('sha256', encodeAsn1(certReq), newKey.privateKey)),
      }),
    });
    const h = header({ generalInfo: [infoTypeAndValue(ID_IT_IMPLICIT_CONFIRM, null), infoTypeAndValue(ID_IT_CERT_PROFILE, new CertProfileValue(['ldevid']))] });
    const body = new PKIBody({ ir: new CertReqMessages([new CertReqMsg({ certReq, popo })]) });
    const m = roundTrip(protect(h, body, protectionKey.privateKey));

    expect(bodyTypeOf(m)).to.equal('ir');
    expect(toHex(m.header.transactionID!)).to.equal(toHex(h.transactionID!));
    expect(m.header.messageTime!.getTime()).to.equal(h.messageTime!.getTime());
    expect(m.header.generalInfo!.map((i) => i.infoType)).to.deep.equal([ID_IT_IMPLICIT_CONFIRM, ID_IT_CERT_PROFILE]);
    expect(m.header.generalInfo![0]!.infoValue).to.equal(null);
    expect([...decodeInfoValue(m.header.generalInfo![1]!, CertProfileValue)!]).to.deep.equal(['ldevid']);
    const got = m.body.ir![0]!;
    expect(got.certReq.certReqId).to.equal(0);
    expect(got.certReq.certTemplate.subject![0]![0]!.value.toString()).to.equal('pledge-0001-ldevid');
    expect(verify('sha256', encodeAsn1(got.certReq), newKey.publicKey, new Uint8Array(got.popo!.signature!.signature.value)), 'POP').to.equal(true);
    expect(verify('sha256', encodeProtectedPart(m.header, m.body), protectionKey.publicKey, new Uint8Array(m.protection!.value)), 'protection').to.equal(true);
  });

  it('CertTemplate tagging: subject [5] EXPLICIT (Name is a CHOICE), publicKey [6] IMPLICIT', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const t = new CertTemplate({ subject: dn('x'), publicKey: spkiOf(key.publicKey), serialNumber: new Uint8Array([0x00, 0x80]) });
    const [serial, subject, publicKey] = children(encodeAsn1(t));
    expect(serial!.idBlock.tagNumber).to.equal(1);
    expect(toHex(new Uint8Array(serial!.valueBeforeDecodeView)), 'serialNumber [1] IMPLICIT INTEGER, octets kept').to.equal('81020080');
    expect([subject!.idBlock.tagClass, subject!.idBlock.tagNumber]).to.deep.equal([3, 5]);
    const inSubject = (subject as asn1js.Constructed).valueBlock.value;
    expect(inSubject.length === 1 && inSubject[0] instanceof asn1js.Sequence, 'one RDNSequence inside [5]').to.equal(true);
    expect([publicKey!.idBlock.tagClass, publicKey!.idBlock.tagNumber]).to.deep.equal([3, 6]);
    const inKey = (publicKey as asn1js.Constructed).valueBlock.value;
    expect(inKey.map((b) => b.constructor.name), 'SPKI fields directly inside [6]').to.deep.equal(['Sequence', 'BitString']);
  });

  it('POP signature [1] is IMPLICIT POPOSigningKey, raVerified [0] is IMPLICIT NULL', () => {
    const signature = new ProofOfPossession({
      signature: new POPOSigningKey({ algorithmIdentifier: new AlgorithmIdentifier({ algorithm: ID_ECDSA_WITH_SHA256 }), signature: new BitString(new Uint8Array([1, 2])) }),
    });
    const der = encodeAsn1(signature);
    expect(der[0]).to.equal(0xa1);
    expect(children(der).map((b) => b.constructor.name)).to.deep.equal(['Sequence', 'BitString']);
    expect(toHex(encodeAsn1(new ProofOfPossession({ raVerified: null })))).to.equal('8000');
  });

  it('CertReqMsg without popo but with regInfo keeps regInfo (OPTIONAL CHOICE is not ANY)', () => {
    const msg = new CertReqMsg({
      certReq: new CertRequest({ certReqId: 0, certTemplate: new CertTemplate({ subject: dn('x') }) }),
      regInfo: [new AttributeTypeAndValue({ type: '1.3.6.1.5.5.7.5.2.1', value: new Uint8Array([0x0c, 0x01, 0x41]).buffer })],
    });
    const m = roundTrip(new PKIMessage({ header: header(), body: new PKIBody({ cr: new CertReqMessages([msg]) }) }));
    const got = m.body.cr![0]!;
    expect(got.popo).to.equal(undefined);
    expect(got.regInfo!.map((a) => a.type)).to.deep.equal(['1.3.6.1.5.5.7.5.2.1']);

    const ra = new CertReqMsg({ certReq: msg.certReq, popo: new ProofOfPossession({ raVerified: null }), regInfo: msg.regInfo });
    const m2 = roundTrip(new PKIMessage({ header: header(), body: new PKIBody({ cr: new CertReqMessages([ra]) }) }));
    expect(m2.body.cr![0]!.popo!.raVerified).to.equal(null);
    expect(m2.body.cr![0]!.regInfo).to.have.length(1);
  });

  it('certConf with hashAlg [0] (RFC 9480 §2.10, pvno 3) round-trips; hashAlg is EXPLICIT', () => {
    const status = new CertStatus({
      certHash: new Uint8Array(64).fill(7),
      certReqId: 0,
      hashAlg: new AlgorithmIdentifier({ algorithm: ID_SHA512 }),
    });
    const last = children(encodeAsn1(status)).at(-1)!;
    expect([last.idBlock.tagClass, last.idBlock.tagNumber]).to.deep.equal([3, 0]);
    expect((last as asn1js.Constructed).valueBlock.value[0]).to.be.instanceOf(asn1js.Sequence);

    const h = header({ pvno: PVNO.cmp2021, recipNonce: new Uint8Array(16).fill(1) });
    const m = roundTrip(protect(h, new PKIBody({ certConf: new CertConfirmContent([status]) }), protectionKey.privateKey));
    expect(m.header.pvno).to.equal(3);
    const s = m.body.certConf![0]!;
    expect(s.hashAlg!.algorithm).to.equal(ID_SHA512);
    expect(toHex(s.certHash)).to.equal('07'.repeat(64));
    expect(s.statusInfo).to.equal(undefined);
  });

  it('pollRep round-trips with checkAfter and reason', () => {
    const body = new PKIBody({
      pollRep: new PollRepContent([new PollRepContentEntry({ certReqId: 0, checkAfter: 3600, reason: new PKIFreeText(['waiting for the CA']) })]),
    });
    const m = roundTrip(protect(header({ recipNonce: new Uint8Array(16) }), body, protectionKey.privateKey));
    expect(bodyTypeOf(m)).to.equal('pollRep');
    const e = m.body.pollRep![0]!;
    expect([e.certReqId, e.checkAfter, [...e.reason!]]).to.deep.equal([0, 3600, ['waiting for the CA']]);
  });

  it('error with failInfo bits: DER drops trailing zero bits (RFC 9810 §5.2.3)', () => {
    const failInfo = PKIFailureInfo.fromBits('badRequest', 'badPOP');
    expect(toHex(encodeAsn1(failInfo)), 'bits 2 and 9: 10 bits, 6 unused').to.equal('0303062040');
    expect(toHex(encodeAsn1(PKIFailureInfo.fromBits(FailureInfo.incorrectData))), 'bit 7: one whole octet').to.equal('03020001');
    expect(toHex(encodeAsn1(PKIFailureInfo.fromBits(FailureInfo.duplicateCertReq))), 'bit 26').to.equal('0305050000' + '0020');
    expect(toHex(encodeAsn1(PKIFailureInfo.fromBits())), 'no bits').to.equal('030100');

    const body = new PKIBody({
      error: new ErrorMsgContent({
        pKIStatusInfo: new PKIStatusInfo({ status: PKIStatus.rejection, statusString: new PKIFreeText(['bad POP']), failInfo }),
        errorCode: 42,
        errorDetails: new PKIFreeText(['detail 1', 'detail 2']),
      }),
    });
    const m = roundTrip(protect(header(), body, protectionKey.privateKey));
    const e = m.body.error!;
    expect(e.pKIStatusInfo.status).to.equal(PKIStatus.rejection);
    expect(e.pKIStatusInfo.failInfo!.bits()).to.deep.equal([2, 9]);
    expect(e.pKIStatusInfo.failInfo!.names()).to.deep.equal(['badRequest', 'badPOP']);
    expect(e.pKIStatusInfo.failInfo!.has('badPOP')).to.equal(true);
    expect(e.pKIStatusInfo.failInfo!.has('badTime')).to.equal(false);
    expect(e.errorCode).to.equal(42);
    expect([...e.errorDetails!]).to.deep.equal(['detail 1', 'detail 2']);
  });

  it('genm/genp certReqTemplate (RFC 9483 §4.3.3): absent value in genm, typed template in genp', () => {
    const genm = roundTrip(new PKIMessage({ header: header(), body: new PKIBody({ genm: new GenMsgContent([infoTypeAndValue(ID_IT_CERT_REQ_TEMPLATE)]) }) }));
    expect(genm.body.genm![0]!.infoType).to.equal(ID_IT_CERT_REQ_TEMPLATE);
    expect(genm.body.genm![0]!.infoValue).to.equal(undefined);
    expect(decodeInfoValue(genm.body.genm![0]!, CertReqTemplateContent)).to.equal(undefined);

    const p256 = new asn1js.ObjectIdentifier({ value: P256 }).toBER();
    const template = new CertReqTemplateContent({
      certTemplate: new CertTemplate({ subject: dn('pledge-0001-ldevid') }),
      keySpec: new Controls([
        new AttributeTypeAndValue({
          type: ID_REG_CTRL_ALG_ID,
          value: encodeAsn1(new AlgorithmIdentifier({ algorithm: EC_PUBLIC_KEY, parameters: p256 })).slice().buffer,
        }),
      ]),
    });
    const genp = roundTrip(
      new PKIMessage({ header: header({ recipNonce: new Uint8Array(16) }), body: new PKIBody({ genp: new GenRepContent([infoTypeAndValue(ID_IT_CERT_REQ_TEMPLATE, template)]) }) }),
    );
    const got = decodeInfoValue(genp.body.genp![0]!, CertReqTemplateContent)!;
    expect(got.certTemplate.subject![0]![0]!.value.toString()).to.equal('pledge-0001-ldevid');
    expect(got.keySpec!.map((c) => c.type)).to.deep.equal([ID_REG_CTRL_ALG_ID]);
    const alg = decodeAsn1(new Uint8Array(got.keySpec![0]!.value!), AlgorithmIdentifier);
    expect(alg.algorithm).to.equal(EC_PUBLIC_KEY);
  });

  it('genp caCerts and RootCaKeyUpdateContent carry certificates byte for byte', () => {
    const rootDer = new Uint8Array(new X509Certificate(readFileSync(join(fixtureDir, 'root.pem'))).raw);
    const srvDer = new Uint8Array(new X509Certificate(readFileSync(join(fixtureDir, 'srv.pem'))).raw);
    const root = CMPCertificate.fromDer(rootDer);
    const update = new RootCaKeyUpdateContent({ newWithNew: root, oldWithNew: CMPCertificate.fromDer(srvDer) });
    const body = new PKIBody({
      genp: new GenRepContent([infoTypeAndValue(ID_IT_CA_CERTS, new CaCertsValue([root, CMPCertificate.fromDer(srvDer)])), infoTypeAndValue('1.3.6.1.5.5.7.4.18', update)]),
    });
    const m = roundTrip(new PKIMessage({ header: header(), body, extraCerts: [root] }));
    const certs = decodeInfoValue(m.body.genp![0]!, CaCertsValue)!;
    expect(certs.map((c) => toHex(c.der))).to.deep.equal([toHex(rootDer), toHex(srvDer)]);
    expect(certs[0]!.certificate.tbsCertificate.subject[0]![0]!.value.toString()).to.equal('Test CMP Root CA');
    const u = decodeInfoValue(m.body.genp![1]!, RootCaKeyUpdateContent)!;
    expect(toHex(u.newWithNew.der)).to.equal(toHex(rootDer));
    expect(u.newWithOld).to.equal(undefined);
    expect(toHex(u.oldWithNew!.der)).to.equal(toHex(srvDer));
    expect(toHex(m.extraCerts![0]!.der)).to.equal(toHex(rootDer));
  });

  it('pkiconf is NULL in [19]; choices outside the profile are kept as DER', () => {
    const conf = roundTrip(new PKIMessage({ header: header(), body: new PKIBody({ pkiconf: null }) }));
    expect(bodyTypeOf(conf)).to.equal('pkiconf');
    expect(conf.body.pkiconf).to.equal(null);
    expect(pkiBodyTag('pkiconf')).to.equal(19);

    const popdecc = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);
    const m = roundTrip(new PKIMessage({ header: header(), body: new PKIBody({ popdecc: popdecc.slice().buffer }) }));
    expect(bodyTypeOf(m)).to.equal('popdecc');
    expect(toHex(new Uint8Array(m.body.popdecc!))).to.equal(toHex(popdecc));
  });
});

describe('codec/cmp: bad input gives ERR_CMP_MALFORMED', () => {
  const conf = encodePkiMessage(new PKIMessage({ header: header(), body: new PKIBody({ pkiconf: null }) }));

  it('empty input, garbage, and a lone SEQUENCE', () => {
    for (const bad of [new Uint8Array(0), new Uint8Array([0xff, 0xff]), new Uint8Array([0x30, 0x00]), new Uint8Array([0x04, 0x01, 0x00])]) {
      const e = thrown(() => decodePkiMessage(bad));
      expect(e.code).to.equal('ERR_CMP_MALFORMED');
      expect(e.details.inputHex).to.equal(toHex(bad));
    }
  });

  it('a body tag outside PKIBody names the tag and its offset', () => {
    const at = conf.length - 4; // b3 02 05 00: [19] pkiconf NULL, the last element
    expect(conf[at]).to.equal(0xb3);
    const bad = conf.slice();
    bad[at] = 0xbb; // [27]
    const e = thrown(() => decodePkiMessage(bad));
    expect(e.code).to.equal('ERR_CMP_MALFORMED');
    expect(e.message).to.equal('PKIMessage: body tag [27] is not a PKIBody choice');
    expect(e.details.offset).to.equal(at);
    const bad2 = conf.slice();
    bad2[at] = 0x30; // universal SEQUENCE where the body should be
    const e2 = thrown(() => decodePkiMessage(bad2));
    expect(e2.message).to.match(/body tag .* is not a PKIBody choice/);
    expect(e2.details.offset).to.equal(at);
  });

  it('non-DER (long-form length where short form fits) is refused, with the offset', () => {
    const hex = toHex(conf);
    const body = hex.length - 8;
    expect(hex.slice(body)).to.equal('b3020500');
    const longForm = hex.slice(0, body) + 'b381020500' + hex.slice(body + 8);
    const bytes = Uint8Array.from(Buffer.from(longForm, 'hex'));
    // Fix the outer SEQUENCE length (one-octet long form: these messages are 128..254 bytes).
    expect(bytes[1]).to.equal(0x81);
    expect(bytes[2]).to.be.lessThan(0xff);
    bytes[2]! += 1;
    const e = thrown(() => decodePkiMessage(bytes));
    expect(e.code).to.equal('ERR_CMP_MALFORMED');
    expect(e.message).to.match(/not DER/);
    expect(e.details.offset, 'first differing octet: the outer length').to.equal(2);
  });

  it('values that cannot be encoded give ERR_INVALID_ARGUMENT', () => {
    expect(thrown(() => bodyTypeOf(new PKIBody())).code).to.equal('ERR_INVALID_ARGUMENT');
    const tooBig = new PKIMessage({ header: header({ pvno: 2 ** 60 }), body: new PKIBody({ pkiconf: null }) });
    expect(thrown(() => encodePkiMessage(tooBig)).code).to.equal('ERR_INVALID_ARGUMENT');
  });

  it('a certificate that is not one is refused', () => {
    expect(thrown(() => CMPCertificate.fromDer(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).code).to.equal('ERR_CMP_MALFORMED');
    const e = thrown(() => decodeAsn1(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), CaCertsValue));
    expect(isStackError(e, 'ERR_CMP_MALFORMED')).to.equal(true);
  });
});
