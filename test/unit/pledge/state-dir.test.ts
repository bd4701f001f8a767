/** The pledge's state directory: transaction.json round trip and modes, credentials on finish, bad files refused. */
import { expect } from 'chai';
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { certificatePem, exportPrivateKeyPem, generateKeyPairSync, parseCertificates } from '../../../src/pki/index.ts';
import { PLEDGE_TRANSACTION_STATE_VERSION, parsePledgeTransactionState, type PledgeTransactionState } from '../../../src/protocol/pledge/index.ts';
import { PledgeStateDir } from '../../../pledge/state-dir.ts';
import { makeTempDir, type TempDir } from '../../helpers/files.ts';
import { makeWorld, rejection, thrown, type TestWorld } from '../cmp-protocol/helpers.ts';

function sampleState(): PledgeTransactionState {
  const key = generateKeyPairSync('P-256');
  return {
    version: PLEDGE_TRANSACTION_STATE_VERSION,
    serialNumber: 'PLEDGE-0001',
    registrar: 'coap://127.0.0.1:5683',
    keyAlgorithm: 'P-256',
    newKeyPem: exportPrivateKeyPem(key.privateKey),
    cmp: {
      version: 1,
      bodyType: 'ir',
      transactionId: '00112233445566778899aabbccddeeff',
      certReqId: 0,
      recipNonce: 'ffeeddccbbaa99887766554433221100',
      publicKeySpki: '3059',
      implicitConfirmRequested: false,
      startedAt: 1,
      polls: 2,
      checkAfterSeconds: 1,
      lastResponseAt: 2,
    },
    savedAt: new Date(0).toISOString(),
  };
}

describe('pledge: state directory', () => {
  let tmp: TempDir;
  let world: TestWorld;
  before(async () => {
    world = await makeWorld();
  });
  beforeEach(() => {
    tmp = makeTempDir('brski-pledge-state-');
  });
  afterEach(() => tmp.remove());

  it('saves transaction.json with mode 0600, loads it back, clears it', async () => {
    const dir = new PledgeStateDir(tmp.path, 'PLEDGE-0001');
    expect(await dir.load()).to.equal(undefined);
    const s = sampleState();
    await dir.save(s);
    const file = join(tmp.path, 'PLEDGE-0001', 'transaction.json');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(await dir.load()).to.deep.equal(s);
    await dir.clear();
    expect(existsSync(file)).to.equal(false);
    await dir.clear(); // again: no error
  });

  it('finish writes ldevid.pem, ldevid.key (0600) and chain.pem without the root, then drops the transaction', async () => {
    const dir = new PledgeStateDir(tmp.path, 'PLEDGE-0001');
    await dir.save(sampleState());
    const path = [world.pledge.cert, world.mfgCa.cert, world.mfgRoot.cert];
    await dir.finish({ certificate: world.pledge.cert, privateKey: world.pledge.keys.privateKey, path });
    const d = join(tmp.path, 'PLEDGE-0001');
    expect(readFileSync(join(d, 'ldevid.pem'), 'utf8')).to.equal(certificatePem(world.pledge.cert));
    expect(statSync(join(d, 'ldevid.key')).mode & 0o777).to.equal(0o600);
    expect(parseCertificates(readFileSync(join(d, 'chain.pem'), 'utf8')).map((c) => c.subject)).to.deep.equal([world.pledge.cert.subject, world.mfgCa.cert.subject]);
    expect(existsSync(join(d, 'transaction.json'))).to.equal(false);
    const again = await dir.existing();
    expect(again?.certificate.serialNumber).to.equal(world.pledge.cert.serialNumber);
  });

  it('refuses a transaction.json that is not JSON or misses fields, naming the field', async () => {
    mkdirSync(join(tmp.path, 'PLEDGE-0002'));
    writeFileSync(join(tmp.path, 'PLEDGE-0002', 'transaction.json'), '{not json');
    expect((await rejection(new PledgeStateDir(tmp.path, 'PLEDGE-0002').load())).code).to.equal('ERR_CONFIG');
    const s = sampleState() as unknown as Record<string, unknown>;
    const bad = { ...s, cmp: { ...(s.cmp as object), recipNonce: 'XYZ' } };
    expect(thrown(() => parsePledgeTransactionState(bad)).message).to.match(/cmp\.recipNonce/);
    expect(thrown(() => parsePledgeTransactionState({ ...s, keyAlgorithm: 'DSA' })).message).to.match(/keyAlgorithm/);
    expect(thrown(() => parsePledgeTransactionState({ ...s, version: 2 })).message).to.match(/version/);
    const pollReq = { type: 'pollReq', requestDer: '3082', senderNonce: '00ff' };
    expect(parsePledgeTransactionState({ ...s, outstanding: pollReq }).outstanding).to.deep.equal(pollReq);
    expect(thrown(() => parsePledgeTransactionState({ ...s, outstanding: { ...pollReq, type: 'ir' } })).message).to.match(/outstanding\.type/);
    expect(thrown(() => parsePledgeTransactionState({ ...s, outstanding: { ...pollReq, type: 'certConf', certificate: '30', pool: ['zz'] } })).message).to.match(/outstanding\.pool/);
  });

  it('a serial number that cannot name a directory is refused', () => {
    expect(thrown(() => new PledgeStateDir(tmp.path, '../x')).code).to.equal('ERR_CONFIG');
  });
});
