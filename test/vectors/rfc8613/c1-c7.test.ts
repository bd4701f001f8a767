/**
 * RFC 8613 Appendix C (C.1-C.8) and the §5.4 AAD example: every intermediate value, in both
 * directions. Protecting the unprotected message gives the vector's bytes; verifying the vector's
 * protected message gives back the unprotected one.
 */
import { expect } from 'chai';
import { decodeCbor } from '../../../src/codec/cbor/cbor.ts';
import { decodeMessage, encodeMessage, type CoapMessage } from '../../../src/codec/coap/message.ts';
import { fromHex, toHex } from '../../../src/core/bytes.ts';
import { AES_CCM_16_64_128, aeadOpen, aeadSeal } from '../../../src/protocol/oscore/aead.ts';
import { buildAad, encodeAadArray } from '../../../src/protocol/oscore/aad.ts';
import { SecurityContextRegistry } from '../../../src/protocol/oscore/context-registry.ts';
import { encodePartialIv, type IdContext, type Kid, type PartialIv } from '../../../src/protocol/oscore/ids.ts';
import { protectRequest, protectResponse, verifyRequest, verifyResponse, type RequestBinding } from '../../../src/protocol/oscore/message-protection.ts';
import { buildNonce } from '../../../src/protocol/oscore/nonce.ts';
import { splitOptions } from '../../../src/protocol/oscore/option-classes.ts';
import { decodeOscoreOption, encodeOscoreOption } from '../../../src/protocol/oscore/oscore-option.ts';
import { decodePlaintext, encodePlaintext } from '../../../src/protocol/oscore/plaintext.ts';
import { SecurityContext, encodeKdfInfo } from '../../../src/protocol/oscore/security-context.ts';
import { KEY_DERIVATION, REQUESTS, RESPONSES, type KeyDerivationVector } from './vectors.ts';

const h = fromHex;
const hex = (b: Uint8Array): string => toHex(b);
const ALG = AES_CCM_16_64_128.cose;

function vector(section: string): KeyDerivationVector {
  const v = KEY_DERIVATION.find((k) => k.section === section);
  if (!v) throw new Error(`no vector ${section}`);
  return v;
}

function contextOf(v: KeyDerivationVector, initialSequence = 0): SecurityContext {
  return SecurityContext.derive({
    masterSecret: h(v.masterSecret),
    ...(v.masterSalt !== undefined && { masterSalt: h(v.masterSalt) }),
    senderId: h(v.senderId),
    recipientId: h(v.recipientId),
    ...(v.idContext !== undefined && { idContext: h(v.idContext) }),
    initialSequence,
  });
}

const parts = (m: CoapMessage): { code: number; options: CoapMessage['options']; payload: Uint8Array } => ({ code: m.code, options: m.options, payload: m.payload });
const withParts = (m: CoapMessage, p: ReturnType<typeof parts>): CoapMessage => ({ ...m, ...p });
const normalised = (m: ReturnType<typeof parts>): unknown => ({ code: m.code, options: m.options.map((o) => [o.number, hex(o.value)]), payload: hex(m.payload) });

describe('RFC 8613 Appendix C.1-C.3: key derivation', () => {
  for (const v of KEY_DERIVATION) {
    describe(`RFC 8613 ${v.section}`, () => {
      const idContext = v.idContext === undefined ? undefined : h(v.idContext);

      it('HKDF info for Sender Key, Recipient Key and Common IV', () => {
        expect(hex(encodeKdfInfo(h(v.senderId), idContext, ALG, 'Key', 16)), 'info (for Sender Key)').to.equal(v.infoSenderKey);
        expect(hex(encodeKdfInfo(h(v.recipientId), idContext, ALG, 'Key', 16)), 'info (for Recipient Key)').to.equal(v.infoRecipientKey);
        expect(hex(encodeKdfInfo(new Uint8Array(0), idContext, ALG, 'IV', 13)), 'info (for Common IV)').to.equal(v.infoCommonIv);
        // and back: the info decodes to [id, id_context / nil, 10, type, L]
        const info = decodeCbor(h(v.infoSenderKey)) as unknown[];
        expect(hex(info[0] as Uint8Array), 'info id').to.equal(v.senderId);
        expect(info[1] === null ? null : hex(info[1] as Uint8Array), 'info id_context').to.equal(v.idContext ?? null);
        expect(info.slice(2), 'info alg_aead, type, L').to.deep.equal([10, 'Key', 16]);
      });

      it('Sender Key, Recipient Key, Common IV', () => {
        const keys = contextOf(v).exportKeys();
        expect(hex(keys.senderKey), 'Sender Key').to.equal(v.senderKey);
        expect(hex(keys.recipientKey), 'Recipient Key').to.equal(v.recipientKey);
        expect(hex(keys.commonIv), 'Common IV').to.equal(v.commonIv);
      });

      it('sender and recipient nonce with Partial IV 0', () => {
        const ctx = contextOf(v);
        const piv0 = encodePartialIv(0);
        expect(hex(piv0), 'Partial IV 0 is one zero byte').to.equal('00');
        expect(hex(ctx.nonce(ctx.senderId, piv0)), 'sender nonce').to.equal(v.senderNonce);
        expect(hex(ctx.nonce(ctx.recipientId, piv0)), 'recipient nonce').to.equal(v.recipientNonce);
        expect(hex(buildNonce(h(v.commonIv), h(v.senderId), piv0)), 'sender nonce from the printed Common IV').to.equal(v.senderNonce);
      });
    });
  }
});

describe('RFC 8613 §5.4: AAD example', () => {
  it('aad_array, external_aad and AAD for request_kid 0x00, request_piv 0x25', () => {
    const aadArray = encodeAadArray(ALG, h('00') as Kid, h('25') as PartialIv);
    expect(hex(aadArray), 'aad_array').to.equal('8501810a4100412540');
    const aad = buildAad(ALG, h('00') as Kid, h('25') as PartialIv);
    expect(hex(aad), 'AAD').to.equal('8368456e63727970743040498501810a4100412540');
    expect(hex(aad.subarray(11)), 'external_aad (after the fixed 11 bytes)').to.equal('498501810a4100412540');
  });
});

describe('RFC 8613 Appendix C.4-C.6: protected requests', () => {
  for (const v of REQUESTS) {
    describe(`RFC 8613 ${v.section}`, () => {
      const unprotected = decodeMessage(h(v.unprotected));
      const piv = h(v.partialIv) as PartialIv;
      const kid = h(v.kid) as Kid;

      it('intermediate values: Partial IV, aad_array, AAD, plaintext, key, nonce, option, ciphertext', () => {
        const client = contextOf(vector(v.client));
        expect(hex(encodePartialIv(v.senderSequenceNumber)), 'Partial IV').to.equal(v.partialIv);
        expect(hex(encodeAadArray(ALG, kid, piv)), 'aad_array').to.equal(v.aadArray);
        const aad = buildAad(ALG, kid, piv);
        expect(hex(aad), 'AAD').to.equal(v.aad);
        const { inner, outer } = splitOptions(unprotected.options, 'request');
        expect(outer.map((o) => o.number), 'outer options: Uri-Host').to.deep.equal([3]);
        const plaintext = encodePlaintext({ code: unprotected.code, options: inner, payload: unprotected.payload });
        expect(hex(plaintext), 'plaintext').to.equal(v.plaintext);
        expect(hex(client.exportKeys().senderKey), 'encryption key').to.equal(v.encryptionKey);
        const nonce = client.nonce(client.senderId, piv);
        expect(hex(nonce), 'nonce').to.equal(v.nonce);
        const option = encodeOscoreOption({ partialIv: piv, kid, ...(v.kidContext !== undefined && { kidContext: h(v.kidContext) as IdContext }) });
        expect(hex(option), 'OSCORE option value').to.equal(v.oscoreOption);
        const ciphertext = aeadSeal(AES_CCM_16_64_128, h(v.encryptionKey), nonce, aad, plaintext);
        expect(hex(ciphertext), 'ciphertext').to.equal(v.ciphertext);
        // and back
        expect(hex(aeadOpen(AES_CCM_16_64_128, h(v.encryptionKey), h(v.nonce), h(v.aad), h(v.ciphertext))!), 'decrypted ciphertext').to.equal(v.plaintext);
        const decoded = decodeOscoreOption(h(v.oscoreOption));
        expect(hex(decoded.partialIv!), 'decoded Partial IV').to.equal(v.partialIv);
        expect(hex(decoded.kid!), 'decoded kid').to.equal(v.kid);
        expect(decoded.kidContext && hex(decoded.kidContext), 'decoded kid context').to.equal(v.kidContext);
        const pt = decodePlaintext(h(v.plaintext));
        expect(pt.code, 'decoded plaintext code (GET)').to.equal(1);
        expect(pt.options.map((o) => [o.number, hex(o.value)]), 'decoded plaintext options (Uri-Path tv1)').to.deep.equal([[11, '747631']]);
      });

      it('protect: the protected CoAP message is byte-exact', () => {
        const client = contextOf(vector(v.client), v.senderSequenceNumber);
        const { message, binding } = protectRequest(client, parts(unprotected));
        expect(hex(binding.requestPiv), 'request Partial IV').to.equal(v.partialIv);
        expect(hex(binding.exportNonce()), 'request nonce').to.equal(v.nonce);
        expect(hex(message.payload), 'ciphertext').to.equal(v.ciphertext);
        expect(hex(message.options.find((o) => o.number === 9)!.value), 'OSCORE option value').to.equal(v.oscoreOption);
        expect(hex(encodeMessage(withParts(unprotected, message))), 'protected CoAP request').to.equal(v.protected);
        expect(client.sequence.next, 'Sender Sequence Number incremented').to.equal(v.senderSequenceNumber + 1);
      });

      it('verify: the vector decrypts to the unprotected request', () => {
        const server = contextOf(vector(v.server));
        const registry = new SecurityContextRegistry().add(server);
        const received = decodeMessage(h(v.protected));
        const { request, binding } = verifyRequest(registry, parts(received));
        expect(hex(binding.requestKid), 'request kid').to.equal(v.kid);
        expect(hex(binding.requestPiv), 'request Partial IV').to.equal(v.partialIv);
        expect(hex(binding.exportNonce()), 'nonce').to.equal(v.nonce);
        expect(binding.context, 'security context found by kid (and kid context)').to.equal(server);
        expect(normalised(request), 'decrypted request').to.deep.equal(normalised(parts(unprotected)));
        expect(hex(encodeMessage(withParts(received, request))), 'decrypted CoAP request').to.equal(v.unprotected);
        expect(server.replayWindow.highest, 'replay window moved to the Partial IV').to.equal(v.senderSequenceNumber);
      });
    });
  }
});

describe('RFC 8613 Appendix C.7-C.8: protected responses to C.4', () => {
  const req = REQUESTS.find((r) => r.section === 'C.4')!;

  function serverBinding(serverSeq: number): RequestBinding {
    const server = contextOf(vector(req.server), serverSeq);
    return verifyRequest(new SecurityContextRegistry().add(server), parts(decodeMessage(h(req.protected)))).binding;
  }

  function clientBinding(): RequestBinding {
    const client = contextOf(vector(req.client), req.senderSequenceNumber);
    return protectRequest(client, parts(decodeMessage(h(req.unprotected)))).binding;
  }

  for (const v of RESPONSES) {
    describe(`RFC 8613 ${v.section}`, () => {
      const unprotected = decodeMessage(h(v.unprotected));

      it('intermediate values: aad_array, AAD, plaintext, key, nonce, option, ciphertext', () => {
        const kid = h(req.kid) as Kid;
        const rpiv = h(req.partialIv) as PartialIv;
        expect(hex(encodeAadArray(ALG, kid, rpiv)), 'aad_array (request kid and Partial IV)').to.equal(v.aadArray);
        const aad = buildAad(ALG, kid, rpiv);
        expect(hex(aad), 'AAD').to.equal(v.aad);
        const plaintext = encodePlaintext(parts(unprotected));
        expect(hex(plaintext), 'plaintext').to.equal(v.plaintext);
        const server = contextOf(vector(req.server));
        expect(hex(server.exportKeys().senderKey), 'encryption key').to.equal(v.encryptionKey);
        const nonce = v.partialIv === undefined ? server.nonce(kid, rpiv) : server.nonce(server.senderId, h(v.partialIv) as PartialIv);
        expect(hex(nonce), 'nonce').to.equal(v.nonce);
        const option = encodeOscoreOption(v.partialIv === undefined ? {} : { partialIv: h(v.partialIv) as PartialIv });
        expect(hex(option), 'OSCORE option value').to.equal(v.oscoreOption);
        expect(hex(aeadSeal(AES_CCM_16_64_128, h(v.encryptionKey), nonce, aad, plaintext)), 'ciphertext').to.equal(v.ciphertext);
        expect(hex(aeadOpen(AES_CCM_16_64_128, h(v.encryptionKey), h(v.nonce), h(v.aad), h(v.ciphertext))!), 'decrypted ciphertext').to.equal(v.plaintext);
        const decoded = decodeOscoreOption(h(v.oscoreOption));
        expect(decoded.partialIv && hex(decoded.partialIv), 'decoded Partial IV').to.equal(v.partialIv);
        expect(decoded.kid, 'no kid in the response').to.equal(undefined);
      });

      it('protect: the protected CoAP response is byte-exact', () => {
        const binding = serverBinding(v.serverSequenceNumber);
        const message = protectResponse(binding, parts(unprotected), { partialIv: v.partialIv !== undefined });
        expect(message.code, 'outer code 2.04 Changed').to.equal(0x44);
        expect(hex(message.payload), 'ciphertext').to.equal(v.ciphertext);
        expect(hex(encodeMessage(withParts(unprotected, message))), 'protected CoAP response').to.equal(v.protected);
      });

      it('verify: the vector decrypts to the unprotected response', () => {
        const received = decodeMessage(h(v.protected));
        const response = verifyResponse(clientBinding(), parts(received));
        expect(normalised(response), 'decrypted response').to.deep.equal(normalised(parts(unprotected)));
        expect(hex(encodeMessage(withParts(received, response))), 'decrypted CoAP response').to.equal(v.unprotected);
      });
    });
  }

  it('RFC 8613 C.7: the request nonce serves one response only', () => {
    const binding = serverBinding(0);
    const res = parts(decodeMessage(h(RESPONSES[0]!.unprotected)));
    protectResponse(binding, res);
    expect(() => protectResponse(binding, res)).to.throw(/already used/);
    expect(hex(protectResponse(binding, res, { partialIv: true }).options[0]!.value), 'a second response carries a Partial IV').to.equal('0100');
  });
});
