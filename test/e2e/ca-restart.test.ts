/**
 * The RA/CA survives `kill -9` in the middle of a transaction: spawn `brski ca serve` on port 0
 * with a fresh test PKI, run an enrollment with our CmpClient, SIGKILL the CA between ip and
 * certConf, restart it on the same database and port, and complete. Exactly one certificate
 * exists for the transaction afterwards.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { bodyTypeOf, decodePkiMessage } from '../../src/codec/cmp/index.ts';
import { certificateDer, generateKeyPairSync, loadPki, readSubjectSerialNumber, type TestPki } from '../../src/pki/index.ts';
import { CmpClient } from '../../src/protocol/cmp/client.ts';
import { CaDb } from '../../src/store/ca-db.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';
import { BRSKI, killAll, run, spawnReady, type ReadyProcess } from '../helpers/processes.ts';

async function post(url: string, der: Uint8Array): Promise<Uint8Array> {
  const r = await fetch(`${url}/.well-known/cmp/p/site-a`, { method: 'POST', headers: { 'Content-Type': 'application/pkixcmp' }, body: der });
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
  return new Uint8Array(await r.arrayBuffer());
}

describe('e2e: RA/CA killed with SIGKILL mid-transaction (brski ca serve)', function () {
  this.timeout(60_000);
  let dir: TempDir;
  let pki: TestPki;
  let dbFile: string;
  let ca: ReadyProcess | undefined;
  let url = '';
  let port = 0;

  async function startCa(atPort: number): Promise<void> {
    ca = await spawnReady(BRSKI, ['ca', 'serve', '--pki', pki.dir, '--db', dbFile, '--port', String(atPort), '--allow-any', '--log-level', 'warn'], {
      ready: /^ready (http:\/\/127\.0\.0\.1:(\d+))$/,
      timeoutMs: 20_000,
    });
    url = ca.match[1]!;
    port = Number(ca.match[2]);
  }

  async function killCa(): Promise<void> {
    const c = ca!;
    c.child.kill('SIGKILL');
    const { signal } = await c.exited;
    expect(signal).to.equal('SIGKILL');
  }

  function client(): CmpClient {
    const p = pki.pledges[0]!;
    return new CmpClient({
      transfer: (der) => transfer(der),
      credentials: { kind: 'signature', privateKey: p.privateKey, certificate: p.certificate, chain: p.chain },
      trustAnchors: [pki.domain.rootCa.certificate],
    });
  }
  let transfer: (der: Uint8Array) => Promise<Uint8Array> = (der) => post(url, der);

  before(async () => {
    dir = makeTempDir('brski-e2e-ca-');
    const init = await run(BRSKI, ['pki', 'init', join(dir.path, 'pki'), '--pledges', '2'], { timeoutMs: 30_000 });
    expect(init.code, init.stderr).to.equal(0);
    pki = await loadPki(join(dir.path, 'pki'));
    dbFile = join(dir.path, 'ca.db');
    await startCa(0);
  });
  afterEach(() => {
    transfer = (der) => post(url, der);
  });
  after(async () => {
    await killAll();
    dir?.remove();
  });

  it('between ip and certConf: restart on the same DB and port, certConf completes, one certificate', async () => {
    const seen: string[] = [];
    let killed = false;
    transfer = async (der) => {
      const type = bodyTypeOf(decodePkiMessage(der));
      seen.push(type);
      if (type === 'certConf' && !killed) {
        killed = true;
        const before = port;
        await killCa();
        await startCa(before);
        expect(port).to.equal(before);
      }
      return post(url, der);
    };
    const result = await client().enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey, subject: 'CN=pledge e2e' });
    expect(killed).to.equal(true);
    expect(seen).to.deep.equal(['ir', 'certConf']);
    expect(readSubjectSerialNumber(result.certificate)).to.equal('PLEDGE-0001');

    const db = CaDb.open(dbFile);
    try {
      const issued = db.allIssuedForTransaction(result.transactionId);
      expect(issued).to.have.length(1);
      expect(issued[0]!.der).to.deep.equal(certificateDer(result.certificate));
      expect((await db.get(result.transactionId))!.state).to.equal('confirmed');
    } finally {
      db.close();
    }
  });

  it('ip lost, CA killed: the repeated ir gets the stored certificate, certConf completes, one certificate', async () => {
    let lostOnce = false;
    let firstIp: Uint8Array | undefined;
    transfer = async (der) => {
      if (!lostOnce) {
        lostOnce = true;
        firstIp = await post(url, der); // the CA issues and answers, the answer is lost
        await killCa();
        await startCa(port);
        return post(url, der); // the pledge repeats its ir
      }
      return post(url, der);
    };
    const result = await client().enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey });
    const lost = decodePkiMessage(firstIp!).body.ip!.response[0]!.certifiedKeyPair!.certOrEncCert.certificate!;
    expect(lost.der).to.deep.equal(certificateDer(result.certificate));
    const list = await run(BRSKI, ['ca', 'list', '--db', dbFile, '--json'], { timeoutMs: 20_000 });
    expect(list.code, list.stderr).to.equal(0);
    const listed = JSON.parse(list.stdout.toString('utf8')) as { issued: { transactionId: string }[] };
    const tidHex = Buffer.from(result.transactionId).toString('hex');
    expect(listed.issued.filter((c) => c.transactionId === tidHex)).to.have.length(1);
  });

  it('answers genm rootCaCert with "no update" and caCerts with root and issuing CA (our client; openssl 3.0 lacks rootCaCert)', async () => {
    const c = client();
    expect(await c.getRootCaUpdate(pki.domain.rootCa.certificate)).to.equal(null);
    const cas = await c.getCaCerts();
    expect(cas.map((x) => x.subject)).to.deep.equal([pki.domain.rootCa.certificate.subject, pki.domain.issuingCa.certificate.subject]);
  });
});
