/** The summary of a pledge run: a table for stdout and the same per pledge as JSON. */
import type { PledgeLinkConfig } from './config.ts';
import type { PledgeReport } from './emulator.ts';

export interface RunTotals {
  readonly pledges: number;
  readonly enrolled: number;
  readonly existing: number;
  readonly failed: number;
  readonly polls: number;
  readonly retransmissions: number;
  /** Means over the pledges that enrolled in this run (0 when none did). */
  readonly meanBytesSent: number;
  readonly meanBytesReceived: number;
  readonly meanDatagrams: number;
  /** Link-layer frames on air, sent plus received (only with link emulation). */
  readonly meanFrames?: number;
  readonly meanTimeMs: number;
  readonly wallMs: number;
}

export function totals(reports: readonly PledgeReport[], wallMs: number): RunTotals {
  const done = reports.filter((r) => r.result === 'enrolled');
  const mean = (f: (r: PledgeReport) => number): number => (done.length ? Math.round(done.reduce((a, r) => a + f(r), 0) / done.length) : 0);
  return {
    pledges: reports.length,
    enrolled: done.length,
    existing: reports.filter((r) => r.result === 'existing').length,
    failed: reports.filter((r) => r.result === 'failed').length,
    polls: reports.reduce((a, r) => a + r.polls, 0),
    retransmissions: reports.reduce((a, r) => a + r.retransmissions, 0),
    meanBytesSent: mean((r) => r.bytesSent),
    meanBytesReceived: mean((r) => r.bytesReceived),
    meanDatagrams: mean((r) => r.datagramsSent + r.datagramsReceived),
    ...(reports.some((r) => r.framesSent !== undefined) ? { meanFrames: mean((r) => (r.framesSent ?? 0) + (r.framesReceived ?? 0)) } : {}),
    meanTimeMs: mean((r) => r.timeMs),
    wallMs,
  };
}

const HEAD = ['serial', 'result', 'LDevID serial', 'polls', 'time s', 'sent B', 'recv B', 'dgrams out/in', 'retx'];
const FRAMES = 'frames out/in';

export function formatTable(reports: readonly PledgeReport[], t: RunTotals): string {
  const withFrames = reports.some((r) => r.framesSent !== undefined);
  const head = withFrames ? [...HEAD.slice(0, 8), FRAMES, ...HEAD.slice(8)] : HEAD;
  const rows = reports.map((r) => {
    const row = [
      r.serialNumber,
      r.result === 'enrolled' && r.resumed ? 'enrolled*' : r.result,
      r.ldevidSerial ?? (r.error ? `${r.error.code}: ${r.error.message}`.slice(0, 60) : '-'),
      String(r.polls),
      (r.timeMs / 1000).toFixed(1),
      String(r.bytesSent),
      String(r.bytesReceived),
      `${r.datagramsSent}/${r.datagramsReceived}`,
    ];
    if (withFrames) row.push(r.framesSent !== undefined ? `${r.framesSent}/${r.framesReceived ?? 0}` : '-');
    row.push(String(r.retransmissions));
    return row;
  });
  const numeric = new Set(head.map((_, i) => i).filter((i) => i >= 3));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: readonly string[]): string =>
    row
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const lines = [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];
  lines.push('');
  lines.push(
    `${t.enrolled} enrolled, ${t.existing} already enrolled, ${t.failed} failed of ${t.pledges} in ${(t.wallMs / 1000).toFixed(1)} s; ` +
      `${t.polls} polls, ${t.retransmissions} retransmissions`,
  );
  if (t.enrolled > 0) {
    const frames = t.meanFrames !== undefined ? `, ${t.meanFrames} frames on air` : '';
    lines.push(
      `per enrollment (mean): ${t.meanBytesSent} B sent, ${t.meanBytesReceived} B received, ${t.meanDatagrams} datagrams${frames}, ${(t.meanTimeMs / 1000).toFixed(1)} s`,
    );
  }
  if (reports.some((r) => r.resumed && r.result === 'enrolled')) lines.push('* resumed a transaction saved by an earlier run');
  return `${lines.join('\n')}\n`;
}

export interface RunDescription {
  readonly registrar: string;
  /** With --discover: the URI asked and the join proxy found there. */
  readonly discover?: string;
  readonly joinProxy?: string;
  readonly blockSize: number;
  readonly linkLoss: number;
  /** The emulated link (absent without one). */
  readonly link?: PledgeLinkConfig;
  readonly ackTimeoutMs: number;
  readonly maxRetransmit: number;
  readonly concurrency: number;
  readonly startedAt: string;
}

export function reportJson(run: RunDescription, reports: readonly PledgeReport[], t: RunTotals): unknown {
  return { ...run, totals: t, pledges: reports };
}
