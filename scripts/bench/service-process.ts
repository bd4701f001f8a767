/**
 * Benchmarks' role processes: start a command and wait for its ready line on stdout (the line
 * every `brski … serve` prints once it listens); a bounded tail of stderr is kept for errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly match: RegExpMatchArray;
  stderr(): string;
}

/** Starts `cmd` (argv) in `cwd` and resolves with the first stdout line matching `ready`; `track` sees the child at once. */
export function startService(
  name: string,
  cmd: readonly string[],
  ready: RegExp,
  o: { readonly cwd: string; readonly timeoutMs?: number; readonly track?: (child: ChildProcess) => void },
): Promise<Service> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const child = spawn(cmd[0]!, cmd.slice(1), { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  o.track?.(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-8000)));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${name}: no ready line in ${timeoutMs} ms\n${out}\n${err}`)), timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      for (const line of out.split('\n')) {
        const m = ready.exec(line);
        if (m) {
          clearTimeout(timer);
          res({ name, child, match: m, stderr: () => err });
          return;
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`${name} exited with ${code} before it was ready\n${out}\n${err}`));
    });
  });
}
