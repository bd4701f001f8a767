/**
 * The EDHOC Initiator (RFC 9528 §5) as typestates; each transition returns the next state:
 *
 *   InitiatorStart.prepareMessage1()              → InitiatorWaitM2        (.message1 to send)
 *   InitiatorWaitM2.parseMessage2(message_2)      → InitiatorProcessingM2  (C_R, ID_CRED_R, EAD_2)
 *        the application looks up / judges the Responder's credential, then
 *   InitiatorProcessingM2.verifyMessage2(CRED_R)  → InitiatorProcessedM2
 *   InitiatorProcessedM2.prepareMessage3(CRED_I)  → InitiatorDone          (.message3, exporter)
 *   InitiatorDone.processMessage4(message_4)      → EAD_4                  (optional message_4)
 *
 * Failures throw EdhocError: `reply` is the error message to send to the Responder (then abort),
 * `received` the error message the Responder sent. After an error code 2 (wrong selected suite),
 * InitiatorWaitM2.retryWithSuitesR() gives a new InitiatorStart with a suite both support.
 */
import type { KeyObject } from 'node:crypto';
import { bytesEqual } from '../../core/bytes.ts';
import { StackError } from '../../core/errors.ts';
import { cryptoRandom, type Random } from '../../core/random.ts';
import { checkSignatureOrMacLength, copy, openWithTh, randomConnectionId, requireOwnKeyFits, requirePeerKeyFits, sealWithTh, encStructureFor } from './common.ts';
import { idCredMatchesCredential, type EdhocCredential, type EdhocLocalCredential } from './credentials.ts';
import { checkEad, encodeEad, type EadItem } from './ead.ts';
import { ecdh, generateEphemeralKey, peerPublicKey } from './ecdh.ts';
import {
  EdhocError,
  encodeErrorMessage,
  unknownCredentialError,
  unspecifiedError,
} from './edhoc-error.ts';
import type { IdCred } from './id-cred.ts';
import { connectionId, type ConnectionId } from './identifiers.ts';
import { edhocExtract, edhocKdf } from './kdf.ts';
import {
  context2,
  context3,
  hashMessage1,
  KDF_IV_3,
  KDF_IV_4,
  KDF_K_3,
  KDF_K_4,
  KDF_MAC_2,
  KDF_MAC_3,
  KDF_PRK_OUT,
  KDF_SALT_3E2M,
  KDF_SALT_4E3M,
  keystream2,
  macLength,
  nextTh,
  signMac,
  th2 as computeTh2,
  timingSafeEqualBytes,
  verifyMacSignature,
  xor,
} from './key-schedule.ts';
import {
  decodeErrorMessage,
  decodeMessage2,
  decodeMessage4,
  decodePlaintext2,
  decodePlaintext4,
  encodeMessage1,
  encodeMessage3,
  encodePlaintext3,
  isErrorMessage,
  type Plaintext2,
} from './messages.ts';
import { EdhocSession } from './session.ts';
import { EdhocState } from './state.ts';
import { edhocSuite, initiatorUsesStaticDh, isEdhocMethod, publicKeyLength, responderUsesStaticDh, type EdhocMethod, type EdhocSuite } from './suites.ts';
import { report, type EdhocTraceHook } from './trace.ts';

export interface InitiatorOptions {
  readonly method: EdhocMethod;
  /** The cipher suites the Initiator supports, most preferred first. */
  readonly suites: readonly number[];
  /** The suite to select (default: the most preferred); SUITES_I lists the suites up to it. */
  readonly selectedSuite?: number;
  /** C_I (default: a random one-byte identifier). */
  readonly connectionId?: Uint8Array;
  readonly ead1?: readonly EadItem[];
  /** |ead_label| values the application processes; unknown critical items fail the session. */
  readonly understoodEad?: readonly number[];
  /** Source of the ephemeral private key and the default C_I. */
  readonly random?: Random;
  /** Reports intermediate values (tests only: they include secrets). */
  readonly trace?: EdhocTraceHook;
}

interface Config {
  readonly method: EdhocMethod;
  readonly suites: readonly number[];
  readonly understoodEad: readonly number[];
  readonly random: Random;
  readonly trace: EdhocTraceHook | undefined;
  readonly options: InitiatorOptions;
}

export class InitiatorStart extends EdhocState {
  readonly method: EdhocMethod;
  readonly suite: EdhocSuite;
  /** SUITES_I as it will be sent. */
  readonly suitesI: readonly number[];
  readonly #cfg: Config;

  constructor(options: InitiatorOptions) {
    super();
    if (!isEdhocMethod(options.method)) throw new StackError('ERR_CONFIG', `EDHOC method ${String(options.method)} is not 0..3`);
    if (options.suites.length === 0) throw new StackError('ERR_CONFIG', 'the Initiator needs at least one cipher suite');
    for (const s of options.suites) if (!edhocSuite(s)) throw new StackError('ERR_CONFIG', `cipher suite ${s} is not implemented`);
    if (new Set(options.suites).size !== options.suites.length) throw new StackError('ERR_CONFIG', 'cipher suites listed twice');
    const selected = options.selectedSuite ?? options.suites[0]!;
    const idx = options.suites.indexOf(selected);
    if (idx < 0) throw new StackError('ERR_CONFIG', `selected cipher suite ${selected} is not among the Initiator's suites`);
    this.method = options.method;
    this.suite = edhocSuite(selected)!;
    this.suitesI = Object.freeze(options.suites.slice(0, idx + 1));
    this.#cfg = Object.freeze({
      method: options.method,
      suites: Object.freeze([...options.suites]),
      understoodEad: Object.freeze([...(options.understoodEad ?? [])]),
      random: options.random ?? cryptoRandom,
      trace: options.trace,
      options: Object.freeze({ ...options }),
    });
  }

  /** Composes message_1 (§5.2.2). */
  prepareMessage1(): InitiatorWaitM2 {
    this.consume('prepareMessage1');
    const cfg = this.#cfg;
    const eph = generateEphemeralKey(this.suite.curve, cfg.random);
    const cI = cfg.options.connectionId ? connectionId(cfg.options.connectionId) : randomConnectionId(cfg.random);
    const message1 = encodeMessage1({ method: this.method, suitesI: this.suitesI, gX: eph.publicKey, cI, ead1: cfg.options.ead1 ?? [] });
    report(cfg.trace, 'G_X', eph.publicKey);
    report(cfg.trace, 'message_1', message1);
    return new InitiatorWaitM2(cfg, this.suite, eph.privateKey, eph.publicKey, cI, message1);
  }
}

export class InitiatorWaitM2 extends EdhocState {
  readonly method: EdhocMethod;
  readonly suite: EdhocSuite;
  readonly connectionIdI: ConnectionId;
  /** message_1, to send. */
  readonly message1: Uint8Array;
  readonly gX: Uint8Array;
  readonly #cfg: Config;
  readonly #x: KeyObject;

  /** @internal Created by InitiatorStart.prepareMessage1(). */
  constructor(cfg: Config, suite: EdhocSuite, x: KeyObject, gX: Uint8Array, cI: ConnectionId, message1: Uint8Array) {
    super();
    this.#cfg = cfg;
    this.method = cfg.method;
    this.suite = suite;
    this.#x = x;
    this.gX = gX;
    this.connectionIdI = cI;
    this.message1 = message1;
  }

  /**
   * Decrypts message_2 (§5.3.3) and exposes C_R, ID_CRED_R and EAD_2. Throws EdhocError with
   * `received` when the Responder sent an error message instead (e.g. code 2, see retryWithSuitesR).
   */
  parseMessage2(message2: Uint8Array): InitiatorProcessingM2 {
    this.consume('parseMessage2');
    const input = copy(message2);
    const { suite } = this;
    const trace = this.#cfg.trace;
    if (isErrorMessage(input)) throw EdhocError.fromPeer(decodeErrorMessage(input), 'message_2');
    const { gY, ciphertext2 } = decodeMessage2(input, publicKeyLength(suite.curve));
    const gYKey = peerPublicKey(suite.curve, gY, 'G_Y');
    const h1 = hashMessage1(suite, this.message1);
    const th2 = computeTh2(suite, gY, h1);
    const gXY = ecdh(suite.curve, this.#x, gYKey, 'G_XY');
    const prk2e = edhocExtract(suite, th2, gXY);
    const ks = keystream2(suite, prk2e, th2, ciphertext2.length);
    const plaintext2 = xor(ciphertext2, ks);
    report(trace, 'G_Y', gY);
    report(trace, 'H(message_1)', h1);
    report(trace, 'TH_2', th2);
    report(trace, 'G_XY', gXY);
    report(trace, 'PRK_2e', prk2e);
    report(trace, 'KEYSTREAM_2', ks);
    report(trace, 'CIPHERTEXT_2', ciphertext2);
    report(trace, 'PLAINTEXT_2', plaintext2);
    const pt = decodePlaintext2(plaintext2);
    checkSignatureOrMacLength(suite, responderUsesStaticDh(this.method), pt.signatureOrMac2, 'Signature_or_MAC_2');
    if (bytesEqual(pt.cR, this.connectionIdI)) {
      throw EdhocError.unspecified('C_R equals C_I, so the OSCORE Recipient IDs would collide', 'C_R equals C_I');
    }
    const ead2 = checkEad(pt.ead2, this.#cfg.understoodEad, 'EAD_2');
    return new InitiatorProcessingM2(
      { cfg: this.#cfg, suite, x: this.#x, gYKey, th2, prk2e, plaintext2, pt, connectionIdI: this.connectionIdI },
      ead2,
    );
  }

  /**
   * After the Responder's error code 2: a new InitiatorStart selecting the Initiator's most
   * preferred suite among SUITES_R (§6.3.1), with the same options otherwise.
   */
  retryWithSuitesR(suitesR: readonly number[] | EdhocError, overrides: Partial<InitiatorOptions> = {}): InitiatorStart {
    const list = suitesR instanceof EdhocError ? suitesR.suitesR : suitesR;
    if (!list) throw new StackError('ERR_INVALID_ARGUMENT', 'not an EDHOC error code 2 with SUITES_R');
    const choice = this.#cfg.suites.find((s) => list.includes(s));
    if (choice === undefined) throw new EdhocError(`no cipher suite in common: Initiator ${this.#cfg.suites.join(',')}, Responder ${list.join(',')}`);
    return new InitiatorStart({ ...this.#cfg.options, ...overrides, selectedSuite: choice });
  }
}

interface M2State {
  readonly cfg: Config;
  readonly suite: EdhocSuite;
  readonly x: KeyObject;
  readonly gYKey: KeyObject;
  readonly th2: Uint8Array;
  readonly prk2e: Uint8Array;
  readonly plaintext2: Uint8Array;
  readonly pt: Plaintext2;
  readonly connectionIdI: ConnectionId;
}

export class InitiatorProcessingM2 extends EdhocState {
  readonly method: EdhocMethod;
  readonly suite: EdhocSuite;
  readonly connectionIdI: ConnectionId;
  readonly connectionIdR: ConnectionId;
  /** ID_CRED_R: what the application looks the Responder's credential up by (or finds it in). */
  readonly idCredR: IdCred;
  readonly ead2: readonly EadItem[];
  readonly #s: M2State;

  /** @internal Created by InitiatorWaitM2.parseMessage2(). */
  constructor(s: M2State, ead2: readonly EadItem[]) {
    super();
    this.#s = s;
    this.method = s.cfg.method;
    this.suite = s.suite;
    this.connectionIdI = s.connectionIdI;
    this.connectionIdR = s.pt.cR;
    this.idCredR = s.pt.idCredR;
    this.ead2 = ead2;
  }

  /** Verifies Signature_or_MAC_2 with the Responder's credential CRED_R (§5.3.3). */
  verifyMessage2(credR: EdhocCredential): InitiatorProcessedM2 {
    this.consume('verifyMessage2');
    const s = this.#s;
    const { suite } = s;
    const trace = s.cfg.trace;
    const rStatic = responderUsesStaticDh(this.method);
    if (!idCredMatchesCredential(this.idCredR, credR.cred)) {
      throw EdhocError.unspecified('ID_CRED_R does not identify the given CRED_R', 'credential mismatch');
    }
    requirePeerKeyFits(suite, rStatic, credR.publicKey, 'CRED_R');
    let prk3e2m = s.prk2e;
    if (rStatic) {
      const salt = edhocKdf(suite, s.prk2e, KDF_SALT_3E2M, s.th2, suite.hashLength);
      const gRX = ecdh(suite.curve, s.x, credR.publicKey, 'G_RX');
      prk3e2m = edhocExtract(suite, salt, gRX);
      report(trace, 'SALT_3e2m', salt);
      report(trace, 'G_RX', gRX);
    }
    report(trace, 'PRK_3e2m', prk3e2m);
    const ctx2 = context2(s.pt.cRRaw, this.idCredR.encoded, s.th2, credR.cred, s.pt.ead2Raw);
    const mac2 = edhocKdf(suite, prk3e2m, KDF_MAC_2, ctx2, macLength(suite, rStatic));
    report(trace, 'context_2', ctx2);
    report(trace, 'MAC_2', mac2);
    report(trace, 'Signature_or_MAC_2', s.pt.signatureOrMac2);
    const ok = rStatic
      ? timingSafeEqualBytes(mac2, s.pt.signatureOrMac2)
      : verifyMacSignature(suite, credR.publicKey, this.idCredR.encoded, s.th2, credR.cred, s.pt.ead2Raw, mac2, s.pt.signatureOrMac2);
    if (!ok) throw EdhocError.unspecified('Signature_or_MAC_2 does not verify', 'message_2 authentication failed');
    const th3 = nextTh(suite, s.th2, s.plaintext2, credR.cred);
    report(trace, 'TH_3', th3);
    return new InitiatorProcessedM2({ cfg: s.cfg, suite, x: s.x, gYKey: s.gYKey, prk3e2m, th3, credR, connectionIdI: s.connectionIdI, connectionIdR: s.pt.cR });
  }

  /** Rejects the Responder (e.g. its credential is not trusted): the error message (code 1) to send. */
  reject(text = 'credential not accepted'): Uint8Array {
    this.consume('reject');
    return encodeErrorMessage(unspecifiedError(text));
  }

  /** ID_CRED_R names a credential the Initiator does not have: the error message (code 3) to send. */
  unknownCredential(): Uint8Array {
    this.consume('unknownCredential');
    return encodeErrorMessage(unknownCredentialError());
  }
}

interface M3State {
  readonly cfg: Config;
  readonly suite: EdhocSuite;
  readonly x: KeyObject;
  readonly gYKey: KeyObject;
  readonly prk3e2m: Uint8Array;
  readonly th3: Uint8Array;
  readonly credR: EdhocCredential;
  readonly connectionIdI: ConnectionId;
  readonly connectionIdR: ConnectionId;
}

export interface PrepareMessage3Options {
  readonly ead3?: readonly EadItem[];
}

export class InitiatorProcessedM2 extends EdhocState {
  readonly method: EdhocMethod;
  readonly suite: EdhocSuite;
  readonly connectionIdI: ConnectionId;
  readonly connectionIdR: ConnectionId;
  readonly peerCredential: EdhocCredential;
  readonly #s: M3State;

  /** @internal Created by InitiatorProcessingM2.verifyMessage2(). */
  constructor(s: M3State) {
    super();
    this.#s = s;
    this.method = s.cfg.method;
    this.suite = s.suite;
    this.connectionIdI = s.connectionIdI;
    this.connectionIdR = s.connectionIdR;
    this.peerCredential = s.credR;
  }

  /** Composes message_3 (§5.4.2) with the Initiator's credential; the session keys follow. */
  prepareMessage3(credI: EdhocLocalCredential, options: PrepareMessage3Options = {}): InitiatorDone {
    const s = this.#s;
    const { suite } = s;
    const trace = s.cfg.trace;
    const iStatic = initiatorUsesStaticDh(this.method);
    requireOwnKeyFits(suite, iStatic, credI.privateKey, 'prepareMessage3');
    this.consume('prepareMessage3');
    let prk4e3m = s.prk3e2m;
    if (iStatic) {
      const salt = edhocKdf(suite, s.prk3e2m, KDF_SALT_4E3M, s.th3, suite.hashLength);
      const gIY = ecdh(suite.curve, credI.privateKey, s.gYKey, 'G_IY');
      prk4e3m = edhocExtract(suite, salt, gIY);
      report(trace, 'SALT_4e3m', salt);
      report(trace, 'G_IY', gIY);
    }
    report(trace, 'PRK_4e3m', prk4e3m);
    const ead3Raw = encodeEad(options.ead3);
    const ctx3 = context3(credI.idCred.encoded, s.th3, credI.cred, ead3Raw);
    const mac3 = edhocKdf(suite, prk4e3m, KDF_MAC_3, ctx3, macLength(suite, iStatic));
    const sig3 = iStatic ? mac3 : signMac(suite, credI.privateKey, credI.idCred.encoded, s.th3, credI.cred, ead3Raw, mac3);
    const plaintext3 = encodePlaintext3(credI.idCred, sig3, ead3Raw);
    const k3 = edhocKdf(suite, s.prk3e2m, KDF_K_3, s.th3, suite.aead.keyLength);
    const iv3 = edhocKdf(suite, s.prk3e2m, KDF_IV_3, s.th3, suite.aead.nonceLength);
    const ciphertext3 = sealWithTh(suite, k3, iv3, plaintext3, s.th3);
    const message3 = encodeMessage3(ciphertext3);
    const th4 = nextTh(suite, s.th3, plaintext3, credI.cred);
    const prkOut = edhocKdf(suite, prk4e3m, KDF_PRK_OUT, th4, suite.hashLength);
    report(trace, 'context_3', ctx3);
    report(trace, 'MAC_3', mac3);
    report(trace, 'Signature_or_MAC_3', sig3);
    report(trace, 'PLAINTEXT_3', plaintext3);
    report(trace, 'A_3', encStructureFor(s.th3));
    report(trace, 'K_3', k3);
    report(trace, 'IV_3', iv3);
    report(trace, 'CIPHERTEXT_3', ciphertext3);
    report(trace, 'message_3', message3);
    report(trace, 'TH_4', th4);
    report(trace, 'PRK_out', prkOut);
    const done = new InitiatorDone(
      { role: 'initiator', method: this.method, suite, connectionIdI: s.connectionIdI, connectionIdR: s.connectionIdR, peerCredential: s.credR, prkOut },
      message3,
      prk4e3m,
      th4,
      s.cfg,
    );
    report(trace, 'PRK_exporter', done.exportPrkExporter());
    return done;
  }
}

export class InitiatorDone extends EdhocSession {
  /** message_3, to send. */
  readonly message3: Uint8Array;
  readonly #prk4e3m: Uint8Array;
  readonly #th4: Uint8Array;
  readonly #cfg: Config;
  #m4Used = false;

  /** @internal Created by InitiatorProcessedM2.prepareMessage3(). */
  constructor(init: ConstructorParameters<typeof EdhocSession>[0], message3: Uint8Array, prk4e3m: Uint8Array, th4: Uint8Array, cfg: Config) {
    super(init);
    this.message3 = message3;
    this.#prk4e3m = prk4e3m;
    this.#th4 = th4;
    this.#cfg = cfg;
  }

  /**
   * Processes message_4 (§5.5.3) and returns EAD_4; throws EdhocError with `received` when the
   * Responder answered message_3 with an error message.
   */
  processMessage4(message4: Uint8Array): readonly EadItem[] {
    if (this.#m4Used) throw new EdhocError('InitiatorDone.processMessage4: message_4 has already been processed');
    this.#m4Used = true;
    const input = copy(message4);
    const { suite } = this;
    const trace = this.#cfg.trace;
    if (isErrorMessage(input)) throw EdhocError.fromPeer(decodeErrorMessage(input), 'message_4');
    const ciphertext4 = decodeMessage4(input);
    const k4 = edhocKdf(suite, this.#prk4e3m, KDF_K_4, this.#th4, suite.aead.keyLength);
    const iv4 = edhocKdf(suite, this.#prk4e3m, KDF_IV_4, this.#th4, suite.aead.nonceLength);
    report(trace, 'K_4', k4);
    report(trace, 'IV_4', iv4);
    report(trace, 'A_4', encStructureFor(this.#th4));
    report(trace, 'CIPHERTEXT_4', ciphertext4);
    const plaintext4 = openWithTh(suite, k4, iv4, ciphertext4, this.#th4, 'message_4');
    report(trace, 'PLAINTEXT_4', plaintext4);
    return checkEad(decodePlaintext4(plaintext4), this.#cfg.understoodEad, 'EAD_4');
  }
}
