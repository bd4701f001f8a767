/**
 * Report (not a test): what one BRSKI-AE enrollment costs on the pledge's CoAP link, at block
 * sizes 64, 256 and 1024. Starts `brski ca serve` and `brski registrar serve` on loopback (port 0),
 * then runs `brski pledge --count 5` once per block size, each pledge with its own UDP socket.
 * The pledge counts UDP payload bytes (whole CoAP messages) and datagrams under its endpoint, in
 * both directions, retransmissions included; one enrollment = genm caCerts, genm
 * certReqTemplate, ir → ip, certConf → pkiConf (no waiting: the CA is up).
 *
 *   npx tsx scripts/bench/enrollment-bytes.ts [--pledges N] [--block-sizes 64,256,1024]
 *       [--out FILE] [--keep]
 *
 * Prints a table and writes bench-results/enrollment-bytes.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { PledgeReport } from '../../pledge/emulator.ts';
import { startService as startProcess, type Service } from './service-process.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BRSKI = join(REPO, 'bin', 'brski');

/** One pledge as `brski pledge --json` writes it. */
type PledgeRow = PledgeReport;

interface Cell {
  blockSize: number;
  pledges: number;
  enrolled: number;
  mean: { bytesSent: number; bytesReceived: number; datagramsSent: number; datagramsReceived: number; timeMs: number; cmpBytesSent: number; cmpBytesReceived: number };
  min: { bytesSent: number; bytesReceived: number };
  max: { bytesSent: number; bytesReceived: number };
  largestDatagram: number;
  retransmissions: number;
  polls: number;
  messages: string[];
  rows: PledgeRow[];
}

function options() {
  const { values } = parseArgs({
    options: {
      pledges: { type: 'string', default: '5' },
      'block-sizes': { type: 'string', default: '64,256,1024' },
      out: { type: 'string', default: join(REPO, 'bench-results', 'enrollment-bytes.json') },
      keep: { type: 'boolean', default: false },
    },
  });
  return {
    pledges: Number(values.pledges),
    blockSizes: values['block-sizes']!.split(',').map(Number),
    out: resolve(values.out!),
    keep: values.keep!,
  };
}

const children: ChildProcess[] = [];
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts `brski args` and resolves with the first stdout match of `ready`. */
function startService(args: string[], ready: RegExp, timeoutMs = 30_000): Promise<Service> {
  return startProcess(`brski ${args.join(' ')}`, [BRSKI, ...args], ready, { cwd: REPO, timeoutMs, track: (child) => children.push(child) });
}

function runBrski(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(BRSKI, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-8000)));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`brski ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

const mean = (xs: readonly number[]): number => (xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0);

function table(cells: readonly Cell[]): string {
  const head = ['block', 'enrolled', 'sent B', 'recv B', 'total B', 'CoAP overhead', 'dgrams out', 'dgrams in', 'largest dgram', 'retx', 'time s'];
  const rows = cells.map((c) => [
    String(c.blockSize),
    `${c.enrolled}/${c.pledges}`,
    String(c.mean.bytesSent),
    String(c.mean.bytesReceived),
    String(c.mean.bytesSent + c.mean.bytesReceived),
    `${Math.round((100 * (c.mean.bytesSent + c.mean.bytesReceived - c.mean.cmpBytesSent - c.mean.cmpBytesReceived)) / Math.max(1, c.mean.cmpBytesSent + c.mean.cmpBytesReceived))} %`,
    String(c.mean.datagramsSent),
    String(c.mean.datagramsReceived),
    String(c.largestDatagram),
    String(c.retransmissions),
    (c.mean.timeMs / 1000).toFixed(2),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: readonly string[]): string => `| ${r.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join(' | ')} |`;
  return [fmt(head), `|${w.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : `${'-'.repeat(n + 1)}:`)).join('|')}|`, ...rows.map(fmt)].join('\n');
}

async function main(): Promise<void> {
  const o = options();
  const work = await mkdtemp(join(tmpdir(), 'brski-bench-bytes-'));
  try {
    const pkiDir = join(work, 'pki');
    const init = await runBrski(['pki', 'init', pkiDir, '--pledges', String(o.pledges)], 60_000);
    if (init.code !== 0) throw new Error(`brski pki init failed: ${init.stderr}`);
    const ca = await startService(['ca', 'serve', '--pki', pkiDir, '--db', join(work, 'ca.db'), '--port', '0', '--allow-any', '--log-level', 'warn'], /^ready (http:\/\/\S+)$/);
    const registrar = await startService(
      ['registrar', 'serve', '--pki', pkiDir, '--db', join(work, 'registrar.db'), '--port', '0', '--ca-url', ca.match[1]!, '--allow-any', '--check-after', '1'],
      /^ready (coap:\/\/\S+)$/,
    );
    const cells: Cell[] = [];
    for (const bs of o.blockSizes) {
      const json = join(work, `pledges-${bs}.json`);
      const r = await runBrski(
        ['pledge', '--pki', pkiDir, '--registrar', registrar.match[1]!, '--count', String(o.pledges), '--block-size', String(bs), '--state', join(work, `state-${bs}`), '--json', json, '--timeout', '120'],
        180_000,
      );
      if (r.code !== 0) process.stderr.write(`brski pledge at ${bs}-byte blocks exited ${r.code}\n${r.stdout}\n${r.stderr}\n`);
      const rows = (JSON.parse(readFileSync(json, 'utf8')) as { pledges: PledgeRow[] }).pledges;
      const ok = rows.filter((p) => p.result === 'enrolled');
      cells.push({
        blockSize: bs,
        pledges: rows.length,
        enrolled: ok.length,
        mean: {
          bytesSent: mean(ok.map((p) => p.bytesSent)),
          bytesReceived: mean(ok.map((p) => p.bytesReceived)),
          datagramsSent: mean(ok.map((p) => p.datagramsSent)),
          datagramsReceived: mean(ok.map((p) => p.datagramsReceived)),
          timeMs: mean(ok.map((p) => p.timeMs)),
          cmpBytesSent: mean(ok.map((p) => p.cmpBytesSent ?? 0)),
          cmpBytesReceived: mean(ok.map((p) => p.cmpBytesReceived ?? 0)),
        },
        min: { bytesSent: Math.min(...ok.map((p) => p.bytesSent)), bytesReceived: Math.min(...ok.map((p) => p.bytesReceived)) },
        max: { bytesSent: Math.max(...ok.map((p) => p.bytesSent)), bytesReceived: Math.max(...ok.map((p) => p.bytesReceived)) },
        largestDatagram: Math.max(0, ...rows.map((p) => p.largestDatagram)),
        retransmissions: rows.reduce((a, p) => a + p.retransmissions, 0),
        polls: rows.reduce((a, p) => a + p.polls, 0),
        messages: [...(ok[0]?.messages ?? [])],
        rows,
      });
    }
    registrar.child.kill('SIGTERM');
    ca.child.kill('SIGTERM');

    const text = table(cells);
    process.stdout.write(`Bytes per enrollment on the pledge's CoAP link (mean of ${o.pledges} pledges; UDP payload bytes, both directions)\n`);
    const c0 = cells[0];
    process.stdout.write(`CMP requests per enrollment: ${c0?.messages.join(' → ') ?? '-'}; CMP DER bytes: ${c0?.mean.cmpBytesSent ?? 0} sent, ${c0?.mean.cmpBytesReceived ?? 0} received\n`);
    process.stdout.write('CoAP overhead: CoAP bytes beyond the CMP DER bytes (headers, options, block-wise round trips), relative to the CMP bytes\n\n');
    process.stdout.write(`${text}\n`);
    await mkdir(dirname(o.out), { recursive: true });
    await writeFile(
      o.out,
      `${JSON.stringify(
        {
          description: 'BRSKI-AE enrollment over CMP over CoAP: bytes and datagrams per pledge at the CoAP layer (UDP payloads), brski pledge → brski registrar serve → brski ca serve on loopback',
          date: new Date().toISOString(),
          node: process.version,
          cpu: cpus()[0]?.model,
          pledges: o.pledges,
          cells,
        },
        null,
        2,
      )}\n`,
    );
    process.stdout.write(`\nwritten ${o.out}\n`);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (o.keep) process.stderr.write(`kept ${work}\n`);
    else await rm(work, { recursive: true, force: true });
  }
}

await main();
