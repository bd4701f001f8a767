/**
 * EDHOC encodings: byte-string identifiers (RFC 9528 §3.3.2), compact ID_CRED (§3.5.3.2),
 * message codecs both ways, error messages (§6), and the CoAP framing of Appendix A.2.
 */
import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { decodeCbor, encodeCbor } from '../../../src/codec/cbor/cbor.ts';
import { fromHex, toHex } from '../../../src/core/bytes.ts';
import {
  CF_CID_EDHOC_CBOR_SEQ,
  CF_EDHOC_CBOR_SEQ,
  connectionId,
  decodeErrorMessage,
  decodeMessage1,
  decodePlaintext3,
  EDHOC_WELL_KNOWN_PATH,
  encodeErrorMessage,
  encodeIdentifier,
  encodeMessage1,
  encodePlaintext3,
  frameMessage1,
  frameWithConnectionId,
  identifierFromCbor,
  IdCred,
  isErrorMessage,
  parseEdhocRequest,
  unknownCredentialError,
  unspecifiedError,
  wrongSelectedSuiteError,
} from '../../../src/protocol/edhoc/index.ts';
import { edhocErrorOf } from './helpers.ts';

const h = fromHex;

describe('EDHOC byte-string identifiers (RFC 9528 §3.3.2, §3.3.3)', () => {
  it('the examples of §3.3.2', () => {
    expect(toHex(encodeIdentifier(h('21')))).to.equal('21');
    expect(toHex(encodeIdentifier(h('0d')))).to.equal('0d');
    expect(toHex(encodeIdentifier(h('18')))).to.equal('4118');
    expect(toHex(encodeIdentifier(h('38')))).to.equal('4138');
    expect(toHex(encodeIdentifier(h('abcd')))).to.equal('42abcd');
    expect(toHex(encodeIdentifier(h('')))).to.equal('40');
    expect(toHex(encodeIdentifier(h('ff')))).to.equal('41ff');
  });

  it('every one-byte value round-trips; the bstr form of a one-byte int is refused', () => {
    for (let b = 0; b < 256; b++) {
      const enc = encodeIdentifier(Uint8Array.of(b));
      expect(enc.length, `h'${b.toString(16)}'`).to.equal(b <= 0x17 || (b >= 0x20 && b <= 0x37) ? 1 : 2);
      const back = identifierFromCbor(decodeCbor(enc), 'id');
      expect(toHex(back)).to.equal(toHex(Uint8Array.of(b)));
    }
    expect(edhocErrorOf(() => identifierFromCbor(Uint8Array.of(0x0e), 'C_I')).reply?.code).to.equal(1);
    expect(edhocErrorOf(() => identifierFromCbor(24, 'C_I')).message).to.match(/outside/);
  });

  it('compact ID_CRED (§3.5.3.2): { 4: h\'FF\' } travels as 41FF, { 4: h\'21\' } as 21; other maps as maps', () => {
    expect(toHex(IdCred.byKid(h('ff')).plaintextItem())).to.equal('41ff');
    expect(toHex(IdCred.byKid(h('21')).plaintextItem())).to.equal('21');
    expect(toHex(IdCred.byKid(h('21')).encoded)).to.equal('a1044121');
    const two = IdCred.fromMap(new Map<number, Uint8Array>([[4, h('01')], [10, h('02')]]));
    expect(toHex(two.plaintextItem())).to.equal(toHex(two.encoded));
    const pt = encodePlaintext3(two, new Uint8Array(8), new Uint8Array(0));
    expect(toHex(decodePlaintext3(pt).idCredI.encoded)).to.equal(toHex(two.encoded));
  });

  it('a received ID_CRED map keeps its bytes, whatever the label order', () => {
    // { 10: h'02', 4: h'01' } — not in deterministic order, allowed for ID_CRED maps (§3.5.3).
    const unsorted = h('a20a41020441 01'.replace(/ /g, ''));
    const pt = new Uint8Array([...unsorted, 0x48, ...new Uint8Array(8)]);
    expect(toHex(decodePlaintext3(pt).idCredI.encoded)).to.equal(toHex(unsorted));
  });
});

describe('EDHOC message_1 codec (RFC 9528 §5.2.1)', () => {
  it('encodes and decodes with SUITES_I as int or array, C_I in both representations, EAD_1', () => {
    const m = { method: 3, suitesI: [6, 2], gX: new Uint8Array(32).fill(1), cI: connectionId('abcd'), ead1: [{ label: 5 }, { label: -1, value: h('01') }] };
    const bytes = encodeMessage1(m);
    expect(decodeMessage1(bytes)).to.deep.equal(m);
    const single = encodeMessage1({ ...m, suitesI: [2], cI: connectionId('37'), ead1: [] });
    expect(toHex(single.subarray(0, 2))).to.equal('0302');
    expect(toHex(single.subarray(36))).to.equal('37');
  });

  it('rejects trailing or missing items with an error message to send', () => {
    expect(edhocErrorOf(() => decodeMessage1(h('0302'))).reply?.code).to.equal(1);
    expect(edhocErrorOf(() => decodeMessage1(h('03025820' + '00'.repeat(32) + '0ef6'))).message).to.match(/EAD label/);
  });
});

describe('EDHOC error messages (RFC 9528 §6)', () => {
  it('codes 1, 2, 3 encode and decode', () => {
    expect(toHex(encodeErrorMessage(unspecifiedError('x')))).to.equal('016178');
    expect(toHex(encodeErrorMessage(wrongSelectedSuiteError([2])))).to.equal('0202');
    expect(toHex(encodeErrorMessage(wrongSelectedSuiteError([2, 3])))).to.equal('02820203');
    expect(toHex(encodeErrorMessage(unknownCredentialError()))).to.equal('03f5');
    expect(decodeErrorMessage(h('02820203'))).to.deep.equal({ code: 2, info: [2, 3] });
    expect(decodeErrorMessage(h('0a40'))).to.deep.equal({ code: 10, info: new Uint8Array(0) });
    expect(isErrorMessage(h('0202'))).to.equal(true);
    expect(isErrorMessage(h('4100'))).to.equal(false);
  });

  it('every EdhocError is published on the diagnostics channel brski-ae:edhoc:error', () => {
    const seen: unknown[] = [];
    const listener = (m: unknown): void => void seen.push(m);
    subscribe('brski-ae:edhoc:error', listener);
    try {
      edhocErrorOf(() => decodeErrorMessage(h('0102')));
    } finally {
      unsubscribe('brski-ae:edhoc:error', listener);
    }
    expect(seen).to.have.length(1);
    expect(seen[0]).to.include({ reply: 1 });
  });

  it('rejects ERR_INFO of the wrong type', () => {
    for (const bad of ['0102', '02f5', '03f4', '0101', '01', '016178f5']) {
      expect(edhocErrorOf(() => decodeErrorMessage(h(bad))).code, bad).to.equal('ERR_EDHOC');
    }
  });
});

describe('EDHOC over CoAP (RFC 9528 Appendix A.2)', () => {
  it('content formats 64 / 65 and /.well-known/edhoc', () => {
    expect(CF_EDHOC_CBOR_SEQ).to.equal(64);
    expect(CF_CID_EDHOC_CBOR_SEQ).to.equal(65);
    expect(EDHOC_WELL_KNOWN_PATH).to.deep.equal(['.well-known', 'edhoc']);
  });

  it('message_1 is prefixed with true (0xf5), later requests with C_R', () => {
    const m1 = h('0300' + '5820' + '11'.repeat(32) + '2d');
    const p1 = frameMessage1(m1);
    expect(toHex(p1.subarray(0, 1))).to.equal('f5');
    expect(parseEdhocRequest(p1)).to.deep.equal({ kind: 'message_1', message: m1 });
    const m3 = encodeCbor(h('0102'));
    for (const cR of ['27', '18', 'abcdef', '']) {
      const p = frameWithConnectionId(h(cR), m3);
      const parsed = parseEdhocRequest(p);
      expect(parsed.kind).to.equal('correlated');
      if (parsed.kind === 'correlated') {
        expect(toHex(parsed.connectionId)).to.equal(cR);
        expect(toHex(parsed.message)).to.equal(toHex(m3));
      }
    }
    expect(edhocErrorOf(() => parseEdhocRequest(new Uint8Array(0))).reply?.code).to.equal(1);
    expect(edhocErrorOf(() => parseEdhocRequest(h('4118'.slice(0, 2)))).reply?.code).to.equal(1);
    expect(edhocErrorOf(() => parseEdhocRequest(h('f4'))).reply?.code).to.equal(1);
  });
});
