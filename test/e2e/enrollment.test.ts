/**
 * BRSKI-AE enrollment end to end, every role its own process on loopback (port 0 everywhere):
 * `brski pledge` (20 pledges, CoAP over UDP, 64-byte blocks) → `brski registrar serve` (CMP over
 * CoAP, RFC 9482; store-and-forward journal) → `brski ca serve` (CMP over HTTP).
 *
 *  - online: the CA is up; every LDevID chains to the domain root and names its pledge;
 *  - offline: the CA is down; the pledges get "waiting" and poll; the registrar is killed with
 *    SIGKILL while they wait and restarted on the same database and port; then the CA comes up;
 *    all enroll, the journal lost nothing, and the CA issued exactly one certificate per pledge;
 *  - pledge restart: the pledge process is killed with SIGKILL while waiting; run again, it
 *    resumes the saved transactions (same transaction, same key, no second ir);
 *  - sneakernet: the registrar never reaches the CA; its journal goes to the CA as a file
 *    (export → ca process → import) and the pledges enroll.
 */
import { expect } from 'chai';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  certificatePublicKey,
  importPrivateKey,
  loadPki,
  parseCertificate,
  parseCertificates,
  readSubjectSerialNumber,
  samePublicKey,
  verifyChain,
  type TestPki,
} from '../../src/pki/index.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';
import { BRSKI, killAll, run, spawnReady, type ReadyProcess, type RunResult } from '../helpers/processes.ts';

const PLEDGES = 20;

interface PledgeJson {
  totals: { enrolled: number; failed: number; polls: number };
  pledges: { serialNumber: string; result: string; ldevidSerial?: string; transactionId?: string; messages?: string[]; polls: number; resumed: boolean; bytesSent: number; bytesReceived: number; error?: { code: string; message: string } }[];
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, read, closed). */
function unusedTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function describeRun(r: RunResult): string {
  return `exit ${r.code} (${r.signal ?? 'no signal'})\nstdout:\n${r.stdout.toString('utf8')}\nstderr (tail):\n${r.stderr.slice(-4000)}`;
}

describe('e2e: BRSKI-AE enrollment, pledges → registrar (CoAP) → RA/CA (HTTP), separate processes', function () {
  this.timeout(180_000);
  let dir: TempDir;
  let pkiDir: string;
  let pki: TestPki;
  const serials = Array.from({ length: PLEDGES }, (_, i) => `PLEDGE-${String(i + 1).padStart(4, '0')}`);

  before(async () => {
    dir = makeTempDir('brski-e2e-enroll-');
    pkiDir = join(dir.path, 'pki');
    const init = await run(BRSKI, ['pki', 'init', pkiDir, '--pledges', String(PLEDGES)], { timeoutMs: 60_000 });
    expect(init.code, init.stderr).to.equal(0);
    pki = await loadPki(pkiDir);
  });
  afterEach(async () => {
    await killAll();
  });
  after(async () => {
    await killAll();
    dir?.remove();
  });

  function startCa(name: string, port = 0): Promise<ReadyProcess> {
    return spawnReady(BRSKI, ['ca', 'serve', '--pki', pkiDir, '--db', join(dir.path, `${name}.db`), '--port', String(port), '--allow-any', '--log-level', 'warn'], {
      ready: /^ready (http:\/\/127\.0\.0\.1:(\d+))$/,
      timeoutMs: 30_000,
    });
  }

  function startRegistrar(name: string, caUrl: string, port = 0): Promise<ReadyProcess> {
    return spawnReady(
      BRSKI,
      [
        'registrar', 'serve', '--pki', pkiDir, '--db', join(dir.path, `${name}.db`), '--port', String(port), '--ca-url', caUrl,
        '--allow-any', '--check-after', '1', '--retry-base', '200', '--upstream-timeout', '2000', '--log-level', 'warn',
      ],
      { ready: /^ready (coap:\/\/[^\s]+:(\d+))$/, timeoutMs: 30_000 },
    );
  }

  function pledgeArgs(registrarUri: string, name: string, timeoutS: number, count = PLEDGES): string[] {
    return [
      'pledge', '--pki', pkiDir, '--registrar', registrarUri, '--count', String(count), '--block-size', '64',
      '--state', join(dir.path, name), '--json', join(dir.path, `${name}.json`), '--timeout', String(timeoutS), '--retry-base', '300',
    ];
  }

  /** `brski pledge` for all 20 pledges; resolves when it exits. */
  function pledges(registrarUri: string, name: string, timeoutS = 120, count = PLEDGES): Promise<RunResult> {
    return run(BRSKI, pledgeArgs(registrarUri, name, timeoutS, count), { timeoutMs: (timeoutS + 30) * 1000 });
  }

  /** Every pledge holds an LDevID that chains to the domain root and carries its serial number. */
  function checkCredentials(name: string, count = PLEDGES): void {
    const json = JSON.parse(readFileSync(join(dir.path, `${name}.json`), 'utf8')) as PledgeJson;
    expect(json.totals.enrolled, JSON.stringify(json.pledges.filter((p) => p.result !== 'enrolled'))).to.equal(count);
    for (const serial of serials.slice(0, count)) {
      const d = join(dir.path, name, serial);
      const ldevid = parseCertificate(readFileSync(join(d, 'ldevid.pem'), 'utf8'));
      const chain = parseCertificates(readFileSync(join(d, 'chain.pem'), 'utf8'));
      const path = verifyChain(ldevid, chain, [pki.domain.rootCa.certificate]);
      expect(path.map((c) => c.subject), serial).to.deep.equal([ldevid.subject, pki.domain.issuingCa.certificate.subject, pki.domain.rootCa.certificate.subject]);
      expect(readSubjectSerialNumber(ldevid), serial).to.equal(serial);
      const key = importPrivateKey(readFileSync(join(d, 'ldevid.key'), 'utf8'));
      expect(samePublicKey(certificatePublicKey(ldevid), key), `${serial} key`).to.equal(true);
      expect(statSync(join(d, 'ldevid.key')).mode & 0o777).to.equal(0o600);
      expect(existsSync(join(d, 'transaction.json')), `${serial} transaction.json left`).to.equal(false);
      expect(json.pledges.find((p) => p.serialNumber === serial)?.ldevidSerial).to.equal(ldevid.serialNumber);
    }
  }

  /** The CA issued exactly one certificate per pledge. */
  async function checkIssuedOncePerPledge(caDb: string, count = PLEDGES): Promise<void> {
    const list = await run(BRSKI, ['ca', 'list', '--db', caDb, '--json', '--limit', '1000'], { timeoutMs: 30_000 });
    expect(list.code, list.stderr).to.equal(0);
    const issued = (JSON.parse(list.stdout.toString('utf8')) as { issued: { pledgeSerial: string }[] }).issued;
    expect(issued.map((c) => c.pledgeSerial).sort()).to.deep.equal(serials.slice(0, count));
  }

  /**
   * The registrar's journal lost nothing: one ir row per pledge, each confirmed (certConf reached
   * the CA), none failed or left behind; every transaction closed with a certificate. A certConf
   * the registrar acknowledged itself (RA/CA slow) goes upstream from its outbox shortly after
   * the pledge is done, so this waits (up to 30 s) for the outbox to drain.
   */
  async function checkJournal(db: string): Promise<void> {
    let s = await registrarStatus(db);
    const pending = (x: RegistrarStatus): number => x.journal.received + x.journal.forwarded + x.journal.answered;
    for (const end = Date.now() + 30_000; pending(s) > 0 && Date.now() < end; ) {
      await new Promise((r) => setTimeout(r, 500));
      s = await registrarStatus(db);
    }
    const notDone = s.recent.filter((r) => r.state !== 'confirmed');
    expect(s.journal, `${JSON.stringify(s.journal)}; not confirmed: ${JSON.stringify(notDone)}`).to.include({ received: 0, forwarded: 0, answered: 0, failed: 0 });
    const irs = s.recent.filter((r) => r.step === 'ir');
    expect(irs.map((r) => r.pledgeSerial).sort()).to.deep.equal(serials);
    const txs = s.recentTransactions.filter((t) => t.requestType === 'ir');
    expect(txs.map((t) => t.pledgeSerial).sort()).to.deep.equal(serials);
    expect(txs.every((t) => t.outcome === 'issued' && t.phase === 'closed'), JSON.stringify(txs.filter((t) => t.outcome !== 'issued' || t.phase !== 'closed'))).to.equal(true);
  }

  function waitingPledges(name: string, count = PLEDGES): number {
    return serials.slice(0, count).filter((s) => existsSync(join(dir.path, name, s, 'transaction.json'))).length;
  }

  it(`online: ${PLEDGES} pledges enroll through the registrar to the CA at 64-byte blocks`, async () => {
    const ca = await startCa('online-ca');
    const registrar = await startRegistrar('online-registrar', ca.match[1]!);
    const r = await pledges(registrar.match[1]!, 'online');
    expect(r.code, describeRun(r)).to.equal(0);
    checkCredentials('online');
    await checkJournal(join(dir.path, 'online-registrar.db'));
    await checkIssuedOncePerPledge(join(dir.path, 'online-ca.db'));
  });

  it('offline: CA down, registrar killed with SIGKILL while the pledges poll, restarted; the CA comes up; all enroll, nothing lost, one certificate each', async () => {
    const caPort = await unusedTcpPort();
    const caUrl = `http://127.0.0.1:${caPort}`;
    let registrar = await startRegistrar('offline-registrar', caUrl);
    const registrarUri = registrar.match[1]!;
    const registrarPort = Number(registrar.match[2]);
    const running = pledges(registrarUri, 'offline', 150);

    // Every pledge got "waiting" and saved its transaction before its first poll wait.
    await waitFor(`${PLEDGES} pledges waiting`, () => waitingPledges('offline') === PLEDGES, 60_000);
    const before = await registrarStatus(join(dir.path, 'offline-registrar.db'));
    expect(before.transactions.waiting + before.transactions.forwarding, JSON.stringify(before.transactions)).to.equal(PLEDGES);

    registrar.child.kill('SIGKILL');
    expect((await registrar.exited).signal).to.equal('SIGKILL');
    registrar = await startRegistrar('offline-registrar', caUrl, registrarPort);
    expect(Number(registrar.match[2])).to.equal(registrarPort);
    await new Promise((r) => setTimeout(r, 2500)); // the pledges poll the new registrar; still waiting
    expect(waitingPledges('offline')).to.equal(PLEDGES);

    const ca = await startCa('offline-ca', caPort);
    expect(ca.match[1]).to.equal(caUrl);
    const r = await running;
    expect(r.code, `${describeRun(r)}\nregistrar stderr:\n${registrar.stderr().slice(-4000)}`).to.equal(0);
    checkCredentials('offline');
    const json = JSON.parse(readFileSync(join(dir.path, 'offline.json'), 'utf8')) as PledgeJson;
    expect(json.pledges.every((p) => p.polls > 0)).to.equal(true);

    await checkJournal(join(dir.path, 'offline-registrar.db'));
    await checkIssuedOncePerPledge(join(dir.path, 'offline-ca.db'));
  });

  it('pledge restart: the pledge process killed with SIGKILL while waiting resumes its saved transactions (no second ir)', async () => {
    const n = 5;
    const caPort = await unusedTcpPort();
    const registrar = await startRegistrar('restart-registrar', `http://127.0.0.1:${caPort}`);
    const first = await spawnReady(BRSKI, [...pledgeArgs(registrar.match[1]!, 'restart', 120, n), '--log-level', 'info'], {
      ready: /"msg":"sending ir"/,
      readyOn: 'stderr',
      timeoutMs: 30_000,
    });
    await waitFor(`${n} pledges waiting`, () => waitingPledges('restart', n) === n, 60_000);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).to.equal('SIGKILL');
    const saved = serials.slice(0, n).map((s) => (JSON.parse(readFileSync(join(dir.path, 'restart', s, 'transaction.json'), 'utf8')) as { cmp: { transactionId: string } }).cmp.transactionId);

    const again = pledges(registrar.match[1]!, 'restart', 120, n);
    await new Promise((r) => setTimeout(r, 1500));
    await startCa('restart-ca', caPort);
    const r = await again;
    expect(r.code, `${describeRun(r)}\nregistrar stderr:\n${registrar.stderr().slice(-4000)}`).to.equal(0);
    checkCredentials('restart', n);
    const json = JSON.parse(readFileSync(join(dir.path, 'restart.json'), 'utf8')) as PledgeJson;
    expect(json.pledges.map((p) => p.resumed)).to.deep.equal(Array(n).fill(true));
    expect(json.pledges.map((p) => p.transactionId)).to.deep.equal(saved);
    expect(json.pledges.flatMap((p) => p.messages ?? []).filter((t) => t === 'ir' || t === 'genm')).to.deep.equal([]);
    await checkIssuedOncePerPledge(join(dir.path, 'restart-ca.db'), n);
  });

  it('sneakernet: the registrar never reaches the CA; export → ca process → import; all enroll', async () => {
    const caUrl = `http://127.0.0.1:${await unusedTcpPort()}`;
    const registrar = await startRegistrar('sneaker-registrar', caUrl);
    const running = pledges(registrar.match[1]!, 'sneaker', 150);
    await waitFor(`${PLEDGES} pledges waiting`, () => waitingPledges('sneaker') === PLEDGES, 60_000);

    const regDb = join(dir.path, 'sneaker-registrar.db');
    const caDb = join(dir.path, 'sneaker-ca.db');
    /** One trip of the technician's laptop: journal out, through the CA, answers back in. */
    const carry = async (round: number): Promise<void> => {
      const batch = join(dir.path, `batch-${round}.bin`);
      const answers = join(dir.path, `answers-${round}.bin`);
      const exp = await run(BRSKI, ['registrar', 'export', '--db', regDb, '--out', batch], { timeoutMs: 30_000 });
      expect(exp.code, describeRun(exp)).to.equal(0);
      const proc = await run(BRSKI, ['ca', 'process', batch, '--out', answers, '--pki', pkiDir, '--db', caDb, '--allow-any'], { timeoutMs: 60_000 });
      expect(proc.code, describeRun(proc)).to.equal(0);
      const imp = await run(BRSKI, ['registrar', 'import', answers, '--db', regDb], { timeoutMs: 30_000 });
      expect(imp.code, describeRun(imp)).to.equal(0);
    };
    await carry(1);

    const r = await running;
    expect(r.code, `${describeRun(r)}\nregistrar stderr:\n${registrar.stderr().slice(-4000)}`).to.equal(0);
    checkCredentials('sneaker');
    // The pledges' certConfs (acknowledged by the registrar) reach the CA on the next trip.
    await carry(2);
    await checkJournal(regDb);
    await checkIssuedOncePerPledge(caDb);
  });
});

interface RegistrarStatus {
  journal: Record<'received' | 'forwarded' | 'answered' | 'confirmed' | 'failed', number>;
  transactions: Record<'forwarding' | 'waiting' | 'answered' | 'delivered' | 'confirming' | 'closed', number>;
  recent: { step: string; pledgeSerial?: string; state: string; attempts: number; lastError?: string; transactionId: string }[];
  recentTransactions: { requestType: string; pledgeSerial?: string; phase: string; outcome?: string }[];
}

async function registrarStatus(db: string): Promise<RegistrarStatus> {
  const r = await run(BRSKI, ['registrar', 'status', '--db', db, '--json', '--limit', '1000'], { timeoutMs: 30_000 });
  expect(r.code, r.stderr).to.equal(0);
  return JSON.parse(r.stdout.toString('utf8')) as RegistrarStatus;
}
