/**
 * The MASA database (src/store/masa-db.ts): durability settings, what survives a reopen, the
 * ownership operations and their history, and the audit log.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { isStackError } from '../../../src/core/errors.ts';
import { MASA_DB_SCHEMA_VERSION, MasaDb } from '../../../src/store/masa-db.ts';
import { makeTempDir, type TempDir } from '../../helpers/files.ts';
import { parseOwnersArgs, parseServeConfig } from '../../../masa/config.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('MASA database', () => {
  let dir: TempDir;
  let t = 1_000;
  const open = (name = 'masa.db') => MasaDb.open(join(dir.path, name), { now: () => t });
  beforeEach(() => {
    dir = makeTempDir('brski-masa-db-');
    t = 1_000;
  });
  afterEach(() => dir.remove());

  it('runs WAL with synchronous FULL and keeps owners, history and audit entries across a reopen', () => {
    const db = open();
    expect(db.durability()).to.deep.equal({ journalMode: 'wal', synchronous: 2 });
    expect(db.schemaVersion()).to.equal(MASA_DB_SCHEMA_VERSION);
    db.addOwner('PLEDGE-0001', A, new Uint8Array([0x30, 0]));
    db.appendAudit({ serial: 'PLEDGE-0001', date: '2026-01-01T00:00:00Z', domainId: 'AAAA', assertion: 'logged', pinnedSha256: A, registrarSha256: B, format: 'cose', voucher: new Uint8Array([1, 2]) });
    db.close();
    const again = open();
    expect(again.owner('PLEDGE-0001')).to.deep.equal({ serial: 'PLEDGE-0001', domainCaSha256: A, domainCaDer: new Uint8Array([0x30, 0]), source: 'sales', since: 1_000 });
    expect(again.wasOwner('PLEDGE-0001', A)).to.equal(true);
    const log = again.auditLog('PLEDGE-0001', 10);
    expect(log.total).to.equal(1);
    expect(log.entries[0]).to.deep.include({ assertion: 'logged', voucher: new Uint8Array([1, 2]), createdAt: 1_000 });
    expect(log.entries[0]!.nonce).to.equal(undefined);
    again.close();
  });

  it('allow list: added, unchanged, or a conflict that writes nothing', () => {
    const db = open();
    expect(db.addOwner('S1', A).kind).to.equal('added');
    expect(db.addOwner('S1', A).kind).to.equal('unchanged');
    const c = db.addOwner('S1', B);
    expect(c.kind).to.equal('conflict');
    expect(db.owner('S1')!.domainCaSha256).to.equal(A);
    db.close();
  });

  it('first claim is atomic: two connections, one winner', () => {
    const one = open();
    const two = open();
    const r1 = one.claimFirst('S2', A);
    const r2 = two.claimFirst('S2', B);
    expect([r1.kind, r2.kind]).to.deep.equal(['claimed', 'owned']);
    expect(r2.owner.domainCaSha256).to.equal(A);
    one.close();
    two.close();
  });

  it('transfer closes the old ownership and keeps it in the history', () => {
    const db = open();
    db.claimFirst('S3', A);
    t = 2_000;
    const o = db.transferOwner('S3', B, undefined, 'resold');
    expect(o).to.deep.include({ domainCaSha256: B, source: 'transfer', since: 2_000 });
    expect(db.wasOwner('S3', A)).to.equal(true);
    expect(db.wasOwner('S3', B)).to.equal(true);
    expect(db.wasOwner('S3', 'c'.repeat(64))).to.equal(false);
    expect(db.transferOwner('S4', A).source, 'a transfer of an unowned pledge assigns it').to.equal('transfer');
    expect(db.listOwners().map((x) => x.serial)).to.deep.equal(['S3', 'S4']);
    db.close();
  });

  it('refuses a malformed CA hash and use after close', () => {
    const db = open();
    expect(() => db.addOwner('S5', 'xyz')).to.throw().that.satisfies((e: unknown) => isStackError(e, 'ERR_INVALID_ARGUMENT'));
    db.close();
    expect(() => db.owner('S5')).to.throw().that.satisfies((e: unknown) => isStackError(e, 'ERR_STORE'));
  });
});

describe('MASA configuration', () => {
  it('serve: defaults, owners file entries as hex or PEM, flags over file', () => {
    const dir = makeTempDir('brski-masa-cfg-');
    try {
      dir.write('owners.json', JSON.stringify({ 'PLEDGE-0001': A.toUpperCase().match(/../g)!.join(':') }));
      dir.write('masa.json', JSON.stringify({ pki: 'pki', port: 1234, firstClaim: true, ownersFile: 'owners.json' }));
      const c = parseServeConfig(['--config', join(dir.path, 'masa.json'), '--port', '0'], dir.path);
      if (c.help) throw new Error('help');
      expect(c.value).to.deep.include({ pkiDir: join(dir.path, 'pki'), port: 0, host: '127.0.0.1', firstClaim: true, noncelessValidityDays: 14 });
      expect(c.value.owners['PLEDGE-0001']).to.deep.equal({ sha256: A });
      expect(Object.isFrozen(c.value)).to.equal(true);
      const bad = (args: string[], re: RegExp) => expect(() => parseServeConfig(args, dir.path)).to.throw(re);
      bad([], /--pki DIR is required/);
      bad(['--pki', 'x', '--nonceless-validity-days', '0'], /nonceless-validity-days/);
      bad(['--pki', 'x', '--nonceless-validity-seconds', '0'], /nonceless-validity-seconds/);
      const short = parseServeConfig(['--pki', 'x', '--nonceless-validity-seconds', '90'], dir.path);
      expect(short.help ? undefined : short.value.noncelessValiditySeconds).to.equal(90);
      dir.write('bad-owners.json', '{"PLEDGE-0001": "12"}');
      bad(['--pki', 'x', '--owners', join(dir.path, 'bad-owners.json')], /PEM certificate or a 64-digit hex SHA-256/);
      dir.write('bad-config.json', '{"pki": "x", "colour": 1}');
      bad(['--config', join(dir.path, 'bad-config.json')], /unknown setting "colour"/);
    } finally {
      dir.remove();
    }
  });

  it('owners: add needs exactly one CA, transfer takes a reason, list takes --json', () => {
    const add = parseOwnersArgs(['add', 'PLEDGE-0001', '--ca-sha256', A, '--db', '/tmp/m.db']);
    expect(add.help ? undefined : add.value).to.deep.equal({ kind: 'add', dbPath: '/tmp/m.db', serial: 'PLEDGE-0001', owner: { sha256: A } });
    const tr = parseOwnersArgs(['transfer', 'PLEDGE-0001', '--ca-sha256', B, '--db', '/tmp/m.db', '--reason', 'resold']);
    expect(tr.help ? undefined : tr.value).to.deep.include({ kind: 'transfer', reason: 'resold' });
    expect(() => parseOwnersArgs(['add', 'PLEDGE-0001', '--db', '/tmp/m.db'])).to.throw(/exactly one of --ca-cert/);
    expect(() => parseOwnersArgs(['add', '--ca-sha256', A, '--db', '/tmp/m.db'])).to.throw(/exactly one SERIAL/);
    expect(() => parseOwnersArgs(['list'])).to.throw(/--db FILE is required/);
    expect(parseOwnersArgs(['list', '--db', 'm.db', '--json'], '/w')).to.deep.equal({ help: false, value: { kind: 'list', dbPath: '/w/m.db', json: true } });
    expect(parseOwnersArgs([]).help).to.equal(true);
  });
});
