/** Structured logging interface: the library logs facts as fields, the roles decide where they go. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

class SilentLogger implements Logger {
  debug(): void {}
  info(): void {}
  warn(): void {}
  error(): void {}
  child(): Logger {
    return this;
  }
}

export const silentLogger: Logger = new SilentLogger();

/**
 * A logger writing one JSON object per line through `write` (the role passes process.stderr.write).
 * Uint8Array values are written as hex, errors as {code, message}.
 */
export class JsonLogger implements Logger {
  constructor(
    private readonly write: (line: string) => void,
    private readonly level: LogLevel = 'info',
    private readonly base: LogFields = {},
    private readonly now: () => number = Date.now,
  ) {}

  private emit(level: LogLevel, msg: string, fields?: LogFields): void {
    if (LEVELS[level] < LEVELS[this.level]) return;
    const rec = { t: new Date(this.now()).toISOString(), level, msg, ...this.base, ...fields };
    this.write(`${JSON.stringify(rec, replacer)}\n`);
  }
  debug(msg: string, fields?: LogFields): void {
    this.emit('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.emit('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.emit('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.emit('error', msg, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger(this.write, this.level, { ...this.base, ...fields }, this.now);
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return code === undefined ? { message: value.message } : { code, message: value.message };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
