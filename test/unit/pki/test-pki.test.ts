import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStackError } from '../../../src/core/errors.ts';
import {
  certificateDer,
  initTestPki,
  loadPki,
  NO_WELL_DEFINED_EXPIRATION,
  OID_KP_CLIENT_AUTH,
  OID_KP_CMC_RA,
  OID_KP_SERVER_AUTH,
  PKI_MANIFEST_FILE,
  readExtendedKeyUsage,
  readMasaUrl,
  readSubjectSerialNumber,
  signData,
  verifyChain,
  verifyData,
  type TestPki,
} from '../../../src/pki/index.ts';

function openssl(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('pki test PKI generator', function () {
  let base: string;
  let pki: TestPki & { created: string[] };

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'brski-pki-'));
    pki = await initTestPki(join(base, 'pki'), { pledges: 3 });
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('creates the documented layout and lists every file in pki.json', () => {
    const m = pki.manifest;
    expect(m.pledges.map((p) => p.serialNumber)).to.deep.equal(['PLEDGE-0001', 'PLEDGE-0002', 'PLEDGE-0003']);
    expect(m.pledges[0]!.cert).to.equal('pledges/PLEDGE-0001/idevid.pem');
    expect(m.manufacturer.rootCa.cert).to.equal('manufacturer/root-ca.pem');
    expect(m.domain.registrar.key).to.equal('domain/registrar.key');
    expect(m.files).to.include(PKI_MANIFEST_FILE);
    expect(m.files).to.have.length(8 * 4 + 3 * 4 + 1);
    for (const f of m.files) expect(statSync(join(pki.dir, f)).isFile(), f).to.equal(true);
    const onDisk = JSON.parse(readFileSync(join(pki.dir, PKI_MANIFEST_FILE), 'utf8'));
    expect(onDisk).to.deep.equal(m);
  });

  it('writes private keys with mode 0600 and DER next to PEM', () => {
    for (const f of pki.manifest.files.filter((f) => f.endsWith('.key'))) {
      expect(statSync(join(pki.dir, f)).mode & 0o777, f).to.equal(0o600);
    }
    const der = readFileSync(pki.pledges[0]!.files.certDer);
    expect(new Uint8Array(der)).to.deep.equal(certificateDer(pki.pledges[0]!.certificate));
  });

  it('issues 802.1AR IDevIDs that chain to the manufacturer root and never expire', () => {
    for (const p of pki.pledges) {
      expect(readSubjectSerialNumber(p.certificate)).to.equal(p.serialNumber);
      expect(readMasaUrl(p.certificate)).to.equal('https://localhost:9443/.well-known/brski');
      expect(p.certificate.notAfter.getTime()).to.equal(NO_WELL_DEFINED_EXPIRATION.getTime());
      expect(p.chain.map((c) => c.subject)).to.deep.equal([p.certificate.subject, pki.manufacturer.issuingCa.certificate.subject]);
      const path = verifyChain(p.certificate, p.chain.slice(1), [pki.manufacturer.rootCa.certificate], {
        at: new Date('2999-01-01T00:00:00Z'),
      });
      expect(path).to.have.length(3);
    }
  });

  it('gives the registrar cmcRA, serverAuth and clientAuth, chained to the domain root', () => {
    const reg = pki.domain.registrar;
    expect(readExtendedKeyUsage(reg.certificate)).to.deep.equal([OID_KP_CMC_RA, OID_KP_SERVER_AUTH, OID_KP_CLIENT_AUTH]);
    verifyChain(reg.certificate, [pki.domain.issuingCa.certificate], [pki.domain.rootCa.certificate], { requireEku: OID_KP_CMC_RA });
    verifyChain(pki.domain.raCa.certificate, [pki.domain.issuingCa.certificate], [pki.domain.rootCa.certificate]);
    verifyChain(pki.manufacturer.masa.certificate, [], [pki.manufacturer.rootCa.certificate]);
    expect(() => verifyChain(reg.certificate, [pki.domain.issuingCa.certificate], [pki.manufacturer.rootCa.certificate])).to.throw();
  });

  it('loads back keys that sign for their certificates', async () => {
    const again = await loadPki(pki.dir);
    const data = new TextEncoder().encode('hello');
    for (const c of [again.domain.registrar, again.manufacturer.masa, again.pledges[2]!]) {
      expect(verifyData(c.certificate, data, signData(c.privateKey, data))).to.equal(true);
    }
  });

  it('refuses to overwrite without force, replaces with force', async () => {
    await initTestPki(pki.dir, { pledges: 1 }).then(
      () => expect.fail('overwrote an existing PKI'),
      (e: unknown) => expect(isStackError(e, 'ERR_CONFIG')).to.equal(true),
    );
    const other = join(base, 'other');
    const first = await initTestPki(other, { pledges: 2 });
    writeFileSync(join(other, 'keep-me.txt'), 'not ours');
    const second = await initTestPki(other, { pledges: 1, force: true });
    expect(second.pledges).to.have.length(1);
    expect(statSync(join(other, 'keep-me.txt')).isFile()).to.equal(true);
    expect(() => statSync(join(other, 'pledges/PLEDGE-0002'))).to.throw();
    expect(second.manufacturer.rootCa.certificate.serialNumber).to.not.equal(first.manufacturer.rootCa.certificate.serialNumber);
  });

  it("names the host of --masa-url in the MASA's TLS certificate, beside loopback", async () => {
    const san = (p: TestPki): string => new X509Certificate(certificateDer(p.manufacturer.masaTls.certificate)).subjectAltName ?? '';
    expect(san(pki)).to.equal('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    const byIp = await initTestPki(join(base, 'masa-ip'), { pledges: 1, masaUrl: 'https://[2001:db8::7]:9443/.well-known/brski' });
    expect(san(byIp)).to.equal('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:2001:DB8:0:0:0:0:0:7');
    const byName = await initTestPki(join(base, 'masa-dns'), { pledges: 1, masaUrl: 'https://MASA.example.com/.well-known/brski' });
    expect(san(byName)).to.equal('DNS:localhost, DNS:masa.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  });

  it('reports a missing PKI as ERR_NOT_FOUND', async () => {
    await loadPki(join(base, 'nothing')).then(
      () => expect.fail('loaded nothing'),
      (e: unknown) => expect(isStackError(e, 'ERR_NOT_FOUND')).to.equal(true),
    );
  });

  it('generates 50 pledges within a few seconds', async () => {
    const started = performance.now();
    const big = await initTestPki(join(base, 'fifty'), { pledges: 50 });
    const ms = performance.now() - started;
    expect(big.pledges).to.have.length(50);
    expect(big.pledges[49]!.serialNumber).to.equal('PLEDGE-0050');
    expect(ms).to.be.below(5000);
  });

  describe('openssl cross-check', function () {
    before(function () {
      if (!haveOpenssl) {
        if (process.env.CI === 'true') throw new Error('openssl is required under CI');
        console.warn('    !! openssl not found: skipping the openssl cross-check');
        this.skip();
      }
    });

    it('openssl verify accepts every IDevID with -untrusted manufacturer issuing CA', () => {
      for (const p of pki.pledges) {
        const r = openssl(['verify', '-CAfile', pki.manufacturer.rootCa.files.cert, '-untrusted', pki.manufacturer.issuingCa.files.cert, p.files.cert]);
        expect(r.status, r.out).to.equal(0);
        expect(r.out).to.include(': OK');
      }
    });

    it('openssl verify accepts the registrar (purpose sslserver and sslclient) and the RA/CA certificate', () => {
      const ca = ['-CAfile', pki.domain.rootCa.files.cert, '-untrusted', pki.domain.issuingCa.files.cert];
      for (const purpose of ['sslserver', 'sslclient']) {
        const r = openssl(['verify', ...ca, '-purpose', purpose, pki.domain.registrar.files.cert]);
        expect(r.status, r.out).to.equal(0);
      }
      const ra = openssl(['verify', ...ca, pki.domain.raCa.files.cert]);
      expect(ra.status, ra.out).to.equal(0);
      const masaTls = openssl(['verify', '-CAfile', pki.manufacturer.rootCa.files.cert, '-purpose', 'sslserver', pki.manufacturer.masaTls.files.cert]);
      expect(masaTls.status, masaTls.out).to.equal(0);
    });

    it('openssl verify rejects an IDevID against the domain root', () => {
      const r = openssl(['verify', '-CAfile', pki.domain.rootCa.files.cert, '-untrusted', pki.manufacturer.issuingCa.files.cert, pki.pledges[0]!.files.cert]);
      expect(r.status).to.not.equal(0);
    });

    it('openssl x509 -text shows the serialNumber attribute, the MASA URL extension and notAfter 9999', () => {
      const r = openssl(['x509', '-in', pki.pledges[1]!.files.cert, '-noout', '-text']);
      expect(r.status, r.out).to.equal(0);
      expect(r.out).to.match(/Subject:.*serialNumber = PLEDGE-0002/);
      expect(r.out).to.include('1.3.6.1.5.5.7.1.32');
      expect(r.out).to.include('https://localhost:9443/.well-known/brski');
      expect(r.out).to.include('Not After : Dec 31 23:59:59 9999 GMT');
      const asn = openssl(['asn1parse', '-in', pki.pledges[1]!.files.cert]);
      expect(asn.out).to.include('GENERALIZEDTIME   :99991231235959Z');
      // The extnValue OCTET STRING after the id-pe-masa-url OID holds an IA5String.
      const lines = asn.out.split('\n');
      const oidLine = lines.findIndex((l) => l.includes('OBJECT') && l.includes('1.3.6.1.5.5.7.1.32'));
      expect(oidLine, asn.out).to.be.above(0);
      const offset = /^\s*(\d+):/.exec(lines[oidLine + 1]!)![1]!;
      const inner = openssl(['asn1parse', '-in', pki.pledges[1]!.files.cert, '-strparse', offset]);
      expect(inner.out).to.match(/IA5STRING\s+:https:\/\/localhost:9443\/\.well-known\/brski/);
    });

    it('openssl reads the DER files and the PKCS#8 keys', () => {
      const d = openssl(['x509', '-inform', 'DER', '-in', pki.domain.registrar.files.certDer, '-noout', '-subject']);
      expect(d.out).to.include('CN = Registrar');
      const k = openssl(['pkey', '-in', pki.domain.registrar.files.key, '-noout']);
      expect(k.status, k.out).to.equal(0);
      const ext = openssl(['x509', '-in', pki.domain.registrar.files.cert, '-noout', '-ext', 'extendedKeyUsage,subjectAltName']);
      expect(ext.out).to.include('CMC Registration Authority').and.include('DNS:localhost').and.include('IP Address:127.0.0.1');
    });
  });
});
