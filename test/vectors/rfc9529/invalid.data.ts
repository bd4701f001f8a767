/**
 * RFC 9529 (Traces of EDHOC), Section 4: "Invalid Traces" — messages a compliant implementation
 * must or may reject. https://www.rfc-editor.org/rfc/rfc9529#section-4
 *
 * Hex as printed in the RFC, keyed by the subsection title.
 */
export interface InvalidVector {
  readonly title: string;
  readonly what: string;
  readonly hex: string;
}

export const RFC9529_S4_INVALID: readonly InvalidVector[] = Object.freeze([
  { title: "Surplus array encoding of message", what: "message_1", hex: `
84 03 02 58 20 74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b ea 5b
3d 8f 65 f3 26 20 b7 49 be e8 d2 78 ef a9 0e
` },
  { title: "Surplus bstr encoding of connection identifier", what: "message_1", hex: `
03 02 58 20 74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b ea 5b 3d
8f 65 f3 26 20 b7 49 be e8 d2 78 ef a9 41 0e
` },
  { title: "Surplus array encoding of ciphersuite", what: "message_1", hex: `
03 81 02 58 20 74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b ea 5b
3d 8f 65 f3 26 20 b7 49 be e8 d2 78 ef a9 0e
` },
  { title: "Text string encoding of ephemeral key", what: "message_1", hex: `
03 02 78 20 20 61 69 72 20 73 70 65 65 64 20 6F 66 20 61 20 75 6E 6C
61 64 65 6E 20 73 77 61 6C 6C 6F 77 20 0e
` },
  { title: "Wrong number of CBOR sequence elements", what: "message_2", hex: `
58 20 41 97 01 d7 f0 0a 26 c2 dc 58 7a 36 dd 75 25 49 f3 37 63 c8 93
42 2c 8e a0 f9 55 a1 3a 4f f5 d5 4B 98 62 a1 1d e4 2a 95 d7 85 38 6a
` },
  { title: "Surplus map encoding of ID_CRED field", what: "PLAINTEXT_2", hex: `
27 a1 04 42 32 10 48 fa 5e fa 2e bf 92 0b f3
` },
  { title: "Surplus bstr encoding of ID_CRED field", what: "PLAINTEXT_2", hex: `
27 41 32 48 fa 5e fa 2e bf 92 0b f3
` },
  { title: "Error in length of ephemeral key", what: "message_1", hex: `
03 82 02 18 18 58 20 74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b
ea 5b 3d 8f 65 f3 26 20 b7 49 be e8 d2 78 ef a9 0e
` },
  { title: "Error in elliptic curve representation", what: "message_1", hex: `
03 02 58 20 ff ff ff ff 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00
00 ff ff ff ff ff ff ff ff ff ff ff ff 0e
` },
  { title: "Error in elliptic curve point", what: "message_1", hex: `
03 02 58 20 a0 4e 73 60 1d f5 44 a7 0b a7 ea 1e 57 03 0f 7d 4b 4e b7
f6 73 92 4e 58 d5 4c a7 7a 5e 7d 4d 4a 0e
` },
  { title: "Curve point of low order", what: "message_1", hex: `
03 00 58 20 ed ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff
ff ff ff ff ff ff ff ff ff ff ff ff 7f 0e
` },
  { title: "Error in length of MAC", what: "PLAINTEXT_2", hex: `
27 32 44 fa 5e fa 2e
` },
  { title: "Error in elliptic curve encoding", what: "message_1", hex: `
03 02 58 1f d9 69 77 25 d2 3a 68 8b 12 d1 c7 e0 10 8a 08 c9 f7 1a 85
a0 9c 20 81 49 76 ab 21 12 22 48 fc 0e
` },
  { title: "Unnecessary long encoding", what: "message_1", hex: `
19 00 03 02 58 20 74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b ea
5b 3d 8f 65 f3 26 20 b7 49 be e8 d2 78 ef a9 0e
` },
  { title: "Indefinite-length array encoding", what: "message_1", hex: `
03 9F 06 02 FF 58 20 74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b
ea 5b 3d 8f 65 f3 26 20 b7 49 be e8 d2 78 ef a9 0e
` },
]);
