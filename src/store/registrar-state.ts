/**
 * The registrar's per-transaction state, kept in the journal's SQLite file so that a request,
 * its journal row and its transaction state commit together (RegistrarJournal.atomically).
 *
 *  - registrar_tx: one row per pledge enrollment transaction (RFC 9483 §4.1, §4.4): the request,
 *    whether the registrar relays the CA's answers or holds the transaction itself, the nonces of
 *    both sides, the CA's last answer and the certificate;
 *  - registrar_answer: the answers given to the pledge, by SHA-256 of the request bytes, so that a
 *    retransmitted request gets the same bytes back, across restarts too (a few per transaction);
 *  - registrar_meta: small named values (cached genp values, trust anchors for offline tools).
 *
 * Updates are partial and phase-guarded, so that `brski registrar import` in another process and
 * the running service do not overwrite each other's changes.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { StackError } from '../core/errors.ts';
import type { RegistrarJournal } from './registrar-journal.ts';

export type TxMode = 'relayed' | 'held';
/**
 * forwarding: committed, no upstream answer yet · waiting: the CA answered 'waiting' ·
 * answered: the CA's final answer is here, not yet delivered (held) · delivered: the certificate
 * went to the pledge, its certConf is awaited · confirming: the pledge confirmed, the upstream
 * confirmation is pending · closed: nothing left to do.
 */
export type TxPhase = 'forwarding' | 'waiting' | 'answered' | 'delivered' | 'confirming' | 'closed';
export type TxOutcome = 'issued' | 'rejected' | 'error' | 'expired';

export const TX_PHASES: readonly TxPhase[] = ['forwarding', 'waiting', 'answered', 'delivered', 'confirming', 'closed'];

export interface RegistrarTx {
  readonly transactionId: Uint8Array;
  /** ir, cr, kur or p10cr. */
  readonly requestType: string;
  /** certReqId of the CertResponse (0; -1 for p10cr). */
  readonly certReqId: number;
  readonly mode: TxMode;
  readonly phase: TxPhase;
  readonly pledgeSerial: string | undefined;
  readonly peer: string | undefined;
  /** The profile label used upstream (/.well-known/cmp/p/<label>). */
  readonly label: string | undefined;
  /** The pledge's protection certificate (DER): follow-up messages must be signed by it. */
  readonly signerDer: Uint8Array;
  readonly requestDer: Uint8Array;
  /** senderNonce of the registrar's last own answer to the pledge (held transactions). */
  readonly ourNonce: Uint8Array | undefined;
  /** senderNonce of the CA's last answer. */
  readonly upstreamNonce: Uint8Array | undefined;
  /** The CA's last answer (DER PKIMessage, as the CA protected it). */
  readonly answerDer: Uint8Array | undefined;
  readonly outcome: TxOutcome | undefined;
  readonly certificateDer: Uint8Array | undefined;
  /** The CA granted implicit confirmation. */
  readonly implicitConfirm: boolean;
  /** checkAfter (s) of the CA's last waiting answer. */
  readonly upstreamCheckAfter: number | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NewTx {
  readonly transactionId: Uint8Array;
  readonly requestType: string;
  readonly certReqId: number;
  readonly pledgeSerial?: string;
  readonly peer?: string;
  readonly label?: string;
  readonly signerDer: Uint8Array;
  readonly requestDer: Uint8Array;
}

export type TxPatch = Partial<
  Pick<
    RegistrarTx,
    'mode' | 'phase' | 'ourNonce' | 'upstreamNonce' | 'answerDer' | 'outcome' | 'certificateDer' | 'implicitConfirm' | 'upstreamCheckAfter' | 'certReqId'
  >
>;

interface TxRow {
  transaction_id: Buffer;
  request_type: string;
  cert_req_id: number;
  mode: TxMode;
  phase: TxPhase;
  pledge_serial: string | null;
  peer: string | null;
  label: string | null;
  signer_der: Buffer;
  request_der: Buffer;
  our_nonce: Buffer | null;
  upstream_nonce: Buffer | null;
  answer_der: Buffer | null;
  outcome: TxOutcome | null;
  certificate_der: Buffer | null;
  implicit_confirm: number;
  check_after: number | null;
  created_at: number;
  updated_at: number;
}

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const opt = (b: Buffer | null): Uint8Array | undefined => (b ? u8(b) : undefined);

function toTx(r: TxRow): RegistrarTx {
  return {
    transactionId: u8(r.transaction_id),
    requestType: r.request_type,
    certReqId: r.cert_req_id,
    mode: r.mode,
    phase: r.phase,
    pledgeSerial: r.pledge_serial ?? undefined,
    peer: r.peer ?? undefined,
    label: r.label ?? undefined,
    signerDer: u8(r.signer_der),
    requestDer: u8(r.request_der),
    ourNonce: opt(r.our_nonce),
    upstreamNonce: opt(r.upstream_nonce),
    answerDer: opt(r.answer_der),
    outcome: r.outcome ?? undefined,
    certificateDer: opt(r.certificate_der),
    implicitConfirm: r.implicit_confirm === 1,
    upstreamCheckAfter: r.check_after ?? undefined,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const COLUMN: Record<keyof TxPatch, string> = {
  mode: 'mode',
  phase: 'phase',
  ourNonce: 'our_nonce',
  upstreamNonce: 'upstream_nonce',
  answerDer: 'answer_der',
  outcome: 'outcome',
  certificateDer: 'certificate_der',
  implicitConfirm: 'implicit_confirm',
  upstreamCheckAfter: 'check_after',
  certReqId: 'cert_req_id',
};

/** Answers kept per transaction for retransmissions. */
const ANSWERS_PER_TX = 8;

export function requestHash(der: Uint8Array): Uint8Array {
  return Uint8Array.from(createHash('sha256').update(der).digest());
}

export class RegistrarStateStore {
  private readonly db: Database.Database;

  constructor(
    private readonly journal: RegistrarJournal,
    private readonly now: () => number = Date.now,
  ) {
    this.db = journal.database;
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS registrar_tx (
        transaction_id BLOB PRIMARY KEY,
        request_type TEXT NOT NULL,
        cert_req_id INTEGER NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('relayed','held')),
        phase TEXT NOT NULL CHECK (phase IN ('forwarding','waiting','answered','delivered','confirming','closed')),
        pledge_serial TEXT,
        peer TEXT,
        label TEXT,
        signer_der BLOB NOT NULL,
        request_der BLOB NOT NULL,
        our_nonce BLOB,
        upstream_nonce BLOB,
        answer_der BLOB,
        outcome TEXT,
        certificate_der BLOB,
        implicit_confirm INTEGER NOT NULL DEFAULT 0,
        check_after INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS registrar_tx_phase ON registrar_tx (phase, mode);
      CREATE TABLE IF NOT EXISTS registrar_answer (
        transaction_id BLOB NOT NULL,
        request_hash BLOB NOT NULL,
        response_der BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (transaction_id, request_hash)
      );
      CREATE TABLE IF NOT EXISTS registrar_meta (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `);
  }

  /** Runs `fn` as one SQLite transaction together with journal changes. */
  atomically<T>(fn: () => T): T {
    return this.journal.atomically(fn);
  }

  getTx(transactionId: Uint8Array): RegistrarTx | undefined {
    const r = this.db.prepare('SELECT * FROM registrar_tx WHERE transaction_id = ?').get(transactionId) as TxRow | undefined;
    return r && toTx(r);
  }

  /** A new transaction in phase 'forwarding', mode 'held' until an upstream answer is relayed. */
  createTx(t: NewTx): RegistrarTx {
    const now = this.now();
    try {
      this.db
        .prepare(
          `INSERT INTO registrar_tx (transaction_id, request_type, cert_req_id, mode, phase, pledge_serial, peer, label, signer_der, request_der, created_at, updated_at)
           VALUES (?, ?, ?, 'held', 'forwarding', ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(t.transactionId, t.requestType, t.certReqId, t.pledgeSerial ?? null, t.peer ?? null, t.label ?? null, t.signerDer, t.requestDer, now, now);
    } catch (e) {
      throw new StackError('ERR_CMP_TRANSACTION', 'transactionID is already in use', { reason: 'transactionIdInUse' }, e);
    }
    return this.getTx(t.transactionId)!;
  }

  /**
   * Applies `patch`; with `fromPhases`, only while the transaction is in one of them. Returns the
   * transaction after the update, or undefined when the guard did not hold (or it does not exist).
   */
  updateTx(transactionId: Uint8Array, patch: TxPatch, fromPhases?: readonly TxPhase[]): RegistrarTx | undefined {
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [k, v] of Object.entries(patch) as [keyof TxPatch, unknown][]) {
      if (v === undefined) continue;
      sets.push(`${COLUMN[k]} = ?`);
      params.push(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    }
    sets.push('updated_at = ?');
    params.push(this.now());
    let sql = `UPDATE registrar_tx SET ${sets.join(', ')} WHERE transaction_id = ?`;
    params.push(transactionId);
    if (fromPhases) {
      sql += ` AND phase IN (${fromPhases.map(() => '?').join(',')})`;
      params.push(...fromPhases);
    }
    const info = this.db.prepare(sql).run(...params);
    return info.changes === 1 ? this.getTx(transactionId) : undefined;
  }

  /** Transactions in a phase (and mode), oldest first. */
  listTx(phases: readonly TxPhase[], mode?: TxMode, limit = 1000): RegistrarTx[] {
    const where = `phase IN (${phases.map(() => '?').join(',')})${mode ? ' AND mode = ?' : ''}`;
    const rows = this.db.prepare(`SELECT * FROM registrar_tx WHERE ${where} ORDER BY created_at LIMIT ?`).all(...phases, ...(mode ? [mode] : []), limit) as TxRow[];
    return rows.map(toTx);
  }

  /** The most recently changed transactions, newest first. */
  recentTx(limit = 20): RegistrarTx[] {
    return (this.db.prepare('SELECT * FROM registrar_tx ORDER BY updated_at DESC LIMIT ?').all(limit) as TxRow[]).map(toTx);
  }

  countTx(): Record<TxPhase, number> {
    const out = Object.fromEntries(TX_PHASES.map((p) => [p, 0])) as Record<TxPhase, number>;
    for (const r of this.db.prepare('SELECT phase, count(*) AS n FROM registrar_tx GROUP BY phase').all() as { phase: TxPhase; n: number }[]) out[r.phase] = r.n;
    return out;
  }

  /** The answer given earlier to exactly these request bytes in this transaction. */
  findAnswer(transactionId: Uint8Array, requestDer: Uint8Array): Uint8Array | undefined {
    const r = this.db.prepare('SELECT response_der FROM registrar_answer WHERE transaction_id = ? AND request_hash = ?').get(transactionId, requestHash(requestDer)) as
      | { response_der: Buffer }
      | undefined;
    return r ? u8(r.response_der) : undefined;
  }

  /** Remembers the answer to `requestDer` (the oldest beyond a few per transaction are dropped). */
  putAnswer(transactionId: Uint8Array, requestDer: Uint8Array, responseDer: Uint8Array): void {
    this.db
      .prepare('INSERT OR REPLACE INTO registrar_answer (transaction_id, request_hash, response_der, created_at) VALUES (?, ?, ?, ?)')
      .run(transactionId, requestHash(requestDer), responseDer, this.now());
    this.db
      .prepare(
        `DELETE FROM registrar_answer WHERE transaction_id = ? AND rowid NOT IN
           (SELECT rowid FROM registrar_answer WHERE transaction_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)`,
      )
      .run(transactionId, transactionId, ANSWERS_PER_TX);
  }

  getMeta(key: string): { value: Uint8Array; updatedAt: number } | undefined {
    const r = this.db.prepare('SELECT value, updated_at FROM registrar_meta WHERE key = ?').get(key) as { value: Buffer; updated_at: number } | undefined;
    return r ? { value: u8(r.value), updatedAt: r.updated_at } : undefined;
  }

  putMeta(key: string, value: Uint8Array): void {
    this.db.prepare('INSERT OR REPLACE INTO registrar_meta (key, value, updated_at) VALUES (?, ?, ?)').run(key, value, this.now());
  }

  /** A JSON record kept under `key` (undefined when absent or not JSON). */
  getMetaJson<T>(key: string): T | undefined {
    const m = this.getMeta(key);
    if (!m) return undefined;
    try {
      return JSON.parse(Buffer.from(m.value).toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }

  putMetaJson(key: string, value: unknown): void {
    this.putMeta(key, new TextEncoder().encode(JSON.stringify(value)));
  }
}
