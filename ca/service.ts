/**
 * Wiring of the operator RA/CA: test PKI + database + policy + CMP responder + HTTP server.
 * Used by `brski ca serve` and by tests that want the service in-process.
 */
import { readFileSync } from 'node:fs';
import { fromUtf8, toHex } from '../src/core/bytes.ts';
import { systemClock, type Clock } from '../src/core/clock.ts';
import { silentLogger, type LogFields, type Logger } from '../src/core/logger.ts';
import { cryptoRandom, type Random } from '../src/core/random.ts';
import { PKIBODY_TYPES, decodePkiMessage, type PKIBodyType } from '../src/codec/cmp/index.ts';
import { loadPki, parseCertificates, type Certificate, type TestPki } from '../src/pki/index.ts';
import { CmpResponder } from '../src/protocol/cmp/responder.ts';
import { CaDb } from '../src/store/ca-db.ts';
import type { CaServeConfig } from './config.ts';
import { CaPolicy } from './policy.ts';
import { CmpHttpServer } from './server.ts';

export interface CaService {
  readonly url: string;
  readonly port: number;
  readonly db: CaDb;
  readonly policy: CaPolicy;
  readonly responder: CmpResponder;
  readonly server: CmpHttpServer;
  readonly pki: TestPki;
  close(): Promise<void>;
}

export interface CaServiceDeps {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: Random;
  /** An already loaded PKI (tests); otherwise config.pkiDir is loaded. */
  readonly pki?: TestPki;
}

const HOUR_MS = 3600 * 1000;

export async function startCaService(config: CaServeConfig, deps: CaServiceDeps = {}): Promise<CaService> {
  const logger = deps.logger ?? silentLogger;
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? cryptoRandom;
  const pki = deps.pki ?? (await loadPki(config.pkiDir));
  const extraAnchors: Certificate[] = config.trustAnchorFiles.flatMap((f) => parseCertificates(readFileSync(f, 'utf8')));

  const db = CaDb.open(config.dbPath, { now: () => clock.now() });
  try {
    if (config.inventory) db.replaceInventory(config.inventory);
    const issuing = pki.domain.issuingCa;
    const policy = new CaPolicy({
      db,
      issuer: { privateKey: issuing.privateKey, certificate: issuing.certificate, chain: issuing.chain },
      rootCa: pki.domain.rootCa.certificate,
      manualApproval: config.manualApproval,
      checkAfterSeconds: config.checkAfterSeconds,
      allowAny: config.allowAny,
      validityDays: config.validityDays,
      subjectPattern: config.subjectPattern,
      sanDns: config.sanDns,
      copyRequestedSan: config.copyRequestedSan,
      caPubs: config.caPubs,
      templates: config.templates,
      clock,
      random,
      logger: logger.child({ component: 'policy' }),
    });
    const signer = pki.domain.raCa;
    const responder = new CmpResponder({
      signer: { privateKey: signer.privateKey, certificate: signer.certificate, chain: signer.chain },
      trustAnchors: [pki.manufacturer.rootCa.certificate, pki.domain.rootCa.certificate, ...extraAnchors],
      raTrustAnchors: [pki.domain.rootCa.certificate],
      macSecret: (kid) => {
        if (kid) {
          try {
            const byRef = config.secretsByRef[fromUtf8(kid)];
            if (byRef) return byRef;
          } catch {
            // not text: only the default secret can match
          }
        }
        return config.secret;
      },
      store: db,
      policy,
      clock,
      random,
      logger: logger.child({ component: 'responder' }),
      maxClockSkewMs: config.maxClockSkewSeconds * 1000,
      allowImplicitConfirm: config.grantImplicitConfirm,
    });
    const server = new CmpHttpServer({
      handle: (der, route) => responder.handle(der, route.label !== undefined ? { label: route.label } : {}),
      maxBodyBytes: config.maxBodyBytes,
      maxConcurrent: config.maxConcurrent,
      maxQueued: config.maxQueued,
      requestTimeoutMs: config.requestTimeoutMs,
      logger: logger.child({ component: 'http' }),
      describe: describeExchange,
    });
    const address = await server.listen(config.port, config.host);
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;

    let pruneTimer: NodeJS.Timeout | undefined;
    if (config.transactionRetentionDays > 0) {
      const prune = (): void => {
        try {
          const n = db.pruneTransactions(clock.now() - config.transactionRetentionDays * 24 * HOUR_MS);
          if (n > 0) logger.info('pruned finished transactions', { count: n });
        } catch (e) {
          logger.warn('pruning transactions failed', { error: e as Error });
        }
      };
      prune();
      pruneTimer = setInterval(prune, HOUR_MS);
      pruneTimer.unref();
    }

    let closed = false;
    return {
      url,
      port: address.port,
      db,
      policy,
      responder,
      server,
      pki,
      async close() {
        if (closed) return;
        closed = true;
        if (pruneTimer) clearInterval(pruneTimer);
        await server.close();
        db.close();
      },
    };
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Log fields of one exchange: message types and transaction ID, read by a shallow DER walk (a full
 * decode of both messages would cost more CPU than the rest of the HTTP layer); the status and
 * failInfo of error answers come from a full decode, which only they pay for.
 */
export function describeExchange(requestDer: Uint8Array, responseDer: Uint8Array): LogFields {
  const req = peekPkiMessage(requestDer);
  const rsp = peekPkiMessage(responseDer);
  const fields: Record<string, unknown> = { request: req?.bodyType ?? 'undecodable' };
  if (rsp) {
    fields.response = rsp.bodyType;
    const tid = rsp.transactionId ?? req?.transactionId;
    if (tid) fields.transactionId = toHex(tid);
    if (rsp.bodyType === 'error') {
      try {
        const status = decodePkiMessage(responseDer).body.error!.pKIStatusInfo;
        fields.status = status.status;
        if (status.failInfo) fields.failInfo = status.failInfo.names();
        if (status.statusString) fields.statusText = [...status.statusString].join('; ');
      } catch {
        // logged without status
      }
    }
  }
  return fields;
}

interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/** One DER TLV at `off` (single-octet tags, definite lengths up to 4 octets), or undefined. */
function tlv(der: Uint8Array, off: number, limit = der.length): Tlv | undefined {
  if (off + 2 > limit) return undefined;
  const tag = der[off]!;
  if ((tag & 0x1f) === 0x1f) return undefined;
  let len = der[off + 1]!;
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  const end = start + len;
  return end > limit ? undefined : { tag, start, end };
}

/** Body type and transactionID of a PKIMessage without decoding it (for logs only). */
export function peekPkiMessage(der: Uint8Array): { bodyType: PKIBodyType; transactionId?: Uint8Array } | undefined {
  const msg = tlv(der, 0);
  if (!msg || msg.tag !== 0x30) return undefined;
  const header = tlv(der, msg.start, msg.end);
  if (!header || header.tag !== 0x30) return undefined;
  let transactionId: Uint8Array | undefined;
  let off = header.start;
  for (let i = 0; off < header.end; i++) {
    const item = tlv(der, off, header.end);
    if (!item) return undefined;
    // pvno, sender and recipient come first; then [4] EXPLICIT OCTET STRING is transactionID.
    if (i >= 3 && item.tag === 0xa4) {
      const inner = tlv(der, item.start, item.end);
      if (inner?.tag === 0x04) transactionId = der.subarray(inner.start, inner.end);
    }
    off = item.end;
  }
  const body = tlv(der, header.end, msg.end);
  if (!body || (body.tag & 0xe0) !== 0xa0) return undefined;
  const bodyType = PKIBODY_TYPES[body.tag & 0x1f];
  if (!bodyType) return undefined;
  return { bodyType, ...(transactionId ? { transactionId } : {}) };
}
