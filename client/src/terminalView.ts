// TerminalView: the room page's xterm.js terminal. Setup and addons, stream writes and resizes in stream
// order, scaling to fit down to a readable size and panning (cursor-following, pinch zoom) below it, font
// size, theme, search, screen-reader mode, the fitted size proposal, input, title and the test read-out.

import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import type { ResizePayload } from '../../server/shared/events.js';
import { guardEraseAbove } from '../../server/shared/xtermGuards.js';
import { NO_WINDOW_OPERATIONS } from '../../server/shared/xtermOptions.js';
import { Disposable, Emitter, listen, toDisposable } from './disposable.js';
import { TerminalLinks } from './links.js';
import { Readability } from './readability.js';
import type { ThemeName } from './theme.js';
import { swallowTerminalQueries } from './queryHooks.js';
import { clampSize, type TerminalSink } from '../../server/shared/roomClient.js';
import { sanitizeTitle } from './title.js';

export const TerminalLook = {
  /** Lines kept above the screen; the server's snapshot carries its own scrollback into this. */
  Scrollback: 10_000,
  /** CSS pixels; readable on laptops without making 80 × 24 larger than a small window. */
  FontSize: 14,
  /** CSS pixels: below this the view pans instead of shrinking (see Readability.MinFontPx). */
  MinReadableFontPx: Readability.MinFontPx,
  /** CSS pixels: the largest font a member may choose; more would show only a few columns on a laptop. */
  MaxFontSize: 28,
  /** Pinch zoom may enlarge the grid up to this many times its natural size, for reading a detail. */
  MaxZoom: 3,
  /** Cells kept between the followed cursor and the edge of the view, so the text around it shows. */
  CursorMarginCells: 4,
  /**
   * CSS pixels xterm.js 6 reserves right of the text for its scrollbar (ViewportConstants.DEFAULT_SCROLL_BAR_WIDTH,
   * the same amount FitAddon subtracts), so the terminal's own width is the screen plus this.
   */
  ScrollbarWidth: 14,
} as const;

/** CAN then RIS: returns the parser to ground from any state, then resets the terminal completely. */
const ABORT_AND_RESET = '\x18\x1bc';


const THEMES = {
  dark: {
    background: '#0d1117',
    foreground: '#d6dde6',
    cursor: '#d6dde6',
    selectionBackground: '#33507a',
  },
  light: {
    background: '#fbfbfa',
    foreground: '#1f2328',
    cursor: '#1f2328',
    selectionBackground: '#b6d3ff',
    // xterm's default ANSI colours are made for a dark background: on a light one white and yellow vanish and
    // the bright ones (which bold text uses) wash out, so every colour here is dark enough to read on it.
    black: '#24292f',
    brightBlack: '#57606a',
    red: '#cf222e',
    brightRed: '#a40e26',
    green: '#1a7f37',
    brightGreen: '#116329',
    yellow: '#9a6700',
    brightYellow: '#7d4e00',
    blue: '#0969da',
    brightBlue: '#0550ae',
    magenta: '#8250df',
    brightMagenta: '#6639ba',
    cyan: '#1b7c83',
    brightCyan: '#0e6169',
    white: '#6e7781',
    brightWhite: '#8c959f',
  },
} as const;

/** How the grid is laid out in its box: scaled to fit whole, or at a readable size and panned. */
export interface ViewLayout {
  scale: number;
  /** The grid is larger than its box at this scale, so the box scrolls (pans). */
  panning: boolean;
  /** The grid could be shown whole, but only below the readable size. */
  tooWide: boolean;
}

function distance(a: PointerEvent, b: PointerEvent): number {
  return Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY);
}

export class TerminalView extends Disposable implements TerminalSink {
  private readonly term: Terminal;
  private readonly searchAddon = new SearchAddon();
  /** The box the scaled grid takes, so the host can scroll over it when it pans. */
  private readonly sizer: HTMLElement;
  private fontSizeValue: number = TerminalLook.FontSize;
  private fitWholeValue = false;
  /** A pinch's scale; undefined until the member pinches (and after a font or fit change). */
  private zoom: number | undefined;
  private layoutValue: ViewLayout = { scale: 1, panning: false, tooWide: false };
  private readonly pointers = new Map<number, PointerEvent>();
  private pinch: { startDistance: number; startScale: number } | undefined;
  private readonly links = this.register(new TerminalLinks());
  private readonly inputEmitter = this.register(new Emitter<string>());
  /** Keystrokes, pastes and mouse reports, whatever the local user produced. */
  readonly onInput = this.inputEmitter.event;
  private readonly titleEmitter = this.register(new Emitter<string>());
  /** The program's window title, already sanitized. */
  readonly onTitle = this.titleEmitter.event;
  private readonly areaEmitter = this.register(new Emitter<void>());
  /** The space available to the terminal changed (window resize, banners appearing, font size). */
  readonly onAreaChange = this.areaEmitter.event;
  private readonly layoutEmitter = this.register(new Emitter<ViewLayout>());
  readonly onLayout = this.layoutEmitter.event;
  private layoutFrame: number | undefined;

  /** `host` is the box the terminal may fill; it should have a definite size and no padding. */
  constructor(private readonly host: HTMLElement) {
    super();
    this.term = this.register(
      new Terminal({
        allowProposedApi: true,
        scrollback: TerminalLook.Scrollback,
        fontSize: this.fontSizeValue,
        fontFamily: 'ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace',
        theme: THEMES.dark,
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
    this.term.loadAddon(this.searchAddon);
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

    this.sizer = document.createElement('div');
    this.sizer.className = 'terminal-sizer';
    host.append(this.sizer);
    this.register(toDisposable(() => this.sizer.remove()));
    this.term.open(this.sizer);
    this.watchPinch();

    this.register(this.term.onData((data) => this.inputEmitter.fire(data)));
    this.register(this.term.onBinary((data) => this.inputEmitter.fire(data)));
    this.register(this.term.onTitleChange((title) => this.titleEmitter.fire(sanitizeTitle(title))));
    this.register(this.term.onResize(() => this.scheduleLayout()));
    this.register(this.term.onCursorMove(() => this.followCursor()));
    this.register(this.term.onWriteParsed(() => this.followCursor()));

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
    const cell = this.cellSize();
    const width = this.host.clientWidth - TerminalLook.ScrollbarWidth;
    const height = this.host.clientHeight;
    if (cell === undefined || width <= 0 || height <= 0) return undefined;
    return clampSize({ cols: width / cell.width, rows: height / cell.height });
  }

  get layout(): ViewLayout {
    return this.layoutValue;
  }

  get fontSize(): number {
    return this.fontSizeValue;
  }

  /** The member's font size in CSS pixels, kept within the readable minimum and TerminalLook.MaxFontSize. */
  setFontSize(size: number): void {
    const clamped = Math.round(Math.min(TerminalLook.MaxFontSize, Math.max(TerminalLook.MinReadableFontPx, size)));
    if (clamped === this.fontSizeValue) return;
    this.fontSizeValue = clamped;
    this.zoom = undefined;
    this.term.options.fontSize = clamped;
    this.scheduleLayout();
    this.areaEmitter.fire();
  }

  get fitWhole(): boolean {
    return this.fitWholeValue;
  }

  /** Shows the whole grid however small that makes it, instead of panning at a readable size. */
  setFitWhole(fitWhole: boolean): void {
    this.fitWholeValue = fitWhole;
    this.zoom = undefined;
    this.scheduleLayout();
  }

  setTheme(theme: ThemeName): void {
    this.term.options.theme = THEMES[theme];
  }

  /** xterm's screen-reader mode: an accessible copy of the rows and announcements of new output. */
  setScreenReaderMode(enabled: boolean): void {
    this.term.options.screenReaderMode = enabled;
  }

  /** Finds `query` in the screen and scrollback, next or previous from the current match; false when absent. */
  search(query: string, backwards = false): boolean {
    if (query.length === 0) {
      this.searchAddon.clearDecorations();
      return false;
    }
    return backwards ? this.searchAddon.findPrevious(query) : this.searchAddon.findNext(query);
  }

  clearSearch(): void {
    this.searchAddon.clearDecorations();
    this.term.clearSelection();
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

  /** One cell in CSS pixels at scale 1, measured from the rendered screen; undefined before layout. */
  private cellSize(): { width: number; height: number } | undefined {
    const screen = this.term.element?.querySelector<HTMLElement>('.xterm-screen');
    if (screen === null || screen === undefined || screen.offsetWidth === 0 || screen.offsetHeight === 0) return undefined;
    return { width: screen.offsetWidth / this.term.cols, height: screen.offsetHeight / this.term.rows };
  }

  /**
   * Everyone renders at the PTY size, so wrapping matches the program's idea of the screen. When that is
   * larger than the host the terminal is scaled down instead of re-wrapped, but never below the readable
   * size (unless the member asks for the whole screen or pinches); past that the host scrolls over it.
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
    const fit = Math.min(1, this.host.clientWidth / width, this.host.clientHeight / height);
    const readable = Math.min(1, TerminalLook.MinReadableFontPx / this.fontSizeValue);
    let scale: number;
    if (this.zoom !== undefined) scale = Math.min(TerminalLook.MaxZoom, Math.max(fit, this.zoom));
    else if (this.fitWholeValue) scale = fit;
    else scale = Math.max(fit, readable);
    element.style.transform = scale === 1 ? '' : `scale(${scale})`;
    element.dataset.scale = scale.toFixed(3);
    this.sizer.style.width = `${width * scale}px`;
    this.sizer.style.height = `${height * scale}px`;
    const panning = width * scale > this.host.clientWidth + 1 || height * scale > this.host.clientHeight + 1;
    this.host.dataset.panning = String(panning);
    const layout: ViewLayout = { scale, panning, tooWide: fit < readable };
    const changed = layout.scale !== this.layoutValue.scale || layout.panning !== this.layoutValue.panning || layout.tooWide !== this.layoutValue.tooWide;
    this.layoutValue = layout;
    if (changed) this.layoutEmitter.fire(layout);
    this.followCursor();
  }

  /** While the view pans, keeps the cursor (where the action is) inside it. */
  private followCursor(): void {
    if (!this.layoutValue.panning || this.pinch !== undefined) return;
    const cell = this.cellSize();
    if (cell === undefined) return;
    const { scale } = this.layoutValue;
    const buffer = this.term.buffer.active;
    const margin = TerminalLook.CursorMarginCells;
    const x = buffer.cursorX * cell.width * scale;
    const y = buffer.cursorY * cell.height * scale;
    const marginX = margin * cell.width * scale;
    const marginY = Math.min(margin, 1) * cell.height * scale;
    const view = this.host;
    if (x - marginX < view.scrollLeft) view.scrollLeft = Math.max(0, x - marginX);
    else if (x + marginX > view.scrollLeft + view.clientWidth) view.scrollLeft = x + marginX - view.clientWidth;
    if (y - marginY < view.scrollTop) view.scrollTop = Math.max(0, y - marginY);
    else if (y + cell.height * scale + marginY > view.scrollTop + view.clientHeight) {
      view.scrollTop = y + cell.height * scale + marginY - view.clientHeight;
    }
  }

  /** Two fingers on the terminal zoom it; one finger pans (the host scrolls natively). */
  private watchPinch(): void {
    const host = this.host;
    const forget = (event: PointerEvent): void => {
      this.pointers.delete(event.pointerId);
      if (this.pointers.size < 2) this.pinch = undefined;
    };
    this.register(
      listen(host, 'pointerdown', (event) => {
        if (event.pointerType !== 'touch') return;
        this.pointers.set(event.pointerId, event);
        const [a, b] = [...this.pointers.values()];
        if (this.pointers.size === 2 && a !== undefined && b !== undefined) {
          this.pinch = { startDistance: Math.max(1, distance(a, b)), startScale: this.layoutValue.scale };
        }
      }),
    );
    this.register(
      listen(host, 'pointermove', (event) => {
        if (!this.pointers.has(event.pointerId)) return;
        this.pointers.set(event.pointerId, event);
        const [a, b] = [...this.pointers.values()];
        if (this.pinch === undefined || a === undefined || b === undefined) return;
        this.zoom = this.pinch.startScale * (distance(a, b) / this.pinch.startDistance);
        this.scheduleLayout();
      }),
    );
    this.register(listen(host, 'pointerup', forget));
    this.register(listen(host, 'pointercancel', forget));
  }
}
