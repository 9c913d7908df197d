// The replay page's address (for the pages that link to it) and its words for a recording's markers
// (server/recording/recorder.ts RecordingMarkers, and bookmarks): their kind, their text without member ids, m:ss times.

import type { CastMarker } from './castPlayer.js';

/** The kinds the marker list styles apart; anything else is 'other'. */
export type MarkerKind = 'joined' | 'left' | 'role' | 'typing' | 'enter' | 'curtain' | 'bookmark' | 'chat' | 'exited' | 'recording' | 'other';

export interface ListedMarker extends CastMarker {
  kind: MarkerKind;
  /** The label without the member ids the recorder adds in brackets (they stay in the file). */
  text: string;
}

const PREFIX_KINDS: ReadonlyArray<[string, MarkerKind]> = [
  ['joined:', 'joined'],
  ['left:', 'left'],
  ['role:', 'role'],
  ['typing:', 'typing'],
  ['enter:', 'enter'],
  ['curtain ', 'curtain'],
  ['bookmark:', 'bookmark'],
  ['chat:', 'chat'],
  ['exited:', 'exited'],
  ['recording ', 'recording'],
];

/** ` [memberId]` as the recorder writes it: a member id is base64url. */
const MEMBER_ID = /\s\[[A-Za-z0-9_-]+\]/g;

export function listedMarker(marker: CastMarker): ListedMarker {
  const kind = PREFIX_KINDS.find(([prefix]) => marker.label.startsWith(prefix))?.[1] ?? 'other';
  return { ...marker, kind, text: marker.label.replace(MEMBER_ID, '') };
}

const ENTER_PREFIX = 'enter: ';

/** What an Enter run says: who entered how many commands. */
function enteredText(name: string, count: number): string {
  return count === 1 ? `${name} entered a command` : `${name} entered ${count} commands`;
}

/**
 * The markers as the replay page lists them. One Enter marker comes per command, so a member's Enter presses
 * in a row (nothing else between them) are one entry at the first of them: "alice entered 3 commands".
 */
export function listedMarkers(markers: readonly CastMarker[]): ListedMarker[] {
  const listed: ListedMarker[] = [];
  let run: { entry: ListedMarker; count: number } | undefined;
  for (const marker of markers.map(listedMarker)) {
    if (marker.kind !== 'enter') {
      run = undefined;
      listed.push(marker);
      continue;
    }
    const name = marker.text.slice(ENTER_PREFIX.length);
    if (run && run.entry.label === marker.label) {
      run.count++;
      run.entry.text = enteredText(name, run.count);
      continue;
    }
    run = { entry: { ...marker, text: enteredText(name, 1) }, count: 1 };
    listed.push(run.entry);
  }
  return listed;
}

/** "0:07", "12:30", "1:02:03": a time in the recording, seconds rounded down. */
export function formatTime(seconds: number): string {
  const whole = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const s = String(whole % 60).padStart(2, '0');
  const m = Math.floor(whole / 60) % 60;
  const h = Math.floor(whole / 3600);
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** The replay page of a room, with the owner token in its fragment (never a query string). */
export function replayUrl(roomId: string, ownerToken: string | undefined): string {
  const page = `/replay/${encodeURIComponent(roomId)}`;
  return ownerToken === undefined ? page : `${page}#token=${encodeURIComponent(ownerToken)}`;
}
