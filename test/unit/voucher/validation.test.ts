/**
 * Strict decoding and the role checks of voucher artifacts: every refusal is a VoucherError with
 * a reason (and the CBOR / JSON code of the form it was found in), never a plain Error.
 */
import { expect } from 'chai';
import { fromHex } from '../../../src/core/bytes.ts';
import { CborTag, encodeCbor, type CborValue } from '../../../src/codec/cbor/cbor.ts';
import {
  checkPledgeVoucherRequest,
  checkRegistrarVoucherRequest,
  checkVoucher,
  decodeVoucherCbor,
  decodeVoucherJson,
  encodeVoucherCbor,
  encodeVoucherJson,
  formatDateAndTime,
  isDateAndTime,
  isVoucherError,
  isVoucherExpired,
  parseDateAndTime,
  VoucherError,
  type Voucher,
  type VoucherErrorReason,
  type VoucherRequest,
} from '../../../src/codec/voucher/index.ts';

const NONCE = fromHex('831d5198a6ca2c7f');
const CERT = fromHex('3082010a0201'); // content is not parsed by the codec
const SPKI = new Uint8Array(91).fill(7);

const voucher: Voucher = {
  kind: 'voucher',
  assertion: 'proximity',
  createdOn: '2026-01-02T03:04:05Z',
  nonce: NONCE,
  pinnedDomainCert: CERT,
  serialNumber: 'JADA123456789',
};

const pvr: VoucherRequest = { kind: 'voucher-request', assertion: 'proximity', nonce: NONCE, proximityRegistrarPubk: SPKI, serialNumber: 'JADA123456789' };

function m(entries: [CborValue, CborValue][]): Map<CborValue, CborValue> {
  return new Map(entries);
}

function rejects(fn: () => unknown, reason: VoucherErrorReason, code?: string): VoucherError {
  try {
    fn();
  } catch (e) {
    expect(isVoucherError(e), `expected a VoucherError, got ${String(e)}`).to.equal(true);
    const ve = e as VoucherError;
    expect(ve.reason, ve.message).to.equal(reason);
    if (code) expect(ve.code).to.equal(code);
    return ve;
  }
  expect.fail(`expected VoucherError(${reason})`);
}

describe('voucher data: CBOR decoding is strict (RFC 8366bis SIDs, RFC 9254)', () => {
  it('round-trips a voucher and a PVR with SID keys and with name keys', () => {
    for (const a of [voucher, pvr]) {
      expect(decodeVoucherCbor(encodeVoucherCbor(a))).to.deep.equal(a);
      expect(decodeVoucherCbor(encodeVoucherCbor(a, { keys: 'name' }))).to.deep.equal(a);
    }
  });

  it('encodes the container SID absolutely and the leaves as deltas (2451 + 1 = assertion)', () => {
    const bytes = encodeVoucherCbor(voucher);
    expect(Buffer.from(bytes.subarray(0, 6)).toString('hex')).to.equal('a1190993a5' + '01'); // {2451: {1: … (5 leaves)
  });

  it('accepts tag-47 absolute SIDs and module-prefixed names as keys', () => {
    const bytes = encodeCbor(
      m([[new CborTag(47, 2501), m([[new CborTag(47, 2502), 2], ['ietf-voucher-request:nonce', NONCE], [12, SPKI], ['serial-number', 'X-1']])]]),
    );
    expect(decodeVoucherCbor(bytes)).to.deep.equal({ kind: 'voucher-request', assertion: 'proximity', nonce: NONCE, proximityRegistrarPubk: SPKI, serialNumber: 'X-1' });
  });

  it('refuses an unknown container SID, and names the early-draft 1001xxx SIDs', () => {
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2452, m([[1, 0]])]]))), 'unknown-container', 'ERR_CBOR_MALFORMED');
    const e = rejects(() => decodeVoucherCbor(encodeCbor(m([[1001100, m([[1, 0]])]]))), 'unknown-container');
    expect(e.message).to.match(/1001100.*early cBRSKI/);
    rejects(() => decodeVoucherCbor(encodeCbor(m([['ietf-voucher:vouchers', m([])]]))), 'unknown-container');
  });

  it('refuses unknown leaf SIDs, names and deltas of the other module', () => {
    // delta 9 is prior-signed-voucher-request in a voucher-request, but 2460 in a voucher is pinned-domain-pubk;
    // delta 16 (SID 2467) exists in neither table of the voucher module.
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, m([[16, 'x'], [11, 'S']])]]))), 'unknown-leaf', 'ERR_CBOR_MALFORMED');
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2501, m([[23, 'x'], [13, 'S']])]]))), 'unknown-leaf');
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, m([['prior-signed-voucher-request', CERT], [11, 'S']])]]))), 'unknown-leaf');
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, m([[-1, 'x'], [11, 'S']])]]))), 'unknown-leaf');
    // RFC 8366bis's own CBOR example lists extensions under delta 17, from before the 2025 SID fix-up (now 15).
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, m([[17, [305823299950]], [11, 'S']])]]))), 'unknown-leaf');
  });

  it('refuses wrong leaf types', () => {
    const bad: [number, CborValue][] = [
      [1, 'proximity'], // enum as text (RFC 9254 §6.6: integer)
      [1, 7], // no such enum value
      [2, 1700000000], // date as a number
      [3, 0], // boolean as integer
      [7, 'nonce'], // binary as text
      [8, [CERT]],
      [11, NONCE], // serial-number as bytes
      [15, 'ext'], // extensions not a list
    ];
    for (const [k, v] of bad) {
      const inner = m(k === 11 ? [[k, v]] : [[k, v], [11, 'S']]);
      rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, inner]]))), 'leaf-type', 'ERR_CBOR_MALFORMED');
    }
  });

  it('refuses nonces outside 8..32 bytes', () => {
    for (const n of [0, 7, 33, 64]) {
      rejects(() => decodeVoucherCbor(encodeCbor(m([[2501, m([[7, new Uint8Array(n)], [13, 'S']])]]))), 'nonce-length');
    }
    for (const n of [8, 32]) expect(decodeVoucherCbor(encodeCbor(m([[2501, m([[7, new Uint8Array(n)], [13, 'S']])]])))).to.have.property('nonce');
  });

  it('refuses SHA-256 leaves that are not 32 bytes, empty serial numbers and non-URIs', () => {
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, m([[10, new Uint8Array(31)], [11, 'S']])]]))), 'leaf-value');
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2501, m([[11, new Uint8Array(33)], [13, 'S']])]]))), 'leaf-value');
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, m([[11, '']])]]))), 'leaf-value');
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, m([[12, 'not a uri'], [11, 'S']])]]))), 'leaf-value');
  });

  it('refuses a missing serial-number (YANG mandatory) and a leaf given twice', () => {
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, m([[1, 0]])]]))), 'missing-leaf');
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, m([[1, 0], ['assertion', 1], [11, 'S']])]]))), 'malformed');
  });

  it('refuses what is not voucher data at all', () => {
    rejects(() => decodeVoucherCbor(new Uint8Array([0xff])), 'malformed', 'ERR_CBOR_MALFORMED');
    rejects(() => decodeVoucherCbor(encodeCbor([1, 2])), 'malformed');
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, m([[11, 'S']])], [2501, m([[13, 'S']])]]))), 'malformed');
    rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, [1]]]))), 'malformed');
  });
});

describe('voucher data: RFC 3339 date-and-time', () => {
  it('accepts the yang:date-and-time forms', () => {
    for (const s of ['2022-12-06T20:04:15.754Z', '2021-04-13T17:43:24.589-04:00', '2016-10-07T19:31:42Z', '2016-12-31T23:59:60Z', '2024-02-29T00:00:00+14:00']) {
      expect(isDateAndTime(s), s).to.equal(true);
    }
    expect(parseDateAndTime('2021-04-13T17:43:24.589-04:00').toISOString()).to.equal('2021-04-13T21:43:24.589Z');
    expect(formatDateAndTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)))).to.equal('2026-01-02T03:04:05Z');
  });

  it('refuses dates that are not RFC 3339', () => {
    // The last one is from examples/voucher-from-MASA-diag.txt of the cBRSKI repository (2022-02).
    for (const s of ['2023-02-29T00:00:00Z', '2022-13-01T00:00:00Z', '2022-12-06 20:04:15Z', '2022-12-06T24:00:00Z', '2022-12-06T20:04:15', '2022-12-06t20:04:15z', '2022-12-06T20:04:15+0100', '2020-10-5T13:46:14-00:00']) {
      expect(isDateAndTime(s), s).to.equal(false);
      rejects(() => decodeVoucherCbor(encodeCbor(m([[2451, m([[2, s], [11, 'S']])]]))), 'date-time');
    }
  });
});

describe('voucher data: the rules of each role', () => {
  it('a voucher needs assertion, created-on and a pinned-domain-*', () => {
    checkVoucher(voucher);
    const { assertion: _a, ...noAssertion } = voucher;
    rejects(() => checkVoucher(noAssertion as Voucher), 'missing-leaf');
    const { createdOn: _c, ...noCreated } = voucher;
    rejects(() => checkVoucher(noCreated as Voucher), 'missing-leaf');
    const { pinnedDomainCert: _p, ...noPin } = voucher;
    rejects(() => checkVoucher(noPin as Voucher), 'missing-leaf');
    checkVoucher({ ...noPin, pinnedDomainPubkSha256: new Uint8Array(32) } as Voucher);
  });

  it('a voucher: expires-on after created-on, last-renewal-date only with expires-on', () => {
    rejects(() => checkVoucher({ ...voucher, expiresOn: '2026-01-02T03:04:05Z' }), 'inconsistent');
    rejects(() => checkVoucher({ ...voucher, lastRenewalDate: '2027-01-01T00:00:00Z' }), 'inconsistent');
    checkVoucher({ ...voucher, expiresOn: '2026-01-16T03:04:05Z', lastRenewalDate: '2027-01-01T00:00:00Z' });
  });

  it('a voucher-request is not a voucher, and the other way round', () => {
    rejects(() => checkVoucher(pvr), 'wrong-kind');
    rejects(() => checkPledgeVoucherRequest(voucher), 'wrong-kind');
  });

  it('a PVR needs assertion, nonce and a proximity-registrar-*, and no prior-signed-voucher-request', () => {
    checkPledgeVoucherRequest(pvr);
    const { nonce: _n, ...noNonce } = pvr;
    rejects(() => checkPledgeVoucherRequest(noNonce as VoucherRequest), 'missing-leaf');
    const { proximityRegistrarPubk: _p, ...noProx } = pvr;
    rejects(() => checkPledgeVoucherRequest(noProx as VoucherRequest), 'missing-leaf');
    rejects(() => checkPledgeVoucherRequest({ ...pvr, priorSignedVoucherRequest: CERT }), 'forbidden-leaf');
  });

  it('an RVR must not carry proximity-registrar-* (RFC 8995 §5.5)', () => {
    checkRegistrarVoucherRequest({ kind: 'voucher-request', serialNumber: 'S', nonce: NONCE, priorSignedVoucherRequest: CERT });
    rejects(() => checkRegistrarVoucherRequest(pvr), 'forbidden-leaf');
  });

  it('refuses leaves the artifact kind does not have when encoding', () => {
    rejects(() => encodeVoucherCbor({ ...voucher, priorSignedVoucherRequest: CERT } as unknown as Voucher), 'unknown-leaf');
  });

  it('isVoucherExpired reads expires-on', () => {
    const v: Voucher = { ...voucher, expiresOn: '2026-01-16T03:04:05Z' };
    expect(isVoucherExpired(v, new Date('2026-01-16T03:04:04Z'))).to.equal(false);
    expect(isVoucherExpired(v, new Date('2026-01-16T03:04:05Z'))).to.equal(true);
    expect(isVoucherExpired(voucher, new Date('2999-01-01T00:00:00Z'))).to.equal(false);
  });
});

describe('voucher data: JSON (RFC 8366 / RFC 8995)', () => {
  it('round-trips, writing base64 and enum names', () => {
    const json = new TextDecoder().decode(encodeVoucherJson(voucher));
    expect(JSON.parse(json)).to.deep.equal({
      'ietf-voucher:voucher': {
        assertion: 'proximity',
        'created-on': '2026-01-02T03:04:05Z',
        nonce: 'gx1RmKbKLH8=',
        'pinned-domain-cert': Buffer.from(CERT).toString('base64'),
        'serial-number': 'JADA123456789',
      },
    });
    expect(decodeVoucherJson(json)).to.deep.equal(voucher);
  });

  it('accepts base64url without padding (as RFC 8995 Appendix C writes nonces)', () => {
    const v = decodeVoucherJson('{"ietf-voucher-request:voucher":{"nonce":"-_XE9zK9q8Ll1qylMtLKeg","serial-number":"S"}}');
    expect(Buffer.from(v.nonce!).toString('base64url')).to.equal('-_XE9zK9q8Ll1qylMtLKeg');
  });

  it('refuses unknown leaves, bad base64, wrong types and two containers', () => {
    rejects(() => decodeVoucherJson('{"ietf-voucher:voucher":{"serial-number":"S","colour":"blue"}}'), 'unknown-leaf', 'ERR_INVALID_ARGUMENT');
    rejects(() => decodeVoucherJson('{"ietf-voucher:voucher":{"serial-number":"S","nonce":"***"}}'), 'leaf-type');
    rejects(() => decodeVoucherJson('{"ietf-voucher:voucher":{"serial-number":"S","assertion":2}}'), 'leaf-type');
    rejects(() => decodeVoucherJson('{"ietf-voucher:voucher":{"serial-number":"S","domain-cert-revocation-checks":"true"}}'), 'leaf-type');
    rejects(() => decodeVoucherJson('{"ietf-voucher:voucher":{"serial-number":"S"},"ietf-voucher-request:voucher":{"serial-number":"S"}}'), 'malformed');
    rejects(() => decodeVoucherJson('{"ietf-voucher:voucher":'), 'malformed');
    rejects(() => decodeVoucherJson('{"voucher":{"serial-number":"S"}}'), 'unknown-container');
    rejects(() => decodeVoucherJson('{"ietf-voucher:voucher":{"serial-number":"S","nonce":"AAAAAAA="}}'), 'nonce-length');
  });
});
