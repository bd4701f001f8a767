/**
 * `brski registrar` options (registrar/config.ts) and the CA's batch processing of an offline
 * transfer (`brski ca process`, ca/process.ts) with the real CA wiring.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isStackError } from '../../../src/core/errors.ts';
import { seededRandom } from '../../../src/core/random.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { bodyTypeOf, decodePkiMessage, decodePkiMessages, encodePkiMessages, type PKIMessage } from '../../../src/codec/cmp/index.ts';
import type { TestPki } from '../../../src/pki/index.ts';
import { nestedWrapper } from '../../../src/protocol/registrar/messages.ts';
import { parseExportArgs, parseImportArgs, parseServeConfig, parseStatusArgs } from '../../../registrar/config.ts';
import { parseServeConfig as parseCaConfig } from '../../../ca/config.ts';
import { parseProcessArgs, processBatch } from '../../../ca/process.ts';
import type { TempDir } from '../../helpers/files.ts';
import { makePki, newTempDir, TestPledge, type World } from './harness.ts';

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isStackError(e, 'ERR_CONFIG')) return e.message;
    throw e;
  }
  throw new Error('expected ERR_CONFIG');
}

describe('registrar configuration and ca process', function () {
  this.timeout(30_000);
  let dir: TempDir;
  let pki: TestPki;
  before(async () => {
    dir = newTempDir();
    pki = (await makePki(dir, 2)).pki;
  });
  after(() => dir?.remove());

  describe('registrar/config.ts', () => {
    it('reads flags and a JSON config file (flags win), validated and frozen', () => {
      writeFileSync(join(dir.path, 'allow.json'), JSON.stringify(['PLEDGE-0001', 'PLEDGE-0001', 'PLEDGE-0002']));
      writeFileSync(
        join(dir.path, 'registrar.json'),
        JSON.stringify({ pki: 'pki', allowFile: 'allow.json', port: 6000, checkAfter: 9, caUrl: 'http://127.0.0.1:8080', maxOpenPerPledge: 3 }),
      );
      const p = parseServeConfig(['--config', 'registrar.json', '--port', '0', '--label', 'site-a', '--local-certconf'], dir.path);
      if (p.help) throw new Error('help');
      const c = p.value;
      expect(c).to.deep.include({ port: 0, checkAfterSeconds: 9, label: 'site-a', localCertConf: true, maxOpenPerPledge: 3, upstreamTimeoutMs: 2000, retryBaseMs: 2000 });
      expect(c.pkiDir).to.equal(join(dir.path, 'pki'));
      expect(c.allow).to.deep.equal(['PLEDGE-0001', 'PLEDGE-0002']);
      expect(Object.isFrozen(c)).to.equal(true);
    });

    it('reads the voucher and JPY settings: prefetch list, audit policy, MASA timeout, JPY socket', () => {
      writeFileSync(join(dir.path, 'prefetch.json'), JSON.stringify(['PLEDGE-0003', 'PLEDGE-0004']));
      const p = parseServeConfig(
        ['--pki', 'pki', '--allow-any', '--masa-url', 'https://masa.example:9443', '--prefetch', 'prefetch.json', '--prefetch-refresh', '600', '--audit-policy', 'refuse',
          '--masa-timeout', '2500', '--jpy-port', '0', '--jpy-host', '::', '--jpy-announce', '2001:db8::1'],
        dir.path,
      );
      if (p.help) throw new Error('help');
      expect(p.value).to.deep.include({ prefetchRefreshSeconds: 600, auditPolicy: 'refuse', masaTimeoutMs: 2500, jpyPort: 0, jpyHost: '::', jpyAnnounce: '2001:db8::1' });
      expect(p.value.prefetch).to.deep.equal(['PLEDGE-0003', 'PLEDGE-0004']);
      const d = parseServeConfig(['--pki', 'pki', '--allow-any'], dir.path);
      if (d.help) throw new Error('help');
      expect(d.value).to.deep.include({ auditPolicy: 'warn', masaTimeoutMs: 10_000, prefetchRefreshSeconds: 3600 });
      expect(d.value.jpyPort).to.equal(undefined);
      const base = ['--pki', 'pki', '--allow-any'];
      expect(configError(() => parseServeConfig([...base, '--prefetch', 'prefetch.json'], dir.path))).to.match(/--prefetch needs --masa-url/);
      expect(configError(() => parseServeConfig([...base, '--audit-policy', 'maybe'], dir.path))).to.match(/--audit-policy/);
      expect(configError(() => parseServeConfig([...base, '--jpy-host', '::'], dir.path))).to.match(/need --jpy-port/);
      expect(configError(() => parseServeConfig([...base, '--jpy-port', '70000'], dir.path))).to.match(/--jpy-port/);
    });

    it('refuses what cannot work', () => {
      expect(configError(() => parseServeConfig(['--allow-any'], dir.path))).to.match(/--pki DIR is required/);
      expect(configError(() => parseServeConfig(['--pki', 'pki'], dir.path))).to.match(/--allow FILE or --allow-any/);
      expect(configError(() => parseServeConfig(['--pki', 'pki', '--allow-any', '--ca-url', 'ftp://x'], dir.path))).to.match(/--ca-url/);
      expect(configError(() => parseServeConfig(['--pki', 'pki', '--allow-any', '--block-size', '100'], dir.path))).to.match(/power of two/);
      expect(configError(() => parseServeConfig(['--pki', 'pki', '--allow-any', '--label', 'a/b'], dir.path))).to.match(/--label/);
      expect(configError(() => parseServeConfig(['--pki', 'pki', '--allow-any', '--bogus'], dir.path))).to.match(/bogus/);
      writeFileSync(join(dir.path, 'bad-allow.json'), JSON.stringify({ a: 1 }));
      expect(configError(() => parseServeConfig(['--pki', 'pki', '--allow', 'bad-allow.json'], dir.path))).to.match(/JSON list/);
    });

    it('parses export, import and status', () => {
      const e = parseExportArgs(['--db', 'r.db', '--out', 'b.der'], dir.path);
      expect(e.help ? undefined : e.value).to.deep.equal({ dbPath: join(dir.path, 'r.db'), outPath: join(dir.path, 'b.der') });
      const i = parseImportArgs(['a.der', '--db', 'r.db', '--pki', 'pki'], dir.path);
      expect(i.help ? undefined : i.value).to.deep.equal({ file: join(dir.path, 'a.der'), dbPath: join(dir.path, 'r.db'), pkiDir: join(dir.path, 'pki') });
      expect(configError(() => parseImportArgs(['--db', 'r.db'], dir.path))).to.match(/exactly one/);
      const s = parseStatusArgs(['--db', 'r.db', '--json'], dir.path);
      expect(s.help ? undefined : s.value).to.deep.include({ json: true, limit: 20 });
    });
  });

  describe('ca/process.ts', () => {
    it('splits FILE, --out and --max-age from the flags of ca serve', () => {
      const p = parseProcessArgs(['batch.der', '--pki', 'pki', '--db', 'ca.db', '--allow-any', '--manual-approval', '--check-after', '3', '--out', 'answers.der'], {}, dir.path);
      if (p.help) throw new Error('help');
      expect(p.value.file).to.equal(join(dir.path, 'batch.der'));
      expect(p.value.outPath).to.equal(join(dir.path, 'answers.der'));
      expect(p.value.config).to.deep.include({ allowAny: true, manualApproval: true, checkAfterSeconds: 3 });
      expect(configError(() => parseProcessArgs(['batch.der', '--pki', 'pki', '--allow-any'], {}, dir.path))).to.match(/--out/);
    });

    it('answers each registrar-signed nested message with the CA\'s policy; the label comes from certProfile', async () => {
      writeFileSync(join(dir.path, 'inventory.json'), JSON.stringify({ 'site-a': ['PLEDGE-0001'] }));
      const parsed = parseCaConfig(['--pki', 'pki', '--db', 'ca.db', '--inventory', 'inventory.json'], {}, dir.path);
      if (parsed.help) throw new Error('help');
      const registrar = { ...pki.domain.registrar, clock: systemClock, random: seededRandom(1) };
      const pledge = new TestPledge({ pki } as unknown as World, pki.pledges[0]!);
      const a = pledge.ir();
      const b = pledge.ir();
      const batch = encodePkiMessages([decodePkiMessage(nestedWrapper(a.msg, registrar, 'site-a')), decodePkiMessage(nestedWrapper(b.msg, registrar))]);
      const result = await processBatch(parsed.value, batch, { pki });
      expect(result.messages.map((m) => [m.request, m.response, m.label ?? '-'])).to.deep.equal([
        ['nested[ir]', 'nested[ip]', 'site-a'],
        ['nested[ir]', 'nested[ip]', '-'],
      ]);
      const answers = [...decodePkiMessages(result.answers)];
      const inner = (m: PKIMessage): PKIMessage => m.body.nested![0]!;
      expect(answers.map((m) => bodyTypeOf(inner(m)))).to.deep.equal(['ip', 'ip']);
      const status = (m: PKIMessage): number => inner(m).body.ip!.response[0]!.status.status;
      expect(status(answers[0]!)).to.equal(0); // accepted under site-a
      expect(status(answers[1]!)).to.equal(2); // the default label has no inventory: rejection
    });
  });
});
