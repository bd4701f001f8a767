/**
 * RFC 9529 §4 invalid traces (https://www.rfc-editor.org/rfc/rfc9529#section-4): each printed
 * message is rejected with an EdhocError (a StackError ERR_EDHOC) that carries the error message
 * to send back.
 */
import { expect } from 'chai';
import { fromHex } from '../../../src/core/bytes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { generateKeyPairSync } from 'node:crypto';
import {
  buildCcs,
  ccsCredential,
  checkSignatureOrMacLength,
  decodePlaintext2,
  edhocSuite,
  EdhocError,
  InitiatorStart,
  localCredential,
  ResponderStart,
} from '../../../src/protocol/edhoc/index.ts';
import { RFC9529_S4_INVALID } from './invalid.data.ts';

function rejection(f: () => unknown): EdhocError {
  try {
    f();
  } catch (e) {
    expect(isStackError(e, 'ERR_EDHOC'), String(e)).to.equal(true);
    return e as EdhocError;
  }
  throw new Error('accepted an invalid message');
}

function x25519Credential() {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return localCredential(ccsCredential(buildCcs(publicKey, { kid: Uint8Array.of(0x01) })), privateKey);
}

describe('RFC 9529 §4 invalid traces are rejected', () => {
  for (const vec of RFC9529_S4_INVALID) {
    it(`RFC 9529 §4 ${vec.title} (${vec.what})`, () => {
      const bytes = fromHex(vec.hex);
      let err: EdhocError;
      if (vec.what === 'message_1') {
        const responder = new ResponderStart({ suites: [0, 2] });
        err = rejection(() => {
          const pm1 = responder.processMessage1(bytes);
          // The low-order X25519 point decodes; it fails at the ECDH (all-zero output check).
          pm1.prepareMessage2({ credential: x25519Credential() });
        });
      } else if (vec.what === 'message_2') {
        const wait = new InitiatorStart({ method: 3, suites: [2] }).prepareMessage1();
        err = rejection(() => wait.parseMessage2(bytes));
      } else {
        expect(vec.what).to.equal('PLAINTEXT_2');
        err = rejection(() => {
          const pt = decodePlaintext2(bytes);
          checkSignatureOrMacLength(edhocSuite(2)!, true, pt.signatureOrMac2, 'Signature_or_MAC_2');
        });
      }
      expect(err.reply, 'an error message to send back').to.not.equal(undefined);
      expect([1, 2]).to.include(err.reply!.code);
    });
  }
});
