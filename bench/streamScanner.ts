// Finds texts in a viewer's incoming stream across chunk boundaries, with the arrival time of the chunk that completed each.

/**
 * Recent stream kept for `waitFor` calls made after the text arrived (a late joiner's snapshot arrives before the
 * scenario asks for its marker). Enough for a few screens; small enough for thousands of viewers.
 */
export const SCAN_HISTORY_CHARS = 64 * 1024;

interface Wait {
  text: string;
  resolve(at: number): void;
}

export class StreamScanner {
  private readonly history: Array<{ text: string; at: number }> = [];
  private historyChars = 0;
  private readonly waits = new Set<Wait>();

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
    const found = this.findInHistory(text);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<number>((resolve, reject) => {
      const wait: Wait = {
        text,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      const timer = setTimeout(() => {
        this.waits.delete(wait);
        reject(new Error(`${what}: ${JSON.stringify(text)} did not arrive within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waits.add(wait);
    });
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
