/** RFC 8949 Appendix A examples (https://www.rfc-editor.org/rfc/rfc8949#appendix-A), both directions. */
import { expect } from 'chai';
import { CborTag, decodeCbor, decodeCborSequence, encodeCbor, type CborValue } from '../../../src/codec/cbor/cbor.ts';
import { fromHex, toHex, utf8 } from '../../../src/core/bytes.ts';
import { isStackError } from '../../../src/core/errors.ts';

const h = fromHex;
const VECTORS: [string, CborValue, string][] = [
  ['0', 0, '00'],
  ['23', 23, '17'],
  ['24', 24, '1818'],
  ['1000000', 1000000, '1a000f4240'],
  ['1000000000000', 1000000000000, '1b000000e8d4a51000'],
  ['-1', -1, '20'],
  ['-1000', -1000, '3903e7'],
  ['false', false, 'f4'],
  ['null', null, 'f6'],
  ["h'01020304'", h('01020304'), '4401020304'],
  ['"IETF"', 'IETF', '6449455446'],
  ['"\\u00fc"', '\u00fc', '62c3bc'],
  ['[1, [2, 3], [4, 5]]', [1, [2, 3], [4, 5]], '8301820203820405'],
  ['{1: 2, 3: 4}', new Map([[1, 2], [3, 4]]), 'a201020304'],
  ['{"a": 1, "b": [2, 3]}', new Map<CborValue, CborValue>([['a', 1], ['b', [2, 3]]]), 'a26161016162820203'],
  ["24(h'6449455446')", new CborTag(24, h('6449455446')), 'd818456449455446'],
];

describe('CBOR codec (RFC 8949 Appendix A)', () => {
  for (const [name, value, hex] of VECTORS) {
    it(`${name} <-> ${hex}`, () => {
      expect(toHex(encodeCbor(value))).to.equal(hex);
      expect(decodeCbor(h(hex))).to.deep.equal(value);
    });
  }

  it('sorts map keys by their encoding (RFC 8949 §4.2.1 deterministic order)', () => {
    const m = new Map<CborValue, CborValue>([['b', 1], [-1, 2], [10, 3], [1, 4], [utf8('x'), 5]]);
    expect(toHex(encodeCbor(m))).to.equal('a5' + '0104' + '0a03' + '2002' + '416805'.replace('68', '78') + '616201');
  });

  it('decodes CBOR sequences (RFC 8742) and rejects malformed input with ERR_CBOR_MALFORMED', () => {
    expect(decodeCborSequence(h('0382060241aa'))).to.deep.equal([3, [6, 2], h('aa')]);
    for (const bad of ['ff', '5a0000', '83010203ff', '0102']) {
      let err: unknown;
      try {
        decodeCbor(h(bad));
      } catch (e) {
        err = e;
      }
      expect(isStackError(err, 'ERR_CBOR_MALFORMED'), bad).to.equal(true);
    }
  });
});
