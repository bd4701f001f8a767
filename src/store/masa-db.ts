/**
 * The MASA's durable state in one SQLite file (better-sqlite3, synchronous):
 *
 * - `owners`: which domain owns which pledge serial number, named by the SHA-256 of one of the
 *   domain's CA certificates (the certificate itself when it is known). Set by the sales-integration
 *   allow list, by a first claim, or by an operator's transfer.
 * - `owner_history`: every ownership period (start, end, how it began), so the audit log can be
 *   served to any domain that ever owned the pledge (RFC 8995 §5.8).
 * - `audit_log`: one row per voucher issued (RFC 8995 §5.8.1 events), with the voucher itself.
 *
 * Durability as in ca-db.ts: WAL journal, `synchronous = FULL`, each change one BEGIN IMMEDIATE
 * transaction (so `brski masa owners …` serialises with a running service). A first claim is
 * atomic: of two registrars claiming one pledge at once, exactly one wins.
 *
 * The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[i]` moves version i to i + 1.
 */
import { DurableStore, openDurable, type Db, type DurableStoreOptions } from './sqlite.ts';
import { StackError } from '../core/errors.ts';



/** How an ownership began. */
export type OwnerSource = 'sales' | 'first-claim' | 'transfer';

export interface Owner {
  readonly serial: string;
  /** Lower-case hex SHA-256 of the domain CA certificate DER. */
  readonly domainCaSha256: string;
  /** The domain CA certificate, when known. */
  readonly domainCaDer?: Uint8Array;
  readonly source: OwnerSource;
  readonly since: number;
}

export interface NewAuditEntry {
  readonly serial: string;
  /** created-on of the voucher (RFC 3339). */
  readonly date: string;
  /** RFC 8995 §5.8.2 domainID, base64. */
  readonly domainId: string;
  readonly nonce?: Uint8Array;
  readonly assertion: string;
  readonly expiresOn?: string;
  /** SHA-256 hex of the pinned certificate (or of the pinned SubjectPublicKeyInfo). */
  readonly pinnedSha256: string;
  /** SHA-256 hex of the certificate that signed the RVR. */
  readonly registrarSha256: string;
  /** SHA-256 hex of the TLS client certificate, when the registrar presented one. */
  readonly tlsClientSha256?: string;
  readonly format: 'cose' | 'cms';
  readonly voucher: Uint8Array;
}

export interface AuditEntry extends NewAuditEntry {
  readonly id: number;
  readonly createdAt: number;
}

export type MasaDbOptions = DurableStoreOptions;

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE owners (
    serial            TEXT PRIMARY KEY,
    domain_ca_sha256  TEXT NOT NULL CHECK (length(domain_ca_sha256) = 64),
    domain_ca_der     BLOB,
    source            TEXT NOT NULL CHECK (source IN ('sales', 'first-claim', 'transfer')),
    since             INTEGER NOT NULL
  );

  CREATE TABLE owner_history (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    serial            TEXT NOT NULL,
    domain_ca_sha256  TEXT NOT NULL,
    source            TEXT NOT NULL,
    started_at        INTEGER NOT NULL,
    ended_at          INTEGER,
    reason            TEXT
  );
  CREATE INDEX owner_history_by_serial ON owner_history (serial, domain_ca_sha256);

  CREATE TABLE audit_log (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    serial            TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    date              TEXT NOT NULL,
    domain_id         TEXT NOT NULL,
    nonce             BLOB,
    assertion         TEXT NOT NULL,
    expires_on        TEXT,
    pinned_sha256     TEXT NOT NULL,
    registrar_sha256  TEXT NOT NULL,
    tls_client_sha256 TEXT,
    format            TEXT NOT NULL CHECK (format IN ('cose', 'cms')),
    voucher           BLOB NOT NULL
  );
  CREATE INDEX audit_log_by_serial ON audit_log (serial, id);
  `,
];

export const MASA_DB_SCHEMA_VERSION = MIGRATIONS.length;

interface OwnerRow {
  serial: string;
  domain_ca_sha256: string;
  domain_ca_der: Buffer | null;
  source: OwnerSource;
  since: number;
}

interface AuditRow {
  id: number;
  serial: string;
  created_at: number;
  date: string;
  domain_id: string;
  nonce: Buffer | null;
  assertion: string;
  expires_on: string | null;
  pinned_sha256: string;
  registrar_sha256: string;
  tls_client_sha256: string | null;
  format: 'cose' | 'cms';
  voucher: Buffer;
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
const blob = (b: Uint8Array | undefined): Buffer | null => (b === undefined ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function ownerFromRow(r: OwnerRow): Owner {
  return {
    serial: r.serial,
    domainCaSha256: r.domain_ca_sha256,
    ...(r.domain_ca_der ? { domainCaDer: bytes(r.domain_ca_der) } : {}),
    source: r.source,
    since: r.since,
  };
}

function auditFromRow(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    createdAt: r.created_at,
    serial: r.serial,
    date: r.date,
    domainId: r.domain_id,
    ...(r.nonce ? { nonce: bytes(r.nonce) } : {}),
    assertion: r.assertion,
    ...(r.expires_on !== null ? { expiresOn: r.expires_on } : {}),
    pinnedSha256: r.pinned_sha256,
    registrarSha256: r.registrar_sha256,
    ...(r.tls_client_sha256 !== null ? { tlsClientSha256: r.tls_client_sha256 } : {}),
    format: r.format,
    voucher: bytes(r.voucher),
  };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function checkHash(h: string): void {
  if (!SHA256_HEX.test(h)) throw new StackError('ERR_INVALID_ARGUMENT', `not a lower-case hex SHA-256: ${JSON.stringify(h.slice(0, 80))}`);
}

/** What setting an owner from the allow list did. */
export type AddOwnerResult =
  | { readonly kind: 'added'; readonly owner: Owner }
  | { readonly kind: 'unchanged'; readonly owner: Owner }
  | { readonly kind: 'conflict'; readonly owner: Owner };

/** What a first claim did: won it, or found an owner already there. */
export type ClaimResult = { readonly kind: 'claimed'; readonly owner: Owner } | { readonly kind: 'owned'; readonly owner: Owner };

export class MasaDb extends DurableStore {
  private readonly now: () => number;
  private readonly stmt: ReturnType<MasaDb['prepare']>;

  private constructor(path: string, db: Db, now: () => number) {
    super(path, db, 'MASA database');
    this.now = now;
    this.stmt = this.prepare();
  }

  /** Opens (creating if needed) the database file and brings its schema up to date. */
  static open(path: string, opts: MasaDbOptions = {}): MasaDb {
    const db = openDurable(path, 'MASA database', { ...opts }, (d, readonly) => migrate(d, path, readonly));
    return new MasaDb(path, db, opts.now ?? Date.now);
  }

  private prepare() {
    const db = this.db;
    return {
      ownerGet: db.prepare<[string], OwnerRow>('SELECT * FROM owners WHERE serial = ?'),
      ownerInsert: db.prepare<[string, string, Buffer | null, OwnerSource, number]>(
        'INSERT INTO owners (serial, domain_ca_sha256, domain_ca_der, source, since) VALUES (?, ?, ?, ?, ?)',
      ),
      ownerReplace: db.prepare<[string, Buffer | null, OwnerSource, number, string]>(
        'UPDATE owners SET domain_ca_sha256 = ?, domain_ca_der = ?, source = ?, since = ? WHERE serial = ?',
      ),
      ownerSetDer: db.prepare<[Buffer, string]>('UPDATE owners SET domain_ca_der = ? WHERE serial = ? AND domain_ca_der IS NULL'),
      ownersAll: db.prepare<[], OwnerRow>('SELECT * FROM owners ORDER BY serial'),
      historyOpen: db.prepare<[string, string, OwnerSource, number, string | null]>(
        'INSERT INTO owner_history (serial, domain_ca_sha256, source, started_at, reason) VALUES (?, ?, ?, ?, ?)',
      ),
      historyClose: db.prepare<[number, string]>('UPDATE owner_history SET ended_at = ? WHERE serial = ? AND ended_at IS NULL'),
      historyHas: db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM owner_history WHERE serial = ? AND domain_ca_sha256 = ?'),
      auditInsert: db.prepare(`
        INSERT INTO audit_log (serial, created_at, date, domain_id, nonce, assertion, expires_on, pinned_sha256,
          registrar_sha256, tls_client_sha256, format, voucher)
        VALUES (@serial, @created_at, @date, @domain_id, @nonce, @assertion, @expires_on, @pinned_sha256,
          @registrar_sha256, @tls_client_sha256, @format, @voucher)`),
      auditBySerial: db.prepare<[string, number], AuditRow>('SELECT * FROM audit_log WHERE serial = ? ORDER BY id DESC LIMIT ?'),
      auditCount: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM audit_log WHERE serial = ?'),
    };
  }

  owner(serial: string): Owner | undefined {
    return this.guard('read owner', () => {
      const r = this.stmt.ownerGet.get(serial);
      return r ? ownerFromRow(r) : undefined;
    });
  }

  listOwners(): Owner[] {
    return this.guard('list owners', () => this.stmt.ownersAll.all().map(ownerFromRow));
  }

  private insertOwner(serial: string, sha256: string, der: Uint8Array | undefined, source: OwnerSource, reason: string | null): Owner {
    const t = this.now();
    this.stmt.ownerInsert.run(serial, sha256, blob(der), source, t);
    this.stmt.historyOpen.run(serial, sha256, source, t, reason);
    return ownerFromRow(this.stmt.ownerGet.get(serial)!);
  }

  /**
   * Records an owner from the sales-integration allow list: added when the serial has none,
   * unchanged when it has this one, a conflict (nothing written) when it has another.
   */
  addOwner(serial: string, domainCaSha256: string, domainCaDer?: Uint8Array): AddOwnerResult {
    checkHash(domainCaSha256);
    return this.atomically('add owner', () => {
      const r = this.stmt.ownerGet.get(serial);
      if (!r) return { kind: 'added', owner: this.insertOwner(serial, domainCaSha256, domainCaDer, 'sales', null) };
      if (r.domain_ca_sha256 !== domainCaSha256) return { kind: 'conflict', owner: ownerFromRow(r) };
      if (domainCaDer && !r.domain_ca_der) this.stmt.ownerSetDer.run(blob(domainCaDer)!, serial);
      return { kind: 'unchanged', owner: ownerFromRow(this.stmt.ownerGet.get(serial)!) };
    });
  }

  /** A first claim: the serial becomes this domain's when it has no owner yet (atomic). */
  claimFirst(serial: string, domainCaSha256: string, domainCaDer?: Uint8Array): ClaimResult {
    checkHash(domainCaSha256);
    return this.atomically('first claim', () => {
      const r = this.stmt.ownerGet.get(serial);
      if (r) return { kind: 'owned', owner: ownerFromRow(r) };
      return { kind: 'claimed', owner: this.insertOwner(serial, domainCaSha256, domainCaDer, 'first-claim', null) };
    });
  }

  /** Transfers a pledge to another domain (or assigns it, when it had no owner). */
  transferOwner(serial: string, domainCaSha256: string, domainCaDer?: Uint8Array, reason?: string): Owner {
    checkHash(domainCaSha256);
    return this.atomically('transfer owner', () => {
      const t = this.now();
      const r = this.stmt.ownerGet.get(serial);
      if (!r) return this.insertOwner(serial, domainCaSha256, domainCaDer, 'transfer', reason ?? null);
      this.stmt.historyClose.run(t, serial);
      this.stmt.ownerReplace.run(domainCaSha256, blob(domainCaDer), 'transfer', t, serial);
      this.stmt.historyOpen.run(serial, domainCaSha256, 'transfer', t, reason ?? null);
      return ownerFromRow(this.stmt.ownerGet.get(serial)!);
    });
  }

  /** True when the domain named by this CA hash owns or ever owned the serial. */
  wasOwner(serial: string, domainCaSha256: string): boolean {
    return this.guard('read owner history', () => this.stmt.historyHas.get(serial, domainCaSha256)!.n > 0);
  }

  appendAudit(e: NewAuditEntry): AuditEntry {
    return this.atomically('append audit log', () => {
      const createdAt = this.now();
      const info = this.stmt.auditInsert.run({
        serial: e.serial,
        created_at: createdAt,
        date: e.date,
        domain_id: e.domainId,
        nonce: blob(e.nonce),
        assertion: e.assertion,
        expires_on: e.expiresOn ?? null,
        pinned_sha256: e.pinnedSha256,
        registrar_sha256: e.registrarSha256,
        tls_client_sha256: e.tlsClientSha256 ?? null,
        format: e.format,
        voucher: blob(e.voucher),
      });
      return { ...e, id: Number(info.lastInsertRowid), createdAt };
    });
  }

  /** The newest `limit` audit entries of a serial (newest first) and how many there are in all. */
  auditLog(serial: string, limit: number): { entries: AuditEntry[]; total: number } {
    return this.guard('read audit log', () => ({
      entries: this.stmt.auditBySerial.all(serial, limit).map(auditFromRow),
      total: this.stmt.auditCount.get(serial)!.n,
    }));
  }
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
