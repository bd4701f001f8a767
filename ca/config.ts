/**
 * Configuration of the operator RA/CA: `--config FILE` (JSON) plus command-line flags, which win
 * over the file. The only code of the CA role that reads argv, the environment or config files;
 * everything it returns is validated and frozen.
 *
 * Environment: BRSKI_CA_SECRET supplies the MAC secret when neither --secret nor --secret-file
 * (nor the file's `secret`) does, so that a secret need not appear in the process list.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StackError } from '../src/core/errors.ts';
import { configBool as bool, configInt as int, configString as str, configStringList as strList, isObject, readJsonObject } from '../src/core/json-file.ts';
import type { LogLevel } from '../src/core/logger.ts';
import { parseNameString } from '../src/pki/distinguished-name.ts';
import { isKeyAlgorithm, type KeyAlgorithm } from '../src/pki/key-pair.ts';
import { OID_KP_CLIENT_AUTH, OID_KP_SERVER_AUTH } from '../src/pki/oids.ts';
import { DEFAULT_LABEL, type CertReqTemplateSpec } from './labels.ts';

export interface CaServeConfig {
  readonly pkiDir: string;
  readonly host: string;
  readonly port: number;
  readonly dbPath: string;
  readonly manualApproval: boolean;
  readonly checkAfterSeconds: number;
  /** MAC secret for every senderKID not in `secretsByRef`. */
  readonly secret?: Uint8Array;
  /** MAC secrets per reference value (senderKID as text); only from the config file. */
  readonly secretsByRef: Readonly<Record<string, Uint8Array>>;
  /** label → pledge serial numbers allowed; loaded into the database at start. */
  readonly inventory?: Readonly<Record<string, readonly string[]>>;
  readonly allowAny: boolean;
  readonly validityDays: number;
  readonly subjectPattern: string;
  readonly sanDns: readonly string[];
  readonly copyRequestedSan: boolean;
  readonly caPubs: boolean;
  readonly templates: Readonly<Record<string, CertReqTemplateSpec>>;
  readonly grantImplicitConfirm: boolean;
  readonly maxClockSkewSeconds: number;
  /** Extra trust anchors (PEM files) for request signers, besides the manufacturer and domain roots. */
  readonly trustAnchorFiles: readonly string[];
  readonly maxBodyBytes: number;
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  readonly requestTimeoutMs: number;
  /** Finished transactions older than this are pruned (0 keeps them). */
  readonly transactionRetentionDays: number;
  readonly logLevel: LogLevel;
}

export const SERVE_HELP = `usage: brski ca serve --pki DIR [options]

Operator RA/CA: CMP over HTTP (RFC 9811) at /.well-known/cmp[/p/<label>][/<operation>].

  --config FILE         JSON file with any of the settings below (flags win)
  --pki DIR             test PKI from 'brski pki init' (domain issuing CA issues LDevIDs,
                        domain/ra-ca signs CMP responses)
  --host H              address to bind (default 127.0.0.1)
  --port N              TCP port (default 8080; 0 picks a free one)
  --db FILE             SQLite database (default ./brski-ca.db)
  --inventory FILE      JSON {"<label>": ["PLEDGE-0001", ...]}; label "*" applies to all labels,
                        requests without label use "${DEFAULT_LABEL}"
  --allow-any           admit every requester whose protection and chain verify (no inventory)
  --manual-approval     answer certificate requests 'waiting' until 'brski ca approve <id>'
  --check-after S       checkAfter seconds in waiting answers (default 5)
  --secret S            MAC secret for 'openssl cmp -secret' clients ('pass:' prefix accepted)
  --secret-file FILE    read the MAC secret from FILE (env BRSKI_CA_SECRET also works)
  --validity-days N     LDevID validity (default 365)
  --subject PATTERN     LDevID subject when the request has none (default
                        "O=BRSKI-AE Test Domain, CN=LDevID {serial}"); serialNumber is always added
  --san-dns PATTERN     DNS SAN for LDevIDs (repeatable; {serial}, {label}); default: copy the request's SAN
  --no-implicit-confirm never grant implicitConfirm
  --max-body N          largest request body in bytes (default 65536)
  --max-concurrent N    requests handled at once (default 32); more wait, up to 4x, then 503
  --log-level L         debug|info|warn|error (default info); JSON lines on stderr
Prints "ready http://HOST:PORT" on stdout once it listens. Stops on SIGINT or SIGTERM.`;

export const APPROVE_HELP = `usage: brski ca approve <id> --db FILE
Approves a pending certificate request; the CA issues at the pledge's next poll.`;

export const REJECT_HELP = `usage: brski ca reject <id> --db FILE [--reason TEXT]
Rejects a pending certificate request; the pledge's next poll is answered with a rejection.`;

export const LIST_HELP = `usage: brski ca list --db FILE [--limit N] [--json]
Shows approval requests (pending first) and the most recently issued certificates.`;

export const CA_HELP = `usage: brski ca <command> [options]

commands:
  serve      run the RA/CA service (CMP over HTTP)
  approve    approve a pending certificate request
  reject     reject a pending certificate request
  list       pending approvals and recently issued certificates
  process    answer a batch file of registrar requests offline (brski ca process FILE --out ANSWERS)

brski ca <command> --help shows the options of one command.`;

const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  dbPath: 'brski-ca.db',
  checkAfterSeconds: 5,
  validityDays: 365,
  subjectPattern: 'O=BRSKI-AE Test Domain, CN=LDevID {serial}',
  maxBodyBytes: 64 * 1024,
  maxConcurrent: 32,
  requestTimeoutMs: 30_000,
  maxClockSkewSeconds: 600,
  transactionRetentionDays: 30,
};

const LABEL = /^[A-Za-z0-9._~-]{1,64}$/;

function fail(message: string): never {
  throw new StackError('ERR_CONFIG', message);
}

export type Parsed<T> = { readonly help: true; readonly text: string } | { readonly help: false; readonly value: T };

/** The settings of `brski ca serve`, from argv, an optional config file and the environment. */
export function parseServeConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Parsed<CaServeConfig> {
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
        inventory: { type: 'string' },
        'allow-any': { type: 'boolean' },
        'manual-approval': { type: 'boolean' },
        'check-after': { type: 'string' },
        secret: { type: 'string' },
        'secret-file': { type: 'string' },
        'validity-days': { type: 'string' },
        subject: { type: 'string' },
        'san-dns': { type: 'string', multiple: true },
        'no-implicit-confirm': { type: 'boolean' },
        'max-body': { type: 'string' },
        'max-concurrent': { type: 'string' },
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
  const known = new Set([
    'pki', 'host', 'port', 'db', 'inventory', 'inventoryFile', 'allowAny', 'manualApproval', 'checkAfter', 'secret', 'secretFile',
    'secrets', 'validityDays', 'subject', 'sanDns', 'copyRequestedSan', 'caPubs', 'templates', 'implicitConfirm',
    'maxClockSkewSeconds', 'trustAnchors', 'maxBodyBytes', 'maxConcurrent', 'maxQueued', 'requestTimeoutMs',
    'transactionRetentionDays', 'logLevel',
  ]);
  for (const k of Object.keys(file)) if (!known.has(k)) fail(`config file: unknown setting "${k}"`);
  const fromFile = (k: string): unknown => file[k];
  const filePath = (k: string): string | undefined => {
    const v = fromFile(k);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') fail(`config file: "${k}" must be a non-empty string`);
    return resolve(fileDir, v);
  };

  const pkiDir = f.pki ? resolve(cwd, f.pki) : filePath('pki');
  if (!pkiDir) fail('--pki DIR is required (or "pki" in the config file)');

  const host = f.host ?? str(fromFile('host'), 'host') ?? DEFAULTS.host;
  if (host === '') fail('--host must not be empty');
  const port = int(f.port ?? fromFile('port'), '--port', 0, 65535) ?? DEFAULTS.port;
  const dbPath = f.db ? resolve(cwd, f.db) : (filePath('db') ?? resolve(cwd, DEFAULTS.dbPath));

  const manualApproval = f['manual-approval'] ?? bool(fromFile('manualApproval'), 'manualApproval') ?? false;
  const checkAfterSeconds = int(f['check-after'] ?? fromFile('checkAfter'), '--check-after', 0, 86_400) ?? DEFAULTS.checkAfterSeconds;

  // MAC secret: flag, flag file, config file, config secret file, environment.
  let secretText: string | undefined;
  if (f.secret !== undefined && f['secret-file'] !== undefined) fail('give --secret or --secret-file, not both');
  if (f.secret !== undefined) secretText = f.secret;
  else if (f['secret-file'] !== undefined) secretText = readSecretFile(resolve(cwd, f['secret-file']));
  else if (fromFile('secret') !== undefined) secretText = str(fromFile('secret'), 'secret');
  else if (fromFile('secretFile') !== undefined) secretText = readSecretFile(filePath('secretFile')!);
  else if (env.BRSKI_CA_SECRET) secretText = env.BRSKI_CA_SECRET;
  const secret = secretText === undefined ? undefined : secretBytes(secretText, 'secret');
  const secretsByRef: Record<string, Uint8Array> = {};
  const secrets = fromFile('secrets');
  if (secrets !== undefined) {
    if (!isObject(secrets)) fail('config file: "secrets" must be an object {reference: secret}');
    for (const [ref, s] of Object.entries(secrets)) {
      if (typeof s !== 'string') fail(`config file: secrets.${ref} must be a string`);
      secretsByRef[ref] = secretBytes(s, `secrets.${ref}`);
    }
  }

  let inventory: Record<string, string[]> | undefined;
  const inventoryPath = f.inventory ? resolve(cwd, f.inventory) : filePath('inventoryFile');
  if (inventoryPath) inventory = parseInventory(readJsonObject(inventoryPath, 'inventory file'), inventoryPath);
  else if (fromFile('inventory') !== undefined) {
    const inv = fromFile('inventory');
    if (!isObject(inv)) fail('config file: "inventory" must be an object {label: [serials]}');
    inventory = parseInventory(inv, 'config file inventory');
  }
  const allowAny = f['allow-any'] ?? bool(fromFile('allowAny'), 'allowAny') ?? false;
  if (!allowAny && !inventory) fail('give --inventory FILE or --allow-any (otherwise nobody may enroll)');

  const validityDays = int(f['validity-days'] ?? fromFile('validityDays'), '--validity-days', 1, 36_500) ?? DEFAULTS.validityDays;
  const subjectPattern = f.subject ?? str(fromFile('subject'), 'subject') ?? DEFAULTS.subjectPattern;
  checkNamePattern(subjectPattern, '--subject');
  const sanDns = f['san-dns'] ?? strList(fromFile('sanDns'), 'sanDns') ?? [];
  const copyRequestedSan = bool(fromFile('copyRequestedSan'), 'copyRequestedSan') ?? true;
  const caPubs = bool(fromFile('caPubs'), 'caPubs') ?? true;
  const templates = parseTemplates(fromFile('templates'), subjectPattern);
  const grantImplicitConfirm = f['no-implicit-confirm'] ? false : (bool(fromFile('implicitConfirm'), 'implicitConfirm') ?? true);
  const maxClockSkewSeconds = int(fromFile('maxClockSkewSeconds'), 'maxClockSkewSeconds', 0, 86_400 * 365) ?? DEFAULTS.maxClockSkewSeconds;
  const trustAnchorFiles = (strList(fromFile('trustAnchors'), 'trustAnchors') ?? []).map((p) => resolve(fileDir, p));
  const maxBodyBytes = int(f['max-body'] ?? fromFile('maxBodyBytes'), '--max-body', 256, 16 << 20) ?? DEFAULTS.maxBodyBytes;
  const maxConcurrent = int(f['max-concurrent'] ?? fromFile('maxConcurrent'), '--max-concurrent', 1, 4096) ?? DEFAULTS.maxConcurrent;
  const maxQueued = int(fromFile('maxQueued'), 'maxQueued', 0, 1 << 16) ?? maxConcurrent * 4;
  const requestTimeoutMs = int(fromFile('requestTimeoutMs'), 'requestTimeoutMs', 1000, 600_000) ?? DEFAULTS.requestTimeoutMs;
  const transactionRetentionDays =
    int(fromFile('transactionRetentionDays'), 'transactionRetentionDays', 0, 36_500) ?? DEFAULTS.transactionRetentionDays;
  const logLevel = (f['log-level'] ?? str(fromFile('logLevel'), 'logLevel') ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) fail('--log-level must be debug, info, warn or error');

  const config: CaServeConfig = {
    pkiDir,
    host,
    port,
    dbPath,
    manualApproval,
    checkAfterSeconds,
    ...(secret ? { secret } : {}),
    secretsByRef: Object.freeze(secretsByRef),
    ...(inventory ? { inventory: deepFreeze(inventory) } : {}),
    allowAny,
    validityDays,
    subjectPattern,
    sanDns: Object.freeze([...sanDns]),
    copyRequestedSan,
    caPubs,
    templates: deepFreeze(templates),
    grantImplicitConfirm,
    maxClockSkewSeconds,
    trustAnchorFiles: Object.freeze(trustAnchorFiles),
    maxBodyBytes,
    maxConcurrent,
    maxQueued,
    requestTimeoutMs,
    transactionRetentionDays,
    logLevel,
  };
  return { help: false, value: Object.freeze(config) };
}

export interface CaDecisionArgs {
  readonly id: number;
  readonly dbPath: string;
  readonly reason?: string;
}

/** `brski ca approve <id> --db FILE` and `brski ca reject <id> --db FILE [--reason TEXT]`. */
export function parseDecisionArgs(kind: 'approve' | 'reject', argv: readonly string[], cwd = process.cwd()): Parsed<CaDecisionArgs> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        ...(kind === 'reject' ? { reason: { type: 'string' as const } } : {}),
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const v = parsed.values as { db?: string; reason?: string; help?: boolean };
  if (v.help) return { help: true, text: kind === 'approve' ? APPROVE_HELP : REJECT_HELP };
  if (parsed.positionals.length !== 1) fail(`expected exactly one approval id, got ${parsed.positionals.length}`);
  const id = int(parsed.positionals[0], 'id', 1, Number.MAX_SAFE_INTEGER)!;
  if (!v.db) fail('--db FILE is required');
  return { help: false, value: Object.freeze({ id, dbPath: resolve(cwd, v.db), ...(v.reason !== undefined ? { reason: v.reason } : {}) }) };
}

export interface CaListArgs {
  readonly dbPath: string;
  readonly limit: number;
  readonly json: boolean;
}

export function parseListArgs(argv: readonly string[], cwd = process.cwd()): Parsed<CaListArgs> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { db: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { help: true, text: LIST_HELP };
  if (!v.db) fail('--db FILE is required');
  return { help: false, value: Object.freeze({ dbPath: resolve(cwd, v.db), limit: int(v.limit, '--limit', 1, 10_000) ?? 20, json: v.json ?? false }) };
}

// --- value checks ------------------------------------------------------------------------------

function readSecretFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new StackError('ERR_CONFIG', `cannot read the secret file ${path}: ${(e as Error).message}`, {}, e);
  }
}

function secretBytes(text: string, what: string): Uint8Array {
  const s = text.startsWith('pass:') ? text.slice(5) : text;
  if (s.length === 0) fail(`${what} must not be empty`);
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

function checkNamePattern(pattern: string, what: string): void {
  try {
    parseNameString(pattern);
  } catch (e) {
    fail(`${what}: ${(e as Error).message}`);
  }
}

function parseInventory(obj: Record<string, unknown>, where: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [label, serials] of Object.entries(obj)) {
    if (label !== '*' && !LABEL.test(label)) fail(`${where}: label ${JSON.stringify(label)} must match ${LABEL} (or be "*")`);
    if (!Array.isArray(serials) || serials.some((s) => typeof s !== 'string' || s === '' || s.length > 128)) {
      fail(`${where}: "${label}" must be a list of serial numbers (non-empty strings)`);
    }
    out[label] = [...new Set(serials as string[])];
  }
  return out;
}

const EKU_NAMES: Readonly<Record<string, string>> = { clientAuth: OID_KP_CLIENT_AUTH, serverAuth: OID_KP_SERVER_AUTH };

function parseTemplates(v: unknown, subjectPattern: string): Record<string, CertReqTemplateSpec> {
  const dflt: CertReqTemplateSpec = { subject: subjectPattern, keyType: 'P-256', eku: [OID_KP_CLIENT_AUTH, OID_KP_SERVER_AUTH] };
  const out: Record<string, CertReqTemplateSpec> = { [DEFAULT_LABEL]: dflt };
  if (v === undefined) return out;
  if (!isObject(v)) fail('config file: "templates" must be an object {label: {subject, keyType, eku}}');
  for (const [label, t] of Object.entries(v)) {
    if (!LABEL.test(label)) fail(`templates: label ${JSON.stringify(label)} must match ${LABEL}`);
    if (!isObject(t)) fail(`templates.${label} must be an object`);
    const subject = str(t.subject, `templates.${label}.subject`) ?? subjectPattern;
    checkNamePattern(subject, `templates.${label}.subject`);
    const keyType = str(t.keyType, `templates.${label}.keyType`) ?? 'P-256';
    if (!isKeyAlgorithm(keyType)) fail(`templates.${label}.keyType must be P-256, P-384, Ed25519 or RSA-2048`);
    const eku = (strList(t.eku, `templates.${label}.eku`) ?? ['clientAuth', 'serverAuth']).map((e) => {
      const oid = EKU_NAMES[e] ?? e;
      if (!/^\d+(\.\d+)+$/.test(oid)) fail(`templates.${label}.eku: ${e} is neither clientAuth, serverAuth nor an OID`);
      return oid;
    });
    out[label] = { subject, keyType: keyType as KeyAlgorithm, eku };
  }
  return out;
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !(o instanceof Uint8Array)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
