/**
 * `openssl cmp` (the client) against `brski ca serve`: every operation the Lightweight CMP
 * Profile uses, with signature protection (a pledge IDevID from the test PKI; responses verified
 * against the domain root with -trusted) and MAC protection (-secret + -ref); manual approval
 * (openssl polls, the test runs `brski ca approve|reject`); and refusals, each of which must make
 * openssl exit non-zero with the CA's reason in its output.
 *
 * Missing openssl: skipped loudly on a developer machine, a failure under CI=true.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import {
  CaCertsValue,
  CertReqTemplateContent,
  ID_IT_CA_CERTS,
  ID_IT_CERT_REQ_TEMPLATE,
  ID_IT_ROOT_CA_CERT,
  ID_IT_ROOT_CA_KEY_UPDATE,
  ID_REG_CTRL_ALG_ID,
  bodyTypeOf,
  decodeInfoValue,
  decodePkiMessage,
  encodePkiMessage,
} from '../../src/codec/cmp/index.ts';
import { cryptoRandom } from '../../src/core/random.ts';
import { CmpClient } from '../../src/protocol/cmp/client.ts';
import {
  OID_SECP256R1,
  certificateDer,
  certificatePem,
  exportPrivateKeyPem,
  formatName,
  generateKeyPairSync,
  initTestPki,
  parseCertificate,
  parseCertificates,
  readSubjectSerialNumber,
  type TestPki,
} from '../../src/pki/index.ts';
import { buildHeader, certConfBody, directoryName, newNonce } from '../../src/protocol/cmp/message-builder.ts';
import { protectMessage } from '../../src/protocol/cmp/protection.ts';
import { CaDb } from '../../src/store/ca-db.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';
import { BRSKI, killAll, requirePeer, run, spawnReady, type RunResult } from '../helpers/processes.ts';

const SECRET = 'interop-mac-secret';

interface Ca {
  readonly port: number;
  readonly db: string;
}

describe('interop: openssl cmp client against brski ca serve', function () {
  this.timeout(60_000);
  let openssl: string;
  let opensslHelp = '';
  let dir: TempDir;
  let pki: TestPki;
  let foreign: TestPki;
  let ca: Ca;
  let manual: Ca;
  const key: string[] = [];

  const path = (name: string): string => join(dir.path, name);
  const output = (r: RunResult): string => `${r.stdout.toString('utf8')}${r.stderr}`;

  before(async function () {
    openssl = requirePeer(this, 'openssl', 'install openssl 3.x');
    const help = await run(openssl, ['cmp', '-help'], { timeoutMs: 10_000 });
    opensslHelp = output(help);
    if (!/-infotype/.test(opensslHelp)) {
      const msg = 'this openssl has no cmp command (OpenSSL 3.0 or later needed)';
      if (process.env.CI === 'true') throw new Error(msg);
      process.stderr.write(`\n  !!! SKIPPING: ${msg}\n`);
      this.skip();
    }
    dir = makeTempDir('brski-interop-ca-');
    [pki, foreign] = await Promise.all([initTestPki(path('pki'), { pledges: 3 }), initTestPki(path('foreign'), { pledges: 1 })]);
    for (let i = 0; i < 6; i++) {
      key.push(path(`new-${i}.key`));
      writeFileSync(key[i]!, exportPrivateKeyPem(generateKeyPairSync('P-256').privateKey), { mode: 0o600 });
    }
    // PLEDGE-0003 is deliberately missing from the inventory.
    writeFileSync(path('inventory.json'), JSON.stringify({ 'site-a': ['PLEDGE-0001', 'PLEDGE-0002'] }));
    const start = async (db: string, extra: string[]): Promise<Ca> => {
      const p = await spawnReady(
        BRSKI,
        ['ca', 'serve', '--pki', pki.dir, '--db', db, '--port', '0', '--inventory', path('inventory.json'), '--log-level', 'warn', ...extra],
        { ready: /^ready http:\/\/127\.0\.0\.1:(\d+)$/, timeoutMs: 20_000, env: { ...process.env, BRSKI_CA_SECRET: SECRET } },
      );
      return { port: Number(p.match[1]), db };
    };
    [ca, manual] = await Promise.all([start(path('ca.db'), []), start(path('manual.db'), ['--manual-approval', '--check-after', '1'])]);
  });
  after(async () => {
    await killAll();
    dir?.remove();
  });

  /** Common client options: server, path with label, trust anchor = domain root, bounded time. */
  function base(target: Ca, label = 'site-a'): string[] {
    return [
      'cmp', '-config', '', '-batch',
      '-server', `127.0.0.1:${target.port}`, '-path', `/.well-known/cmp/p/${label}`,
      '-trusted', pki.domain.rootCa.files.cert,
      '-msg_timeout', '10', '-total_timeout', '30',
    ];
  }
  /** Signature protection with a pledge's IDevID (the chain goes in extraCerts). */
  function idevid(i: number, p: TestPki = pki): string[] {
    const c = p.pledges[i]!;
    return ['-cert', c.files.cert, '-key', c.files.key, '-extracerts', p.manufacturer.issuingCa.files.cert];
  }
  function cmp(args: string[]): Promise<RunResult> {
    return run(openssl, args, { timeoutMs: 40_000 });
  }
  function ok(r: RunResult): string {
    const out = output(r);
    expect(r.code, out).to.equal(0);
    return out;
  }
  function refused(r: RunResult, reason: RegExp): string {
    const out = output(r);
    expect(r.code, out).to.not.equal(0);
    expect(out).to.match(reason);
    return out;
  }
  const certFile = (f: string) => parseCertificate(readFileSync(f, 'utf8'));
  const issuedCount = (db: string): number => {
    const d = CaDb.open(db, { readonly: true });
    try {
      return d.countIssued();
    } finally {
      d.close();
    }
  };

  describe('signature protection (IDevID)', () => {
    it('ir → ip → certConf → pkiConf: LDevID with the pledge serial, chaining to the domain root, caPubs = root', async () => {
      const out = ok(
        await cmp([...base(ca), ...idevid(0), '-cmd', 'ir', '-newkey', key[0]!, '-subject', '/CN=pledge one', '-certout', path('ir.pem'), '-cacertsout', path('capubs.pem')]),
      );
      expect(out).to.match(/sending CERTCONF/).and.match(/received PKICONF/);
      const cert = certFile(path('ir.pem'));
      expect(readSubjectSerialNumber(cert)).to.equal('PLEDGE-0001');
      expect(formatName(cert.subjectName)).to.equal('CN=pledge one, serialNumber=PLEDGE-0001');
      const capubs = parseCertificates(readFileSync(path('capubs.pem'), 'utf8'));
      expect(capubs.map((c) => Buffer.from(certificateDer(c)).toString('hex'))).to.deep.equal([Buffer.from(certificateDer(pki.domain.rootCa.certificate)).toString('hex')]);
      ok(await run(openssl, ['verify', '-CAfile', pki.domain.rootCa.files.cert, '-untrusted', pki.domain.issuingCa.files.cert, '-purpose', 'sslclient', path('ir.pem')]));
    });

    it('ir with implicit confirmation: granted, no certConf', async () => {
      const out = ok(await cmp([...base(ca), ...idevid(0), '-cmd', 'ir', '-implicit_confirm', '-newkey', key[5]!, '-subject', '/CN=implicit', '-certout', path('implicit.pem')]));
      expect(out).to.not.match(/sending CERTCONF/);
    });

    it('cr → cp → certConf → pkiConf', async () => {
      ok(await cmp([...base(ca), ...idevid(1), '-cmd', 'cr', '-newkey', key[1]!, '-subject', '/CN=pledge two', '-certout', path('cr.pem')]));
      expect(readSubjectSerialNumber(certFile(path('cr.pem')))).to.equal('PLEDGE-0002');
    });

    it('p10cr (PKCS#10) → cp', async () => {
      ok(await run(openssl, ['req', '-new', '-key', key[2]!, '-subj', '/CN=pledge p10', '-out', path('p10.csr')]));
      ok(await cmp([...base(ca), ...idevid(0), '-cmd', 'p10cr', '-csr', path('p10.csr'), '-certout', path('p10.pem')]));
      expect(formatName(certFile(path('p10.pem')).subjectName)).to.equal('CN=pledge p10, serialNumber=PLEDGE-0001');
    });

    it('kur (protected with the LDevID being updated) → kup: new key, same subject', async () => {
      ok(
        await cmp([
          ...base(ca), '-cert', path('ir.pem'), '-key', key[0]!, '-extracerts', pki.domain.issuingCa.files.cert,
          '-cmd', 'kur', '-newkey', key[3]!, '-certout', path('kur.pem'),
        ]),
      );
      const old = certFile(path('ir.pem'));
      const fresh = certFile(path('kur.pem'));
      expect(fresh.subject).to.equal(old.subject);
      expect(fresh.serialNumber).to.not.equal(old.serialNumber);
    });

    it('rr → rp: revoked once; revoking again is refused (certRevoked)', async () => {
      const out = ok(await cmp([...base(ca), ...idevid(1), '-cmd', 'rr', '-oldcert', path('cr.pem'), '-revreason', '4']));
      expect(out).to.match(/revocation accepted/);
      refused(await cmp([...base(ca), ...idevid(1), '-cmd', 'rr', '-oldcert', path('cr.pem'), '-revreason', '4']), /certRevoked/);
    });

    it('genm caCerts → genp with the domain root and the issuing CA', async () => {
      const out = ok(await cmp([...base(ca), ...idevid(0), '-cmd', 'genm', '-infotype', 'caCerts', '-rspout', path('genp-cacerts.der')]));
      expect(out).to.match(/id-it-caCerts/);
      const genp = decodePkiMessage(new Uint8Array(readFileSync(path('genp-cacerts.der'))));
      const itav = genp.body.genp!.find((i) => i.infoType === ID_IT_CA_CERTS)!;
      const certs = [...decodeInfoValue(itav, CaCertsValue)!].map((c) => formatName(parseCertificate(c.der).subjectName));
      expect(certs).to.deep.equal([formatName(pki.domain.rootCa.certificate.subjectName), formatName(pki.domain.issuingCa.certificate.subjectName)]);
    });

    it('genm certReqTemplate → genp with subject, EKU and keySpec P-256', async () => {
      const out = ok(await cmp([...base(ca), ...idevid(0), '-cmd', 'genm', '-infotype', 'certReqTemplate', '-rspout', path('genp-template.der')]));
      expect(out).to.match(/id-it-certReqTemplate/);
      const genp = decodePkiMessage(new Uint8Array(readFileSync(path('genp-template.der'))));
      const t = decodeInfoValue(genp.body.genp!.find((i) => i.infoType === ID_IT_CERT_REQ_TEMPLATE)!, CertReqTemplateContent)!;
      expect(t.certTemplate.extensions!.map((e) => e.extnID)).to.deep.equal(['2.5.29.37']);
      expect(t.keySpec![0]!.type).to.equal(ID_REG_CTRL_ALG_ID);
      const alg = AsnConvert.parse(t.keySpec![0]!.value!, AlgorithmIdentifier);
      expect((asn1js.fromBER(alg.parameters!).result as asn1js.ObjectIdentifier).valueBlock.toString()).to.equal(OID_SECP256R1);
    });

    it('genm rootCaCert → genp rootCaKeyUpdate (openssl where it lists rootCaCert, else our CMP client)', async function () {
      if (!/rootCaCert|-oldwithold|-newwithnew/.test(opensslHelp)) {
        // OpenSSL 3.0 knows neither the infoType name nor -oldwithold/-newwithnew (added in 3.2), so
        // the same request goes from our client to the same CA over the same HTTP path.
        process.stderr.write('\n  (rootCaCert: this openssl cannot send it; asking with our CMP client instead)\n');
        const p = pki.pledges[0]!;
        const client = new CmpClient({
          transfer: async (der) => {
            const r = await fetch(`http://127.0.0.1:${ca.port}/.well-known/cmp/p/site-a`, { method: 'POST', headers: { 'content-type': 'application/pkixcmp' }, body: der });
            return new Uint8Array(await r.arrayBuffer());
          },
          credentials: { kind: 'signature', privateKey: p.privateKey, certificate: p.certificate, chain: p.chain },
          trustAnchors: [pki.domain.rootCa.certificate],
        });
        const res = await client.generalMessage([ID_IT_ROOT_CA_CERT]);
        expect(res.itavs.map((i) => i.infoType)).to.deep.equal([ID_IT_ROOT_CA_KEY_UPDATE]);
        expect(res.rootCaKeyUpdate ?? null, 'no root CA update announced').to.equal(null);
        return;
      }
      const out = ok(
        await cmp([...base(ca), ...idevid(0), '-cmd', 'genm', '-infotype', 'rootCaCert', '-oldwithold', pki.domain.rootCa.files.cert, '-newwithnew', path('nwn.pem')]),
      );
      expect(out).to.match(/no root CA certificate update|rootCaKeyUpdate/i);
    });
  });

  describe('MAC protection (-secret, -ref)', () => {
    it('ir with PBM: MAC-protected answers, LDevID for the reference in the inventory', async () => {
      ok(
        await cmp([
          ...base(ca), '-secret', `pass:${SECRET}`, '-ref', 'PLEDGE-0002', '-cmd', 'ir', '-newkey', key[4]!, '-subject', '/CN=mac pledge', '-certout', path('mac.pem'),
        ]),
      );
      expect(readSubjectSerialNumber(certFile(path('mac.pem')))).to.equal('PLEDGE-0002');
    });

    it('refuses a wrong secret (badMessageCheck)', async () => {
      refused(
        await cmp([...base(ca), '-secret', 'pass:wrong-secret', '-ref', 'PLEDGE-0002', '-cmd', 'ir', '-newkey', key[4]!, '-subject', '/CN=x', '-certout', path('x.pem')]),
        /badMessageCheck/,
      );
    });

    it('refuses a reference not in the inventory (notAuthorized)', async () => {
      refused(
        await cmp([...base(ca), '-secret', `pass:${SECRET}`, '-ref', 'PLEDGE-0003', '-cmd', 'ir', '-newkey', key[4]!, '-subject', '/CN=x', '-certout', path('x.pem')]),
        /notAuthorized/,
      );
    });
  });

  describe('manual approval (openssl polls)', () => {
    async function pendingId(db: string): Promise<number> {
      for (let i = 0; i < 100; i++) {
        const r = await run(BRSKI, ['ca', 'list', '--db', db, '--json'], { timeoutMs: 20_000 });
        const list = JSON.parse(r.stdout.toString('utf8')) as { approvals: { id: number; state: string }[] };
        const p = list.approvals.find((a) => a.state === 'pending');
        if (p) return p.id;
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error('no pending approval appeared');
    }

    it('waits until `brski ca approve`, then gets the certificate', async () => {
      const before = issuedCount(manual.db);
      const client = cmp([...base(manual), ...idevid(0), '-cmd', 'ir', '-newkey', key[0]!, '-subject', '/CN=approved', '-certout', path('approved.pem')]);
      const id = await pendingId(manual.db);
      expect(issuedCount(manual.db)).to.equal(before);
      const a = await run(BRSKI, ['ca', 'approve', String(id), '--db', manual.db], { timeoutMs: 20_000 });
      expect(a.code, a.stderr).to.equal(0);
      const out = ok(await client);
      expect(out).to.match(/received 'waiting' PKIStatus/).and.match(/received POLLREP/).and.match(/waiting for operator approval/);
      expect(readSubjectSerialNumber(certFile(path('approved.pem')))).to.equal('PLEDGE-0001');
      expect(issuedCount(manual.db)).to.equal(before + 1);
    });

    it('is refused after `brski ca reject --reason`, with the reason in openssl output', async () => {
      const client = cmp([...base(manual), ...idevid(1), '-cmd', 'ir', '-newkey', key[1]!, '-subject', '/CN=rejected', '-certout', path('rejected.pem')]);
      const id = await pendingId(manual.db);
      const r = await run(BRSKI, ['ca', 'reject', String(id), '--db', manual.db, '--reason', 'not on the delivery note'], { timeoutMs: 20_000 });
      expect(r.code, r.stderr).to.equal(0);
      refused(await client, /notAuthorized[\s\S]*not on the delivery note|not on the delivery note[\s\S]*notAuthorized/);
    });
  });

  describe('refusals', () => {
    it('an untrusted signer (IDevID of another manufacturer): signerNotTrusted', async () => {
      const before = issuedCount(ca.db);
      refused(
        await cmp([...base(ca), ...idevid(0, foreign), '-cmd', 'ir', '-newkey', key[0]!, '-subject', '/CN=x', '-certout', path('x.pem')]),
        /signerNotTrusted/,
      );
      expect(issuedCount(ca.db)).to.equal(before);
    });

    it('a serial number missing from the inventory: notAuthorized', async () => {
      refused(await cmp([...base(ca), ...idevid(2), '-cmd', 'ir', '-newkey', key[0]!, '-subject', '/CN=x', '-certout', path('x.pem')]), /notAuthorized/);
    });

    it('a known pledge under a label it is not listed for: notAuthorized', async () => {
      refused(await cmp([...base(ca, 'site-b'), ...idevid(0), '-cmd', 'ir', '-newkey', key[0]!, '-subject', '/CN=x', '-certout', path('x.pem')]), /notAuthorized/);
    });

    it('a tampered message (one byte of the template changed after signing): badMessageCheck', async () => {
      // openssl writes its ir (the CA answers it; that transaction does not matter here) …
      ok(await cmp([...base(ca), ...idevid(0), '-cmd', 'ir', '-newkey', key[0]!, '-subject', '/CN=tamper', '-reqout', path('ir-orig.der'), '-certout', path('t.pem'), '-disable_confirm']));
      const der = new Uint8Array(readFileSync(path('ir-orig.der')));
      const at = Buffer.from(der).indexOf(Buffer.from('tamper'));
      expect(at).to.be.greaterThan(0);
      der[at] = 'T'.charCodeAt(0);
      writeFileSync(path('ir-tampered.der'), der);
      // … and sends it again, changed, with -reqin.
      refused(
        await cmp([...base(ca), ...idevid(0), '-cmd', 'ir', '-newkey', key[0]!, '-subject', '/CN=tamper', '-reqin', path('ir-tampered.der'), '-certout', path('t2.pem')]),
        /badMessageCheck/,
      );
    });

    it('a certConf with a wrong transactionID (hand-made with our codec): refused; the right one still completes', async () => {
      const before = issuedCount(ca.db);
      ok(
        await cmp([
          ...base(ca), ...idevid(0), '-cmd', 'ir', '-disable_confirm', '-newkey', key[0]!, '-subject', '/CN=certconf', '-certout', path('cc.pem'),
          '-rspout', path('cc-ip.der'),
        ]),
      );
      expect(issuedCount(ca.db)).to.equal(before + 1);
      const ip = decodePkiMessage(new Uint8Array(readFileSync(path('cc-ip.der'))));
      const cert = certFile(path('cc.pem'));
      const p = pki.pledges[0]!;
      const certConf = (transactionId: Uint8Array): Uint8Array => {
        const { body, pvno } = certConfBody({ certificate: cert, certReqId: 0 });
        const header = buildHeader({
          pvno,
          sender: directoryName(p.certificate),
          recipient: ip.header.sender,
          messageTime: new Date(),
          transactionId,
          senderNonce: newNonce(cryptoRandom),
          recipNonce: ip.header.senderNonce!,
        });
        return encodePkiMessage(protectMessage(header, body, { kind: 'signature', privateKey: p.privateKey, certificate: p.certificate, chain: p.chain }));
      };
      writeFileSync(path('certconf-wrong-tid.der'), certConf(newNonce(cryptoRandom)));
      refused(
        await cmp([...base(ca), ...idevid(0), '-cmd', 'ir', '-newkey', key[0]!, '-subject', '/CN=x', '-reqin', path('certconf-wrong-tid.der'), '-certout', path('y.pem')]),
        /badRequest[\s\S]*unknown transaction/,
      );
      // The real transaction is untouched: its certConf (right transactionID) gets pkiConf.
      const r = await fetch(`http://127.0.0.1:${ca.port}/.well-known/cmp/p/site-a`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/pkixcmp' },
        body: certConf(ip.header.transactionID!),
      });
      expect(bodyTypeOf(decodePkiMessage(new Uint8Array(await r.arrayBuffer())))).to.equal('pkiconf');
      expect(issuedCount(ca.db)).to.equal(before + 1);
    });
  });

  describe('afterwards', () => {
    it('the CA database holds one certificate per transaction and none for refused pledges', () => {
      const d = CaDb.open(ca.db, { readonly: true });
      try {
        const all = d.recentIssued(1000);
        const byTx = new Map<string, number>();
        for (const c of all) {
          const k = `${Buffer.from(c.transactionId!).toString('hex')}/${c.certReqId}`;
          byTx.set(k, (byTx.get(k) ?? 0) + 1);
        }
        expect([...byTx.values()].every((n) => n === 1)).to.equal(true);
        expect(all.map((c) => c.pledgeSerial)).to.not.include('PLEDGE-0003');
        expect(all.length).to.equal(8); // ir, ir implicit, cr, p10cr, kur, ir MAC, ir (tamper source), ir (certConf test)
        expect(certificatePem(parseCertificate(all[0]!.der))).to.match(/BEGIN CERTIFICATE/);
      } finally {
        d.close();
      }
    });
  });
});
