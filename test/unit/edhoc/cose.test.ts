/**
 * src/codec/cose: COSE_Sign1 (ES256 r‖s, EdDSA), COSE_Encrypt0 (AES-CCM-16-64-128, -16-128-128,
 * A128GCM), COSE_Key to and from KeyObjects, x5t hashes. The Encrypt0 vector is RFC 9529 §2.3's
 * CIPHERTEXT_3 (key K_3, nonce IV_3, external_aad TH_3).
 */
import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { CborTag, decodeCbor, encodeCbor } from '../../../src/codec/cbor/cbor.ts';
import {
  aeadOpen,
  aeadSeal,
  certHash,
  certHashMatches,
  COSE_ALG_AES_CCM_16_128_128,
  COSE_ALG_AES_CCM_16_64_128,
  COSE_ALG_A128GCM,
  COSE_ALG_EDDSA,
  COSE_ALG_ES256,
  COSE_HEADER_ALG,
  COSE_HEADER_IV,
  COSE_HEADER_KID,
  COSE_HEADER_X5BAG,
  COSE_HEADER_X5CHAIN,
  COSE_HEADER_X5T,
  coseKeyFromKeyObject,
  decodeEncrypt0,
  decodeSign1,
  decryptEncrypt0,
  encrypt0Ciphertext,
  encryptEncrypt0,
  encStructure0,
  keyObjectFromCoseKey,
  publicKeyFromRaw,
  rawPublicKey,
  signSign1,
  verifySign1,
} from '../../../src/codec/cose/index.ts';
import { fromHex, toHex } from '../../../src/core/bytes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { RFC9529_S2_TRACE1 } from '../../vectors/rfc9529/trace1.data.ts';

const h = fromHex;

function coseError(f: () => unknown): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isStackError(err, 'ERR_COSE'), String(err)).to.equal(true);
}

describe('COSE header labels (RFC 9052 §3.1, RFC 9360 §2)', () => {
  it('alg 1, kid 4, IV 5, x5bag 32, x5chain 33, x5t 34', () => {
    expect([COSE_HEADER_ALG, COSE_HEADER_KID, COSE_HEADER_IV, COSE_HEADER_X5BAG, COSE_HEADER_X5CHAIN, COSE_HEADER_X5T]).to.deep.equal([1, 4, 5, 32, 33, 34]);
  });
});

describe('COSE_Sign1 (RFC 9052 §4.2, §4.4)', () => {
  for (const [alg, kind] of [[COSE_ALG_ES256, 'ec'], [COSE_ALG_EDDSA, 'ed25519']] as const) {
    it(`${alg === -7 ? 'ES256' : 'EdDSA'}: sign, decode, verify; tagged 18 or not; external_aad; detached payload`, () => {
      const { privateKey, publicKey } = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
      const payload = new TextEncoder().encode('voucher');
      const aad = Uint8Array.of(9, 9);
      const signed = signSign1({ protectedHeader: new Map([[COSE_HEADER_ALG, alg]]), unprotectedHeader: new Map([[COSE_HEADER_KID, Uint8Array.of(1)]]), payload, privateKey, externalAad: aad, tagged: true });
      const outer = decodeCbor(signed);
      expect(outer).to.be.instanceOf(CborTag);
      expect((outer as CborTag).tag).to.equal(18);
      const s = verifySign1(signed, publicKey, { externalAad: aad });
      expect(toHex(s.payload!)).to.equal(toHex(payload));
      expect(s.signature.length).to.equal(64);
      expect(s.protectedHeader.get(COSE_HEADER_ALG)).to.equal(alg);
      coseError(() => verifySign1(signed, publicKey));
      coseError(() => decodeSign1(signSign1({ payload, privateKey }), true));
      const tampered = Uint8Array.from(signed);
      tampered[tampered.length - 1]! ^= 1;
      coseError(() => verifySign1(tampered, publicKey, { externalAad: aad }));
      const detached = signSign1({ payload, privateKey, detached: true });
      expect(decodeSign1(detached).payload).to.equal(null);
      verifySign1(detached, publicKey, { detachedPayload: payload });
      coseError(() => verifySign1(detached, publicKey));
    });
  }

  it('an empty protected header is the zero-length bstr; a key of the wrong type is refused', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const s = decodeSign1(signSign1({ payload: Uint8Array.of(1), privateKey }));
    expect(s.protectedBytes.length).to.equal(0);
    coseError(() => signSign1({ payload: Uint8Array.of(1), privateKey, alg: COSE_ALG_ES256 }));
  });
});

describe('COSE_Encrypt0 (RFC 9052 §5.2, §5.3)', () => {
  it('RFC 9529 §2.3: AES-CCM-16-64-128 with K_3, IV_3 and external_aad TH_3 gives CIPHERTEXT_3', () => {
    const T = RFC9529_S2_TRACE1;
    const th3 = h(T['TH_3 (Raw Value)']!);
    expect(toHex(encStructure0(new Uint8Array(0), th3))).to.equal(toHex(h(T['A_3 (CBOR Data Item)']!)));
    const ct = encrypt0Ciphertext({ plaintext: h(T['PLAINTEXT_3 (CBOR Sequence)']!), key: h(T['K_3 (Raw Value)']!), nonce: h(T['IV_3 (Raw Value)']!), alg: COSE_ALG_AES_CCM_16_64_128, externalAad: th3 });
    expect(toHex(ct)).to.equal(toHex(h(T['CIPHERTEXT_3 (Raw Value)']!)));
  });

  for (const alg of [COSE_ALG_AES_CCM_16_64_128, COSE_ALG_AES_CCM_16_128_128, COSE_ALG_A128GCM]) {
    it(`alg ${alg}: encrypt, decode, decrypt; wrong aad and tampered ciphertext fail`, () => {
      const key = new Uint8Array(16).fill(7);
      const nonce = new Uint8Array(alg === COSE_ALG_A128GCM ? 12 : 13).fill(3);
      const bytes = encryptEncrypt0({ protectedHeader: new Map([[COSE_HEADER_ALG, alg]]), unprotectedHeader: new Map([[COSE_HEADER_IV, nonce]]), plaintext: Uint8Array.of(1, 2, 3), key, externalAad: Uint8Array.of(5), tagged: true });
      const e = decodeEncrypt0(bytes, true);
      expect(e.ciphertext!.length).to.equal(3 + (alg === COSE_ALG_AES_CCM_16_64_128 ? 8 : 16));
      expect(toHex(decryptEncrypt0(bytes, { key, externalAad: Uint8Array.of(5) }))).to.equal('010203');
      coseError(() => decryptEncrypt0(bytes, { key, externalAad: Uint8Array.of(6) }));
      const bad = Uint8Array.from(bytes);
      bad[bad.length - 1]! ^= 0x80;
      coseError(() => decryptEncrypt0(bad, { key, externalAad: Uint8Array.of(5) }));
    });
  }

  it('rejects wrong key and nonce lengths, unknown algorithms and short ciphertexts', () => {
    coseError(() => aeadSeal(10, new Uint8Array(15), new Uint8Array(13), new Uint8Array(0), new Uint8Array(0)));
    coseError(() => aeadSeal(10, new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(0)));
    coseError(() => aeadSeal(99, new Uint8Array(16), new Uint8Array(13), new Uint8Array(0), new Uint8Array(0)));
    coseError(() => aeadOpen(10, new Uint8Array(16), new Uint8Array(13), new Uint8Array(7), new Uint8Array(0)));
    coseError(() => decodeEncrypt0(encodeCbor([1, 2])));
  });
});

describe('COSE_Key (RFC 9053 §7) and x5t (RFC 9360 §2)', () => {
  it('EC2 P-256, OKP X25519 and Ed25519 round-trip through COSE_Key, public and private', () => {
    for (const pair of [generateKeyPairSync('ec', { namedCurve: 'P-256' }), generateKeyPairSync('x25519'), generateKeyPairSync('ed25519')]) {
      const pub = coseKeyFromKeyObject(pair.publicKey, { kid: Uint8Array.of(1) });
      expect(keyObjectFromCoseKey(pub).equals(pair.publicKey)).to.equal(true);
      const priv = coseKeyFromKeyObject(pair.privateKey, { includePrivate: true });
      expect(keyObjectFromCoseKey(priv, true).equals(pair.privateKey)).to.equal(true);
      expect(keyObjectFromCoseKey(decodeCbor(encodeCbor(pub)) as Map<number, Uint8Array>).equals(pair.publicKey)).to.equal(true);
    }
  });

  it('a P-256 key from x alone (compact representation) or with a sign bit', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const raw = rawPublicKey(publicKey);
    const fromX = rawPublicKey(publicKeyFromRaw('P-256', raw.x));
    expect(toHex(fromX.x)).to.equal(toHex(raw.x));
    const odd = (raw.y![31]! & 1) === 1;
    const m = new Map<number, unknown>([[1, 2], [-1, 1], [-2, raw.x], [-3, odd]]);
    expect(keyObjectFromCoseKey(m as never).equals(publicKey)).to.equal(true);
    coseError(() => publicKeyFromRaw('P-256', new Uint8Array(32).fill(0xff)));
  });

  it('x5t: SHA-256/64 of the DER certificate (RFC 9529 §2 ID_CRED_R)', () => {
    const der = h(RFC9529_S2_TRACE1['CRED_R (Raw Value)']!);
    const x5t = certHash(der);
    expect(x5t.alg).to.equal(-15);
    expect(toHex(x5t.value)).to.equal('79f2a41b510c1f9b');
    expect(certHashMatches(x5t, der)).to.equal(true);
    expect(certHashMatches(certHash(der, -16), der)).to.equal(true);
    expect(certHashMatches({ alg: -43, value: new Uint8Array(48) }, der)).to.equal(false);
  });
});
