/**
 * EST-oscore enrollment through the Local RA (RFC 9148 /sen and /sren over OSCORE,
 * draft-ietf-ace-coap-est-oscore): the pledge's PKCS#10 goes upstream as a p10cr the registrar
 * signs on behalf of the EDHOC-authenticated pledge, inside the usual registrar-signed nested
 * message, through the same journal and outbox as CMP requests.
 *
 * EST has no transaction identifier, so the transactionID is derived from the pledge and its
 * CSR: a retry with the same CSR (after a 5.03 + Max-Age, RFC 9148 §4.7) finds the held
 * transaction and polls it with the registrar's own pollReq; a different CSR starts a new one.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { PKIStatus, bodyTypeOf, decodePkiMessage, type PKIMessage } from '../../codec/cmp/index.ts';
import { hasImplicitConfirm, P10CR_CERT_REQ_ID } from '../cmp/message-builder.ts';
import { parseCertificate } from '../../pki/index.ts';
import type { LocalRa, OscorePeerIdentity } from './local-ra.ts';
import { ownCertConfFor, ownP10cr, ownPollReq, readCertResponse } from './messages.ts';

const OID_AT_SERIAL_NUMBER = '2.5.4.5';

export type EstOutcome =
  | { readonly kind: 'issued'; readonly certificateDer: Uint8Array }
  | { readonly kind: 'waiting'; readonly retryAfterSeconds: number }
  | { readonly kind: 'rejected'; readonly reason: 'badRequest' | 'notAuthorized' | 'failed'; readonly text: string };

export interface EstEnrollmentOptions {
  /** Max-Age when nothing better is known (the registrar's checkAfter). */
  readonly retryAfterSeconds: number;
  readonly label?: string;
}

/** The transactionID of an EST request: SHA-256("est-oscore" ‖ 0 ‖ serial ‖ 0 ‖ CSR), 16 octets. */
export function estTransactionId(serialNumber: string, csrDer: Uint8Array): Uint8Array {
  const h = createHash('sha256').update('est-oscore\0').update(serialNumber).update('\0').update(csrDer).digest();
  return new Uint8Array(h.subarray(0, 16));
}

/** subject serialNumber values of a DER PKCS#10 (throws when it is not one). */
export function csrSerialNumbers(csrDer: Uint8Array): string[] {
  const csr = AsnConvert.parse(csrDer, CertificationRequest);
  const out: string[] = [];
  for (const rdn of csr.certificationRequestInfo.subject) for (const a of rdn) if (a.type === OID_AT_SERIAL_NUMBER) out.push(a.value.toString());
  return out;
}

export class EstEnrollment {
  constructor(
    private readonly ra: LocalRa,
    private readonly o: EstEnrollmentOptions,
  ) {}

  /** /sen and /sren: the certificate, "retry after", or a refusal. Never throws for bad input. */
  async enroll(csrDer: Uint8Array, pledge: OscorePeerIdentity, ctx: { readonly peer?: string } = {}): Promise<EstOutcome> {
    const serial = pledge.serialNumber;
    if (serial === undefined) return { kind: 'rejected', reason: 'notAuthorized', text: 'the EDHOC peer has no serial number' };
    let serials: string[];
    try {
      serials = csrSerialNumbers(csrDer);
    } catch (e) {
      return { kind: 'rejected', reason: 'badRequest', text: `not a PKCS#10 request: ${(e as Error).message}` };
    }
    if (serials.some((s) => s !== serial)) {
      return { kind: 'rejected', reason: 'notAuthorized', text: `the CSR names serialNumber ${serials.join(',')}, the EDHOC peer is ${serial}` };
    }
    const signer = this.ra.registrarSigner;
    const tid = estTransactionId(serial, csrDer);
    const tx = this.ra.transaction(tid);
    let answerDer: Uint8Array;
    if (!tx) {
      const req = ownP10cr({ transactionId: tid, csrDer, onBehalfOf: serial, ...(this.o.label ? { label: this.o.label } : {}) }, signer);
      answerDer = await this.ra.handle(req.der, { onBehalfOf: pledge, ...(ctx.peer ? { peer: ctx.peer } : {}) });
    } else {
      if (tx.outcome === 'issued' && tx.certificateDer) return { kind: 'issued', certificateDer: tx.certificateDer };
      // The nonce of the last answer the "pledge side" (here: the registrar itself) received.
      const recipNonce = tx.mode === 'held' ? tx.ourNonce : (tx.upstreamNonce ?? tx.ourNonce);
      if (!recipNonce) return { kind: 'waiting', retryAfterSeconds: this.o.retryAfterSeconds };
      const poll = ownPollReq({ transactionId: tid, recipNonce, certReqId: P10CR_CERT_REQ_ID }, signer);
      answerDer = await this.ra.handle(poll.der, ctx.peer ? { peer: ctx.peer } : {});
    }
    return this.interpret(answerDer);
  }

  private async interpret(der: Uint8Array): Promise<EstOutcome> {
    let msg: PKIMessage;
    try {
      msg = decodePkiMessage(der);
    } catch (e) {
      return { kind: 'rejected', reason: 'failed', text: `undecodable answer: ${(e as Error).message}` };
    }
    const type = bodyTypeOf(msg);
    if (type === 'pollRep') {
      const after = msg.body.pollRep?.[0]?.checkAfter;
      return { kind: 'waiting', retryAfterSeconds: Math.max(1, Number(after ?? this.o.retryAfterSeconds)) };
    }
    if (type === 'error') {
      const st = msg.body.error!.pKIStatusInfo;
      const text = (st.statusString ?? []).map((t) => t.toString()).join('; ') || 'refused';
      return { kind: 'rejected', reason: st.status === PKIStatus.rejection ? 'notAuthorized' : 'failed', text };
    }
    if (type !== 'ip' && type !== 'cp') return { kind: 'rejected', reason: 'failed', text: `unexpected ${type} answer` };
    const r = readCertResponse(msg, P10CR_CERT_REQ_ID);
    if (r.kind === 'waiting') return { kind: 'waiting', retryAfterSeconds: this.o.retryAfterSeconds };
    if (r.kind === 'rejected') {
      const text = (r.status.statusString ?? []).map((t) => t.toString()).join('; ') || 'rejected by the RA/CA';
      return { kind: 'rejected', reason: 'notAuthorized', text };
    }
    if (!hasImplicitConfirm(msg.header)) {
      // The RA/CA did not grant implicit confirmation: the registrar confirms on the pledge's behalf.
      const conf = ownCertConfFor(msg, parseCertificate(r.certificateDer!), r.certReqId, this.ra.registrarSigner);
      await this.ra.handle(conf.der);
    }
    return { kind: 'issued', certificateDer: r.certificateDer! };
  }
}
