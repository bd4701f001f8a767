/**
 * RFC 8613 Appendix C test vectors, as printed in the RFC
 * (https://www.rfc-editor.org/rfc/rfc8613#appendix-C). Hex strings are copied verbatim (the RFC
 * prints them with a 0x prefix, dropped here); lines the RFC wraps are joined.
 */

const MASTER_SECRET = '0102030405060708090a0b0c0d0e0f10';
const MASTER_SALT = '9e7ca92223786340';

export interface KeyDerivationVector {
  readonly section: string;
  readonly masterSecret: string;
  readonly masterSalt?: string;
  readonly senderId: string;
  readonly recipientId: string;
  readonly idContext?: string;
  readonly infoSenderKey: string;
  readonly infoRecipientKey: string;
  readonly infoCommonIv: string;
  readonly senderKey: string;
  readonly recipientKey: string;
  readonly commonIv: string;
  /** With Partial IV 0 (both for sender and recipient). */
  readonly senderNonce: string;
  readonly recipientNonce: string;
}

/** C.1-C.3: key derivation with Master Salt, without it, and with ID Context. */
export const KEY_DERIVATION: readonly KeyDerivationVector[] = [
  {
    section: 'C.1.1 (client, with Master Salt)',
    masterSecret: MASTER_SECRET,
    masterSalt: MASTER_SALT,
    senderId: '',
    recipientId: '01',
    infoSenderKey: '8540f60a634b657910',
    infoRecipientKey: '854101f60a634b657910',
    infoCommonIv: '8540f60a6249560d',
    senderKey: 'f0910ed7295e6ad4b54fc793154302ff',
    recipientKey: 'ffb14e093c94c9cac9471648b4f98710',
    commonIv: '4622d4dd6d944168eefb54987c',
    senderNonce: '4622d4dd6d944168eefb54987c',
    recipientNonce: '4722d4dd6d944169eefb54987c',
  },
  {
    section: 'C.1.2 (server, with Master Salt)',
    masterSecret: MASTER_SECRET,
    masterSalt: MASTER_SALT,
    senderId: '01',
    recipientId: '',
    infoSenderKey: '854101f60a634b657910',
    infoRecipientKey: '8540f60a634b657910',
    infoCommonIv: '8540f60a6249560d',
    senderKey: 'ffb14e093c94c9cac9471648b4f98710',
    recipientKey: 'f0910ed7295e6ad4b54fc793154302ff',
    commonIv: '4622d4dd6d944168eefb54987c',
    senderNonce: '4722d4dd6d944169eefb54987c',
    recipientNonce: '4622d4dd6d944168eefb54987c',
  },
  {
    section: 'C.2.1 (client, without Master Salt)',
    masterSecret: MASTER_SECRET,
    senderId: '00',
    recipientId: '01',
    infoSenderKey: '854100f60a634b657910',
    infoRecipientKey: '854101f60a634b657910',
    infoCommonIv: '8540f60a6249560d',
    senderKey: '321b26943253c7ffb6003b0b64d74041',
    recipientKey: 'e57b5635815177cd679ab4bcec9d7dda',
    commonIv: 'be35ae297d2dace910c52e99f9',
    senderNonce: 'bf35ae297d2dace910c52e99f9',
    recipientNonce: 'bf35ae297d2dace810c52e99f9',
  },
  {
    section: 'C.2.2 (server, without Master Salt)',
    masterSecret: MASTER_SECRET,
    senderId: '01',
    recipientId: '00',
    infoSenderKey: '854101f60a634b657910',
    infoRecipientKey: '854100f60a634b657910',
    infoCommonIv: '8540f60a6249560d',
    senderKey: 'e57b5635815177cd679ab4bcec9d7dda',
    recipientKey: '321b26943253c7ffb6003b0b64d74041',
    commonIv: 'be35ae297d2dace910c52e99f9',
    senderNonce: 'bf35ae297d2dace810c52e99f9',
    recipientNonce: 'bf35ae297d2dace910c52e99f9',
  },
  {
    section: 'C.3.1 (client, with ID Context)',
    masterSecret: MASTER_SECRET,
    masterSalt: MASTER_SALT,
    senderId: '',
    recipientId: '01',
    idContext: '37cbf3210017a2d3',
    infoSenderKey: '85404837cbf3210017a2d30a634b657910',
    infoRecipientKey: '8541014837cbf3210017a2d30a634b657910',
    infoCommonIv: '85404837cbf3210017a2d30a6249560d',
    senderKey: 'af2a1300a5e95788b356336eeecd2b92',
    recipientKey: 'e39a0c7c77b43f03b4b39ab9a268699f',
    commonIv: '2ca58fb85ff1b81c0b7181b85e',
    senderNonce: '2ca58fb85ff1b81c0b7181b85e',
    recipientNonce: '2da58fb85ff1b81d0b7181b85e',
  },
  {
    section: 'C.3.2 (server, with ID Context)',
    masterSecret: MASTER_SECRET,
    masterSalt: MASTER_SALT,
    senderId: '01',
    recipientId: '',
    idContext: '37cbf3210017a2d3',
    infoSenderKey: '8541014837cbf3210017a2d30a634b657910',
    infoRecipientKey: '85404837cbf3210017a2d30a634b657910',
    infoCommonIv: '85404837cbf3210017a2d30a6249560d',
    senderKey: 'e39a0c7c77b43f03b4b39ab9a268699f',
    recipientKey: 'af2a1300a5e95788b356336eeecd2b92',
    commonIv: '2ca58fb85ff1b81c0b7181b85e',
    senderNonce: '2da58fb85ff1b81d0b7181b85e',
    recipientNonce: '2ca58fb85ff1b81c0b7181b85e',
  },
];

export interface RequestVector {
  readonly section: string;
  /** Key derivation vectors of the client and the server. */
  readonly client: string;
  readonly server: string;
  readonly unprotected: string;
  readonly senderSequenceNumber: number;
  readonly partialIv: string;
  readonly kid: string;
  readonly kidContext?: string;
  readonly aadArray: string;
  readonly aad: string;
  readonly plaintext: string;
  readonly encryptionKey: string;
  readonly nonce: string;
  readonly oscoreOption: string;
  readonly ciphertext: string;
  readonly protected: string;
}

/** C.4-C.6: protected GET requests (Uri-Host "localhost" outer, Uri-Path "tv1" inner). */
export const REQUESTS: readonly RequestVector[] = [
  {
    section: 'C.4',
    client: 'C.1.1 (client, with Master Salt)',
    server: 'C.1.2 (server, with Master Salt)',
    unprotected: '44015d1f00003974396c6f63616c686f737483747631',
    senderSequenceNumber: 20,
    partialIv: '14',
    kid: '',
    aadArray: '8501810a40411440',
    aad: '8368456e63727970743040488501810a40411440',
    plaintext: '01b3747631',
    encryptionKey: 'f0910ed7295e6ad4b54fc793154302ff',
    nonce: '4622d4dd6d944168eefb549868',
    oscoreOption: '0914',
    ciphertext: '612f1092f1776f1c1668b3825e',
    protected: '44025d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c1668b3825e',
  },
  {
    section: 'C.5',
    client: 'C.2.1 (client, without Master Salt)',
    server: 'C.2.2 (server, without Master Salt)',
    unprotected: '440171c30000b932396c6f63616c686f737483747631',
    senderSequenceNumber: 20,
    partialIv: '14',
    kid: '00',
    aadArray: '8501810a4100411440',
    aad: '8368456e63727970743040498501810a4100411440',
    plaintext: '01b3747631',
    encryptionKey: '321b26943253c7ffb6003b0b64d74041',
    nonce: 'bf35ae297d2dace910c52e99ed',
    oscoreOption: '091400',
    ciphertext: '4ed339a5a379b0b8bc731fffb0',
    protected: '440271c30000b932396c6f63616c686f737463091400ff4ed339a5a379b0b8bc731fffb0',
  },
  {
    section: 'C.6',
    client: 'C.3.1 (client, with ID Context)',
    server: 'C.3.2 (server, with ID Context)',
    unprotected: '44012f8eef9bbf7a396c6f63616c686f737483747631',
    senderSequenceNumber: 20,
    partialIv: '14',
    kid: '',
    kidContext: '37cbf3210017a2d3',
    aadArray: '8501810a40411440',
    aad: '8368456e63727970743040488501810a40411440',
    plaintext: '01b3747631',
    encryptionKey: 'af2a1300a5e95788b356336eeecd2b92',
    nonce: '2ca58fb85ff1b81c0b7181b84a',
    oscoreOption: '19140837cbf3210017a2d3',
    ciphertext: '72cd7273fd331ac45cffbe55c3',
    protected: '44022f8eef9bbf7a396c6f63616c686f73746b19140837cbf3210017a2d3ff72cd7273fd331ac45cffbe55c3',
  },
];

export interface ResponseVector {
  readonly section: string;
  /** The request this answers (C.4). */
  readonly request: string;
  readonly unprotected: string;
  readonly serverSequenceNumber: number;
  readonly partialIv?: string;
  readonly aadArray: string;
  readonly aad: string;
  readonly plaintext: string;
  readonly encryptionKey: string;
  readonly nonce: string;
  readonly oscoreOption: string;
  readonly ciphertext: string;
  readonly protected: string;
}

/** C.7-C.8: protected 2.05 "Hello World!" responses to the C.4 request. */
export const RESPONSES: readonly ResponseVector[] = [
  {
    section: 'C.7 (without Partial IV)',
    request: 'C.4',
    unprotected: '64455d1f00003974ff48656c6c6f20576f726c6421',
    serverSequenceNumber: 0,
    aadArray: '8501810a40411440',
    aad: '8368456e63727970743040488501810a40411440',
    plaintext: '45ff48656c6c6f20576f726c6421',
    encryptionKey: 'ffb14e093c94c9cac9471648b4f98710',
    nonce: '4622d4dd6d944168eefb549868',
    oscoreOption: '',
    ciphertext: 'dbaad1e9a7e7b2a813d3c31524378303cdafae119106',
    protected: '64445d1f0000397490ffdbaad1e9a7e7b2a813d3c31524378303cdafae119106',
  },
  {
    section: 'C.8 (with Partial IV)',
    request: 'C.4',
    unprotected: '64455d1f00003974ff48656c6c6f20576f726c6421',
    serverSequenceNumber: 0,
    partialIv: '00',
    aadArray: '8501810a40411440',
    aad: '8368456e63727970743040488501810a40411440',
    plaintext: '45ff48656c6c6f20576f726c6421',
    encryptionKey: 'ffb14e093c94c9cac9471648b4f98710',
    nonce: '4722d4dd6d944169eefb54987c',
    oscoreOption: '0100',
    ciphertext: '4d4c13669384b67354b2b6175ff4b8658c666a6cf88e',
    protected: '64445d1f00003974920100ff4d4c13669384b67354b2b6175ff4b8658c666a6cf88e',
  },
];
