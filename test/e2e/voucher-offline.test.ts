/**
 * Vouchers while the MASA is offline, every role its own process on loopback (issue #6):
 *
 *   1. `brski masa serve` knows this domain as owner of PLEDGE-0001..0006 (sales integration,
 *      `brski masa owners add`), first with nonceless vouchers valid 3 s: registrar B
 *      (`--prefetch [PLEDGE-0006]`) fetches one that will have expired when it is needed;
 *   2. the MASA restarts on the same port with nonceless vouchers valid 10 min: registrar A
 *      (`--prefetch [PLEDGE-0001..0003]`) fetches three;
 *   3. the MASA goes down. Through A, PLEDGE-0001..0003 get their prefetched nonceless vouchers
 *      and enroll (CMP over OSCORE, the RA/CA is up). PLEDGE-0004/0005 get 5.03 with Max-Age and
 *      keep asking; the MASA comes back, they get nonced vouchers and enroll.
 *   4. Through B, PLEDGE-0006's voucher has expired: B does not serve it (log line, 5.03 that says
 *      so) and the pledge gives up at its timeout without a voucher.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateDer, loadPki, parseCertificate, parseCertificates, verifyChain, type TestPki } from '../../src/pki/index.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';
import { BRSKI, killAll, run, spawnReady, type ReadyProcess } from '../helpers/processes.ts';

interface PledgeJson {
  totals: { enrolled: number; failed: number };
  pledges: { serialNumber: string; result: string; voucherNonceless?: boolean; voucherUnavailable?: number; error?: { code: string; message: string } }[];
}

const logLines = (p: ReadyProcess, msg: string): Record<string, unknown>[] =>
  p
    .stderr()
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('e2e: vouchers with the MASA offline (prefetched nonceless vouchers, 5.03 Max-Age, expiry)', function () {
  this.timeout(150_000);
  let dir: TempDir;
  let pkiDir: string;
  let pki: TestPki;
  let masaDb: string;
  let masaPort = 0;
  let masa: ReadyProcess | undefined;
  let caUrl: string;
  let regA: ReadyProcess;
  let regB: ReadyProcess;

  async function startMasa(validitySeconds: number): Promise<void> {
    masa = await spawnReady(
      BRSKI,
      ['masa', 'serve', '--pki', pkiDir, '--db', masaDb, '--port', String(masaPort), '--nonceless-validity-seconds', String(validitySeconds), '--log-level', 'info'],
      { ready: /^ready https:\/\/127\.0\.0\.1:(\d+)$/, timeoutMs: 30_000 },
    );
    masaPort = Number(masa.match[1]);
  }

  async function startRegistrar(name: string, prefetch: string[]): Promise<ReadyProcess> {
    const file = join(dir.path, `${name}-prefetch.json`);
    writeFileSync(file, JSON.stringify(prefetch));
    const p = await spawnReady(
      BRSKI,
      [
        'registrar', 'serve', '--pki', pkiDir, '--db', join(dir.path, `${name}.db`), '--port', '0', '--ca-url', caUrl, '--allow-any',
        '--security', 'oscore', '--require-voucher', '--masa-url', `https://127.0.0.1:${masaPort}`, '--prefetch', file,
        '--check-after', '2', '--retry-base', '200', '--log-level', 'info',
      ],
      { ready: /^ready (coap:\/\/[^\s]+:(\d+))$/, timeoutMs: 20_000 },
    );
    await until(`${name}: prefetched vouchers`, () => logLines(p, 'nonceless vouchers prefetched').some((l) => l['fetched'] === prefetch.length));
    return p;
  }

  function pledges(name: string, registrar: ReadyProcess, first: number, count: number, timeoutS: number) {
    const json = join(dir.path, `${name}.json`);
    const done = run(
      BRSKI,
      [
        'pledge', '--pki', pkiDir, '--registrar', registrar.match[1]!, '--count', String(count), '--first', String(first), '--block-size', '64',
        '--state', join(dir.path, name), '--json', json, '--timeout', String(timeoutS), '--retry-base', '300', '--security', 'oscore', '--voucher',
        '--log-level', 'info',
      ],
      { timeoutMs: (timeoutS + 30) * 1000 },
    );
    return done.then((r) => ({ ...(JSON.parse(readFileSync(json, 'utf8')) as PledgeJson), exit: r.code, stderr: r.stderr }));
  }

  before(async () => {
    dir = makeTempDir('brski-e2e-voucher-offline-');
    pkiDir = join(dir.path, 'pki');
    const init = await run(BRSKI, ['pki', 'init', pkiDir, '--pledges', '6'], { timeoutMs: 30_000 });
    expect(init.code, init.stderr).to.equal(0);
    pki = await loadPki(pkiDir);
    masaDb = join(dir.path, 'masa.db');
    const rootSha = createHash('sha256').update(certificateDer(pki.domain.rootCa.certificate)).digest('hex');
    for (const p of pki.pledges) {
      const r = await run(BRSKI, ['masa', 'owners', 'add', p.serialNumber, '--ca-sha256', rootSha, '--db', masaDb]);
      expect(r.code, r.stderr).to.equal(0);
    }
    const ca = await spawnReady(BRSKI, ['ca', 'serve', '--pki', pkiDir, '--db', join(dir.path, 'ca.db'), '--port', '0', '--allow-any', '--log-level', 'warn'], {
      ready: /^ready (http:\/\/127\.0\.0\.1:\d+)$/,
      timeoutMs: 20_000,
    });
    caUrl = ca.match[1]!;
    await startMasa(3);
    regB = await startRegistrar('regB', ['PLEDGE-0006']);
    await masa!.kill();
    await startMasa(600);
    regA = await startRegistrar('regA', ['PLEDGE-0001', 'PLEDGE-0002', 'PLEDGE-0003']);
    await masa!.kill();
    masa = undefined;
  });
  after(async () => {
    await killAll();
    dir?.remove();
  });

  it('with the MASA down, the three prefetched pledges enroll with nonceless vouchers; two others wait on 5.03 and enroll once it is back', async () => {
    const waiting = pledges('late', regA, 4, 2, 90);
    const prefetched = await pledges('prefetched', regA, 1, 3, 40);
    expect(prefetched.totals.enrolled, JSON.stringify(prefetched.pledges)).to.equal(3);
    for (const p of prefetched.pledges) {
      expect(p.voucherNonceless, p.serialNumber).to.equal(true);
      const d = join(dir.path, 'prefetched', p.serialNumber);
      verifyChain(parseCertificate(readFileSync(join(d, 'ldevid.pem'), 'utf8')), parseCertificates(readFileSync(join(d, 'chain.pem'), 'utf8')), [pki.domain.rootCa.certificate]);
    }
    expect(logLines(regA, 'prefetched nonceless voucher delivered').map((l) => l['pledge']).sort()).to.deep.equal(['PLEDGE-0001', 'PLEDGE-0002', 'PLEDGE-0003']);

    // PLEDGE-0004/0005 have been told 5.03 with Max-Age 2 (--check-after) at least once by now.
    await until('5.03 answers to the late pledges', () => logLines(regA, 'MASA unreachable').length > 0);
    await new Promise((r) => setTimeout(r, 2500));
    await startMasa(600);
    const late = await waiting;
    expect(late.totals.enrolled, JSON.stringify(late.pledges)).to.equal(2);
    for (const p of late.pledges) {
      expect(p.voucherNonceless, p.serialNumber).to.equal(false);
      expect(p.voucherUnavailable, `${p.serialNumber} was told 5.03 before`).to.be.greaterThan(0);
    }
    const retried = late.stderr.split('\n').filter((l) => l.includes('"msg":"voucher unavailable, retrying"'));
    expect(retried.length).to.be.greaterThan(1);
    expect(retried.every((l) => (JSON.parse(l) as { maxAge: number }).maxAge === 2)).to.equal(true);
    expect(logLines(regA, 'voucher delivered').map((l) => l['pledge']).sort()).to.deep.equal(['PLEDGE-0004', 'PLEDGE-0005']);
    const status = await run(BRSKI, ['registrar', 'status', '--db', join(dir.path, 'regA.db'), '--json']);
    const s = JSON.parse(status.stdout.toString()) as { pledges: Record<string, { noncelessExpiresOn?: string }>; prefetchedVouchers: Record<string, { served: number }> };
    expect(s.prefetchedVouchers['PLEDGE-0001']!.served).to.equal(1);
    expect(s.pledges['PLEDGE-0001']!.noncelessExpiresOn).to.be.a('string');
    expect(s.pledges['PLEDGE-0004']!.noncelessExpiresOn).to.equal(undefined);
  });

  it('an expired prefetched voucher is not served: the registrar logs it and answers 5.03; the pledge gets no voucher', async () => {
    await masa?.kill();
    const r = await pledges('expired', regB, 6, 1, 6);
    expect(r.totals.enrolled).to.equal(0);
    expect(r.pledges[0]!.error?.message).to.match(/5\.03.*prefetched nonceless voucher expired on/);
    const expired = logLines(regB, 'prefetched nonceless voucher expired; not served');
    expect(expired.length).to.be.greaterThan(0);
    expect(expired.every((l) => l['pledge'] === 'PLEDGE-0006')).to.equal(true);
    expect(logLines(regB, 'prefetched nonceless voucher delivered')).to.have.length(0);
  });
});
