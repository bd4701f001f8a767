/**
 * `brski pledge`: N emulated pledges enrolling through the registrar (CMP over CoAP), with a
 * progress line on stderr, a summary table on stdout and optionally JSON. Wiring only: the flow
 * is src/protocol/pledge, the per-pledge plumbing pledge/emulator.ts.
 */
import { lookup } from 'node:dns/promises';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isIP } from 'node:net';
import { isStackError } from '../src/core/errors.ts';
import { LinkMedium } from '../src/transport/link-emulator.ts';
import { UdpTransport } from '../src/transport/udp.ts';
import { JsonLogger } from '../src/core/logger.ts';
import { loadPki, pledgeSerialNumber, type PledgeCredential } from '../src/pki/index.ts';
import { PLEDGE_HELP, parsePledgeArgs, type PledgeConfig } from './config.ts';
import { discoverJoinProxy } from './discovery.ts';
import { runPledges, type PledgeEmulatorConfig } from './emulator.ts';
import { Progress } from './progress.ts';
import { formatTable, reportJson, totals } from './report.ts';

/** One CoAP exchange (all blocks of one CMP message) may take at most this long. */
const EXCHANGE_TIMEOUT_MS = 93_000;

export async function run(argv: string[]): Promise<number> {
  let config: PledgeConfig;
  try {
    const parsed = parsePledgeArgs(argv);
    if (parsed.help) {
      process.stdout.write(`${PLEDGE_HELP}\n`);
      return 0;
    }
    config = parsed.config;
  } catch (e) {
    process.stderr.write(`brski pledge: ${(e as Error).message}\n${PLEDGE_HELP}\n`);
    return 2;
  }

  let identities: PledgeCredential[];
  let emulator: Omit<PledgeEmulatorConfig, 'logger'>;
  let registrar: string;
  let joinProxy: string | undefined;
  const startupLogger = new JsonLogger((line) => void process.stderr.write(line), config.logLevel, { role: 'pledge' });
  try {
    const pki = await loadPki(config.pkiDir);
    identities = [];
    for (let i = 0; i < config.count; i++) {
      const serial = pledgeSerialNumber(config.first + i);
      const p = pki.pledges.find((x) => x.serialNumber === serial);
      if (!p) throw new Error(`${config.pkiDir} has no pledge ${serial} (it holds ${pki.pledges.length}; see brski pki init --pledges)`);
      identities.push(p);
    }
    const address = isIP(config.host) ? config.host : (await lookup(config.host)).address;
    let port = config.port;
    registrar = config.registrar ?? '';
    if (config.discover !== undefined) {
      const hostText = isIP(address) === 6 ? `[${address}]` : address;
      const found = await discoverJoinProxy(`coap://${hostText}:${config.port}`, {
        transport: await UdpTransport.bind({ host: isIP(address) === 6 ? '::' : '0.0.0.0', port: 0, logger: startupLogger }),
        logger: startupLogger,
        coap: { ackTimeoutMs: config.ackTimeoutMs, maxRetransmit: config.maxRetransmit },
        timeoutMs: Math.min(EXCHANGE_TIMEOUT_MS, config.timeoutSeconds * 1000),
      });
      // The join port is on the host that answered (a legacy link naming another host is not followed).
      port = found.port;
      const uriHost = isIP(config.host) ? hostText : config.host;
      registrar = `coap://${uriHost}:${port}/${config.path.join('/')}`;
      joinProxy = `coap://${hostText}:${port}`;
      process.stderr.write(`brski pledge: join proxy ${joinProxy} (${found.link} from ${config.discover})\n`);
      startupLogger.info('join proxy discovered', { discover: config.discover, joinProxy, link: found.link });
    }
    emulator = {
      registrar,
      peer: { address, port },
      ...(isIP(config.host) ? {} : { uriHost: config.host.toLowerCase() }),
      path: config.path,
      blockSize: config.blockSize,
      stateRoot: config.stateDir,
      timeoutMs: config.timeoutSeconds * 1000,
      linkLoss: config.linkLoss,
      ...(config.link
        ? {
            link: {
              medium: new LinkMedium({
                loss: config.link.loss,
                rateBps: config.link.rateBps,
                framePayload: config.link.framePayload,
                frameOverhead: config.link.frameOverhead,
                delayMs: config.link.delayMs,
                jitterMs: config.link.jitterMs,
              }, { halfDuplex: true }),
            },
          }
        : {}),
      ackTimeoutMs: config.ackTimeoutMs,
      maxRetransmit: config.maxRetransmit,
      retryBaseMs: config.retryBaseMs,
      exchangeTimeoutMs: Math.min(EXCHANGE_TIMEOUT_MS, config.timeoutSeconds * 1000),
      trustAnchors: [pki.domain.rootCa.certificate],
      security: config.security,
      enroll: config.enroll,
      voucher: config.voucher,
      masaAnchor: pki.manufacturer.masa.certificate,
    };
    await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    process.stderr.write(`brski pledge: ${isStackError(e) ? `${e.code}: ${e.message}` : (e as Error).message}\n`);
    return 2;
  }

  const progress = new Progress(identities.length, { write: (s) => void process.stderr.write(s), tty: process.stderr.isTTY === true });
  const logger = new JsonLogger((line) => progress.log(line), config.logLevel, { role: 'pledge' });
  const startedAt = new Date();
  const reports = await runPledges(identities, { ...emulator, logger }, config.concurrency, progress);
  progress.finish();
  const t = totals(reports, Date.now() - startedAt.getTime());
  process.stdout.write(formatTable(reports, t));
  if (config.jsonFile) {
    const json = reportJson(
      {
        registrar,
        ...(config.discover !== undefined ? { discover: config.discover, joinProxy } : {}),
        blockSize: config.blockSize,
        linkLoss: config.linkLoss,
        ...(config.link ? { link: config.link } : {}),
        ackTimeoutMs: config.ackTimeoutMs,
        maxRetransmit: config.maxRetransmit,
        concurrency: config.concurrency,
        startedAt: startedAt.toISOString(),
      },
      reports,
      t,
    );
    try {
      await mkdir(dirname(config.jsonFile), { recursive: true });
      await writeFile(config.jsonFile, `${JSON.stringify(json, null, 2)}\n`);
    } catch (e) {
      process.stderr.write(`brski pledge: cannot write ${config.jsonFile}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  return t.failed === 0 ? 0 : 1;
}
