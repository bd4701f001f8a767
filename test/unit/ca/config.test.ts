import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isStackError } from '../../../src/core/errors.ts';
import { OID_KP_CLIENT_AUTH } from '../../../src/pki/index.ts';
import { parseDecisionArgs, parseListArgs, parseServeConfig, type CaServeConfig } from '../../../ca/config.ts';
import { makeTempDir, type TempDir } from '../../helpers/files.ts';

const configError = (re: RegExp) => (e: unknown) => isStackError(e, 'ERR_CONFIG') && re.test((e as Error).message);

describe('ca configuration (ca/config.ts)', () => {
  let dir: TempDir;
  beforeEach(() => (dir = makeTempDir('brski-ca-config-')));
  afterEach(() => dir.remove());

  function serve(argv: string[], env: NodeJS.ProcessEnv = {}): CaServeConfig {
    const p = parseServeConfig(argv, env, dir.path);
    if (p.help) throw new Error('unexpected help');
    return p.value;
  }

  it('has defaults and needs --pki plus --inventory or --allow-any', () => {
    const c = serve(['--pki', 'pki', '--allow-any']);
    expect(c).to.include({ pkiDir: join(dir.path, 'pki'), host: '127.0.0.1', port: 8080, manualApproval: false, checkAfterSeconds: 5, validityDays: 365 });
    expect(c.dbPath).to.equal(join(dir.path, 'brski-ca.db'));
    expect(c.templates.default!.eku).to.include(OID_KP_CLIENT_AUTH);
    expect(Object.isFrozen(c)).to.equal(true);
    expect(Object.isFrozen(c.templates.default)).to.equal(true);
    expect(() => serve([])).to.throw().that.satisfies(configError(/--pki/));
    expect(() => serve(['--pki', 'x'])).to.throw().that.satisfies(configError(/--inventory FILE or --allow-any/));
  });

  it('validates numbers and names', () => {
    expect(serve(['--pki', 'p', '--allow-any', '--port', '0']).port).to.equal(0);
    for (const bad of [['--port', '70000'], ['--port', 'x'], ['--check-after', '-1'], ['--validity-days', '0'], ['--max-body', '10'], ['--log-level', 'loud'], ['--subject', 'CN']]) {
      expect(() => serve(['--pki', 'p', '--allow-any', ...bad]), bad.join(' ')).to.throw().that.satisfies(configError(/./));
    }
    expect(() => serve(['--pki', 'p', '--allow-any', '--bogus'])).to.throw().that.satisfies(configError(/bogus/));
  });

  it('reads a JSON config file; flags win over it; paths are relative to the file', () => {
    mkdirSync(join(dir.path, 'conf'));
    dir.write('conf/ca.json', JSON.stringify({ pki: '../pki', port: 9000, manualApproval: true, checkAfter: 3, allowAny: true, db: 'state/ca.db', templates: { 'site-b': { subject: 'O=B, CN={serial}', keyType: 'P-384', eku: ['serverAuth'] } } }));
    const c = serve(['--config', 'conf/ca.json', '--port', '9100']);
    expect(c).to.include({ pkiDir: join(dir.path, 'pki'), port: 9100, manualApproval: true, checkAfterSeconds: 3, dbPath: join(dir.path, 'conf/state/ca.db') });
    expect(c.templates['site-b']).to.deep.include({ keyType: 'P-384', eku: ['1.3.6.1.5.5.7.3.1'] });
    dir.write('conf/bad.json', JSON.stringify({ pki: 'x', allowAny: true, colour: 'blue' }));
    expect(() => serve(['--config', 'conf/bad.json'])).to.throw().that.satisfies(configError(/unknown setting "colour"/));
    dir.write('conf/notjson.json', '{');
    expect(() => serve(['--config', 'conf/notjson.json'])).to.throw().that.satisfies(configError(/not JSON/));
  });

  it('takes the MAC secret from --secret (pass: prefix), --secret-file, or BRSKI_CA_SECRET', () => {
    const text = (c: CaServeConfig) => Buffer.from(c.secret!).toString('utf8');
    expect(text(serve(['--pki', 'p', '--allow-any', '--secret', 'pass:abc']))).to.equal('abc');
    dir.write('secret.txt', 'from-file\n');
    expect(text(serve(['--pki', 'p', '--allow-any', '--secret-file', 'secret.txt']))).to.equal('from-file');
    expect(text(serve(['--pki', 'p', '--allow-any'], { BRSKI_CA_SECRET: 'from-env' }))).to.equal('from-env');
    expect(serve(['--pki', 'p', '--allow-any']).secret).to.equal(undefined);
    expect(() => serve(['--pki', 'p', '--allow-any', '--secret', 'a', '--secret-file', 'secret.txt'])).to.throw().that.satisfies(configError(/not both/));
  });

  it('reads and checks the inventory file', () => {
    dir.write('inv.json', JSON.stringify({ 'site-a': ['PLEDGE-0001', 'PLEDGE-0001', 'PLEDGE-0002'], '*': ['X'] }));
    expect(serve(['--pki', 'p', '--inventory', 'inv.json']).inventory).to.deep.equal({ 'site-a': ['PLEDGE-0001', 'PLEDGE-0002'], '*': ['X'] });
    dir.write('bad1.json', JSON.stringify({ 'bad label': ['A'] }));
    expect(() => serve(['--pki', 'p', '--inventory', 'bad1.json'])).to.throw().that.satisfies(configError(/label/));
    dir.write('bad2.json', JSON.stringify({ a: 'PLEDGE-0001' }));
    expect(() => serve(['--pki', 'p', '--inventory', 'bad2.json'])).to.throw().that.satisfies(configError(/list of serial numbers/));
  });

  it('parses the operator commands', () => {
    const a = parseDecisionArgs('reject', ['7', '--db', 'ca.db', '--reason', 'no'], dir.path);
    expect(!a.help && a.value).to.deep.equal({ id: 7, dbPath: join(dir.path, 'ca.db'), reason: 'no' });
    expect(() => parseDecisionArgs('approve', ['--db', 'x'], dir.path)).to.throw().that.satisfies(configError(/one approval id/));
    expect(() => parseDecisionArgs('approve', ['0', '--db', 'x'], dir.path)).to.throw().that.satisfies(configError(/id/));
    expect(() => parseDecisionArgs('approve', ['1'], dir.path)).to.throw().that.satisfies(configError(/--db/));
    expect(() => parseDecisionArgs('approve', ['1', '--db', 'x', '--reason', 'r'], dir.path)).to.throw().that.satisfies(configError(/reason/));
    expect(parseDecisionArgs('approve', ['--help'], dir.path).help).to.equal(true);
    const l = parseListArgs(['--db', 'ca.db', '--json'], dir.path);
    expect(!l.help && l.value).to.deep.equal({ dbPath: join(dir.path, 'ca.db'), limit: 20, json: true });
  });
});
