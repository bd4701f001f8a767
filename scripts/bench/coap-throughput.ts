/**
 * Benchmark (not a test): CoAP requests per second for a small GET and for a 1 KB response fetched
 * in 64-byte Block2 blocks, at concurrency 1, 16 and 64, against our `brski coap serve` and against
 * libcoap's coap-server-notls in the same run. The load comes from one raw-UDP C client
 * (scripts/bench/coap-load.c, compiled here with `cc -O2` into .tmp/bench/) in its own process;
 * servers are interleaved cell by cell to reduce drift. Prints a table and writes JSON.
 *
 *   npx tsx scripts/bench/coap-throughput.ts [--duration S] [--out FILE]
 *   npm run bench:coap -- --duration 2
 *
 * Options: --duration S (measured seconds per cell, default 5), --warmup S (default 1),
 * --concurrency 1,16,64, --workloads small,block2, --servers ours,libcoap, --timeout-ms MS
 * (load client resend timeout, default 200), --spin-us US (client busy-polls that long before it
 * sleeps, default 50), --no-pin (by default, with 2+ CPUs, the load client runs on CPU 0 and each
 * server on CPU 1, which makes runs on a shared machine far more repeatable), --cpu-prof DIR
 * (start our server as `node --cpu-prof --cpu-prof-dir DIR`), --rounds N (repeat the whole
 * matrix N times, interleaved; the table shows each cell's median run, the JSON every run),
 * --out FILE (default bench-results/coap-throughput.json).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HOST = '127.0.0.1';
const SMALL = new TextEncoder().encode('Hello, CoAP!\n'); // 13 bytes
const BIG = deterministicBytes(1024);
const BLOCK_SIZE = 64;

type ServerName = 'ours' | 'libcoap';
type Workload = 'small' | 'block2';

interface Server {
  readonly name: ServerName;
  readonly proc: ChildProcess;
  readonly port: number;
  readonly command: string[];
}

/** One JSON line of coap-load. */
interface LoadResult {
  ops: number;
  ops_per_s: number;
  blocks: number;
  blocks_per_s: number;
  requests_sent: number;
  resends: number;
  errors: number;
  error_detail: Record<string, number>;
  stale: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  client_cpu_s: number;
  duration_s: number;
}

interface Cell extends LoadResult {
  server: ServerName;
  workload: Workload;
  concurrency: number;
  round: number;
  wall_s: number;
  server_cpu_s: number | null;
  /** Server CPU time over the cell's wall time (1 = one core busy). */
  server_cpu_util: number | null;
  /** Server CPU microseconds per request datagram answered. */
  server_cpu_us_per_request: number | null;
}

const children = new Set<ChildProcess>();
/** The temporary served directory, removed on every way out. */
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
      out: { type: 'string', default: join(REPO, 'bench-results', 'coap-throughput.json') },
      concurrency: { type: 'string', default: '1,16,64' },
      workloads: { type: 'string', default: 'small,block2' },
      servers: { type: 'string', default: 'ours,libcoap' },
      'timeout-ms': { type: 'string', default: '200' },
      'spin-us': { type: 'string', default: '50' },
      'no-pin': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      rounds: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*|^ \* ?/gm, '') + '\n');
    return 0;
  }
  const duration = Number(v.duration);
  const warmup = Number(v.warmup);
  const concurrencies = v.concurrency.split(',').map(Number);
  const workloads = v.workloads.split(',') as Workload[];
  const serverNames = v.servers.split(',') as ServerName[];
  const rounds = Number(v.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes a whole number >= 1');
  if (!(duration > 0) || !(warmup >= 0) || concurrencies.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('bad --duration, --warmup or --concurrency');
  if (workloads.some((w) => w !== 'small' && w !== 'block2')) throw new Error('--workloads takes small,block2');
  if (serverNames.some((s) => s !== 'ours' && s !== 'libcoap')) throw new Error('--servers takes ours,libcoap');

  const pin = !v['no-pin'] && cpus().length >= 2 && hasCommand('taskset');
  const clientCpu = pin ? ['taskset', '-c', '0'] : [];
  const serverCpu = pin ? ['taskset', '-c', '1'] : [];
  const clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

  // 1. The load client.
  const buildDir = join(REPO, '.tmp', 'bench');
  await mkdir(buildDir, { recursive: true });
  const loadBin = join(buildDir, 'coap-load');
  execFileSync('cc', ['-O2', '-Wall', '-o', loadBin, join(REPO, 'scripts', 'bench', 'coap-load.c')], { stdio: 'inherit' });

  // 2. The served directory.
  const work = await mkdtemp(join(tmpdir(), 'coap-bench-'));
  workDir = work;
  const root = join(work, 'root');
  await mkdir(root);
  await writeFile(join(root, 'small.txt'), SMALL);
  await writeFile(join(root, 'big.bin'), BIG);

  const servers: Server[] = [];
  try {
    // 3. The servers, on free loopback ports.
    for (const name of serverNames) {
      const s = name === 'ours' ? await startOurs(root, serverCpu, v['cpu-prof']) : await startLibcoap(serverCpu);
      servers.push(s);
      log(`${name}: pid ${s.proc.pid} coap://${HOST}:${s.port} (${s.command.join(' ')})`);
    }
    const libcoap = servers.find((s) => s.name === 'libcoap');
    if (libcoap) {
      for (const f of ['small.txt', 'big.bin']) {
        coapClient(['-m', 'put', '-f', join(root, f), `coap://${HOST}:${libcoap.port}/${f}`]);
      }
    }
    // 4. Each server must serve the same bytes, whole and in 64-byte blocks.
    for (const s of servers) {
      for (const [f, want] of [['small.txt', SMALL], ['big.bin', BIG]] as const) {
        const out = join(work, `check-${s.name}-${f}`);
        coapClient(['-m', 'get', '-b', String(BLOCK_SIZE), '-o', out, `coap://${HOST}:${s.port}/${f}`]);
        const got = new Uint8Array(await readFile(out));
        if (Buffer.compare(got, want) !== 0) throw new Error(`${s.name}: GET /${f} returned ${got.length} bytes that differ from the ${want.length} put there`);
      }
    }
    log(`both payloads verified on ${servers.map((s) => s.name).join(' and ')}`);

    // 5. The cells, interleaving servers (and alternating which goes first).
    const cells: Cell[] = [];
    const total = rounds * workloads.length * concurrencies.length * servers.length;
    log(`${total} cells of ${warmup}+${duration} s${pin ? ', load client on CPU 0, servers on CPU 1' : ''}`);
    let n = 0;
    for (let round = 1; round <= rounds; round++) {
      for (const workload of workloads) {
        for (const concurrency of concurrencies) {
          const order = n % 2 === 0 ? servers : [...servers].reverse();
          for (const s of order) {
            if (s.proc.exitCode !== null || s.proc.signalCode !== null) throw new Error(`${s.name} server exited (${s.proc.exitCode ?? s.proc.signalCode})`);
            const params = { loadBin, clientCpu, duration, warmup, clkTck, timeoutMs: v['timeout-ms'], spinUs: v['spin-us'] };
            const cell: Cell = { round, ...(await runCell(s, workload, concurrency, params)) };
            cells.push(cell);
            n++;
            log(`[${cells.length}/${total}] ${s.name} ${workload} c=${concurrency}: ${fmtInt(cell.ops_per_s)} ops/s` +
                (workload === 'block2' ? `, ${fmtInt(cell.blocks_per_s)} blocks/s` : '') +
                `, p50 ${cell.latency_ms.p50.toFixed(3)} ms, resends ${cell.resends}, errors ${cell.errors}` +
                (cell.server_cpu_util !== null ? `, server CPU ${Math.round(cell.server_cpu_util * 100)}%` : ''));
          }
        }
      }
    }

    // 6. Report: per cell, the median run by ops/s.
    const summary: Cell[] = [];
    const ratios = [];
    for (const workload of workloads) {
      for (const concurrency of concurrencies) {
        for (const s of servers) {
          const runs = cells.filter((c) => c.server === s.name && c.workload === workload && c.concurrency === concurrency);
          summary.push(runs.sort((a, b) => a.ops_per_s - b.ops_per_s)[Math.floor((runs.length - 1) / 2)]!);
        }
        const ours = summary.find((c) => c.server === 'ours' && c.workload === workload && c.concurrency === concurrency);
        const lib = summary.find((c) => c.server === 'libcoap' && c.workload === workload && c.concurrency === concurrency);
        if (ours && lib) {
          ratios.push({
            workload,
            concurrency,
            ops_ratio: lib.ops_per_s > 0 ? round(ours.ops_per_s / lib.ops_per_s, 3) : null,
            /** libcoap's server CPU per request over ours: the ratio that a busy shared machine disturbs least. */
            cpu_efficiency_ratio:
              ours.server_cpu_us_per_request && lib.server_cpu_us_per_request ? round(lib.server_cpu_us_per_request / ours.server_cpu_us_per_request, 3) : null,
          });
        }
      }
    }
    process.stdout.write(`\n${table(summary, ratios)}\n`);
    const report = {
      benchmark: 'coap-throughput',
      date: new Date().toISOString(),
      host: { cpus: cpus().length, cpu_model: cpus()[0]?.model, kernel: release(), node: process.version, libcoap: libcoapVersion() },
      params: {
        duration_s: duration,
        warmup_s: warmup,
        concurrency: concurrencies,
        workloads,
        block_size: BLOCK_SIZE,
        payload_bytes: { small: SMALL.length, block2: BIG.length },
        client_timeout_ms: Number(v['timeout-ms']),
        client_spin_us: Number(v['spin-us']),
        pinned: pin ? { client_cpu: 0, server_cpu: 1 } : null,
        rounds,
      },
      servers: Object.fromEntries(servers.map((s) => [s.name, { command: s.command, port: s.port }])),
      /** The median run of each cell (what the table shows). */
      summary,
      ratios,
      /** Every run, in the order they ran. */
      results: cells,
    };
    await mkdir(dirname(resolve(v.out)), { recursive: true });
    await writeFile(v.out, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${v.out}`);
    return 0;
  } finally {
    await Promise.all(servers.map((s) => stop(s.proc)));
    await rm(work, { recursive: true, force: true });
  }
}

interface CellParams {
  loadBin: string;
  clientCpu: string[];
  duration: number;
  warmup: number;
  clkTck: number;
  timeoutMs: string;
  spinUs: string;
}

async function runCell(s: Server, workload: Workload, concurrency: number, p: CellParams): Promise<Omit<Cell, 'round'>> {
  const path = workload === 'small' ? '/small.txt' : '/big.bin';
  const args = [
    '--host', HOST, '--port', String(s.port), '--path', path, '--mode', workload,
    '--concurrency', String(concurrency), '--duration', String(p.duration), '--warmup', String(p.warmup),
    '--timeout-ms', p.timeoutMs, '--spin-us', p.spinUs, '--block-size', String(BLOCK_SIZE),
    '--expect-size', String(workload === 'small' ? SMALL.length : BIG.length), '--label', `${s.name}/${workload}/c${concurrency}`,
  ];
  const cmd = [...p.clientCpu, p.loadBin, ...args];
  const cpu0 = cpuTicks(s.proc.pid!);
  const t0 = process.hrtime.bigint();
  const out = await runCapture(cmd, (p.duration + p.warmup) * 1000 + 30_000);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = cpuTicks(s.proc.pid!);
  const r = JSON.parse(out.trim().split('\n').pop()!) as LoadResult;
  const cpuS = cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) / p.clkTck : null;
  const util = cpuS !== null ? cpuS / wall : null;
  return {
    server: s.name,
    workload,
    concurrency,
    ...r,
    wall_s: round(wall, 3),
    server_cpu_s: cpuS,
    server_cpu_util: util !== null ? round(util, 3) : null,
    server_cpu_us_per_request: util !== null && r.blocks_per_s > 0 ? round((util * 1e6) / r.blocks_per_s, 2) : null,
  };
}

// ---- servers -------------------------------------------------------------------------------------

async function startOurs(root: string, cpu: string[], profDir: string | undefined): Promise<Server> {
  const args = ['coap', 'serve', '--root', root, '--host', HOST, '--port', '0', '--log-level', 'warn'];
  let command: string[];
  if (profDir) {
    await mkdir(resolve(profDir), { recursive: true });
    command = [...cpu, process.execPath, '--cpu-prof', '--cpu-prof-dir', resolve(profDir), join(REPO, 'bin', 'brski'), ...args];
  } else command = [...cpu, join(REPO, 'bin', 'brski'), ...args];
  const proc = launch(command);
  const port = await new Promise<number>((ok, fail) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`our server printed no ready line within 60 s: ${buf}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /^ready coap:\/\/[^\s]*:(\d+)/m.exec(buf);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`our server exited (${code}) before it was ready`));
    });
  });
  return { name: 'ours', proc, port, command };
}

async function startLibcoap(cpu: string[]): Promise<Server> {
  if (!hasCommand('coap-server-notls')) throw new Error('coap-server-notls (libcoap) is not installed');
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort();
    const command = [...cpu, 'coap-server-notls', '-A', HOST, '-p', String(port), '-d', '10'];
    const proc = launch(command);
    if (await coapPing(port, 5000)) return { name: 'libcoap', proc, port, command };
    await stop(proc);
  }
  throw new Error('coap-server-notls did not answer a CoAP ping');
}

function launch(command: string[]): ChildProcess {
  const proc = spawn(command[0]!, command.slice(1), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  proc.once('exit', (code, sig) => {
    if (code && code !== 0) process.stderr.write(`${command.join(' ')} exited ${code ?? sig}: ${err}\n`);
  });
  proc.stdout!.resume();
  return proc;
}

/** SIGTERM, then SIGKILL after 5 s (our server writes its --cpu-prof profile on a clean exit). */
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

/** An empty CON (CoAP ping, RFC 7252 §4.3) must be answered with a RST carrying its message ID. */
async function coapPing(port: number, withinMs: number): Promise<boolean> {
  const sock = createSocket('udp4');
  try {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      const mid = Math.floor(Math.random() * 0x10000);
      const got = await new Promise<boolean>((ok) => {
        const timer = setTimeout(() => {
          sock.off('message', onMsg);
          ok(false);
        }, 100);
        const onMsg = (m: Buffer): void => {
          if (m.length >= 4 && ((m[0]! >> 4) & 3) === 3 && m.readUInt16BE(2) === mid) {
            clearTimeout(timer);
            sock.off('message', onMsg);
            ok(true);
          }
        };
        sock.on('message', onMsg);
        sock.send(Uint8Array.of(0x40, 0, mid >> 8, mid & 0xff), port, HOST);
      });
      if (got) return true;
    }
    return false;
  } finally {
    sock.close();
  }
}

function freeUdpPort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createSocket('udp4');
    s.once('error', fail);
    s.bind(0, HOST, () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function coapClient(args: string[]): void {
  execFileSync('coap-client-notls', ['-B', '10', ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 15_000 });
}

// ---- helpers -------------------------------------------------------------------------------------

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

/** utime + stime of a process, in clock ticks (proc(5) /proc/PID/stat fields 14 and 15). */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, name)));
}

function libcoapVersion(): string | undefined {
  try {
    execFileSync('coap-server-notls', ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const text = String((e as { stderr?: string }).stderr ?? '');
    return /v(\d+\.\d+\.\d+)/.exec(text)?.[1];
  }
  return undefined;
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

function table(cells: Cell[], ratios: { workload: Workload; concurrency: number; ops_ratio: number | null }[]): string {
  const head = ['server', 'workload', 'conc', 'ops/s', 'blocks/s', 'p50 ms', 'p99 ms', 'resends', 'errors', 'srv CPU', 'µs/req', 'ours/libcoap'];
  const rows = cells
    .slice()
    .sort((a, b) => a.workload.localeCompare(b.workload) * -1 || a.concurrency - b.concurrency || a.server.localeCompare(b.server) * -1)
    .map((c) => {
      const r = ratios.find((x) => x.workload === c.workload && x.concurrency === c.concurrency);
      return [
        c.server,
        c.workload,
        String(c.concurrency),
        fmtInt(c.ops_per_s),
        c.workload === 'block2' ? fmtInt(c.blocks_per_s) : '',
        c.latency_ms.p50.toFixed(3),
        c.latency_ms.p99.toFixed(3),
        String(c.resends),
        String(c.errors),
        c.server_cpu_util !== null ? `${Math.round(c.server_cpu_util * 100)}%` : '',
        c.server_cpu_us_per_request !== null ? c.server_cpu_us_per_request.toFixed(1) : '',
        c.server === 'ours' && r?.ops_ratio != null ? r.ops_ratio.toFixed(2) : '',
      ];
    });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const left = new Set([0, 1]);
  const line = (r: string[]): string => r.map((x, i) => (left.has(i) ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function fmtInt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function log(msg: string): void {
  process.stderr.write(`coap-throughput: ${msg}\n`);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`coap-throughput: ${(err as Error).stack ?? String(err)}\n`);
    killAll('SIGTERM');
    process.exitCode = 1;
  },
);
