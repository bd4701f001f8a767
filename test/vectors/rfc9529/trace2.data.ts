/**
 * RFC 9529 (Traces of EDHOC), Section 3: "Authentication with Static DH, CCS Identified by 'kid'"
 * — METHOD 3; the Initiator first selects cipher suite 6, the Responder answers error code 2 with
 * SUITES_R = 2, and the second message_1 selects suite 2 (P-256, AES-CCM-16-64-128, SHA-256).
 * https://www.rfc-editor.org/rfc/rfc9529#section-3
 *
 * Every hex value as printed in the RFC (one entry per figure, keyed by its caption without the
 * byte count; the figures of the first message_1, Section 3.1, are prefixed "first ").
 */
export const RFC9529_S3_TRACE2: Readonly<Record<string, string>> = Object.freeze({
  // message_1 (first time): METHOD (CBOR Data Item) (1 byte)
  "first METHOD (CBOR Data Item)": `
03
`,
  // message_1 (first time): SUITES_I (CBOR Data Item) (1 byte)
  "first SUITES_I (CBOR Data Item)": `
06
`,
  // message_1 (first time): Initiator's ephemeral private key / X (Raw Value) (32 bytes)
  "first X (Raw Value)": `
5c 41 72 ac a8 b8 2b 5a 62 e6 6f 72 22 16 f5 a1 0f 72 aa 69 f4 2c 1d
1c d3 cc d7 bf d2 9c a4 e9
`,
  // message_1 (first time): Initiator's ephemeral public key, 'x'-coordinate / G_X (Raw Value) (32 bytes)
  "first G_X (Raw Value)": `
74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b ea 5b 3d 8f 65 f3 26
20 b7 49 be e8 d2 78 ef a9
`,
  // message_1 (first time): Initiator's ephemeral public key, 'x'-coordinate / G_X (CBOR Data Item) (34 bytes)
  "first G_X (CBOR Data Item)": `
58 20 74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b ea 5b 3d 8f 65
f3 26 20 b7 49 be e8 d2 78 ef a9
`,
  // message_1 (first time): Connection identifier chosen by Initiator / C_I (Raw Value) (1 byte)
  "first C_I (Raw Value)": `
0e
`,
  // message_1 (first time): Connection identifier chosen by Initiator / C_I (CBOR Data Item) (1 byte)
  "first C_I (CBOR Data Item)": `
0e
`,
  // message_1 (first time): message_1 (CBOR Sequence) (37 bytes)
  "first message_1 (CBOR Sequence)": `
03 06 58 20 74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b ea 5b 3d
8f 65 f3 26 20 b7 49 be e8 d2 78 ef a9 0e
`,
  // error: SUITES_R
  "SUITES_R": `
02
`,
  // error: error (CBOR Sequence) (2 bytes)
  "error (CBOR Sequence)": `
02 02
`,
  // message_1 (second time): METHOD (CBOR Data Item) (1 byte)
  "METHOD (CBOR Data Item)": `
03
`,
  // message_1 (second time): SUITES_I (CBOR Data Item) (3 bytes)
  "SUITES_I (CBOR Data Item)": `
82 06 02
`,
  // message_1 (second time): Initiator's ephemeral private key / X (Raw Value) (32 bytes)
  "X (Raw Value)": `
36 8e c1 f6 9a eb 65 9b a3 7d 5a 8d 45 b2 1b dc 02 99 dc ea a8 ef 23
5f 3c a4 2c e3 53 0f 95 25
`,
  // message_1 (second time): Initiator's ephemeral public key, 'x'-coordinate / G_X (Raw Value) (32 bytes)
  "G_X (Raw Value)": `
8a f6 f4 30 eb e1 8d 34 18 40 17 a9 a1 1b f5 11 c8 df f8 f8 34 73 0b
96 c1 b7 c8 db ca 2f c3 b6
`,
  // message_1 (second time): Initiator's ephemeral public key, one 'y'-coordinate / (Raw Value) (32 bytes)
  "Initiator's ephemeral public key, one 'y'-coordinate (Raw Value)": `
51 e8 af 6c 6e db 78 16 01 ad 1d 9c 5f a8 bf 7a a1 57 16 c7 c0 6a 5d
03 85 03 c6 14 ff 80 c9 b3
`,
  // message_1 (second time): Initiator's ephemeral public key, 'x'-coordinate / G_X (CBOR Data Item) (34 bytes)
  "G_X (CBOR Data Item)": `
58 20 8a f6 f4 30 eb e1 8d 34 18 40 17 a9 a1 1b f5 11 c8 df f8 f8 34
73 0b 96 c1 b7 c8 db ca 2f c3 b6
`,
  // message_1 (second time): Connection identifier chosen by Initiator / C_I (Raw Value) (1 byte)
  "C_I (Raw Value)": `
37
`,
  // message_1 (second time): Connection identifier chosen by Initiator / C_I (CBOR Data Item) (1 byte)
  "C_I (CBOR Data Item)": `
37
`,
  // message_1 (second time): message_1 (CBOR Sequence) (39 bytes)
  "message_1 (CBOR Sequence)": `
03 82 06 02 58 20 8a f6 f4 30 eb e1 8d 34 18 40 17 a9 a1 1b f5 11 c8
df f8 f8 34 73 0b 96 c1 b7 c8 db ca 2f c3 b6 37
`,
  // message_2: Responder's ephemeral private key / Y (Raw Value) (32 bytes)
  "Y (Raw Value)": `
e2 f4 12 67 77 20 5e 85 3b 43 7d 6e ac a1 e1 f7 53 cd cc 3e 2c 69 fa
88 4b 0a 1a 64 09 77 e4 18
`,
  // message_2: Responder's ephemeral public key, 'x'-coordinate / G_Y (Raw Value) (32 bytes)
  "G_Y (Raw Value)": `
41 97 01 d7 f0 0a 26 c2 dc 58 7a 36 dd 75 25 49 f3 37 63 c8 93 42 2c
8e a0 f9 55 a1 3a 4f f5 d5
`,
  // message_2: Responder's ephemeral public key, one 'y'-coordinate / (Raw Value) (32 bytes)
  "Responder's ephemeral public key, one 'y'-coordinate (Raw Value)": `
5e 4f 0d d8 a3 da 0b aa 16 b9 d3 ad 56 a0 c1 86 0a 94 0a f8 59 14 91
5e 25 01 9b 40 24 17 e9 9d
`,
  // message_2: Responder's ephemeral public key, 'x'-coordinate / G_Y (CBOR Data Item) (34 bytes)
  "G_Y (CBOR Data Item)": `
58 20 41 97 01 d7 f0 0a 26 c2 dc 58 7a 36 dd 75 25 49 f3 37 63 c8 93
42 2c 8e a0 f9 55 a1 3a 4f f5 d5
`,
  // message_2: Connection identifier chosen by Responder / C_R (raw value) (1 byte)
  "C_R (raw value)": `
27
`,
  // message_2: Connection identifier chosen by Responder / C_R (CBOR Data Item) (1 byte)
  "C_R (CBOR Data Item)": `
27
`,
  // message_2: H(message_1) (Raw Value) (32 bytes)
  "H(message_1) (Raw Value)": `
ca 02 ca bd a5 a8 90 27 49 b4 2f 71 10 50 bb 4d bd 52 15 3e 87 52 75
94 b3 9f 50 cd f0 19 88 8c
`,
  // message_2: H(message_1) (CBOR Data Item) (34 bytes)
  "H(message_1) (CBOR Data Item)": `
58 20 ca 02 ca bd a5 a8 90 27 49 b4 2f 71 10 50 bb 4d bd 52 15 3e 87
52 75 94 b3 9f 50 cd f0 19 88 8c
`,
  // message_2: Input to calculate TH_2 (CBOR Sequence) (68 bytes)
  "Input to calculate TH_2 (CBOR Sequence)": `
58 20 41 97 01 d7 f0 0a 26 c2 dc 58 7a 36 dd 75 25 49 f3 37 63 c8 93
42 2c 8e a0 f9 55 a1 3a 4f f5 d5 58 20 ca 02 ca bd a5 a8 90 27 49 b4
2f 71 10 50 bb 4d bd 52 15 3e 87 52 75 94 b3 9f 50 cd f0 19 88 8c
`,
  // message_2: TH_2 (Raw Value) (32 bytes)
  "TH_2 (Raw Value)": `
35 6e fd 53 77 14 25 e0 08 f3 fe 3a 86 c8 3f f4 c6 b1 6e 57 02 8f f3
9d 52 36 c1 82 b2 02 08 4b
`,
  // message_2: TH_2 (CBOR Data Item) (34 bytes)
  "TH_2 (CBOR Data Item)": `
58 20 35 6e fd 53 77 14 25 e0 08 f3 fe 3a 86 c8 3f f4 c6 b1 6e 57 02
8f f3 9d 52 36 c1 82 b2 02 08 4b
`,
  // message_2: G_XY (Raw Value) (ECDH shared secret) (32 bytes)
  "G_XY (Raw Value) (ECDH shared secret)": `
2f 0c b7 e8 60 ba 53 8f bf 5c 8b de d0 09 f6 25 9b 4b 62 8f e1 eb 7d
be 93 78 e5 ec f7 a8 24 ba
`,
  // message_2: salt (Raw Value) (32 bytes)
  "salt (Raw Value)": `
35 6e fd 53 77 14 25 e0 08 f3 fe 3a 86 c8 3f f4 c6 b1 6e 57 02 8f f3
9d 52 36 c1 82 b2 02 08 4b
`,
  // message_2: PRK_2e (Raw Value) (32 bytes)
  "PRK_2e (Raw Value)": `
5a a0 d6 9f 3e 3d 1e 0c 47 9f 0b 8a 48 66 90 c9 80 26 30 c3 46 6b 1d
c9 23 71 c9 82 56 31 70 b5
`,
  // message_2: Responder's private authentication key / SK_R (Raw Value) (32 bytes)
  "SK_R (Raw Value)": `
72 cc 47 61 db d4 c7 8f 75 89 31 aa 58 9d 34 8d 1e f8 74 a7 e3 03 ed
e2 f1 40 dc f3 e6 aa 4a ac
`,
  // message_2: Responder's public authentication key, 'x'-coordinate / (Raw Value) (32 bytes)
  "Responder's public authentication key, 'x'-coordinate (Raw Value)": `
bb c3 49 60 52 6e a4 d3 2e 94 0c ad 2a 23 41 48 dd c2 17 91 a1 2a fb
cb ac 93 62 20 46 dd 44 f0
`,
  // message_2: Responder's public authentication key, 'y'-coordinate / (Raw Value) (32 bytes)
  "Responder's public authentication key, 'y'-coordinate (Raw Value)": `
45 19 e2 57 23 6b 2a 0c e2 02 3f 09 31 f1 f3 86 ca 7a fd a6 4f cd e0
10 8c 22 4c 51 ea bf 60 72
`,
  // message_2: info for SALT_3e2m (CBOR Sequence) (37 bytes)
  "info for SALT_3e2m (CBOR Sequence)": `
01 58 20 35 6e fd 53 77 14 25 e0 08 f3 fe 3a 86 c8 3f f4 c6 b1 6e 57
02 8f f3 9d 52 36 c1 82 b2 02 08 4b 18 20
`,
  // message_2: SALT_3e2m (Raw Value) (32 bytes)
  "SALT_3e2m (Raw Value)": `
af 4e 10 3a 47 cb 3c f3 25 70 d5 c2 5a d2 77 32 bd 8d 81 78 e9 a6 9d
06 1c 31 a2 7f 8e 3c a9 26
`,
  // message_2: G_RX (Raw Value) (ECDH shared secret) (32 bytes)
  "G_RX (Raw Value) (ECDH shared secret)": `
f2 b6 ee a0 22 20 b9 5e ee 5a 0b c7 01 f0 74 e0 0a 84 3e a0 24 22 f6
08 25 fb 26 9b 3e 16 14 23
`,
  // message_2: PRK_3e2m (Raw Value) (32 bytes)
  "PRK_3e2m (Raw Value)": `
0c a3 d3 39 82 96 b3 c0 39 00 98 76 20 c1 1f 6f ce 70 78 1c 1d 12 19
72 0f 9e c0 8c 12 2d 84 34
`,
  // message_2: ID_CRED_R (CBOR Data Item) (4 bytes)
  "ID_CRED_R (CBOR Data Item)": `
a1 04 41 32
`,
  // message_2: CRED_R (CBOR Data Item) (95 bytes)
  "CRED_R (CBOR Data Item)": `
a2 02 6b 65 78 61 6d 70 6c 65 2e 65 64 75 08 a1 01 a5 01 02 02 41 32
20 01 21 58 20 bb c3 49 60 52 6e a4 d3 2e 94 0c ad 2a 23 41 48 dd c2
17 91 a1 2a fb cb ac 93 62 20 46 dd 44 f0 22 58 20 45 19 e2 57 23 6b
2a 0c e2 02 3f 09 31 f1 f3 86 ca 7a fd a6 4f cd e0 10 8c 22 4c 51 ea
bf 60 72
`,
  // message_2: context_2 (CBOR Sequence) (134 bytes)
  "context_2 (CBOR Sequence)": `
27 a1 04 41 32 58 20 35 6e fd 53 77 14 25 e0 08 f3 fe 3a 86 c8 3f f4
c6 b1 6e 57 02 8f f3 9d 52 36 c1 82 b2 02 08 4b a2 02 6b 65 78 61 6d
70 6c 65 2e 65 64 75 08 a1 01 a5 01 02 02 41 32 20 01 21 58 20 bb c3
49 60 52 6e a4 d3 2e 94 0c ad 2a 23 41 48 dd c2 17 91 a1 2a fb cb ac
93 62 20 46 dd 44 f0 22 58 20 45 19 e2 57 23 6b 2a 0c e2 02 3f 09 31
f1 f3 86 ca 7a fd a6 4f cd e0 10 8c 22 4c 51 ea bf 60 72
`,
  // message_2: context_2 (CBOR byte string) (136 bytes)
  "context_2 (CBOR byte string)": `
58 86 27 a1 04 41 32 58 20 35 6e fd 53 77 14 25 e0 08 f3 fe 3a 86 c8
3f f4 c6 b1 6e 57 02 8f f3 9d 52 36 c1 82 b2 02 08 4b a2 02 6b 65 78
61 6d 70 6c 65 2e 65 64 75 08 a1 01 a5 01 02 02 41 32 20 01 21 58 20
bb c3 49 60 52 6e a4 d3 2e 94 0c ad 2a 23 41 48 dd c2 17 91 a1 2a fb
cb ac 93 62 20 46 dd 44 f0 22 58 20 45 19 e2 57 23 6b 2a 0c e2 02 3f
09 31 f1 f3 86 ca 7a fd a6 4f cd e0 10 8c 22 4c 51 ea bf 60 72
`,
  // message_2: info for MAC_2 (CBOR Sequence) (138 bytes)
  "info for MAC_2 (CBOR Sequence)": `
02 58 86 27 a1 04 41 32 58 20 35 6e fd 53 77 14 25 e0 08 f3 fe 3a 86
c8 3f f4 c6 b1 6e 57 02 8f f3 9d 52 36 c1 82 b2 02 08 4b a2 02 6b 65
78 61 6d 70 6c 65 2e 65 64 75 08 a1 01 a5 01 02 02 41 32 20 01 21 58
20 bb c3 49 60 52 6e a4 d3 2e 94 0c ad 2a 23 41 48 dd c2 17 91 a1 2a
fb cb ac 93 62 20 46 dd 44 f0 22 58 20 45 19 e2 57 23 6b 2a 0c e2 02
3f 09 31 f1 f3 86 ca 7a fd a6 4f cd e0 10 8c 22 4c 51 ea bf 60 72 08
`,
  // message_2: MAC_2 (Raw Value) (8 bytes)
  "MAC_2 (Raw Value)": `
09 43 30 5c 89 9f 5c 54
`,
  // message_2: MAC_2 (CBOR Data Item) (9 bytes)
  "MAC_2 (CBOR Data Item)": `
48 09 43 30 5c 89 9f 5c 54
`,
  // message_2: Signature_or_MAC_2 (Raw Value) (8 bytes)
  "Signature_or_MAC_2 (Raw Value)": `
09 43 30 5c 89 9f 5c 54
`,
  // message_2: Signature_or_MAC_2 (CBOR Data Item) (9 bytes)
  "Signature_or_MAC_2 (CBOR Data Item)": `
48 09 43 30 5c 89 9f 5c 54
`,
  // message_2: PLAINTEXT_2 (CBOR Sequence) (11 bytes)
  "PLAINTEXT_2 (CBOR Sequence)": `
27 32 48 09 43 30 5c 89 9f 5c 54
`,
  // message_2: info for KEYSTREAM_2 (CBOR Sequence) (36 bytes)
  "info for KEYSTREAM_2 (CBOR Sequence)": `
00 58 20 35 6e fd 53 77 14 25 e0 08 f3 fe 3a 86 c8 3f f4 c6 b1 6e 57
02 8f f3 9d 52 36 c1 82 b2 02 08 4b 0b
`,
  // message_2: KEYSTREAM_2 (Raw Value) (11 bytes)
  "KEYSTREAM_2 (Raw Value)": `
bf 50 e9 e7 ba d0 bb 68 17 33 99
`,
  // message_2: CIPHERTEXT_2 (Raw Value) (11 bytes)
  "CIPHERTEXT_2 (Raw Value)": `
98 62 a1 ee f9 e0 e7 e1 88 6f cd
`,
  // message_2: message_2 (CBOR Sequence) (45 bytes)
  "message_2 (CBOR Sequence)": `
58 2b 41 97 01 d7 f0 0a 26 c2 dc 58 7a 36 dd 75 25 49 f3 37 63 c8 93
42 2c 8e a0 f9 55 a1 3a 4f f5 d5 98 62 a1 ee f9 e0 e7 e1 88 6f cd
`,
  // message_3: Input to calculate TH_3 (CBOR Sequence) (140 bytes)
  "Input to calculate TH_3 (CBOR Sequence)": `
58 20 35 6e fd 53 77 14 25 e0 08 f3 fe 3a 86 c8 3f f4 c6 b1 6e 57 02
8f f3 9d 52 36 c1 82 b2 02 08 4b 27 32 48 09 43 30 5c 89 9f 5c 54 a2
02 6b 65 78 61 6d 70 6c 65 2e 65 64 75 08 a1 01 a5 01 02 02 41 32 20
01 21 58 20 bb c3 49 60 52 6e a4 d3 2e 94 0c ad 2a 23 41 48 dd c2 17
91 a1 2a fb cb ac 93 62 20 46 dd 44 f0 22 58 20 45 19 e2 57 23 6b 2a
0c e2 02 3f 09 31 f1 f3 86 ca 7a fd a6 4f cd e0 10 8c 22 4c 51 ea bf
60 72
`,
  // message_3: TH_3 (Raw Value) (32 bytes)
  "TH_3 (Raw Value)": `
ad af 67 a7 8a 4b cc 91 e0 18 f8 88 27 62 a7 22 00 0b 25 07 03 9d f0
bc 1b bf 0c 16 1b b3 15 5c
`,
  // message_3: TH_3 (CBOR Data Item) (34 bytes)
  "TH_3 (CBOR Data Item)": `
58 20 ad af 67 a7 8a 4b cc 91 e0 18 f8 88 27 62 a7 22 00 0b 25 07 03
9d f0 bc 1b bf 0c 16 1b b3 15 5c
`,
  // message_3: Initiator's private authentication key / SK_I (Raw Value) (32 bytes)
  "SK_I (Raw Value)": `
fb 13 ad eb 65 18 ce e5 f8 84 17 66 08 41 14 2e 83 0a 81 fe 33 43 80
a9 53 40 6a 13 05 e8 70 6b
`,
  // message_3: Initiator's public authentication key, 'x'-coordinate / (Raw Value) (32 bytes)
  "Initiator's public authentication key, 'x'-coordinate (Raw Value)": `
ac 75 e9 ec e3 e5 0b fc 8e d6 03 99 88 95 22 40 5c 47 bf 16 df 96 66
0a 41 29 8c b4 30 7f 7e b6
`,
  // message_3: Initiator's public authentication key, 'y'-coordinate / (Raw Value) (32 bytes)
  "Initiator's public authentication key, 'y'-coordinate (Raw Value)": `
6e 5d e6 11 38 8a 4b 8a 82 11 33 4a c7 d3 7e cb 52 a3 87 d2 57 e6 db
3c 2a 93 df 21 ff 3a ff c8
`,
  // message_3: info for SALT_4e3m (CBOR Sequence) (37 bytes)
  "info for SALT_4e3m (CBOR Sequence)": `
05 58 20 ad af 67 a7 8a 4b cc 91 e0 18 f8 88 27 62 a7 22 00 0b 25 07
03 9d f0 bc 1b bf 0c 16 1b b3 15 5c 18 20
`,
  // message_3: SALT_4e3m (Raw Value) (32 bytes)
  "SALT_4e3m (Raw Value)": `
cf dd f9 51 5a 7e 46 e7 b4 db ff 31 cb d5 6c d0 4b a3 32 25 0d e9 ea
5d e1 ca f9 f6 d1 39 14 a7
`,
  // message_3: G_IY (Raw Value) (ECDH shared secret) (32 bytes)
  "G_IY (Raw Value) (ECDH shared secret)": `
08 0f 42 50 85 bc 62 49 08 9e ac 8f 10 8e a6 23 26 85 7e 12 ab 07 d7
20 28 ca 1b 5f 36 e0 04 b3
`,
  // message_3: PRK_4e3m (Raw Value) (32 bytes)
  "PRK_4e3m (Raw Value)": `
81 cc 8a 29 8e 35 70 44 e3 c4 66 bb 5c 0a 1e 50 7e 01 d4 92 38 ae ba
13 8d f9 46 35 40 7c 0f f7
`,
  // message_3: ID_CRED_I (CBOR Data Item) (4 bytes)
  "ID_CRED_I (CBOR Data Item)": `
a1 04 41 2b
`,
  // message_3: CRED_I (CBOR Data Item) (107 bytes)
  "CRED_I (CBOR Data Item)": `
a2 02 77 34 32 2d 35 30 2d 33 31 2d 46 46 2d 45 46 2d 33 37 2d 33 32
2d 33 39 08 a1 01 a5 01 02 02 41 2b 20 01 21 58 20 ac 75 e9 ec e3 e5
0b fc 8e d6 03 99 88 95 22 40 5c 47 bf 16 df 96 66 0a 41 29 8c b4 30
7f 7e b6 22 58 20 6e 5d e6 11 38 8a 4b 8a 82 11 33 4a c7 d3 7e cb 52
a3 87 d2 57 e6 db 3c 2a 93 df 21 ff 3a ff c8
`,
  // message_3: context_3 (CBOR Sequence) (145 bytes)
  "context_3 (CBOR Sequence)": `
a1 04 41 2b 58 20 ad af 67 a7 8a 4b cc 91 e0 18 f8 88 27 62 a7 22 00
0b 25 07 03 9d f0 bc 1b bf 0c 16 1b b3 15 5c a2 02 77 34 32 2d 35 30
2d 33 31 2d 46 46 2d 45 46 2d 33 37 2d 33 32 2d 33 39 08 a1 01 a5 01
02 02 41 2b 20 01 21 58 20 ac 75 e9 ec e3 e5 0b fc 8e d6 03 99 88 95
22 40 5c 47 bf 16 df 96 66 0a 41 29 8c b4 30 7f 7e b6 22 58 20 6e 5d
e6 11 38 8a 4b 8a 82 11 33 4a c7 d3 7e cb 52 a3 87 d2 57 e6 db 3c 2a
93 df 21 ff 3a ff c8
`,
  // message_3: context_3 (CBOR byte string) (147 bytes)
  "context_3 (CBOR byte string)": `
58 91 a1 04 41 2b 58 20 ad af 67 a7 8a 4b cc 91 e0 18 f8 88 27 62 a7
22 00 0b 25 07 03 9d f0 bc 1b bf 0c 16 1b b3 15 5c a2 02 77 34 32 2d
35 30 2d 33 31 2d 46 46 2d 45 46 2d 33 37 2d 33 32 2d 33 39 08 a1 01
a5 01 02 02 41 2b 20 01 21 58 20 ac 75 e9 ec e3 e5 0b fc 8e d6 03 99
88 95 22 40 5c 47 bf 16 df 96 66 0a 41 29 8c b4 30 7f 7e b6 22 58 20
6e 5d e6 11 38 8a 4b 8a 82 11 33 4a c7 d3 7e cb 52 a3 87 d2 57 e6 db
3c 2a 93 df 21 ff 3a ff c8
`,
  // message_3: info for MAC_3 (CBOR Sequence) (149 bytes)
  "info for MAC_3 (CBOR Sequence)": `
06 58 91 a1 04 41 2b 58 20 ad af 67 a7 8a 4b cc 91 e0 18 f8 88 27 62
a7 22 00 0b 25 07 03 9d f0 bc 1b bf 0c 16 1b b3 15 5c a2 02 77 34 32
2d 35 30 2d 33 31 2d 46 46 2d 45 46 2d 33 37 2d 33 32 2d 33 39 08 a1
01 a5 01 02 02 41 2b 20 01 21 58 20 ac 75 e9 ec e3 e5 0b fc 8e d6 03
99 88 95 22 40 5c 47 bf 16 df 96 66 0a 41 29 8c b4 30 7f 7e b6 22 58
20 6e 5d e6 11 38 8a 4b 8a 82 11 33 4a c7 d3 7e cb 52 a3 87 d2 57 e6
db 3c 2a 93 df 21 ff 3a ff c8 08
`,
  // message_3: MAC_3 (Raw Value) (8 bytes)
  "MAC_3 (Raw Value)": `
62 3c 91 df 41 e3 4c 2f
`,
  // message_3: MAC_3 (CBOR Data Item) (9 bytes)
  "MAC_3 (CBOR Data Item)": `
48 62 3c 91 df 41 e3 4c 2f
`,
  // message_3: Signature_or_MAC_3 (Raw Value) (8 bytes)
  "Signature_or_MAC_3 (Raw Value)": `
62 3c 91 df 41 e3 4c 2f
`,
  // message_3: Signature_or_MAC_3 (CBOR Data Item) (9 bytes)
  "Signature_or_MAC_3 (CBOR Data Item)": `
48 62 3c 91 df 41 e3 4c 2f
`,
  // message_3: PLAINTEXT_3 (CBOR Sequence) (10 bytes)
  "PLAINTEXT_3 (CBOR Sequence)": `
2b 48 62 3c 91 df 41 e3 4c 2f
`,
  // message_3: A_3 (CBOR Data Item) (45 bytes)
  "A_3 (CBOR Data Item)": `
83 68 45 6e 63 72 79 70 74 30 40 58 20 ad af 67 a7 8a 4b cc 91 e0 18
f8 88 27 62 a7 22 00 0b 25 07 03 9d f0 bc 1b bf 0c 16 1b b3 15 5c
`,
  // message_3: info for K_3 (CBOR Sequence) (36 bytes)
  "info for K_3 (CBOR Sequence)": `
03 58 20 ad af 67 a7 8a 4b cc 91 e0 18 f8 88 27 62 a7 22 00 0b 25 07
03 9d f0 bc 1b bf 0c 16 1b b3 15 5c 10
`,
  // message_3: K_3 (Raw Value) (16 bytes)
  "K_3 (Raw Value)": `
8e 7a 30 04 20 00 f7 90 0e 81 74 13 1f 75 f3 ed
`,
  // message_3: info for IV_3 (CBOR Sequence) (36 bytes)
  "info for IV_3 (CBOR Sequence)": `
04 58 20 ad af 67 a7 8a 4b cc 91 e0 18 f8 88 27 62 a7 22 00 0b 25 07
03 9d f0 bc 1b bf 0c 16 1b b3 15 5c 0d
`,
  // message_3: IV_3 (Raw Value) (13 bytes)
  "IV_3 (Raw Value)": `
6d 83 00 c1 e2 3b 56 15 3a e7 0e e4 57
`,
  // message_3: CIPHERTEXT_3 (Raw Value) (18 bytes)
  "CIPHERTEXT_3 (Raw Value)": `
e5 62 09 7b c4 17 dd 59 19 48 5a c7 89 1f fd 90 a9 fc
`,
  // message_3: message_3 (CBOR Sequence) (19 bytes)
  "message_3 (CBOR Sequence)": `
52 e5 62 09 7b c4 17 dd 59 19 48 5a c7 89 1f fd 90 a9 fc
`,
  // message_3: Input to calculate TH_4 (CBOR Sequence) (151 bytes)
  "Input to calculate TH_4 (CBOR Sequence)": `
58 20 ad af 67 a7 8a 4b cc 91 e0 18 f8 88 27 62 a7 22 00 0b 25 07 03
9d f0 bc 1b bf 0c 16 1b b3 15 5c 2b 48 62 3c 91 df 41 e3 4c 2f a2 02
77 34 32 2d 35 30 2d 33 31 2d 46 46 2d 45 46 2d 33 37 2d 33 32 2d 33
39 08 a1 01 a5 01 02 02 41 2b 20 01 21 58 20 ac 75 e9 ec e3 e5 0b fc
8e d6 03 99 88 95 22 40 5c 47 bf 16 df 96 66 0a 41 29 8c b4 30 7f 7e
b6 22 58 20 6e 5d e6 11 38 8a 4b 8a 82 11 33 4a c7 d3 7e cb 52 a3 87
d2 57 e6 db 3c 2a 93 df 21 ff 3a ff c8
`,
  // message_3: TH_4 (Raw Value) (32 bytes)
  "TH_4 (Raw Value)": `
c9 02 b1 e3 a4 32 6c 93 c5 55 1f 5f 3a a6 c5 ec c0 24 68 06 76 56 12
e5 2b 5d 99 e6 05 9d 6b 6e
`,
  // message_3: TH_4 (CBOR Data Item) (34 bytes)
  "TH_4 (CBOR Data Item)": `
58 20 c9 02 b1 e3 a4 32 6c 93 c5 55 1f 5f 3a a6 c5 ec c0 24 68 06 76
56 12 e5 2b 5d 99 e6 05 9d 6b 6e
`,
  // message_4: A_4 (CBOR Data Item) (45 bytes)
  "A_4 (CBOR Data Item)": `
83 68 45 6e 63 72 79 70 74 30 40 58 20 c9 02 b1 e3 a4 32 6c 93 c5 55
1f 5f 3a a6 c5 ec c0 24 68 06 76 56 12 e5 2b 5d 99 e6 05 9d 6b 6e
`,
  // message_4: info for K_4 (CBOR Sequence) (36 bytes)
  "info for K_4 (CBOR Sequence)": `
08 58 20 c9 02 b1 e3 a4 32 6c 93 c5 55 1f 5f 3a a6 c5 ec c0 24 68 06
76 56 12 e5 2b 5d 99 e6 05 9d 6b 6e 10
`,
  // message_4: K_4 (Raw Value) (16 bytes)
  "K_4 (Raw Value)": `
d3 c7 78 72 b6 ee b5 08 91 1b db d3 08 b2 e6 a0
`,
  // message_4: info for IV_4 (CBOR Sequence) (36 bytes)
  "info for IV_4 (CBOR Sequence)": `
09 58 20 c9 02 b1 e3 a4 32 6c 93 c5 55 1f 5f 3a a6 c5 ec c0 24 68 06
76 56 12 e5 2b 5d 99 e6 05 9d 6b 6e 0d
`,
  // message_4: IV_4 (Raw Value) (13 bytes)
  "IV_4 (Raw Value)": `
04 ff 0f 44 45 6e 96 e2 17 85 3c 36 01
`,
  // message_4: CIPHERTEXT_4 (8 bytes)
  "CIPHERTEXT_4": `
28 c9 66 b7 ca 30 4f 83
`,
  // message_4: message_4 (CBOR Sequence) (9 bytes)
  "message_4 (CBOR Sequence)": `
48 28 c9 66 b7 ca 30 4f 83
`,
  // PRK_out and PRK_exporter: info for PRK_out (CBOR Sequence) (37 bytes)
  "info for PRK_out (CBOR Sequence)": `
07 58 20 c9 02 b1 e3 a4 32 6c 93 c5 55 1f 5f 3a a6 c5 ec c0 24 68 06
76 56 12 e5 2b 5d 99 e6 05 9d 6b 6e 18 20
`,
  // PRK_out and PRK_exporter: PRK_out (Raw Value) (32 bytes)
  "PRK_out (Raw Value)": `
2c 71 af c1 a9 33 8a 94 0b b3 52 9c a7 34 b8 86 f3 0d 1a ba 0b 4d c5
1b ee ae ab df ea 9e cb f8
`,
  // PRK_out and PRK_exporter: info for PRK_exporter (CBOR Sequence) (4 bytes)
  "info for PRK_exporter (CBOR Sequence)": `
0a 40 18 20
`,
  // PRK_out and PRK_exporter: PRK_exporter (Raw Value) (32 bytes)
  "PRK_exporter (Raw Value)": `
e1 4d 06 69 9c ee 24 8c 5a 04 bf 92 27 bb cd 4c e3 94 de 7d cb 56 db
43 55 54 74 17 1e 64 46 db
`,
  // OSCORE Parameters: Client's OSCORE Sender ID (Raw Value) (1 byte)
  "Client's OSCORE Sender ID (Raw Value)": `
27
`,
  // OSCORE Parameters: Server's OSCORE Sender ID (Raw Value) (1 byte)
  "Server's OSCORE Sender ID (Raw Value)": `
37
`,
  // OSCORE Parameters: info for OSCORE Master Secret (CBOR Sequence) (3 bytes)
  "info for OSCORE Master Secret (CBOR Sequence)": `
00 40 10
`,
  // OSCORE Parameters: OSCORE Master Secret (Raw Value) (16 bytes)
  "OSCORE Master Secret (Raw Value)": `
f9 86 8f 6a 3a ca 78 a0 5d 14 85 b3 50 30 b1 62
`,
  // OSCORE Parameters: info for OSCORE Master Salt (CBOR Sequence) (3 bytes)
  "info for OSCORE Master Salt (CBOR Sequence)": `
01 40 08
`,
  // OSCORE Parameters: OSCORE Master Salt (Raw Value) (8 bytes)
  "OSCORE Master Salt (Raw Value)": `
ad a2 4c 7d bf c8 5e eb
`,
  // Key Update: context for KeyUpdate (Raw Value) (16 bytes)
  "context for KeyUpdate (Raw Value)": `
a0 11 58 fd b8 20 89 0c d6 be 16 96 02 b8 bc ea
`,
  // Key Update: context for KeyUpdate (CBOR Data Item) (17 bytes)
  "context for KeyUpdate (CBOR Data Item)": `
50 a0 11 58 fd b8 20 89 0c d6 be 16 96 02 b8 bc ea
`,
  // Key Update: PRK_out after KeyUpdate (Raw Value) (32 bytes)
  "PRK_out after KeyUpdate (Raw Value)": `
f9 79 53 77 43 fe 0b d6 b9 b1 41 dd bd 79 65 6c 52 e6 dc 7c 50 ad 80
77 54 d7 4d 07 e8 7d 0d 16
`,
  // Key Update: PRK_exporter after KeyUpdate (Raw Value) (32 bytes)
  "PRK_exporter after KeyUpdate (Raw Value)": `
00 fc f7 db 9b 2e ad 73 82 4e 7e 83 03 63 c8 05 c2 96 f9 02 83 0f ac
23 d8 6c 35 9c 75 2f 0f 17
`,
  // Key Update: OSCORE Master Secret after KeyUpdate (Raw Value) (16 bytes)
  "OSCORE Master Secret after KeyUpdate (Raw Value)": `
49 f7 2f ac 02 b4 65 8b da 21 e2 da c6 6f c3 74
`,
  // Key Update: OSCORE Master Salt after KeyUpdate (Raw Value) (8 bytes)
  "OSCORE Master Salt after KeyUpdate (Raw Value)": `
dd 8b 24 f2 aa 9b 01 1a
`,
});
