/** Reading an HTTP body (request or response) with a bound on its size. */
import type { IncomingMessage } from 'node:http';

/** The body grew past the bound; nothing more was buffered. */
export class BodyTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`body larger than ${maxBytes} bytes`);
  }
}

/**
 * Reads the body, refusing (without buffering further) once it exceeds `max` bytes: rejects with
 * BodyTooLarge, or the stream's error; the rest of a refused body is drained, not kept.
 */
export function readBoundedBody(msg: IncomingMessage, max: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (e?: Error): void => {
      if (done) return;
      done = true;
      msg.off('data', onData);
      if (e) {
        msg.resume();
        reject(e);
      } else resolve(new Uint8Array(Buffer.concat(chunks, size)));
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > max) {
        chunks.length = 0;
        finish(new BodyTooLarge(max));
        return;
      }
      chunks.push(c);
    };
    msg.on('data', onData);
    msg.once('end', () => finish());
    msg.once('error', (e) => finish(e));
    msg.once('aborted', () => finish(new Error('request aborted')));
  });
}
