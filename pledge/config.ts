/**
 * Configuration of `brski pledge`: the only code of the pledge role that reads argv. Everything
 * it returns is validated and frozen.
 */
import { parseArgs } from 'node:util';
import { szxForSize } from '../src/codec/coap/block-option.ts';
import { parseCoapUri } from '../src/codec/coap/uri.ts';
import { StackError } from '../src/core/errors.ts';
import type { LogLevel } from '../src/core/logger.ts';
import { IEEE802154_FRAME_BYTES, LINK_6LOWPAN } from '../src/transport/link-emulator.ts';
import { RFC9482_CMP_PATH } from './coap-transfer.ts';

/** The emulated link between the pledges and the join proxy (or registrar). */
export interface PledgeLinkConfig {
  /** 'none': only the flags given; '6lowpan': IEEE 802.15.4 (250 kbit/s, 127-byte frames) first. */
  readonly kind: 'none' | '6lowpan';
  /** Serialisation rate per direction in bit/s (0: unlimited). */
  readonly rateBps: number;
  /** UDP payload bytes per link-layer frame (0: one frame per datagram). */
  readonly framePayload: number;
  /** Bytes a frame adds on air besides its payload (6lowpan: 127 - framePayload). */
  readonly frameOverhead: number;
  readonly delayMs: number;
  readonly jitterMs: number;
  /** Loss probability per datagram in each direction. */
  readonly loss: number;
}

export interface PledgeConfig {
  readonly pkiDir: string;
  /** The registrar URI as given (absent with --discover). */
  readonly registrar?: string;
  /** The --discover URI as given: the join proxy is asked there for its join port. */
  readonly discover?: string;
  /** Host and port of --registrar, or with --discover where the join proxy is asked. */
  readonly host: string;
  readonly port: number;
  /** Uri-Path segments: .well-known/cmp or .well-known/cmp/p/<label>. */
  readonly path: readonly string[];
  readonly count: number;
  /** The first pledge number (PLEDGE-<first>). */
  readonly first: number;
  readonly blockSize: number;
  readonly stateDir: string;
  readonly concurrency: number;
  readonly timeoutSeconds: number;
  /** The loss of the emulated link (0 without one); the same as link.loss. */
  readonly linkLoss: number;
  /** Absent: no link emulation. */
  readonly link?: PledgeLinkConfig;
  /** RFC 7252 §4.8 ACK_TIMEOUT and MAX_RETRANSMIT of every pledge's endpoint. */
  readonly ackTimeoutMs: number;
  readonly maxRetransmit: number;
  readonly retryBaseMs: number;
  readonly logLevel: LogLevel;
  readonly jsonFile?: string;
  /** 'oscore': EDHOC with the IDevID first, then every request over OSCORE. */
  readonly security: 'none' | 'oscore';
  /** 'cmp': BRSKI-AE with CMP; 'est': EST-oscore /sen (needs --security oscore). */
  readonly enroll: 'cmp' | 'est';
  /** Voucher exchange after EDHOC (see PledgeEmulatorConfig.voucher). */
  readonly voucher: 'required' | 'auto' | 'off';
}

export const PLEDGE_HELP = `usage: brski pledge --pki DIR (--registrar URI | --discover URI) --state DIR [options]

Emulates pledges enrolling with BRSKI-AE over CMP over CoAP (RFC 9733, RFC 9483, RFC 9482):
genm caCerts, genm certReqTemplate, ir signed with the IDevID (new key generated here),
pollReq while waiting, ip, chain check to the domain root, certConf, pkiConf.

  --pki DIR             test PKI from 'brski pki init' (pledges/PLEDGE-NNNN, domain/root-ca.pem)
  --registrar URI       coap://HOST:PORT[/.well-known/cmp[/p/LABEL]]
  --discover URI        coap://HOST[:PORT]: find the join proxy there (GET /.well-known/core
                        ?brski-jp=*, also the older rt=brski.jp link) and use HOST with the
                        announced join port as the registrar (CMP path /.well-known/cmp);
                        exactly one of --registrar and --discover
  --state DIR           per pledge: DIR/<serial>/{ldevid.pem,ldevid.key,chain.pem}, and
                        transaction.json while waiting (a restarted run resumes it)
  --count N             pledges to run (default 1)
  --first K             the first pledge is PLEDGE-K (default 1)
  --block-size N        CoAP block size for requests and responses: 16..1024 (default 64)
  --concurrency C       pledges running at once (default: all)
  --timeout S           give up on a pledge after S seconds (default 600)
  --link L              none|6lowpan (default none). 6lowpan: IEEE 802.15.4 at 250 kbit/s,
                        127-byte frames with 80 bytes of payload each; all pledges of this process
                        share one half-duplex radio channel (one serialisation queue for what they
                        send and what they receive)
  --link-rate BPS       serialisation rate in bit/s of that channel, shared by all pledges
                        (6lowpan: 250000; none: unlimited)
  --link-frame-payload B
                        UDP payload bytes per link frame, for frames on air (6lowpan: 80)
  --link-delay MS       one-way delay in each direction (default 0)
  --link-jitter MS      plus a uniform random delay up to MS (default 0)
  --link-loss P         drop each datagram with probability P in each direction (default 0)
                        Any --link* flag turns the link emulation on; the table then shows the
                        frames on air per pledge
  --ack-timeout MS      CoAP ACK_TIMEOUT (RFC 7252 §4.8, default 2000); lower it on an emulated
                        lossy link to keep runs short
  --max-retransmit N    CoAP MAX_RETRANSMIT (default 4)
  --retry-base MS       first backoff after a transport failure (default 1000)
  --log-level L         debug|info|warn|error (default warn); JSON lines on stderr
  --json FILE           write the per-pledge results as JSON
  --security S          none|oscore (default none): oscore runs EDHOC (RFC 9528) with the IDevID
                        first, accepting a registrar whose certificate chains to the domain root
                        (standing in for the voucher's pinned-domain-cert), then OSCORE
  --enroll E            cmp|est (default cmp): est = EST-oscore (RFC 9148 /crts, then /sen with
                        a PKCS#10 for a new P-256 key; 5.03 Max-Age honoured); needs --security oscore
  --voucher             with --security oscore (and the default there): after EDHOC, a PVR signed
                        with the IDevID (proximity-registrar-cert = the registrar's EDHOC cert) to
                        /.well-known/brski/rv; the voucher must verify with manufacturer/masa.pem
                        (the built-in MASA anchor), match nonce and serial, and its
                        pinned-domain-cert must validate the registrar, then anchors enrollment.
                        Given explicitly, a registrar without /rv is refused; by default such a
                        registrar is accepted when it chains to domain/root-ca.pem. A voucher
                        without our nonce (prefetched by the registrar) only before its
                        expires-on; a 5.03 from /rv is asked again after its Max-Age
  --no-voucher          no voucher exchange (registrar judged by domain/root-ca.pem)
Prints the join proxy found (--discover) and a progress line on stderr, and a table on stdout
(with --json also per pledge: framesSent/framesReceived, ldevidSubject, voucherNonceless).
Exit status: 0 when every pledge is enrolled, 1 when one failed, 2 on usage errors.`;

export type ParsedPledgeArgs = { readonly help: true } | { readonly help: false; readonly config: PledgeConfig };

function fail(message: string): never {
  throw new StackError('ERR_CONFIG', message);
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function parsePledgeArgs(argv: readonly string[]): ParsedPledgeArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        pki: { type: 'string' },
        registrar: { type: 'string' },
        discover: { type: 'string' },
        state: { type: 'string' },
        count: { type: 'string' },
        first: { type: 'string' },
        'block-size': { type: 'string' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        link: { type: 'string' },
        'link-rate': { type: 'string' },
        'link-frame-payload': { type: 'string' },
        'link-delay': { type: 'string' },
        'link-jitter': { type: 'string' },
        'link-loss': { type: 'string' },
        'ack-timeout': { type: 'string' },
        'max-retransmit': { type: 'string' },
        'retry-base': { type: 'string' },
        'log-level': { type: 'string' },
        json: { type: 'string' },
        security: { type: 'string' },
        enroll: { type: 'string' },
        voucher: { type: 'boolean' },
        'no-voucher': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { help: true };
  const int = (name: string, s: string | undefined, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (s === undefined) return dflt;
    const n = Number(s);
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < min || n > max) fail(`--${name} takes a whole number in ${min}..${max}, got '${s}'`);
    return n;
  };
  if (!v.pki) fail('--pki DIR is required');
  if (v.registrar !== undefined && v.discover !== undefined) fail('--registrar and --discover exclude each other');
  if (!v.registrar && !v.discover) fail('--registrar coap://HOST:PORT or --discover coap://HOST[:PORT] is required');
  if (!v.state) fail('--state DIR is required');

  const flag = v.discover !== undefined ? '--discover' : '--registrar';
  let uri;
  try {
    uri = parseCoapUri((v.discover ?? v.registrar)!);
  } catch (e) {
    fail(`${flag}: ${(e as Error).message}`);
  }
  if (uri.scheme !== 'coap') fail(`${flag}: only coap:// is supported (no DTLS here)`);
  if (uri.query.length > 0) fail(`${flag}: a query is not allowed`);
  if (v.discover !== undefined && uri.path.length > 0 && uri.path.join('/') !== '.well-known/core') {
    fail(`--discover: give coap://HOST[:PORT] (the join proxy is asked at /.well-known/core), got path /${uri.path.join('/')}`);
  }
  const security = (v.security ?? 'none') as PledgeConfig['security'];
  if (security !== 'none' && security !== 'oscore') fail(`--security must be none or oscore, got '${v.security}'`);
  const enroll = (v.enroll ?? 'cmp') as PledgeConfig['enroll'];
  if (enroll !== 'cmp' && enroll !== 'est') fail(`--enroll must be cmp or est, got '${v.enroll}'`);
  if (enroll === 'est' && security !== 'oscore') fail('--enroll est needs --security oscore (EST-oscore)');
  if (v.voucher && v['no-voucher']) fail('--voucher and --no-voucher exclude each other');
  if (v.voucher && security !== 'oscore') fail('--voucher needs --security oscore (the voucher is requested over OSCORE)');
  const voucher: PledgeConfig['voucher'] = security !== 'oscore' || v['no-voucher'] ? 'off' : v.voucher ? 'required' : 'auto';
  const path = uri.path.length === 0 || enroll === 'est' || v.discover !== undefined ? [...RFC9482_CMP_PATH] : [...uri.path];
  const isCmpPath = path[0] === '.well-known' && path[1] === 'cmp' && (path.length === 2 || (path.length === 4 && path[2] === 'p' && path[3] !== ''));
  if (!isCmpPath) fail(`--registrar: the path must be /.well-known/cmp or /.well-known/cmp/p/LABEL, got /${path.join('/')}`);

  const count = int('count', v.count, 1, 1, 100_000);
  const blockSize = int('block-size', v['block-size'], 64, 16, 1024);
  try {
    szxForSize(blockSize);
  } catch {
    fail(`--block-size must be one of 16, 32, 64, 128, 256, 512, 1024, got ${blockSize}`);
  }
  const link = parseLink(v, int);
  const logLevel = (v['log-level'] ?? 'warn') as LogLevel;
  if (!LEVELS.includes(logLevel)) fail(`--log-level must be one of ${LEVELS.join(', ')}`);

  const config: PledgeConfig = {
    pkiDir: v.pki,
    ...(v.registrar !== undefined ? { registrar: v.registrar } : { discover: v.discover! }),
    host: uri.host,
    port: uri.port,
    path,
    count,
    first: int('first', v.first, 1, 1, 99_999),
    blockSize,
    stateDir: v.state,
    concurrency: int('concurrency', v.concurrency, count, 1, 100_000),
    timeoutSeconds: int('timeout', v.timeout, 600, 1, 7 * 24 * 3600),
    linkLoss: link?.loss ?? 0,
    ...(link ? { link: Object.freeze(link) } : {}),
    ackTimeoutMs: int('ack-timeout', v['ack-timeout'], 2000, 10, 600_000),
    maxRetransmit: int('max-retransmit', v['max-retransmit'], 4, 0, 20),
    retryBaseMs: int('retry-base', v['retry-base'], 1000, 1, 3_600_000),
    logLevel,
    ...(v.json ? { jsonFile: v.json } : {}),
    security,
    enroll,
    voucher,
  };
  return { help: false, config: Object.freeze(config) };
}

type IntFlag = (name: string, s: string | undefined, dflt: number, min: number, max?: number) => number;

/** --link and its companions; undefined when none of them is given (no link emulation). */
function parseLink(v: Readonly<Record<string, string | boolean | undefined>>, int: IntFlag): PledgeLinkConfig | undefined {
  const str = (k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const names = ['link', 'link-rate', 'link-frame-payload', 'link-delay', 'link-jitter', 'link-loss'];
  if (!names.some((n) => str(n) !== undefined)) return undefined;
  const kind = (str('link') ?? 'none') as PledgeLinkConfig['kind'];
  if (kind !== 'none' && kind !== '6lowpan') fail(`--link must be none or 6lowpan, got '${str('link')}'`);
  const sixlo = kind === '6lowpan';
  const framePayload = int('link-frame-payload', str('link-frame-payload'), sixlo ? LINK_6LOWPAN.framePayload! : 0, sixlo ? 1 : 0, sixlo ? IEEE802154_FRAME_BYTES - 1 : 65_535);
  let loss = 0;
  const lossText = str('link-loss');
  if (lossText !== undefined) {
    loss = Number(lossText);
    if (lossText.trim() === '' || !(loss >= 0 && loss < 1)) fail(`--link-loss takes a probability in [0, 1), got '${lossText}'`);
  }
  return {
    kind,
    rateBps: int('link-rate', str('link-rate'), sixlo ? LINK_6LOWPAN.rateBps! : 0, sixlo ? 1 : 0, 10_000_000_000),
    framePayload,
    frameOverhead: sixlo ? IEEE802154_FRAME_BYTES - framePayload : 0,
    delayMs: int('link-delay', str('link-delay'), 0, 0, 600_000),
    jitterMs: int('link-jitter', str('link-jitter'), 0, 0, 600_000),
    loss,
  };
}
