import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isStackError } from '../../../src/core/errors.ts';
import { CA_DB_SCHEMA_VERSION, CaDb, normalizeSerialHex, type CaTransactionRecord } from '../../../src/store/ca-db.ts';
import { makeTempDir, type TempDir } from '../../helpers/files.ts';
import { REPO_ROOT } from '../../helpers/processes.ts';

const tid = (n: number): Uint8Array => Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? n : 0xa0 + i));

function record(n: number, state: CaTransactionRecord['state'] = 'issued'): CaTransactionRecord {
  return {
    transactionId: tid(n),
    state,
    bodyType: 'ir',
    certReqId: 0,
    ourNonce: Uint8Array.from({ length: 16 }, () => n),
    peerNonce: Uint8Array.from({ length: 16 }, () => n + 1),
    certificateDer: Uint8Array.of(0x30, 0x03, 1, 2, n),
    lastRequestDer: Uint8Array.of(1, 2, 3),
    lastResponseDer: Uint8Array.of(4, 5, 6),
    label: 'site-a',
    updatedAt: 1_700_000_000_000 + n,
  };
}

function issued(n: number, extra: Partial<Parameters<CaDb['recordIssued']>[0]> = {}): Parameters<CaDb['recordIssued']>[0] {
  return {
    serial: `7f${n.toString(16).padStart(30, '0')}`,
    subject: `O=Test, CN=LDevID ${n}, serialNumber=PLEDGE-${n}`,
    pledgeSerial: `PLEDGE-${n}`,
    label: 'site-a',
    transactionId: tid(n),
    certReqId: 0,
    bodyType: 'ir',
    der: Uint8Array.of(0x30, 0x01, n),
    notBefore: 1_700_000_000_000,
    notAfter: 1_800_000_000_000,
    ...extra,
  };
}

describe('ca store (src/store/ca-db.ts)', () => {
  let dir: TempDir;
  let file: string;
  let db: CaDb;
  let now = 1_700_000_000_000;

  beforeEach(() => {
    dir = makeTempDir('brski-ca-db-');
    file = join(dir.path, 'ca.db');
    db = CaDb.open(file, { now: () => now });
  });
  afterEach(() => {
    db.close();
    dir.remove();
  });

  it('creates the schema with user_version, WAL and synchronous FULL', () => {
    expect(db.schemaVersion()).to.equal(CA_DB_SCHEMA_VERSION);
    expect(db.durability()).to.deep.equal({ journalMode: 'wal', synchronous: 2 });
    const raw = new Database(file);
    try {
      expect(raw.pragma('journal_mode', { simple: true })).to.equal('wal');
      const tables = raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[];
      expect(tables.map((t) => t.name)).to.include.members(['approvals', 'inventory', 'issued_certs', 'transactions']);
    } finally {
      raw.close();
    }
  });

  it('refuses a file written by a newer schema', () => {
    db.close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${CA_DB_SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => CaDb.open(file)).to.throw().that.satisfies((e: unknown) => isStackError(e, 'ERR_STORE') && /schema version/.test((e as Error).message));
    const fix = new Database(file);
    fix.pragma(`user_version = ${CA_DB_SCHEMA_VERSION}`);
    fix.close();
    db = CaDb.open(file);
  });

  it('stores and returns transaction records (CmpTransactionStore get/put)', async () => {
    expect(await db.get(tid(1))).to.equal(undefined);
    await db.put(record(1));
    expect(await db.get(tid(1))).to.deep.equal(record(1));
    const minimal: CaTransactionRecord = { transactionId: tid(2), state: 'answered', bodyType: 'genm', ourNonce: tid(3), peerNonce: tid(4), updatedAt: 5 };
    await db.put(minimal);
    expect(await db.get(tid(2))).to.deep.equal(minimal);
  });

  it('put is idempotent and replaces the record of the same transaction', async () => {
    await db.put(record(1, 'issued'));
    await db.put(record(1, 'issued'));
    expect(db.countTransactions()).to.equal(1);
    const confirmed = { ...record(1, 'confirmed'), lastResponseDer: Uint8Array.of(9) };
    await db.put(confirmed);
    expect(db.countTransactions()).to.equal(1);
    expect(await db.get(tid(1))).to.deep.equal(confirmed);
  });

  it('keeps everything across close and reopen (restart)', async () => {
    await db.put(record(1));
    db.recordIssued(issued(1));
    const { approval } = db.createApproval({
      transactionId: tid(7),
      certReqId: 0,
      bodyType: 'ir',
      label: 'site-a',
      pledgeSerial: 'PLEDGE-7',
      subject: 'CN=x',
      publicKeyDer: Uint8Array.of(1),
      requestDer: Uint8Array.of(2),
    });
    db.replaceInventory({ 'site-a': ['PLEDGE-1'] });
    db.close();
    db = CaDb.open(file, { now: () => now });
    expect(await db.get(tid(1))).to.deep.equal(record(1));
    expect(db.issuedForTransaction(tid(1))!.pledgeSerial).to.equal('PLEDGE-1');
    expect(db.approval(approval.id)!.state).to.equal('pending');
    expect(db.inventoryDecision('site-a', 'PLEDGE-1')).to.equal(true);
  });

  it('records at most one certificate per (transactionID, certReqId)', () => {
    const first = db.recordIssued(issued(1));
    expect(first.created).to.equal(true);
    const second = db.recordIssued(issued(1, { serial: '0102', der: Uint8Array.of(9) }));
    expect(second.created).to.equal(false);
    expect(second.certificate.serial).to.equal(first.certificate.serial);
    expect(second.certificate.der).to.deep.equal(Uint8Array.of(0x30, 0x01, 1));
    expect(db.allIssuedForTransaction(tid(1))).to.have.length(1);
    expect(db.issuedBySerial('0102')).to.equal(undefined);
    // another certReqId of the same transaction is a different certificate
    expect(db.recordIssued(issued(1, { serial: '0103', certReqId: 1 })).created).to.equal(true);
    expect(db.countIssued()).to.equal(2);
  });

  it('normalizes serial numbers and records revocation once', () => {
    db.recordIssued(issued(2, { serial: '00FF10' }));
    expect(normalizeSerialHex('00ff10')).to.equal('ff10');
    expect(db.issuedBySerial('FF10')!.serial).to.equal('ff10');
    expect(db.revoke('00ff10', 'rr', 123)).to.equal('revoked');
    expect(db.revoke('ff10', 'rr', 456)).to.equal('already');
    expect(db.revoke('abcd')).to.equal('unknown');
    const c = db.issuedBySerial('ff10')!;
    expect(c.revokedAt).to.equal(123);
    expect(c.revocationReason).to.equal('rr');
  });

  it('creates one approval per transaction and decides it once', () => {
    const a = db.createApproval({ transactionId: tid(3), certReqId: 0, bodyType: 'ir', publicKeyDer: Uint8Array.of(1), requestDer: Uint8Array.of(2) });
    expect(a.created).to.equal(true);
    const again = db.createApproval({ transactionId: tid(3), certReqId: 0, bodyType: 'ir', publicKeyDer: Uint8Array.of(1), requestDer: Uint8Array.of(2) });
    expect(again.created).to.equal(false);
    expect(again.approval.id).to.equal(a.approval.id);
    expect(db.listApprovals('pending').map((x) => x.id)).to.deep.equal([a.approval.id]);
    now += 1000;
    const d = db.decideApproval(a.approval.id, 'rejected', 'unknown device');
    expect(d).to.include({ state: 'rejected', reason: 'unknown device', decidedAt: now });
    expect(() => db.decideApproval(a.approval.id, 'approved')).to.throw(/already rejected/);
    expect(() => db.decideApproval(999, 'approved')).to.throw().that.satisfies((e: unknown) => isStackError(e, 'ERR_NOT_FOUND'));
    expect(db.listApprovals('pending')).to.have.length(0);
  });

  it('sees a decision written by another connection (the approve command)', () => {
    const { approval } = db.createApproval({ transactionId: tid(4), certReqId: 0, bodyType: 'ir', publicKeyDer: Uint8Array.of(1), requestDer: Uint8Array.of(2) });
    const other = CaDb.open(file);
    try {
      other.decideApproval(approval.id, 'approved');
    } finally {
      other.close();
    }
    expect(db.approvalForTransaction(tid(4))!.state).to.equal('approved');
  });

  it('answers inventory questions per label, with "*" for every label and explicit denials', () => {
    db.replaceInventory({ 'site-a': ['PLEDGE-1', 'PLEDGE-2'], '*': ['PLEDGE-9'] });
    expect(db.inventoryDecision('site-a', 'PLEDGE-1')).to.equal(true);
    expect(db.inventoryDecision('site-b', 'PLEDGE-1')).to.equal(undefined);
    expect(db.inventoryDecision('site-b', 'PLEDGE-9')).to.equal(true);
    db.setInventoryEntry('site-a', 'PLEDGE-2', false);
    expect(db.inventoryDecision('site-a', 'PLEDGE-2')).to.equal(false);
    db.replaceInventory({ 'site-a': ['PLEDGE-3'] });
    expect(db.inventoryDecision('site-a', 'PLEDGE-1')).to.equal(undefined);
    expect(db.inventoryDecision('site-a', 'PLEDGE-3')).to.equal(true);
    expect(db.inventory()).to.have.length(2);
  });

  it('prunes only finished transactions older than the limit', async () => {
    await db.put({ ...record(1, 'confirmed'), updatedAt: 10 });
    await db.put({ ...record(2, 'waiting'), updatedAt: 10 });
    await db.put({ ...record(3, 'confirmed'), updatedAt: 1000 });
    expect(db.pruneTransactions(500)).to.equal(1);
    expect(await db.get(tid(1))).to.equal(undefined);
    expect(await db.get(tid(2))).to.not.equal(undefined);
  });

  it('loses no committed write when the writing process is killed with SIGKILL', async function () {
    this.timeout(20_000);
    db.close();
    // The child commits issued certificates one by one and prints each serial after commit.
    const script = `
      const { CaDb } = await import(${JSON.stringify(join(REPO_ROOT, 'src/store/ca-db.ts'))});
      const db = CaDb.open(${JSON.stringify(file)});
      for (let i = 1; ; i++) {
        const t = new Uint8Array(16); new DataView(t.buffer).setUint32(12, i);
        db.recordIssued({ serial: (0x10000 + i).toString(16), subject: 'CN=x', transactionId: t, certReqId: 0,
          der: new Uint8Array(200).fill(i & 0xff), notBefore: 0, notAfter: 1 });
        await db.put({ transactionId: t, state: 'issued', bodyType: 'ir', ourNonce: t, peerNonce: t, updatedAt: i });
        process.stdout.write(i + '\\n');
      }`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let acknowledged = 0;
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (c: Buffer) => {
        buf += c.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) acknowledged = Math.max(acknowledged, Number(l));
        if (acknowledged >= 40) {
          child.kill('SIGKILL');
        }
      });
      child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`))));
    });
    db = CaDb.open(file);
    expect(acknowledged).to.be.at.least(40);
    expect(db.countIssued()).to.be.at.least(acknowledged);
    for (let i = 1; i <= acknowledged; i++) {
      const t = new Uint8Array(16);
      new DataView(t.buffer).setUint32(12, i);
      expect(db.allIssuedForTransaction(t), `certificate ${i}`).to.have.length(1);
      expect(await db.get(t), `transaction ${i}`).to.not.equal(undefined);
    }
  });
});
