/**
 * Opening a durable SQLite database the one way this project wants it (better-sqlite3@12): WAL
 * journal, synchronous = FULL (a committed transaction survives kill -9 and power loss), a busy
 * timeout for a second process on the same file (operator commands, offline import), and the
 * caller's schema migration; every failure becomes ERR_STORE.
 */
import Database from 'better-sqlite3';
import { StackError } from '../core/errors.ts';

export type Db = Database.Database;

export interface DurableOpenOptions {
  readonly readonly?: boolean;
  readonly busyTimeoutMs?: number;
  readonly foreignKeys?: boolean;
}

/** What a store built on openDurable is opened with. */
export interface DurableStoreOptions {
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
  /** How long a writer waits for another process's lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  readonly readonly?: boolean;
}

export function storeError(what: string, e: unknown): StackError {
  return e instanceof StackError ? e : new StackError('ERR_STORE', `${what}: ${(e as Error)?.message ?? String(e)}`, {}, e);
}

/** Opens `path` (created unless read-only), sets the pragmas and runs `migrate` on it. */
export function openDurable(path: string, what: string, opts: DurableOpenOptions, migrate: (db: Db, readonly: boolean) => void): Db {
  const readonly = opts.readonly ?? false;
  let db: Db;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly });
  } catch (e) {
    throw storeError(`cannot open ${what} ${path}`, e);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    if (!readonly) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new StackError('ERR_STORE', `${path}: WAL journal mode not available (got ${mode})`);
    }
    db.pragma('synchronous = FULL');
    if (opts.foreignKeys) db.pragma('foreign_keys = ON');
    migrate(db, readonly);
  } catch (e) {
    db.close();
    throw storeError(`cannot prepare ${what} ${path}`, e);
  }
  return db;
}

/**
 * What the durable stores share: the open connection, closing, durability facts, and running a
 * statement or an IMMEDIATE transaction with store errors that name the operation.
 */
export abstract class DurableStore {
  private closed = false;

  protected constructor(
    readonly path: string,
    protected readonly db: Db,
    /** How messages name the store ("CA database"). */
    private readonly what: string,
  ) {}

  get isOpen(): boolean {
    return !this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /** The journal mode and synchronous level of this connection (2 = FULL). */
  durability(): { journalMode: string; synchronous: number } {
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
    };
  }

  /** The schema version of the open file. */
  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  protected guard<T>(what: string, fn: () => T): T {
    if (this.closed) throw new StackError('ERR_STORE', `${what}: the ${this.what} ${this.path} is closed`);
    try {
      return fn();
    } catch (e) {
      throw storeError(what, e);
    }
  }

  /** Runs fn in one BEGIN IMMEDIATE transaction (all or nothing, serialised across processes). */
  protected atomically<T>(what: string, fn: () => T): T {
    return this.guard(what, () => this.db.transaction(fn).immediate());
  }
}
