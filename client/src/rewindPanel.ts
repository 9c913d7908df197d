// RewindPanel: the room page's rewind overlay — fetches the room's history with a one-time ticket, plays it in the
// shared cast player over the terminal, lists its bookmarks and other markers to jump to, and goes back to live.
// The live terminal underneath keeps receiving the stream all along; this panel never touches it.

import type { RewindTicketReply } from '../../server/shared/events.js';
import { listedMarker, type MarkerKind } from './replayMarkers.js';
import { castHeader, castMarkers, createCastPlayer, type CastMarker, type CastPlayer } from './castPlayer.js';
import { listen } from './disposable.js';
import { Readability } from './readability.js';

/** How the player is sized in the overlay (it scales its font to the width it is given). */
const RewindLook = {
  /** A monospace cell's width and a line's height, in em, as the player draws them: they give its aspect ratio. */
  CellWidthEm: 0.6,
  LineHeightEm: 1.3333,
  /** The player's control bar (play, time, timeline with the marks) under its terminal, in CSS px. */
  ControlBarPx: 40,
} as const;

export interface RewindElements {
  overlay: HTMLElement;
  /** The box the player sits in: it scrolls when the player is kept at a readable size. */
  stage: HTMLElement;
  status: HTMLElement;
  playerHost: HTMLElement;
  list: HTMLOListElement;
  back: HTMLButtonElement;
}

export interface RewindSource {
  roomId: string;
  ticket(): Promise<RewindTicketReply>;
}

/** One entry of the list: a marker of the history, read for people. */
export interface RewindMark {
  /** Seconds from the start of the history. */
  time: number;
  kind: 'bookmark' | 'event';
  /** What the list and the timeline show: the label without the member id in brackets. */
  text: string;
}

/**
 * Markers that say nothing a person scrubbing back looks for: who typed next (with input recording) and who
 * pressed Enter (one per command, for the transcript) would bury the bookmarks.
 */
const UNLISTED_KINDS: ReadonlySet<MarkerKind> = new Set(['typing', 'enter']);
const BOOKMARK_PREFIX = 'bookmark: ';

/** The history's markers as the list and the timeline show them (read as the replay page reads them), oldest first. */
export function rewindMarks(markers: readonly CastMarker[]): RewindMark[] {
  return markers
    .map(listedMarker)
    .filter((marker) => !UNLISTED_KINDS.has(marker.kind))
    .map(({ time, kind, text }) => (kind === 'bookmark'
      ? { time, kind: 'bookmark' as const, text: text.slice(BOOKMARK_PREFIX.length) }
      : { time, kind: 'event' as const, text }));
}

/** A resize event's line: `[seconds,"r","COLSxROWS"]`. */
const RESIZE_EVENT = /,"r","(\d+)x(\d+)"\]/g;

/**
 * The largest grid the recording shows (its header's size, and every resize after), to size the player before it
 * mounts: the player keeps the width it was given when the room grows, so it is sized for the largest grid.
 */
function largestSizeOf(cast: string): { cols: number; rows: number } | undefined {
  const header = castHeader(cast);
  // No readable header: the player will refuse the cast and say so.
  if (header.width === undefined || header.height === undefined) return undefined;
  const size = { cols: header.width, rows: header.height };
  for (const [, cols, rows] of cast.matchAll(RESIZE_EVENT)) {
    size.cols = Math.max(size.cols, Number(cols));
    size.rows = Math.max(size.rows, Number(rows));
  }
  return size;
}

function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function offsetTime(seconds: number): string {
  const whole = Math.floor(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export class RewindPanel {
  private player: CastPlayer | undefined;
  /** Bumped on every open and close, so a slow fetch for an overlay already closed mounts nothing. */
  private generation = 0;
  private readonly closeListeners: Array<() => void> = [];
  private size: { cols: number; rows: number } | undefined;

  constructor(
    private readonly ui: RewindElements,
    private readonly source: RewindSource,
  ) {
    listen(ui.back, 'click', () => this.close());
    listen(window, 'resize', () => this.fitPlayer());
    listen(ui.overlay, 'keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      this.close();
    });
  }

  get isOpen(): boolean {
    return !this.ui.overlay.hidden;
  }

  /** The player, once the history is loaded (for the browser-test hook). */
  get currentPlayer(): CastPlayer | undefined {
    return this.player;
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  /** Opens the overlay and loads the room's history up to now, shown at its end (the latest moment). */
  async open(): Promise<void> {
    const generation = ++this.generation;
    this.disposePlayer();
    this.ui.list.replaceChildren();
    this.ui.overlay.hidden = false;
    this.ui.overlay.dataset.state = 'loading';
    this.setStatus('Loading the room\'s history…');
    this.ui.back.focus();
    try {
      const reply = await this.source.ticket();
      if (generation !== this.generation) return;
      if (!reply.ok) {
        this.fail(reply.code === 'not-recorded'
          ? 'Rewind needs the recording, and this room is not being recorded. The owner can turn recording on in Room settings.'
          : `Rewind is not available: ${reply.message}`);
        return;
      }
      const response = await fetch(`/api/rooms/${encodeURIComponent(this.source.roomId)}/history`, {
        // The ticket goes in a header, never in the address: addresses reach logs and history.
        headers: { authorization: `Bearer ${reply.ticket}` },
        cache: 'no-store',
        credentials: 'same-origin',
      });
      const cast = await response.text();
      if (generation !== this.generation) return;
      if (!response.ok) {
        this.fail(response.status === 409
          ? 'Rewind needs the recording, and this room is not being recorded.'
          : 'The history could not be loaded; try again.');
        return;
      }
      const marks = rewindMarks(castMarkers(cast));
      this.size = largestSizeOf(cast);
      this.fitPlayer();
      const player = await createCastPlayer(this.ui.playerHost, cast, {
        autoPlay: false,
        markers: marks.map((mark) => ({ time: mark.time, label: mark.kind === 'bookmark' ? `★ ${mark.text}` : mark.text })),
      });
      if (generation !== this.generation) {
        player.dispose();
        return;
      }
      this.player = player;
      await player.seek(player.duration());
      const start = castHeader(cast).startMs;
      this.renderMarks(marks, start);
      this.ui.overlay.dataset.state = 'ready';
      this.setStatus(start === undefined
        ? 'Recorded until a moment ago. The live terminal keeps running behind this.'
        : `Recorded until ${clockTime(start + player.duration() * 1000)}. The live terminal keeps running behind this.`);
    } catch (error) {
      if (generation === this.generation) this.fail(`The history could not be played: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Back to live: the overlay goes, and with it the player. */
  close(): void {
    if (this.ui.overlay.hidden) return;
    this.generation++;
    this.disposePlayer();
    this.ui.list.replaceChildren();
    this.ui.overlay.hidden = true;
    delete this.ui.overlay.dataset.state;
    for (const listener of this.closeListeners) listener();
  }

  /** Shows the moment `seconds` into the history, paused there. */
  async jumpTo(seconds: number): Promise<void> {
    const player = this.player;
    if (!player) return;
    player.pause();
    await player.seek(seconds);
  }

  /**
   * The player scales its text to its width: it gets the width at which the whole terminal and its control bar
   * fit the stage's height, but never one that makes the text smaller than Readability.MinFontPx (the stage then
   * scrolls, as the live terminal pans). Its later (larger) sizes at the end of the history fit the same way.
   */
  private fitPlayer(): void {
    if (this.ui.overlay.hidden || !this.size) return;
    const { cols, rows } = this.size;
    const box = this.ui.stage.getBoundingClientRect();
    const perEmWide = cols * RewindLook.CellWidthEm;
    const fitHeight = ((box.height - RewindLook.ControlBarPx) / (rows * RewindLook.LineHeightEm)) * perEmWide;
    const readable = perEmWide * Readability.MinFontPx;
    const width = Math.max(readable, Math.min(box.width, fitHeight));
    this.ui.playerHost.style.width = `${Math.floor(width)}px`;
  }

  private renderMarks(marks: readonly RewindMark[], start: number | undefined): void {
    if (marks.length === 0) {
      const empty = document.createElement('li');
      empty.className = 'rewind-empty muted';
      empty.textContent = 'No bookmarks yet. Use Bookmark to mark a moment for everyone.';
      this.ui.list.replaceChildren(empty);
      return;
    }
    const items = marks.map((mark) => {
      const item = document.createElement('li');
      item.className = 'rewind-mark';
      item.dataset.kind = mark.kind;
      const button = document.createElement('button');
      button.type = 'button';
      const when = document.createElement('span');
      when.className = 'rewind-when';
      when.textContent = start === undefined ? offsetTime(mark.time) : clockTime(start + mark.time * 1000);
      const what = document.createElement('span');
      what.className = 'rewind-what';
      what.textContent = mark.text;
      button.append(when, what);
      button.setAttribute('aria-label', `${mark.kind === 'bookmark' ? 'Bookmark' : 'Event'} at ${when.textContent}: ${mark.text}`);
      listen(button, 'click', () => {
        for (const other of this.ui.list.querySelectorAll('[aria-current]')) other.removeAttribute('aria-current');
        button.setAttribute('aria-current', 'true');
        void this.jumpTo(mark.time);
      });
      item.append(button);
      return item;
    });
    this.ui.list.replaceChildren(...items);
  }

  private fail(message: string): void {
    this.ui.overlay.dataset.state = 'failed';
    this.setStatus(message);
  }

  private setStatus(text: string): void {
    this.ui.status.textContent = text;
  }

  private disposePlayer(): void {
    this.player?.dispose();
    this.player = undefined;
    this.ui.playerHost.replaceChildren();
  }
}
