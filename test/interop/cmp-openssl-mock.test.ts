/**
 * Our CmpClient against `openssl cmp` acting as a mock CMP server (RFC 9483 over HTTP, RFC 9811:
 * POST, Content-Type application/pkixcmp). openssl checks our protection, our POP, certHash and
 * oldCertID; we check its protection (signature and PBM MAC), nonces and transaction IDs.
 * A throwaway PKI is made with our own pki library. openssl's -check_after 1 means real 1 s
 * sleeps, so only one scenario polls.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ID_IT_CA_CERTS } from '../../src/codec/cmp/index.ts';
import {
  OID_KP_CMC_RA,
  certificatePem,
  certificatePublicKey,
  exportPrivateKeyPem,
  generateKeyPairSync,
  issueCertificate,
  sameCertificate,
  samePublicKey,
  type Certificate,
  type KeyPair,
} from '../../src/pki/index.ts';
import { CmpClient, type CmpClientOptions, type ProtectionCredentials } from '../../src/protocol/cmp/index.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';
import { killAll, requirePeer, spawnReady, type ReadyProcess } from '../helpers/processes.ts';

const SECRET = 'brski-ae-interop-secret';
const HOUR = 3600 * 1000;

interface Cred {
  readonly keys: KeyPair;
  readonly cert: Certificate;
}

describe('interop: CmpClient -> openssl cmp mock server', function () {
  this.timeout(30_000);
  let openssl: string;
  let dir: TempDir;
  let root: Cred;
  let srv: Cred;
  let pledge: Cred;
  /** The mock server answers every enrollment with this certificate, so it is for `newKey`. */
  let rsp: Cred;
  const servers: ReadyProcess[] = [];
  let plainUrl: string;
  let implicitUrl: string;
  let pollUrl: string;

  async function issue(cn: string, issuer: Cred | undefined, o: Partial<Parameters<typeof issueCertificate>[0]> = {}, keys = generateKeyPairSync('P-256')): Promise<Cred> {
    const cert = await issueCertificate({
      subject: `CN=${cn}`,
      publicKey: keys.publicKey,
      signingKey: issuer ? issuer.keys.privateKey : keys.privateKey,
      ...(issuer ? { issuerCertificate: issuer.cert } : {}),
      notBefore: new Date(Date.now() - HOUR),
      keyUsage: ['digitalSignature'],
      ...o,
    });
    return { keys, cert };
  }

  async function startMock(extra: string[]): Promise<string> {
    const p = await spawnReady(
      openssl,
      [
        'cmp', '-config', '', '-port', '0',
        '-srv_cert', join(dir.path, 'srv.pem'), '-srv_key', join(dir.path, 'srv.key'),
        '-srv_trusted', join(dir.path, 'root.pem'), '-srv_secret', `pass:${SECRET}`,
        '-rsp_cert', join(dir.path, 'rsp.pem'), '-rsp_extracerts', join(dir.path, 'root.pem'),
        ...extra,
      ],
      { ready: /^ACCEPT .*:(\d+) PID=/, readyOn: 'both', timeoutMs: 15_000, cwd: dir.path },
    );
    servers.push(p);
    return `http://127.0.0.1:${p.match[1]}/`;
  }

  /** RFC 9811 transfer: HTTP POST of the DER PKIMessage. */
  function httpTransfer(url: string): (der: Uint8Array) => Promise<Uint8Array> {
    return async (der) => {
      // One connection per message: the 3.0 mock server serves one connection at a time and,
      // with keep-alive, blocks on an idle one while the next request waits on a new one.
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/pkixcmp', connection: 'close' }, body: der });
      const body = new Uint8Array(await res.arrayBuffer());
      if (res.status !== 200) throw new Error(`HTTP ${res.status} from the mock server`);
      expect(res.headers.get('content-type')).to.match(/^application\/pkixcmp/);
      return body;
    };
  }

  function client(url: string, o: Partial<CmpClientOptions> = {}): CmpClient {
    const credentials: ProtectionCredentials = { kind: 'signature', privateKey: pledge.keys.privateKey, certificate: pledge.cert, chain: [] };
    return new CmpClient({ transfer: httpTransfer(url), credentials, trustAnchors: [root.cert], recipient: srv.cert, ...o });
  }

  before(async function () {
    openssl = requirePeer(this, 'openssl', 'install openssl (3.0 or later) or run .ci/run');
    dir = makeTempDir('brski-cmp-interop-');
    root = await issue('Interop Root CA', undefined, { basicConstraints: { ca: true }, keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'] });
    srv = await issue('Interop CMP RA', root, { extendedKeyUsage: [OID_KP_CMC_RA] });
    pledge = await issue('interop-pledge', root, { subject: 'CN=interop-pledge, serialNumber=0001' });
    rsp = await issue('interop-ldevid', root);
    for (const [name, c] of [['root', root], ['srv', srv], ['rsp', rsp]] as const) {
      writeFileSync(join(dir.path, `${name}.pem`), certificatePem(c.cert));
    }
    writeFileSync(join(dir.path, 'srv.key'), exportPrivateKeyPem(srv.keys.privateKey), { mode: 0o600 });
    // Separate servers: the 3.0 mock server keeps "implicit confirmation granted" for every later
    // transaction once it granted it, and then refuses the next certConf.
    [plainUrl, implicitUrl, pollUrl] = await Promise.all([
      startMock(['-rsp_capubs', join(dir.path, 'root.pem')]),
      startMock(['-grant_implicitconf']),
      startMock(['-poll_count', '2', '-check_after', '1']),
    ]);
  });

  after(async function () {
    await Promise.all(servers.map((s) => s.kill()));
    await killAll();
    dir?.remove();
  });

  function expectIssued(certificate: Certificate): void {
    expect(sameCertificate(certificate, rsp.cert), 'the mock server returns its -rsp_cert').to.equal(true);
    expect(samePublicKey(certificatePublicKey(certificate), rsp.keys.publicKey)).to.equal(true);
  }

  it('ir → ip → certConf → pkiConf (signature protection, caPubs)', async () => {
    const r = await client(plainUrl).enroll({ kind: 'ir', newKey: rsp.keys.privateKey, subject: 'CN=interop-ldevid' });
    expectIssued(r.certificate);
    expect(r.implicitConfirmGranted).to.equal(false);
    expect(r.caPubs.some((c) => sameCertificate(c, root.cert)), 'caPubs carry the root').to.equal(true);
    expect(r.responder.kind === 'signature' && sameCertificate(r.responder.certificate, srv.cert)).to.equal(true);
  });

  it('ir with implicitConfirm granted by the server: no certConf', async () => {
    const r = await client(implicitUrl).enroll({ kind: 'ir', newKey: rsp.keys.privateKey, subject: 'CN=interop-ldevid', implicitConfirm: true });
    expectIssued(r.certificate);
    expect(r.implicitConfirmGranted).to.equal(true);
  });

  it('p10cr → cp (our PKCS#10)', async () => {
    const r = await client(plainUrl).enroll({ kind: 'p10cr', newKey: rsp.keys.privateKey, subject: 'CN=interop-ldevid' });
    expectIssued(r.certificate);
  });

  it('kur protected with the certificate being updated (oldCertID checked by openssl)', async () => {
    const updater = client(plainUrl, { credentials: { kind: 'signature', privateKey: rsp.keys.privateKey, certificate: rsp.cert, chain: [] } });
    const r = await updater.enroll({ kind: 'kur', newKey: rsp.keys.privateKey });
    expectIssued(r.certificate);
  });

  it('cr with MAC protection (PBM): openssl verifies ours, we verify its hmac-sha1 answer', async () => {
    const c = client(plainUrl, {
      credentials: { kind: 'mac', secret: new TextEncoder().encode(SECRET), senderKid: new TextEncoder().encode('interop-ref'), iterationCount: 500 },
      macSender: 'CN=interop-ldevid',
    });
    const r = await c.enroll({ kind: 'cr', newKey: rsp.keys.privateKey, subject: 'CN=interop-ldevid' });
    expectIssued(r.certificate);
    expect(r.responder.kind).to.equal('mac');
  });

  it('genm id-it-caCerts → genp', async () => {
    const r = await client(plainUrl).generalMessage([ID_IT_CA_CERTS]);
    expect(r.itavs.map((i) => i.infoType)).to.deep.equal([ID_IT_CA_CERTS]);
    expect(r.caCerts, 'openssl 3.0 echoes the request ITAV (no value)').to.be.an('array');
  });

  it('rr → rp for the certificate the server issued', async () => {
    await client(plainUrl).revoke(rsp.cert, 4);
  });

  it('delayed delivery: ip(waiting) → pollReq/pollRep(checkAfter 1) → ip, real 1 s waits', async () => {
    const c = client(pollUrl);
    const started = Date.now();
    const r = await c.enroll({ kind: 'ir', newKey: rsp.keys.privateKey, subject: 'CN=interop-ldevid' });
    expectIssued(r.certificate);
    expect(Date.now() - started, 'honoured checkAfter').to.be.at.least(900);
  });
});
