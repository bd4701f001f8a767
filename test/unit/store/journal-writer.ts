/** Child process for the kill -9 test: commits rows as fast as it can, printing each id once committed. */
import { RegistrarJournal } from '../../../src/store/registrar-journal.ts';

const journal = RegistrarJournal.open(process.argv[2]!, { maxOpen: 1_000_000, maxOpenPerPledge: 1_000_000 });
for (let i = 0; ; i++) {
  const tid = new Uint8Array(16);
  new DataView(tid.buffer).setUint32(0, i);
  const { entry } = journal.receive({ transactionId: tid, step: 'ir', requestDer: new Uint8Array(300).fill(i & 0xff), pledgeSerial: `P-${i}` });
  if (i % 3 === 0) journal.markForwarded(entry.id, new Uint8Array(10));
  process.stdout.write(`${entry.id} ${i % 3 === 0 ? 'forwarded' : 'received'}\n`);
}
