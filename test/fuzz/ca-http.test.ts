/**
 * Fuzz the live RA/CA over HTTP: random, truncated, mutated and oversized bodies get a CMP error
 * message (200 application/pkixcmp) or an HTTP 4xx, never a crash or a hang, and the service keeps
 * answering a well-formed request correctly afterwards.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseServeConfig } from '../../ca/config.ts';
import { startCaService, type CaService } from '../../ca/service.ts';
import { bodyTypeOf, decodePkiMessage } from '../../src/codec/cmp/index.ts';
import { generateKeyPairSync, initTestPki } from '../../src/pki/index.ts';
import { CmpClient } from '../../src/protocol/cmp/client.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';

const FIXTURES = 'test/fixtures/cmp/openssl';

describe('fuzz: RA/CA over HTTP keeps serving', function () {
  this.timeout(120_000);
  let dir: TempDir;
  let service: CaService;
  const seeds = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.der'))
    .map((f) => new Uint8Array(readFileSync(join(FIXTURES, f))));

  before(async () => {
    dir = makeTempDir('brski-fuzz-ca-');
    const pki = await initTestPki(join(dir.path, 'pki'), { pledges: 1 });
    const parsed = parseServeConfig(['--pki', pki.dir, '--db', join(dir.path, 'ca.db'), '--port', '0', '--allow-any', '--max-body', '4096'], {}, dir.path);
    if (parsed.help) throw new Error('unexpected help');
    service = await startCaService(parsed.value, { pki });
  });

  after(async () => {
    await service?.close();
    dir?.remove();
  });

  async function post(body: Uint8Array, type = 'application/pkixcmp'): Promise<{ status: number; body: Uint8Array; type: string | null }> {
    const r = await fetch(`${service.url}/.well-known/cmp`, { method: 'POST', headers: { 'content-type': type }, body });
    return { status: r.status, body: new Uint8Array(await r.arrayBuffer()), type: r.headers.get('content-type') };
  }

  it('answers 400 random, mutated, truncated and oversized bodies with a CMP error or an HTTP refusal', async () => {
    const body = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 600 }),
      fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat(255)).map(([s, i, b]) => {
        const m = s.slice();
        m[i % m.length] ^= b || 1;
        return m;
      }),
      fc.tuple(fc.constantFrom(...seeds), fc.nat()).map(([s, n]) => s.subarray(0, n % s.length)),
      fc.nat(3).map((k) => new Uint8Array(4097 + k * 1000)),
    );
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const r = await post(b);
        if (r.status === 200) {
          expect(r.type).to.match(/application\/pkixcmp/);
          const answer = decodePkiMessage(r.body);
          const kind = bodyTypeOf(answer);
          seen.set(kind, (seen.get(kind) ?? 0) + 1);
          // A mutated request can still be a valid genm or a protected one; refusals are error messages.
          expect(['error', 'genp', 'ip', 'cp', 'kup', 'rp', 'pkiconf', 'pollRep']).to.include(kind);
        } else {
          expect([400, 413]).to.include(r.status);
          seen.set(String(r.status), (seen.get(String(r.status)) ?? 0) + 1);
        }
      }),
      { numRuns: 400, seed: Number(process.env.FUZZ_SEED ?? 4242) },
    );
    expect(seen.get('error') ?? 0, JSON.stringify([...seen])).to.be.greaterThan(100);
    expect((await post(new Uint8Array(10), 'text/plain')).status).to.equal(415);
  });

  it('still enrolls a pledge correctly afterwards', async () => {
    const pledge = service.pki.pledges[0]!;
    const client = new CmpClient({
      transfer: async (der) => (await post(der)).body,
      credentials: { kind: 'signature', privateKey: pledge.privateKey, certificate: pledge.certificate, chain: pledge.chain },
      trustAnchors: [service.pki.domain.rootCa.certificate],
    });
    const res = await client.enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey });
    expect(res.certificate.issuer).to.equal(service.pki.domain.issuingCa.certificate.subject);
  });
});
