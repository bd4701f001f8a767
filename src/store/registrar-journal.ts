/**
 * The registrar's durable store-and-forward journal (DESIGN.md §3): every pledge request is
 * committed here before any answer goes out, then moves received → forwarded → answered →
 * confirmed (or failed). Rows waiting for the upstream RA/CA form the outbox, retried with
 * exponential backoff; batches can leave by file and answers come back by file.
 *
 * SQLite in WAL mode with synchronous=FULL: a committed row survives `kill -9` and power loss.
 * Bounds: rows still open per pledge and in total.
 *
 * A row is one message that goes upstream: the pledge's request (wrapped in the registrar's
 * nested message, kept in upstream_der), or a follow-up (pollReq, certConf). Schema 2 adds the
 * senderNonce of the request (an upstream answer is matched to its row by transactionID and
 * recipNonce) and `requeue` for follow-ups that are renewed in place (the registrar's own pollReq).
 * The registrar's per-transaction state lives in the same file (src/store/registrar-state.ts).
 */
import Database from 'better-sqlite3';
import { bytesEqual, toHex } from '../core/bytes.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { StackError } from '../core/errors.ts';

export type JournalState = 'received' | 'forwarded' | 'answered' | 'confirmed' | 'failed';

export interface JournalEntry {
  readonly id: number;
  readonly transactionId: Uint8Array;
  /** The CMP step: 'ir', 'cr', 'kur', 'p10cr', 'certConf', 'rr', 'genm' … */
  readonly step: string;
  readonly pledgeSerial: string | undefined;
  readonly peer: string | undefined;
  readonly state: JournalState;
  readonly requestDer: Uint8Array;
  /** senderNonce of the request (schema 2; undefined for rows written before). */
  readonly requestNonce: Uint8Array | undefined;
  readonly upstreamDer: Uint8Array | undefined;
  readonly responseDer: Uint8Array | undefined;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface JournalLimits {
  /** Open rows (not confirmed or failed) per pledge serial number. */
  readonly maxOpenPerPledge: number;
  /** Open rows in total. */
  readonly maxOpen: number;
  /** First retry delay and the cap of the exponential backoff, in ms. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

export const JOURNAL_DEFAULTS: JournalLimits = Object.freeze({ maxOpenPerPledge: 8, maxOpen: 100_000, retryBaseMs: 2_000, retryMaxMs: 300_000 });

const OPEN_STATES = "('received','forwarded','answered')";
const SCHEMA_VERSION = 2;

interface Row {
  id: number;
  transaction_id: Buffer;
  step: string;
  pledge_serial: string | null;
  peer: string | null;
  state: JournalState;
  request_der: Buffer;
  request_nonce: Buffer | null;
  upstream_der: Buffer | null;
  response_der: Buffer | null;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function toEntry(r: Row): JournalEntry {
  return {
    id: r.id,
    transactionId: u8(r.transaction_id),
    step: r.step,
    pledgeSerial: r.pledge_serial ?? undefined,
    peer: r.peer ?? undefined,
    state: r.state,
    requestDer: u8(r.request_der),
    requestNonce: r.request_nonce ? u8(r.request_nonce) : undefined,
    upstreamDer: r.upstream_der ? u8(r.upstream_der) : undefined,
    responseDer: r.response_der ? u8(r.response_der) : undefined,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error ?? undefined,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface ReceiveInput {
  readonly transactionId: Uint8Array;
  readonly step: string;
  readonly requestDer: Uint8Array;
  readonly pledgeSerial?: string;
  readonly peer?: string;
  /** senderNonce of the request, for matching the upstream answer. */
  readonly requestNonce?: Uint8Array;
  /** The message that will go upstream for this row (e.g. the registrar's nested wrapper). */
  readonly upstreamDer?: Uint8Array;
}

export interface RequeueInput extends ReceiveInput {
  /** Earliest time of the first attempt (default now). */
  readonly notBefore?: number;
}

export class RegistrarJournal {
  private readonly db: Database.Database;
  private readonly limits: JournalLimits;

  private constructor(
    file: string,
    limits: Partial<JournalLimits>,
    private readonly clock: Clock,
  ) {
    this.limits = Object.freeze({ ...JOURNAL_DEFAULTS, ...limits });
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      this.migrate();
    } catch (cause) {
      throw new StackError('ERR_STORE', `cannot open journal ${file}: ${(cause as Error).message}`, {}, cause);
    }
  }

  static open(file: string, limits: Partial<JournalLimits> = {}, clock: Clock = systemClock): RegistrarJournal {
    return new RegistrarJournal(file, limits, clock);
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new Error(`journal schema ${version} is newer than this program (${SCHEMA_VERSION})`);
    if (version < 1) {
      this.db.exec(`
        CREATE TABLE journal (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          transaction_id BLOB NOT NULL,
          step TEXT NOT NULL,
          pledge_serial TEXT,
          peer TEXT,
          state TEXT NOT NULL CHECK (state IN ('received','forwarded','answered','confirmed','failed')),
          request_der BLOB NOT NULL,
          upstream_der BLOB,
          response_der BLOB,
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER NOT NULL,
          last_error TEXT,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          UNIQUE (transaction_id, step)
        );
        CREATE INDEX journal_outbox ON journal (state, next_attempt_at);
        CREATE INDEX journal_pledge ON journal (pledge_serial, state);
        PRAGMA user_version = 1;
      `);
    }
    if (version < 2) {
      this.db.exec(`
        ALTER TABLE journal ADD COLUMN request_nonce BLOB;
        CREATE INDEX journal_nonce ON journal (transaction_id, request_nonce);
        PRAGMA user_version = 2;
      `);
    }
  }

  /**
   * Records a request before it is answered. A retransmission (same transaction, step and bytes)
   * returns the existing row; other bytes under a transaction ID already used are refused.
   */
  receive(input: ReceiveInput): { entry: JournalEntry; isNew: boolean } {
    const now = this.clock.now();
    return this.db.transaction((): { entry: JournalEntry; isNew: boolean } => {
      const existing = this.db.prepare('SELECT * FROM journal WHERE transaction_id = ? AND step = ?').get(input.transactionId, input.step) as Row | undefined;
      if (existing) {
        if (!bytesEqual(u8(existing.request_der), input.requestDer)) {
          throw new StackError('ERR_CMP_TRANSACTION', `transaction ${toHex(input.transactionId)} already holds a different ${input.step}`, { reason: 'transactionIdInUse' });
        }
        return { entry: toEntry(existing), isNew: false };
      }
      const open = (this.db.prepare(`SELECT count(*) AS n FROM journal WHERE state IN ${OPEN_STATES}`).get() as { n: number }).n;
      if (open >= this.limits.maxOpen) {
        throw new StackError('ERR_STORE', `journal holds ${open} open requests (limit ${this.limits.maxOpen})`, { reason: 'full' });
      }
      if (input.pledgeSerial !== undefined) {
        const mine = (this.db.prepare(`SELECT count(*) AS n FROM journal WHERE pledge_serial = ? AND state IN ${OPEN_STATES}`).get(input.pledgeSerial) as { n: number }).n;
        if (mine >= this.limits.maxOpenPerPledge) {
          throw new StackError('ERR_STORE', `pledge ${input.pledgeSerial} has ${mine} open requests (limit ${this.limits.maxOpenPerPledge})`, { reason: 'pledge-full' });
        }
      }
      return { entry: this.insert(input, now, now), isNew: true };
    }).immediate();
  }

  private insert(input: ReceiveInput, nextAttemptAt: number, now: number): JournalEntry {
    const info = this.db
      .prepare(
        `INSERT INTO journal (transaction_id, step, pledge_serial, peer, state, request_der, request_nonce, upstream_der, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'received', ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        input.transactionId,
        input.step,
        input.pledgeSerial ?? null,
        input.peer ?? null,
        input.requestDer,
        input.requestNonce ?? null,
        input.upstreamDer ?? null,
        nextAttemptAt,
        now,
        now,
      );
    return this.get(Number(info.lastInsertRowid))!;
  }

  /**
   * Puts a follow-up message of an accepted transaction in the outbox: a new row, or the row of
   * the same step renewed in place (new bytes, attempts reset, answer cleared), e.g. the next
   * pollReq after a pollRep. Not bounded by the open-row limits: the transaction was admitted
   * already. A row that is being forwarded right now is not touched (ERR_STORE, reason 'state').
   */
  requeue(input: RequeueInput): JournalEntry {
    const now = this.clock.now();
    const at = input.notBefore ?? now;
    return this.db.transaction((): JournalEntry => {
      const existing = this.db.prepare('SELECT * FROM journal WHERE transaction_id = ? AND step = ?').get(input.transactionId, input.step) as Row | undefined;
      if (!existing) return this.insert(input, at, now);
      if (existing.state === 'forwarded') {
        throw new StackError('ERR_STORE', `journal row ${existing.id} is being forwarded, cannot be renewed`, { reason: 'state' });
      }
      this.db
        .prepare(
          `UPDATE journal SET state = 'received', request_der = ?, request_nonce = ?, upstream_der = ?, response_der = NULL, attempts = 0,
             next_attempt_at = ?, last_error = NULL, updated_at = ? WHERE id = ?`,
        )
        .run(input.requestDer, input.requestNonce ?? null, input.upstreamDer ?? null, at, now, existing.id);
      return this.get(existing.id)!;
    }).immediate();
  }

  /**
   * Rows left 'forwarded' by a process that stopped mid-attempt go back to the outbox (call at
   * start, before any attempt runs). Returns how many.
   */
  recoverInFlight(): number {
    const now = this.clock.now();
    return this.db.prepare("UPDATE journal SET state = 'received', next_attempt_at = ?, updated_at = ? WHERE state = 'forwarded'").run(now, now).changes;
  }

  /** The row whose request carried `nonce` as senderNonce (an upstream answer's recipNonce). */
  findByRequestNonce(transactionId: Uint8Array, nonce: Uint8Array): JournalEntry | undefined {
    const r = this.db.prepare('SELECT * FROM journal WHERE transaction_id = ? AND request_nonce = ?').get(transactionId, nonce) as Row | undefined;
    return r && toEntry(r);
  }

  /** Sets the message that goes upstream for a row without changing its state. */
  setUpstream(id: number, upstreamDer: Uint8Array): void {
    const info = this.db.prepare('UPDATE journal SET upstream_der = ?, updated_at = ? WHERE id = ?').run(upstreamDer, this.clock.now(), id);
    if (info.changes !== 1) throw new StackError('ERR_NOT_FOUND', `journal row ${id} not found`);
  }

  /** The most recently changed rows, newest first. */
  recent(limit = 20): JournalEntry[] {
    return (this.db.prepare('SELECT * FROM journal ORDER BY updated_at DESC, id DESC LIMIT ?').all(limit) as Row[]).map(toEntry);
  }

  /**
   * Runs `fn` as one SQLite transaction (nested calls become savepoints). IMMEDIATE: the write
   * lock is taken up front, so a read-then-write transaction waits (busy_timeout) for another
   * process (e.g. `brski registrar import` beside `serve`) instead of failing with SQLITE_BUSY.
   */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** The connection, for stores that keep their tables in the same file (registrar-state.ts). */
  get database(): Database.Database {
    return this.db;
  }

  get(id: number): JournalEntry | undefined {
    const r = this.db.prepare('SELECT * FROM journal WHERE id = ?').get(id) as Row | undefined;
    return r && toEntry(r);
  }

  find(transactionId: Uint8Array, step: string): JournalEntry | undefined {
    const r = this.db.prepare('SELECT * FROM journal WHERE transaction_id = ? AND step = ?').get(transactionId, step) as Row | undefined;
    return r && toEntry(r);
  }

  /** Every row of a transaction, oldest first. */
  transaction(transactionId: Uint8Array): JournalEntry[] {
    return (this.db.prepare('SELECT * FROM journal WHERE transaction_id = ? ORDER BY id').all(transactionId) as Row[]).map(toEntry);
  }

  /** The outbox: received rows whose next attempt is due, oldest first. */
  due(limit = 100): JournalEntry[] {
    return (
      this.db.prepare("SELECT * FROM journal WHERE state = 'received' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?").all(this.clock.now(), limit) as Row[]
    ).map(toEntry);
  }

  /** Rows not yet forwarded (for an offline batch), oldest first. */
  pending(): JournalEntry[] {
    return (this.db.prepare("SELECT * FROM journal WHERE state = 'received' ORDER BY id").all() as Row[]).map(toEntry);
  }

  /** The nested message that went (or goes) upstream for this row. */
  markForwarded(id: number, upstreamDer: Uint8Array): void {
    this.transition(id, ['received', 'forwarded'], 'forwarded', 'upstream_der = ?, attempts = attempts + 1', [upstreamDer]);
  }

  /**
   * An upstream attempt failed: try again after the backoff (retryBaseMs · 2^(failures before
   * this one), capped). An attempt counts once, whether it was marked forwarded first or not.
   */
  recordAttemptFailure(id: number, error: string): number {
    const e = this.get(id);
    if (!e) throw new StackError('ERR_NOT_FOUND', `journal row ${id} not found`);
    const before = e.state === 'forwarded' ? Math.max(0, e.attempts - 1) : e.attempts;
    const delay = Math.min(this.limits.retryMaxMs, this.limits.retryBaseMs * 2 ** Math.min(before, 20));
    const next = this.clock.now() + delay;
    this.transition(
      id,
      ['received', 'forwarded'],
      'received',
      "attempts = attempts + CASE WHEN state = 'forwarded' THEN 0 ELSE 1 END, next_attempt_at = ?, last_error = ?",
      [next, error.slice(0, 500)],
    );
    return next;
  }

  /** The upstream answer, to be delivered to the pledge. */
  recordAnswer(id: number, responseDer: Uint8Array): void {
    this.transition(id, ['received', 'forwarded', 'answered'], 'answered', 'response_der = ?', [responseDer]);
  }

  markConfirmed(id: number): void {
    this.transition(id, ['answered', 'confirmed'], 'confirmed', '', []);
  }

  markFailed(id: number, reason: string): void {
    this.transition(id, ['received', 'forwarded', 'answered', 'failed'], 'failed', 'last_error = ?', [reason.slice(0, 500)]);
  }

  counts(): Record<JournalState, number> {
    const out: Record<JournalState, number> = { received: 0, forwarded: 0, answered: 0, confirmed: 0, failed: 0 };
    for (const r of this.db.prepare('SELECT state, count(*) AS n FROM journal GROUP BY state').all() as { state: JournalState; n: number }[]) out[r.state] = r.n;
    return out;
  }

  close(): void {
    this.db.close();
  }

  private transition(id: number, from: readonly JournalState[], to: JournalState, set: string, params: unknown[]): void {
    const placeholders = from.map(() => '?').join(',');
    const sql = `UPDATE journal SET state = ?, updated_at = ?${set ? `, ${set}` : ''} WHERE id = ? AND state IN (${placeholders})`;
    const info = this.db.prepare(sql).run(to, this.clock.now(), ...params, id, ...from);
    if (info.changes !== 1) {
      const e = this.get(id);
      throw new StackError('ERR_STORE', e ? `journal row ${id} is ${e.state}, cannot become ${to}` : `journal row ${id} not found`, { reason: e ? 'state' : 'missing' });
    }
  }
}
