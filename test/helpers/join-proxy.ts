/**
 * `brski proxy` in e2e tests: start it and parse its ready line, read its counters (SIGUSR2 →
 * `counters {json}` on stdout), sample them while a run goes on, and a JPY tap, an on-path relay
 * between a stateless proxy and the registrar's JPY port through which a test can inject forged or
 * altered JPY messages that pass the proxy's source check (they come from the address the proxy
 * knows as the registrar's JPY port).
 *
 * The tap listens on another loopback address (127.0.0.2) at the registrar's own JPY port number;
 * the registrar announces it with `--jpy-announce 127.0.0.2`, so a proxy started with
 * `--discover coap://REGISTRAR` finds the registrar as usual and relays through the tap.
 */
import { createSocket, type Socket } from 'node:dgram';
import { decodeJpyMessage, encodeJpyMessage } from '../../src/codec/jpy/jpy-message.ts';
import type { JoinProxyCounters } from '../../src/protocol/join-proxy/counters.ts';
import type { PeerAddress } from '../../src/transport/transport.ts';
import { BRSKI, spawnReady, type ReadyProcess } from './processes.ts';

/** What `counters {json}` holds: the core counters plus, stateless, the header key ring's. */
export interface ProxyCounters extends JoinProxyCounters {
  header?: { kid: number; rotations: number; sealed: number; opened: number; rejected: Record<'malformed' | 'unknown-key' | 'integrity', number> };
}

/** `ready udp://HOST:PORT mode=M registrar=HOST:PORT [upstream=HOST:PORT] discovery=coap://HOST:PORT max-pledges=N` */
export const PROXY_READY = /^ready udp:\/\/127\.0\.0\.1:(\d+) mode=(\w+) registrar=(\S+?):(\d+)(?: upstream=127\.0\.0\.1:(\d+))? discovery=coap:\/\/127\.0\.0\.1:(\d+)/;

export interface ProxyProcess {
  readonly proc: ReadyProcess;
  readonly mode: 'stateful' | 'stateless';
  readonly join: PeerAddress;
  /** Where it relays to: the registrar's CoAP port (stateful) or JPY port (stateless). */
  readonly registrar: PeerAddress;
  /** The stateless mode's one upstream socket. */
  readonly upstream: PeerAddress | undefined;
  readonly discovery: PeerAddress;
}

/** `brski proxy --listen 127.0.0.1:0 --discovery-port 0 --stats-interval 0 ...args` until ready. */
export async function startProxy(args: readonly string[], timeoutMs = 30_000): Promise<ProxyProcess> {
  const proc = await spawnReady(BRSKI, ['proxy', '--listen', '127.0.0.1:0', '--discovery-port', '0', '--stats-interval', '0', '--log-level', 'warn', ...args], {
    ready: PROXY_READY,
    timeoutMs,
  });
  const m = proc.match;
  return {
    proc,
    mode: m[2] as ProxyProcess['mode'],
    join: { address: '127.0.0.1', port: Number(m[1]) },
    registrar: { address: m[3]!, port: Number(m[4]) },
    upstream: m[5] ? { address: '127.0.0.1', port: Number(m[5]) } : undefined,
    discovery: { address: '127.0.0.1', port: Number(m[6]) },
  };
}

/** The `counters {...}` lines a proxy printed, counted from its stdout stream (not the bounded tail). */
const counterLog = new WeakMap<ReadyProcess, { count: number; last: string; pending: string }>();

function countersOf(p: ReadyProcess): { count: number; last: string; pending: string } {
  let log = counterLog.get(p);
  if (!log) {
    const l = { count: 0, last: '', pending: '' };
    p.child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (l.pending + chunk.toString('utf8')).split('\n');
      l.pending = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('counters ')) continue;
        l.count++;
        l.last = line.slice('counters '.length);
      }
    });
    counterLog.set(p, l);
    log = l;
  }
  return log;
}

/** Sends SIGUSR2 and waits for the `counters {...}` line it prints. */
export async function readProxyCounters(p: ReadyProcess, timeoutMs = 10_000): Promise<ProxyCounters> {
  const log = countersOf(p);
  const before = log.count;
  p.child.kill('SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (log.count > before) return JSON.parse(log.last) as ProxyCounters;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`brski proxy printed no counters line within ${timeoutMs} ms of SIGUSR2 (exit code ${p.child.exitCode}, signal ${p.child.signalCode})\n${p.stdout().slice(-2000)}\n${p.stderr().slice(-2000)}`);
}

/** Reads the proxy's counters every `intervalMs` until stopped; `stop()` returns every sample. */
export function sampleProxyCounters(p: ReadyProcess, intervalMs = 500): { stop(): Promise<ProxyCounters[]> } {
  const samples: ProxyCounters[] = [];
  let done = false;
  let failure: unknown;
  const loop = (async () => {
    while (!done) {
      try {
        samples.push(await readProxyCounters(p));
      } catch (e) {
        failure = e;
        return;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      done = true;
      await loop;
      if (failure) throw failure;
      return samples;
    },
  };
}

/** Waits until the proxy's table is empty (every entry idle past --idle-timeout and swept). */
export async function waitProxyIdle(p: ReadyProcess, timeoutMs: number): Promise<ProxyCounters> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await readProxyCounters(p);
    if (c.active === 0) return c;
    if (Date.now() > deadline) throw new Error(`the proxy still holds ${c.active} pledges after ${timeoutMs} ms: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Sends one CoAP Empty CON (a ping, RFC 7252 §4.3) from each of `n` fresh UDP sockets to `to`,
 * waits `settleMs`, and closes them: each socket is a new pledge for a join proxy.
 */
export async function pingFromNewSockets(to: PeerAddress, n: number, settleMs = 300): Promise<void> {
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createSocket('udp4');
      sockets.push(s);
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.bind(0, '127.0.0.1', () => res());
      });
      const mid = (0x4000 + i) & 0xffff;
      s.send(Buffer.from([0x40, 0x00, mid >> 8, mid & 0xff]), to.port, to.address);
      // One at a time, so that the proxy sees the sources in order.
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, settleMs));
  } finally {
    await Promise.all(sockets.map((s) => new Promise<void>((res) => s.close(() => res()))));
  }
}

/** An on-path relay between a stateless proxy and the registrar's JPY port (see the file comment). */
export class JpyTap {
  /** Datagrams relayed in each direction. */
  readonly relayed = { up: 0, down: 0 };
  /** Distinct jpy_headers seen in the registrar's answers (at most 64 kept). */
  readonly headers: Uint8Array[] = [];
  /** Datagrams injected towards the proxy. */
  injected = 0;
  private proxy: PeerAddress | undefined;
  private readonly seen = new Set<string>();

  private constructor(
    /** Faces the proxy, at the announced host and the registrar's JPY port number. */
    private readonly front: Socket,
    /** Faces the registrar. */
    private readonly back: Socket,
    registrarJpy: PeerAddress,
  ) {
    front.on('message', (msg, rinfo) => {
      this.proxy = { address: rinfo.address, port: rinfo.port };
      this.relayed.up++;
      back.send(msg, registrarJpy.port, registrarJpy.address);
    });
    back.on('message', (msg, rinfo) => {
      if (rinfo.address !== registrarJpy.address || rinfo.port !== registrarJpy.port || !this.proxy) return;
      this.remember(msg);
      this.relayed.down++;
      front.send(msg, this.proxy.port, this.proxy.address);
    });
  }

  /** Binds `host`:`registrarJpy.port` (facing the proxy) and `host`:0 (facing the registrar). */
  static async open(registrarJpy: PeerAddress, host = '127.0.0.2'): Promise<JpyTap> {
    const bind = (port: number): Promise<Socket> =>
      new Promise((res, rej) => {
        const s = createSocket('udp4');
        s.once('error', (e) => rej(new Error(`the JPY tap cannot bind ${host}:${port} (${e.message}); it needs the whole 127.0.0.0/8 on loopback, as Linux has`)));
        s.bind(port, host, () => {
          s.removeAllListeners('error');
          s.on('error', () => {});
          res(s);
        });
      });
    return new JpyTap(await bind(registrarJpy.port), await bind(0), registrarJpy);
  }

  /** Where the proxy sends from (its upstream socket), once it has sent something. */
  get proxyAddress(): PeerAddress | undefined {
    return this.proxy;
  }

  private remember(msg: Buffer): void {
    if (this.headers.length >= 64) return;
    try {
      const { header } = decodeJpyMessage(new Uint8Array(msg));
      const key = Buffer.from(header).toString('hex');
      if (!this.seen.has(key)) {
        this.seen.add(key);
        this.headers.push(Uint8Array.from(header));
      }
    } catch {
      // not a JPY message: nothing to remember
    }
  }

  /** Sends a JPY message to the proxy from the tap's front socket, as if from the registrar. */
  inject(header: Uint8Array, content: Uint8Array): Promise<void> {
    if (!this.proxy) throw new Error('the JPY tap has not seen the proxy yet');
    const bytes = encodeJpyMessage({ header, content });
    this.injected++;
    const to = this.proxy;
    return new Promise((res, rej) => this.front.send(bytes, to.port, to.address, (e) => (e ? rej(e) : res())));
  }

  async close(): Promise<void> {
    await Promise.all([this.front, this.back].map((s) => new Promise<void>((res) => s.close(() => res()))));
  }
}
