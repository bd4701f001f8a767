/**
 * The EDHOC Responder (RFC 9528 §5) as typestates:
 *
 *   ResponderStart.processMessage1(message_1)       → ResponderProcessingM1 (METHOD, SUITES_I, C_I, EAD_1)
 *   ResponderProcessingM1.prepareMessage2(CRED_R)   → ResponderWaitM3       (.message2 to send)
 *   ResponderWaitM3.parseMessage3(message_3)        → ResponderProcessingM3 (ID_CRED_I, EAD_3)
 *        the application looks up / judges the Initiator's credential, then
 *   ResponderProcessingM3.verifyMessage3(CRED_I)    → ResponderDone         (exporter)
 *   ResponderDone.prepareMessage4(EAD_4)            → message_4             (optional)
 *
 * ResponderStart is reusable (one per endpoint); every other state belongs to one session and
 * holds only data, so the caller keeps half-open sessions (ResponderWaitM3) in a bounded table
 * keyed by C_R and expires them as it likes. Failures throw EdhocError whose `replyMessage` is the
 * error message to send (e.g. error code 2 with SUITES_R for an unsupported selected suite).
 */
import type { KeyObject } from 'node:crypto';
import { bytesEqual } from '../../core/bytes.ts';
import { StackError } from '../../core/errors.ts';
import { cryptoRandom, type Random } from '../../core/random.ts';
import { checkSignatureOrMacLength, copy, encStructureFor, openWithTh, randomConnectionId, requireOwnKeyFits, requirePeerKeyFits, sealWithTh } from './common.ts';
import { idCredMatchesCredential, type EdhocCredential, type EdhocLocalCredential } from './credentials.ts';
import { checkEad, encodeEad, type EadItem } from './ead.ts';
import { ecdh, generateEphemeralKey, peerPublicKey } from './ecdh.ts';
import { EdhocError, encodeErrorMessage, unknownCredentialError, unspecifiedError, wrongSelectedSuiteError } from './edhoc-error.ts';
import type { IdCred } from './id-cred.ts';
import { connectionId, encodeIdentifier, type ConnectionId } from './identifiers.ts';
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
  decodeMessage1,
  decodeMessage3,
  decodePlaintext3,
  encodeMessage2,
  encodeMessage4,
  encodePlaintext2,
  isErrorMessage,
  type Plaintext3,
} from './messages.ts';
import { EdhocSession } from './session.ts';
import { EdhocState } from './state.ts';
import { edhocSuite, initiatorUsesStaticDh, isEdhocMethod, responderUsesStaticDh, type EdhocMethod, type EdhocSuite } from './suites.ts';
import { report, type EdhocTraceHook } from './trace.ts';

export interface ResponderOptions {
  /** The cipher suites the Responder supports (SUITES_R lists them when none of SUITES_I fits). */
  readonly suites: readonly number[];
  /** The methods accepted (default: all four). */
  readonly methods?: readonly EdhocMethod[];
  /** |ead_label| values the application processes; unknown critical items fail the session. */
  readonly understoodEad?: readonly number[];
  /** Source of the ephemeral private key and the default C_R. */
  readonly random?: Random;
  /** Reports intermediate values (tests only: they include secrets). */
  readonly trace?: EdhocTraceHook;
}

interface Config {
  readonly suites: readonly number[];
  readonly methods: readonly EdhocMethod[];
  readonly understoodEad: readonly number[];
  readonly random: Random;
  readonly trace: EdhocTraceHook | undefined;
}

export class ResponderStart {
  readonly #cfg: Config;

  constructor(options: ResponderOptions) {
    if (options.suites.length === 0) throw new StackError('ERR_CONFIG', 'the Responder needs at least one cipher suite');
    for (const s of options.suites) if (!edhocSuite(s)) throw new StackError('ERR_CONFIG', `cipher suite ${s} is not implemented`);
    const methods = options.methods ?? [0, 1, 2, 3];
    for (const m of methods) if (!isEdhocMethod(m)) throw new StackError('ERR_CONFIG', `EDHOC method ${String(m)} is not 0..3`);
    this.#cfg = Object.freeze({
      suites: Object.freeze([...options.suites]),
      methods: Object.freeze([...methods]),
      understoodEad: Object.freeze([...(options.understoodEad ?? [])]),
      random: options.random ?? cryptoRandom,
      trace: options.trace,
    });
  }

  /** The Responder's supported suites. */
  get suites(): readonly number[] {
    return this.#cfg.suites;
  }

  /**
   * Decodes and checks message_1 (§5.2.3): the method, the selected suite (the first suite of
   * SUITES_I the Responder supports must be the selected one, else error code 2), G_X, C_I, EAD_1.
   */
  processMessage1(message1: Uint8Array): ResponderProcessingM1 {
    const cfg = this.#cfg;
    const input = copy(message1);
    report(cfg.trace, 'message_1', input);
    const m1 = decodeMessage1(input);
    const method = m1.method;
    if (!isEdhocMethod(method) || !cfg.methods.includes(method)) {
      throw EdhocError.unspecified(`EDHOC method ${method} is not supported`, 'method not supported', { method });
    }
    const selected = m1.suitesI[m1.suitesI.length - 1]!;
    const firstSupported = m1.suitesI.findIndex((s) => cfg.suites.includes(s));
    if (firstSupported !== m1.suitesI.length - 1) {
      const suitesR = firstSupported < 0 ? cfg.suites : [m1.suitesI[firstSupported]!];
      throw new EdhocError(`selected cipher suite ${selected} is not the first of SUITES_I [${m1.suitesI.join(', ')}] that the Responder supports`, {
        reply: wrongSelectedSuiteError(suitesR),
        details: { selectedSuite: selected },
      });
    }
    const suite = edhocSuite(selected)!;
    const gXKey = peerPublicKey(suite.curve, m1.gX, 'G_X');
    report(cfg.trace, 'G_X', m1.gX);
    const ead1 = checkEad(m1.ead1, cfg.understoodEad, 'EAD_1');
    return new ResponderProcessingM1(cfg, method, suite, m1.suitesI, m1.gX, gXKey, m1.cI, ead1, input);
  }
}

export interface PrepareMessage2Options {
  /** The Responder's credential and private authentication key. */
  readonly credential: EdhocLocalCredential;
  /** C_R (default: a random one-byte identifier other than C_I). */
  readonly connectionId?: Uint8Array;
  readonly ead2?: readonly EadItem[];
}

export class ResponderProcessingM1 extends EdhocState {
  readonly method: EdhocMethod;
  readonly suite: EdhocSuite;
  readonly suitesI: readonly number[];
  readonly connectionIdI: ConnectionId;
  readonly ead1: readonly EadItem[];
  readonly message1: Uint8Array;
  readonly gX: Uint8Array;
  readonly #cfg: Config;
  readonly #gXKey: KeyObject;

  /** @internal Created by ResponderStart.processMessage1(). */
  constructor(
    cfg: Config,
    method: EdhocMethod,
    suite: EdhocSuite,
    suitesI: readonly number[],
    gX: Uint8Array,
    gXKey: KeyObject,
    cI: ConnectionId,
    ead1: readonly EadItem[],
    message1: Uint8Array,
  ) {
    super();
    this.#cfg = cfg;
    this.method = method;
    this.suite = suite;
    this.suitesI = suitesI;
    this.gX = gX;
    this.#gXKey = gXKey;
    this.connectionIdI = cI;
    this.ead1 = ead1;
    this.message1 = message1;
  }

  /** Composes message_2 (§5.3.2). */
  prepareMessage2(options: PrepareMessage2Options): ResponderWaitM3 {
    const cfg = this.#cfg;
    const { suite } = this;
    const trace = cfg.trace;
    const rStatic = responderUsesStaticDh(this.method);
    const cred = options.credential;
    requireOwnKeyFits(suite, rStatic, cred.privateKey, 'prepareMessage2');
    if (options.connectionId && bytesEqual(options.connectionId, this.connectionIdI)) {
      throw new StackError('ERR_INVALID_ARGUMENT', 'C_R must differ from C_I (they become the OSCORE Recipient IDs)');
    }
    this.consume('prepareMessage2');
    const eph = generateEphemeralKey(suite.curve, cfg.random);
    const cR = options.connectionId ? connectionId(options.connectionId) : randomConnectionId(cfg.random, this.connectionIdI);
    const h1 = hashMessage1(suite, this.message1);
    const th2 = computeTh2(suite, eph.publicKey, h1);
    const gXY = ecdh(suite.curve, eph.privateKey, this.#gXKey, 'G_XY');
    const prk2e = edhocExtract(suite, th2, gXY);
    report(trace, 'G_Y', eph.publicKey);
    report(trace, 'H(message_1)', h1);
    report(trace, 'TH_2', th2);
    report(trace, 'G_XY', gXY);
    report(trace, 'PRK_2e', prk2e);
    let prk3e2m = prk2e;
    if (rStatic) {
      const salt = edhocKdf(suite, prk2e, KDF_SALT_3E2M, th2, suite.hashLength);
      const gRX = ecdh(suite.curve, cred.privateKey, this.#gXKey, 'G_RX');
      prk3e2m = edhocExtract(suite, salt, gRX);
      report(trace, 'SALT_3e2m', salt);
      report(trace, 'G_RX', gRX);
    }
    report(trace, 'PRK_3e2m', prk3e2m);
    const ead2Raw = encodeEad(options.ead2);
    const ctx2 = context2(encodeIdentifier(cR), cred.idCred.encoded, th2, cred.cred, ead2Raw);
    const mac2 = edhocKdf(suite, prk3e2m, KDF_MAC_2, ctx2, macLength(suite, rStatic));
    const sig2 = rStatic ? mac2 : signMac(suite, cred.privateKey, cred.idCred.encoded, th2, cred.cred, ead2Raw, mac2);
    const plaintext2 = encodePlaintext2(cR, cred.idCred, sig2, ead2Raw);
    const ks = keystream2(suite, prk2e, th2, plaintext2.length);
    const ciphertext2 = xor(plaintext2, ks);
    const message2 = encodeMessage2(eph.publicKey, ciphertext2);
    const th3 = nextTh(suite, th2, plaintext2, cred.cred);
    report(trace, 'context_2', ctx2);
    report(trace, 'MAC_2', mac2);
    report(trace, 'Signature_or_MAC_2', sig2);
    report(trace, 'PLAINTEXT_2', plaintext2);
    report(trace, 'KEYSTREAM_2', ks);
    report(trace, 'CIPHERTEXT_2', ciphertext2);
    report(trace, 'message_2', message2);
    report(trace, 'TH_3', th3);
    return new ResponderWaitM3({ cfg, method: this.method, suite, y: eph.privateKey, prk3e2m, th3, connectionIdI: this.connectionIdI, connectionIdR: cR }, message2);
  }

  /** Refuses the session (e.g. EAD_1 not acceptable): the error message (code 1) to send. */
  reject(text = 'message_1 not accepted'): Uint8Array {
    this.consume('reject');
    return encodeErrorMessage(unspecifiedError(text));
  }
}

interface M3State {
  readonly cfg: Config;
  readonly method: EdhocMethod;
  readonly suite: EdhocSuite;
  readonly y: KeyObject;
  readonly prk3e2m: Uint8Array;
  readonly th3: Uint8Array;
  readonly connectionIdI: ConnectionId;
  readonly connectionIdR: ConnectionId;
}

/** A half-open session: message_2 sent, message_3 awaited. */
export class ResponderWaitM3 extends EdhocState {
  readonly method: EdhocMethod;
  readonly suite: EdhocSuite;
  readonly connectionIdI: ConnectionId;
  readonly connectionIdR: ConnectionId;
  /** message_2, to send. */
  readonly message2: Uint8Array;
  readonly #s: M3State;

  /** @internal Created by ResponderProcessingM1.prepareMessage2(). */
  constructor(s: M3State, message2: Uint8Array) {
    super();
    this.#s = s;
    this.method = s.method;
    this.suite = s.suite;
    this.connectionIdI = s.connectionIdI;
    this.connectionIdR = s.connectionIdR;
    this.message2 = message2;
  }

  /**
   * Decrypts message_3 (§5.4.3) and exposes ID_CRED_I and EAD_3. Throws EdhocError with `received`
   * when the Initiator sent an error message instead.
   */
  parseMessage3(message3: Uint8Array): ResponderProcessingM3 {
    this.consume('parseMessage3');
    const s = this.#s;
    const { suite } = s;
    const trace = s.cfg.trace;
    const input = copy(message3);
    if (isErrorMessage(input)) throw EdhocError.fromPeer(decodeErrorMessage(input), 'message_3');
    const ciphertext3 = decodeMessage3(input);
    const k3 = edhocKdf(suite, s.prk3e2m, KDF_K_3, s.th3, suite.aead.keyLength);
    const iv3 = edhocKdf(suite, s.prk3e2m, KDF_IV_3, s.th3, suite.aead.nonceLength);
    report(trace, 'K_3', k3);
    report(trace, 'IV_3', iv3);
    report(trace, 'A_3', encStructureFor(s.th3));
    report(trace, 'CIPHERTEXT_3', ciphertext3);
    const plaintext3 = openWithTh(suite, k3, iv3, ciphertext3, s.th3, 'message_3');
    report(trace, 'PLAINTEXT_3', plaintext3);
    const pt = decodePlaintext3(plaintext3);
    checkSignatureOrMacLength(suite, initiatorUsesStaticDh(s.method), pt.signatureOrMac3, 'Signature_or_MAC_3');
    const ead3 = checkEad(pt.ead3, s.cfg.understoodEad, 'EAD_3');
    return new ResponderProcessingM3(s, plaintext3, pt, ead3);
  }
}

export class ResponderProcessingM3 extends EdhocState {
  readonly method: EdhocMethod;
  readonly suite: EdhocSuite;
  readonly connectionIdI: ConnectionId;
  readonly connectionIdR: ConnectionId;
  /** ID_CRED_I: what the application looks the Initiator's credential up by (or finds it in). */
  readonly idCredI: IdCred;
  readonly ead3: readonly EadItem[];
  readonly #s: M3State;
  readonly #plaintext3: Uint8Array;
  readonly #pt: Plaintext3;

  /** @internal Created by ResponderWaitM3.parseMessage3(). */
  constructor(s: M3State, plaintext3: Uint8Array, pt: Plaintext3, ead3: readonly EadItem[]) {
    super();
    this.#s = s;
    this.#plaintext3 = plaintext3;
    this.#pt = pt;
    this.method = s.method;
    this.suite = s.suite;
    this.connectionIdI = s.connectionIdI;
    this.connectionIdR = s.connectionIdR;
    this.idCredI = pt.idCredI;
    this.ead3 = ead3;
  }

  /** Verifies Signature_or_MAC_3 with the Initiator's credential CRED_I (§5.4.3). */
  verifyMessage3(credI: EdhocCredential): ResponderDone {
    this.consume('verifyMessage3');
    const s = this.#s;
    const pt = this.#pt;
    const { suite } = s;
    const trace = s.cfg.trace;
    const iStatic = initiatorUsesStaticDh(s.method);
    if (!idCredMatchesCredential(this.idCredI, credI.cred)) {
      throw EdhocError.unspecified('ID_CRED_I does not identify the given CRED_I', 'credential mismatch');
    }
    requirePeerKeyFits(suite, iStatic, credI.publicKey, 'CRED_I');
    let prk4e3m = s.prk3e2m;
    if (iStatic) {
      const salt = edhocKdf(suite, s.prk3e2m, KDF_SALT_4E3M, s.th3, suite.hashLength);
      const gIY = ecdh(suite.curve, s.y, credI.publicKey, 'G_IY');
      prk4e3m = edhocExtract(suite, salt, gIY);
      report(trace, 'SALT_4e3m', salt);
      report(trace, 'G_IY', gIY);
    }
    report(trace, 'PRK_4e3m', prk4e3m);
    const ctx3 = context3(this.idCredI.encoded, s.th3, credI.cred, pt.ead3Raw);
    const mac3 = edhocKdf(suite, prk4e3m, KDF_MAC_3, ctx3, macLength(suite, iStatic));
    report(trace, 'context_3', ctx3);
    report(trace, 'MAC_3', mac3);
    report(trace, 'Signature_or_MAC_3', pt.signatureOrMac3);
    const ok = iStatic
      ? timingSafeEqualBytes(mac3, pt.signatureOrMac3)
      : verifyMacSignature(suite, credI.publicKey, this.idCredI.encoded, s.th3, credI.cred, pt.ead3Raw, mac3, pt.signatureOrMac3);
    if (!ok) throw EdhocError.unspecified('Signature_or_MAC_3 does not verify', 'message_3 authentication failed');
    const th4 = nextTh(suite, s.th3, this.#plaintext3, credI.cred);
    const prkOut = edhocKdf(suite, prk4e3m, KDF_PRK_OUT, th4, suite.hashLength);
    report(trace, 'TH_4', th4);
    report(trace, 'PRK_out', prkOut);
    const done = new ResponderDone(
      { role: 'responder', method: s.method, suite, connectionIdI: s.connectionIdI, connectionIdR: s.connectionIdR, peerCredential: credI, prkOut },
      prk4e3m,
      th4,
      s.cfg,
    );
    report(trace, 'PRK_exporter', done.exportPrkExporter());
    return done;
  }

  /** Rejects the Initiator (e.g. its certificate chain is not trusted): the error message (code 1) to send. */
  reject(text = 'credential not accepted'): Uint8Array {
    this.consume('reject');
    return encodeErrorMessage(unspecifiedError(text));
  }

  /** ID_CRED_I names a credential the Responder does not have: the error message (code 3) to send. */
  unknownCredential(): Uint8Array {
    this.consume('unknownCredential');
    return encodeErrorMessage(unknownCredentialError());
  }
}

export class ResponderDone extends EdhocSession {
  readonly #prk4e3m: Uint8Array;
  readonly #th4: Uint8Array;
  readonly #cfg: Config;
  #m4Used = false;

  /** @internal Created by ResponderProcessingM3.verifyMessage3(). */
  constructor(init: ConstructorParameters<typeof EdhocSession>[0], prk4e3m: Uint8Array, th4: Uint8Array, cfg: Config) {
    super(init);
    this.#prk4e3m = prk4e3m;
    this.#th4 = th4;
    this.#cfg = cfg;
  }

  /** Composes message_4 (§5.5.2), for deployments that use it. */
  prepareMessage4(ead4?: readonly EadItem[]): Uint8Array {
    if (this.#m4Used) throw new EdhocError('ResponderDone.prepareMessage4: message_4 has already been composed');
    this.#m4Used = true;
    const { suite } = this;
    const trace = this.#cfg.trace;
    const k4 = edhocKdf(suite, this.#prk4e3m, KDF_K_4, this.#th4, suite.aead.keyLength);
    const iv4 = edhocKdf(suite, this.#prk4e3m, KDF_IV_4, this.#th4, suite.aead.nonceLength);
    const plaintext4 = encodeEad(ead4);
    const ciphertext4 = sealWithTh(suite, k4, iv4, plaintext4, this.#th4);
    const message4 = encodeMessage4(ciphertext4);
    report(trace, 'K_4', k4);
    report(trace, 'IV_4', iv4);
    report(trace, 'A_4', encStructureFor(this.#th4));
    report(trace, 'PLAINTEXT_4', plaintext4);
    report(trace, 'CIPHERTEXT_4', ciphertext4);
    report(trace, 'message_4', message4);
    return message4;
  }
}
