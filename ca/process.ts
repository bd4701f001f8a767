/**
 * `brski ca process FILE --out ANSWERS --pki DIR --db FILE [policy flags of 'ca serve']`: the
 * RA/CA side of the offline transfer. FILE is a DER PKIMessages batch (from `brski registrar
 * export`: nested messages signed by the registrar); every message goes through the same
 * CmpResponder and policy as `brski ca serve` (the wiring of ca/service.ts, so inventory, manual
 * approval and the database behave identically), and the answers are written, in order, as one
 * DER PKIMessages file for `brski registrar import`.
 *
 * The profile label of a message is its id-it-certProfile (the registrar puts its label there);
 * without one, the `default` label applies. A batch is processed hours or days after its
 * requests were made: messageTime is accepted up to --max-age seconds old (default 30 days).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { StackError } from '../src/core/errors.ts';
import { JsonLogger, silentLogger, type LogLevel, type Logger } from '../src/core/logger.ts';
import {
  CertProfileValue,
  ID_IT_CERT_PROFILE,
  bodyTypeOf,
  decodeAsn1,
  decodePkiMessage,
  decodePkiMessages,
  encodePkiMessage,
  encodePkiMessages,
  type PKIMessage,
} from '../src/codec/cmp/index.ts';
import type { TestPki } from '../src/pki/index.ts';
import { parseServeConfig, type CaServeConfig } from './config.ts';

export const PROCESS_HELP = `usage: brski ca process FILE --out ANSWERS --pki DIR --db FILE [options of 'brski ca serve']

Answers an offline batch: FILE is a DER PKIMessages file (e.g. from 'brski registrar export');
every message is handled as 'brski ca serve' would, and the answers are written to ANSWERS as
one DER PKIMessages file (for 'brski registrar import').

  --out FILE            where the answers go (written atomically)
  --max-age S           oldest messageTime accepted, in seconds (default 2592000 = 30 days)
  --pki DIR, --db FILE, --inventory FILE | --allow-any, --manual-approval, --check-after S,
  --validity-days N, --subject PATTERN, --san-dns PATTERN, --no-implicit-confirm, --config FILE,
  --log-level L         as for 'brski ca serve'
Prints one line per message and a summary; exit 0 when every message was answered.`;

const DEFAULT_MAX_AGE_SECONDS = 30 * 24 * 3600;
/** Options of `ca serve` that take no value (all others take one). */
const BOOLEAN_FLAGS = new Set(['--allow-any', '--manual-approval', '--no-implicit-confirm', '--help', '-h']);

export interface ProcessArgs {
  readonly file: string;
  readonly outPath: string;
  readonly maxAgeSeconds: number;
  readonly config: CaServeConfig;
}

export type ProcessParsed = { readonly help: true; readonly text: string } | { readonly help: false; readonly value: ProcessArgs };

/** Splits FILE, --out and --max-age from the flags `ca serve` understands, which parse as there. */
export function parseProcessArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ProcessParsed {
  const rest: string[] = [];
  const positionals: string[] = [];
  let outPath: string | undefined;
  let maxAge: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return { help: true, text: PROCESS_HELP };
    if (a === '--out' || a === '--max-age') {
      const v = argv[++i];
      if (v === undefined) throw new StackError('ERR_CONFIG', `${a} needs a value`);
      if (a === '--out') outPath = v;
      else maxAge = v;
    } else if (a.startsWith('--out=')) outPath = a.slice(6);
    else if (a.startsWith('--max-age=')) maxAge = a.slice(10);
    else if (a.startsWith('-')) {
      rest.push(a);
      if (!a.includes('=') && !BOOLEAN_FLAGS.has(a) && i + 1 < argv.length) rest.push(argv[++i]!);
    } else positionals.push(a);
  }
  if (positionals.length !== 1) throw new StackError('ERR_CONFIG', `expected exactly one batch FILE, got ${positionals.length}`);
  if (!outPath) throw new StackError('ERR_CONFIG', '--out FILE is required');
  let maxAgeSeconds = DEFAULT_MAX_AGE_SECONDS;
  if (maxAge !== undefined) {
    if (!/^\d+$/.test(maxAge) || Number(maxAge) > 10 * 365 * 86_400) throw new StackError('ERR_CONFIG', `--max-age must be a number of seconds, got ${JSON.stringify(maxAge)}`);
    maxAgeSeconds = Number(maxAge);
  }
  const parsed = parseServeConfig(rest, env, cwd);
  if (parsed.help) return { help: true, text: PROCESS_HELP };
  return {
    help: false,
    value: Object.freeze({ file: resolve(cwd, positionals[0]!), outPath: resolve(cwd, outPath), maxAgeSeconds, config: parsed.value }),
  };
}

export interface ProcessedMessage {
  readonly index: number;
  readonly request: string;
  readonly response: string;
  readonly label?: string;
  readonly transactionId?: Uint8Array;
}

export interface BatchResult {
  /** DER PKIMessages: one answer per input message, in order. */
  readonly answers: Uint8Array;
  readonly messages: readonly ProcessedMessage[];
}

export interface ProcessBatchDeps {
  readonly logger?: Logger;
  /** An already loaded PKI (tests). */
  readonly pki?: TestPki;
}

/**
 * Runs the CA's responder over every message of a DER PKIMessages batch. The responder and its
 * policy are those of `brski ca serve` (startCaService on a loopback port that serves nothing
 * else while the batch runs), so the database records the transactions exactly as online.
 */
export async function processBatch(config: CaServeConfig, batchDer: Uint8Array, deps: ProcessBatchDeps & { maxAgeSeconds?: number } = {}): Promise<BatchResult> {
  const batch = decodePkiMessages(batchDer);
  const { startCaService } = await import('./service.ts');
  const maxSkew = Math.max(config.maxClockSkewSeconds, deps.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS);
  const service = await startCaService(
    { ...config, host: '127.0.0.1', port: 0, maxClockSkewSeconds: maxSkew },
    { logger: deps.logger ?? silentLogger, ...(deps.pki ? { pki: deps.pki } : {}) },
  );
  try {
    const answers: PKIMessage[] = [];
    const messages: ProcessedMessage[] = [];
    for (const [index, m] of batch.entries()) {
      const label = certProfileOf(m);
      const answer = await service.responder.handle(encodePkiMessage(m), label !== undefined ? { label } : {});
      const decoded = decodePkiMessage(answer);
      answers.push(decoded);
      messages.push({
        index,
        request: describe(m),
        response: describe(decoded),
        ...(label !== undefined ? { label } : {}),
        ...(m.header.transactionID ? { transactionId: m.header.transactionID } : {}),
      });
    }
    return { answers: encodePkiMessages(answers), messages };
  } finally {
    await service.close();
  }
}

/** `brski ca process` (dispatched from ca/cli.ts). */
export async function runProcess(argv: string[]): Promise<number> {
  const parsed = parseProcessArgs(argv);
  if (parsed.help) {
    process.stdout.write(`${parsed.text}\n`);
    return 0;
  }
  const a = parsed.value;
  let input: Uint8Array;
  try {
    input = new Uint8Array(readFileSync(a.file));
  } catch (e) {
    process.stderr.write(`brski ca process: cannot read ${a.file}: ${(e as Error).message}\n`);
    return 1;
  }
  const logger = new JsonLogger((l) => process.stderr.write(l), a.config.logLevel as LogLevel, { service: 'brski-ca-process' });
  const result = await processBatch(a.config, input, { logger, maxAgeSeconds: a.maxAgeSeconds });
  const tmp = `${a.outPath}.${process.pid}.tmp`;
  writeFileSync(tmp, result.answers);
  renameSync(tmp, a.outPath);
  for (const m of result.messages) {
    process.stdout.write(`${m.index}: ${m.request} -> ${m.response}${m.label ? ` (label ${m.label})` : ''}\n`);
  }
  process.stdout.write(`processed ${result.messages.length} message(s); answers in ${a.outPath}\n`);
  return 0;
}

/** The label a message names in generalInfo id-it-certProfile (the outer header of a nested message). */
function certProfileOf(m: PKIMessage): string | undefined {
  const item = (m.header.generalInfo ?? []).find((i) => i.infoType === ID_IT_CERT_PROFILE);
  if (!item?.infoValue) return undefined;
  try {
    const label = decodeAsn1(new Uint8Array(item.infoValue), CertProfileValue, { what: 'certProfile' })[0];
    return label !== undefined && /^[A-Za-z0-9._~-]{1,64}$/.test(label) ? label : undefined;
  } catch {
    return undefined;
  }
}

/** "nested[ir]" / "ip" / "error[notAuthorized]" for the report. */
function describe(m: PKIMessage): string {
  const t = bodyTypeOf(m);
  if (t === 'nested') return `nested[${m.body.nested!.map(describe).join(',')}]`;
  if (t === 'error') {
    const info = m.body.error!.pKIStatusInfo;
    return info.failInfo ? `error[${info.failInfo.names().join(',')}]` : 'error';
  }
  return t;
}
