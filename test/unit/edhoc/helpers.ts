/**
 * Fixtures for the EDHOC unit tests: a small X.509 hierarchy from src/pki (root → issuing CA →
 * initiator / responder, all P-256, valid around T0), raw-public-key credentials for every curve,
 * and a driver that runs a whole handshake in memory.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { certificateDer, verifyChain, type Certificate } from '../../../src/pki/index.ts';
import {
  buildCcs,
  ccsCredential,
  credentialFromIdCred,
  EdhocError,
  InitiatorStart,
  localCredential,
  ResponderStart,
  type EadItem,
  type EdhocCredential,
  type EdhocLocalCredential,
  type EdhocMethod,
  type IdCred,
  type InitiatorOptions,
  type ResponderOptions,
} from '../../../src/protocol/edhoc/index.ts';
import { makeCa, makeCert, makeRoot, T0, type TestCredential } from '../pki/helpers.ts';

export { T0 };

export interface TestHierarchy {
  readonly root: TestCredential;
  readonly ca: TestCredential;
  readonly initiator: TestCredential;
  readonly responder: TestCredential;
  /** A second, unrelated root with its own leaf (not trusted by the peers). */
  readonly rogueRoot: TestCredential;
  readonly rogue: TestCredential;
}

let cached: Promise<TestHierarchy> | undefined;

/** One hierarchy per test run (issuing certificates is slow-ish). */
export function hierarchy(): Promise<TestHierarchy> {
  cached ??= (async () => {
    const root = await makeRoot('EDHOC Test Root');
    const ca = await makeCa('EDHOC Test Issuing CA', root);
    const initiator = await makeCert('EDHOC Initiator', ca);
    const responder = await makeCert('EDHOC Responder', ca);
    const rogueRoot = await makeRoot('Rogue Root');
    const rogue = await makeCert('Rogue Initiator', rogueRoot);
    return { root, ca, initiator, responder, rogueRoot, rogue };
  })();
  return cached;
}

/** The application's credential check for an x5chain: path validation to the trust anchors at T0. */
export function checkX5chain(idCred: IdCred, trustAnchors: readonly Certificate[]): EdhocCredential {
  const chain = idCred.x5chain;
  if (!chain) throw new Error('not an x5chain');
  verifyChain(chain[0]!, chain.slice(1), trustAnchors, { at: T0 });
  return credentialFromIdCred(idCred)!;
}

export function der(c: TestCredential): Uint8Array {
  return certificateDer(c.cert);
}

export type KeyKind = 'P-256' | 'X25519' | 'Ed25519';

export function keyPair(kind: KeyKind): { privateKey: KeyObject; publicKey: KeyObject } {
  if (kind === 'P-256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  if (kind === 'X25519') return generateKeyPairSync('x25519');
  return generateKeyPairSync('ed25519');
}

/** A raw-public-key credential (CCS identified by kid) with a fresh key. */
export function rpkCredential(kind: KeyKind, kid: number, sub = 'test'): EdhocLocalCredential {
  const { privateKey, publicKey } = keyPair(kind);
  return localCredential(ccsCredential(buildCcs(publicKey, { sub, kid: Uint8Array.of(kid) })), privateKey);
}

/** The public part only, as the peer's application would hold it. */
export function publicPart(c: EdhocCredential): EdhocCredential {
  return { cred: c.cred, idCred: c.idCred, publicKey: c.publicKey };
}

/** The key kinds a method needs on a suite's curve: [Initiator, Responder]. */
export function keyKinds(method: EdhocMethod, suite: number): [KeyKind, KeyKind] {
  const p256 = suite === 2 || suite === 3;
  const sig: KeyKind = suite === 0 || suite === 1 ? 'Ed25519' : 'P-256';
  const dh: KeyKind = p256 ? 'P-256' : 'X25519';
  const iStatic = method === 2 || method === 3;
  const rStatic = method === 1 || method === 3;
  return [iStatic ? dh : sig, rStatic ? dh : sig];
}

export interface HandshakeOptions {
  readonly initiator: Omit<InitiatorOptions, 'method'> & { readonly method: EdhocMethod };
  readonly responder: ResponderOptions;
  readonly credI: EdhocLocalCredential;
  readonly credR: EdhocLocalCredential;
  readonly ead2?: readonly EadItem[];
  readonly ead3?: readonly EadItem[];
  readonly ead4?: readonly EadItem[];
  /** Resolves ID_CRED_x to the peer credential (default: the other side's public part). */
  readonly lookupR?: (idCred: IdCred) => EdhocCredential;
  readonly lookupI?: (idCred: IdCred) => EdhocCredential;
}

/** Runs message_1 .. message_4 in memory and returns every state. */
export function handshake(o: HandshakeOptions) {
  const start = new InitiatorStart(o.initiator);
  const responder = new ResponderStart(o.responder);
  const waitM2 = start.prepareMessage1();
  const pm1 = responder.processMessage1(waitM2.message1);
  const waitM3 = pm1.prepareMessage2({ credential: o.credR, ead2: o.ead2 });
  const pm2 = waitM2.parseMessage2(waitM3.message2);
  const processed = pm2.verifyMessage2((o.lookupR ?? (() => publicPart(o.credR)))(pm2.idCredR));
  const iDone = processed.prepareMessage3(o.credI, { ead3: o.ead3 });
  const pm3 = waitM3.parseMessage3(iDone.message3);
  const rDone = pm3.verifyMessage3((o.lookupI ?? (() => publicPart(o.credI)))(pm3.idCredI));
  const message4 = rDone.prepareMessage4(o.ead4);
  const ead4 = iDone.processMessage4(message4);
  return { start, responder, waitM2, pm1, waitM3, pm2, processed, iDone, pm3, rDone, message4, ead4 };
}

/** Runs `f` and returns the EdhocError it throws (fails the test otherwise). */
export function edhocErrorOf(f: () => unknown): EdhocError {
  try {
    f();
  } catch (e) {
    if (e instanceof EdhocError) return e;
    throw e;
  }
  throw new Error('expected an EdhocError, but nothing was thrown');
}
