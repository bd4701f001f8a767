/**
 * The progress line of a pledge run on stderr: on a terminal one line redrawn in place, otherwise
 * a line every few seconds when something changed (and always at the end). Log lines go through
 * here too, so they do not tear the line on a terminal.
 */
import type { PKIBodyType } from '../src/codec/cmp/index.ts';
import type { PledgeEvents, PledgeReport } from './emulator.ts';

export interface ProgressOptions {
  readonly write: (s: string) => void;
  readonly tty: boolean;
  /** How often a terminal line is redrawn, or a plain line written (ms). */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export class Progress implements PledgeEvents {
  private readonly started: number;
  private running = 0;
  private readonly waiting = new Set<string>();
  private enrolled = 0;
  private failed = 0;
  private polls = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastLine = '';
  private drawn = false;

  constructor(
    private readonly total: number,
    private readonly o: ProgressOptions,
  ) {
    this.started = (o.now ?? Date.now)();
    this.timer = setInterval(() => this.tick(), o.intervalMs ?? (o.tty ? 250 : 5000));
    this.timer.unref();
  }

  onStart(): void {
    this.running++;
  }

  onRequest(serial: string, type: PKIBodyType): void {
    if (type === 'pollReq') {
      this.polls++;
      this.waiting.add(serial);
    }
  }

  onDone(r: PledgeReport): void {
    this.running--;
    this.waiting.delete(r.serialNumber);
    if (r.result === 'failed') this.failed++;
    else this.enrolled++;
  }

  line(): string {
    const s = (((this.o.now ?? Date.now)() - this.started) / 1000).toFixed(1);
    const queued = this.total - this.running - this.enrolled - this.failed;
    return `[${s} s] ${this.total} pledges: ${this.enrolled} enrolled, ${this.failed} failed, ${this.running} running (${this.waiting.size} polling), ${queued} queued, ${this.polls} polls`;
  }

  /** A log line (ends with a newline). */
  log(text: string): void {
    if (this.o.tty && this.drawn) {
      this.o.write(`\r\x1b[2K${text}`);
      this.o.write(this.lastLine);
    } else {
      this.o.write(text);
    }
  }

  private tick(): void {
    const line = this.line();
    if (this.o.tty) {
      this.o.write(`\r\x1b[2K${line}`);
      this.lastLine = line;
      this.drawn = true;
      return;
    }
    // Plain output: only when something other than the clock changed.
    const key = line.replace(/^\[[^\]]*\] /, '');
    if (key !== this.lastLine) {
      this.lastLine = key;
      this.o.write(`${line}\n`);
    }
  }

  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const line = this.line();
    this.o.write(this.o.tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }
}
