/**
 * Reads the PDU lines libcoap 4.3 logs at `-v 7`, e.g.
 *   v:1 t:ACK c:2.05 i:1f94 {02000000000002} [ ETag:0x90ce, Block2:1/M/256 ] :: binary data length 256
 * so interop tests can check what libcoap itself sent and saw (codes, block numbers and sizes).
 */

export interface LoggedBlock {
  readonly num: number;
  readonly more: boolean;
  readonly size: number;
}

export interface LoggedPdu {
  readonly type: 'CON' | 'NON' | 'ACK' | 'RST';
  /** "GET", "POST", "2.05", "4.04" ... as libcoap prints it. */
  readonly code: string;
  readonly mid: number;
  readonly token: string;
  /** Raw option text inside the brackets. */
  readonly options: string;
  readonly block1?: LoggedBlock;
  readonly block2?: LoggedBlock;
  /** From "binary data length N" when libcoap printed that form. */
  readonly payloadLength?: number;
}

const PDU = /^v:1 t:(CON|NON|ACK|RST) c:(\S+) i:([0-9a-f]+) \{([0-9a-f]*)\} \[ ?(.*?) ?\](?: :: (.*))?$/;

function block(options: string, name: 'Block1' | 'Block2'): LoggedBlock | undefined {
  const m = new RegExp(`${name}:(\\d+)/([M_])/(\\d+)`).exec(options);
  return m ? { num: Number(m[1]), more: m[2] === 'M', size: Number(m[3]) } : undefined;
}

export function parseLibcoapPdus(log: string): LoggedPdu[] {
  const out: LoggedPdu[] = [];
  for (const line of log.split('\n')) {
    const m = PDU.exec(line.trimEnd());
    if (!m) continue;
    const options = m[5] ?? '';
    const len = m[6] ? /^binary data length (\d+)$/.exec(m[6]) : null;
    out.push({
      type: m[1] as LoggedPdu['type'],
      code: m[2]!,
      mid: parseInt(m[3]!, 16),
      token: m[4]!,
      options,
      block1: block(options, 'Block1'),
      block2: block(options, 'Block2'),
      payloadLength: len ? Number(len[1]) : undefined,
    });
  }
  return out;
}
