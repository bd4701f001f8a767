/**
 * Child processes and peers for e2e and interop tests (STYLE.md §7).
 *
 * - `spawnReady` starts a child, waits for a ready line matching a regex (with a timeout), and if the
 *   child exits or times out first, fails with its exit status and the tail of its stdout and stderr,
 *   as aiocoap's plugtest harness does. `kill()` (or `killAll()` in an after hook) stops it.
 * - `requirePeer` skips a suite loudly when an interop binary is missing on a developer's machine,
 *   and fails under CI (`CI=true`), as californium's LibCoapProcessUtil does.
 * - `freeUdpPort` for peers that cannot bind port 0 and report it (libcoap's coap-server).
 * - `run` runs a command to completion with a timeout and returns its exit code and output.
 *
 * Every child started here is remembered until it exits; a process 'exit' hook SIGKILLs any that
 * are left, so an aborted run leaves no servers behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (test/helpers/../..). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
/** The `brski` entry point. */
export const BRSKI = join(REPO_ROOT, 'bin', 'brski');

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

/** Keeps the last `max` bytes written to it. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max = 64 * 1024) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.max && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return s.length > this.max ? `…${s.slice(-this.max)}` : s;
  }
}

function describeOutput(stdout: string, stderr: string): string {
  const indent = (s: string): string => (s.trim() ? s.trimEnd().replace(/^/gm, '    ') : '    (empty)');
  return `\n  stdout:\n${indent(stdout)}\n  stderr:\n${indent(stderr)}`;
}

export interface SpawnReadyOptions {
  /** A line matching this ends the wait; its match is returned. */
  readonly ready: RegExp;
  /** Which output to watch for the ready line (default stdout). */
  readonly readyOn?: 'stdout' | 'stderr' | 'both';
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ReadyProcess {
  readonly child: ChildProcess;
  /** The match of the ready line. */
  readonly match: RegExpMatchArray;
  /** Output so far (bounded tail). */
  stdout(): string;
  stderr(): string;
  /** The exit status once it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
  kill(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `cmd args` and resolves once a line of its output matches `opts.ready`. */
export function spawnReady(cmd: string, args: readonly string[], opts: SpawnReadyOptions): Promise<ReadyProcess> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const where = opts.readyOn ?? 'stdout';
  const spawnOpts: SpawnOptions = { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] };
  const child = spawn(cmd, args, spawnOpts);
  track(child);
  const out = new Tail();
  const err = new Tail();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.once('exit', (code, signal) => res({ code, signal }));
  });
  const label = `${cmd} ${args.join(' ')}`;

  return new Promise<ReadyProcess>((resolvePromise, reject) => {
    let settled = false;
    let pending = { stdout: '', stderr: '' };
    const finish = (e: Error | undefined, match?: RegExpMatchArray): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e) {
        reject(e);
        return;
      }
      resolvePromise(handle(match!));
    };
    const handle = (match: RegExpMatchArray): ReadyProcess => ({
      child,
      match,
      exited,
      stdout: () => out.text(),
      stderr: () => err.text(),
      kill: (graceMs = 3000) => stop(child, exited, graceMs),
    });
    const watch = (stream: 'stdout' | 'stderr', chunk: Buffer): void => {
      (stream === 'stdout' ? out : err).push(chunk);
      if (settled || (where !== 'both' && where !== stream)) return;
      pending[stream] += chunk.toString('utf8');
      const lines = pending[stream].split('\n');
      pending[stream] = lines.pop()!;
      for (const line of lines) {
        const m = opts.ready.exec(line);
        if (m) {
          finish(undefined, m);
          return;
        }
      }
    };
    child.stdout!.on('data', (c: Buffer) => watch('stdout', c));
    child.stderr!.on('data', (c: Buffer) => watch('stderr', c));
    child.once('error', (e) => finish(new Error(`cannot start ${label}: ${e.message}`)));
    // 'close' rather than 'exit': by then all of its output has been read.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      pending = { stdout: '', stderr: '' };
      finish(new Error(`${label} exited (code ${code}, signal ${signal}) before printing a line matching ${opts.ready}${describeOutput(out.text(), err.text())}`));
    });
    const timer = setTimeout(() => {
      void stop(child, exited, 500);
      finish(new Error(`${label} printed no line matching ${opts.ready} within ${timeoutMs} ms${describeOutput(out.text(), err.text())}`));
    }, timeoutMs);
  });
}

async function stop(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  graceMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const r = await exited;
    clearTimeout(t);
    return r;
  }
  return exited;
}

/** Kills every child started through this module that is still running (for after hooks). */
export async function killAll(graceMs = 3000): Promise<void> {
  await Promise.all(
    [...live].map(
      (c) =>
        new Promise<void>((res) => {
          if (c.exitCode !== null || c.signalCode !== null) return res();
          c.once('exit', () => res());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), graceMs).unref();
        }),
    ),
  );
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin (which is closed afterwards). */
  readonly input?: Uint8Array | string;
}

/** Runs a command to completion. Rejects (with its output) if it outlives `timeoutMs`. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  track(child);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => err.push(c));
  child.stdin!.on('error', () => {}); // the child may exit without reading its input
  child.stdin!.end(opts.input ?? '');
  const label = `${cmd} ${args.join(' ')}`;
  return new Promise<RunResult>((res, rej) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      rej(new Error(`cannot run ${label}: ${e.message}`));
    });
    // 'close' (not 'exit'): all output has been read.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) rej(new Error(`${label} did not finish within ${timeoutMs} ms${describeOutput(stdout.toString('utf8'), stderr)}`));
      else res({ code, signal, stdout, stderr });
    });
  });
}

/** The full path of `binary` on PATH (or the path itself if it is one), or undefined. */
export function findBinary(binary: string): string | undefined {
  const candidates = binary.includes('/') ? [isAbsolute(binary) ? binary : resolve(REPO_ROOT, binary)] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, binary));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Returns the path of an interop peer. When it is missing: under CI (`CI=true`) throws (the suite
 * fails: `.ci/run` installs the peers first); elsewhere prints a loud notice and skips the test
 * or suite (call it from a `before` hook or a test with mocha's `this`).
 */
export function requirePeer(ctx: Mocha.Context, binary: string, hint = 'install libcoap3-bin (Debian) or run .ci/run'): string {
  const found = findBinary(binary);
  if (found) return found;
  const msg = `interop peer '${binary}' is not installed (${hint})`;
  if (process.env.CI === 'true') throw new Error(`${msg}; under CI a missing peer is a failure`);
  process.stderr.write(`\n  !!! SKIPPING: ${msg}\n`);
  ctx.skip();
}

/** A UDP port that was free a moment ago on `host` (bind to 0, read it, close). */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((res, rej) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.once('error', (e) => {
      s.close();
      rej(e);
    });
    s.bind(0, host, () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}
