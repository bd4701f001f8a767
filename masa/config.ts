/**
 * Configuration of the MASA: `--config FILE` (JSON) plus command-line flags, which win over the
 * file. The only code of the MASA role that reads argv or config files; everything it returns is
 * validated and frozen.
 */
import { configBool as bool, configInt as int, configNonEmptyString as str } from '../src/core/json-file.ts';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StackError } from '../src/core/errors.ts';
import { isObject, readJsonObject } from '../src/core/json-file.ts';
import type { LogLevel } from '../src/core/logger.ts';
import { parseOwnerIdentity, SERIAL_PATTERN, type OwnerIdentity } from './owners.ts';

export interface MasaServeConfig {
  readonly pkiDir: string;
  readonly host: string;
  readonly port: number;
  readonly dbPath: string;
  /** Sales-integration allow list: serial → owner, loaded into the database at start. */
  readonly owners: Readonly<Record<string, OwnerIdentity>>;
  readonly firstClaim: boolean;
  readonly noncelessValidityDays: number;
  /** Replaces noncelessValidityDays when set (short lifetimes for tests and demos). */
  readonly noncelessValiditySeconds?: number;
  readonly maxAuditEvents: number;
  readonly maxBodyBytes: number;
  readonly requestTimeoutMs: number;
  readonly logLevel: LogLevel;
}

export const SERVE_HELP = `usage: brski masa serve --pki DIR [options]

MASA (RFC 8995 §5.5–5.8, cBRSKI §6): HTTPS, TLS client authentication requested.
  POST /.well-known/brski/requestvoucher   application/voucher+cose or application/voucher-cms+json
  POST /.well-known/brski/requestauditlog  the same RVR; answers application/json

  --config FILE                  JSON file with any of the settings below (flags win)
  --pki DIR                      test PKI from 'brski pki init': manufacturer/masa signs vouchers,
                                 manufacturer/masa-tls serves HTTPS, the pledges are the known devices
  --host H                       address to bind (default 127.0.0.1)
  --port N                       TCP port (default 9443; 0 picks a free one)
  --db FILE                      SQLite database (default ./brski-masa.db)
  --owners FILE                  JSON {"<serial>": "<domain CA SHA-256 hex or PEM>"}: the
                                 sales-integration allow list, added to the database at start
  --first-claim                  an unowned pledge goes to the first domain that asks with a
                                 verified, nonced, proximity voucher-request
  --nonceless-validity-days N    lifetime of nonceless vouchers (default 14)
  --nonceless-validity-seconds N the same in seconds (replaces the days; for tests and demos)
  --max-body N                   largest request body in bytes (default 65536)
  --log-level L                  debug|info|warn|error (default info); JSON lines on stderr
Prints "ready https://HOST:PORT" on stdout once it listens. Stops on SIGINT or SIGTERM.`;

export const OWNERS_HELP = `usage: brski masa owners <add|transfer|list> [options]

  brski masa owners add SERIAL (--ca-cert FILE | --ca-sha256 HEX) --db FILE
        record the owner from the sales channel (refused if the pledge has another owner)
  brski masa owners transfer SERIAL (--ca-cert FILE | --ca-sha256 HEX) --db FILE [--reason TEXT]
        move the pledge to another domain (the old owner keeps read access to the audit log)
  brski masa owners list --db FILE [--json]`;

export const MASA_HELP = `usage: brski masa <command> [options]

commands:
  serve      run the MASA (HTTPS voucher and audit-log service)
  owners     add, transfer or list pledge owners

brski masa <command> --help shows the options of one command.`;

const DEFAULTS = {
  host: '127.0.0.1',
  port: 9443,
  dbPath: 'brski-masa.db',
  noncelessValidityDays: 14,
  maxAuditEvents: 1024,
  maxBodyBytes: 64 * 1024,
  requestTimeoutMs: 30_000,
};

function fail(message: string): never {
  throw new StackError('ERR_CONFIG', message);
}

export type Parsed<T> = { readonly help: true; readonly text: string } | { readonly help: false; readonly value: T };

/** serial → owner, from an owners object (file or config). */
export function parseOwners(obj: Record<string, unknown>, where: string): Record<string, OwnerIdentity> {
  const out: Record<string, OwnerIdentity> = {};
  for (const [serial, v] of Object.entries(obj)) {
    if (!SERIAL_PATTERN.test(serial)) fail(`${where}: ${JSON.stringify(serial)} is not a serial number`);
    if (typeof v !== 'string') fail(`${where}: the owner of ${serial} must be a string (SHA-256 hex or PEM)`);
    out[serial] = Object.freeze(parseOwnerIdentity(v, `${where}: ${serial}`));
  }
  return out;
}

/** The settings of `brski masa serve`. */
export function parseServeConfig(argv: readonly string[], cwd = process.cwd()): Parsed<MasaServeConfig> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        pki: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        db: { type: 'string' },
        owners: { type: 'string' },
        'first-claim': { type: 'boolean' },
        'nonceless-validity-days': { type: 'string' },
        'nonceless-validity-seconds': { type: 'string' },
        'max-body': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const f = parsed.values;
  if (f.help) return { help: true, text: SERVE_HELP };

  const fileDir = f.config ? dirname(resolve(cwd, f.config)) : cwd;
  const file = f.config ? readJsonObject(resolve(cwd, f.config), 'config file') : {};
  const known = new Set(['pki', 'host', 'port', 'db', 'owners', 'ownersFile', 'firstClaim', 'noncelessValidityDays', 'noncelessValiditySeconds', 'maxAuditEvents', 'maxBodyBytes', 'requestTimeoutMs', 'logLevel']);
  for (const k of Object.keys(file)) if (!known.has(k)) fail(`config file: unknown setting "${k}"`);
  const filePath = (k: string): string | undefined => {
    const v = str(file[k], k);
    return v === undefined ? undefined : resolve(fileDir, v);
  };

  const pkiDir = f.pki ? resolve(cwd, f.pki) : filePath('pki');
  if (!pkiDir) fail('--pki DIR is required (or "pki" in the config file)');
  const host = f.host ?? str(file.host, 'host') ?? DEFAULTS.host;
  if (host === '') fail('--host must not be empty');
  const port = int(f.port ?? file.port, '--port', 0, 65535) ?? DEFAULTS.port;
  const dbPath = f.db ? resolve(cwd, f.db) : (filePath('db') ?? resolve(cwd, DEFAULTS.dbPath));

  let owners: Record<string, OwnerIdentity> = {};
  const ownersPath = f.owners ? resolve(cwd, f.owners) : filePath('ownersFile');
  if (ownersPath) owners = parseOwners(readJsonObject(ownersPath, 'owners file'), ownersPath);
  if (file.owners !== undefined) {
    if (!isObject(file.owners)) fail('config file: "owners" must be an object {serial: owner}');
    owners = { ...parseOwners(file.owners, 'config file owners'), ...owners };
  }

  const firstClaim = f['first-claim'] ?? bool(file.firstClaim, 'firstClaim') ?? false;
  const noncelessValidityDays = int(f['nonceless-validity-days'] ?? file.noncelessValidityDays, '--nonceless-validity-days', 1, 3650) ?? DEFAULTS.noncelessValidityDays;
  const noncelessValiditySeconds = int(f['nonceless-validity-seconds'] ?? file.noncelessValiditySeconds, '--nonceless-validity-seconds', 1, 3650 * 86_400);
  const maxAuditEvents = int(file.maxAuditEvents, 'maxAuditEvents', 1, 100_000) ?? DEFAULTS.maxAuditEvents;
  const maxBodyBytes = int(f['max-body'] ?? file.maxBodyBytes, '--max-body', 1024, 16 << 20) ?? DEFAULTS.maxBodyBytes;
  const requestTimeoutMs = int(file.requestTimeoutMs, 'requestTimeoutMs', 1000, 600_000) ?? DEFAULTS.requestTimeoutMs;
  const logLevel = (f['log-level'] ?? str(file.logLevel, 'logLevel') ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) fail('--log-level must be debug, info, warn or error');

  return {
    help: false,
    value: Object.freeze({
      pkiDir,
      host,
      port,
      dbPath,
      owners: Object.freeze(owners),
      firstClaim,
      noncelessValidityDays,
      ...(noncelessValiditySeconds !== undefined ? { noncelessValiditySeconds } : {}),
      maxAuditEvents,
      maxBodyBytes,
      requestTimeoutMs,
      logLevel,
    }),
  };
}

export type OwnersCommand =
  | { readonly kind: 'add' | 'transfer'; readonly dbPath: string; readonly serial: string; readonly owner: OwnerIdentity; readonly reason?: string }
  | { readonly kind: 'list'; readonly dbPath: string; readonly json: boolean };

/** `brski masa owners add|transfer|list …` */
export function parseOwnersArgs(argv: readonly string[], cwd = process.cwd()): Parsed<OwnersCommand> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') return { help: true, text: OWNERS_HELP };
  if (sub !== 'add' && sub !== 'transfer' && sub !== 'list') fail(`unknown owners command '${sub}'\n${OWNERS_HELP}`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        'ca-cert': { type: 'string' },
        'ca-sha256': { type: 'string' },
        reason: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { help: true, text: OWNERS_HELP };
  if (!v.db) fail('--db FILE is required');
  const dbPath = resolve(cwd, v.db);
  if (sub === 'list') {
    if (parsed.positionals.length > 0) fail('owners list takes no positional arguments');
    return { help: false, value: Object.freeze({ kind: 'list', dbPath, json: v.json ?? false }) };
  }
  if (parsed.positionals.length !== 1) fail(`owners ${sub} needs exactly one SERIAL`);
  const serial = parsed.positionals[0]!;
  if (!SERIAL_PATTERN.test(serial)) fail(`${JSON.stringify(serial)} is not a serial number`);
  if ((v['ca-cert'] === undefined) === (v['ca-sha256'] === undefined)) fail('give exactly one of --ca-cert FILE and --ca-sha256 HEX');
  let owner: OwnerIdentity;
  if (v['ca-cert'] !== undefined) {
    const path = resolve(cwd, v['ca-cert']);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new StackError('ERR_CONFIG', `cannot read ${path}: ${(e as Error).message}`, {}, e);
    }
    owner = parseOwnerIdentity(text, path);
  } else {
    owner = parseOwnerIdentity(v['ca-sha256']!, '--ca-sha256');
  }
  if (sub === 'add' && v.reason !== undefined) fail('--reason goes with transfer');
  return { help: false, value: Object.freeze({ kind: sub, dbPath, serial, owner, ...(v.reason !== undefined ? { reason: v.reason } : {}) }) };
}
