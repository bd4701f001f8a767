/**
 * `brski proxy`: the join proxy service (draft-ietf-anima-constrained-join-proxy-20).
 * Exit codes: 0 stopped, 1 failed, 2 usage or configuration error.
 *
 * Prints the ready line on stdout, logs JSON lines on stderr, logs the counters every
 * --stats-interval, and prints `counters {json}` on stdout on SIGUSR2 and at exit.
 */
import { isStackError } from '../src/core/errors.ts';
import { JsonLogger } from '../src/core/logger.ts';
import { parseProxyConfig, PROXY_HELP } from './config.ts';
import { startJoinProxy } from './service.ts';

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string): void => void process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseProxyConfig(argv);
  } catch (e) {
    err(`brski proxy: ${isStackError(e) ? e.message : String(e)}\n${PROXY_HELP}`);
    return 2;
  }
  if (parsed.help) {
    out(parsed.text);
    return 0;
  }
  const config = parsed.value;
  const logger = new JsonLogger((l) => process.stderr.write(l), config.logLevel, { service: 'brski-proxy' });
  let service;
  try {
    service = await startJoinProxy(config, { logger });
  } catch (e) {
    err(`brski proxy: ${isStackError(e) ? `${e.code}: ${e.message}` : ((e as Error)?.stack ?? String(e))}`);
    return isStackError(e, 'ERR_CONFIG') ? 2 : 1;
  }
  // Every signal handler is in place before the ready line: a supervisor may signal at once.
  const printCounters = (): void => out(`counters ${JSON.stringify(service.counters())}`);
  const onUsr2 = (): void => printCounters();
  process.on('SIGUSR2', onUsr2);
  const stopped = new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  const stats = config.statsIntervalMs > 0 ? setInterval(() => logger.info('counters', { counters: service.counters() }), config.statsIntervalMs) : undefined;
  stats?.unref();
  out(service.readyLine);
  logger.info('listening', {
    mode: service.mode,
    join: service.joinAddress,
    registrar: service.registrar,
    upstream: service.upstreamAddress,
    discovery: service.discoveryAddress,
    maxPledges: config.maxPledges,
    maxPerAddress: config.maxPerAddress,
    idleTimeoutMs: config.idleTimeoutMs,
    ratePerSecond: config.ratePerSecond,
  });
  await stopped;
  if (stats) clearInterval(stats);
  process.off('SIGUSR2', onUsr2);
  logger.info('stopping', { counters: service.counters() });
  printCounters();
  await service.close();
  return 0;
}
