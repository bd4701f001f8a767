/**
 * AEAD nonce (RFC 8613 §5.2, Figure 8):
 *
 *   | S | padding | ID_PIV | padding | PIV |  XOR  Common IV
 *     1   <- nonce length - 6 ->  <- 5 bytes ->
 *
 * S is the length of ID_PIV, the Sender ID of the endpoint that generated the Partial IV.
 */
import { StackError } from '../../core/errors.ts';
import { RFC8613_S6_1_MAX_PIV_LENGTH, type PartialIv } from './ids.ts';

export function buildNonce(commonIv: Uint8Array, idPiv: Uint8Array, piv: PartialIv): Uint8Array {
  const len = commonIv.length;
  const idRoom = len - 6;
  if (idRoom < 1) throw new StackError('ERR_CONFIG', `nonce of ${len} bytes is shorter than the 7 OSCORE needs`);
  if (idPiv.length > idRoom) throw new StackError('ERR_INVALID_ARGUMENT', `ID_PIV of ${idPiv.length} bytes exceeds ${idRoom} (nonce length - 6)`);
  if (piv.length > RFC8613_S6_1_MAX_PIV_LENGTH) throw new StackError('ERR_INVALID_ARGUMENT', `Partial IV of ${piv.length} bytes exceeds 5`);
  const out = new Uint8Array(len);
  out[0] = idPiv.length;
  out.set(idPiv, 1 + idRoom - idPiv.length);
  out.set(piv, len - piv.length);
  for (let i = 0; i < len; i++) out[i]! ^= commonIv[i]!;
  return out;
}
