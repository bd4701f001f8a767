/**
 * Benchmark (not a test): how many datagrams per second the join proxy relays, beside a minimal
 * plain UDP relay (a ~20-line node:dgram forwarder, PLAIN_RELAY below) in the same run. The load
 * comes from the raw-UDP C client scripts/bench/coap-load.c (compiled here with `cc -O2` into
 * .tmp/bench/), each of its sockets standing for one pledge, against `brski coap serve` behind:
 *
 *   direct     no relay (the reference: what the server alone does)
 *   plain      the plain node:dgram relay (one upstream socket per client, no checks)
 *   stateful   brski proxy --mode stateful (cap, per-pledge rate limit and source checks on,
 *              set wide enough not to drop anything)
 *   stateless  brski proxy --mode stateless in front of a JPY registrar started by this script
 *              (Endpoint + JpyTransport serving the same two files from memory): the header
 *              sealing and opening on every datagram, and JPY on the registrar side
 *
 * Workloads: `small` (GET of 13 bytes) and `block2` (1 KB fetched in 64-byte Block2 blocks), at
 * concurrency 1, 16 and 64 (min(concurrency, 16) sockets). Relays are interleaved cell by cell.
 * Datagrams through the relay per second = (2 × responses + resends) / s. CPU is read from
 * /proc/PID/stat, so "µs/dgram" (relay CPU per relayed datagram) compares the relays even on a
 * busy machine. Prints a table and writes JSON.
 *
 *   npx tsx scripts/bench/proxy-relay.ts [--duration S] [--out FILE]
 *
 * Options: --duration S (default 5), --warmup S (default 1), --concurrency 1,16,64,
 * --workloads small,block2, --relays direct,plain,stateful,stateless, --timeout-ms MS (load
 * client resend timeout, default 200), --no-pin (by default, with 2+ CPUs the load client runs on
 * CPU 0 and the relay and server on the others), --out FILE (default bench-results/proxy-relay.json).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SELF = fileURLToPath(import.meta.url);
const HOST = '127.0.0.1';
const SMALL = new TextEncoder().encode('Hello, CoAP!\n');
const BIG = deterministicBytes(1024);
const BLOCK_SIZE = 64;

type RelayName = 'direct' | 'plain' | 'stateful' | 'stateless';
type Workload = 'small' | 'block2';

/**
 * The plain relay: every client address gets its own upstream socket; datagrams are forwarded both
 * ways unchanged, with no limits, no expiry and no checks. Run as `node -e PLAIN_RELAY LISTEN TARGET`.
 */
const PLAIN_RELAY = `
const dgram = require('node:dgram');
const [listenPort, targetPort] = process.argv.slice(1).map(Number);
const front = dgram.createSocket('udp4');
const upstreams = new Map();
front.on('message', (msg, from) => {
  const key = from.address + ':' + from.port;
  let up = upstreams.get(key);
  if (!up) {
    up = dgram.createSocket('udp4');
    up.on('message', (m) => front.send(m, from.port, from.address));
    up.bind(0, '127.0.0.1');
    upstreams.set(key, up);
  }
  up.send(msg, targetPort, '127.0.0.1');
});
front.bind(listenPort, '127.0.0.1', () => {
  front.setRecvBufferSize(4 << 20);
  process.stdout.write('ready ' + front.address().port + '\\n');
});
process.on('SIGTERM', () => process.exit(0));
`;

interface LoadResult {
  ops: number;
  ops_per_s: number;
  blocks: number;
  blocks_per_s: number;
  requests_sent: number;
  resends: number;
  errors: number;
  stale: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  duration_s: number;
}

interface Relay {
  readonly name: RelayName;
  /** Where the load client sends. */
  readonly port: number;
  /** The relay process (none for direct). */
  readonly proc?: ChildProcess;
  readonly command?: string[];
}

interface Cell {
  relay: RelayName;
  workload: Workload;
  concurrency: number;
  sockets: number;
  ops_per_s: number;
  dgrams_per_s: number;
  resends: number;
  errors: number;
  stale: number;
  latency_ms: LoadResult['latency_ms'];
  wall_s: number;
  relay_cpu_util: number | null;
  relay_cpu_us_per_dgram: number | null;
  server_cpu_util: number | null;
}

const children = new Set<ChildProcess>();
let workDir: string | undefined;

function killAll(signal: NodeJS.Signals): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
}
process.on('exit', () => {
  killAll('SIGKILL');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    killAll('SIGTERM');
    process.exit(130);
  });
}

async function main(): Promise<number> {
  const { values: v } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      out: { type: 'string', default: join(REPO, 'bench-results', 'proxy-relay.json') },
      concurrency: { type: 'string', default: '1,16,64' },
      workloads: { type: 'string', default: 'small,block2' },
      relays: { type: 'string', default: 'direct,plain,stateful,stateless' },
      'timeout-ms': { type: 'string', default: '200' },
      'no-pin': { type: 'boolean', default: false },
      'jpy-registrar': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v['jpy-registrar'] !== undefined) return serveJpyRegistrar(v['jpy-registrar']);
  if (v.help) {
    process.stdout.write(readFileSync(SELF, 'utf8').split('*/')[0]!.replace(/^\/\*\*|^ \* ?/gm, '') + '\n');
    return 0;
  }
  const duration = Number(v.duration);
  const warmup = Number(v.warmup);
  const concurrencies = v.concurrency.split(',').map(Number);
  const workloads = v.workloads.split(',') as Workload[];
  const relayNames = v.relays.split(',') as RelayName[];
  if (!(duration > 0) || !(warmup >= 0) || concurrencies.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('bad --duration, --warmup or --concurrency');
  if (workloads.some((w) => w !== 'small' && w !== 'block2')) throw new Error('--workloads takes small,block2');
  if (relayNames.some((r) => !['direct', 'plain', 'stateful', 'stateless'].includes(r))) throw new Error('--relays takes direct,plain,stateful,stateless');

  const ncpu = cpus().length;
  const pin = !v['no-pin'] && ncpu >= 2 && hasCommand('taskset');
  const clientCpu = pin ? ['taskset', '-c', '0'] : [];
  const relayCpu = pin ? ['taskset', '-c', '1'] : [];
  const serverCpu = pin ? ['taskset', '-c', ncpu >= 3 ? '2' : '1'] : [];
  const clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

  const buildDir = join(REPO, '.tmp', 'bench');
  await mkdir(buildDir, { recursive: true });
  const loadBin = join(buildDir, 'coap-load');
  execFileSync('cc', ['-O2', '-Wall', '-o', loadBin, join(REPO, 'scripts', 'bench', 'coap-load.c')], { stdio: 'inherit' });

  const work = await mkdtemp(join(tmpdir(), 'proxy-bench-'));
  workDir = work;
  const root = join(work, 'root');
  await mkdir(root);
  await writeFile(join(root, 'small.txt'), SMALL);
  await writeFile(join(root, 'big.bin'), BIG);

  // 1. The servers behind the relays.
  const server = await startProcess([...serverCpu, join(REPO, 'bin', 'brski'), 'coap', 'serve', '--root', root, '--host', HOST, '--port', '0', '--log-level', 'warn'], /^ready coap:\/\/[^\s]*:(\d+)/);
  log(`server: pid ${server.proc.pid} coap://${HOST}:${server.port}`);
  const relays: Relay[] = [];
  let jpyRegistrar: { proc: ChildProcess; port: number } | undefined;
  for (const name of relayNames) {
    if (name === 'direct') relays.push({ name, port: server.port });
    else if (name === 'plain') {
      const command = [...relayCpu, process.execPath, '-e', PLAIN_RELAY, '0', String(server.port)];
      const p = await startProcess(command, /^ready (\d+)/);
      relays.push({ name, port: p.port, proc: p.proc, command });
    } else {
      const common = ['--listen', `${HOST}:0`, '--max-pledges', '10000', '--max-per-address', '0', '--rate', '0', '--discovery-port', '0', '--stats-interval', '0', '--log-level', 'warn'];
      let args: string[];
      if (name === 'stateful') args = ['--mode', 'stateful', '--registrar', `${HOST}:${server.port}`, ...common];
      else {
        jpyRegistrar ??= await startProcess([...serverCpu, process.execPath, '--import', 'tsx', SELF, '--jpy-registrar', root], /^ready jpy:\/\/[^\s]*:(\d+)/);
        log(`JPY registrar: pid ${jpyRegistrar.proc.pid} jpy://${HOST}:${jpyRegistrar.port}`);
        args = ['--mode', 'stateless', '--registrar', `${HOST}:1`, '--jpy-port', String(jpyRegistrar.port), ...common];
      }
      const command = [...relayCpu, join(REPO, 'bin', 'brski'), 'proxy', ...args];
      const p = await startProcess(command, /^ready udp:\/\/[^\s]*:(\d+)/);
      relays.push({ name, port: p.port, proc: p.proc, command });
    }
    log(`${name}: udp://${HOST}:${relays.at(-1)!.port}`);
  }

  try {
    // 2. Every path serves the same bytes.
    if (hasCommand('coap-client-notls')) {
      for (const r of relays) {
        const out = join(work, `check-${r.name}`);
        execFileSync('coap-client-notls', ['-B', '10', '-b', String(BLOCK_SIZE), '-o', out, `coap://${HOST}:${r.port}/big.bin`], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 15_000 });
        if (Buffer.compare(new Uint8Array(await readFile(out)), BIG) !== 0) throw new Error(`${r.name}: GET /big.bin returned different bytes`);
      }
      log(`1 KB verified through ${relays.map((r) => r.name).join(', ')}`);
    }

    // 3. The cells, relays interleaved (alternating which goes first).
    const cells: Cell[] = [];
    const total = workloads.length * concurrencies.length * relays.length;
    log(`${total} cells of ${warmup}+${duration} s${pin ? `, load client on CPU 0, relays on CPU ${relayCpu[2]}, servers on CPU ${serverCpu[2]}` : ''}`);
    let n = 0;
    for (const workload of workloads) {
      for (const concurrency of concurrencies) {
        const order = n % 2 === 0 ? relays : [...relays].reverse();
        for (const r of order) {
          if (r.proc && (r.proc.exitCode !== null || r.proc.signalCode !== null)) throw new Error(`${r.name} exited`);
          const backend = r.name === 'stateless' ? jpyRegistrar!.proc : server.proc;
          const cell = await runCell(r, backend, workload, concurrency, { loadBin, clientCpu, duration, warmup, clkTck, timeoutMs: v['timeout-ms'] });
          cells.push(cell);
          n++;
          log(
            `[${cells.length}/${total}] ${r.name} ${workload} c=${concurrency}: ${fmtInt(cell.dgrams_per_s)} dgrams/s, ${fmtInt(cell.ops_per_s)} ops/s, ` +
              `p50 ${cell.latency_ms.p50.toFixed(3)} ms, resends ${cell.resends}, errors ${cell.errors}` +
              (cell.relay_cpu_util !== null ? `, relay CPU ${Math.round(cell.relay_cpu_util * 100)}%` : ''),
          );
        }
      }
    }

    const ratios = [];
    for (const workload of workloads) {
      for (const concurrency of concurrencies) {
        const plain = cells.find((c) => c.relay === 'plain' && c.workload === workload && c.concurrency === concurrency);
        for (const c of cells.filter((x) => x.workload === workload && x.concurrency === concurrency && (x.relay === 'stateful' || x.relay === 'stateless'))) {
          if (!plain) continue;
          ratios.push({
            relay: c.relay,
            workload,
            concurrency,
            dgrams_ratio_vs_plain: plain.dgrams_per_s > 0 ? round(c.dgrams_per_s / plain.dgrams_per_s, 3) : null,
            cpu_per_dgram_ratio_vs_plain: c.relay_cpu_us_per_dgram && plain.relay_cpu_us_per_dgram ? round(c.relay_cpu_us_per_dgram / plain.relay_cpu_us_per_dgram, 3) : null,
          });
        }
      }
    }
    process.stdout.write(`\n${table(cells, ratios)}\n`);
    const report = {
      benchmark: 'proxy-relay',
      date: new Date().toISOString(),
      host: { cpus: ncpu, cpu_model: cpus()[0]?.model, kernel: release(), node: process.version },
      params: {
        duration_s: duration,
        warmup_s: warmup,
        concurrency: concurrencies,
        workloads,
        block_size: BLOCK_SIZE,
        payload_bytes: { small: SMALL.length, block2: BIG.length },
        client_timeout_ms: Number(v['timeout-ms']),
        sockets: 'min(concurrency, 16), one pledge each',
        pinned: pin ? { client: clientCpu[2], relays: relayCpu[2], servers: serverCpu[2] } : null,
        dgrams_per_s: '(2 x responses + resends) / measured seconds: datagrams through the relay',
      },
      relays: Object.fromEntries(relays.map((r) => [r.name, { port: r.port, command: r.command?.map((a) => (a === PLAIN_RELAY ? '<PLAIN_RELAY>' : a)) ?? null }])),
      plain_relay_source: PLAIN_RELAY.trim(),
      results: cells,
      ratios,
    };
    await mkdir(dirname(resolve(v.out)), { recursive: true });
    await writeFile(v.out, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${v.out}`);
    return 0;
  } finally {
    await Promise.all([...relays.map((r) => r.proc), server.proc, jpyRegistrar?.proc].filter((p): p is ChildProcess => !!p).map(stop));
  }
}

interface CellParams {
  loadBin: string;
  clientCpu: string[];
  duration: number;
  warmup: number;
  clkTck: number;
  timeoutMs: string;
}

async function runCell(r: Relay, backend: ChildProcess, workload: Workload, concurrency: number, p: CellParams): Promise<Cell> {
  const sockets = Math.min(concurrency, 16);
  const args = [
    '--host', HOST, '--port', String(r.port), '--path', workload === 'small' ? '/small.txt' : '/big.bin', '--mode', workload,
    '--concurrency', String(concurrency), '--sockets', String(sockets), '--duration', String(p.duration), '--warmup', String(p.warmup),
    '--timeout-ms', p.timeoutMs, '--block-size', String(BLOCK_SIZE), '--expect-size', String(workload === 'small' ? SMALL.length : BIG.length),
    '--label', `${r.name}/${workload}/c${concurrency}`,
  ];
  const relayCpu0 = r.proc ? cpuTicks(r.proc.pid!) : null;
  const serverCpu0 = cpuTicks(backend.pid!);
  const t0 = process.hrtime.bigint();
  const out = await runCapture([...p.clientCpu, p.loadBin, ...args], (p.duration + p.warmup) * 1000 + 30_000);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const relayCpu1 = r.proc ? cpuTicks(r.proc.pid!) : null;
  const serverCpu1 = cpuTicks(backend.pid!);
  const res = JSON.parse(out.trim().split('\n').pop()!) as LoadResult;
  const dgrams = (2 * res.blocks + res.resends) / res.duration_s;
  const relayUtil = relayCpu0 !== null && relayCpu1 !== null ? (relayCpu1 - relayCpu0) / p.clkTck / wall : null;
  const serverUtil = serverCpu0 !== null && serverCpu1 !== null ? (serverCpu1 - serverCpu0) / p.clkTck / wall : null;
  return {
    relay: r.name,
    workload,
    concurrency,
    sockets,
    ops_per_s: round(res.ops_per_s, 1),
    dgrams_per_s: round(dgrams, 1),
    resends: res.resends,
    errors: res.errors,
    stale: res.stale,
    latency_ms: res.latency_ms,
    wall_s: round(wall, 3),
    relay_cpu_util: relayUtil !== null ? round(relayUtil, 3) : null,
    relay_cpu_us_per_dgram: relayUtil !== null && dgrams > 0 ? round((relayUtil * 1e6) / dgrams, 2) : null,
    server_cpu_util: serverUtil !== null ? round(serverUtil, 3) : null,
  };
}

/** `--jpy-registrar DIR`: the stateless relay's back end, serving DIR's files through a JpyTransport. */
async function serveJpyRegistrar(dir: string): Promise<number> {
  const { Code } = await import('../../src/codec/coap/numbers/codes.ts');
  const { BlockwiseLayer } = await import('../../src/stack/blockwise-layer.ts');
  const { Endpoint } = await import('../../src/stack/endpoint.ts');
  const { response } = await import('../../src/stack/exchange.ts');
  const { JpyTransport } = await import('../../src/stack/jpy-transport.ts');
  const { Router } = await import('../../src/stack/router.ts');
  const { UdpTransport } = await import('../../src/transport/udp.ts');
  const inner = await UdpTransport.bind({ host: HOST, port: 0, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  const router = new Router();
  for (const f of ['small.txt', 'big.bin']) {
    const data = new Uint8Array(await readFile(join(dir, f)));
    router.add({ path: `/${f}`, methods: { [Code.GET]: () => response(Code.CONTENT, data) } });
  }
  const endpoint = new Endpoint(new JpyTransport(inner, { maxPeers: 4096 }), [new BlockwiseLayer()]).setHandler(router.handle);
  await new Promise<void>((done) => {
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
    process.stdout.write(`ready jpy://${HOST}:${inner.localAddress().port}\n`);
  });
  await endpoint.close();
  return 0;
}

// ---- processes -----------------------------------------------------------------------------------

async function startProcess(command: string[], ready: RegExp): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(command[0]!, command.slice(1), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const port = await new Promise<number>((ok, fail) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`${command.join(' ').slice(0, 200)}: no ready line within 60 s: ${buf} ${err}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = ready.exec(buf);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${command.join(' ').slice(0, 200)} exited (${code}) before it was ready: ${err}`));
    });
  });
  return { proc, port };
}

function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    proc.kill('SIGTERM');
  });
}

function runCapture(cmd: string[], timeoutMs: number): Promise<string> {
  return new Promise((ok, fail) => {
    const proc = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(proc);
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      children.delete(proc);
      if (code === 0) ok(out);
      else fail(new Error(`${cmd.join(' ')} exited ${code ?? sig}: ${err}`));
    });
  });
}

/** utime + stime in clock ticks (proc(5) /proc/PID/stat fields 14 and 15). */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, name)));
}

// ---- report --------------------------------------------------------------------------------------

function table(cells: Cell[], ratios: { relay: RelayName; workload: Workload; concurrency: number; dgrams_ratio_vs_plain: number | null }[]): string {
  const head = ['relay', 'workload', 'conc', 'dgrams/s', 'ops/s', 'p50 ms', 'p99 ms', 'resends', 'errors', 'relay CPU', 'µs/dgram', 'srv CPU', 'vs plain'];
  const order: RelayName[] = ['direct', 'plain', 'stateful', 'stateless'];
  const rows = cells
    .slice()
    .sort((a, b) => a.workload.localeCompare(b.workload) * -1 || a.concurrency - b.concurrency || order.indexOf(a.relay) - order.indexOf(b.relay))
    .map((c) => {
      const r = ratios.find((x) => x.relay === c.relay && x.workload === c.workload && x.concurrency === c.concurrency);
      return [
        c.relay,
        c.workload,
        String(c.concurrency),
        fmtInt(c.dgrams_per_s),
        fmtInt(c.ops_per_s),
        c.latency_ms.p50.toFixed(3),
        c.latency_ms.p99.toFixed(3),
        String(c.resends),
        String(c.errors),
        c.relay_cpu_util !== null ? `${Math.round(c.relay_cpu_util * 100)}%` : '',
        c.relay_cpu_us_per_dgram !== null ? c.relay_cpu_us_per_dgram.toFixed(1) : '',
        c.server_cpu_util !== null ? `${Math.round(c.server_cpu_util * 100)}%` : '',
        r?.dgrams_ratio_vs_plain != null ? r.dgrams_ratio_vs_plain.toFixed(2) : '',
      ];
    });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const left = new Set([0, 1]);
  const line = (r: string[]): string => r.map((x, i) => (left.has(i) ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function deterministicBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function fmtInt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function log(msg: string): void {
  process.stderr.write(`proxy-relay: ${msg}\n`);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`proxy-relay: ${(err as Error).stack ?? String(err)}\n`);
    killAll('SIGTERM');
    process.exitCode = 1;
  },
);
