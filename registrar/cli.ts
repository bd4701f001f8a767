/**
 * `brski registrar <serve|export|import|status>`: the registrar service and its offline tools.
 * Exit codes: 0 done, 1 failed, 2 usage or configuration error.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { err, helpOr, out, runSubcommands } from '../cli/subcommands.ts';
import { untilStopped } from '../cli/until-stopped.ts';
import { toHex } from '../src/core/bytes.ts';
import { StackError } from '../src/core/errors.ts';
import { JsonLogger, silentLogger } from '../src/core/logger.ts';
import type { Certificate, TestPki } from '../src/pki/index.ts';
import type { JournalEntry } from '../src/store/registrar-journal.ts';
import type { RegistrarTx } from '../src/store/registrar-state.ts';
import {
  REGISTRAR_HELP,
  parseExportArgs,
  parseImportArgs,
  parseServeConfig,
  parseStatusArgs,
} from './config.ts';


export function run(argv: string[]): Promise<number> {
  return runSubcommands('registrar', REGISTRAR_HELP, {
    serve,
    export: exportBatch,
    import: importBatch,
    status,
  }, argv);
}

async function serve(argv: string[]): Promise<number> {
  const config = helpOr(parseServeConfig(argv));
  if (!config) return 0;
  const logger = new JsonLogger((l) => process.stderr.write(l), config.logLevel, { service: 'brski-registrar' });
  const { startRegistrarService } = await import('./service.ts');
  const { stderrTracer } = await import('../cli/trace.ts');
  const service = await startRegistrarService(config, { logger, ...(config.verbose ? { tracer: stderrTracer() } : {}) });
  const stopped = untilStopped();
  out(`ready ${service.url}${service.jpyUrl ? ` ${service.jpyUrl}` : ''}`);
  logger.info('listening', {
    url: service.url,
    db: config.dbPath,
    pki: config.pkiDir,
    caUrl: config.caUrl ?? null,
    label: config.label ?? null,
    allowAny: config.allowAny,
    allowed: config.allow.length,
    localCertConf: config.localCertConf,
    jpy: service.jpyUrl ?? null,
    prefetch: config.prefetch?.length ?? 0,
    auditPolicy: config.auditPolicy ?? 'warn',
  });
  await stopped;
  logger.info('stopping', { stats: service.endpoint.stats, journal: service.store.journal.counts() });
  await service.close();
  return 0;
}

/** The journal must exist for the offline tools (they never create one). */
function requireDb(dbPath: string): void {
  if (!existsSync(dbPath)) throw new StackError('ERR_CONFIG', `no registrar journal at ${dbPath}`);
}

/** A Local RA over the journal file for the offline tools (no upstream; a signer with --pki). */
async function offlineRa(dbPath: string, pkiDir: string | undefined) {
  requireDb(dbPath);
  const { openRegistrarStore, loadDomainAnchors } = await import('./service.ts');
  const { LocalRa } = await import('../src/protocol/registrar/local-ra.ts');
  let pki: TestPki | undefined;
  if (pkiDir) {
    const { loadPki } = await import('../src/pki/index.ts');
    pki = await loadPki(pkiDir);
  }
  const store = openRegistrarStore(dbPath);
  try {
    const domainAnchors: Certificate[] = pki ? [pki.domain.rootCa.certificate] : loadDomainAnchors(store.state);
    const registrar = pki?.domain.registrar;
    const ra = new LocalRa({
      journal: store.journal,
      state: store.state,
      ...(registrar ? { signer: { privateKey: registrar.privateKey, certificate: registrar.certificate, chain: registrar.chain } } : {}),
      pledgeTrustAnchors: pki ? [pki.manufacturer.rootCa.certificate] : [],
      domainTrustAnchors: domainAnchors,
      authorize: () => ({ ok: false, failInfo: 'notAuthorized', text: 'offline tool' }),
      checkAfterSeconds: 5,
      upstreamTimeoutMs: 1,
      localCertConf: false,
      logger: silentLogger,
    });
    return { ra, store, domainAnchors };
  } catch (e) {
    store.close();
    throw e;
  }
}

async function exportBatch(argv: string[]): Promise<number> {
  const args = helpOr(parseExportArgs(argv));
  if (!args) return 0;
  const { ra, store } = await offlineRa(args.dbPath, args.pkiDir);
  try {
    const { der, rows } = ra.exportBatch();
    const tmp = `${args.outPath}.${process.pid}.tmp`;
    writeFileSync(tmp, der);
    renameSync(tmp, args.outPath);
    const steps = countBy(rows.map((r) => r.step.replace(/\..*$/, '')));
    out(`exported ${rows.length} message(s) to ${args.outPath}${rows.length ? ` (${Object.entries(steps).map(([k, n]) => `${n} ${k}`).join(', ')})` : ''}`);
    return 0;
  } finally {
    store.close();
  }
}

async function importBatch(argv: string[]): Promise<number> {
  const args = helpOr(parseImportArgs(argv));
  if (!args) return 0;
  let data: Uint8Array;
  try {
    data = new Uint8Array(readFileSync(args.file));
  } catch (e) {
    err(`brski registrar import: cannot read ${args.file}: ${(e as Error).message}`);
    return 1;
  }
  const { ra, store, domainAnchors } = await offlineRa(args.dbPath, args.pkiDir);
  try {
    if (domainAnchors.length === 0) {
      err('brski registrar import: no domain trust anchor known (give --pki DIR, or run the service once)');
      return 2;
    }
    const r = await ra.importBatch(data);
    out(`imported ${r.recorded} answer(s) from ${r.messages} message(s)${r.duplicates ? `, ${r.duplicates} already known` : ''}${r.unmatched ? `, ${r.unmatched} unmatched` : ''}`);
    for (const reason of r.refused) err(`refused: ${reason}`);
    return r.refused.length > 0 && r.recorded === 0 ? 1 : 0;
  } finally {
    store.close();
  }
}

async function status(argv: string[]): Promise<number> {
  const args = helpOr(parseStatusArgs(argv));
  if (!args) return 0;
  requireDb(args.dbPath);
  const { openRegistrarStore } = await import('./service.ts');
  const store = openRegistrarStore(args.dbPath);
  try {
    const counts = store.journal.counts();
    const phases = store.state.countTx();
    const rows = store.journal.recent(args.limit);
    const txs = store.state.recentTx(args.limit);
    const { readBrskiRecords } = await import('./voucher-service.ts');
    const brski = readBrskiRecords(store.state);
    const { readPrefetchedVouchers } = await import('./prefetched-vouchers.ts');
    const prefetched = readPrefetchedVouchers(store.state);
    if (args.json) {
      const nonceless = Object.fromEntries(Object.entries(prefetched).map(([k, v]) => [k, { expiresOn: v.expiresOn, fetchedAt: v.fetchedAt, served: v.served, bytes: Buffer.from(v.voucher, 'base64').length }]));
      out(JSON.stringify({ journal: counts, transactions: phases, recent: rows.map(rowJson), recentTransactions: txs.map(txJson), pledges: brski, prefetchedVouchers: nonceless }, null, 2));
      return 0;
    }
    out(`journal: ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    out(`transactions: ${Object.entries(phases).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    out('');
    out(`recent journal rows (${rows.length})`);
    out(
      table(
        ['id', 'transaction', 'step', 'pledge', 'state', 'attempts', 'next attempt', 'updated', 'last error'],
        rows.map((r) => [
          String(r.id),
          toHex(r.transactionId).slice(0, 16),
          r.step,
          r.pledgeSerial ?? '',
          r.state,
          String(r.attempts),
          r.state === 'received' ? iso(r.nextAttemptAt) : '',
          iso(r.updatedAt),
          (r.lastError ?? '').slice(0, 60),
        ]),
      ),
    );
    out('');
    out(`recent transactions (${txs.length})`);
    out(
      table(
        ['transaction', 'type', 'pledge', 'mode', 'phase', 'outcome', 'label', 'updated'],
        txs.map((t) => [toHex(t.transactionId).slice(0, 16), t.requestType, t.pledgeSerial ?? '', t.mode, t.phase, t.outcome ?? '', t.label ?? '', iso(t.updatedAt)]),
      ),
    );
    const serials = Object.keys(brski).sort();
    if (serials.length > 0) {
      const tele = (t: { value: unknown } | undefined): string => {
        if (!t) return '';
        const v = t.value as { status?: unknown; reason?: unknown };
        return `${v.status === true ? 'ok' : 'failed'}${v.reason ? ` (${String(v.reason).slice(0, 40)})` : ''}`;
      };
      out('');
      out(`pledges with vouchers or telemetry (${serials.length})`);
      out(
        table(
          ['pledge', 'voucher', 'kind', 'bytes', 'refusal', 'voucher status', 'enroll status'],
          serials.map((k) => {
            const r = brski[k]!;
            const kind = r.voucherAt === undefined ? '' : r.noncelessExpiresOn ? `nonceless until ${r.noncelessExpiresOn}` : 'nonced';
            return [k, r.voucherAt ?? '', kind, r.voucherBytes !== undefined ? String(r.voucherBytes) : '', (r.refusal ?? '').slice(0, 60), tele(r.voucherStatus), tele(r.enrollStatus)];
          }),
        ),
      );
    }
    const stored = Object.keys(prefetched).sort();
    if (stored.length > 0) {
      out('');
      out(`prefetched nonceless vouchers (${stored.length})`);
      out(table(['pledge', 'expires on', 'fetched', 'served'], stored.map((k) => [k, prefetched[k]!.expiresOn, prefetched[k]!.fetchedAt, String(prefetched[k]!.served)])));
    }
    return 0;
  } finally {
    store.close();
  }
}

function rowJson(r: JournalEntry): Record<string, unknown> {
  return {
    id: r.id,
    transactionId: toHex(r.transactionId),
    step: r.step,
    pledgeSerial: r.pledgeSerial,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: iso(r.nextAttemptAt),
    lastError: r.lastError,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

function txJson(t: RegistrarTx): Record<string, unknown> {
  return {
    transactionId: toHex(t.transactionId),
    requestType: t.requestType,
    pledgeSerial: t.pledgeSerial,
    mode: t.mode,
    phase: t.phase,
    outcome: t.outcome,
    label: t.label,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}

function countBy(xs: readonly string[]): Record<string, number> {
  const o: Record<string, number> = {};
  for (const x of xs) o[x] = (o[x] ?? 0) + 1;
  return o;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '  (none)';
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => `  ${r.map((c, i) => c.padEnd(width[i]!)).join('  ')}`.trimEnd();
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
