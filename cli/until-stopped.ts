/**
 * For long-running commands: resolves on SIGINT or SIGTERM. Call it before printing the ready
 * line, so that a stop sent right after that line is never missed.
 */
export function untilStopped(): Promise<void> {
  return new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
}
