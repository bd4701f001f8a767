/**
 * CMP messages made by `openssl cmp` (client and mock server), see
 * test/fixtures/cmp/openssl/README.md and scripts/gen-cmp-fixtures.sh. For each: decode, check
 * the body type and key fields, check protection and POP with node:crypto over our own
 * encodings, and re-encode byte for byte.
 */
import { createHash, createHmac, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Extension } from '@peculiar/asn1-x509';
import { bytesEqual, toHex } from '../../../src/core/bytes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import {
  FailureInfo,
  ID_ECDSA_WITH_SHA256,
  ID_HMAC_SHA1,
  ID_HMAC_WITH_SHA256,
  ID_IT_CA_CERTS,
  ID_IT_CERT_REQ_TEMPLATE,
  ID_IT_IMPLICIT_CONFIRM,
  ID_PASSWORD_BASED_MAC,
  ID_REG_CTRL_OLD_CERT_ID,
  ID_SHA1,
  ID_SHA256,
  CertId,
  PBMParameter,
  PKIStatus,
  PKIMessage,
  PKIMessages,
  NestedMessageContent,
  PKIBody,
  PKIHeader,
  PVNO,
  bodyTypeOf,
  decodeAsn1,
  decodePkiMessage,
  decodePkiMessages,
  encodeAsn1,
  encodePkiMessage,
  encodePkiMessages,
  encodeProtectedPart,
  nullDn,
  type PKIBodyType,
} from '../../../src/codec/cmp/index.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/cmp/openssl');
const MAC_SECRET = 'brski-ae-test-secret';

interface Fixture {
  readonly file: string;
  readonly scenario: string;
  readonly step: number;
  readonly type: PKIBodyType;
  readonly der: Uint8Array;
}

const fixtures: Fixture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.der'))
  .map((file) => {
    const m = /^(.+)\.(\d+)\.(\w+)\.der$/.exec(file);
    if (!m) throw new Error(`fixture name not <scenario>.<step>.<type>.der: ${file}`);
    return { file, scenario: m[1]!, step: Number(m[2]), type: m[3] as PKIBodyType, der: new Uint8Array(readFileSync(join(dir, file))) };
  })
  .sort((a, b) => a.scenario.localeCompare(b.scenario) || a.step - b.step);

const scenarios = new Map<string, Fixture[]>();
for (const f of fixtures) scenarios.set(f.scenario, [...(scenarios.get(f.scenario) ?? []), f]);

function pemDer(name: string): Uint8Array {
  return new Uint8Array(new X509Certificate(readFileSync(join(dir, `${name}.pem`))).raw);
}

function decoded(f: Fixture): PKIMessage {
  return decodePkiMessage(f.der);
}

/** The fixture of the same scenario at `step`. */
function at(f: Fixture, step: number): PKIMessage {
  return decoded(scenarios.get(f.scenario)!.find((g) => g.step === step)!);
}

function isRequest(type: PKIBodyType): boolean {
  return ['ir', 'cr', 'kur', 'p10cr', 'rr', 'genm', 'certConf', 'pollReq'].includes(type);
}

/** Checks PKIMessage.protection over our encoding of ProtectedPart. */
function checkProtection(m: PKIMessage): void {
  const alg = m.header.protectionAlg!;
  const protectedPart = encodeProtectedPart(m.header, m.body);
  const protection = new Uint8Array(m.protection!.value);
  if (alg.algorithm === ID_PASSWORD_BASED_MAC) {
    // RFC 9810 §5.1.3.1: K = OWF^iterationCount(secret || salt), protection = MAC(K, ProtectedPart)
    const p = decodeAsn1(new Uint8Array(alg.parameters!), PBMParameter);
    const owf = { [ID_SHA256]: 'sha256', [ID_SHA1]: 'sha1' }[p.owf.algorithm];
    // The client was told -mac hmacWithSHA256; the 3.0 mock server answers with its default hmac-sha1.
    const hmac = { [ID_HMAC_WITH_SHA256]: 'sha256', [ID_HMAC_SHA1]: 'sha1' }[p.mac.algorithm];
    expect(owf, `owf ${p.owf.algorithm}`).to.be.a('string');
    expect(hmac, `mac ${p.mac.algorithm}`).to.be.a('string');
    let k: Uint8Array = Buffer.concat([Buffer.from(MAC_SECRET), p.salt]);
    for (let i = 0; i < p.iterationCount; i++) k = createHash(owf!).update(k).digest();
    const mac = createHmac(hmac!, k).update(protectedPart).digest();
    expect(toHex(protection), 'PBM protection').to.equal(toHex(mac));
  } else {
    expect(alg.algorithm).to.equal(ID_ECDSA_WITH_SHA256);
    const signer = new X509Certificate(m.extraCerts![0]!.der);
    expect(verify('sha256', protectedPart, signer.publicKey, protection), 'signature protection').to.equal(true);
  }
}

describe('vectors: CMP messages from openssl cmp (RFC 9483 shapes)', () => {
  it('has the fixtures of every scenario', () => {
    expect([...scenarios.keys()].sort()).to.deep.equal(
      ['cr', 'cr-reject', 'error', 'genm-cacerts', 'genm-certreqtemplate', 'ir', 'ir-implicit', 'ir-mac', 'ir-rejected', 'kur', 'p10cr', 'poll', 'rr'].sort(),
    );
    const types = new Set(fixtures.map((f) => f.type));
    for (const t of ['ir', 'ip', 'cr', 'cp', 'p10cr', 'kur', 'kup', 'rr', 'rp', 'certConf', 'pkiconf', 'pollReq', 'pollRep', 'genm', 'genp', 'error']) {
      expect(types.has(t as PKIBodyType), t).to.equal(true);
    }
  });

  for (const f of fixtures) {
    describe(f.file, () => {
      it(`decodes as ${f.type} with a RFC 9483 §3.1 header`, () => {
        const m = decoded(f);
        expect(bodyTypeOf(m)).to.equal(f.type);
        const h = m.header;
        expect(h.pvno).to.equal(PVNO.cmp2000);
        expect(h.transactionID?.length, 'transactionID').to.equal(16);
        expect(h.senderNonce?.length, 'senderNonce').to.equal(16);
        expect(h.messageTime).to.be.instanceOf(Date);
        expect(h.sender.directoryName, 'sender is a directoryName').to.not.equal(undefined);
        expect(h.recipient.directoryName, 'recipient is a directoryName').to.not.equal(undefined);
        expect(m.protection, 'protection').to.not.equal(undefined);
        expect(h.protectionAlg, 'protectionAlg').to.not.equal(undefined);
        const first = at(f, 1);
        expect(toHex(h.transactionID!), 'same transactionID in the whole transaction').to.equal(toHex(first.header.transactionID!));
        if (f.step === 1) {
          expect(h.recipNonce, 'no recipNonce in the first message').to.equal(undefined);
        } else {
          const previous = at(f, f.step - 1);
          expect(toHex(h.recipNonce!), 'recipNonce = senderNonce of the message answered').to.equal(toHex(previous.header.senderNonce!));
        }
      });

      it('re-encodes to the identical DER', () => {
        expect(toHex(encodePkiMessage(decoded(f)))).to.equal(toHex(f.der));
      });

      it('has valid protection over ProtectedPart', () => {
        checkProtection(decoded(f));
      });

      it('has the expected body content', () => {
        const m = decoded(f);
        const b = m.body;
        switch (f.type) {
          case 'ir':
          case 'cr':
          case 'kur': {
            const reqs = b[f.type]!;
            expect(reqs).to.have.length(1);
            const msg = reqs[0]!;
            expect(msg.certReq.certReqId, 'certReqId 0 (RFC 9483 §4.1.1)').to.equal(0);
            const t = msg.certReq.certTemplate;
            expect(t.publicKey?.algorithm.algorithm).to.equal('1.2.840.10045.2.1');
            expect(t.subject?.[0]?.[0]?.value.toString()).to.equal('pledge-0001-ldevid');
            // POP: signature with the new key over the DER of certReq (RFC 4211 §4.1).
            const pop = msg.popo?.signature;
            expect(pop, 'POP signature').to.not.equal(undefined);
            expect(pop!.poposkInput).to.equal(undefined);
            const key = createPublicKey({ key: Buffer.from(encodeAsn1(t.publicKey!)), format: 'der', type: 'spki' });
            expect(verify('sha256', encodeAsn1(msg.certReq), key, new Uint8Array(pop!.signature.value)), 'POP').to.equal(true);
            if (f.type === 'kur') {
              const old = msg.certReq.controls?.find((c) => c.type === ID_REG_CTRL_OLD_CERT_ID);
              expect(old, 'oldCertID control').to.not.equal(undefined);
              const id = decodeAsn1(new Uint8Array(old!.value!), CertId);
              expect(toHex(id.serialNumber)).to.equal(new X509Certificate(pemDer('new')).serialNumber.toLowerCase());
            }
            const wantsImplicit = m.header.generalInfo?.some((i) => i.infoType === ID_IT_IMPLICIT_CONFIRM) ?? false;
            expect(wantsImplicit).to.equal(f.scenario === 'ir-implicit');
            expect(m.extraCerts?.length ?? 0, 'extraCerts carry the protection cert and chain').to.be.greaterThanOrEqual(f.scenario === 'ir-mac' ? 0 : 2);
            break;
          }
          case 'p10cr': {
            const csr = b.p10cr!;
            expect(csr.request.certificationRequestInfo.subject[0]?.[0]?.value.toString()).to.equal('pledge-0001-ldevid');
            expect(csr.der[0]).to.equal(0x30);
            break;
          }
          case 'ip':
          case 'cp':
          case 'kup': {
            const rep = b[f.type]!;
            expect(rep.response).to.have.length(1);
            const r = rep.response[0]!;
            expect(r.certReqId, 'certReqId (-1 for p10cr, RFC 9483 §4.1.4)').to.equal(f.scenario === 'p10cr' ? -1 : 0);
            if (f.scenario === 'poll' && f.step === 2) {
              expect(r.status.status, 'waiting').to.equal(PKIStatus.waiting);
              expect(r.certifiedKeyPair).to.equal(undefined);
            } else if (f.scenario === 'ir-rejected') {
              expect(r.status.status).to.equal(PKIStatus.rejection);
              expect(r.status.failInfo!.bits()).to.deep.equal([FailureInfo.badPOP, FailureInfo.badCertTemplate]);
              expect(r.status.failInfo!.names()).to.deep.equal(['badPOP', 'badCertTemplate']);
              expect([...r.status.statusString!]).to.deep.equal(['test: request refused']);
              expect(r.certifiedKeyPair).to.equal(undefined);
            } else {
              expect(r.status.status).to.equal(PKIStatus.accepted);
              const cert = r.certifiedKeyPair!.certOrEncCert.certificate!;
              expect(toHex(cert.der), 'the mock server answers with new.pem').to.equal(toHex(pemDer('new')));
            }
            if (f.scenario === 'ir') expect(rep.caPubs?.map((c) => toHex(c.der))).to.deep.equal([toHex(pemDer('root'))]);
            const granted = m.header.generalInfo?.find((i) => i.infoType === ID_IT_IMPLICIT_CONFIRM);
            if (f.scenario === 'ir-implicit') expect(granted?.infoValue, 'implicitConfirm granted, value NULL').to.equal(null);
            else expect(granted).to.equal(undefined);
            break;
          }
          case 'certConf': {
            const cc = b.certConf!;
            expect(cc).to.have.length(1);
            const s = cc[0]!;
            const answer = at(f, f.step - 1).body;
            const rep = (answer.ip ?? answer.cp ?? answer.kup)!;
            const cert = rep.response[0]!.certifiedKeyPair!.certOrEncCert.certificate!;
            expect(s.certReqId).to.equal(rep.response[0]!.certReqId);
            expect(toHex(s.certHash), 'certHash = SHA-256 of the cert (its signature hash)').to.equal(createHash('sha256').update(cert.der).digest('hex'));
            expect(s.hashAlg, 'no hashAlg with pvno 2').to.equal(undefined);
            if (f.scenario === 'cr-reject') {
              expect(s.statusInfo!.status).to.equal(PKIStatus.rejection);
              expect(s.statusInfo!.failInfo!.names()).to.deep.equal(['incorrectData']);
            } else {
              expect(s.statusInfo?.status ?? PKIStatus.accepted).to.equal(PKIStatus.accepted);
            }
            break;
          }
          case 'pkiconf':
            expect(b.pkiconf).to.equal(null);
            break;
          case 'pollReq':
            expect(b.pollReq!.map((e) => e.certReqId)).to.deep.equal([0]);
            break;
          case 'pollRep':
            expect(b.pollRep!.map((e) => [e.certReqId, e.checkAfter])).to.deep.equal([[0, 1]]);
            break;
          case 'rr': {
            const d = b.rr!;
            expect(d).to.have.length(1);
            const t = d[0]!.certDetails;
            const cert = new X509Certificate(pemDer('new'));
            expect(toHex(t.serialNumber!)).to.equal(cert.serialNumber.toLowerCase());
            expect(t.issuer?.[0]?.[0]?.value.toString()).to.equal('Test CMP Root CA');
            const reason = d[0]!.crlEntryDetails!.find((e: Extension) => e.extnID === '2.5.29.21')!;
            expect(toHex(new Uint8Array(reason.extnValue.buffer)), 'CRLReason superseded(4)').to.equal('0a0104');
            break;
          }
          case 'rp':
            expect(b.rp!.status.map((s) => s.status)).to.deep.equal([PKIStatus.accepted]);
            expect(b.rp!.revCerts).to.have.length(1);
            break;
          case 'genm':
          case 'genp': {
            const itavs = (b.genm ?? b.genp)!;
            const oid = f.scenario === 'genm-cacerts' ? ID_IT_CA_CERTS : ID_IT_CERT_REQ_TEMPLATE;
            expect(itavs.map((i) => i.infoType)).to.deep.equal([oid]);
            expect(itavs[0]!.infoValue, 'no value (openssl 3.0 mock server echoes the request)').to.equal(undefined);
            break;
          }
          case 'error': {
            const e = b.error!;
            expect(e.pKIStatusInfo.status).to.equal(PKIStatus.rejection);
            expect(e.pKIStatusInfo.failInfo!.names()).to.deep.equal(['badRequest']);
            expect(e.errorCode).to.be.a('number');
            expect(e.errorDetails!.length).to.be.greaterThan(0);
            break;
          }
          default:
            throw new Error(`no content check for ${f.type}`);
        }
        expect(isRequest(f.type)).to.equal(f.step % 2 === 1);
      });
    });
  }

  it('ir-mac: PBM protection names the shared secret by senderKID', () => {
    const m = decodePkiMessage(fixtures.find((f) => f.file === 'ir-mac.1.ir.der')!.der);
    expect(m.header.protectionAlg!.algorithm).to.equal(ID_PASSWORD_BASED_MAC);
    expect(Buffer.from(m.header.senderKID!).toString()).to.equal('pledge-0001');
  });

  it('PKIMessages: a batch of every fixture decodes and re-encodes byte for byte', () => {
    const batch = encodePkiMessages(fixtures.map((f) => decodePkiMessage(f.der)));
    const back = decodePkiMessages(batch);
    expect(back).to.be.instanceOf(PKIMessages);
    expect(back.map((m) => bodyTypeOf(m))).to.deep.equal(fixtures.map((f) => f.type));
    for (let i = 0; i < back.length; i++) expect(bytesEqual(encodePkiMessage(back[i]!), fixtures[i]!.der), fixtures[i]!.file).to.equal(true);
    expect(toHex(encodePkiMessages(back))).to.equal(toHex(batch));
  });

  it('nested (RFC 9483 §5.2.2.1): the inner message keeps its bytes, so its protection stays valid', () => {
    const inner = decodePkiMessage(fixtures.find((f) => f.file === 'ir.1.ir.der')!.der);
    const outer = new PKIMessage({
      header: new PKIHeader({
        sender: nullDn(),
        recipient: inner.header.recipient,
        transactionID: inner.header.transactionID,
        senderNonce: inner.header.senderNonce,
      }),
      body: new PKIBody({ nested: new NestedMessageContent([inner]) }),
    });
    const der = encodePkiMessage(outer);
    const back = decodePkiMessage(der);
    expect(bodyTypeOf(back)).to.equal('nested');
    const again = back.body.nested![0]!;
    expect(toHex(encodePkiMessage(again))).to.equal(toHex(fixtures.find((f) => f.file === 'ir.1.ir.der')!.der));
    checkProtection(again);
  });

  it('refuses a fixture with one byte appended, naming the offset', () => {
    const f = fixtures[0]!;
    const der = new Uint8Array([...f.der, 0]);
    try {
      decodePkiMessage(der);
      expect.fail('decoded');
    } catch (e) {
      expect(isStackError(e, 'ERR_CMP_MALFORMED')).to.equal(true);
      expect((e as { details: { offset?: number } }).details.offset).to.equal(f.der.length);
    }
  });
});
