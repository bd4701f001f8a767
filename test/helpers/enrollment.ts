/**
 * The enrollment roles for e2e tests, each its own process on loopback: the MASA (`--first-claim`),
 * the operator RA/CA and the registrar (OSCORE, vouchers required), plus `brski pledge` runs read
 * back from their `--json` report and checked against the domain root.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPki, parseCertificate, parseCertificates, readSubjectSerialNumber, verifyChain, type TestPki } from '../../src/pki/index.ts';
import type { PledgeReport } from '../../pledge/emulator.ts';
import { BRSKI, run, spawnReady, type ReadyProcess, type RunResult } from './processes.ts';

/** One pledge in `brski pledge --json`. */
export type PledgeJsonEntry = PledgeReport;

export interface PledgeJson {
  readonly registrar: string;
  readonly joinProxy?: string;
  readonly totals: { pledges: number; enrolled: number; failed: number; polls: number; retransmissions: number; wallMs: number };
  readonly pledges: readonly PledgeJsonEntry[];
}

export interface EnrollmentStack {
  readonly pkiDir: string;
  readonly pki: TestPki;
  readonly masa: ReadyProcess;
  readonly ca: ReadyProcess;
  readonly registrar: ReadyProcess;
  /** coap://127.0.0.1:P */
  readonly registrarUri: string;
  readonly registrarPort: number;
  /** The JPY port (with `jpyPort`), and the host the registrar announces it under. */
  readonly jpyPort?: number;
  readonly jpyAnnounced?: string;
  readonly registrarDb: string;
}

export interface EnrollmentStackOptions {
  readonly dir: string;
  readonly pledges: number;
  /** `--jpy-port 0` and, when given, `--jpy-announce HOST`. */
  readonly jpy?: { readonly announce?: string };
  readonly registrarArgs?: readonly string[];
}

/** `brski pki init`, then MASA, RA/CA and registrar (`--security oscore --require-voucher`). */
export async function startEnrollmentStack(o: EnrollmentStackOptions): Promise<EnrollmentStack> {
  const pkiDir = join(o.dir, 'pki');
  const init = await run(BRSKI, ['pki', 'init', pkiDir, '--pledges', String(o.pledges)], { timeoutMs: 120_000 });
  expect(init.code, init.stderr).to.equal(0);
  const pki = await loadPki(pkiDir);
  const masa = await spawnReady(BRSKI, ['masa', 'serve', '--pki', pkiDir, '--db', join(o.dir, 'masa.db'), '--port', '0', '--first-claim', '--log-level', 'warn'], {
    ready: /^ready (https:\/\/127\.0\.0\.1:\d+)$/,
    timeoutMs: 30_000,
  });
  const ca = await spawnReady(BRSKI, ['ca', 'serve', '--pki', pkiDir, '--db', join(o.dir, 'ca.db'), '--port', '0', '--allow-any', '--log-level', 'warn'], {
    ready: /^ready (http:\/\/127\.0\.0\.1:\d+)$/,
    timeoutMs: 30_000,
  });
  const registrarDb = join(o.dir, 'registrar.db');
  const jpyArgs = o.jpy ? ['--jpy-port', '0', ...(o.jpy.announce ? ['--jpy-announce', o.jpy.announce] : [])] : [];
  const registrar = await spawnReady(
    BRSKI,
    [
      'registrar', 'serve', '--pki', pkiDir, '--db', registrarDb, '--port', '0', '--ca-url', ca.match[1]!, '--allow-any',
      '--security', 'oscore', '--masa-url', masa.match[1]!, '--require-voucher', '--check-after', '1', '--retry-base', '200',
      '--log-level', 'warn', ...jpyArgs, ...(o.registrarArgs ?? []),
    ],
    { ready: /^ready (coap:\/\/127\.0\.0\.1:(\d+))(?: jpy:\/\/(\S+):(\d+))?$/, timeoutMs: 30_000 },
  );
  const m = registrar.match;
  if (o.jpy) expect(m[4], `the registrar's ready line names its JPY port: ${m[0]}`).to.be.a('string');
  return {
    pkiDir,
    pki,
    masa,
    ca,
    registrar,
    registrarUri: m[1]!,
    registrarPort: Number(m[2]),
    ...(m[4] ? { jpyPort: Number(m[4]), jpyAnnounced: m[3]! } : {}),
    registrarDb,
  };
}

export interface PledgeRun {
  readonly json: PledgeJson;
  readonly result: RunResult;
  readonly stateDir: string;
}

/** Runs `brski pledge ... --state DIR --json FILE` to its end and reads the report back. */
export async function runPledges(dir: string, name: string, args: readonly string[], timeoutMs: number): Promise<PledgeRun> {
  const stateDir = join(dir, name);
  const jsonFile = join(dir, `${name}.json`);
  const result = await run(BRSKI, ['pledge', '--state', stateDir, '--json', jsonFile, ...args], { timeoutMs });
  let json: PledgeJson;
  try {
    json = JSON.parse(readFileSync(jsonFile, 'utf8')) as PledgeJson;
  } catch (e) {
    throw new Error(`brski pledge (${name}) exited ${result.code} without a JSON report (${(e as Error).message})\n${result.stdout.toString('utf8').slice(-3000)}\n${result.stderr.slice(-3000)}`);
  }
  return { json, result, stateDir };
}

/** A one-line account of the pledges that did not enroll, for assertion messages. */
export function describeFailures(json: PledgeJson): string {
  const bad = json.pledges.filter((p) => p.result !== 'enrolled');
  return bad.length === 0 ? 'all enrolled' : bad.map((p) => `${p.serialNumber}: ${p.result} ${p.error ? `${p.error.code} ${p.error.message}` : ''}`).join('; ');
}

/** The pledge's log lines (stderr) about the pledges that did not enroll, at most 40. */
function failureLog(r: PledgeRun): string {
  const bad = r.json.pledges.filter((p) => p.result !== 'enrolled').map((p) => `"${p.serialNumber}"`);
  if (bad.length === 0) return '';
  const lines = r.result.stderr.split('\n').filter((l) => bad.some((s) => l.includes(s)));
  return `\n  log of the failed pledges:\n${lines.slice(-40).map((l) => `    ${l.slice(0, 600)}`).join('\n')}`;
}

/**
 * Every pledge in the report enrolled in this run, got a voucher, and its LDevID in the state
 * directory chains to the domain root and names the pledge's serial number.
 */
export function expectAllEnrolled(r: PledgeRun, pki: TestPki, serials: readonly string[]): void {
  const { json } = r;
  expect(json.pledges.map((p) => p.serialNumber).sort(), 'the pledges in the report').to.deep.equal([...serials].sort());
  expect(json.totals.enrolled, `enrolled (exit ${r.result.code}): ${describeFailures(json)}${failureLog(r)}`).to.equal(serials.length);
  expect(r.result.code, 'brski pledge exit status').to.equal(0);
  for (const p of json.pledges) {
    expect(p.voucherBytes, `${p.serialNumber}: voucher bytes`).to.be.greaterThan(0);
    const d = join(r.stateDir, p.serialNumber);
    const ldevid = parseCertificate(readFileSync(join(d, 'ldevid.pem'), 'utf8'));
    verifyChain(ldevid, parseCertificates(readFileSync(join(d, 'chain.pem'), 'utf8')), [pki.domain.rootCa.certificate]);
    expect(readSubjectSerialNumber(ldevid), `${p.serialNumber}: LDevID subject serialNumber`).to.equal(p.serialNumber);
    expect(ldevid.serialNumber, `${p.serialNumber}: LDevID serial in the report`).to.equal(p.ldevidSerial);
  }
}
