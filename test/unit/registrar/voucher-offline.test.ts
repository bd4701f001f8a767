/**
 * Vouchers while the MASA cannot be reached, and the MASA audit log policy, at the registrar on
 * the in-memory network with a manual clock and a fake MASA (fake-masa.ts):
 *
 * - nonceless vouchers prefetched for some pledges (RVR without nonce or prior-signed request),
 *   checked and stored; with the MASA down those pledges get theirs, the others 5.03 + Max-Age;
 *   an expired one is never served (5.03 that says so, and a log line); renewal at half-life;
 * - --audit-policy: refuse answers 4.03 when the pledge's audit log shows another domain, warn
 *   logs it and delivers, off does not ask;
 * - the pledge side: a nonceless voucher is accepted only before its expires-on, and a 5.03 is
 *   retried after its Max-Age.
 */
import { expect } from 'chai';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { stringOpt, uintOpt, uintOption } from '../../../src/codec/coap/option-value.ts';
import { formatDateAndTime, parseVoucherCose, signVoucherCose, type Voucher } from '../../../src/codec/voucher/index.ts';
import { JsonLogger } from '../../../src/core/logger.ts';
import { certificateDer, type PledgeCredential, type TestPki } from '../../../src/pki/index.ts';
import { isPledgeVoucherError, obtainVoucher, type RvAnswer } from '../../../src/protocol/pledge/index.ts';
import { SecurityContextRegistry } from '../../../src/protocol/oscore/context-registry.ts';
import { BlockwiseLayer } from '../../../src/stack/blockwise-layer.ts';
import { establishOscore, type OscoreEstablishment } from '../../../src/stack/edhoc-client.ts';
import { Endpoint } from '../../../src/stack/endpoint.ts';
import { OscoreLayer } from '../../../src/stack/oscore-layer.ts';
import type { AuditPolicy } from '../../../registrar/config.ts';
import type { TempDir } from '../../helpers/files.ts';
import { FakeMasa } from './fake-masa.ts';
import { makePki, makeWorld, newTempDir, REGISTRAR_ADDRESS, type World } from './harness.ts';

const BLOCK = 64;
const HOUR = 3_600_000;
const NONCE = Uint8Array.from({ length: 16 }, (_, i) => 100 + i);

describe('registrar vouchers offline (prefetched nonceless vouchers) and the audit log policy', () => {
  let dir: TempDir;
  let base: { dir: TempDir; pki: TestPki; foreign: TestPki };
  let w: World;
  let masa: FakeMasa;
  let logs: { msg: string; [k: string]: unknown }[];
  let endpoints: Endpoint[];
  let n = 0;

  before(async () => {
    dir = newTempDir();
    base = { dir, ...(await makePki(dir, 4)) };
  });
  after(() => dir.remove());

  async function world(auditPolicy: AuditPolicy = 'warn'): Promise<void> {
    masa = new FakeMasa(base.pki);
    logs = [];
    const logger = new JsonLogger((l) => logs.push(JSON.parse(l) as { msg: string }), 'debug');
    w = await makeWorld(base, { security: 'oscore', requireVoucher: true, masaUrl: 'https://masa.invalid', auditPolicy }, undefined, { masa: masa.client, logger });
    masa.now = () => w.clock.now();
    endpoints = [];
  }
  afterEach(async () => {
    for (const e of endpoints) await e.close();
    await w.close();
  });

  async function establish(p: PledgeCredential): Promise<OscoreEstablishment> {
    const ep = new Endpoint(w.network.createTransport(`10.0.4.${++n}`), [new BlockwiseLayer({ preferredBlockSize: BLOCK }), new OscoreLayer({ contexts: new SecurityContextRegistry() })]);
    endpoints.push(ep);
    return establishOscore(ep, REGISTRAR_ADDRESS, { credential: p, judgeResponder: () => ({ accept: true }), blockSize: BLOCK });
  }

  async function rv(p: PledgeCredential, o: { now?: () => Date } = {}) {
    const est = await establish(p);
    const answers: RvAnswer[] = [];
    const result = await obtainVoucher({
      identity: p,
      registrarChain: est.peer.certificates,
      masaAnchor: base.pki.manufacturer.masa.certificate,
      nonce: NONCE,
      ...(o.now ? { now: o.now } : {}),
      postPvr: async (pvr) => {
        const options = ['.well-known', 'brski', 'rv'].map((s) => stringOpt(Opt.URI_PATH, s));
        options.push(uintOpt(Opt.CONTENT_FORMAT, ContentFormat.VOUCHER_COSE));
        const res = await est.request({ method: Code.POST, options, payload: pvr, peer: REGISTRAR_ADDRESS, confirmable: true, blockSize: BLOCK, timeoutMs: 30_000 });
        const cf = uintOption(res, Opt.CONTENT_FORMAT);
        const maxAge = uintOption(res, Opt.MAX_AGE);
        const a = { code: res.code, payload: res.payload, ...(cf !== undefined ? { contentFormat: cf } : {}), ...(maxAge !== undefined ? { maxAge } : {}) };
        answers.push(a);
        return a;
      },
    }).catch((e: unknown) => e);
    return { result, answers };
  }

  const serial = (i: number): string => base.pki.pledges[i]!.serialNumber;
  const msgs = (m: string) => logs.filter((l) => l.msg === m);

  describe('prefetched nonceless vouchers', () => {
    beforeEach(() => world());

    it('fetches nonceless vouchers (no nonce, no prior-signed request), checks and stores them; a second round keeps them', async () => {
      const r = await w.service.vouchers!.prefetch([serial(0), serial(1)]);
      expect(r).to.deep.equal({ fetched: 2, kept: 0, failed: 0, unreachable: false });
      expect(masa.calls.map((c) => [c.rvr.serialNumber, c.rvr.nonce, c.rvr.priorSignedVoucherRequest])).to.deep.equal([
        [serial(0), undefined, undefined],
        [serial(1), undefined, undefined],
      ]);
      const stored = w.service.vouchers!.prefetched.all();
      expect(Object.keys(stored).sort()).to.deep.equal([serial(0), serial(1)]);
      const v = parseVoucherCose(new Uint8Array(Buffer.from(stored[serial(0)]!.voucher, 'base64')), 'voucher');
      expect((v.artifact as Voucher).nonce).to.equal(undefined);
      expect(v.x5bag, 'stored as the pledge gets it: without the MASA chain').to.have.length(0);
      expect(await w.service.vouchers!.prefetch([serial(0), serial(1)])).to.deep.equal({ fetched: 0, kept: 2, failed: 0, unreachable: false });
    });

    it('with the MASA unreachable, a prefetched pledge gets its nonceless voucher and may enroll; another gets 5.03 with Max-Age and nothing', async () => {
      await w.service.vouchers!.prefetch([serial(0)]);
      masa.down = true;
      const a = await rv(base.pki.pledges[0]!);
      expect(isPledgeVoucherError(a.result), String(a.result)).to.equal(false);
      expect((a.result as { nonceless: boolean }).nonceless).to.equal(true);
      expect(w.service.vouchers!.hasVoucher(serial(0))).to.equal(true);
      expect(w.service.vouchers!.records()[serial(0)]!.noncelessExpiresOn).to.be.a('string');
      expect(msgs('prefetched nonceless voucher delivered').map((l) => l['pledge'])).to.deep.equal([serial(0)]);

      const b = await rv(base.pki.pledges[1]!);
      expect(isPledgeVoucherError(b.result, 'unavailable'), String(b.result)).to.equal(true);
      expect(b.answers.map((x) => [x.code, x.maxAge])).to.deep.equal([[Code.SERVICE_UNAVAILABLE, 7]]);
      expect(w.service.vouchers!.hasVoucher(serial(1))).to.equal(false);
    });

    it('with the MASA reachable, pledges get nonced vouchers even when a nonceless one is stored', async () => {
      await w.service.vouchers!.prefetch([serial(0)]);
      const a = await rv(base.pki.pledges[0]!);
      expect((a.result as { nonceless: boolean }).nonceless).to.equal(false);
      expect(w.service.vouchers!.prefetched.all()[serial(0)]!.served).to.equal(0);
    });

    it('an expired prefetched voucher is not served: 5.03 saying so and a log line, on every request; the next round replaces it', async () => {
      masa.noncelessLifetimeMs = HOUR;
      await w.service.vouchers!.prefetch([serial(0)]);
      masa.down = true;
      w.clock.advance(HOUR + 1000);
      const a = await rv(base.pki.pledges[0]!);
      expect(isPledgeVoucherError(a.result, 'unavailable'), String(a.result)).to.equal(true);
      expect((a.result as Error).message).to.match(/prefetched nonceless voucher expired on/);
      expect(msgs('prefetched nonceless voucher expired; not served').map((l) => l['pledge'])).to.deep.equal([serial(0)]);
      expect(w.service.vouchers!.hasVoucher(serial(0))).to.equal(false);
      w.clock.advance(7000);
      const again = await rv(base.pki.pledges[0]!);
      expect((again.result as Error).message).to.match(/5\.03.*prefetched nonceless voucher expired on/);
      expect(msgs('prefetched nonceless voucher expired; not served')).to.have.length(2);
      masa.down = false;
      expect(await w.service.vouchers!.prefetch([serial(0)])).to.deep.include({ fetched: 1 });
      expect(w.service.vouchers!.prefetched.usable(serial(0)).kind).to.equal('usable');
    });

    it('renews a voucher past half its lifetime; stops a round at an unreachable MASA', async () => {
      masa.noncelessLifetimeMs = 10 * HOUR;
      await w.service.vouchers!.prefetch([serial(0), serial(1)]);
      w.clock.advance(6 * HOUR);
      expect(await w.service.vouchers!.prefetch([serial(0), serial(1)])).to.deep.equal({ fetched: 2, kept: 0, failed: 0, unreachable: false });
      w.clock.advance(6 * HOUR);
      masa.down = true;
      expect(await w.service.vouchers!.prefetch([serial(0), serial(1)])).to.deep.equal({ fetched: 0, kept: 0, failed: 1, unreachable: true });
    });

    it('does not store what it cannot trust: a voucher signed by another key or for another serial', async () => {
      masa.key = base.foreign.manufacturer.masa.privateKey;
      expect(await w.service.vouchers!.prefetch([serial(0)])).to.deep.include({ fetched: 0, failed: 1 });
      delete masa.key;
      masa.serial = 'PLEDGE-0099';
      expect(await w.service.vouchers!.prefetch([serial(0)])).to.deep.include({ fetched: 0, failed: 1 });
      expect(w.service.vouchers!.prefetched.all()).to.deep.equal({});
      expect(msgs('MASA answered an unusable nonceless voucher')).to.have.length(2);
    });

    it('after an unreachable MASA, pledges are answered at once for Max-Age seconds without asking it', async () => {
      masa.down = true;
      await rv(base.pki.pledges[0]!);
      masa.down = false;
      const before = masa.calls.length;
      const b = await rv(base.pki.pledges[1]!);
      expect(isPledgeVoucherError(b.result, 'unavailable')).to.equal(true);
      expect((b.result as Error).message).to.match(/unreachable moments ago/);
      expect(masa.calls.length).to.equal(before);
      w.clock.advance(7000);
      const c = await rv(base.pki.pledges[1]!);
      expect(isPledgeVoucherError(c.result), String(c.result)).to.equal(false);
    });

    it('survives a restart: the stored vouchers are in the registrar database', async () => {
      await w.service.vouchers!.prefetch([serial(0)]);
      w = await w.restart();
      expect(Object.keys(w.service.vouchers!.prefetched.all())).to.deep.equal([serial(0)]);
    });
  });

  describe('--audit-policy', () => {
    it('refuse: a pledge whose audit log shows another domain gets 4.03 and no voucher', async () => {
      await world('refuse');
      masa.auditEvents = [FakeMasa.event(base.pki.domain.issuingCa.certificate, 'AQID'), FakeMasa.event(base.foreign.domain.rootCa.certificate)];
      const a = await rv(base.pki.pledges[0]!);
      expect(isPledgeVoucherError(a.result, 'refused'), String(a.result)).to.equal(true);
      expect((a.result as Error).message).to.match(/4\.03.*audit log shows 1 other domain/);
      expect(w.service.vouchers!.hasVoucher(serial(0))).to.equal(false);
      expect(msgs('voucher refused')).to.have.length(1);
    });

    it('refuse: only our own domains in the log → the voucher is delivered', async () => {
      await world('refuse');
      masa.auditEvents = [FakeMasa.event(base.pki.domain.issuingCa.certificate), FakeMasa.event(base.pki.domain.rootCa.certificate)];
      const a = await rv(base.pki.pledges[0]!);
      expect(isPledgeVoucherError(a.result), String(a.result)).to.equal(false);
      expect(w.service.vouchers!.records()[serial(0)]!.auditOtherDomains).to.equal(0);
    });

    it('warn: another domain is logged, the voucher delivered', async () => {
      await world('warn');
      masa.auditEvents = [FakeMasa.event(base.foreign.domain.rootCa.certificate)];
      const a = await rv(base.pki.pledges[0]!);
      expect(isPledgeVoucherError(a.result), String(a.result)).to.equal(false);
      expect(msgs('MASA audit log shows other domains').map((l) => l['otherDomains'])).to.deep.equal([1]);
    });

    it('off: the audit log is not asked for', async () => {
      await world('off');
      await rv(base.pki.pledges[0]!);
      expect(masa.calls).to.have.length(1);
      expect(masa.auditCalls).to.have.length(0);
    });
  });
});

describe('the pledge and nonceless vouchers, and 5.03 from /rv', () => {
  let dir: TempDir;
  let pki: TestPki;
  before(async () => {
    dir = newTempDir();
    pki = (await makePki(dir, 1)).pki;
  });
  after(() => dir.remove());

  const nonceless = (expiresOn: Date): Uint8Array =>
    signVoucherCose(
      {
        kind: 'voucher',
        assertion: 'verified',
        createdOn: formatDateAndTime(new Date(expiresOn.getTime() - 2 * HOUR)),
        expiresOn: formatDateAndTime(expiresOn),
        pinnedDomainCert: certificateDer(pki.domain.rootCa.certificate),
        serialNumber: pki.pledges[0]!.serialNumber,
      },
      { privateKey: pki.manufacturer.masa.privateKey },
    );
  const run = (answers: RvAnswer[], o: { now?: Date; acceptNonceless?: boolean; waitMs?: number; sleeps?: number[] } = {}) => {
    let i = 0;
    return obtainVoucher({
      identity: pki.pledges[0]!,
      registrarChain: [...pki.domain.registrar.chain],
      masaAnchor: pki.manufacturer.masa.certificate,
      nonce: NONCE,
      ...(o.now ? { now: () => o.now! } : {}),
      ...(o.acceptNonceless !== undefined ? { acceptNonceless: o.acceptNonceless } : {}),
      unavailableWaitMs: o.waitMs ?? 0,
      sleep: async (ms) => void o.sleeps?.push(ms),
      postPvr: async () => answers[Math.min(i++, answers.length - 1)]!,
    }).catch((e: unknown) => e);
  };
  const ok = (payload: Uint8Array): RvAnswer => ({ code: Code.CHANGED, contentFormat: ContentFormat.VOUCHER_COSE, payload });
  const busy: RvAnswer = { code: Code.SERVICE_UNAVAILABLE, maxAge: 30, payload: new TextEncoder().encode('the MASA is unreachable') };

  it('accepts a nonceless voucher before its expires-on and refuses it after (failure "expired")', async () => {
    const until = new Date(Date.now() + HOUR);
    const good = await run([ok(nonceless(until))]);
    expect(isPledgeVoucherError(good), String(good)).to.equal(false);
    expect((good as { nonceless: boolean }).nonceless).to.equal(true);
    const late = await run([ok(nonceless(until))], { now: new Date(until.getTime() + 1000) });
    expect(isPledgeVoucherError(late, 'expired'), String(late)).to.equal(true);
    expect((late as Error).message).to.match(/nonceless voucher expired on/);
  });

  it('refuses a nonceless voucher when told to accept only nonced ones', async () => {
    const e = await run([ok(nonceless(new Date(Date.now() + HOUR)))], { acceptNonceless: false });
    expect(isPledgeVoucherError(e, 'nonce'), String(e)).to.equal(true);
  });

  it('posts the PVR again after each 5.03 Max-Age while within its wait budget, then takes the voucher', async () => {
    const sleeps: number[] = [];
    const r = await run([busy, busy, ok(nonceless(new Date(Date.now() + HOUR)))], { waitMs: 120_000, sleeps });
    expect(isPledgeVoucherError(r), String(r)).to.equal(false);
    expect(sleeps).to.deep.equal([30_000, 30_000]);
    expect((r as { unavailable: number }).unavailable).to.equal(2);
  });

  it('gives up with "unavailable" when the next Max-Age would pass its wait budget', async () => {
    const sleeps: number[] = [];
    const e = await run([busy], { waitMs: 45_000, sleeps });
    expect(isPledgeVoucherError(e, 'unavailable'), String(e)).to.equal(true);
    expect(sleeps).to.deep.equal([30_000]);
  });
});
