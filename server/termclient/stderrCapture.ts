// StderrCapture: while share's own terminal shows the room, the server's log lines (which go to stderr, the same
// terminal) would scribble over the painted screen; they are held, shown on the status line, and printed after.

import { Disposable, toDisposable } from '../shared/disposable.js';

export const StderrCaptureLimits = {
  /** Characters of log held for printing after the terminal is given back; older ones are dropped, and counted. */
  MaxHeldChars: 64 * 1024,
} as const;

type Write = typeof process.stderr.write;

export class StderrCapture extends Disposable {
  private held = '';
  private dropped = 0;
  private released = false;

  /** Starts holding stderr; `onLine` gets each complete line (without its end) as it comes. */
  constructor(onLine: (line: string) => void) {
    super();
    const original: Write = process.stderr.write;
    let partial = '';
    const capture = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      this.hold(text);
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.length > 0) onLine(line);
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as Write;
    process.stderr.write = capture;
    // After the terminal's own exit handler (registered before this), so the lines land on the restored screen.
    const onExit = (): void => this.release(original);
    process.on('exit', onExit);
    this.register(toDisposable(() => {
      process.off('exit', onExit);
      this.release(original);
    }));
  }

  private hold(text: string): void {
    this.held += text;
    if (this.held.length > StderrCaptureLimits.MaxHeldChars) {
      const cut = this.held.length - StderrCaptureLimits.MaxHeldChars;
      this.dropped += cut;
      this.held = this.held.slice(cut);
    }
  }

  private release(original: Write): void {
    if (this.released) return;
    this.released = true;
    process.stderr.write = original;
    if (this.dropped > 0) process.stderr.write(`ttyroom: (${this.dropped} earlier characters of log were dropped)\n`);
    if (this.held.length > 0) process.stderr.write(this.held);
    this.held = '';
  }
}
