/** `--verbose` message traces on stderr, shared by the CoAP commands and roles. */
import { formatMessage } from '../src/codec/coap/format.ts';
import type { Tracer } from '../src/stack/endpoint.ts';
import { formatPeer } from '../src/transport/transport.ts';

export function stderrTracer(): Tracer {
  return (dir, msg, peer) => process.stderr.write(`${dir === 'out' ? '→' : '←'} ${formatPeer(peer)} ${formatMessage(msg)}\n`);
}
