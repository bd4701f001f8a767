/**
 * A scripted CoAP peer on the in-memory network: sends exact messages and expects exact ones,
 * step by step (californium's lockstep tests).
 */
import { decodeMessage, encodeMessage, type CoapMessage, type CoapOption } from '../../../src/codec/coap/message.ts';
import type { MessageType } from '../../../src/codec/coap/numbers/types.ts';
import type { MemoryNetwork, MemoryTransport } from '../../../src/transport/memory.ts';
import type { PeerAddress } from '../../../src/transport/transport.ts';

export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

export class RawPeer {
  readonly transport: MemoryTransport;
  private readonly inbox: { msg: CoapMessage; raw: Uint8Array; from: PeerAddress }[] = [];

  constructor(net: MemoryNetwork, address = '10.0.0.9', port?: number) {
    this.transport = net.createTransport(address, port);
    this.transport.setReceiver((raw, from) => this.inbox.push({ msg: decodeMessage(raw), raw, from }));
  }

  get address(): PeerAddress {
    return this.transport.localAddress();
  }

  send(to: PeerAddress, m: Partial<CoapMessage> & { type: MessageType; code: number; messageId: number }): Uint8Array {
    const full: CoapMessage = { token: new Uint8Array(0), options: [], payload: new Uint8Array(0), ...m };
    const bytes = encodeMessage(full);
    this.transport.send(bytes, to);
    return bytes;
  }

  sendRaw(to: PeerAddress, bytes: Uint8Array): void {
    this.transport.send(bytes, to);
  }

  /** The next message received, after letting the network and the endpoint run. */
  async next(): Promise<{ msg: CoapMessage; raw: Uint8Array }> {
    await settle();
    const m = this.inbox.shift();
    if (!m) throw new Error('expected a message, none arrived');
    return m;
  }

  async nothing(): Promise<void> {
    await settle();
    if (this.inbox.length) throw new Error(`expected no message, got ${this.inbox.length}`);
  }
}

export function opt(number: number, value: Uint8Array | string | number): CoapOption {
  if (typeof value === 'string') return { number, value: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    const bytes: number[] = [];
    for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    return { number, value: Uint8Array.from(bytes) };
  }
  return { number, value };
}

export function optionValue(m: { options: readonly CoapOption[] }, n: number): Uint8Array | undefined {
  return m.options.find((o) => o.number === n)?.value;
}
