/**
 * Benchmark (not a test): signed enrollments (ir → ip → certConf → pkiConf) per second against
 * `brski ca serve` at concurrency 1, 8 and 32, with the CA's CPU time per transaction read from
 * /proc/<pid>/stat, beside `openssl speed -seconds 2 ecdsap256` sign and verify rates measured in
 * the same run (on the CA's CPU). The load comes from our CmpClient in this process (IDevID
 * signature protection, P-256, keep-alive HTTP). Prints a table and writes JSON.
 *
 *   npx tsx scripts/bench/ca-throughput.ts [--duration S] [--warmup S] [--concurrency 1,8,32]
 *       [--log-level warn|info] [--no-pin] [--out FILE]
 *
 * With 2+ CPUs and `taskset` available, the CA runs on CPU 1 and this load generator on CPU 0,
 * so that the CA's figures are not disturbed by the client's own signing (--no-pin turns it off).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { KeyObject } from 'node:crypto';
import { generateKeyPairSync, initTestPki, type TestPki } from '../../src/pki/index.ts';
import { CmpClient } from '../../src/protocol/cmp/client.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Cell {
  concurrency: number;
  durationS: number;
  transactions: number;
  errors: number;
  errorSample?: string;
  txPerS: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  caCpuMsPerTx: number;
  caCpuUtilization: number;
  clientCpuMsPerTx: number;
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '1,8,32' },
      'log-level': { type: 'string', default: 'warn' },
      'no-pin': { type: 'boolean', default: false },
      out: { type: 'string', default: join(REPO, 'bench-results', 'ca-throughput.json') },
    },
  });
  return {
    durationS: Number(values.duration),
    warmupS: Number(values.warmup),
    concurrency: values.concurrency!.split(',').map(Number),
    logLevel: values['log-level']!,
    pin: !values['no-pin'] && cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0,
    out: resolve(values.out!),
  };
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process in milliseconds (/proc/<pid>/stat fields 14 and 15). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function startCa(pki: TestPki, dir: string, logLevel: string, pin: boolean): Promise<{ proc: ChildProcess; url: string; pid: number }> {
  const args = [join(REPO, 'bin', 'brski'), 'ca', 'serve', '--pki', pki.dir, '--db', join(dir, 'ca.db'), '--port', '0', '--allow-any', '--log-level', logLevel, '--max-concurrent', '64'];
  const proc = pin ? spawn('taskset', ['-c', '1', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr!.on('data', () => {}); // logs are drained, not kept
  const url = await new Promise<string>((res, rej) => {
    let buf = '';
    const t = setTimeout(() => rej(new Error('CA did not print its ready line in 30 s')), 30_000);
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const m = /ready (http:\/\/\S+)/.exec(buf);
      if (m) {
        clearTimeout(t);
        res(m[1]!);
      }
    });
    proc.once('exit', (code) => rej(new Error(`CA exited with ${code}`)));
  });
  // With taskset, the node process is taskset's exec'd image: same PID.
  return { proc, url, pid: proc.pid! };
}

function opensslSpeed(pin: boolean): { signPerS: number; verifyPerS: number; version: string; raw: string } {
  const cmd = pin ? ['taskset', '-c', '1', 'openssl'] : ['openssl'];
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), 'speed', '-seconds', '2', 'ecdsap256'], { encoding: 'utf8' });
  const line = `${r.stdout}`.split('\n').find((l) => /^\s*256 bits ecdsa \(nistp256\)/.test(l)) ?? '';
  const nums = line.trim().split(/\s+/).slice(-2).map(Number);
  const version = spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout.trim();
  return { signPerS: nums[0] ?? NaN, verifyPerS: nums[1] ?? NaN, version, raw: line.trim() };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const o = parseOptions();
  if (o.pin) execFileSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  const dir = await mkdtemp(join(tmpdir(), 'brski-bench-ca-'));
  const pki = await initTestPki(join(dir, 'pki'), { pledges: 1 });
  const ca = await startCa(pki, dir, o.logLevel, o.pin);
  const pledge = pki.pledges[0]!;
  const newKeys: KeyObject[] = Array.from({ length: 64 }, () => generateKeyPairSync('P-256').privateKey);
  const base = new URL('/.well-known/cmp/p/bench', ca.url);

  const cells: Cell[] = [];
  try {
    for (const concurrency of o.concurrency) {
      const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
      const transfer = (der: Uint8Array): Promise<Uint8Array> =>
        new Promise((res, rej) => {
          const req = request(base, { method: 'POST', agent, headers: { 'Content-Type': 'application/pkixcmp', 'Content-Length': der.length } }, (rsp) => {
            const chunks: Buffer[] = [];
            rsp.on('data', (c: Buffer) => chunks.push(c));
            rsp.on('end', () => (rsp.statusCode === 200 ? res(new Uint8Array(Buffer.concat(chunks))) : rej(new Error(`HTTP ${rsp.statusCode}`))));
            rsp.on('error', rej);
          });
          req.on('error', rej);
          req.end(der);
        });
      const clients = Array.from(
        { length: concurrency },
        () =>
          new CmpClient({
            transfer,
            credentials: { kind: 'signature', privateKey: pledge.privateKey, certificate: pledge.certificate, chain: pledge.chain },
            trustAnchors: [pki.domain.rootCa.certificate],
          }),
      );
      let k = 0;
      const runFor = async (seconds: number, latencies?: number[], errors?: { n: number; sample?: string }): Promise<number> => {
        const end = performance.now() + seconds * 1000;
        let done = 0;
        await Promise.all(
          clients.map(async (c) => {
            while (performance.now() < end) {
              const t0 = performance.now();
              try {
                await c.enroll({ kind: 'ir', newKey: newKeys[k++ % newKeys.length]!, subject: 'CN=bench' });
                done++;
                latencies?.push(performance.now() - t0);
              } catch (e) {
                if (errors) {
                  errors.n++;
                  errors.sample ??= (e as Error).message;
                }
              }
            }
          }),
        );
        return done;
      };
      await runFor(o.warmupS);
      const latencies: number[] = [];
      const errors = { n: 0 } as { n: number; sample?: string };
      const cpu0 = cpuMsOf(ca.pid);
      const self0 = selfCpuMs();
      const t0 = performance.now();
      const done = await runFor(o.durationS, latencies, errors);
      const elapsedS = (performance.now() - t0) / 1000;
      const caCpu = cpuMsOf(ca.pid) - cpu0;
      const selfCpu = selfCpuMs() - self0;
      agent.destroy();
      latencies.sort((a, b) => a - b);
      const cell: Cell = {
        concurrency,
        durationS: Math.round(elapsedS * 100) / 100,
        transactions: done,
        errors: errors.n,
        ...(errors.sample ? { errorSample: errors.sample } : {}),
        txPerS: Math.round((done / elapsedS) * 10) / 10,
        latencyMs: {
          p50: round1(percentile(latencies, 50)),
          p90: round1(percentile(latencies, 90)),
          p99: round1(percentile(latencies, 99)),
          max: round1(latencies.at(-1) ?? NaN),
        },
        caCpuMsPerTx: round2(caCpu / Math.max(1, done)),
        caCpuUtilization: round2(caCpu / (elapsedS * 1000)),
        clientCpuMsPerTx: round2(selfCpu / Math.max(1, done)),
      };
      cells.push(cell);
      process.stderr.write(`concurrency ${concurrency}: ${cell.txPerS} tx/s, CA ${cell.caCpuMsPerTx} ms CPU/tx, errors ${cell.errors}\n`);
    }
  } finally {
    ca.proc.kill('SIGTERM');
    await new Promise((r) => ca.proc.once('exit', r));
  }
  const speed = opensslSpeed(o.pin);
  await rm(dir, { recursive: true, force: true });

  // What one transaction costs the CA in P-256 operations (see docs/ca.md): sign = ip protection,
  // LDevID, pkiConf protection; verify = ir protection, IDevID chain (issuing CA, root), POP,
  // certConf protection and its chain again.
  const signs = 3;
  const verifies = 7;
  const opensslMsPerTx = (signs / speed.signPerS + verifies / speed.verifyPerS) * 1000;

  const header = ['concurrency', 'tx/s', 'p50 ms', 'p99 ms', 'CA CPU ms/tx', 'CA CPU util', 'client CPU ms/tx', 'errors'];
  const rows = cells.map((c) => [c.concurrency, c.txPerS, c.latencyMs.p50, c.latencyMs.p99, c.caCpuMsPerTx, c.caCpuUtilization, c.clientCpuMsPerTx, c.errors].map(String));
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padStart(width[i]!)).join('  ');
  const text = [
    `brski ca serve: signed ir → ip → certConf → pkiConf (P-256), ${o.durationS} s per cell${o.pin ? ', CA on CPU 1, client on CPU 0' : ''}, log level ${o.logLevel}`,
    line(header),
    line(width.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `openssl speed ecdsap256 (${speed.version}, same CPU as the CA): ${speed.signPerS} sign/s, ${speed.verifyPerS} verify/s`,
    `  → ${signs} signs + ${verifies} verifies per transaction would take ${round2(opensslMsPerTx)} ms in OpenSSL's own loop`,
  ].join('\n');
  process.stdout.write(`${text}\n`);

  const result = {
    benchmark: 'ca-throughput',
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${release()}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    pinned: o.pin,
    logLevel: o.logLevel,
    warmupS: o.warmupS,
    cells,
    opensslSpeed: { ...speed, perTransaction: { signs, verifies, ms: round2(opensslMsPerTx) } },
  };
  await mkdir(dirname(o.out), { recursive: true });
  await writeFile(o.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`wrote ${o.out}\n`);
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;

await main();
