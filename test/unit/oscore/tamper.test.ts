/**
 * Flipping any single byte of a protected message never changes what the receiver gets: the
 * change is detected (CoAP decode error, 4.02, 4.01 unknown context, 4.00 decryption failed), or
 * it hit a Class U field (header, token, Uri-Host, outer code) and the decrypted code, Class E
 * options and payload are exactly the original ones. Bytes of the OSCORE option value and of the
 * ciphertext are always detected.
 */
import { expect } from 'chai';
import { decodeMessage, encodeMessage, type CoapMessage } from '../../../src/codec/coap/message.ts';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { CON } from '../../../src/codec/coap/numbers/types.ts';
import { toHex } from '../../../src/core/bytes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { SecurityContextRegistry } from '../../../src/protocol/oscore/context-registry.ts';
import { protectRequest, protectResponse, verifyRequest, verifyResponse } from '../../../src/protocol/oscore/message-protection.ts';
import { optionClass } from '../../../src/protocol/oscore/option-classes.ts';
import type { CoapParts } from '../../../src/protocol/oscore/plaintext.ts';
import { body, clientContext, serverContext, str } from './helpers.ts';

const MASKS = [0x01, 0x10, 0x80, 0xff];

/** What the application sees: code, Class E options, payload. */
function meaning(p: CoapParts): string {
  const inner = p.options.filter((o) => optionClass(o.number) !== 'U').map((o) => `${o.number}=${toHex(o.value)}`);
  return `${p.code}|${inner.join(',')}|${toHex(p.payload)}`;
}

/** Byte ranges [start, end) of the OSCORE option value and of the payload in an encoded message. */
function protectedRanges(m: CoapMessage): [number, number][] {
  const oscore = m.options.find((o) => o.number === Opt.OSCORE)!;
  const upTo = encodeMessage({ ...m, options: m.options.filter((o) => o.number <= Opt.OSCORE), payload: new Uint8Array(0) });
  const full = encodeMessage(m);
  return [
    [upTo.length - oscore.value.length, upTo.length],
    [full.length - m.payload.length, full.length],
  ];
}

interface Outcome {
  detected: number;
  harmless: number;
  protectedBytes: number;
}

function flipAll(bytes: Uint8Array, ranges: [number, number][], verify: (m: CoapMessage) => CoapParts, original: string): Outcome {
  const out: Outcome = { detected: 0, harmless: 0, protectedBytes: 0 };
  for (let i = 0; i < bytes.length; i++) {
    const inProtected = ranges.some(([s, e]) => i >= s && i < e);
    for (const mask of MASKS) {
      const mutated = bytes.slice();
      mutated[i]! ^= mask;
      let result: CoapParts;
      try {
        result = verify(decodeMessage(mutated));
      } catch (e) {
        expect(isStackError(e), `byte ${i} ^ ${mask}: ${String(e)}`).to.equal(true);
        out.detected++;
        if (inProtected) out.protectedBytes++;
        continue;
      }
      expect(inProtected, `flip of protected byte ${i} ^ ${mask} was accepted`).to.equal(false);
      expect(meaning(result), `flip of byte ${i} ^ ${mask} changed the decrypted message`).to.equal(original);
      out.harmless++;
    }
  }
  return out;
}

describe('OSCORE: single-byte tampering is detected', () => {
  const request: CoapParts = {
    code: Code.PUT,
    options: [str(Opt.URI_HOST, 'registrar.example'), str(Opt.URI_PATH, '.well-known'), str(Opt.URI_PATH, 'brski'), { number: Opt.CONTENT_FORMAT, value: Uint8Array.of(60) }, str(Opt.URI_QUERY, 'a=b')],
    payload: body(40),
  };

  it('in a protected request (every byte, four masks)', () => {
    const { message } = protectRequest(clientContext({ initialSequence: 300 }), request);
    const wire: CoapMessage = { type: CON, code: message.code, messageId: 0x1234, token: Uint8Array.of(1, 2, 3, 4), options: message.options, payload: message.payload };
    const bytes = encodeMessage(wire);
    const ranges = protectedRanges(wire);
    const outcome = flipAll(bytes, ranges, (m) => verifyRequest(new SecurityContextRegistry().add(serverContext()), m).request, meaning(request));
    const protectedCount = ranges.reduce((n, [s, e]) => n + e - s, 0) * MASKS.length;
    expect(outcome.protectedBytes, 'every flip of the OSCORE value or ciphertext detected').to.equal(protectedCount);
    expect(outcome.detected + outcome.harmless).to.equal(bytes.length * MASKS.length);
  });

  it('in a protected response (with and without Partial IV)', () => {
    for (const partialIv of [false, true]) {
      const client = clientContext();
      const { message, binding } = protectRequest(client, request);
      const { binding: serverBinding } = verifyRequest(new SecurityContextRegistry().add(serverContext()), message);
      const res: CoapParts = { code: Code.CONTENT, options: [{ number: Opt.CONTENT_FORMAT, value: Uint8Array.of(50) }, { number: Opt.MAX_AGE, value: Uint8Array.of(9) }], payload: body(33, 4) };
      const prot = protectResponse(serverBinding, res, { partialIv });
      const wire: CoapMessage = { type: 2, code: prot.code, messageId: 7, token: Uint8Array.of(9), options: prot.options, payload: prot.payload };
      const ranges = protectedRanges(wire);
      const outcome = flipAll(encodeMessage(wire), ranges, (m) => verifyResponse(binding, m), meaning(res));
      expect(outcome.protectedBytes).to.equal(ranges.reduce((n, [s, e]) => n + e - s, 0) * MASKS.length);
    }
  });

  it('a response cannot be moved to another request (§7.1 binding)', () => {
    const client = clientContext();
    const registry = new SecurityContextRegistry().add(serverContext());
    const a = protectRequest(client, request);
    const b = protectRequest(client, request);
    const va = verifyRequest(registry, a.message);
    const ra = protectResponse(va.binding, { code: Code.CHANGED, options: [], payload: Uint8Array.of(1) });
    expect(() => verifyResponse(b.binding, ra)).to.throw(/decryption failed/);
    expect(verifyResponse(a.binding, ra).payload).to.deep.equal(Uint8Array.of(1));
  });
});
