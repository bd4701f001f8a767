import { expect } from 'chai';
import { isStackError, type StackError } from '../../../src/core/errors.ts';
import {
  certificateDer,
  certificatePem,
  OID_KP_CLIENT_AUTH,
  OID_KP_CMC_RA,
  parseCertificate,
  verifyChain,
  type Certificate,
  type ChainFailureReason,
} from '../../../src/pki/index.ts';
import { makeCa, makeCert, makeRoot, T0, type TestCredential } from './helpers.ts';

const DAY = 24 * 3600 * 1000;

function failsWith(reason: ChainFailureReason, fn: () => unknown): StackError {
  try {
    fn();
  } catch (e) {
    expect(isStackError(e, 'ERR_CERT_CHAIN'), String(e)).to.equal(true);
    const err = e as StackError;
    expect(err.details.reason, err.message).to.equal(reason);
    return err;
  }
  return expect.fail(`expected ERR_CERT_CHAIN (${reason})`);
}

describe('pki verifyChain (RFC 5280 §6.1 subset)', () => {
  let root: TestCredential;
  let ca: TestCredential;
  let leaf: TestCredential;
  const at = T0;

  before(async () => {
    root = await makeRoot('root', { basicConstraints: { ca: true, pathLength: 1 } });
    ca = await makeCa('issuing', root, { basicConstraints: { ca: true, pathLength: 0 } });
    leaf = await makeCert('leaf', ca, { extendedKeyUsage: [OID_KP_CMC_RA] });
  });

  it('returns the path leaf → intermediate → anchor', () => {
    const path = verifyChain(leaf.cert, [ca.cert], [root.cert], { at });
    expect(path.map((c) => c.subject)).to.deep.equal([leaf.cert.subject, ca.cert.subject, root.cert.subject]);
  });

  it('finds the path among unordered, surplus intermediates and anchors, given as DER or PEM', async () => {
    const otherRoot = await makeRoot('other');
    const stray = await makeCa('stray', otherRoot);
    const path = verifyChain(
      certificatePem(leaf.cert),
      [stray.cert, certificateDer(ca.cert), otherRoot.cert],
      [otherRoot.cert, certificatePem(root.cert)],
      { at },
    );
    expect(path).to.have.length(3);
  });

  it('accepts a leaf that is itself a trust anchor', () => {
    expect(verifyChain(root.cert, [], [root.cert], { at })).to.have.length(1);
  });

  it('checks the required extendedKeyUsage on the leaf', () => {
    expect(verifyChain(leaf.cert, [ca.cert], [root.cert], { at, requireEku: OID_KP_CMC_RA })).to.have.length(3);
    failsWith('eku', () => verifyChain(leaf.cert, [ca.cert], [root.cert], { at, requireEku: OID_KP_CLIENT_AUTH }));
    failsWith('eku', () => verifyChain(ca.cert, [], [root.cert], { at, requireEku: OID_KP_CMC_RA }));
  });

  it('fails without the intermediate (no-issuer)', () => {
    failsWith('no-issuer', () => verifyChain(leaf.cert, [], [root.cert], { at }));
  });

  it('fails for a leaf issued by a CA that is not on offer (wrong issuer)', async () => {
    const otherCa = await makeCa('other issuing', root);
    const foreign = await makeCert('foreign', otherCa);
    const err = failsWith('no-issuer', () => verifyChain(foreign.cert, [ca.cert], [root.cert], { at }));
    expect(err.message).to.include('other issuing');
  });

  it('fails for a certificate from a different issuer of the same name (impostor issuer)', async () => {
    // Same subject name as the real issuing CA, different key: name chaining matches, signature does not.
    const impostor = await makeCa('issuing', root, { basicConstraints: { ca: true, pathLength: 0 } });
    failsWith('signature', () => verifyChain(leaf.cert, [impostor.cert], [root.cert], { at }));
    // ...but with both present the real one is found.
    expect(verifyChain(leaf.cert, [impostor.cert, ca.cert], [root.cert], { at })).to.have.length(3);
  });

  it('fails when the chain ends at a root that is not a trust anchor (untrusted)', async () => {
    const otherRoot = await makeRoot('other');
    failsWith('untrusted', () => verifyChain(leaf.cert, [ca.cert, root.cert], [otherRoot.cert], { at }));
    failsWith('untrusted', () => verifyChain(leaf.cert, [ca.cert], [], { at }));
  });

  it('fails for expired and not-yet-valid certificates, leaf or intermediate', async () => {
    failsWith('expired', () => verifyChain(leaf.cert, [ca.cert], [root.cert], { at: new Date(T0.getTime() + 400 * DAY) }));
    failsWith('not-yet-valid', () => verifyChain(leaf.cert, [ca.cert], [root.cert], { at: new Date(T0.getTime() - 60 * DAY) }));
    const oldCa = await makeCa('old ca', root, { notAfter: new Date(T0.getTime() - DAY) });
    const young = await makeCert('young', oldCa, { notBefore: new Date(T0.getTime() - 10 * DAY) });
    const err = failsWith('expired', () => verifyChain(young.cert, [oldCa.cert], [root.cert], { at }));
    expect(err.details.subject).to.equal(oldCa.cert.subject);
  });

  it('fails when an issuer is not a CA (basicConstraints absent or cA FALSE)', async () => {
    const ee = await makeCert('not a ca', root);
    const below = await makeCert('below ee', ee);
    failsWith('not-ca', () => verifyChain(below.cert, [ee.cert], [root.cert], { at }));
    const eeFalse = await makeCert('ca false', root, { basicConstraints: { ca: false }, keyUsage: ['keyCertSign'] });
    const below2 = await makeCert('below ca false', eeFalse);
    failsWith('not-ca', () => verifyChain(below2.cert, [eeFalse.cert], [root.cert], { at }));
  });

  it('fails when an issuer keyUsage lacks keyCertSign', async () => {
    const noSign = await makeCa('no keyCertSign', root, { keyUsage: ['digitalSignature', 'cRLSign'] });
    const below = await makeCert('below', noSign);
    failsWith('key-usage', () => verifyChain(below.cert, [noSign.cert], [root.cert], { at }));
  });

  it('enforces pathLenConstraint', async () => {
    // root pathLen 1 allows one intermediate CA; ca pathLen 0 allows none below it.
    const sub = await makeCa('sub', ca);
    const deep = await makeCert('deep', sub);
    const err = failsWith('path-length', () => verifyChain(deep.cert, [sub.cert, ca.cert], [root.cert], { at }));
    expect(err.details.subject).to.equal(ca.cert.subject);
    const root0 = await makeRoot('root0', { basicConstraints: { ca: true, pathLength: 0 } });
    const mid = await makeCa('mid', root0);
    const end = await makeCert('end', mid);
    failsWith('path-length', () => verifyChain(end.cert, [mid.cert], [root0.cert], { at }));
  });

  it('fails on a tampered signature', () => {
    const der = certificateDer(leaf.cert);
    der[der.length - 1]! ^= 0x01;
    failsWith('signature', () => verifyChain(parseCertificate(der), [ca.cert], [root.cert], { at }));
  });

  it('fails on a tampered tbsCertificate (subject changed after signing)', () => {
    const der = certificateDer(leaf.cert);
    const text = Buffer.from(der).toString('latin1');
    const i = text.indexOf('leaf');
    der[i] = 'L'.charCodeAt(0);
    failsWith('signature', () => verifyChain(parseCertificate(der), [ca.cert], [root.cert], { at }));
  });

  it('fails on an unknown critical extension, unless the caller declares it known', async () => {
    const odd = await makeCert('odd', ca, { extensions: [{ oid: '1.2.3.4', critical: true, value: Uint8Array.from([5, 0]) }] });
    failsWith('critical-extension', () => verifyChain(odd.cert, [ca.cert], [root.cert], { at }));
    expect(verifyChain(odd.cert, [ca.cert], [root.cert], { at, knownCriticalExtensions: ['1.2.3.4'] })).to.have.length(3);
  });

  it('stops at maxLength', async () => {
    failsWith('too-long', () => verifyChain(leaf.cert, [ca.cert], [root.cert], { at, maxLength: 2 }));
  });

  it('reports unreadable input as malformed', () => {
    failsWith('malformed', () => verifyChain(Uint8Array.from([1, 2, 3]), [], [root.cert], { at }));
  });

  it('validates mixed key types along one path (Ed25519 root, P-384 CA, RSA leaf)', async () => {
    const edRoot = await makeRoot('ed root', {}, 'Ed25519');
    const p384 = await makeCa('p384 ca', edRoot, {}, 'P-384');
    const rsa = await makeCert('rsa leaf', p384, {}, 'RSA-2048');
    const path: Certificate[] = verifyChain(rsa.cert, [p384.cert], [edRoot.cert], { at });
    expect(path).to.have.length(3);
  });
});
