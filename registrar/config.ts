/**
 * Configuration of the registrar: `--config FILE` (JSON) plus command-line flags, which win over
 * the file. The only code of the registrar role that reads argv or files named on the command
 * line; everything it returns is validated and frozen.
 */
import { configBool as bool, configInt as int, configString as str, configStringList as strList, isObject, readJson } from '../src/core/json-file.ts';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StackError } from '../src/core/errors.ts';
import type { LogLevel } from '../src/core/logger.ts';
import { cmpUrl } from '../src/transport/http-cmp.ts';

export interface RegistrarServeConfig {
  readonly pkiDir: string;
  readonly host: string;
  readonly port: number;
  readonly dbPath: string;
  /** The RA/CA (CMP over HTTP); absent: offline only (export/import). */
  readonly caUrl?: string;
  /** Profile label used upstream for every request. */
  readonly label?: string;
  readonly allowAny: boolean;
  /** Pledge serial numbers allowed to enroll. */
  readonly allow: readonly string[];
  readonly checkAfterSeconds: number;
  readonly upstreamTimeoutMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly localCertConf: boolean;
  readonly maxBodyBytes: number;
  readonly blockSize: number;
  readonly maxOpenPerPledge: number;
  readonly maxOpen: number;
  readonly maxClockSkewSeconds: number;
  readonly cacheRefreshSeconds: number;
  /** Extra trust anchors (PEM files) for pledge IDevIDs, besides the manufacturer root. */
  readonly trustAnchorFiles: readonly string[];
  /**
   * The pledge leg: 'none' plain CoAP (CMP protection only); 'oscore' EDHOC + OSCORE required on
   * every CMP and EST request; 'both' (the default) CMP with or without OSCORE (EST-oscore always needs it).
   */
  readonly security?: RegistrarSecurity;
  /** Replaces the IDevIDs' id-pe-masa-url (the MASA base URL, e.g. https://127.0.0.1:9443). */
  readonly masaUrl?: string;
  /** CMP/EST enrollment only for pledges that got a voucher from this registrar. */
  readonly requireVoucher?: boolean;
  /**
   * The JPY port for stateless join proxies (draft-ietf-anima-constrained-join-proxy §4.5):
   * JPY messages are unwrapped and served like datagrams on the CoAP port, answers go back with the
   * header unchanged; announced in /.well-known/core as <jpy://HOST:PORT>;rt=brski.rjp.
   */
  readonly jpyPort?: number;
  /** Address of the JPY socket (default: host). */
  readonly jpyHost?: string;
  /** Host written in the rt=brski.rjp link (default: jpyHost, unless that is a wildcard). */
  readonly jpyAnnounce?: string;
  /** Pledge serial numbers whose nonceless vouchers are fetched ahead of time and kept fresh. */
  readonly prefetch?: readonly string[];
  /** How often the prefetched vouchers are checked and renewed (seconds). */
  readonly prefetchRefreshSeconds?: number;
  /** What to do with the MASA audit log of a pledge: not fetched, logged, or refused when it shows another domain. */
  readonly auditPolicy?: AuditPolicy;
  /** How long one MASA request may take. */
  readonly masaTimeoutMs?: number;
  readonly logLevel: LogLevel;
  readonly verbose: boolean;
}

export type RegistrarSecurity = 'none' | 'oscore' | 'both';
export type AuditPolicy = 'off' | 'warn' | 'refuse';
export const AUDIT_POLICIES: readonly AuditPolicy[] = ['off', 'warn', 'refuse'];
export const REGISTRAR_SECURITY: readonly RegistrarSecurity[] = ['none', 'oscore', 'both'];

export interface RegistrarExportArgs {
  readonly dbPath: string;
  readonly outPath: string;
  readonly pkiDir?: string;
}

export interface RegistrarImportArgs {
  readonly file: string;
  readonly dbPath: string;
  readonly pkiDir?: string;
}

export interface RegistrarStatusArgs {
  readonly dbPath: string;
  readonly limit: number;
  readonly json: boolean;
}

export type Parsed<T> = { readonly help: true; readonly text: string } | { readonly help: false; readonly value: T };

export const SERVE_HELP = `usage: brski registrar serve --pki DIR [--ca-url URL] [options]

Registrar as Local RA: CMP over CoAP (RFC 9482) at /.well-known/cmp[/p/<label>][/<operation>]
and EST-oscore (RFC 9148 over EDHOC + OSCORE) at /.well-known/est/*,
store-and-forward to the RA/CA (CMP over HTTP, nested messages signed by the registrar).

  --config FILE           JSON file with any of the settings below (flags win)
  --pki DIR               test PKI ('brski pki init'): domain/registrar signs, manufacturer root
                          anchors IDevIDs, domain root anchors LDevIDs and the RA/CA's answers
  --host H                address to bind (default 127.0.0.1)
  --port N                UDP port (default 5683; 0 picks a free one)
  --db FILE               SQLite journal (default ./brski-registrar.db)
  --ca-url URL            the RA/CA, e.g. http://127.0.0.1:8080 (the well-known path is added);
                          without it the registrar works offline (export/import)
  --label L               profile label towards the RA/CA (/.well-known/cmp/p/L)
  --allow FILE            JSON ["PLEDGE-0001", ...]: pledges allowed to enroll
  --allow-any             admit every pledge with a valid IDevID
  --check-after S         checkAfter seconds in the registrar's waiting answers (default 5)
  --upstream-timeout MS   how long a request waits for the RA/CA before "waiting" (default 2000)
  --retry-base MS         first retry delay of the outbox (default 2000; doubles up to 5 min)
  --local-certconf        acknowledge certConf locally and confirm upstream in the background
  --max-body N            largest CMP request in bytes (default 65536)
  --block-size N          largest block size (16..1024, default 1024)
  --security S            none|oscore|both (default both): EDHOC at /.well-known/edhoc (IDevIDs
                          chaining to the manufacturer root, allow list applied) and OSCORE;
                          oscore: CMP only over OSCORE (else 4.01); both: CMP with or without;
                          none: no EDHOC/OSCORE. EST-oscore (/.well-known/est/crts, sen, sren,
                          att) is served whenever OSCORE is on, and only over OSCORE
  --masa-url URL          MASA for every pledge instead of the IDevID's id-pe-masa-url
                          (https://HOST:PORT[/.well-known/brski]). With --masa-url or
                          --require-voucher the registrar serves /.well-known/brski/rv, /vs, /es
                          (OSCORE only): PVR checked, RVR signed and sent to the MASA over HTTPS
  --require-voucher       refuse CMP/EST enrollment (notAuthorized / 4.03) of a pledge that has
                          not received a voucher through this registrar
  --masa-timeout MS       how long one MASA request may take (default 10000)
  --audit-policy P        off|warn|refuse (default warn): after a nonced voucher, fetch the pledge's
                          MASA audit log (/requestauditlog); warn logs, refuse answers 4.03, when
                          the log shows a domain other than this registrar's
  --prefetch FILE         JSON ["PLEDGE-0001", ...]: fetch nonceless vouchers (expires-on set by
                          the MASA) for these pledges while the MASA is reachable, renew them
                          before they expire, and serve them when the MASA is not (needs
                          --masa-url; the MASA must know this domain as owner)
  --prefetch-refresh S    check and renew the prefetched vouchers every S seconds (default 3600)
  --jpy-port N            also listen for stateless join proxies: JPY messages (CBOR [header,
                          content]) on this UDP port, answered with the header unchanged
                          (0 picks a free one); announced as <jpy://HOST:PORT>;rt=brski.rjp
  --jpy-host H            address of the JPY socket (default --host)
  --jpy-announce H        host in the rt=brski.rjp link (default --jpy-host unless a wildcard)
  --log-level L           debug|info|warn|error (default info); JSON lines on stderr
  --verbose               trace every CoAP message on stderr
Prints "ready coap://HOST:PORT" (then " jpy://HOST:PORT" with --jpy-port) on stdout once it listens. Stops on SIGINT or SIGTERM.`;

export const EXPORT_HELP = `usage: brski registrar export --db FILE --out FILE [--pki DIR]
Writes every pending upstream message (registrar-signed nested messages) as one DER PKIMessages
file for 'brski ca process'. The messages stay queued until their answers are imported.`;

export const IMPORT_HELP = `usage: brski registrar import FILE --db FILE [--pki DIR]
Records the RA/CA's answers (a DER PKIMessages file from 'brski ca process') in the journal;
pledges get their certificates at their next poll. With --pki, follow-up polls for answers that
still say 'waiting' are queued at once (else by the service).`;

export const STATUS_HELP = `usage: brski registrar status --db FILE [--limit N] [--json]
Journal counts, transactions by phase, and the most recent journal rows.`;

export const REGISTRAR_HELP = `usage: brski registrar <command> [options]

commands:
  serve      run the registrar (CMP over CoAP, store and forward to the RA/CA)
  export     write the pending upstream messages to a file (offline transfer)
  import     record the RA/CA's answers from a file
  status     journal and transaction counts, recent rows

brski registrar <command> --help shows the options of one command.`;

const DEFAULTS = {
  host: '127.0.0.1',
  port: 5683,
  dbPath: 'brski-registrar.db',
  checkAfterSeconds: 5,
  upstreamTimeoutMs: 2000,
  retryBaseMs: 2000,
  retryMaxMs: 300_000,
  maxBodyBytes: 64 * 1024,
  blockSize: 1024,
  maxOpenPerPledge: 8,
  maxOpen: 100_000,
  maxClockSkewSeconds: 600,
  cacheRefreshSeconds: 3600,
};

const LABEL = /^[A-Za-z0-9._~-]{1,64}$/;
const KNOWN_KEYS = new Set([
  'pki', 'host', 'port', 'db', 'caUrl', 'label', 'allow', 'allowFile', 'allowAny', 'checkAfter', 'upstreamTimeoutMs', 'retryBaseMs',
  'retryMaxMs', 'localCertConf', 'maxBodyBytes', 'blockSize', 'maxOpenPerPledge', 'maxOpen', 'maxClockSkewSeconds',
  'cacheRefreshSeconds', 'trustAnchors', 'security', 'masaUrl', 'requireVoucher', 'logLevel', 'verbose',
  'jpyPort', 'jpyHost', 'jpyAnnounce', 'prefetch', 'prefetchFile', 'prefetchRefreshSeconds', 'auditPolicy', 'masaTimeoutMs',
]);

function fail(message: string): never {
  throw new StackError('ERR_CONFIG', message);
}

function parse<T extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>>(argv: readonly string[], options: T, positionals = false) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: positionals, strict: true });
  } catch (e) {
    fail((e as Error).message);
  }
}

/** The settings of `brski registrar serve`. */
export function parseServeConfig(argv: readonly string[], cwd = process.cwd()): Parsed<RegistrarServeConfig> {
  const parsed = parse(argv, {
    config: { type: 'string' },
    pki: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    db: { type: 'string' },
    'ca-url': { type: 'string' },
    label: { type: 'string' },
    allow: { type: 'string' },
    'allow-any': { type: 'boolean' },
    'check-after': { type: 'string' },
    'upstream-timeout': { type: 'string' },
    'retry-base': { type: 'string' },
    'local-certconf': { type: 'boolean' },
    'max-body': { type: 'string' },
    'block-size': { type: 'string' },
    security: { type: 'string' },
    'masa-url': { type: 'string' },
    'require-voucher': { type: 'boolean' },
    'masa-timeout': { type: 'string' },
    'audit-policy': { type: 'string' },
    prefetch: { type: 'string' },
    'prefetch-refresh': { type: 'string' },
    'jpy-port': { type: 'string' },
    'jpy-host': { type: 'string' },
    'jpy-announce': { type: 'string' },
    'log-level': { type: 'string' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const f = parsed.values;
  if (f.help) return { help: true, text: SERVE_HELP };

  const fileDir = f.config ? dirname(resolve(cwd, f.config)) : cwd;
  const file = f.config ? readJson(resolve(cwd, f.config), 'config file') : {};
  if (!isObject(file)) fail('config file must hold a JSON object');
  for (const k of Object.keys(file)) if (!KNOWN_KEYS.has(k)) fail(`config file: unknown setting "${k}"`);
  const fromFile = (k: string): unknown => file[k];
  const filePath = (k: string): string | undefined => {
    const v = str(fromFile(k), k);
    if (v === undefined) return undefined;
    if (v === '') fail(`config file: "${k}" must not be empty`);
    return resolve(fileDir, v);
  };

  const pkiDir = f.pki ? resolve(cwd, f.pki) : filePath('pki');
  if (!pkiDir) fail('--pki DIR is required (or "pki" in the config file)');
  const host = f.host ?? str(fromFile('host'), 'host') ?? DEFAULTS.host;
  if (host === '') fail('--host must not be empty');
  const port = int(f.port ?? fromFile('port'), '--port', 0, 65535) ?? DEFAULTS.port;
  const dbPath = f.db ? resolve(cwd, f.db) : (filePath('db') ?? resolve(cwd, DEFAULTS.dbPath));

  const label = f.label ?? str(fromFile('label'), 'label');
  if (label !== undefined && !LABEL.test(label)) fail(`--label must match ${LABEL}`);
  const caUrl = f['ca-url'] ?? str(fromFile('caUrl'), 'caUrl');
  if (caUrl !== undefined) {
    try {
      cmpUrl(caUrl, label);
    } catch (e) {
      fail(`--ca-url: ${(e as Error).message}`);
    }
  }

  const allowAny = f['allow-any'] ?? bool(fromFile('allowAny'), 'allowAny') ?? false;
  let allow: string[] = [];
  const allowPath = f.allow ? resolve(cwd, f.allow) : filePath('allowFile');
  if (allowPath) allow = parseAllowList(readJson(allowPath, 'allow file'), allowPath);
  else if (fromFile('allow') !== undefined) allow = parseAllowList(fromFile('allow'), 'config file "allow"');
  if (!allowAny && !allowPath && fromFile('allow') === undefined) fail('give --allow FILE or --allow-any (otherwise no pledge may enroll)');

  const checkAfterSeconds = int(f['check-after'] ?? fromFile('checkAfter'), '--check-after', 0, 86_400) ?? DEFAULTS.checkAfterSeconds;
  const upstreamTimeoutMs = int(f['upstream-timeout'] ?? fromFile('upstreamTimeoutMs'), '--upstream-timeout', 1, 600_000) ?? DEFAULTS.upstreamTimeoutMs;
  const retryBaseMs = int(f['retry-base'] ?? fromFile('retryBaseMs'), '--retry-base', 1, 3_600_000) ?? DEFAULTS.retryBaseMs;
  const retryMaxMs = Math.max(retryBaseMs, int(fromFile('retryMaxMs'), 'retryMaxMs', 1, 86_400_000) ?? DEFAULTS.retryMaxMs);
  const localCertConf = f['local-certconf'] ?? bool(fromFile('localCertConf'), 'localCertConf') ?? false;
  const maxBodyBytes = int(f['max-body'] ?? fromFile('maxBodyBytes'), '--max-body', 256, 16 << 20) ?? DEFAULTS.maxBodyBytes;
  const blockSize = int(f['block-size'] ?? fromFile('blockSize'), '--block-size', 16, 1024) ?? DEFAULTS.blockSize;
  if ((blockSize & (blockSize - 1)) !== 0) fail('--block-size must be a power of two from 16 to 1024');
  const maxOpenPerPledge = int(fromFile('maxOpenPerPledge'), 'maxOpenPerPledge', 1, 1_000_000) ?? DEFAULTS.maxOpenPerPledge;
  const maxOpen = int(fromFile('maxOpen'), 'maxOpen', 1, 100_000_000) ?? DEFAULTS.maxOpen;
  const maxClockSkewSeconds = int(fromFile('maxClockSkewSeconds'), 'maxClockSkewSeconds', 0, 86_400 * 365) ?? DEFAULTS.maxClockSkewSeconds;
  const cacheRefreshSeconds = int(fromFile('cacheRefreshSeconds'), 'cacheRefreshSeconds', 10, 86_400 * 30) ?? DEFAULTS.cacheRefreshSeconds;
  const trustAnchorFiles = (strList(fromFile('trustAnchors'), 'trustAnchors') ?? []).map((p) => resolve(fileDir, p));
  const logLevel = (f['log-level'] ?? str(fromFile('logLevel'), 'logLevel') ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) fail('--log-level must be debug, info, warn or error');
  const verbose = f.verbose ?? bool(fromFile('verbose'), 'verbose') ?? false;
  const security = (f.security ?? str(fromFile('security'), 'security') ?? 'both') as RegistrarSecurity;
  if (!REGISTRAR_SECURITY.includes(security)) fail(`--security must be none, oscore or both, got ${JSON.stringify(security)}`);
  const masaUrl = f['masa-url'] ?? str(fromFile('masaUrl'), 'masaUrl');
  if (masaUrl !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(masaUrl);
    } catch {
      u = undefined;
    }
    if (!u || u.protocol !== 'https:') fail(`--masa-url must be an https:// URL, got ${JSON.stringify(masaUrl)}`);
  }
  const requireVoucher = f['require-voucher'] ?? bool(fromFile('requireVoucher'), 'requireVoucher') ?? false;
  if (masaUrl !== undefined && security === 'none') fail('--masa-url needs --security oscore or both (vouchers are requested over OSCORE)');
  if (requireVoucher && security === 'none') fail('--require-voucher needs --security oscore or both (vouchers are requested over OSCORE)');
  const masaTimeoutMs = int(f['masa-timeout'] ?? fromFile('masaTimeoutMs'), '--masa-timeout', 100, 600_000) ?? 10_000;
  const auditPolicy = (f['audit-policy'] ?? str(fromFile('auditPolicy'), 'auditPolicy') ?? 'warn') as AuditPolicy;
  if (!AUDIT_POLICIES.includes(auditPolicy)) fail(`--audit-policy must be off, warn or refuse, got ${JSON.stringify(auditPolicy)}`);
  let prefetch: string[] = [];
  const prefetchPath = f.prefetch ? resolve(cwd, f.prefetch) : filePath('prefetchFile');
  if (prefetchPath) prefetch = parseAllowList(readJson(prefetchPath, 'prefetch file'), prefetchPath);
  else if (fromFile('prefetch') !== undefined) prefetch = parseAllowList(fromFile('prefetch'), 'config file "prefetch"');
  if (prefetch.length > 0 && masaUrl === undefined) fail('--prefetch needs --masa-url (no IDevID tells the MASA of a pledge that has not shown up yet)');
  if (prefetch.length > 0 && security === 'none') fail('--prefetch needs --security oscore or both (vouchers are served over OSCORE)');
  const prefetchRefreshSeconds = int(f['prefetch-refresh'] ?? fromFile('prefetchRefreshSeconds'), '--prefetch-refresh', 1, 30 * 86_400) ?? 3600;
  const jpyPort = int(f['jpy-port'] ?? fromFile('jpyPort'), '--jpy-port', 0, 65535);
  const jpyHost = f['jpy-host'] ?? str(fromFile('jpyHost'), 'jpyHost');
  const jpyAnnounce = f['jpy-announce'] ?? str(fromFile('jpyAnnounce'), 'jpyAnnounce');
  if (jpyPort === undefined && (jpyHost !== undefined || jpyAnnounce !== undefined)) fail('--jpy-host and --jpy-announce need --jpy-port');
  if (jpyHost === '' || jpyAnnounce === '') fail('--jpy-host and --jpy-announce must not be empty');

  const config: RegistrarServeConfig = {
    pkiDir,
    host,
    port,
    dbPath,
    ...(caUrl !== undefined ? { caUrl } : {}),
    ...(label !== undefined ? { label } : {}),
    allowAny,
    allow: Object.freeze(allow),
    checkAfterSeconds,
    upstreamTimeoutMs,
    retryBaseMs,
    retryMaxMs,
    localCertConf,
    maxBodyBytes,
    blockSize,
    maxOpenPerPledge,
    maxOpen,
    maxClockSkewSeconds,
    cacheRefreshSeconds,
    trustAnchorFiles: Object.freeze(trustAnchorFiles),
    security,
    ...(masaUrl !== undefined ? { masaUrl } : {}),
    ...(requireVoucher ? { requireVoucher } : {}),
    ...(jpyPort !== undefined ? { jpyPort } : {}),
    ...(jpyHost !== undefined ? { jpyHost } : {}),
    ...(jpyAnnounce !== undefined ? { jpyAnnounce } : {}),
    prefetch: Object.freeze(prefetch),
    prefetchRefreshSeconds,
    auditPolicy,
    masaTimeoutMs,
    logLevel,
    verbose,
  };
  return { help: false, value: Object.freeze(config) };
}

export function parseExportArgs(argv: readonly string[], cwd = process.cwd()): Parsed<RegistrarExportArgs> {
  const v = parse(argv, { db: { type: 'string' }, out: { type: 'string' }, pki: { type: 'string' }, help: { type: 'boolean', short: 'h' } }).values;
  if (v.help) return { help: true, text: EXPORT_HELP };
  if (!v.db) fail('--db FILE is required');
  if (!v.out) fail('--out FILE is required');
  return {
    help: false,
    value: Object.freeze({ dbPath: resolve(cwd, v.db), outPath: resolve(cwd, v.out), ...(v.pki ? { pkiDir: resolve(cwd, v.pki) } : {}) }),
  };
}

export function parseImportArgs(argv: readonly string[], cwd = process.cwd()): Parsed<RegistrarImportArgs> {
  const p = parse(argv, { db: { type: 'string' }, pki: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, true);
  const v = p.values;
  if (v.help) return { help: true, text: IMPORT_HELP };
  if (p.positionals.length !== 1) fail(`expected exactly one answers FILE, got ${p.positionals.length}`);
  if (!v.db) fail('--db FILE is required');
  return {
    help: false,
    value: Object.freeze({ file: resolve(cwd, p.positionals[0]!), dbPath: resolve(cwd, v.db), ...(v.pki ? { pkiDir: resolve(cwd, v.pki) } : {}) }),
  };
}

export function parseStatusArgs(argv: readonly string[], cwd = process.cwd()): Parsed<RegistrarStatusArgs> {
  const v = parse(argv, { db: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }).values;
  if (v.help) return { help: true, text: STATUS_HELP };
  if (!v.db) fail('--db FILE is required');
  return { help: false, value: Object.freeze({ dbPath: resolve(cwd, v.db), limit: int(v.limit, '--limit', 1, 10_000) ?? 20, json: v.json ?? false }) };
}

// --- value checks ------------------------------------------------------------------------------

function parseAllowList(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '' || s.length > 128)) {
    fail(`${where} must be a JSON list of pledge serial numbers, e.g. ["PLEDGE-0001"]`);
  }
  return [...new Set(v as string[])];
}

