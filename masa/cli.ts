/**
 * `brski masa <serve|owners>`: the MASA service and its operator commands.
 * Exit codes: 0 done, 1 failed, 2 usage or configuration error.
 */
import { err, helpOr, out, runSubcommands } from '../cli/subcommands.ts';
import { untilStopped } from '../cli/until-stopped.ts';
import { JsonLogger } from '../src/core/logger.ts';
import { MasaDb, type Owner } from '../src/store/masa-db.ts';
import { MASA_HELP, parseOwnersArgs, parseServeConfig } from './config.ts';


export function run(argv: string[]): Promise<number> {
  return runSubcommands('masa', MASA_HELP, {
    serve,
    owners,
  }, argv);
}

async function serve(argv: string[]): Promise<number> {
  const config = helpOr(parseServeConfig(argv));
  if (!config) return 0;
  const logger = new JsonLogger((l) => process.stderr.write(l), config.logLevel, { service: 'brski-masa' });
  const { startMasaService } = await import('./service.ts');
  const service = await startMasaService(config, { logger });
  const stopped = untilStopped();
  out(`ready ${service.url}`);
  logger.info('listening', {
    url: service.url,
    db: config.dbPath,
    pki: config.pkiDir,
    firstClaim: config.firstClaim,
    noncelessValidityDays: config.noncelessValidityDays,
    noncelessValiditySeconds: config.noncelessValiditySeconds ?? null,
    owners: service.db.listOwners().length,
  });
  await stopped;
  logger.info('stopping', { stats: service.server.stats });
  await service.close();
  return 0;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function ownerJson(o: Owner): Record<string, unknown> {
  return { serial: o.serial, domainCaSha256: o.domainCaSha256, certificateKnown: o.domainCaDer !== undefined, source: o.source, since: iso(o.since) };
}

function owners(argv: string[]): number {
  const c = helpOr(parseOwnersArgs(argv));
  if (!c) return 0;
  const db = MasaDb.open(c.dbPath);
  try {
    switch (c.kind) {
      case 'add': {
        const r = db.addOwner(c.serial, c.owner.sha256, c.owner.der);
        if (r.kind === 'conflict') {
          err(`brski masa owners add: ${c.serial} is owned by ${r.owner.domainCaSha256} (${r.owner.source}); use 'owners transfer'`);
          return 1;
        }
        out(`${r.kind === 'added' ? 'added' : 'unchanged'}: ${c.serial} → ${r.owner.domainCaSha256}`);
        return 0;
      }
      case 'transfer': {
        const before = db.owner(c.serial);
        const o = db.transferOwner(c.serial, c.owner.sha256, c.owner.der, c.reason);
        out(`transferred: ${c.serial} ${before ? `${before.domainCaSha256} ` : ''}→ ${o.domainCaSha256}`);
        return 0;
      }
      case 'list': {
        const all = db.listOwners();
        if (c.json) {
          out(JSON.stringify(all.map(ownerJson), null, 2));
          return 0;
        }
        if (all.length === 0) {
          out('(no owners)');
          return 0;
        }
        const rows = all.map((o) => [o.serial, o.domainCaSha256, o.source, iso(o.since)]);
        const head = ['serial', 'domain CA SHA-256', 'source', 'since'];
        const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        const line = (r: readonly string[]): string => r.map((x, i) => x.padEnd(width[i]!)).join('  ').trimEnd();
        out([line(head), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
        return 0;
      }
    }
  } finally {
    db.close();
  }
}
