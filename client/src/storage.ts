// What this browser remembers (localStorage): the member's name, view preferences, and the rooms it created
// with their owner links ("Your rooms"). Storage may be off (privacy settings); everything here then degrades
// to "not remembered" instead of failing.

import { sanitizeName } from '../../server/shared/validate.js';

const StorageKeys = {
  Name: 'ttyroom.name',
  Prefs: 'ttyroom.prefs',
  YourRooms: 'ttyroom.yourRooms',
} as const;

/** Rooms kept in "Your rooms": more than anyone runs at once; the oldest fall off past it. */
export const MaxRememberedRooms = 50;

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    // Storage disabled: nothing was remembered.
    return null;
  }
}

function write(key: string, value: string | undefined): void {
  try {
    if (value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Storage disabled or full: the value still applies to this page.
  }
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function loadName(): string | undefined {
  return sanitizeName(read(StorageKeys.Name));
}

export function saveName(name: string | undefined): void {
  write(StorageKeys.Name, name);
}

export interface ViewPrefs {
  fontSize?: number;
  theme?: 'dark' | 'light';
  screenReader?: boolean;
  fitWhole?: boolean;
}

export function loadPrefs(): ViewPrefs {
  const value = parseJson(read(StorageKeys.Prefs));
  if (!isRecord(value)) return {};
  const prefs: ViewPrefs = {};
  if (typeof value.fontSize === 'number' && Number.isFinite(value.fontSize)) prefs.fontSize = value.fontSize;
  if (value.theme === 'dark' || value.theme === 'light') prefs.theme = value.theme;
  if (typeof value.screenReader === 'boolean') prefs.screenReader = value.screenReader;
  if (typeof value.fitWhole === 'boolean') prefs.fitWhole = value.fitWhole;
  return prefs;
}

export function savePrefs(change: ViewPrefs): void {
  write(StorageKeys.Prefs, JSON.stringify({ ...loadPrefs(), ...change }));
}

/** A room this browser created (or was handed): enough to come back to it as its owner. */
export interface OwnedRoom {
  id: string;
  name: string;
  /** The owner link: the room page with the owner token (and the writer token) in its fragment. */
  ownerUrl: string;
  /** A viewer link that works for a private room too (a minted viewer token), once known. */
  viewUrl?: string;
  private?: boolean;
  /** ISO 8601: when this browser first remembered it. */
  savedAt: string;
}

function parseOwnedRoom(value: unknown): OwnedRoom | undefined {
  if (!isRecord(value)) return undefined;
  const { id, name, ownerUrl, viewUrl, savedAt } = value;
  if (typeof id !== 'string' || typeof name !== 'string' || typeof ownerUrl !== 'string' || typeof savedAt !== 'string') return undefined;
  const room: OwnedRoom = { id, name, ownerUrl, savedAt };
  if (typeof viewUrl === 'string') room.viewUrl = viewUrl;
  if (value.private === true) room.private = true;
  return room;
}

export function loadOwnedRooms(): OwnedRoom[] {
  const value = parseJson(read(StorageKeys.YourRooms));
  if (!Array.isArray(value)) return [];
  return value.map(parseOwnedRoom).filter((room): room is OwnedRoom => room !== undefined);
}

function saveOwnedRooms(rooms: OwnedRoom[]): void {
  write(StorageKeys.YourRooms, JSON.stringify(rooms.slice(0, MaxRememberedRooms)));
}

export function findOwnedRoom(id: string): OwnedRoom | undefined {
  return loadOwnedRooms().find((room) => room.id === id);
}

/** Adds or updates a room (newest first); fields not given are kept. */
export function rememberOwnedRoom(room: Omit<OwnedRoom, 'savedAt'> & { savedAt?: string }): void {
  const rooms = loadOwnedRooms();
  const existing = rooms.find((known) => known.id === room.id);
  const merged: OwnedRoom = { ...existing, ...room, savedAt: existing?.savedAt ?? room.savedAt ?? new Date().toISOString() };
  saveOwnedRooms([merged, ...rooms.filter((known) => known.id !== room.id)]);
}

export function forgetOwnedRoom(id: string): void {
  saveOwnedRooms(loadOwnedRooms().filter((room) => room.id !== id));
}
