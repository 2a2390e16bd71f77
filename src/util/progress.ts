/**
 * A progress bar for long loops, without dependencies.
 *
 * On a terminal it redraws one line on stderr (bar, count, rate, ETA and custom fields such as
 * loss and accuracy), and {@link Progress.log} prints lines above it. Off a terminal (CI, pipes,
 * files) it prints a plain line now and then, with no control characters.
 *
 * ```ts
 * const bar = new Progress({ total: loader.length, label: 'epoch 1' });
 * for (...) { ...; bar.tick({ loss: 0.42 }); }
 * bar.done();
 * ```
 * @module
 */

/** Where the bar writes: a stream-like object (stderr by default). */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Steps in the loop; omit when unknown (no bar or ETA then). */
  total?: number;
  /** Text before the bar, e.g. 'epoch 3/10'. */
  label?: string;
  /** Unit for the rate (default 'it'). */
  unit?: string;
  /** Output stream (default process.stderr). */
  stream?: ProgressStream;
  /** Force terminal mode on or off (default: `stream.isTTY`, and off when `CI` or `LOOM_NO_PROGRESS` is set). */
  tty?: boolean;
  /** Minimum milliseconds between redraws on a terminal (default 100). */
  redrawMs?: number;
  /** Milliseconds between plain lines off a terminal (default 10 000); 0 prints only at the end. */
  plainEveryMs?: number;
  /** Print nothing at all (e.g. under `--json` or `--quiet`); log() still prints. */
  silent?: boolean;
  /** Clock in milliseconds (for tests). */
  now?: () => number;
}

/** A custom field's value: numbers are shown with 4 significant digits. */
export type Fields = Record<string, number | string>;

/** Formats seconds as `1:05`, `1:02:03`, or `?` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

function formatValue(v: number | string): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toPrecision(4);
}

function formatRate(perSec: number, unit: string): string {
  if (!Number.isFinite(perSec) || perSec <= 0) return `?${unit}/s`;
  if (perSec >= 1) return `${perSec >= 100 ? perSec.toFixed(0) : perSec.toFixed(1)} ${unit}/s`;
  return `${(1 / perSec).toFixed(1)} s/${unit}`;
}

function envFlag(name: string): boolean {
  const v = process.env[name];
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** A progress bar; see the module comment. */
export class Progress {
  readonly total: number | undefined;
  label: string;
  /** Steps done so far. */
  count = 0;
  private readonly unit: string;
  private readonly stream: ProgressStream;
  readonly tty: boolean;
  private readonly silent: boolean;
  private readonly redrawMs: number;
  private readonly plainEveryMs: number;
  private readonly now: () => number;
  private readonly start: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastPlain: number;
  private drawn = false;
  private finished = false;
  private fields: Fields = {};

  constructor(opts: ProgressOptions = {}) {
    this.total = opts.total;
    this.label = opts.label ?? '';
    this.unit = opts.unit ?? 'it';
    this.stream = opts.stream ?? process.stderr;
    this.silent = !!opts.silent;
    this.tty = opts.tty ?? (!!this.stream.isTTY && !envFlag('CI') && !envFlag('LOOM_NO_PROGRESS'));
    this.redrawMs = opts.redrawMs ?? 100;
    this.plainEveryMs = opts.plainEveryMs ?? 10_000;
    this.now = opts.now ?? (() => performance.now());
    this.start = this.now();
    this.lastPlain = this.start;
  }

  /** Seconds since the bar was created. */
  get elapsed(): number {
    return (this.now() - this.start) / 1000;
  }

  /** Advances by `n` steps (default 1) and updates the custom fields. */
  tick(fields?: Fields, n = 1): void {
    this.count += n;
    if (fields) this.fields = { ...this.fields, ...fields };
    this.maybeRender();
  }

  /** Sets the custom fields without advancing. */
  set(fields: Fields): void {
    this.fields = { ...this.fields, ...fields };
    this.maybeRender();
  }

  /** Prints a line above the bar (to the bar's stream), then redraws the bar. */
  log(line: string): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(line.endsWith('\n') ? line : `${line}\n`);
    if (this.tty && this.drawn && !this.finished) this.render();
  }

  /**
   * Ends the bar. On a terminal the bar is erased, or replaced by `summary` when given; off a
   * terminal the final status line (or `summary`) is printed.
   */
  done(summary?: string): void {
    if (this.finished) return;
    this.finished = true;
    if (this.silent) return;
    if (this.tty) {
      if (this.drawn) this.stream.write('\r\x1b[2K');
      if (summary) this.stream.write(`${summary}\n`);
    } else {
      this.stream.write(`${summary ?? this.line()}\n`);
    }
  }

  /** The status text: label, bar (terminal only), count, rate, ETA and fields. */
  line(width = 0): string {
    const secs = this.elapsed;
    const rate = secs > 0 ? this.count / secs : 0;
    const parts: string[] = [];
    if (this.label) parts.push(this.label);
    const count = this.total !== undefined ? `${this.count}/${this.total}` : `${this.count}`;
    const eta = this.total !== undefined && rate > 0 ? formatDuration((this.total - this.count) / rate) : '?';
    const timing = this.total !== undefined ? `${formatDuration(secs)}<${eta}` : formatDuration(secs);
    const tail = [count, formatRate(rate, this.unit), timing, ...Object.entries(this.fields).map(([k, v]) => `${k}=${formatValue(v)}`)].join(' ');
    if (width > 0 && this.total !== undefined && this.total > 0) {
      const head = parts.join(' ');
      const room = width - head.length - tail.length - 10;
      if (room >= 10) {
        const barWidth = Math.min(40, room);
        const frac = Math.min(1, this.count / this.total);
        const full = Math.floor(frac * barWidth);
        const bar = `${'#'.repeat(full)}${'-'.repeat(barWidth - full)}`;
        const pct = `${Math.floor(frac * 100)}%`.padStart(4);
        parts.push(`${pct} [${bar}]`);
      }
    }
    parts.push(tail);
    const text = parts.join(' ');
    return width > 0 && text.length > width - 1 ? text.slice(0, width - 1) : text;
  }

  private maybeRender(): void {
    if (this.silent || this.finished) return;
    const t = this.now();
    const last = this.total !== undefined && this.count >= this.total;
    if (this.tty) {
      if (t - this.lastDraw >= this.redrawMs || last) this.render();
    } else if (this.plainEveryMs > 0 && t - this.lastPlain >= this.plainEveryMs && !last) {
      this.lastPlain = t;
      this.stream.write(`${this.line()}\n`);
    }
  }

  private render(): void {
    if (this.silent) return;
    this.lastDraw = this.now();
    const width = this.stream.columns || 80;
    this.stream.write(`\r\x1b[2K${this.line(width)}`);
    this.drawn = true;
  }
}
