import { expect } from 'chai';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/clock.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { RegistrarJournal } from '../../../src/store/registrar-journal.ts';

const tid = (n: number): Uint8Array => Uint8Array.of(0xaa, n >> 8, n & 0xff);
const der = (n: number): Uint8Array => new Uint8Array(40).fill(n);

describe('registrar journal (store and forward)', () => {
  let dir: string;
  let clock: ManualClock;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'journal-'));
    clock = new ManualClock(1_000_000);
  });

  it('walks received → forwarded → answered → confirmed and survives reopening', () => {
    const file = join(dir, 'j.db');
    let j = RegistrarJournal.open(file, {}, clock);
    const { entry, isNew } = j.receive({ transactionId: tid(1), step: 'ir', requestDer: der(1), pledgeSerial: 'PLEDGE-0001', peer: '[::1]:5683' });
    expect(isNew).to.equal(true);
    expect(entry.state).to.equal('received');
    j.markForwarded(entry.id, der(9));
    j.recordAnswer(entry.id, der(7));
    j.close();
    j = RegistrarJournal.open(file, {}, clock);
    const back = j.find(tid(1), 'ir')!;
    expect(back.state).to.equal('answered');
    expect(back.responseDer).to.deep.equal(der(7));
    expect(back.upstreamDer).to.deep.equal(der(9));
    expect(back.pledgeSerial).to.equal('PLEDGE-0001');
    j.markConfirmed(back.id);
    expect(j.counts()).to.deep.include({ confirmed: 1, received: 0 });
    expect(() => j.markForwarded(back.id, der(1))).to.throw(/confirmed, cannot become forwarded/);
    j.close();
  });

  it('is idempotent for retransmissions and refuses other bytes under a used transaction ID', () => {
    const j = RegistrarJournal.open(join(dir, 'j.db'), {}, clock);
    const a = j.receive({ transactionId: tid(2), step: 'ir', requestDer: der(2) });
    const b = j.receive({ transactionId: tid(2), step: 'ir', requestDer: der(2) });
    expect(b.isNew).to.equal(false);
    expect(b.entry.id).to.equal(a.entry.id);
    let err: unknown;
    try {
      j.receive({ transactionId: tid(2), step: 'ir', requestDer: der(3) });
    } catch (e) {
      err = e;
    }
    expect(isStackError(err, 'ERR_CMP_TRANSACTION')).to.equal(true);
    // A later step of the same transaction is its own row.
    expect(j.receive({ transactionId: tid(2), step: 'certConf', requestDer: der(4) }).isNew).to.equal(true);
    expect(j.transaction(tid(2)).map((e) => e.step)).to.deep.equal(['ir', 'certConf']);
    j.close();
  });

  it('retries the outbox with exponential backoff', () => {
    const j = RegistrarJournal.open(join(dir, 'j.db'), { retryBaseMs: 1000, retryMaxMs: 5000 }, clock);
    const { entry } = j.receive({ transactionId: tid(3), step: 'ir', requestDer: der(3) });
    expect(j.due().map((e) => e.id)).to.deep.equal([entry.id]);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const next = j.recordAttemptFailure(entry.id, 'ECONNREFUSED');
      delays.push(next - clock.now());
      expect(j.due()).to.have.length(0);
      clock.advance(next - clock.now());
      expect(j.due()).to.have.length(1);
    }
    expect(delays).to.deep.equal([1000, 2000, 4000, 5000]);
    expect(j.get(entry.id)!.lastError).to.equal('ECONNREFUSED');
    expect(j.pending()).to.have.length(1);
    j.close();
  });

  it('bounds open requests per pledge and in total', () => {
    const j = RegistrarJournal.open(join(dir, 'j.db'), { maxOpenPerPledge: 2, maxOpen: 3 }, clock);
    j.receive({ transactionId: tid(10), step: 'ir', requestDer: der(1), pledgeSerial: 'A' });
    j.receive({ transactionId: tid(11), step: 'ir', requestDer: der(1), pledgeSerial: 'A' });
    expect(() => j.receive({ transactionId: tid(12), step: 'ir', requestDer: der(1), pledgeSerial: 'A' })).to.throw(/pledge A has 2 open/);
    j.receive({ transactionId: tid(13), step: 'ir', requestDer: der(1), pledgeSerial: 'B' });
    expect(() => j.receive({ transactionId: tid(14), step: 'ir', requestDer: der(1), pledgeSerial: 'C' })).to.throw(/limit 3/);
    // Closing a row frees its place.
    j.markFailed(j.find(tid(10), 'ir')!.id, 'rejected');
    expect(j.receive({ transactionId: tid(14), step: 'ir', requestDer: der(1), pledgeSerial: 'C' }).isNew).to.equal(true);
    j.close();
  });

  it('counts an attempt once whether or not it was marked forwarded first', () => {
    const j = RegistrarJournal.open(join(dir, 'j.db'), { retryBaseMs: 1000, retryMaxMs: 60_000 }, clock);
    const { entry } = j.receive({ transactionId: tid(4), step: 'ir', requestDer: der(4) });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      j.markForwarded(entry.id, der(8));
      delays.push(j.recordAttemptFailure(entry.id, 'timeout') - clock.now());
      clock.advance(delays[i]!);
    }
    expect(delays).to.deep.equal([1000, 2000, 4000]);
    expect(j.get(entry.id)!.attempts).to.equal(3);
    j.close();
  });

  it('requeues a follow-up in place, matches answers by the request nonce, and recovers rows left in flight', () => {
    const file = join(dir, 'j.db');
    let j = RegistrarJournal.open(file, { maxOpenPerPledge: 1 }, clock);
    const nonce1 = new Uint8Array(16).fill(1);
    const nonce2 = new Uint8Array(16).fill(2);
    j.receive({ transactionId: tid(5), step: 'ir', requestDer: der(5), requestNonce: nonce1, upstreamDer: der(6), pledgeSerial: 'P' });
    expect(j.find(tid(5), 'ir')!.upstreamDer).to.deep.equal(der(6));
    // Follow-ups of an admitted transaction are not bounded by the per-pledge limit.
    const poll = j.requeue({ transactionId: tid(5), step: 'pollReq', requestDer: der(7), requestNonce: nonce2, pledgeSerial: 'P', notBefore: clock.now() + 5000 });
    expect(j.due().map((e) => e.step)).to.deep.equal(['ir']);
    j.markForwarded(poll.id, der(9));
    expect(() => j.requeue({ transactionId: tid(5), step: 'pollReq', requestDer: der(10) })).to.throw(/being forwarded/);
    j.recordAnswer(poll.id, der(11));
    const renewed = j.requeue({ transactionId: tid(5), step: 'pollReq', requestDer: der(12), requestNonce: nonce1 });
    expect(renewed.id).to.equal(poll.id);
    expect(renewed).to.deep.include({ state: 'received', attempts: 0, responseDer: undefined, upstreamDer: undefined });
    expect(j.findByRequestNonce(tid(5), nonce1)!.step).to.equal('ir');
    j.markForwarded(j.find(tid(5), 'ir')!.id, der(6));
    j.close();
    j = RegistrarJournal.open(file, {}, clock);
    expect(j.recoverInFlight()).to.equal(1);
    expect(j.find(tid(5), 'ir')!.state).to.equal('received');
    expect(j.recent(1)).to.have.length(1);
    j.close();
  });

  it('migrates a schema 1 journal to schema 2 keeping its rows', () => {
    const file = join(dir, 'v1.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE journal (
      id INTEGER PRIMARY KEY AUTOINCREMENT, transaction_id BLOB NOT NULL, step TEXT NOT NULL, pledge_serial TEXT, peer TEXT,
      state TEXT NOT NULL, request_der BLOB NOT NULL, upstream_der BLOB, response_der BLOB, attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL, last_error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, UNIQUE (transaction_id, step));
      INSERT INTO journal (transaction_id, step, state, request_der, next_attempt_at, created_at, updated_at) VALUES (x'aa', 'ir', 'received', x'01', 0, 0, 0);
      PRAGMA user_version = 1;`);
    db.close();
    const j = RegistrarJournal.open(file, {}, clock);
    expect(j.pending()).to.have.length(1);
    expect(j.pending()[0]!.requestNonce).to.equal(undefined);
    j.close();
  });

  it('loses no committed row when the writer is killed with SIGKILL', async function () {
    this.timeout(30_000);
    const file = join(dir, 'kill.db');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/unit/store/journal-writer.ts', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acknowledged = new Map<number, string>();
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          const [id, state] = l.split(' ');
          acknowledged.set(Number(id), state!);
        }
        if (acknowledged.size >= 300) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited early: ${code}`))));
    });
    await new Promise((r) => child.once('exit', r).once('close', r));
    const j = RegistrarJournal.open(file);
    for (const [id, state] of acknowledged) {
      const e = j.get(id);
      expect(e, `row ${id}`).to.not.equal(undefined);
      expect(e!.state).to.equal(state);
    }
    j.close();
  });
});
