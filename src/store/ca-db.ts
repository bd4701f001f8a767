/**
 * The operator RA/CA's durable state in one SQLite file (better-sqlite3, synchronous):
 *
 * - `issued_certs`: every certificate issued, with the transaction it was issued in, the pledge
 *   serial number, the label, validity and revocation;
 * - `transactions`: the CMP transaction records the responder keeps between messages
 *   (this class is its CmpTransactionStore);
 * - `approvals`: certification requests waiting for an operator (manual-approval mode);
 * - `inventory`: which pledge serial numbers may enroll under which label.
 *
 * Durability: WAL journal, `synchronous = FULL`, and every state change is one transaction
 * (BEGIN IMMEDIATE, so a second process — `brski ca approve` — serialises with the service).
 * A process killed at any instant loses nothing that was committed. A certificate is unique per
 * (transactionID, certReqId): `recordIssued` returns the stored certificate when one exists,
 * so a retried or concurrent request can never obtain a second certificate for one transaction.
 *
 * The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[i]` moves version i to i + 1.
 */
import { DurableStore, openDurable, type Db, type DurableStoreOptions } from './sqlite.ts';
import { StackError } from '../core/errors.ts';



/** States of a CMP transaction, as the responder names them. */
export type CaTransactionState = 'waiting' | 'issued' | 'confirmed' | 'rejected' | 'revoked' | 'answered';

/**
 * One CMP transaction as the responder keeps it (structurally the responder's TransactionRecord,
 * so this store does not depend on the protocol layer).
 */
export interface CaTransactionRecord {
  transactionId: Uint8Array;
  state: CaTransactionState;
  bodyType: string;
  certReqId?: number;
  ourNonce: Uint8Array;
  peerNonce: Uint8Array;
  certificateDer?: Uint8Array;
  lastRequestDer?: Uint8Array;
  lastResponseDer?: Uint8Array;
  label?: string;
  updatedAt: number;
}

export interface IssuedCertificate {
  /** Lower-case hex without leading zero octets (as certificateSerialHex gives it). */
  readonly serial: string;
  readonly subject: string;
  readonly pledgeSerial?: string;
  readonly label?: string;
  readonly transactionId?: Uint8Array;
  readonly certReqId?: number;
  readonly bodyType?: string;
  readonly der: Uint8Array;
  /** Milliseconds since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly issuedAt: number;
  readonly revokedAt?: number;
  readonly revocationReason?: string;
}

export type ApprovalState = 'pending' | 'approved' | 'rejected';

export interface Approval {
  readonly id: number;
  readonly transactionId: Uint8Array;
  readonly certReqId: number;
  readonly bodyType: string;
  readonly label?: string;
  readonly pledgeSerial?: string;
  /** The subject the certificate will carry, readable. */
  readonly subject?: string;
  /** DER of the subject Name the certificate will carry. */
  readonly subjectDer?: Uint8Array;
  /** SubjectPublicKeyInfo DER of the requested key. */
  readonly publicKeyDer: Uint8Array;
  /** DER of the requested Extensions (as in the CertTemplate), if any. */
  readonly extensionsDer?: Uint8Array;
  /** For kur: DER of the certificate being updated. */
  readonly oldCertificateDer?: Uint8Array;
  /** The request message as received. */
  readonly requestDer: Uint8Array;
  readonly state: ApprovalState;
  readonly createdAt: number;
  readonly decidedAt?: number;
  readonly reason?: string;
}

export type NewApproval = Omit<Approval, 'id' | 'state' | 'createdAt' | 'decidedAt' | 'reason'>;

export interface InventoryEntry {
  readonly label: string;
  readonly pledgeSerial: string;
  readonly allowed: boolean;
}

export type CaDbOptions = DurableStoreOptions;

/** Migrations: index i takes user_version i to i + 1. Append only; never edit a shipped one. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE issued_certs (
    serial            TEXT PRIMARY KEY,
    subject           TEXT NOT NULL,
    pledge_serial     TEXT,
    label             TEXT,
    transaction_id    BLOB,
    cert_req_id       INTEGER,
    body_type         TEXT,
    der               BLOB NOT NULL,
    not_before        INTEGER NOT NULL,
    not_after         INTEGER NOT NULL,
    issued_at         INTEGER NOT NULL,
    revoked_at        INTEGER,
    revocation_reason TEXT
  );
  CREATE UNIQUE INDEX issued_certs_by_transaction ON issued_certs (transaction_id, cert_req_id)
    WHERE transaction_id IS NOT NULL;
  CREATE INDEX issued_certs_by_pledge ON issued_certs (pledge_serial);
  CREATE INDEX issued_certs_by_time ON issued_certs (issued_at);

  CREATE TABLE transactions (
    transaction_id    BLOB PRIMARY KEY,
    state             TEXT NOT NULL
      CHECK (state IN ('waiting', 'issued', 'confirmed', 'rejected', 'revoked', 'answered')),
    body_type         TEXT NOT NULL,
    cert_req_id       INTEGER,
    our_nonce         BLOB NOT NULL,
    peer_nonce        BLOB NOT NULL,
    certificate_der   BLOB,
    last_request_der  BLOB,
    last_response_der BLOB,
    label             TEXT,
    updated_at        INTEGER NOT NULL
  );
  CREATE INDEX transactions_by_time ON transactions (updated_at);

  CREATE TABLE approvals (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id     BLOB NOT NULL UNIQUE,
    cert_req_id        INTEGER NOT NULL,
    body_type          TEXT NOT NULL,
    label              TEXT,
    pledge_serial      TEXT,
    subject            TEXT,
    subject_der        BLOB,
    public_key_der     BLOB NOT NULL,
    extensions_der     BLOB,
    old_cert_der       BLOB,
    request_der        BLOB NOT NULL,
    state              TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
    created_at         INTEGER NOT NULL,
    decided_at         INTEGER,
    reason             TEXT
  );
  CREATE INDEX approvals_by_state ON approvals (state, id);

  CREATE TABLE inventory (
    label         TEXT NOT NULL,
    pledge_serial TEXT NOT NULL,
    allowed       INTEGER NOT NULL DEFAULT 1 CHECK (allowed IN (0, 1)),
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (label, pledge_serial)
  );
  `,
];

/** The schema version this code writes. */
export const CA_DB_SCHEMA_VERSION = MIGRATIONS.length;

/** The inventory label that applies to every label. */
export const INVENTORY_ANY_LABEL = '*';

interface IssuedRow {
  serial: string;
  subject: string;
  pledge_serial: string | null;
  label: string | null;
  transaction_id: Buffer | null;
  cert_req_id: number | null;
  body_type: string | null;
  der: Buffer;
  not_before: number;
  not_after: number;
  issued_at: number;
  revoked_at: number | null;
  revocation_reason: string | null;
}

interface TransactionRow {
  transaction_id: Buffer;
  state: CaTransactionState;
  body_type: string;
  cert_req_id: number | null;
  our_nonce: Buffer;
  peer_nonce: Buffer;
  certificate_der: Buffer | null;
  last_request_der: Buffer | null;
  last_response_der: Buffer | null;
  label: string | null;
  updated_at: number;
}

interface ApprovalRow {
  id: number;
  transaction_id: Buffer;
  cert_req_id: number;
  body_type: string;
  label: string | null;
  pledge_serial: string | null;
  subject: string | null;
  subject_der: Buffer | null;
  public_key_der: Buffer;
  extensions_der: Buffer | null;
  old_cert_der: Buffer | null;
  request_der: Buffer;
  state: ApprovalState;
  created_at: number;
  decided_at: number | null;
  reason: string | null;
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
const optBytes = (b: Buffer | null): Uint8Array | undefined => (b === null ? undefined : bytes(b));
const blob = (b: Uint8Array | undefined): Buffer | null => (b === undefined ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** Drops undefined fields, so `exactOptionalPropertyTypes`-style objects stay clean. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function issuedFromRow(r: IssuedRow): IssuedCertificate {
  return compact({
    serial: r.serial,
    subject: r.subject,
    pledgeSerial: opt(r.pledge_serial),
    label: opt(r.label),
    transactionId: optBytes(r.transaction_id),
    certReqId: opt(r.cert_req_id),
    bodyType: opt(r.body_type),
    der: bytes(r.der),
    notBefore: r.not_before,
    notAfter: r.not_after,
    issuedAt: r.issued_at,
    revokedAt: opt(r.revoked_at),
    revocationReason: opt(r.revocation_reason),
  });
}

function transactionFromRow(r: TransactionRow): CaTransactionRecord {
  return compact({
    transactionId: bytes(r.transaction_id),
    state: r.state,
    bodyType: r.body_type,
    certReqId: opt(r.cert_req_id),
    ourNonce: bytes(r.our_nonce),
    peerNonce: bytes(r.peer_nonce),
    certificateDer: optBytes(r.certificate_der),
    lastRequestDer: optBytes(r.last_request_der),
    lastResponseDer: optBytes(r.last_response_der),
    label: opt(r.label),
    updatedAt: r.updated_at,
  });
}

function approvalFromRow(r: ApprovalRow): Approval {
  return compact({
    id: r.id,
    transactionId: bytes(r.transaction_id),
    certReqId: r.cert_req_id,
    bodyType: r.body_type,
    label: opt(r.label),
    pledgeSerial: opt(r.pledge_serial),
    subject: opt(r.subject),
    subjectDer: optBytes(r.subject_der),
    publicKeyDer: bytes(r.public_key_der),
    extensionsDer: optBytes(r.extensions_der),
    oldCertificateDer: optBytes(r.old_cert_der),
    requestDer: bytes(r.request_der),
    state: r.state,
    createdAt: r.created_at,
    decidedAt: opt(r.decided_at),
    reason: opt(r.reason),
  });
}

export class CaDb extends DurableStore {
  private readonly now: () => number;
  private readonly stmt: ReturnType<CaDb['prepare']>;

  private constructor(path: string, db: Db, now: () => number) {
    super(path, db, 'CA database');
    this.now = now;
    this.stmt = this.prepare();
  }

  /** Opens (creating if needed) the database file and brings its schema up to date. */
  static open(path: string, opts: CaDbOptions = {}): CaDb {
    const db = openDurable(path, 'CA database', { ...opts, foreignKeys: true }, (d, readonly) => migrate(d, path, readonly));
    return new CaDb(path, db, opts.now ?? Date.now);
  }

  private prepare() {
    const db = this.db;
    return {
      txGet: db.prepare<[Buffer], TransactionRow>('SELECT * FROM transactions WHERE transaction_id = ?'),
      txPut: db.prepare(`
        INSERT INTO transactions (transaction_id, state, body_type, cert_req_id, our_nonce, peer_nonce,
          certificate_der, last_request_der, last_response_der, label, updated_at)
        VALUES (@transaction_id, @state, @body_type, @cert_req_id, @our_nonce, @peer_nonce,
          @certificate_der, @last_request_der, @last_response_der, @label, @updated_at)
        ON CONFLICT (transaction_id) DO UPDATE SET
          state = excluded.state, body_type = excluded.body_type, cert_req_id = excluded.cert_req_id,
          our_nonce = excluded.our_nonce, peer_nonce = excluded.peer_nonce,
          certificate_der = excluded.certificate_der, last_request_der = excluded.last_request_der,
          last_response_der = excluded.last_response_der, label = excluded.label, updated_at = excluded.updated_at`),
      txPrune: db.prepare<[number]>(`DELETE FROM transactions WHERE updated_at < ? AND state IN ('confirmed', 'rejected', 'revoked', 'answered')`),
      txCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM transactions'),
      issuedByTx: db.prepare<[Buffer, number], IssuedRow>('SELECT * FROM issued_certs WHERE transaction_id = ? AND cert_req_id = ?'),
      issuedAllByTx: db.prepare<[Buffer], IssuedRow>('SELECT * FROM issued_certs WHERE transaction_id = ? ORDER BY issued_at'),
      issuedBySerial: db.prepare<[string], IssuedRow>('SELECT * FROM issued_certs WHERE serial = ?'),
      issuedInsert: db.prepare(`
        INSERT INTO issued_certs (serial, subject, pledge_serial, label, transaction_id, cert_req_id, body_type,
          der, not_before, not_after, issued_at)
        VALUES (@serial, @subject, @pledge_serial, @label, @transaction_id, @cert_req_id, @body_type,
          @der, @not_before, @not_after, @issued_at)`),
      issuedRecent: db.prepare<[number], IssuedRow>('SELECT * FROM issued_certs ORDER BY issued_at DESC, serial LIMIT ?'),
      issuedCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM issued_certs'),
      revoke: db.prepare<[number, string | null, string]>('UPDATE issued_certs SET revoked_at = ?, revocation_reason = ? WHERE serial = ? AND revoked_at IS NULL'),
      approvalByTx: db.prepare<[Buffer], ApprovalRow>('SELECT * FROM approvals WHERE transaction_id = ?'),
      approvalById: db.prepare<[number], ApprovalRow>('SELECT * FROM approvals WHERE id = ?'),
      approvalInsert: db.prepare(`
        INSERT INTO approvals (transaction_id, cert_req_id, body_type, label, pledge_serial, subject, subject_der,
          public_key_der, extensions_der, old_cert_der, request_der, state, created_at)
        VALUES (@transaction_id, @cert_req_id, @body_type, @label, @pledge_serial, @subject, @subject_der,
          @public_key_der, @extensions_der, @old_cert_der, @request_der, 'pending', @created_at)`),
      approvalDecide: db.prepare<[ApprovalState, number, string | null, number]>(
        `UPDATE approvals SET state = ?, decided_at = ?, reason = ? WHERE id = ? AND state = 'pending'`,
      ),
      approvalsAll: db.prepare<[number], ApprovalRow>('SELECT * FROM approvals ORDER BY id DESC LIMIT ?'),
      approvalsByState: db.prepare<[ApprovalState, number], ApprovalRow>('SELECT * FROM approvals WHERE state = ? ORDER BY id LIMIT ?'),
      invGet: db.prepare<[string, string], { allowed: number }>('SELECT allowed FROM inventory WHERE label = ? AND pledge_serial = ?'),
      invPut: db.prepare<[string, string, number, number]>(`
        INSERT INTO inventory (label, pledge_serial, allowed, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (label, pledge_serial) DO UPDATE SET allowed = excluded.allowed, updated_at = excluded.updated_at`),
      invDeleteLabel: db.prepare<[string]>('DELETE FROM inventory WHERE label = ?'),
      invAll: db.prepare<[], { label: string; pledge_serial: string; allowed: number }>('SELECT * FROM inventory ORDER BY label, pledge_serial'),
    };
  }

  // --- transactions (CmpTransactionStore) ---------------------------------------------------

  getTransaction(transactionId: Uint8Array): CaTransactionRecord | undefined {
    return this.guard('reading a transaction', () => {
      const r = this.stmt.txGet.get(blob(transactionId)!);
      return r ? transactionFromRow(r) : undefined;
    });
  }

  /** Inserts or replaces the record of its transaction (idempotent). */
  putTransaction(record: CaTransactionRecord): void {
    this.atomically('storing a transaction', () => {
      this.stmt.txPut.run({
        transaction_id: blob(record.transactionId),
        state: record.state,
        body_type: record.bodyType,
        cert_req_id: record.certReqId ?? null,
        our_nonce: blob(record.ourNonce),
        peer_nonce: blob(record.peerNonce),
        certificate_der: blob(record.certificateDer),
        last_request_der: blob(record.lastRequestDer),
        last_response_der: blob(record.lastResponseDer),
        label: record.label ?? null,
        updated_at: Math.floor(record.updatedAt),
      });
    });
  }

  /** CmpTransactionStore.get */
  get(transactionId: Uint8Array): Promise<CaTransactionRecord | undefined> {
    try {
      return Promise.resolve(this.getTransaction(transactionId));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** CmpTransactionStore.put */
  put(record: CaTransactionRecord): Promise<void> {
    try {
      this.putTransaction(record);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Deletes finished transactions last touched before `before` (ms); returns how many. */
  pruneTransactions(before: number): number {
    return this.atomically('pruning transactions', () => this.stmt.txPrune.run(Math.floor(before)).changes);
  }

  countTransactions(): number {
    return this.guard('counting transactions', () => this.stmt.txCount.get()!.n);
  }

  // --- issued certificates ------------------------------------------------------------------

  /**
   * Stores a newly issued certificate. When the transaction (transactionId, certReqId) already
   * has one, nothing is written and that stored certificate is returned with `created: false`:
   * the caller must answer with it and discard its own.
   */
  recordIssued(cert: Omit<IssuedCertificate, 'issuedAt' | 'revokedAt' | 'revocationReason'> & { issuedAt?: number }): {
    certificate: IssuedCertificate;
    created: boolean;
  } {
    return this.atomically('recording an issued certificate', () => {
      if (cert.transactionId !== undefined) {
        const existing = this.stmt.issuedByTx.get(blob(cert.transactionId)!, cert.certReqId ?? 0);
        if (existing) return { certificate: issuedFromRow(existing), created: false };
      }
      this.stmt.issuedInsert.run({
        serial: normalizeSerialHex(cert.serial),
        subject: cert.subject,
        pledge_serial: cert.pledgeSerial ?? null,
        label: cert.label ?? null,
        transaction_id: blob(cert.transactionId),
        cert_req_id: cert.transactionId === undefined ? (cert.certReqId ?? null) : (cert.certReqId ?? 0),
        body_type: cert.bodyType ?? null,
        der: blob(cert.der),
        not_before: Math.floor(cert.notBefore),
        not_after: Math.floor(cert.notAfter),
        issued_at: Math.floor(cert.issuedAt ?? this.now()),
      });
      return { certificate: issuedFromRow(this.stmt.issuedBySerial.get(normalizeSerialHex(cert.serial))!), created: true };
    });
  }

  /** The certificate issued in a transaction for one certReqId (default 0), if any. */
  issuedForTransaction(transactionId: Uint8Array, certReqId = 0): IssuedCertificate | undefined {
    return this.guard('reading issued certificates', () => {
      const r = this.stmt.issuedByTx.get(blob(transactionId)!, certReqId);
      return r ? issuedFromRow(r) : undefined;
    });
  }

  /** Every certificate issued in a transaction (for checks: there must be at most one per certReqId). */
  allIssuedForTransaction(transactionId: Uint8Array): IssuedCertificate[] {
    return this.guard('reading issued certificates', () => this.stmt.issuedAllByTx.all(blob(transactionId)!).map(issuedFromRow));
  }

  issuedBySerial(serialHex: string): IssuedCertificate | undefined {
    return this.guard('reading issued certificates', () => {
      const r = this.stmt.issuedBySerial.get(normalizeSerialHex(serialHex));
      return r ? issuedFromRow(r) : undefined;
    });
  }

  /** The newest `limit` certificates, newest first. */
  recentIssued(limit = 20): IssuedCertificate[] {
    return this.guard('listing issued certificates', () => this.stmt.issuedRecent.all(Math.max(0, Math.floor(limit))).map(issuedFromRow));
  }

  countIssued(): number {
    return this.guard('counting issued certificates', () => this.stmt.issuedCount.get()!.n);
  }

  /** Marks a certificate revoked. 'unknown' when no such serial, 'already' when revoked before. */
  revoke(serialHex: string, reason?: string, at: number = this.now()): 'revoked' | 'already' | 'unknown' {
    const serial = normalizeSerialHex(serialHex);
    return this.atomically('revoking a certificate', () => {
      if (!this.stmt.issuedBySerial.get(serial)) return 'unknown';
      return this.stmt.revoke.run(Math.floor(at), reason ?? null, serial).changes === 1 ? 'revoked' : 'already';
    });
  }

  // --- approvals ----------------------------------------------------------------------------

  /** Creates the pending approval of a transaction, or returns the one it already has. */
  createApproval(a: NewApproval): { approval: Approval; created: boolean } {
    return this.atomically('creating an approval', () => {
      const existing = this.stmt.approvalByTx.get(blob(a.transactionId)!);
      if (existing) return { approval: approvalFromRow(existing), created: false };
      const info = this.stmt.approvalInsert.run({
        transaction_id: blob(a.transactionId),
        cert_req_id: a.certReqId,
        body_type: a.bodyType,
        label: a.label ?? null,
        pledge_serial: a.pledgeSerial ?? null,
        subject: a.subject ?? null,
        subject_der: blob(a.subjectDer),
        public_key_der: blob(a.publicKeyDer),
        extensions_der: blob(a.extensionsDer),
        old_cert_der: blob(a.oldCertificateDer),
        request_der: blob(a.requestDer),
        created_at: Math.floor(this.now()),
      });
      return { approval: approvalFromRow(this.stmt.approvalById.get(Number(info.lastInsertRowid))!), created: true };
    });
  }

  approvalForTransaction(transactionId: Uint8Array): Approval | undefined {
    return this.guard('reading an approval', () => {
      const r = this.stmt.approvalByTx.get(blob(transactionId)!);
      return r ? approvalFromRow(r) : undefined;
    });
  }

  approval(id: number): Approval | undefined {
    return this.guard('reading an approval', () => {
      const r = this.stmt.approvalById.get(id);
      return r ? approvalFromRow(r) : undefined;
    });
  }

  /**
   * Approves or rejects a pending request. Throws ERR_NOT_FOUND for an unknown id and
   * ERR_INVALID_ARGUMENT when it was decided before (the earlier decision stands).
   */
  decideApproval(id: number, decision: 'approved' | 'rejected', reason?: string): Approval {
    return this.atomically('deciding an approval', () => {
      const row = this.stmt.approvalById.get(id);
      if (!row) throw new StackError('ERR_NOT_FOUND', `no approval request ${id}`);
      if (row.state !== 'pending') throw new StackError('ERR_INVALID_ARGUMENT', `approval request ${id} is already ${row.state}`, { state: row.state });
      this.stmt.approvalDecide.run(decision, Math.floor(this.now()), reason ?? null, id);
      return approvalFromRow(this.stmt.approvalById.get(id)!);
    });
  }

  /** Approvals, oldest first when filtered by state, newest first otherwise. */
  listApprovals(state?: ApprovalState, limit = 100): Approval[] {
    return this.guard('listing approvals', () =>
      (state ? this.stmt.approvalsByState.all(state, limit) : this.stmt.approvalsAll.all(limit)).map(approvalFromRow),
    );
  }

  // --- inventory ----------------------------------------------------------------------------

  /**
   * Whether a pledge may enroll under a label: the entry for the label decides, else the entry
   * under INVENTORY_ANY_LABEL; undefined when neither exists.
   */
  inventoryDecision(label: string, pledgeSerial: string): boolean | undefined {
    return this.guard('reading the inventory', () => {
      const r = this.stmt.invGet.get(label, pledgeSerial) ?? this.stmt.invGet.get(INVENTORY_ANY_LABEL, pledgeSerial);
      return r === undefined ? undefined : r.allowed === 1;
    });
  }

  setInventoryEntry(label: string, pledgeSerial: string, allowed: boolean): void {
    this.atomically('writing the inventory', () => {
      this.stmt.invPut.run(label, pledgeSerial, allowed ? 1 : 0, Math.floor(this.now()));
    });
  }

  /** Replaces the entries of every label named in `byLabel` (labels not named are kept). */
  replaceInventory(byLabel: Readonly<Record<string, readonly string[]>>): void {
    this.atomically('writing the inventory', () => {
      const now = Math.floor(this.now());
      for (const [label, serials] of Object.entries(byLabel)) {
        this.stmt.invDeleteLabel.run(label);
        for (const s of serials) this.stmt.invPut.run(label, s, 1, now);
      }
    });
  }

  inventory(): InventoryEntry[] {
    return this.guard('reading the inventory', () =>
      this.stmt.invAll.all().map((r) => ({ label: r.label, pledgeSerial: r.pledge_serial, allowed: r.allowed === 1 })),
    );
  }
}

/** Serial number hex in the stored form: lower case, no leading zero octets. */
export function normalizeSerialHex(hex: string): string {
  let s = hex.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (s.length % 2 === 1) s = `0${s}`;
  while (s.length > 2 && s.startsWith('00')) s = s.slice(2);
  return s;
}

function migrate(db: Db, path: string, readonly: boolean): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new StackError('ERR_STORE', `${path} has schema version ${version}; this program knows up to ${MIGRATIONS.length}`);
  }
  if (version === MIGRATIONS.length) return;
  if (readonly) throw new StackError('ERR_STORE', `${path} has schema version ${version} and is opened read-only`);
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
