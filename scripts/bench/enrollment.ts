/**
 * Benchmark (not a test): one BRSKI-AE enrollment over an emulated 6LoWPAN link, per pledge: bytes
 * and link-layer frames on air, datagrams, retransmissions and time to enroll, at block sizes 64,
 * 128 and 256 and link loss 0, 5 and 10 %; and beside it the join proxy's relay rate in datagrams
 * per second next to a minimal plain UDP relay, measured in the same run.
 *
 * The real roles run as processes on loopback, started once (each on port 0, read from its ready
 * line): `brski masa serve --first-claim`, `brski ca serve`, `brski registrar serve --security
 * oscore --masa-url … --require-voucher --jpy-port 0`, and a join proxy found by `--discover` at the
 * registrar (stateless by default; `--proxy stateful|stateless|both`). Each cell (proxy × block ×
 * loss) is one `brski pledge --discover coap://PROXY-DISCOVERY --link 6lowpan --link-loss L
 * --block-size B --security oscore --voucher --count N --first K --json FILE`: fresh pledges per
 * cell (K moves on), so every cell does the whole flow: EDHOC, voucher (PVR → registrar → MASA),
 * OSCORE, CMP (genm, genm, ir, certConf). The pledges of a cell run at once and share the emulated
 * radio channel (250 kbit/s, 127-byte frames with 80 payload bytes; loss per datagram each way).
 *
 * ACK_TIMEOUT is lowered to 500 ms (`--ack-timeout`; RFC 7252's 2 s makes a cell at 10 % loss take
 * minutes): above the link's round trip even for the largest datagrams queued behind the other
 * pledges' (a 1 KB datagram is 14 frames, ~55 ms on air), and above the registrar's own work on a
 * request (EDHOC signatures, the MASA and CA calls), so at 0 % loss nothing is resent spuriously
 * (the retx column shows whether that held).
 *
 * The relay rate comes from scripts/bench/proxy-relay.ts, run as a child process with short
 * durations (`--relay-duration`, default 2 s; its load client is C, compiled with `cc`): direct,
 * plain node:dgram relay, stateful and stateless proxy, small GET and 1 KB Block2, one
 * concurrency. Its JSON is folded into this run's under `relay`.
 *
 *   npx tsx scripts/bench/enrollment.ts [--pledges N] [--blocks 64,128,256] [--loss 0,0.05,0.1]
 *       [--proxy stateless|stateful|both] [--ack-timeout MS] [--timeout S]
 *       [--relay-duration S] [--relay-concurrency C] [--no-relay] [--out FILE] [--keep]
 *
 * Defaults: 5 pledges per cell, 9 cells, a few minutes in all. Prints tables (markdown) and writes
 * bench-results/enrollment.json (machine, parameters, per-cell statistics and every pledge's row).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { PledgeReport } from '../../pledge/emulator.ts';
import { startService as startProcess, type Service } from './service-process.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SELF = fileURLToPath(import.meta.url);
const BRSKI = join(REPO, 'bin', 'brski');
const PROXY_RELAY = join(REPO, 'scripts', 'bench', 'proxy-relay.ts');

type ProxyMode = 'stateless' | 'stateful';

/** One pledge as `brski pledge --json` writes it. */
type PledgeRow = PledgeReport;

interface Stat {
  mean: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

interface Cell {
  proxy: ProxyMode;
  blockSize: number;
  loss: number;
  pledges: number;
  enrolled: number;
  first: number;
  wallMs: number;
  exitCode: number | null;
  /** Over the enrolled pledges of the cell. */
  bytes: Stat;
  frames: Stat;
  datagrams: Stat;
  retransmissions: Stat;
  timeMs: Stat;
  largestDatagram: number;
  errors: string[];
  rows: PledgeRow[];
}

interface Options {
  pledges: number;
  blocks: number[];
  losses: number[];
  proxies: ProxyMode[];
  ackTimeoutMs: number;
  timeoutS: number;
  relay: boolean;
  relayDuration: number;
  relayConcurrency: number;
  out: string;
  keep: boolean;
}

function options(): Options | undefined {
  const { values: v } = parseArgs({
    options: {
      pledges: { type: 'string', default: '5' },
      blocks: { type: 'string', default: '64,128,256' },
      loss: { type: 'string', default: '0,0.05,0.1' },
      proxy: { type: 'string', default: 'stateless' },
      'ack-timeout': { type: 'string', default: '500' },
      timeout: { type: 'string', default: '300' },
      'relay-duration': { type: 'string', default: '2' },
      'relay-concurrency': { type: 'string', default: '16' },
      'no-relay': { type: 'boolean', default: false },
      out: { type: 'string', default: join(REPO, 'bench-results', 'enrollment.json') },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    process.stdout.write(readFileSync(SELF, 'utf8').split('*/')[0]!.replace(/^\/\*\*|^ \* ?/gm, '') + '\n');
    return undefined;
  }
  const list = (name: string, s: string, ok: (n: number) => boolean): number[] => {
    const xs = s.split(',').map(Number);
    if (xs.length === 0 || xs.some((x) => !ok(x))) throw new Error(`bad --${name} '${s}'`);
    return xs;
  };
  const proxies: ProxyMode[] = v.proxy === 'both' ? ['stateless', 'stateful'] : v.proxy === 'stateless' || v.proxy === 'stateful' ? [v.proxy] : [];
  if (proxies.length === 0) throw new Error(`--proxy takes stateless, stateful or both, got '${v.proxy}'`);
  const o: Options = {
    pledges: list('pledges', v.pledges, (n) => Number.isInteger(n) && n >= 1)[0]!,
    blocks: list('blocks', v.blocks, (n) => [16, 32, 64, 128, 256, 512, 1024].includes(n)),
    losses: list('loss', v.loss, (n) => n >= 0 && n < 1),
    proxies,
    ackTimeoutMs: list('ack-timeout', v['ack-timeout'], (n) => Number.isInteger(n) && n >= 10)[0]!,
    timeoutS: list('timeout', v.timeout, (n) => Number.isInteger(n) && n >= 1)[0]!,
    relay: !v['no-relay'],
    relayDuration: list('relay-duration', v['relay-duration'], (n) => n > 0)[0]!,
    relayConcurrency: list('relay-concurrency', v['relay-concurrency'], (n) => Number.isInteger(n) && n >= 1)[0]!,
    out: resolve(v.out),
    keep: v.keep,
  };
  return o;
}

// ---- processes -----------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    process.exit(130);
  });
}

/** Starts `cmd` and resolves with the first stdout line matching `ready`. */
function startService(name: string, cmd: string[], ready: RegExp, timeoutMs = 60_000): Promise<Service> {
  return startProcess(name, cmd, ready, {
    cwd: REPO,
    timeoutMs,
    track: (child) => {
      children.add(child);
      child.once('exit', () => children.delete(child));
    },
  });
}

function run(cmd: string[], timeoutMs: number, stderrTo?: (s: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd[0]!, cmd.slice(1), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => {
    const s = c.toString('utf8');
    stderr = (stderr + s).slice(-16000);
    stderrTo?.(s);
  });
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`${cmd.join(' ').slice(0, 200)} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      res({ code, stdout, stderr });
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

function alive(s: Service): void {
  if (s.child.exitCode !== null || s.child.signalCode !== null) throw new Error(`${s.name} exited (${s.child.exitCode ?? s.child.signalCode})\n${s.stderr()}`);
}

// ---- statistics ----------------------------------------------------------------------------------

/** Nearest-rank percentile (p in 0..100) of a sorted list. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function stat(xs: readonly number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return { mean: 0, median: 0, p95: 0, min: 0, max: 0 };
  const mid = s.length >> 1;
  return {
    mean: round(s.reduce((a, b) => a + b, 0) / s.length, 1),
    median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2,
    p95: percentile(s, 95),
    min: s[0]!,
    max: s[s.length - 1]!,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ---- the run -------------------------------------------------------------------------------------

function log(msg: string): void {
  process.stderr.write(`enrollment: ${msg}\n`);
}

async function main(): Promise<number> {
  const o = options();
  if (!o) return 0;
  const cellsPerProxy = o.blocks.length * o.losses.length;
  const totalPledges = o.pledges * cellsPerProxy * o.proxies.length;
  const work = await mkdtemp(join(tmpdir(), 'brski-bench-enrollment-'));
  const services: Service[] = [];
  try {
    const pki = join(work, 'pki');
    log(`brski pki init ${totalPledges} pledges in ${work}`);
    const init = await run([BRSKI, 'pki', 'init', pki, '--pledges', String(totalPledges)], 300_000);
    if (init.code !== 0) throw new Error(`brski pki init failed: ${init.stderr}`);

    const masa = await startService('masa', [BRSKI, 'masa', 'serve', '--pki', pki, '--db', join(work, 'masa.db'), '--port', '0', '--first-claim', '--log-level', 'warn'], /^ready (https:\/\/\S+)$/);
    services.push(masa);
    const ca = await startService('ca', [BRSKI, 'ca', 'serve', '--pki', pki, '--db', join(work, 'ca.db'), '--port', '0', '--allow-any', '--log-level', 'warn'], /^ready (http:\/\/\S+)$/);
    services.push(ca);
    const registrar = await startService(
      'registrar',
      [
        BRSKI, 'registrar', 'serve', '--pki', pki, '--db', join(work, 'registrar.db'), '--port', '0', '--allow-any', '--jpy-port', '0',
        '--ca-url', ca.match[1]!, '--security', 'oscore', '--masa-url', masa.match[1]!, '--require-voucher', '--log-level', 'warn',
      ],
      /^ready (coap:\/\/\S+) (jpy:\/\/\S+)$/,
    );
    services.push(registrar);
    log(`masa ${masa.match[1]}, ca ${ca.match[1]}, registrar ${registrar.match[1]} ${registrar.match[2]}`);

    const proxies = new Map<ProxyMode, { service: Service; discovery: string; joinPort: string }>();
    for (const mode of o.proxies) {
      const p = await startService(
        `proxy (${mode})`,
        [
          BRSKI, 'proxy', '--mode', mode, '--listen', '127.0.0.1:0', '--discover', registrar.match[1]!, '--discovery-port', '0',
          '--max-pledges', String(Math.max(10, 4 * o.pledges)), '--max-per-address', '0', '--stats-interval', '0', '--log-level', 'warn',
        ],
        /^ready (udp:\/\/\S+) mode=(\S+) .*discovery=(coap:\/\/\S+)/,
      );
      services.push(p);
      if (p.match[2] !== mode) throw new Error(`the proxy runs ${p.match[2]}, asked for ${mode}`);
      proxies.set(mode, { service: p, discovery: p.match[3]!, joinPort: p.match[1]! });
      log(`proxy ${mode}: ${p.match[1]}, discovery ${p.match[3]}`);
    }

    const cells: Cell[] = [];
    let first = 1;
    const total = cellsPerProxy * o.proxies.length;
    for (const mode of o.proxies) {
      const proxy = proxies.get(mode)!;
      for (const blockSize of o.blocks) {
        for (const loss of o.losses) {
          for (const s of services) alive(s);
          const json = join(work, `pledges-${mode}-${blockSize}-${loss}.json`);
          const args = [
            BRSKI, 'pledge', '--pki', pki, '--discover', proxy.discovery, '--state', join(work, `state-${mode}-${blockSize}-${loss}`),
            '--count', String(o.pledges), '--first', String(first), '--block-size', String(blockSize),
            '--security', 'oscore', '--voucher', '--link', '6lowpan', '--link-loss', String(loss),
            '--ack-timeout', String(o.ackTimeoutMs), '--timeout', String(o.timeoutS), '--json', json, '--log-level', 'error',
          ];
          const t0 = Date.now();
          const r = await run(args, (o.timeoutS + 120) * 1000);
          const wallMs = Date.now() - t0;
          if (!existsSync(json)) throw new Error(`brski pledge (${mode}, ${blockSize} B, loss ${loss}) wrote no JSON (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
          const rows = (JSON.parse(readFileSync(json, 'utf8')) as { pledges: PledgeRow[] }).pledges;
          const ok = rows.filter((p) => p.result === 'enrolled');
          const cell: Cell = {
            proxy: mode,
            blockSize,
            loss,
            pledges: rows.length,
            enrolled: ok.length,
            first,
            wallMs,
            exitCode: r.code,
            bytes: stat(ok.map((p) => p.bytesSent + p.bytesReceived)),
            frames: stat(ok.map((p) => (p.framesSent ?? 0) + (p.framesReceived ?? 0))),
            datagrams: stat(ok.map((p) => p.datagramsSent + p.datagramsReceived)),
            retransmissions: stat(ok.map((p) => p.retransmissions)),
            timeMs: stat(ok.map((p) => p.timeMs)),
            largestDatagram: Math.max(0, ...rows.map((p) => p.largestDatagram)),
            errors: rows.filter((p) => p.error).map((p) => `${p.serialNumber}: ${p.error!.code}: ${p.error!.message}`),
            rows,
          };
          cells.push(cell);
          first += o.pledges;
          log(
            `[${cells.length}/${total}] ${mode} block ${blockSize} loss ${loss}: ${ok.length}/${rows.length} enrolled, ` +
              `median ${Math.round(cell.bytes.median)} B, ${cell.frames.median} frames, ${(cell.timeMs.median / 1000).toFixed(1)} s, retx ${cell.retransmissions.median}` +
              (cell.errors.length ? `; ${cell.errors[0]}` : ''),
          );
        }
      }
    }

    let relay: unknown = null;
    let relayError: string | undefined;
    if (o.relay) {
      const relayOut = join(work, 'proxy-relay.json');
      log(`relay rate: scripts/bench/proxy-relay.ts --duration ${o.relayDuration} --concurrency ${o.relayConcurrency}`);
      const r = await run(
        [process.execPath, '--import', 'tsx', PROXY_RELAY, '--duration', String(o.relayDuration), '--warmup', '0.5', '--concurrency', String(o.relayConcurrency), '--out', relayOut],
        600_000,
        (s) => process.stderr.write(s),
      );
      if (r.code === 0 && existsSync(relayOut)) relay = JSON.parse(readFileSync(relayOut, 'utf8'));
      else relayError = `proxy-relay.ts exited ${r.code}: ${r.stderr.slice(-2000)}`;
    }

    await Promise.all(services.map((s) => stop(s.child)));

    const out: string[] = [];
    out.push(
      `Enrollment over an emulated 6LoWPAN link (IEEE 802.15.4, 250 kbit/s shared by the ${o.pledges} pledges of a cell, 127-byte frames with 80 B payload), ` +
        `through the join proxy: EDHOC, voucher, OSCORE, CMP. Per pledge, median (p95) of the enrolled; ACK_TIMEOUT ${o.ackTimeoutMs} ms.`,
    );
    out.push('bytes: UDP payload bytes sent + received; frames: link frames on air sent + received (lost ones included); dgrams: datagrams sent + received.');
    out.push('');
    out.push(cellTable(cells, o.proxies.length > 1));
    if (relay) {
      out.push('');
      out.push(`Relay rate (scripts/bench/proxy-relay.ts, ${o.relayDuration} s per cell, concurrency ${o.relayConcurrency}): datagrams per second through each relay, the plain node:dgram relay beside the proxy.`);
      out.push('');
      out.push(relayTable(relay as RelayReport));
    } else if (relayError) {
      out.push('');
      out.push(`Relay rate: not measured (${relayError.split('\n')[0]})`);
    }
    process.stdout.write(`\n${out.join('\n')}\n`);

    const report = {
      benchmark: 'enrollment',
      description:
        'BRSKI-AE enrollment (EDHOC, voucher via registrar and MASA, OSCORE, CMP) per pledge over an emulated 6LoWPAN link through the join proxy, by block size and loss; plus the join proxy relay rate beside a plain UDP relay (proxy-relay.ts)',
      date: new Date().toISOString(),
      host: { cpus: cpus().length, cpu_model: cpus()[0]?.model, memory_gb: round(totalmem() / 2 ** 30, 1), kernel: release(), node: process.version, platform: process.platform },
      params: {
        pledges_per_cell: o.pledges,
        blocks: o.blocks,
        loss: o.losses,
        proxies: o.proxies,
        ack_timeout_ms: o.ackTimeoutMs,
        max_retransmit: 4,
        pledge_timeout_s: o.timeoutS,
        link: { kind: '6lowpan', rate_bps: 250_000, frame_bytes: 127, frame_payload: 80, shared: 'all pledges of a cell share one serialisation queue per direction', loss: 'per datagram, each direction' },
        flow: 'brski pledge --security oscore --voucher (EDHOC, PVR to /rv, MASA --first-claim, registrar --require-voucher), CMP genm caCerts, genm certReqTemplate, ir, certConf',
        stats: 'over the enrolled pledges of a cell: mean, median, p95 (nearest rank), min, max',
      },
      cells,
      relay: relay ?? (relayError ? { error: relayError } : null),
    };
    await mkdir(dirname(o.out), { recursive: true });
    await writeFile(o.out, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${o.out}`);
    return cells.every((c) => c.enrolled === c.pledges) ? 0 : 1;
  } finally {
    await Promise.all(services.map((s) => stop(s.child)));
    if (o.keep) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

// ---- tables --------------------------------------------------------------------------------------

function markdown(head: readonly string[], rows: readonly (readonly string[])[], left: ReadonlySet<number>): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: readonly string[]): string => `| ${r.map((x, i) => (left.has(i) ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join(' | ')} |`;
  return [fmt(head), `|${w.map((n, i) => (left.has(i) ? '-'.repeat(n + 2) : `${'-'.repeat(n + 1)}:`)).join('|')}|`, ...rows.map(fmt)].join('\n');
}

function cellTable(cells: readonly Cell[], withProxy: boolean): string {
  const med = (s: Stat, digits = 0): string => `${s.median.toFixed(digits)} (${s.p95.toFixed(digits)})`;
  const head = [...(withProxy ? ['proxy'] : []), 'block', 'loss', 'enrolled', 'bytes', 'frames', 'dgrams', 'retx', 'time s', 'mean bytes', 'mean frames', 'mean s'];
  const rows = cells.map((c) => [
    ...(withProxy ? [c.proxy] : []),
    String(c.blockSize),
    `${Math.round(c.loss * 100)} %`,
    `${c.enrolled}/${c.pledges}`,
    med(c.bytes),
    med(c.frames),
    med(c.datagrams),
    med(c.retransmissions),
    `${(c.timeMs.median / 1000).toFixed(1)} (${(c.timeMs.p95 / 1000).toFixed(1)})`,
    String(Math.round(c.bytes.mean)),
    String(Math.round(c.frames.mean)),
    (c.timeMs.mean / 1000).toFixed(1),
  ]);
  return markdown(head, rows, new Set(withProxy ? [0] : []));
}

/** What proxy-relay.ts writes (the parts used here). */
interface RelayReport {
  results: {
    relay: string;
    workload: string;
    concurrency: number;
    dgrams_per_s: number;
    ops_per_s: number;
    latency_ms: { p50: number; p99: number };
    resends: number;
    errors: number;
    relay_cpu_us_per_dgram: number | null;
  }[];
  ratios: { relay: string; workload: string; concurrency: number; dgrams_ratio_vs_plain: number | null }[];
}

function relayTable(r: RelayReport): string {
  const head = ['relay', 'workload', 'conc', 'dgrams/s', 'p50 ms', 'p99 ms', 'resends', 'errors', 'µs/dgram', 'vs plain'];
  const order = ['direct', 'plain', 'stateful', 'stateless'];
  const rows = [...r.results]
    .sort((a, b) => b.workload.localeCompare(a.workload) || a.concurrency - b.concurrency || order.indexOf(a.relay) - order.indexOf(b.relay))
    .map((c) => {
      const ratio = r.ratios.find((x) => x.relay === c.relay && x.workload === c.workload && x.concurrency === c.concurrency)?.dgrams_ratio_vs_plain;
      return [
        c.relay,
        c.workload,
        String(c.concurrency),
        Math.round(c.dgrams_per_s).toLocaleString('en-US'),
        c.latency_ms.p50.toFixed(3),
        c.latency_ms.p99.toFixed(3),
        String(c.resends),
        String(c.errors),
        c.relay_cpu_us_per_dgram !== null ? c.relay_cpu_us_per_dgram.toFixed(1) : '',
        ratio != null ? ratio.toFixed(2) : '',
      ];
    });
  return markdown(head, rows, new Set([0, 1]));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log((err as Error).stack ?? String(err));
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    process.exitCode = 1;
  },
);
