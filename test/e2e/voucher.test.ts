/**
 * cBRSKI voucher exchange end to end, every role its own process on loopback:
 * `brski masa serve --first-claim` (HTTPS), `brski ca serve`, `brski registrar serve --security
 * oscore --require-voucher --masa-url …`, and `brski pledge --security oscore` (voucher on by
 * default there). Three pledges get a voucher (PVR → registrar → RVR → MASA → voucher), pin the
 * domain CA from it, and enroll with CMP over OSCORE. PLEDGE-0004 was given to another domain at
 * the MASA beforehand: the MASA refuses, the registrar answers 4.03, the pledge fails with the
 * refusal. A pledge with --no-voucher is refused enrollment by --require-voucher.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPki, parseCertificate, parseCertificates, readSubjectSerialNumber, verifyChain, type TestPki } from '../../src/pki/index.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';
import { BRSKI, killAll, run, spawnReady, type ReadyProcess } from '../helpers/processes.ts';

interface PledgeJson {
  totals: { enrolled: number; failed: number };
  pledges: { serialNumber: string; result: string; pvrBytes?: number; voucherBytes?: number; error?: { code: string; message: string } }[];
}

describe('e2e: voucher exchange, pledges → registrar --require-voucher → MASA (HTTPS) and RA/CA, separate processes', function () {
  this.timeout(90_000);
  let dir: TempDir;
  let pkiDir: string;
  let pki: TestPki;
  let masa: ReadyProcess;
  let registrar: ReadyProcess;
  let registrarUri: string;
  let registrarDb: string;

  before(async () => {
    dir = makeTempDir('brski-e2e-voucher-');
    pkiDir = join(dir.path, 'pki');
    const init = await run(BRSKI, ['pki', 'init', pkiDir, '--pledges', '5'], { timeoutMs: 30_000 });
    expect(init.code, init.stderr).to.equal(0);
    pki = await loadPki(pkiDir);
    const masaDb = join(dir.path, 'masa.db');
    masa = await spawnReady(BRSKI, ['masa', 'serve', '--pki', pkiDir, '--db', masaDb, '--port', '0', '--first-claim', '--log-level', 'info'], {
      ready: /^ready (https:\/\/127\.0\.0\.1:(\d+))$/,
      timeoutMs: 30_000,
    });
    const owned = await run(BRSKI, ['masa', 'owners', 'add', 'PLEDGE-0004', '--ca-sha256', 'ab'.repeat(32), '--db', masaDb]);
    expect(owned.code, owned.stderr.toString()).to.equal(0);
    const inventory = join(dir.path, 'inventory.json');
    writeFileSync(inventory, JSON.stringify({ '*': pki.pledges.map((p) => p.serialNumber) }));
    const ca = await spawnReady(BRSKI, ['ca', 'serve', '--pki', pkiDir, '--db', join(dir.path, 'ca.db'), '--port', '0', '--inventory', inventory, '--log-level', 'warn'], {
      ready: /^ready (http:\/\/127\.0\.0\.1:(\d+))$/,
      timeoutMs: 20_000,
    });
    registrarDb = join(dir.path, 'registrar.db');
    registrar = await spawnReady(
      BRSKI,
      [
        'registrar', 'serve', '--pki', pkiDir, '--db', registrarDb, '--port', '0', '--ca-url', ca.match[1]!, '--allow-any',
        '--security', 'oscore', '--require-voucher', '--masa-url', masa.match[1]!, '--check-after', '1', '--retry-base', '200', '--log-level', 'info',
      ],
      { ready: /^ready (coap:\/\/[^\s]+:(\d+))$/, timeoutMs: 20_000 },
    );
    registrarUri = registrar.match[1]!;
  });
  after(async () => {
    await killAll();
    dir?.remove();
  });

  async function pledges(name: string, first: number, count: number, extra: string[] = []): Promise<PledgeJson & { exit: number | null }> {
    const r = await run(
      BRSKI,
      [
        'pledge', '--pki', pkiDir, '--registrar', registrarUri, '--count', String(count), '--first', String(first), '--block-size', '64',
        '--state', join(dir.path, name), '--json', join(dir.path, `${name}.json`), '--timeout', '30', '--retry-base', '300',
        '--security', 'oscore', ...extra,
      ],
      { timeoutMs: 50_000 },
    );
    return { ...(JSON.parse(readFileSync(join(dir.path, `${name}.json`), 'utf8')) as PledgeJson), exit: r.code };
  }

  it('3 pledges get a voucher through the registrar and enroll with the pinned domain CA as trust anchor', async () => {
    const r = await pledges('ok', 1, 3, ['--voucher']);
    expect(r.totals.enrolled, JSON.stringify(r.pledges.filter((p) => p.result !== 'enrolled'))).to.equal(3);
    for (const p of r.pledges) {
      expect(p.pvrBytes, p.serialNumber).to.be.greaterThan(100);
      expect(p.voucherBytes, p.serialNumber).to.be.greaterThan(100);
      const d = join(dir.path, 'ok', p.serialNumber);
      const ldevid = parseCertificate(readFileSync(join(d, 'ldevid.pem'), 'utf8'));
      verifyChain(ldevid, parseCertificates(readFileSync(join(d, 'chain.pem'), 'utf8')), [pki.domain.rootCa.certificate]);
      expect(readSubjectSerialNumber(ldevid)).to.equal(p.serialNumber);
    }
    const delivered = registrar
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"voucher delivered"'))
      .map((l) => JSON.parse(l) as { pledge: string; pvrBytes: number; rvrBytes: number; voucherBytes: number });
    expect(delivered.map((l) => l.pledge).sort()).to.deep.equal(['PLEDGE-0001', 'PLEDGE-0002', 'PLEDGE-0003']);
    const s = delivered[0]!;
    process.stdout.write(`      sizes on the wire: PVR ${s.pvrBytes} B, RVR ${s.rvrBytes} B, voucher ${s.voucherBytes} B (pledge saw PVR ${r.pledges[0]!.pvrBytes} B, voucher ${r.pledges[0]!.voucherBytes} B)\n`);
    expect(s.rvrBytes).to.be.greaterThan(s.pvrBytes);
  });

  it('PLEDGE-0004, owned by another domain at the MASA, is refused (4.03) and stops', async () => {
    const r = await pledges('owned', 4, 1);
    expect(r.exit).to.equal(1);
    expect(r.totals.failed).to.equal(1);
    expect(r.pledges[0]!.error?.message ?? '').to.match(/refused the voucher request \(4\.03\).*MASA 403/);
    const refused = registrar.stderr().split('\n').filter((l) => l.includes('"voucher refused"'));
    expect(refused.some((l) => l.includes('PLEDGE-0004'))).to.equal(true);
  });

  it('--require-voucher refuses enrollment of a pledge that skipped the voucher', async () => {
    const r = await pledges('novoucher', 5, 1, ['--no-voucher']);
    expect(r.totals.failed).to.equal(1);
    expect(r.pledges[0]!.error?.message ?? '').to.match(/no valid voucher|notAuthorized/);
  });

  it('brski registrar status shows the vouchers and the voucher and enroll status telemetry', async () => {
    const st = await run(BRSKI, ['registrar', 'status', '--db', registrarDb, '--json']);
    expect(st.code, st.stderr.toString()).to.equal(0);
    const json = JSON.parse(st.stdout.toString('utf8')) as { pledges: Record<string, { voucherAt?: string; refusal?: string; voucherStatus?: { value: { status: boolean } }; enrollStatus?: { value: { status: boolean } } }> };
    for (const s of ['PLEDGE-0001', 'PLEDGE-0002', 'PLEDGE-0003']) {
      expect(json.pledges[s]?.voucherAt, s).to.be.a('string');
      expect(json.pledges[s]?.voucherStatus?.value.status, s).to.equal(true);
      expect(json.pledges[s]?.enrollStatus?.value.status, `${s} posted /es after enrolling`).to.equal(true);
    }
    expect(json.pledges['PLEDGE-0004']?.voucherAt).to.equal(undefined);
    expect(json.pledges['PLEDGE-0004']?.refusal).to.match(/MASA 403/);
    const text = await run(BRSKI, ['registrar', 'status', '--db', registrarDb]);
    expect(text.stdout.toString('utf8')).to.match(/pledges with vouchers or telemetry/);
  });
});
