/** Shared material for the CMP protocol tests: a small PKI, the openssl fixtures, a driven ManualClock. */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../../src/core/clock.ts';
import { StackError } from '../../../src/core/errors.ts';
import { OID_KP_CMC_CA, OID_KP_CMC_RA, parseCertificate, type Certificate, type KeyAlgorithm } from '../../../src/pki/index.ts';
import { T0, makeCa, makeCert, makeRoot, type TestCredential } from '../pki/helpers.ts';

export { T0, makeCa, makeCert, makeRoot, type TestCredential };

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/cmp/openssl');
/** The MAC secret of the ir-mac fixtures (scripts/gen-cmp-fixtures.sh, `-srv_secret` / `-secret`). */
export const FIXTURE_MAC_SECRET = new TextEncoder().encode('brski-ae-test-secret');
export const FIXTURE_MAC_REF = new TextEncoder().encode('pledge-0001');

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES).filter((f) => f.endsWith('.der')).sort();
}

export function fixtureCert(name: 'root' | 'srv' | 'client' | 'new' | 'new2'): Certificate {
  return parseCertificate(readFileSync(join(FIXTURES, `${name}.pem`), 'utf8'));
}

/** Manufacturer (IDevID) and domain (RA/CA) hierarchies, as BRSKI-AE has them. */
export interface TestWorld {
  readonly mfgRoot: TestCredential;
  readonly mfgCa: TestCredential;
  readonly pledge: TestCredential;
  readonly domainRoot: TestCredential;
  readonly domainCa: TestCredential;
  readonly raCa: TestCredential;
  readonly registrar: TestCredential;
}

export async function makeWorld(alg: KeyAlgorithm = 'P-256'): Promise<TestWorld> {
  const mfgRoot = await makeRoot('Manufacturer Root', {}, alg);
  const mfgCa = await makeCa('Manufacturer CA', mfgRoot, {}, alg);
  const pledge = await makeCert('Pledge', mfgCa, { subject: 'O=Test, CN=Pledge, serialNumber=PLEDGE-0001' }, alg);
  const domainRoot = await makeRoot('Domain Root', {}, alg);
  const domainCa = await makeCa('Domain CA', domainRoot, {}, alg);
  const raCa = await makeCert('RA/CA', domainCa, { extendedKeyUsage: [OID_KP_CMC_CA, OID_KP_CMC_RA] }, alg);
  const registrar = await makeCert('Registrar', domainCa, { extendedKeyUsage: [OID_KP_CMC_RA] }, alg);
  return { mfgRoot, mfgCa, pledge, domainRoot, domainCa, raCa, registrar };
}

export function manualClockAt(t: Date = T0): ManualClock {
  return new ManualClock(t.getTime());
}

/**
 * Awaits `p` while moving `clock` forward in `stepMs` steps whenever timers are pending,
 * so code that sleeps on the clock runs without real waiting. Returns the value of `p`.
 */
export async function drive<T>(clock: ManualClock, p: Promise<T>, stepMs = 1000, maxSteps = 10_000): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  watched.catch(() => {});
  for (let i = 0; i < maxSteps && !done; i++) {
    await new Promise((r) => setImmediate(r));
    if (!done && clock.pending > 0) clock.advance(stepMs);
  }
  return watched;
}

/** The StackError a promise rejects with (fails the test if it resolves or throws something else). */
export async function rejection(p: Promise<unknown>): Promise<StackError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StackError) return e;
    throw new Error(`rejected with a non-StackError: ${String(e)}`, { cause: e });
  }
  throw new Error('expected a rejection, but it resolved');
}

export function thrown(f: () => unknown): StackError {
  try {
    f();
  } catch (e) {
    if (e instanceof StackError) return e;
    throw new Error(`threw a non-StackError: ${String(e)}`, { cause: e });
  }
  throw new Error('expected a throw');
}
