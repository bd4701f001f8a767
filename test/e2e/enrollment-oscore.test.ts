/**
 * EST-oscore and CMP over OSCORE end to end, every role its own process on loopback:
 * `brski pledge --security oscore --enroll est|cmp` (5 pledges each, 64-byte blocks) →
 * `brski registrar serve --security oscore` (EDHOC at /.well-known/edhoc, OSCORE, EST-coaps
 * resources; CMP only over OSCORE) → `brski ca serve` (CMP over HTTP). Each pledge runs EDHOC with
 * its IDevID, enrolls, and stores an LDevID that chains to the domain root and names its pledge.
 * A pledge without OSCORE is refused by this registrar.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificatePublicKey, importPrivateKey, loadPki, parseCertificate, parseCertificates, readSubjectSerialNumber, samePublicKey, verifyChain, type TestPki } from '../../src/pki/index.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';
import { BRSKI, killAll, run, spawnReady, type ReadyProcess } from '../helpers/processes.ts';

const PER_MODE = 5;

interface PledgeJson {
  totals: { enrolled: number; failed: number };
  pledges: { serialNumber: string; result: string; ldevidSerial?: string; error?: { code: string; message: string } }[];
}

describe('e2e: EST-oscore and CMP over OSCORE, pledges → registrar --security oscore → RA/CA, separate processes', function () {
  this.timeout(60_000);
  let dir: TempDir;
  let pkiDir: string;
  let pki: TestPki;
  let ca: ReadyProcess;
  let registrar: ReadyProcess;
  let registrarUri: string;

  before(async () => {
    dir = makeTempDir('brski-e2e-oscore-');
    pkiDir = join(dir.path, 'pki');
    const init = await run(BRSKI, ['pki', 'init', pkiDir, '--pledges', String(2 * PER_MODE + 1)], { timeoutMs: 30_000 });
    expect(init.code, init.stderr).to.equal(0);
    pki = await loadPki(pkiDir);
    // The CA authorizes by inventory, also for EST-oscore, where the registrar signs the p10cr and
    // asserts the EDHOC-authenticated pledge through the requested subject's serialNumber.
    const inventory = join(dir.path, 'inventory.json');
    writeFileSync(inventory, JSON.stringify({ '*': pki.pledges.slice(0, 2 * PER_MODE).map((p) => p.serialNumber) }));
    ca = await spawnReady(BRSKI, ['ca', 'serve', '--pki', pkiDir, '--db', join(dir.path, 'ca.db'), '--port', '0', '--inventory', inventory, '--log-level', 'warn'], {
      ready: /^ready (http:\/\/127\.0\.0\.1:(\d+))$/,
      timeoutMs: 20_000,
    });
    registrar = await spawnReady(
      BRSKI,
      [
        'registrar', 'serve', '--pki', pkiDir, '--db', join(dir.path, 'registrar.db'), '--port', '0', '--ca-url', ca.match[1]!,
        '--allow-any', '--security', 'oscore', '--check-after', '1', '--retry-base', '200', '--log-level', 'warn',
      ],
      { ready: /^ready (coap:\/\/[^\s]+:(\d+))$/, timeoutMs: 20_000 },
    );
    registrarUri = registrar.match[1]!;
  });
  after(async () => {
    await killAll();
    dir?.remove();
  });

  async function pledges(name: string, first: number, extra: string[], count = PER_MODE): Promise<PledgeJson> {
    const r = await run(
      BRSKI,
      [
        'pledge', '--pki', pkiDir, '--registrar', registrarUri, '--count', String(count), '--first', String(first), '--block-size', '64',
        '--state', join(dir.path, name), '--json', join(dir.path, `${name}.json`), '--timeout', '40', '--retry-base', '300', ...extra,
      ],
      { timeoutMs: 50_000 },
    );
    const json = JSON.parse(readFileSync(join(dir.path, `${name}.json`), 'utf8')) as PledgeJson;
    (json as PledgeJson & { exit: number | null }).exit = r.code;
    return json;
  }

  function checkCredentials(name: string, serials: readonly string[]): void {
    for (const serial of serials) {
      const d = join(dir.path, name, serial);
      const ldevid = parseCertificate(readFileSync(join(d, 'ldevid.pem'), 'utf8'));
      const chain = parseCertificates(readFileSync(join(d, 'chain.pem'), 'utf8'));
      verifyChain(ldevid, chain, [pki.domain.rootCa.certificate]);
      expect(readSubjectSerialNumber(ldevid), serial).to.equal(serial);
      expect(samePublicKey(certificatePublicKey(ldevid), importPrivateKey(readFileSync(join(d, 'ldevid.key'), 'utf8'))), serial).to.equal(true);
    }
  }

  const serialsFrom = (first: number, n = PER_MODE): string[] => Array.from({ length: n }, (_, i) => `PLEDGE-${String(first + i).padStart(4, '0')}`);

  it('EST-oscore (/crts, /sen) and CMP over OSCORE, 5 pledges each at 64-byte blocks, at the same time', async () => {
    const [est, cmp] = await Promise.all([
      pledges('est', 1, ['--security', 'oscore', '--enroll', 'est']),
      pledges('cmp', 1 + PER_MODE, ['--security', 'oscore', '--enroll', 'cmp']),
    ]);
    expect(est.totals.enrolled, JSON.stringify(est.pledges.filter((p) => p.result !== 'enrolled'))).to.equal(PER_MODE);
    expect(cmp.totals.enrolled, JSON.stringify(cmp.pledges.filter((p) => p.result !== 'enrolled'))).to.equal(PER_MODE);
    checkCredentials('est', serialsFrom(1));
    checkCredentials('cmp', serialsFrom(1 + PER_MODE));
  });

  it('a pledge without OSCORE is refused (4.01) by a registrar with --security oscore', async () => {
    const plain = await pledges('plain', 2 * PER_MODE + 1, ['--timeout', '3'], 1);
    expect(plain.totals.failed).to.equal(1);
    expect(plain.pledges[0]!.error?.message ?? '').to.match(/4\.01|not enrolled/);
  });
});
