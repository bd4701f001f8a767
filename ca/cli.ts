/**
 * `brski ca <serve|approve|reject|list|process>`: the operator RA/CA service, its operator commands,
 * and the offline batch processor for files carried from a registrar.
 * Exit codes: 0 done, 1 failed, 2 usage or configuration error.
 */
import { toHex } from '../src/core/bytes.ts';
import { err, helpOr, out, runSubcommands } from '../cli/subcommands.ts';
import { untilStopped } from '../cli/until-stopped.ts';
import { JsonLogger } from '../src/core/logger.ts';
import { CaDb, type Approval, type IssuedCertificate } from '../src/store/ca-db.ts';
import { CA_HELP, parseDecisionArgs, parseListArgs, parseServeConfig } from './config.ts';


export function run(argv: string[]): Promise<number> {
  return runSubcommands('ca', CA_HELP, {
    serve,
    approve: (a) => decide('approve', a),
    reject: (a) => decide('reject', a),
    list,
    process: async (a) => (await import('./process.ts')).runProcess(a),
  }, argv);
}

async function serve(argv: string[]): Promise<number> {
  const config = helpOr(parseServeConfig(argv));
  if (!config) return 0;
  const logger = new JsonLogger((l) => process.stderr.write(l), config.logLevel, { service: 'brski-ca' });
  // Loaded here, so that the operator commands do not load the CMP stack.
  const { startCaService } = await import('./service.ts');
  const service = await startCaService(config, { logger });
  const stopped = untilStopped();
  out(`ready ${service.url}`);
  logger.info('listening', {
    url: service.url,
    db: config.dbPath,
    pki: config.pkiDir,
    manualApproval: config.manualApproval,
    allowAny: config.allowAny,
    macSecret: config.secret !== undefined || Object.keys(config.secretsByRef).length > 0,
  });
  await stopped;
  logger.info('stopping', { stats: service.server.stats });
  await service.close();
  return 0;
}

function decide(kind: 'approve' | 'reject', argv: string[]): number {
  const args = helpOr(parseDecisionArgs(kind, argv));
  if (!args) return 0;
  const db = CaDb.open(args.dbPath);
  try {
    const before = db.approval(args.id);
    if (!before) {
      err(`brski ca ${kind}: no approval request ${args.id} in ${args.dbPath}`);
      return 1;
    }
    if (before.state !== 'pending') {
      err(`brski ca ${kind}: request ${args.id} is already ${before.state}`);
      return 1;
    }
    const a = db.decideApproval(args.id, kind === 'approve' ? 'approved' : 'rejected', args.reason);
    out(`${a.state} request ${a.id} (${a.pledgeSerial ?? '-'}, ${a.subject ?? '-'}); the pledge learns it at its next poll`);
    return 0;
  } finally {
    db.close();
  }
}

function list(argv: string[]): number {
  const args = helpOr(parseListArgs(argv));
  if (!args) return 0;
  const db = CaDb.open(args.dbPath);
  try {
    const pending = db.listApprovals('pending', args.limit);
    const decided = db.listApprovals(undefined, args.limit).filter((a) => a.state !== 'pending');
    const issued = db.recentIssued(args.limit);
    if (args.json) {
      out(
        JSON.stringify(
          {
            approvals: [...pending, ...decided].map(approvalJson),
            issued: issued.map(issuedJson),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    out(`approval requests (${pending.length} pending)`);
    out(
      table(
        ['id', 'state', 'label', 'pledge', 'subject', 'type', 'created', 'decided', 'reason'],
        [...pending, ...decided].map((a) => [
          String(a.id),
          a.state,
          a.label ?? '',
          a.pledgeSerial ?? '',
          a.subject ?? '',
          a.bodyType,
          iso(a.createdAt),
          a.decidedAt === undefined ? '' : iso(a.decidedAt),
          a.reason ?? '',
        ]),
      ),
    );
    out('');
    out(`recently issued certificates (${db.countIssued()} in total)`);
    out(
      table(
        ['serial', 'subject', 'pledge', 'label', 'type', 'transaction', 'issued', 'notAfter', 'revoked'],
        issued.map((c) => [
          c.serial,
          c.subject,
          c.pledgeSerial ?? '',
          c.label ?? '',
          c.bodyType ?? '',
          c.transactionId ? toHex(c.transactionId).slice(0, 16) : '',
          iso(c.issuedAt),
          iso(c.notAfter),
          c.revokedAt === undefined ? '' : `${iso(c.revokedAt)} ${c.revocationReason ?? ''}`.trim(),
        ]),
      ),
    );
    return 0;
  } finally {
    db.close();
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function approvalJson(a: Approval): Record<string, unknown> {
  return {
    id: a.id,
    state: a.state,
    label: a.label,
    pledgeSerial: a.pledgeSerial,
    subject: a.subject,
    bodyType: a.bodyType,
    transactionId: toHex(a.transactionId),
    createdAt: iso(a.createdAt),
    decidedAt: a.decidedAt === undefined ? undefined : iso(a.decidedAt),
    reason: a.reason,
  };
}

function issuedJson(c: IssuedCertificate): Record<string, unknown> {
  return {
    serial: c.serial,
    subject: c.subject,
    pledgeSerial: c.pledgeSerial,
    label: c.label,
    bodyType: c.bodyType,
    transactionId: c.transactionId ? toHex(c.transactionId) : undefined,
    certReqId: c.certReqId,
    issuedAt: iso(c.issuedAt),
    notBefore: iso(c.notBefore),
    notAfter: iso(c.notAfter),
    revokedAt: c.revokedAt === undefined ? undefined : iso(c.revokedAt),
    revocationReason: c.revocationReason,
  };
}

/** A plain text table; empty tables say so. */
function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '  (none)';
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => `  ${r.map((c, i) => c.padEnd(width[i]!)).join('  ')}`.trimEnd();
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
