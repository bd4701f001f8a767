/**
 * Builds pledge and registrar voucher-requests from a test PKI, as a pledge and a registrar would
 * (cBRSKI §7.2: the PVR without x5bag, the RVR with an x5bag holding the registrar chain and the
 * pledge's IDevID chain). Options bend one thing at a time for the refusal tests.
 */
import type { KeyObject } from 'node:crypto';
import {
  formatDateAndTime,
  idevidIssuerOf,
  signVoucherCms,
  signVoucherCose,
  spkiSha256,
  subjectPublicKeyInfoDer,
  type VoucherRequest,
} from '../../../src/codec/voucher/index.ts';
import { certificateDer, type Certificate, type Credential, type PledgeCredential, type TestPki } from '../../../src/pki/index.ts';

export interface PvrOptions {
  readonly nonce?: Uint8Array;
  /** The registrar the pledge sees (default: the PKI's registrar). */
  readonly registrar?: Certificate;
  readonly proximity?: 'cert' | 'pubk' | 'sha256';
  /** Claim another serial number than the IDevID's. */
  readonly serialNumber?: string;
  readonly format?: 'cose' | 'cms';
}

export const NONCE = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

export function buildPvr(pledge: PledgeCredential, registrar: Certificate, opts: PvrOptions = {}): Uint8Array {
  const spki = subjectPublicKeyInfoDer(opts.registrar ?? registrar);
  const proximity = opts.proximity ?? 'pubk';
  const pvr: VoucherRequest = {
    kind: 'voucher-request',
    assertion: 'proximity',
    nonce: opts.nonce ?? NONCE,
    ...(proximity === 'cert' ? { proximityRegistrarCert: certificateDer(opts.registrar ?? registrar) } : {}),
    ...(proximity === 'pubk' ? { proximityRegistrarPubk: spki } : {}),
    ...(proximity === 'sha256' ? { proximityRegistrarPubkSha256: spkiSha256(spki) } : {}),
    serialNumber: opts.serialNumber ?? pledge.serialNumber,
  };
  if (opts.format === 'cms') return signVoucherCms(pvr, { privateKey: pledge.privateKey, certificate: pledge.certificate, chain: pledge.chain.slice(1), role: 'pvr' });
  return signVoucherCose(pvr, { privateKey: pledge.privateKey, role: 'pvr' });
}

export interface RvrOptions {
  /** Default: a nonced RVR carrying the PVR and its nonce. null: nonceless, no PVR. */
  readonly pvr?: Uint8Array | null;
  readonly nonce?: Uint8Array | null;
  readonly serialNumber?: string;
  /** The signing registrar (default: the PKI's registrar). */
  readonly registrar?: Credential;
  /** Sign with this key instead of the registrar's (a forged signature). */
  readonly signingKey?: KeyObject;
  /** Certificates for the x5bag (default: registrar chain + domain root + pledge chain + manufacturer root). */
  readonly x5bag?: readonly Certificate[];
  readonly idevidIssuer?: Uint8Array | null;
  readonly format?: 'cose' | 'cms';
  readonly createdOn?: Date;
}

/** The x5bag a cBRSKI registrar sends: its own chain up to the domain root, and the pledge's chain. */
export function defaultX5bag(pki: TestPki, pledge: PledgeCredential, registrar: Credential = pki.domain.registrar, domainRoot: Certificate = pki.domain.rootCa.certificate): Certificate[] {
  return [...registrar.chain, domainRoot, ...pledge.chain, pki.manufacturer.rootCa.certificate];
}

export function buildRvr(pki: TestPki, pledge: PledgeCredential, opts: RvrOptions = {}): Uint8Array {
  const registrar = opts.registrar ?? pki.domain.registrar;
  const pvr = opts.pvr === undefined ? buildPvr(pledge, registrar.certificate) : opts.pvr;
  const nonce = opts.nonce === undefined ? (pvr ? NONCE : undefined) : (opts.nonce ?? undefined);
  const rvr: VoucherRequest = {
    kind: 'voucher-request',
    assertion: 'proximity',
    createdOn: formatDateAndTime(opts.createdOn ?? new Date()),
    ...(opts.idevidIssuer === null ? {} : { idevidIssuer: opts.idevidIssuer ?? idevidIssuerOf(pledge.certificate) }),
    ...(nonce ? { nonce } : {}),
    ...(pvr ? { priorSignedVoucherRequest: pvr } : {}),
    serialNumber: opts.serialNumber ?? pledge.serialNumber,
  };
  const key = opts.signingKey ?? registrar.privateKey;
  if (opts.format === 'cms') {
    return signVoucherCms(rvr, { privateKey: key, certificate: registrar.certificate, chain: [...registrar.chain.slice(1), pki.domain.rootCa.certificate], role: 'rvr' });
  }
  const bag = opts.x5bag ?? defaultX5bag(pki, pledge, registrar);
  return signVoucherCose(rvr, { privateKey: key, x5bag: bag.map(certificateDer), role: 'rvr' });
}
