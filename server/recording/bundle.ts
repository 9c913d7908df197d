// The incident bundle: one zip per room with its recording, audit rows, member sessions, bookmarks, chat lines (if
// kept), the command transcript and a README naming each file. Written as a stream: the recording and the audit
// rows flow through a page at a time, so a big room is never held in memory.

import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import yazl from 'yazl';
import type { BookmarkRecord, MemberSessionRecord, RoomRecord, Store } from '../store/store.js';
import { wholeLinesLength } from './asciicast.js';
import { clockTime, printable, readTranscript, renderTranscript, type TranscriptEntry } from './transcript.js';

export const BundleLimits = {
  /** Audit rows read from the store at a time while the zip is written. */
  AuditPageSize: 1_000,
} as const;

/** The files of a bundle, in the order they are written (README.txt explains each). */
export const BundleFiles = {
  Readme: 'README.txt',
  Room: 'room.json',
  Recording: 'recording.cast',
  Transcript: 'transcript.txt',
  TranscriptJson: 'transcript.json',
  Audit: 'audit.jsonl',
  Sessions: 'sessions.json',
  Bookmarks: 'bookmarks.json',
  Chat: 'chat.txt',
} as const;

/** What the media type and the download's name are. */
export const BUNDLE_MEDIA_TYPE = 'application/zip';
export const bundleFileName = (roomId: string): string => `ttyroom-${roomId}.zip`;

export type BundleStore = Pick<Store, 'room' | 'memberSessions' | 'bookmarks' | 'auditEvents'>;

export interface BundleSources {
  roomId: string;
  /** Must stay open until the bundle's stream has ended: the audit rows are read while it is written. */
  store: BundleStore;
  /** The room's recording, everything so far on disk; undefined when it has none. */
  recording: string | undefined;
  /** When the bundle was made (ms since the epoch), for its README. */
  now: number;
}

/** One chat line as the recording kept it (`--record-chat`). */
interface ChatLine {
  time: string;
  memberId: string;
  name: string;
  text: string;
}

/** `chat: NAME [ID]: TEXT` (RecordingMarkers.chat). */
function parseChatMarker(label: string): Omit<ChatLine, 'time'> | undefined {
  const match = /^chat: (.*?) \[([^\]]+)\]: (.*)$/s.exec(label);
  return match ? { name: match[1]!, memberId: match[2]!, text: match[3]! } : undefined;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

function roomJson(room: RoomRecord | undefined, roomId: string): unknown {
  if (!room) return { id: roomId };
  return { ...room, createdAt: iso(room.createdAt), closedAt: iso(room.closedAt) };
}

function sessionJson(session: MemberSessionRecord): unknown {
  return { ...session, joinedAt: iso(session.joinedAt), leftAt: iso(session.leftAt) };
}

function bookmarkJson(bookmark: BookmarkRecord): unknown {
  return { ...bookmark, time: iso(bookmark.time) };
}

/** The room's audit rows as JSON lines (UTF-8), read a page at a time as the zip asks for more. */
async function* auditLines(store: BundleStore, roomId: string): AsyncGenerator<Buffer> {
  for (let after = 0; ;) {
    const page = store.auditEvents({ room: roomId, after, limit: BundleLimits.AuditPageSize });
    if (page.length > 0) yield Buffer.from(`${page.map((event) => JSON.stringify(event)).join('\n')}\n`, 'utf8');
    if (page.length < BundleLimits.AuditPageSize) return;
    after = page[page.length - 1]!.id;
  }
}

/** Width of the README's file-name column. */
const README_NAME_COLUMN = 18;

/** One file's paragraph of the README: its name, then its description, continued lines indented under it. */
function described(name: string, ...lines: string[]): string {
  return lines.map((line, i) => `${(i === 0 ? name : '').padEnd(README_NAME_COLUMN)}${line}`).join('\n');
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function readme(sources: BundleSources, room: RoomRecord | undefined, parts: { recording: boolean; chat: number; transcript: TranscriptEntry[] }): string {
  const name = room ? ` "${printable(room.name)}"` : '';
  return [
    `Incident bundle of ttyroom room ${sources.roomId}${name}, made ${iso(sources.now)}.`,
    'Times are UTC. Nothing in it holds a token, a cookie or a password.',
    '',
    described(BundleFiles.Readme, 'this file.'),
    described(BundleFiles.Room, 'the room: name, profile, when it was created and closed, and why it ended.'),
    parts.recording
      ? described(BundleFiles.Recording,
        `the recording, asciicast v2 (play it: asciinema play ${BundleFiles.Recording}): output, resizes and`,
        'markers (joins, leaves, roles, the curtain, bookmarks, each Enter press with who pressed it);',
        'what members typed only if the server recorded input (--record-input).')
      : described(BundleFiles.Recording, 'absent: this room has no recording (recording was off, or retention removed it).'),
    described(BundleFiles.Transcript,
      `who entered which command (${plural(parts.transcript.length, 'command')}): "HH:MM:SS  NAME  command line",`,
      'read off the recorded screen at each Enter, prompt included. What the screen did not show (a',
      'password at a prompt that does not echo it) is not there; neither is anything behind the curtain.'),
    described(BundleFiles.TranscriptJson, 'the same as JSON: [{ time, memberId, name, command, source }].'),
    described(BundleFiles.Audit, "the room's audit events, one JSON object a line, oldest first."),
    described(BundleFiles.Sessions,
      "who was there: each member's stay with its name, role, signed-in user, address, when it joined",
      'and left, and how many commands it entered and chat lines it sent.'),
    described(BundleFiles.Bookmarks, "the moments members marked on the room's timeline."),
    parts.chat > 0
      ? described(BundleFiles.Chat, `the chat (${plural(parts.chat, 'line')}): "HH:MM:SS  NAME  text", as the recording kept it (--record-chat).`)
      : described(BundleFiles.Chat, 'absent: no chat line was kept (the server keeps chat only with --record-chat).'),
    '',
  ].join('\n');
}

/**
 * Makes the room's bundle. The transcript and the chat are read from the recording first (one pass over the
 * file, holding only a screen), then the zip is returned as a stream that reads the recording and the audit
 * rows while it is consumed. The recording is read up to its last whole line when this is called, so a file
 * still being written gives a consistent cut.
 */
export async function createBundle(sources: BundleSources): Promise<Readable> {
  const { roomId, store } = sources;
  const length = sources.recording ? await wholeLinesLength(sources.recording).catch(() => 0) : 0;
  const recording = sources.recording !== undefined && length > 0 ? sources.recording : undefined;
  const chat: ChatLine[] = [];
  // One pass over the recording: the transcript, and the chat markers on the way.
  const transcript = recording ? await readTranscript(recording, length, (time, label) => {
    const line = parseChatMarker(label);
    if (line) chat.push({ time, ...line });
  }) : [];
  const room = store.room(roomId);

  const zip = new yazl.ZipFile();
  const text = (content: string) => Buffer.from(content, 'utf8');
  const mtime = new Date(sources.now);
  zip.addBuffer(text(readme(sources, room, { recording: recording !== undefined, chat: chat.length, transcript })), BundleFiles.Readme, { mtime });
  zip.addBuffer(text(`${JSON.stringify(roomJson(room, roomId), null, 2)}\n`), BundleFiles.Room, { mtime });
  if (recording) {
    zip.addReadStreamLazy(BundleFiles.Recording, { mtime }, (done) => done(null, createReadStream(recording, { start: 0, end: length - 1 })));
  }
  zip.addBuffer(text(renderTranscript(transcript)), BundleFiles.Transcript, { mtime });
  zip.addBuffer(text(`${JSON.stringify(transcript, null, 2)}\n`), BundleFiles.TranscriptJson, { mtime });
  zip.addReadStreamLazy(BundleFiles.Audit, { mtime }, (done) => done(null, Readable.from(auditLines(store, roomId), { objectMode: false })));
  zip.addBuffer(text(`${JSON.stringify(store.memberSessions(roomId).map(sessionJson), null, 2)}\n`), BundleFiles.Sessions, { mtime });
  zip.addBuffer(text(`${JSON.stringify(store.bookmarks(roomId).map(bookmarkJson), null, 2)}\n`), BundleFiles.Bookmarks, { mtime });
  if (chat.length > 0) {
    const lines = chat.map((line) => `${clockTime(line.time)}  ${printable(line.name)}  ${printable(line.text)}\n`).join('');
    zip.addBuffer(text(lines), BundleFiles.Chat, { mtime });
  }
  zip.end();
  const output = zip.outputStream as Readable;
  // A part that fails to read (retention removed the recording meanwhile) ends the download with the error.
  zip.on('error', (error: Error) => output.destroy(error));
  return output;
}
