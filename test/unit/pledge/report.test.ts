/** The summary of `brski pledge`: the frames column appears with link emulation, and the JSON keeps every field. */
import { expect } from 'chai';
import type { PledgeReport } from '../../../pledge/emulator.ts';
import { formatTable, reportJson, totals } from '../../../pledge/report.ts';

const base: PledgeReport = {
  serialNumber: 'PLEDGE-0001',
  result: 'enrolled',
  ldevidSerial: '01ab',
  ldevidSubject: 'O=Test Domain, CN=PLEDGE-0001',
  polls: 0,
  resumed: false,
  retries: 0,
  timeMs: 2500,
  bytesSent: 1000,
  bytesReceived: 2000,
  datagramsSent: 20,
  datagramsReceived: 18,
  retransmissions: 2,
  largestDatagram: 100,
};

describe('pledge: report', () => {
  it('no link emulation: no frames column, no meanFrames', () => {
    const t = totals([base], 3000);
    expect(t).not.to.have.property('meanFrames');
    expect(formatTable([base], t)).not.to.match(/frames/);
  });

  it('with link emulation: a frames out/in column and the mean frames on air per enrollment', () => {
    const r: PledgeReport = { ...base, framesSent: 30, framesReceived: 40 };
    const r2: PledgeReport = { ...base, serialNumber: 'PLEDGE-0002', framesSent: 50, framesReceived: 60 };
    const t = totals([r, r2], 3000);
    expect(t.meanFrames).to.equal(90);
    const table = formatTable([r, r2], t);
    const [head, , row1] = table.split('\n');
    expect(head).to.match(/dgrams out\/in {2}frames out\/in {2}retx$/);
    expect(row1).to.match(/20\/18 +30\/40 +2$/);
    expect(table).to.match(/90 frames on air/);
  });

  it('JSON carries frames, the LDevID subject and the voucher facts per pledge, and the run settings', () => {
    const r: PledgeReport = { ...base, framesSent: 30, framesReceived: 40, voucherNonceless: true, voucherUnavailable: 1 };
    const run = { registrar: 'coap://127.0.0.1:1/.well-known/cmp', blockSize: 64, linkLoss: 0, ackTimeoutMs: 500, maxRetransmit: 4, concurrency: 1, startedAt: '2025-01-01T00:00:00.000Z' };
    const json = JSON.parse(JSON.stringify(reportJson(run, [r], totals([r], 1)))) as { pledges: Record<string, unknown>[]; ackTimeoutMs: number };
    expect(json.ackTimeoutMs).to.equal(500);
    expect(json.pledges[0]).to.include({ framesSent: 30, framesReceived: 40, ldevidSubject: 'O=Test Domain, CN=PLEDGE-0001', voucherNonceless: true, voucherUnavailable: 1 });
  });
});
