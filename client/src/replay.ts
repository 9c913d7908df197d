// Replay page entry (/replay/:id#token=…): fetches the room's recording with the owner link's token (or as the
// signed-in owner), plays it with play/pause, speed and seek, lists its markers (seeking on click) and offers
// the .cast file for download.

import { NOT_FOUND_MESSAGE } from '../../server/shared/events.js';
import { castHeader, castMarkers, createCastPlayer, type CastPlayer } from './castPlayer.js';
import { listen } from './disposable.js';
import { formatTime, listedMarkers, type ListedMarker } from './replayMarkers.js';
import { applyPageTheme, preferredTheme } from './theme.js';

/** The header the server names a recording's state in (server/http/routes.ts RECORDING_STATE_HEADER). */
const RecordingStateHeader = 'X-Recording-State';

export const ReplayTiming = {
  /**
   * Milliseconds to watch the player's clock before a speed change: if it moved, the recording was playing
   * and the new player goes on playing. The player reports no play state of its own, and its own controls
   * can start and stop it.
   */
  PlayingProbeMs: 120,
} as const;

function element<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`replay.html is missing #${id}`);
  return found;
}

const ui = {
  title: element('replay-title', HTMLElement),
  state: element('replay-state', HTMLElement),
  message: element('replay-message', HTMLElement),
  live: element('replay-live', HTMLElement),
  reload: element('replay-reload', HTMLAnchorElement),
  stage: element('replay-stage', HTMLElement),
  player: element('replay-player', HTMLElement),
  play: element('replay-play', HTMLButtonElement),
  pause: element('replay-pause', HTMLButtonElement),
  speed: element('replay-speed', HTMLSelectElement),
  download: element('replay-download', HTMLAnchorElement),
  markerList: element('marker-list', HTMLOListElement),
  markerEmpty: element('marker-empty', HTMLElement),
};

/** The room id of /replay/<id>, or undefined. */
function roomIdFromPath(): string | undefined {
  const match = /^\/replay\/([^/]+)\/?$/.exec(location.pathname);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    // Malformed percent-encoding: not one of our ids.
    return undefined;
  }
}

/** The owner link's token, from the fragment (never a query string: fragments reach no server log or Referer). */
function tokenFromFragment(): string | undefined {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  return token === null || token === '' ? undefined : token;
}

type Fetched =
  | { kind: 'ok'; cast: string; live: boolean }
  | { kind: 'refused'; message: string };

async function fetchRecording(roomId: string, token: string | undefined): Promise<Fetched> {
  let response: Response;
  try {
    response = await fetch(`/api/rooms/${encodeURIComponent(roomId)}/recording`, {
      headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
      cache: 'no-store',
    });
  } catch {
    return { kind: 'refused', message: 'Cannot reach the server. Check your connection and reload.' };
  }
  if (response.ok) {
    return { kind: 'ok', cast: await response.text(), live: response.headers.get(RecordingStateHeader) === 'live' };
  }
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = ((await response.json()) as { error?: typeof error }).error;
  } catch {
    error = undefined;
  }
  if (response.status === 404 && error?.message === NOT_FOUND_MESSAGE) {
    return {
      kind: 'refused',
      message: 'No such recording, or this link does not open it. A recording opens with its room\'s owner link (or when you are signed in as its owner), and the server removes it after its retention period.',
    };
  }
  if (response.status === 404) {
    return { kind: 'refused', message: 'This room has no recording: recording was off, for the room or on this server.' };
  }
  if (response.status === 429) {
    const seconds = response.headers.get('Retry-After');
    return { kind: 'refused', message: `Too many failed attempts from your address. Try again${seconds ? ` in ${seconds} s` : ' later'}.` };
  }
  if (response.status === 401) {
    return { kind: 'refused', message: 'Sign in first, or open the replay with the room\'s owner link.' };
  }
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`;
  return { kind: 'refused', message: `The server could not send the recording (${message}).` };
}

function showMessage(text: string | undefined, kind: 'info' | 'error' = 'info'): void {
  ui.message.textContent = text ?? '';
  ui.message.hidden = text === undefined;
  ui.message.dataset.kind = kind;
  ui.message.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

function markerItem(marker: ListedMarker, seek: (seconds: number) => void): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'marker';
  item.dataset.kind = marker.kind;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'marker-button';
  button.title = marker.label;
  const time = document.createElement('span');
  time.className = 'marker-time';
  time.textContent = formatTime(marker.time);
  const text = document.createElement('span');
  text.className = 'marker-text';
  text.textContent = marker.text;
  button.append(time, text);
  button.setAttribute('aria-label', `Jump to ${formatTime(marker.time)}: ${marker.text}`);
  listen(button, 'click', () => seek(marker.time));
  item.append(button);
  return item;
}

function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

/** Whether the player's clock moves: it is playing. */
async function isPlaying(player: CastPlayer): Promise<boolean> {
  const before = player.currentTime();
  const until = performance.now() + ReplayTiming.PlayingProbeMs;
  while (performance.now() < until) await nextFrame();
  return player.currentTime() > before;
}

async function main(): Promise<void> {
  applyPageTheme(preferredTheme());
  const roomId = roomIdFromPath();
  if (roomId === undefined) {
    showMessage('This address does not name a room.', 'error');
    return;
  }
  ui.title.textContent = `Replay: ${roomId}`;
  const fetched = await fetchRecording(roomId, tokenFromFragment());
  if (fetched.kind === 'refused') {
    showMessage(fetched.message, 'error');
    return;
  }
  const { cast, live } = fetched;
  const title = castHeader(cast).title;
  if (title !== undefined) {
    ui.title.textContent = `Replay: ${title}`;
    document.title = `Replay: ${title} · ttyroom`;
  }
  ui.state.textContent = live ? 'room still running' : 'room ended';
  ui.live.hidden = !live;
  ui.reload.href = location.href;
  listen(ui.reload, 'click', (event) => {
    event.preventDefault();
    location.reload();
  });

  // The file as fetched: the download needs no second request (nor the token in a URL).
  ui.download.href = URL.createObjectURL(new Blob([cast], { type: 'application/x-asciicast' }));
  ui.download.download = `${roomId}.cast`;

  const markers = castMarkers(cast);
  showMessage('Preparing the player…');
  ui.stage.hidden = false;
  let player: CastPlayer;
  try {
    player = await createCastPlayer(ui.player, cast, { markers });
  } catch (error) {
    ui.stage.hidden = true;
    showMessage(`The recording cannot be played: ${error instanceof Error ? error.message : String(error)}. The .cast file may still open in asciinema.`, 'error');
    return;
  }
  showMessage(undefined);
  document.body.dataset.ready = 'true';
  // Says on the page when playback reached the end (for tests, and styles if ever wanted).
  const watchEnd = (mounted: CastPlayer): void => {
    mounted.onEnded(() => {
      document.body.dataset.ended = 'true';
    });
  };
  watchEnd(player);

  const seek = (seconds: number): void => {
    void player.seek(seconds);
  };
  ui.markerList.replaceChildren(...listedMarkers(markers).map((marker) => markerItem(marker, seek)));
  ui.markerEmpty.hidden = markers.length > 0;
  listen(ui.play, 'click', () => {
    delete document.body.dataset.ended;
    player.play();
  });
  listen(ui.pause, 'click', () => player.pause());
  // The player takes its speed when made: a new one, at the same moment, in the same state.
  let changing = Promise.resolve();
  listen(ui.speed, 'change', () => {
    changing = changing.then(async () => {
      const speed = Number(ui.speed.value);
      if (!Number.isFinite(speed) || speed <= 0) return;
      const playing = await isPlaying(player);
      const startAt = player.currentTime();
      player.dispose();
      ui.player.replaceChildren();
      player = await createCastPlayer(ui.player, cast, { markers, speed, startAt, autoPlay: playing });
      watchEnd(player);
    });
  });
}

void main();
