/**
 * A MASA stand-in for registrar tests, in place of the HTTPS client: signs vouchers with the test
 * PKI's MASA key (nonced ones pin the domain issuing CA; nonceless ones pin the domain root and
 * carry expires-on), answers /requestauditlog with `auditEvents`, and can be told to fail.
 */
import type { KeyObject } from 'node:crypto';
import { domainIdOf, formatDateAndTime, parseVoucherCose, signVoucherCose, type VoucherRequest } from '../../../src/codec/voucher/index.ts';
import { certificateDer, type Certificate, type TestPki } from '../../../src/pki/index.ts';
import type { MasaAnswer } from '../../../registrar/voucher-service.ts';

export interface AuditEvent {
  readonly date: string;
  readonly domainID: string;
  readonly nonce: string | null;
  readonly assertion: string;
}

export class FakeMasa {
  calls: { url: string; rvr: VoucherRequest; x5bag: number }[] = [];
  auditCalls: { url: string; accept?: string }[] = [];
  status = 200;
  down = false;
  serial?: string;
  key?: KeyObject;
  /** Replaces the pinned-domain-cert. */
  pin?: Certificate;
  /** Time source of created-on / expires-on (default Date.now). */
  now: () => number = () => Date.now();
  noncelessLifetimeMs = 3_600_000;
  /** Default: one event for the registrar's own issuing CA. */
  auditEvents?: AuditEvent[];
  lastBytes = 0;

  constructor(private readonly pki: TestPki) {}

  static event(domain: Certificate, nonce: string | null = null): AuditEvent {
    return { date: '2026-11-28T00:00:00Z', domainID: Buffer.from(domainIdOf(domain)).toString('base64'), nonce, assertion: 'proximity' };
  }

  readonly client = async (url: string, body: Uint8Array, accept?: string): Promise<MasaAnswer> => {
    if (this.down) throw new Error('connect ECONNREFUSED');
    if (url.endsWith('/requestauditlog')) {
      this.auditCalls.push({ url, ...(accept !== undefined ? { accept } : {}) });
      const events = this.auditEvents ?? [FakeMasa.event(this.pki.domain.issuingCa.certificate, 'AQID')];
      return { status: 200, contentType: 'application/json', body: new TextEncoder().encode(JSON.stringify({ version: 1, events })) };
    }
    const p = parseVoucherCose(body, 'rvr');
    const rvr = p.artifact as VoucherRequest;
    this.calls.push({ url, rvr, x5bag: p.x5bag.length });
    if (this.status !== 200) return { status: this.status, contentType: 'text/plain', body: new TextEncoder().encode(this.status === 404 ? 'unknown pledge' : 'pledge owned by another domain') };
    const now = this.now();
    const nonceless = rvr.nonce === undefined;
    const voucher = signVoucherCose(
      {
        kind: 'voucher',
        assertion: nonceless ? 'verified' : 'proximity',
        createdOn: formatDateAndTime(new Date(now)),
        ...(nonceless ? { expiresOn: formatDateAndTime(new Date(now + this.noncelessLifetimeMs)) } : { nonce: rvr.nonce! }),
        pinnedDomainCert: certificateDer(this.pin ?? (nonceless ? this.pki.domain.rootCa.certificate : this.pki.domain.issuingCa.certificate)),
        serialNumber: this.serial ?? rvr.serialNumber,
      },
      { privateKey: this.key ?? this.pki.manufacturer.masa.privateKey, x5bag: [certificateDer(this.pki.manufacturer.masa.certificate)] },
    );
    this.lastBytes = voucher.length;
    return { status: 200, contentType: 'application/voucher+cose', body: voucher };
  };
}
