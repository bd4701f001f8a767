/** UDP transport: the only module that imports node:dgram. One socket per endpoint, port 0 allowed. */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { StackError } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import type { DatagramReceiver, PeerAddress, Transport } from './transport.ts';

export interface UdpOptions {
  /** Address to bind: '127.0.0.1', '::1', '::' (dual stack), '0.0.0.0'. */
  readonly host?: string;
  readonly port?: number;
  readonly logger?: Logger;
  /** Socket buffer sizes in bytes (the kernel may cap them). */
  readonly recvBufferSize?: number;
  readonly sendBufferSize?: number;
}

export class UdpTransport implements Transport {
  private receiver: DatagramReceiver = () => {};
  private closed = false;
  sendErrors = 0;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly ipv6: boolean,
    private readonly logger: Logger,
  ) {
    socket.on('message', (msg, rinfo) => {
      this.receiver(msg, { address: normalizeAddress(rinfo.address), port: rinfo.port });
    });
    socket.on('error', (err) => this.logger.warn('udp socket error', { err }));
  }

  static async bind(opts: UdpOptions = {}): Promise<UdpTransport> {
    const host = opts.host ?? '127.0.0.1';
    const family = isIP(host);
    if (family === 0) throw new StackError('ERR_CONFIG', `bind address '${host}' is not an IP address`);
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: false, reuseAddr: false, lookup: literalLookup });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new StackError('ERR_IO', `cannot bind udp ${host}:${opts.port ?? 0}: ${err.message}`, {}, err));
      socket.once('error', onError);
      socket.bind({ address: host, port: opts.port ?? 0, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    if (opts.recvBufferSize) socket.setRecvBufferSize(opts.recvBufferSize);
    if (opts.sendBufferSize) socket.setSendBufferSize(opts.sendBufferSize);
    return new UdpTransport(socket, family === 6, opts.logger ?? silentLogger);
  }

  send(data: Uint8Array, to: PeerAddress): void {
    if (this.closed) return;
    let address = to.address;
    // An IPv4 peer reached from a dual-stack IPv6 socket goes as a mapped address.
    if (this.ipv6 && isIP(address) === 4) address = `::ffff:${address}`;
    this.socket.send(data, to.port, address, this.onSent);
  }

  private readonly onSent = (err: Error | null): void => {
    if (err) {
      this.sendErrors++;
      this.logger.debug('udp send failed', { err });
    }
  };

  setReceiver(receiver: DatagramReceiver): void {
    this.receiver = receiver;
  }

  localAddress(): PeerAddress {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/**
 * Peers are always IP literals here (names are resolved before a request is made), so the
 * socket's per-send lookup just echoes the address instead of going through dns.lookup.
 */
function literalLookup(address: string, _opts: unknown, cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(address);
  if (family === 0) {
    const err: NodeJS.ErrnoException = new Error(`not an IP address: ${address}`);
    err.code = 'EINVAL';
    cb(err, '', 0);
    return;
  }
  cb(null, address, family);
}

/** IPv4-mapped IPv6 addresses are reported as plain IPv4, so one peer has one key. */
function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}
