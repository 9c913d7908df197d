// TerminalView: the room page's xterm.js terminal. Setup and addons, stream writes and resizes in stream
// order, scaling the terminal down to fit, the owner's size proposal, input, title and the test read-out.

import { FitAddon } from '@xterm/addon-fit';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import type { ResizePayload } from '../../server/shared/events.js';
import { guardEraseAbove } from '../../server/shared/xtermGuards.js';
import { NO_WINDOW_OPERATIONS } from '../../server/shared/xtermOptions.js';
import { Disposable, Emitter, listen, toDisposable } from './disposable.js';
import { TerminalLinks } from './links.js';
import { swallowTerminalQueries } from './queryHooks.js';
import { clampSize, type TerminalSink } from './roomClient.js';
import { sanitizeTitle } from './title.js';

export const TerminalLook = {
  /** Lines kept above the screen; the server's snapshot carries its own scrollback into this. */
  Scrollback: 10_000,
  /** CSS pixels; readable on laptops without making 80 × 24 larger than a small window. */
  FontSize: 14,
  /**
   * CSS pixels xterm.js 6 reserves right of the text for its scrollbar (ViewportConstants.DEFAULT_SCROLL_BAR_WIDTH,
   * the same amount FitAddon subtracts), so the terminal's own width is the screen plus this.
   */
  ScrollbarWidth: 14,
} as const;

/** CAN then RIS: returns the parser to ground from any state, then resets the terminal completely. */
const ABORT_AND_RESET = '\x18\x1bc';

const THEME = {
  background: '#0d1117',
  foreground: '#d6dde6',
  cursor: '#d6dde6',
  selectionBackground: '#33507a',
} as const;

export class TerminalView extends Disposable implements TerminalSink {
  private readonly term: Terminal;
  private readonly fitAddon = new FitAddon();
  private readonly links = this.register(new TerminalLinks());
  private readonly inputEmitter = this.register(new Emitter<string>());
  /** Keystrokes, pastes and mouse reports, whatever the local user produced. */
  readonly onInput = this.inputEmitter.event;
  private readonly titleEmitter = this.register(new Emitter<string>());
  /** The program's window title, already sanitized. */
  readonly onTitle = this.titleEmitter.event;
  private readonly areaEmitter = this.register(new Emitter<void>());
  /** The space available to the terminal changed (window resize, banners appearing). */
  readonly onAreaChange = this.areaEmitter.event;
  private layoutFrame: number | undefined;

  /** `host` is the box the terminal may fill; it should have a definite size and no padding. */
  constructor(private readonly host: HTMLElement) {
    super();
    this.term = this.register(
      new Terminal({
        allowProposedApi: true,
        scrollback: TerminalLook.Scrollback,
        fontSize: TerminalLook.FontSize,
        fontFamily: 'ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace',
        theme: THEME,
        cursorBlink: false,
        disableStdin: true,
        // No window reports or manipulation (the mirror answers nothing either): see NO_WINDOW_OPERATIONS.
        windowOptions: { ...NO_WINDOW_OPERATIONS },
        // Malformed sequences in the program's output would each log a dump to every member's console.
        logLevel: 'off',
        // OSC 8 hyperlinks: http(s) only, target shown on hover, opened only by a click.
        linkHandler: this.links.handler,
      }),
    );
    this.term.loadAddon(this.fitAddon);
    this.term.loadAddon(
      new WebLinksAddon((event, uri) => this.links.activate(event, uri), {
        hover: (event, text) => this.links.showHint(event, text),
        leave: () => this.links.hideHint(),
      }),
    );
    this.term.loadAddon(new Unicode11Addon());
    // The server's mirror measures wide characters with Unicode 11 too; the same table keeps wrapping identical.
    this.term.unicode.activeVersion = '11';
    for (const hook of swallowTerminalQueries(this.term)) this.register(hook);
    // The server's mirror has the same guards, so a program that trips an xterm bug shows the same screen.
    for (const guard of guardEraseAbove(this.term)) this.register(guard);

    this.term.open(host);

    this.register(this.term.onData((data) => this.inputEmitter.fire(data)));
    this.register(this.term.onBinary((data) => this.inputEmitter.fire(data)));
    this.register(this.term.onTitleChange((title) => this.titleEmitter.fire(sanitizeTitle(title))));
    this.register(this.term.onResize(() => this.scheduleLayout()));

    const observer = new ResizeObserver(() => {
      this.scheduleLayout();
      this.areaEmitter.fire();
    });
    observer.observe(host);
    this.register(toDisposable(() => observer.disconnect()));
    this.register(listen(window, 'resize', () => this.scheduleLayout()));
    // Cell size is measured with the font in use; a late-loading font changes it.
    void document.fonts.ready.then(() => this.scheduleLayout());
    this.register(
      toDisposable(() => {
        if (this.layoutFrame !== undefined) cancelAnimationFrame(this.layoutFrame);
      }),
    );
    this.scheduleLayout();
  }

  // TerminalSink: every operation goes through xterm's write queue so it lands at its point in the stream.

  replace(cols: number, rows: number, data: Uint8Array, parsed: () => void): void {
    // Queued, not immediate: older output may still wait in xterm's write queue and must not land on the new
    // screen. The replaced stream can also stop inside an escape sequence, and term.reset() leaves the
    // parser's state alone, so CAN (abort any sequence) and RIS (full reset, parser included) go first.
    this.term.write(ABORT_AND_RESET, () => {
      this.term.reset();
      this.term.resize(cols, rows);
    });
    this.term.write(data, parsed);
  }

  write(data: string, parsed: () => void): void {
    this.term.write(data, parsed);
  }

  resize(cols: number, rows: number): void {
    this.term.write('', () => this.term.resize(cols, rows));
  }

  setInputEnabled(enabled: boolean): void {
    this.term.options.disableStdin = !enabled;
    this.term.options.cursorBlink = enabled;
  }

  focus(): void {
    this.term.focus();
  }

  /** The size that would fill the host at scale 1, clamped to the protocol limits; undefined before layout. */
  proposeSize(): ResizePayload | undefined {
    const proposed = this.fitAddon.proposeDimensions();
    if (proposed === undefined || !Number.isFinite(proposed.cols) || !Number.isFinite(proposed.rows)) {
      return undefined;
    }
    return clampSize(proposed);
  }

  /** The active buffer's screen rows (not the local scroll position), right-trimmed, joined by "\n". */
  screenText(): string {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < this.term.rows; y++) {
      lines.push(buffer.getLine(buffer.baseY + y)?.translateToString(true) ?? '');
    }
    return lines.join('\n');
  }

  private scheduleLayout(): void {
    if (this.layoutFrame !== undefined || this.isDisposed) return;
    this.layoutFrame = requestAnimationFrame(() => {
      this.layoutFrame = undefined;
      this.applyScale();
    });
  }

  /**
   * Everyone renders at the PTY size, so wrapping matches the program's idea of the screen. When that is
   * larger than the host the whole terminal is scaled down instead of re-wrapped.
   */
  private applyScale(): void {
    const element = this.term.element;
    const screen = element?.querySelector<HTMLElement>('.xterm-screen');
    if (element === undefined || screen === null || screen === undefined) return;
    const width = screen.offsetWidth + TerminalLook.ScrollbarWidth;
    const height = screen.offsetHeight;
    // A host without a size (hidden, not laid out yet) has nothing to fit into; the next layout will.
    if (width === 0 || height === 0 || this.host.clientWidth === 0 || this.host.clientHeight === 0) return;
    // A definite size keeps the scrollbar next to the text and gives the scale something to measure.
    element.style.width = `${width}px`;
    element.style.height = `${height}px`;
    const scale = Math.min(1, this.host.clientWidth / width, this.host.clientHeight / height);
    element.style.transform = scale < 1 ? `scale(${scale})` : '';
    element.dataset.scale = scale.toFixed(3);
  }
}
