// The browser player for a room's recording (asciicast v2): a small wrapper over asciinema-player, loaded only
// when a page mounts a player, plus the list of a cast's markers for showing beside it.

import type { Player } from 'asciinema-player';
import { Emitter, type IDisposable } from './disposable.js';
import { Readability } from './readability.js';

export interface CastMarker {
  /** Seconds from the start of the recording. */
  time: number;
  label: string;
}

export interface CastPlayerOptions {
  /** Seconds to start at (default 0). */
  startAt?: number;
  autoPlay?: boolean;
  /** Playback speed (1 = real time). */
  speed?: number;
  /** Markers to show on the timeline; default: the cast's own `m` events. */
  markers?: CastMarker[];
}

export interface CastPlayer {
  play(): void;
  pause(): void;
  seek(seconds: number): Promise<void>;
  currentTime(): number;
  duration(): number;
  /** Fires when playback reaches the end. */
  onEnded(handler: () => void): IDisposable;
  dispose(): void;
}

export const CastPlayerLook = {
  /**
   * The asciinema-player theme name; app.css defines `.asciinema-player-theme-ttyroom` from the page's own
   * colours, so a replay looks like the room it came from, in the dark and the light theme.
   */
  Theme: 'ttyroom',
  /** The player's stylesheet, copied there by scripts/build-client.mjs; added to the page with the player. */
  StylesheetHref: '/assets/asciinema-player.css',
  /** A monospace cell's width per pixel of font size (about 0.6 for the usual stacks): to predict the fitted font. */
  CellWidthPerFontPx: 0.6,
  /** asciinema-player frames the grid with a border this many font sizes wide on each side (its CSS: 0.75em). */
  BorderPerSideEm: 0.75,
  /** The room terminal's font stack (terminalView.ts), so a replay reads like the room did. */
  FontFamily: 'ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace',
} as const;

/** asciicast v2 event codes this module reads. */
const MARKER_CODE = 'm';

/** The cast's markers (`m` events), in order: for lists beside the player. Lines that do not parse are skipped. */
export function castMarkers(cast: string): CastMarker[] {
  const markers: CastMarker[] = [];
  // The first line is the header; every further line is one `[time, code, data]` event.
  for (const line of cast.split('\n').slice(1)) {
    // A cheap test first: most lines are output, and JSON.parse of every one would cost a long recording dearly.
    if (!line.includes(`"${MARKER_CODE}"`)) continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      // A torn last line (a recording still being written) or garbage: not a marker, nothing to show.
      continue;
    }
    if (!Array.isArray(event) || event.length < 3) continue;
    const [time, code, data] = event as unknown[];
    if (code !== MARKER_CODE || typeof time !== 'number' || !Number.isFinite(time) || typeof data !== 'string') continue;
    markers.push({ time, label: data });
  }
  return markers;
}

/** Mounts a player for asciicast v2 text `cast` into `element`; resolves once the recording is loaded. */
export async function createCastPlayer(element: HTMLElement, cast: string, options: CastPlayerOptions = {}): Promise<CastPlayer> {
  // A separate chunk (esbuild splitting): pages that never replay do not download the player or its terminal emulator.
  const [{ create }] = await Promise.all([import('asciinema-player'), loadStylesheet(CastPlayerLook.StylesheetHref)]);
  const markers = options.markers ?? castMarkers(cast);
  const player = create({ data: cast }, element, {
    autoPlay: options.autoPlay ?? false,
    startAt: options.startAt ?? 0,
    speed: options.speed ?? 1,
    markers: markers.map(({ time, label }) => [time, label] as [number, string]),
    // Loads the recording now, so duration() and seek() answer as soon as this resolves.
    preload: true,
    // Always shown: the timeline with its markers is half of what a replay is for.
    controls: true,
    ...sizing(element, cast),
    theme: CastPlayerLook.Theme,
    terminalFontFamily: CastPlayerLook.FontFamily,
  });
  try {
    await whenLoaded(player);
  } catch (error) {
    player.dispose();
    throw error;
  }
  return new AsciinemaCastPlayer(player);
}

/**
 * Fits the grid to the element's width, unless that would take the text below the readable minimum (a phone,
 * a wide grid): then the text keeps that size and the element is expected to scroll (overflow: auto), as the
 * room page pans instead of shrinking past it.
 */
function sizing(element: HTMLElement, cast: string): { fit: 'width' } | { fit: false; terminalFontSize: string } {
  const cols = castHeader(cast).width;
  const width = element.clientWidth;
  if (cols === undefined || width === 0) return { fit: 'width' };
  const fittedFontPx = width / (cols * CastPlayerLook.CellWidthPerFontPx + 2 * CastPlayerLook.BorderPerSideEm);
  return fittedFontPx >= Readability.MinFontPx ? { fit: 'width' } : { fit: false, terminalFontSize: `${Readability.MinFontPx}px` };
}

/** What a cast's header line (its first) says that the pages use; each field only when it is there and sound. */
export interface CastHeader {
  /** Columns and rows at the start. */
  width?: number;
  height?: number;
  /** The room's name. */
  title?: string;
  /** The recording's start, in ms since the epoch (the header has Unix seconds). */
  startMs?: number;
}

/** The cast's header, empty when its first line is no readable header (the player then refuses the cast). */
export function castHeader(cast: string): CastHeader {
  let raw: { width?: unknown; height?: unknown; title?: unknown; timestamp?: unknown };
  try {
    raw = JSON.parse(cast.slice(0, cast.indexOf('\n'))) as typeof raw;
  } catch {
    return {};
  }
  const header: CastHeader = {};
  if (typeof raw.width === 'number' && raw.width > 0) header.width = raw.width;
  if (typeof raw.height === 'number' && raw.height > 0) header.height = raw.height;
  if (typeof raw.title === 'string' && raw.title.length > 0) header.title = raw.title;
  if (typeof raw.timestamp === 'number' && Number.isFinite(raw.timestamp)) header.startMs = raw.timestamp * 1000;
  return header;
}

/**
 * Adds the player's stylesheet to the page once, so a page needs no <link> of its own and pays for it only
 * when it replays; resolves when it applies (the player measures its cells on mount).
 */
function loadStylesheet(href: string): Promise<void> {
  const existing = document.querySelector<HTMLLinkElement>(`link[rel="stylesheet"][href="${href}"]`);
  if (existing?.sheet) return Promise.resolve();
  const link = existing ?? document.head.appendChild(Object.assign(document.createElement('link'), { rel: 'stylesheet', href }));
  return new Promise((resolve) => {
    // A stylesheet that fails to load leaves the player unstyled but working; not a reason to refuse to play.
    link.addEventListener('load', () => resolve(), { once: true });
    link.addEventListener('error', () => resolve(), { once: true });
  });
}

/** Resolves when the player has loaded the recording, rejects when it could not (a cast it cannot parse). */
function whenLoaded(player: Player): Promise<void> {
  // `ready` and `error` are core events asciinema-player dispatches but does not declare in its types.
  const on = player.addEventListener as (name: string, handler: (event: unknown) => void) => void;
  return new Promise((resolve, reject) => {
    on('ready', () => resolve());
    on('error', (event) => reject(new Error(`the player could not load the recording: ${describe(event)}`)));
  });
}

function describe(event: unknown): string {
  const message = (event as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : 'unknown error';
}

class AsciinemaCastPlayer implements CastPlayer {
  private readonly endedEmitter = new Emitter<void>();
  private disposed = false;

  constructor(private readonly player: Player) {
    // asciinema-player offers no way to remove a listener; this one forwards to an emitter that dispose() clears.
    player.addEventListener('ended', () => {
      if (!this.disposed) this.endedEmitter.fire();
    });
  }

  play(): void {
    // The player reports a failed start through its own UI; a rejected promise here would only be unhandled.
    void this.player.play().catch(() => undefined);
  }

  pause(): void {
    void this.player.pause().catch(() => undefined);
  }

  async seek(seconds: number): Promise<void> {
    await this.player.seek(Math.max(0, seconds));
  }

  currentTime(): number {
    return this.player.getCurrentTime() ?? 0;
  }

  duration(): number {
    return this.player.getDuration() ?? 0;
  }

  onEnded(handler: () => void): IDisposable {
    return this.endedEmitter.event(handler);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.endedEmitter.dispose();
    this.player.dispose();
  }
}
