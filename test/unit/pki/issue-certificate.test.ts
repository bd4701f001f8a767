import { expect } from 'chai';
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { bytesEqual, toHex } from '../../../src/core/bytes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import {
  buildName,
  certificateDer,
  certificatePem,
  formatName,
  generateKeyPairSync,
  issueCertificate,
  keyIdentifier,
  masaUrlExtension,
  NO_WELL_DEFINED_EXPIRATION,
  OID_AT_SERIAL_NUMBER,
  OID_KP_CMC_RA,
  OID_KP_SERVER_AUTH,
  OID_PE_MASA_URL,
  parseCertificate,
  parseCertificates,
  randomSerialNumber,
  readAuthorityKeyIdentifier,
  readBasicConstraints,
  readExtendedKeyUsage,
  readKeyUsage,
  readMasaUrl,
  readSubjectKeyIdentifier,
  readSubjectSerialNumber,
  subjectAttributes,
} from '../../../src/pki/index.ts';
import { makeCa, makeCert, makeRoot } from './helpers.ts';

const throwsCode = (code: string) => (e: unknown) => isStackError(e) && e.code === code;

describe('pki certificate issuance', () => {
  it('issues a self-signed CA with basicConstraints, keyUsage, SKI = AKI', async () => {
    const root = await makeRoot('root', { basicConstraints: { ca: true, pathLength: 2 } });
    expect(readBasicConstraints(root.cert)).to.deep.equal({ ca: true, pathLength: 2 });
    expect(readKeyUsage(root.cert)).to.deep.equal(['keyCertSign', 'cRLSign']);
    const ski = readSubjectKeyIdentifier(root.cert)!;
    expect(ski).to.deep.equal(keyIdentifier(root.keys.publicKey));
    expect(readAuthorityKeyIdentifier(root.cert)).to.deep.equal(ski);
    expect(root.cert.extensions.find((e) => e.type === '2.5.29.19')!.critical).to.equal(true);
  });

  it('issues an end-entity certificate chained by name and key identifier', async () => {
    const root = await makeRoot('root');
    const ee = await makeCert('registrar', root, {
      extendedKeyUsage: [OID_KP_CMC_RA, OID_KP_SERVER_AUTH],
      subjectAltName: { dns: ['localhost'], ip: ['127.0.0.1', '::1'], uri: ['coaps://[::1]'] },
    });
    expect(ee.cert.issuer).to.equal(root.cert.subject);
    expect(readAuthorityKeyIdentifier(ee.cert)).to.deep.equal(readSubjectKeyIdentifier(root.cert));
    expect(readExtendedKeyUsage(ee.cert)).to.deep.equal([OID_KP_CMC_RA, OID_KP_SERVER_AUTH]);
    const native = new NodeX509Certificate(certificateDer(ee.cert));
    expect(native.subjectAltName).to.include('DNS:localhost').and.include('IP Address:127.0.0.1');
    expect(native.verify(root.keys.publicKey)).to.equal(true);
  });

  it('draws positive 16-octet serial numbers', async () => {
    for (let i = 0; i < 200; i++) {
      const s = randomSerialNumber();
      expect(s).to.have.length(16);
      expect(s[0]).to.be.within(1, 0x7f);
    }
    const root = await makeRoot('root');
    expect(root.cert.serialNumber).to.have.length(32);
  });

  it('writes an 802.1AR IDevID: serialNumber attribute as PrintableString, MASA URL, notAfter 99991231235959Z', async () => {
    const ca = await makeRoot('manufacturer');
    const k = generateKeyPairSync();
    const cert = await issueCertificate({
      subject: [
        { type: 'O', value: 'Maker' },
        { type: 'CN', value: 'Pledge PLEDGE-0042' },
        { type: 'serialNumber', value: 'PLEDGE-0042' },
      ],
      publicKey: k.publicKey,
      issuerCertificate: ca.cert,
      signingKey: ca.keys.privateKey,
      notAfter: NO_WELL_DEFINED_EXPIRATION,
      extensions: [masaUrlExtension('https://localhost:9443/.well-known/brski')],
    });
    expect(readSubjectSerialNumber(cert)).to.equal('PLEDGE-0042');
    expect(subjectAttributes(cert, OID_AT_SERIAL_NUMBER)).to.deep.equal(['PLEDGE-0042']);
    expect(readMasaUrl(cert)).to.equal('https://localhost:9443/.well-known/brski');
    const der = toHex(certificateDer(cert));
    // serialNumber attribute: OID 2.5.4.5 then PrintableString (0x13) of 11 octets
    expect(der).to.include('0603550405130b' + Buffer.from('PLEDGE-0042').toString('hex'));
    // GeneralizedTime (0x18) 99991231235959Z
    expect(der).to.include('180f' + Buffer.from('99991231235959Z').toString('hex'));
    // id-pe-masa-url with IA5String (0x16) inside the extnValue OCTET STRING
    const ext = cert.extensions.find((e) => e.type === OID_PE_MASA_URL)!;
    expect(ext.critical).to.equal(false);
    expect(new Uint8Array(ext.value)[0]).to.equal(0x16);
  });

  it('round-trips long MASA URLs (long-form length) and rejects a MASA URL that is not an IA5String', async () => {
    const root = await makeRoot('root');
    const long = `https://masa.example/${'x'.repeat(300)}`;
    const a = await makeCert('a', root, { extensions: [masaUrlExtension(long)] });
    expect(readMasaUrl(a.cert)).to.equal(long);
    const utf8 = Uint8Array.from([0x0c, 0x03, 0x61, 0x62, 0x63]);
    const b = await makeCert('b', root, { extensions: [{ oid: OID_PE_MASA_URL, value: utf8 }] });
    expect(() => readMasaUrl(b.cert)).to.throw().that.satisfies(throwsCode('ERR_PKI'));
    const c = await makeCert('c', root);
    expect(readMasaUrl(c.cert)).to.equal(undefined);
    expect(() => masaUrlExtension('https://ä.example')).to.throw().that.satisfies(throwsCode('ERR_INVALID_ARGUMENT'));
  });

  it('adds arbitrary extensions and refuses duplicates', async () => {
    const root = await makeRoot('root');
    const ee = await makeCert('ee', root, { extensions: [{ oid: '1.2.3.4.5', value: Uint8Array.from([0x05, 0x00]) }] });
    expect(ee.cert.extensions.some((e) => e.type === '1.2.3.4.5')).to.equal(true);
    await makeCert('ee', root, {
      extensions: [{ oid: '2.5.29.15', value: Uint8Array.from([0x03, 0x02, 0x07, 0x80]) }],
    }).then(
      () => expect.fail('duplicate keyUsage accepted'),
      (e: unknown) => expect(throwsCode('ERR_INVALID_ARGUMENT')(e)).to.equal(true),
    );
  });

  it('refuses a signing key that does not belong to the issuer certificate', async () => {
    const root = await makeRoot('root');
    const other = generateKeyPairSync();
    await issueCertificate({
      subject: 'CN=x',
      publicKey: other.publicKey,
      issuerCertificate: root.cert,
      signingKey: other.privateKey,
    }).then(
      () => expect.fail('wrong issuer key accepted'),
      (e: unknown) => expect(throwsCode('ERR_INVALID_ARGUMENT')(e)).to.equal(true),
    );
  });

  it('signs with each supported issuer key type', async () => {
    for (const alg of ['P-256', 'P-384', 'Ed25519', 'RSA-2048'] as const) {
      const root = await makeRoot(`root ${alg}`, {}, alg);
      const ca = await makeCa(`ca ${alg}`, root, {}, alg);
      const native = new NodeX509Certificate(certificateDer(ca.cert));
      expect(native.verify(root.keys.publicKey), alg).to.equal(true);
    }
  });

  it('encodes names: C and serialNumber as PrintableString, others UTF8String, DER order kept', () => {
    const name = buildName('C=DE, O=Müller \\, Söhne, CN=x');
    expect(formatName(name)).to.equal('C=DE, O=Müller \\, Söhne, CN=x');
    const der = toHex(new Uint8Array(name.toArrayBuffer()));
    expect(der).to.include('0603550406' + '1302' + Buffer.from('DE').toString('hex'));
    expect(der).to.include('060355040a' + '0c'); // UTF8String
    expect(() => buildName([{ type: 'serialNumber', value: 'bad_serial' }])).to.throw().that.satisfies(throwsCode('ERR_INVALID_ARGUMENT'));
    expect(() => buildName('XX=1')).to.throw().that.satisfies(throwsCode('ERR_INVALID_ARGUMENT'));
  });

  it('reads certificates from DER, PEM and PEM bundles, and reports garbage as ERR_PKI', async () => {
    const root = await makeRoot('root');
    const ee = await makeCert('ee', root);
    expect(bytesEqual(certificateDer(parseCertificate(certificateDer(ee.cert))), certificateDer(ee.cert))).to.equal(true);
    const bundle = certificatePem(ee.cert) + certificatePem(root.cert);
    expect(parseCertificates(bundle).map((c) => c.subject)).to.deep.equal([ee.cert.subject, root.cert.subject]);
    expect(() => parseCertificate(Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x01]))).to.throw().that.satisfies(throwsCode('ERR_PKI'));
  });
});
