/**
 * `brski masa serve` as a process: a fresh test PKI, an owners file for PLEDGE-0001, the MASA on
 * port 0; a registrar (the test PKI's registrar certificate, as TLS client and RVR signer) posts
 * COSE RVRs over HTTPS with client authentication, verifying the server against the manufacturer
 * root. Checks the voucher, the audit log, refusals and their log lines, the recorded TLS client
 * certificate, and `brski masa owners` changing ownership while the service runs.
 */
import { expect } from 'chai';
import { request } from 'node:https';
import { join } from 'node:path';
import { fromUtf8 } from '../../src/core/bytes.ts';
import { certificateSha256Hex, MEDIA_TYPE_VOUCHER_COSE, parseVoucherCose, verifyVoucherCose, type Voucher } from '../../src/codec/voucher/index.ts';
import { certificateDer, certificatePem, certificatesPem, exportPrivateKeyPem, loadPki, type TestPki } from '../../src/pki/index.ts';
import { MasaDb } from '../../src/store/masa-db.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';
import { BRSKI, killAll, run, spawnReady, type ReadyProcess } from '../helpers/processes.ts';
import { buildRvr } from '../unit/masa/requests.ts';

interface Answer {
  status: number;
  contentType: string;
  body: Uint8Array;
}

describe('e2e: brski masa serve (HTTPS, TLS client auth, COSE RVR)', function () {
  this.timeout(90_000);
  let dir: TempDir;
  let pki: TestPki;
  let dbFile: string;
  let masa: ReadyProcess;
  let port = 0;

  function post(path: string, body: Uint8Array, headers: Record<string, string>, clientAuth = true): Promise<Answer> {
    const reg = pki.domain.registrar;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          ca: certificatePem(pki.manufacturer.rootCa.certificate),
          ...(clientAuth ? { cert: certificatesPem([...reg.chain]), key: exportPrivateKeyPem(reg.privateKey) } : {}),
          headers: { ...headers, 'Content-Length': String(body.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, contentType: String(res.headers['content-type']), body: new Uint8Array(Buffer.concat(chunks)) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
  const requestVoucher = (body: Uint8Array, extra: Record<string, string> = {}, clientAuth = true) =>
    post('/.well-known/brski/requestvoucher', body, { 'Content-Type': MEDIA_TYPE_VOUCHER_COSE, Accept: MEDIA_TYPE_VOUCHER_COSE, ...extra }, clientAuth);

  before(async () => {
    dir = makeTempDir('brski-e2e-masa-');
    const init = await run(BRSKI, ['pki', 'init', join(dir.path, 'pki'), '--pledges', '3'], { timeoutMs: 30_000 });
    expect(init.code, init.stderr).to.equal(0);
    pki = await loadPki(join(dir.path, 'pki'));
    dbFile = join(dir.path, 'masa.db');
    dir.write('owners.json', JSON.stringify({ 'PLEDGE-0001': certificateSha256Hex(pki.domain.rootCa.certificate) }));
    masa = await spawnReady(BRSKI, ['masa', 'serve', '--pki', pki.dir, '--db', dbFile, '--port', '0', '--owners', join(dir.path, 'owners.json'), '--log-level', 'info'], {
      ready: /^ready https:\/\/127\.0\.0\.1:(\d+)$/,
      timeoutMs: 30_000,
    });
    port = Number(masa.match[1]);
  });
  after(async () => {
    await killAll();
    dir?.remove();
  });

  it('issues a proximity voucher for an owned pledge, signed by the MASA, pinning the domain issuing CA', async () => {
    const r = await requestVoucher(buildRvr(pki, pki.pledges[0]!));
    expect(r.status, Buffer.from(r.body).toString('utf8')).to.equal(200);
    expect(r.contentType).to.equal(MEDIA_TYPE_VOUCHER_COSE);
    const p = parseVoucherCose(r.body, 'voucher');
    verifyVoucherCose(p, pki.manufacturer.masa.certificate);
    const v = p.artifact as Voucher;
    expect(v).to.deep.include({ assertion: 'proximity', serialNumber: 'PLEDGE-0001' });
    expect(v.pinnedDomainCert).to.deep.equal(certificateDer(pki.domain.issuingCa.certificate));
  });

  it('records the registrar TLS client certificate in the audit log and serves the log', async () => {
    const db = MasaDb.open(dbFile, { readonly: true });
    try {
      const [e] = db.auditLog('PLEDGE-0001', 1).entries;
      expect(e!.tlsClientSha256).to.equal(certificateSha256Hex(pki.domain.registrar.certificate));
      expect(e!.registrarSha256).to.equal(certificateSha256Hex(pki.domain.registrar.certificate));
    } finally {
      db.close();
    }
    const r = await post('/.well-known/brski/requestauditlog', buildRvr(pki, pki.pledges[0]!), { 'Content-Type': MEDIA_TYPE_VOUCHER_COSE });
    expect(r.status).to.equal(200);
    expect(r.contentType).to.equal('application/json');
    const log = JSON.parse(fromUtf8(r.body));
    expect(log.version).to.equal(1);
    expect(log.events).to.have.length(1);
    expect(log.events[0].assertion).to.equal('proximity');
  });

  it('works without a TLS client certificate too (the RVR signature decides)', async () => {
    const r = await requestVoucher(buildRvr(pki, pki.pledges[0]!), {}, false);
    expect(r.status, Buffer.from(r.body).toString('utf8')).to.equal(200);
  });

  it('refuses with 403/404/415 and a plain-text reason, and logs each refusal', async () => {
    const noOwner = await requestVoucher(buildRvr(pki, pki.pledges[1]!));
    expect(noOwner.status).to.equal(403);
    expect(noOwner.contentType).to.match(/^text\/plain/);
    expect(fromUtf8(noOwner.body)).to.match(/no owner is registered for PLEDGE-0002/);
    expect((await requestVoucher(buildRvr(pki, pki.pledges[0]!, { pvr: null, serialNumber: 'PLEDGE-7777' }))).status).to.equal(404);
    expect((await requestVoucher(buildRvr(pki, pki.pledges[0]!), { 'Content-Type': 'application/json' })).status).to.equal(415);
    expect((await post('/.well-known/brski/nothing', new Uint8Array([1]), {})).status).to.equal(404);
    await new Promise((r) => setTimeout(r, 200));
    const lines = masa.stderr().split('\n').filter((l) => l.includes('"refused"')).map((l) => JSON.parse(l));
    expect(lines.map((l) => l.status)).to.include.members([403, 404, 415]);
    expect(lines.find((l) => l.status === 403)).to.deep.include({ serial: 'PLEDGE-0002', reason: 'no owner is registered for PLEDGE-0002' });
  });

  it('brski masa owners add / list / transfer change ownership while the service runs', async () => {
    const rootPem = join(pki.dir, 'domain', 'root-ca.pem');
    const add = await run(BRSKI, ['masa', 'owners', 'add', 'PLEDGE-0002', '--ca-cert', rootPem, '--db', dbFile]);
    expect(add.code, add.stderr).to.equal(0);
    expect((await requestVoucher(buildRvr(pki, pki.pledges[1]!))).status).to.equal(200);
    const conflict = await run(BRSKI, ['masa', 'owners', 'add', 'PLEDGE-0002', '--ca-sha256', 'ab'.repeat(32), '--db', dbFile]);
    expect(conflict.code).to.equal(1);
    expect(conflict.stderr).to.match(/use 'owners transfer'/);
    const transfer = await run(BRSKI, ['masa', 'owners', 'transfer', 'PLEDGE-0002', '--ca-sha256', 'ab'.repeat(32), '--db', dbFile, '--reason', 'resold']);
    expect(transfer.code, transfer.stderr).to.equal(0);
    expect((await requestVoucher(buildRvr(pki, pki.pledges[1]!))).status).to.equal(403);
    const list = await run(BRSKI, ['masa', 'owners', 'list', '--db', dbFile, '--json']);
    expect(list.code, list.stderr).to.equal(0);
    const owners = JSON.parse(list.stdout.toString('utf8')) as { serial: string; source: string }[];
    expect(owners.map((o) => [o.serial, o.source])).to.deep.equal([
      ['PLEDGE-0001', 'sales'],
      ['PLEDGE-0002', 'transfer'],
    ]);
  });

  it('stops cleanly on SIGTERM', async () => {
    const { code, signal } = await masa.kill();
    expect(signal ?? code).to.equal(0);
  });
});
