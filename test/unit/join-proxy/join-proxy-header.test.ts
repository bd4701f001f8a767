/** The sealed jpy_header: seal/open, integrity, key rotation with a grace period (§4.5.5, §4.5.6). */
import { expect } from 'chai';
import { JP_S4_5_2_HEADER_MAX } from '../../../src/codec/jpy/jpy-message.ts';
import {
  JpyHeaderKeyRing,
  decodeJpyHeaderPlaintext,
  encodeJpyHeaderPlaintext,
  type JpyHeaderPlaintext,
} from '../../../src/codec/jpy/join-proxy-header.ts';
import { toHex } from '../../../src/core/bytes.ts';
import { StackError } from '../../../src/core/errors.ts';
import { seededRandom } from '../../../src/core/random.ts';

const V4: JpyHeaderPlaintext = { family: 0, ifindex: 0, port: 5684, address: Uint8Array.of(169, 254, 1, 2) };
const V6: JpyHeaderPlaintext = { family: 1, ifindex: 3, port: 61616, address: Uint8Array.of(0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55) };
const HOUR = 3_600_000;

function ring(opts: Partial<ConstructorParameters<typeof JpyHeaderKeyRing>[0]> = {}, now = 0, seed = 7): JpyHeaderKeyRing {
  return new JpyHeaderKeyRing({ rotationMs: 24 * HOUR, graceMs: 60_000, random: seededRandom(seed), ...opts }, now);
}

describe('jpy_header plaintext (family, ifindex, port, address)', () => {
  it('encodes 8 bytes for IPv4 and 12 for IPv6 and decodes them back', () => {
    expect(toHex(encodeJpyHeaderPlaintext(V4))).to.equal('00001634a9fe0102');
    expect(toHex(encodeJpyHeaderPlaintext(V6))).to.equal('0103f0b0021122fffe334455');
    expect(decodeJpyHeaderPlaintext(encodeJpyHeaderPlaintext(V6))).to.deep.equal(V6);
  });

  it('refuses values that do not fit, with typed errors', () => {
    for (const bad of [{ ...V4, port: 0 }, { ...V4, port: 70000 }, { ...V4, ifindex: 256 }, { ...V4, address: new Uint8Array(8) }, { ...V6, family: 2 as 0 }]) {
      expect(() => encodeJpyHeaderPlaintext(bad)).to.throw(StackError).with.property('code', 'ERR_INVALID_ARGUMENT');
    }
    expect(decodeJpyHeaderPlaintext(Uint8Array.of(2, 0, 0, 1, 1, 2, 3, 4))).to.equal(undefined);
    expect(decodeJpyHeaderPlaintext(Uint8Array.of(0, 0, 0, 0, 1, 2, 3, 4))).to.equal(undefined);
    expect(decodeJpyHeaderPlaintext(Uint8Array.of(0, 0, 0, 1, 1, 2, 3))).to.equal(undefined);
  });
});

describe('jpy_header sealing (AES-128-CCM, 13-byte nonce, 8-byte tag, synthetic IV)', () => {
  it('§4.5.2: headers are at most 32 bytes: 23 (IPv4) and 27 (IPv6)', () => {
    const r = ring();
    expect(r.seal(V4, 0).length).to.equal(23);
    expect(r.seal(V6, 0).length).to.equal(27);
    expect(Math.max(r.seal(V4, 0).length, r.seal(V6, 0).length)).to.be.at.most(JP_S4_5_2_HEADER_MAX);
  });

  it('opens what it sealed, and the header names the key that sealed it in its first byte', () => {
    const r = ring();
    for (const p of [V4, V6]) {
      const hdr = r.seal(p, 10);
      expect(hdr[0]).to.equal(r.currentKid);
      const o = r.open(hdr, 20);
      expect(o.ok).to.equal(true);
      if (o.ok) expect(o.plaintext).to.deep.equal(p);
    }
    expect(r.stats).to.deep.include({ sealed: 2, opened: 2 });
  });

  it('§4.4: one pledge gets the same header every time (the registrar keys sessions by it); others differ', () => {
    const r = ring();
    expect(toHex(r.seal(V4, 0))).to.equal(toHex(r.seal(V4, 5000)));
    expect(toHex(r.seal(V4, 0))).to.not.equal(toHex(r.seal({ ...V4, port: 5685 }, 0)));
    // Another proxy (another key) writes another header for the same pledge.
    expect(toHex(ring({}, 0, 8).seal(V4, 0))).to.not.equal(toHex(r.seal(V4, 0)));
  });

  it('the plaintext does not show through: no address or port bytes in clear', () => {
    const hdr = toHex(ring().seal(V4, 0));
    expect(hdr).to.not.include('a9fe0102');
    expect(hdr).to.not.include('1634');
  });

  it('§4.5.5: every altered bit, truncation or extension fails integrity and is counted', () => {
    const r = ring();
    const hdr = r.seal(V6, 0);
    let rejected = 0;
    for (let i = 1; i < hdr.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const t = Uint8Array.from(hdr);
        t[i]! ^= 1 << bit;
        const o = r.open(t, 0);
        expect(o, `byte ${i} bit ${bit}`).to.deep.equal({ ok: false, reason: 'integrity' });
        rejected++;
      }
    }
    expect(r.open(hdr.subarray(0, hdr.length - 1), 0)).to.deep.equal({ ok: false, reason: 'malformed' });
    expect(r.open(Uint8Array.of(...hdr, 0), 0)).to.deep.equal({ ok: false, reason: 'malformed' });
    expect(r.stats.rejected).to.deep.equal({ integrity: rejected, malformed: 2, 'unknown-key': 0 });
  });

  it('§4.5.5: forged headers (random bytes of the right length, a kid that never existed) fail', () => {
    const r = ring();
    const rnd = seededRandom(99);
    for (let i = 0; i < 500; i++) {
      const forged = rnd.bytes(i % 2 ? 23 : 27);
      forged[0] = r.currentKid;
      expect(r.open(forged, 0).ok).to.equal(false);
    }
    const other = r.seal(V4, 0);
    other[0] = (r.currentKid + 100) & 0xff;
    expect(r.open(other, 0)).to.deep.equal({ ok: false, reason: 'unknown-key' });
    expect(r.stats.rejected.integrity).to.equal(500);
    expect(r.stats.rejected['unknown-key']).to.equal(1);
  });

  it("a header sealed by another proxy's key with the same kid fails integrity", () => {
    const a = ring({}, 0, 1);
    const b = ring({}, 0, 1000);
    const hdr = a.seal(V4, 0);
    hdr[0] = b.currentKid;
    expect(b.open(hdr, 0)).to.deep.equal({ ok: false, reason: 'integrity' });
  });
});

describe('jpy_header key rotation with a grace period', () => {
  it('rotates when due: new kid, new header; the previous key opens old headers during the grace period only', () => {
    const r = ring({ rotationMs: HOUR, graceMs: 60_000 }, 0);
    const kid0 = r.currentKid;
    const old = r.seal(V4, 0);
    const h1 = r.seal(V4, HOUR); // rotation happens here
    expect(r.currentKid).to.equal((kid0 + 1) & 0xff);
    expect(h1[0]).to.equal(r.currentKid);
    expect(toHex(h1)).to.not.equal(toHex(old));
    expect(r.previousKid(HOUR)).to.equal(kid0);
    expect(r.open(old, HOUR + 59_999).ok, 'within the grace period').to.equal(true);
    expect(r.open(old, HOUR + 60_000), 'after it').to.deep.equal({ ok: false, reason: 'unknown-key' });
    expect(r.previousKid(HOUR + 60_000)).to.equal(undefined);
    expect(r.open(h1, HOUR + 60_000).ok).to.equal(true);
    expect(r.stats.rotations).to.equal(1);
  });

  it('rotation is lazy but counted from when it was due: a key unused for hours is not given a fresh grace period', () => {
    const r = ring({ rotationMs: HOUR, graceMs: 60_000 }, 0);
    const old = r.seal(V4, 0);
    expect(r.open(old, 3.5 * HOUR), 'retired at 1 h, grace over at 1 h + 60 s').to.deep.equal({ ok: false, reason: 'unknown-key' });
    const kid = r.currentKid;
    r.maintain(4 * HOUR - 1);
    expect(r.currentKid, 'the new key counts its interval from 3 h').to.equal(kid);
    r.maintain(4 * HOUR);
    expect(r.currentKid).to.equal((kid + 1) & 0xff);
  });

  it('keeps only one previous key: two rotations within the grace period drop the oldest', () => {
    const r = ring({ rotationMs: 0, graceMs: 60_000 }, 0);
    const h0 = r.seal(V6, 0);
    r.rotate(1000);
    const h1 = r.seal(V6, 1000);
    r.rotate(2000);
    expect(r.open(h0, 2000)).to.deep.equal({ ok: false, reason: 'unknown-key' });
    expect(r.open(h1, 2000).ok).to.equal(true);
  });

  it('never rotates with rotationMs 0; kids wrap around after 255', () => {
    const r = ring({ rotationMs: 0, graceMs: 0 }, 0);
    const k = r.currentKid;
    r.maintain(10 * 365 * 24 * HOUR);
    expect(r.currentKid).to.equal(k);
    for (let i = 0; i < 256; i++) r.rotate(i);
    expect(r.currentKid).to.equal(k);
  });
});
