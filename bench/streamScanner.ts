// Finds texts in a viewer's incoming stream across chunk boundaries, with the arrival time of the chunk that completed each.

/**
 * Recent stream kept for `waitFor` calls made after the text arrived (a late joiner's snapshot arrives before the
 * scenario asks for its marker). Enough for a few screens; small enough for thousands of viewers.
 */
export const SCAN_HISTORY_CHARS = 64 * 1024;

interface Wait {
  text: string;
  resolve(at: number): void;
  reject(error: Error): void;
}

export class StreamScanner {
  private readonly history: Array<{ text: string; at: number }> = [];
  private historyChars = 0;
  private readonly waits = new Set<Wait>();
  /** Why this stream ended, once it has (the viewer is gone): every wait then fails with it. */
  private failure: string | undefined;

  /** Feeds one chunk that arrived at `at` (performance.now()). */
  push(text: string, at: number): void {
    if (this.waits.size > 0) {
      for (const wait of this.waits) {
        const window = this.tail(wait.text.length - 1) + text;
        if (window.includes(wait.text)) {
          this.waits.delete(wait);
          wait.resolve(at);
        }
      }
    }
    this.history.push({ text, at });
    this.historyChars += text.length;
    while (this.history.length > 1 && this.historyChars - this.history[0]!.text.length >= SCAN_HISTORY_CHARS) {
      this.historyChars -= this.history.shift()!.text.length;
    }
  }

  /** Resolves with the arrival time of `text` (at once if it is in the recent history); rejects after `timeoutMs`. */
  waitFor(text: string, timeoutMs: number, what = 'a viewer'): Promise<number> {
    if (text.length === 0) return Promise.reject(new Error(`${what}: waitFor needs a text`));
    const found = this.findInHistory(text);
    if (found !== undefined) return Promise.resolve(found);
    if (this.failure !== undefined) return Promise.reject(new Error(this.failure));
    return new Promise<number>((resolve, reject) => {
      const wait: Wait = {
        text,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waits.delete(wait);
        reject(new Error(`${what}: ${JSON.stringify(text)} did not arrive within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waits.add(wait);
    });
  }

  /** Rejects every pending (and later) wait for text not already received: the viewer is gone. */
  fail(reason: string): void {
    this.failure ??= reason;
    for (const wait of this.waits) wait.reject(new Error(reason));
    this.waits.clear();
  }

  private tail(chars: number): string {
    if (chars <= 0) return '';
    let out = '';
    for (let i = this.history.length - 1; i >= 0 && out.length < chars; i--) out = this.history[i]!.text + out;
    return out.slice(-chars);
  }

  private findInHistory(text: string): number | undefined {
    const joined = this.history.map((chunk) => chunk.text).join('');
    const index = joined.indexOf(text);
    if (index < 0) return undefined;
    const end = index + text.length;
    let position = 0;
    for (const chunk of this.history) {
      position += chunk.text.length;
      if (position >= end) return chunk.at;
    }
    return undefined;
  }
}
