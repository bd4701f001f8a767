/**
 * Wiring of `brski masa serve`: load the test PKI (voucher-signing and TLS credentials, the
 * manufacturer's trust anchor, the IDevIDs on record), open the database, apply the owners allow
 * list, and start the HTTPS server.
 *
 * The allow list only adds: a serial that already has another owner in the database keeps it
 * (transfers go through `brski masa owners transfer`), and the conflict is logged.
 */
import type { Clock } from '../src/core/clock.ts';
import { silentLogger, type Logger } from '../src/core/logger.ts';
import { certificatesPem, exportPrivateKeyPem, loadPki, type TestPki } from '../src/pki/index.ts';
import { MasaDb } from '../src/store/masa-db.ts';
import type { MasaServeConfig } from './config.ts';
import { MasaHttpsServer } from './https-server.ts';
import { MasaVoucherAuthority, type MasaCredentials } from './voucher-authority.ts';

export interface MasaService {
  readonly url: string;
  readonly port: number;
  readonly server: MasaHttpsServer;
  readonly authority: MasaVoucherAuthority;
  readonly db: MasaDb;
  close(): Promise<void>;
}

/** The MASA's credentials and records from a test PKI. */
export function masaCredentialsFromPki(pki: TestPki): MasaCredentials {
  const m = pki.manufacturer;
  return {
    signingKey: m.masa.privateKey,
    signingCertificate: m.masa.certificate,
    // masa-chain.pem holds the leaf and its intermediates; the root goes along too, so that a
    // registrar can check the voucher signer (cBRSKI §7.2.3: "the complete chain").
    signingChain: [...m.masa.chain.slice(1), m.rootCa.certificate],
    manufacturerAnchors: [m.rootCa.certificate],
    idevids: new Map(pki.pledges.map((p) => [p.serialNumber, p.certificate])),
  };
}

export async function startMasaService(config: MasaServeConfig, deps: { logger?: Logger; clock?: Clock } = {}): Promise<MasaService> {
  const logger = deps.logger ?? silentLogger;
  const pki = await loadPki(config.pkiDir);
  const db = MasaDb.open(config.dbPath);
  try {
    for (const [serial, owner] of Object.entries(config.owners)) {
      const r = db.addOwner(serial, owner.sha256, owner.der);
      if (r.kind === 'conflict') logger.warn('owners file disagrees with the database; the database wins', { serial, database: r.owner.domainCaSha256, file: owner.sha256 });
      else if (r.kind === 'added') logger.debug('owner added from the owners file', { serial });
    }
    const authority = new MasaVoucherAuthority({
      credentials: masaCredentialsFromPki(pki),
      db,
      policy: { firstClaim: config.firstClaim, noncelessValidityDays: config.noncelessValidityDays,
        ...(config.noncelessValiditySeconds !== undefined ? { noncelessValidityMs: config.noncelessValiditySeconds * 1000 } : {}),
        maxAuditEvents: config.maxAuditEvents },
      ...(deps.clock ? { clock: deps.clock } : {}),
    });
    const tls = pki.manufacturer.masaTls;
    const server = new MasaHttpsServer({
      authority,
      key: exportPrivateKeyPem(tls.privateKey),
      cert: certificatesPem(tls.chain.length > 0 ? [...tls.chain] : [tls.certificate]),
      maxBodyBytes: config.maxBodyBytes,
      requestTimeoutMs: config.requestTimeoutMs,
      logger,
    });
    const addr = await server.listen(config.port, config.host);
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return {
      url: `https://${host}:${addr.port}`,
      port: addr.port,
      server,
      authority,
      db,
      close: async () => {
        await server.close();
        db.close();
      },
    };
  } catch (e) {
    db.close();
    throw e;
  }
}
