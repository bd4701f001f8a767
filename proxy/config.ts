/**
 * Configuration of the join proxy: command-line flags only. The only code of the proxy role that
 * reads argv; everything it returns is validated and frozen.
 */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { StackError } from '../src/core/errors.ts';
import type { LogLevel } from '../src/core/logger.ts';
import { JP_S4_3_DEFAULT_IDLE_TIMEOUT_MS, JP_S4_3_MAX_PER_ADDRESS, JP_S4_3_MAX_PER_INTERFACE } from '../src/protocol/join-proxy/pledge-table.ts';
import type { JoinProxyMode } from '../src/protocol/join-proxy/registrar-discovery.ts';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ProxyConfig {
  /** Undefined: let --discover decide. */
  readonly mode: JoinProxyMode | undefined;
  /** The join port (pledge side). */
  readonly listen: HostPort;
  /** The registrar (its CoAP(S) port), when configured. */
  readonly registrar: HostPort | undefined;
  /** The registrar's JPY port (stateless mode with --registrar). */
  readonly jpyPort: number | undefined;
  /** coap://HOST:PORT to query for rt=brski* (instead of --registrar). */
  readonly discover: string | undefined;
  readonly maxPledges: number;
  readonly maxPerAddress: number;
  readonly idleTimeoutMs: number;
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly keyRotationMs: number;
  readonly keyGraceMs: number;
  /** Undefined: 5683 when free, else a free port. */
  readonly discoveryPort: number | undefined;
  readonly discoveryHost: string;
  /** Where upstream sockets bind; undefined: chosen from the registrar's address. */
  readonly upstreamHost: string | undefined;
  readonly statsIntervalMs: number;
  readonly logLevel: LogLevel;
}

export const PROXY_HELP = `usage: brski proxy --mode stateful|stateless --listen HOST:PORT --registrar HOST:PORT [options]
       brski proxy --listen HOST:PORT --discover coap://HOST:PORT [options]

Join proxy (draft-ietf-anima-constrained-join-proxy-20): relays pledge datagrams on the join port
to the registrar, statefully (one upstream UDP socket per pledge) or statelessly (JPY messages from
one socket, the pledge's return address sealed in the JPY header).

  --mode M              stateful | stateless (with --discover: only accept that mode)
  --listen HOST:PORT    join port on the pledge side (port 0 picks a free one)
  --registrar HOST:PORT the registrar's CoAP(S) port (stateful mode relays to it)
  --jpy-port N          the registrar's JPY port (stateless mode; no default port exists)
  --discover URI        find the registrar instead: GET URI/.well-known/core?rt=brski*; a link
                        with rt=brski.rjp selects stateless mode, else rt=brski stateful
  --max-pledges N       pledges relayed at once; new ones beyond are dropped (default ${JP_S4_3_MAX_PER_INTERFACE})
  --max-per-address N   pledges at once from one IP address, 0 = no own limit (default ${JP_S4_3_MAX_PER_ADDRESS})
  --idle-timeout S      a pledge idle this long is forgotten (default ${JP_S4_3_DEFAULT_IDLE_TIMEOUT_MS / 1000})
  --rate N/s            datagrams per second per pledge, 0 = unlimited (default 100/s)
  --burst N             datagrams a pledge may send at once (default: one second's worth)
  --key-rotation S      stateless: new header key every S seconds, 0 = never (default 86400)
  --key-grace S         stateless: the previous key still opens headers this long (default 60)
  --discovery-port N    port of the pledge discovery responder, GET /.well-known/core?brski-jp=*
                        (default 5683 when free, else a free port; 0 picks a free one)
  --discovery-host H    its address (default: the --listen host)
  --upstream-host H     address the upstream sockets bind (default: loopback for a loopback
                        registrar, else the unspecified address)
  --stats-interval S    log the counters every S seconds, 0 = never (default 60)
  --log-level L         debug|info|warn|error (default info); logs are JSON lines on stderr
Prints "ready udp://HOST:PORT mode=M ..." on stdout once it relays, "counters {...}" on SIGUSR2 and
at exit. Stops on SIGINT or SIGTERM.`;

export type ParsedProxyConfig = { readonly help: true; readonly text: string } | { readonly help: false; readonly value: ProxyConfig };

function fail(msg: string): never {
  throw new StackError('ERR_CONFIG', msg);
}

/** HOST:PORT, [V6]:PORT. */
export function parseHostPort(text: string, what: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) fail(`${what} must be HOST:PORT or [IPv6]:PORT, got '${text}'`);
  const host = m[1]!;
  if (text.startsWith('[') && isIP(host) !== 6) fail(`${what}: '${host}' is not an IPv6 address`);
  return { host, port: port(m[2]!, what) };
}

function port(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 0xffff) fail(`${what}: port must be 0..65535, got '${text}'`);
  return n;
}

function num(text: string, what: string, min: number, integer = false): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    fail(`${what} must be ${integer ? 'a whole number' : 'a number'} >= ${min}, got '${text}'`);
  }
  return n;
}

function ipLiteral(text: string, what: string): string {
  if (isIP(text) === 0) fail(`${what} must be an IP address, got '${text}'`);
  return text;
}

export function parseProxyConfig(argv: readonly string[]): ParsedProxyConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        mode: { type: 'string' },
        listen: { type: 'string' },
        registrar: { type: 'string' },
        'jpy-port': { type: 'string' },
        discover: { type: 'string' },
        'max-pledges': { type: 'string', default: String(JP_S4_3_MAX_PER_INTERFACE) },
        'max-per-address': { type: 'string', default: String(JP_S4_3_MAX_PER_ADDRESS) },
        'idle-timeout': { type: 'string', default: String(JP_S4_3_DEFAULT_IDLE_TIMEOUT_MS / 1000) },
        rate: { type: 'string', default: '100/s' },
        burst: { type: 'string' },
        'key-rotation': { type: 'string', default: '86400' },
        'key-grace': { type: 'string', default: '60' },
        'discovery-port': { type: 'string' },
        'discovery-host': { type: 'string' },
        'upstream-host': { type: 'string' },
        'stats-interval': { type: 'string', default: '60' },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { help: true, text: PROXY_HELP };

  const mode = v.mode;
  if (mode !== undefined && mode !== 'stateful' && mode !== 'stateless') fail(`--mode must be stateful or stateless, got '${mode}'`);
  if (!v.listen) fail('--listen HOST:PORT is required');
  const listen = parseHostPort(v.listen, '--listen');
  ipLiteral(listen.host, '--listen host');
  if (v.registrar && v.discover) fail('give either --registrar or --discover, not both');
  if (!v.registrar && !v.discover) fail('--registrar HOST:PORT or --discover coap://HOST:PORT is required');
  if (v.registrar && !mode) fail('--mode stateful|stateless is required with --registrar');
  const registrar = v.registrar ? parseHostPort(v.registrar, '--registrar') : undefined;
  const jpyPort = v['jpy-port'] !== undefined ? port(v['jpy-port'], '--jpy-port') : undefined;
  if (registrar && mode === 'stateless' && (jpyPort === undefined || jpyPort === 0)) {
    fail('--jpy-port N is required in stateless mode with --registrar (the JPY protocol has no default port)');
  }
  if (v.discover !== undefined && !/^coap:\/\//.test(v.discover)) fail(`--discover takes a coap:// URI (no DTLS here), got '${v.discover}'`);

  const rateText = v.rate.endsWith('/s') ? v.rate.slice(0, -2) : v.rate;
  const ratePerSecond = num(rateText, '--rate', 0);
  const burst = v.burst !== undefined ? num(v.burst, '--burst', 1) : Math.max(1, ratePerSecond);
  const keyRotationMs = num(v['key-rotation'], '--key-rotation', 0) * 1000;
  const keyGraceMs = num(v['key-grace'], '--key-grace', 0) * 1000;
  const level = v['log-level'] as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) fail('--log-level must be debug, info, warn or error');

  const config: ProxyConfig = {
    mode,
    listen,
    registrar,
    jpyPort,
    discover: v.discover,
    maxPledges: num(v['max-pledges'], '--max-pledges', 1, true),
    maxPerAddress: num(v['max-per-address'], '--max-per-address', 0, true),
    idleTimeoutMs: num(v['idle-timeout'], '--idle-timeout', 0.001) * 1000,
    ratePerSecond,
    burst,
    keyRotationMs,
    keyGraceMs,
    discoveryPort: v['discovery-port'] !== undefined ? port(v['discovery-port'], '--discovery-port') : undefined,
    discoveryHost: v['discovery-host'] !== undefined ? ipLiteral(v['discovery-host'], '--discovery-host') : listen.host,
    upstreamHost: v['upstream-host'] !== undefined ? ipLiteral(v['upstream-host'], '--upstream-host') : undefined,
    statsIntervalMs: num(v['stats-interval'], '--stats-interval', 0) * 1000,
    logLevel: level,
  };
  return { help: false, value: Object.freeze(config) };
}
