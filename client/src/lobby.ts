// Lobby page entry: the rooms table (refreshed every few seconds), the create form with the room settings,
// "Your rooms" (owner links this browser remembers; ended ones link to their replay while the server keeps
// their record), and the name this browser joins with.

import type { RoomSummary } from '../../server/shared/events.js';
import { PayloadLimits } from '../../server/shared/limits.js';
import { sanitizeName } from '../../server/shared/validate.js';
import { ApiRequestError, createRoom, getRoom, listProfiles, listRooms, roomRecordKept, type CreateRoomRequest, type ProfileChoice } from './api.js';
import { replayUrl } from './replayMarkers.js';
import { Debouncer, listen } from './disposable.js';
import { applyPageTheme, preferredTheme } from './theme.js';
import { forgetOwnedRoom, loadName, loadOwnedRooms, rememberOwnedRoom, saveName, type OwnedRoom } from './storage.js';

/** Member counts and exits change often; a few seconds feels live without loading the server. */
const RefreshIntervalMs = 3_000;
/** How long "saved" shows next to the name field, in milliseconds. */
const SavedNoticeMs = 1_500;

function element<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`lobby.html is missing #${id}`);
  return found;
}

const ui = {
  list: element('room-list', HTMLTableSectionElement),
  table: element('room-table', HTMLTableElement),
  empty: element('room-empty', HTMLElement),
  listError: element('list-error', HTMLElement),
  form: element('create-form', HTMLFormElement),
  nameInput: element('create-name', HTMLInputElement),
  profileField: element('profile-field', HTMLElement),
  profileSelect: element('create-profile', HTMLSelectElement),
  profileDescription: element('profile-description', HTMLElement),
  params: element('create-params', HTMLElement),
  approval: element('create-approval', HTMLInputElement),
  chat: element('create-chat', HTMLInputElement),
  record: element('create-record', HTMLInputElement),
  private: element('create-private', HTMLInputElement),
  submit: element('create-submit', HTMLButtonElement),
  createError: element('create-error', HTMLElement),
  hostKey: element('host-key', HTMLElement),
  hostKeyTitle: element('host-key-title', HTMLElement),
  hostKeyText: element('host-key-text', HTMLElement),
  hostKeyPrints: element('host-key-prints', HTMLElement),
  hostKeyAdvice: element('host-key-advice', HTMLElement),
  hostKeyTrust: element('host-key-trust', HTMLButtonElement),
  hostKeyCancel: element('host-key-cancel', HTMLButtonElement),
  yourSection: element('your-rooms', HTMLElement),
  yourList: element('your-list', HTMLUListElement),
  memberName: element('lobby-name', HTMLInputElement),
  nameForm: element('name-form', HTMLFormElement),
  nameSaved: element('name-saved', HTMLElement),
};

function showError(target: HTMLElement, message: string | undefined): void {
  target.textContent = message ?? '';
  target.hidden = message === undefined;
}

/** "3 min", "2 h", "4 d": how long a room has been open, rounded down. */
export function describeAge(createdAt: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(createdAt)) / 1000));
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

function badge(text: string, kind: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = 'badge room-badge';
  span.dataset.kind = kind;
  span.textContent = text;
  return span;
}

function cell(label: string, ...children: Array<Node | string>): HTMLTableCellElement {
  const td = document.createElement('td');
  td.dataset.label = label;
  td.append(...children);
  return td;
}

/** Words shown only where the column heading is not (the phone layout), so a bare number still reads. */
function unit(text: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = 'unit';
  span.textContent = text;
  return span;
}

function roomRow(room: RoomSummary, owned: ReadonlySet<string>): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.className = 'room';
  row.dataset.exited = String(room.exited);
  const link = document.createElement('a');
  link.href = `/r/${encodeURIComponent(room.id)}`;
  link.textContent = room.name.length > 0 ? room.name : room.id;
  const nameCell = cell('Name', link);
  nameCell.className = 'room-title';
  if (owned.has(room.id)) nameCell.append(badge('yours', 'yours'));
  if (room.locked) nameCell.append(badge('locked', 'locked'));
  if (room.approval) nameCell.append(badge('approval', 'approval'));
  const status = document.createElement('span');
  status.className = 'room-status';
  status.dataset.state = room.exited ? 'exited' : 'live';
  status.textContent = room.exited ? 'exited' : 'live';
  row.append(
    nameCell,
    cell('Profile', room.profile),
    cell('Members', String(room.members), unit(room.members === 1 ? ' member' : ' members')),
    cell('Age', describeAge(room.createdAt)),
    cell('Status', status),
  );
  return row;
}

let renderedJson: string | undefined;

function renderRooms(rooms: RoomSummary[]): void {
  // Rebuilding an unchanged list every refresh would drop keyboard focus and hover for nothing.
  const owned = new Set(loadOwnedRooms().map((room) => room.id));
  const json = JSON.stringify([rooms, [...owned], rooms.map((room) => describeAge(room.createdAt))]);
  if (json === renderedJson) return;
  renderedJson = json;
  ui.list.replaceChildren(...rooms.map((room) => roomRow(room, owned)));
  ui.empty.hidden = rooms.length > 0;
  ui.table.hidden = rooms.length === 0;
}

/** Remembered rooms the server no longer runs but whose record it keeps: they are listed for replay. */
const endedRooms = new Set<string>();

function yourItem(room: OwnedRoom): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'your-room';
  const ended = endedRooms.has(room.id);
  item.dataset.ended = String(ended);
  const title = room.name.length > 0 ? room.name : room.id;
  const link = document.createElement('a');
  link.href = ended ? replayUrl(room.id, ownerTokenOf(room.ownerUrl)) : room.ownerUrl;
  link.textContent = title;
  link.setAttribute('aria-label', ended ? `Replay ${title}` : `Open ${title} as owner`);
  const meta = document.createElement('span');
  meta.className = 'muted';
  const age = describeAge(room.savedAt);
  meta.textContent = `created ${age === 'just now' ? age : `${age} ago`}${room.private === true ? ' · private' : ''}${ended ? ' · ended' : ''}`;
  const replay = document.createElement('a');
  replay.className = 'button-link small';
  replay.href = replayUrl(room.id, ownerTokenOf(room.ownerUrl));
  replay.textContent = 'Replay';
  replay.setAttribute('aria-label', `Replay or download the recording of ${title}`);
  replay.hidden = !ended;
  const forget = document.createElement('button');
  forget.type = 'button';
  forget.className = 'small';
  forget.textContent = 'Forget';
  forget.setAttribute('aria-label', `Forget ${link.textContent}`);
  listen(forget, 'click', () => {
    forgetOwnedRoom(room.id);
    renderYourRooms();
    renderedJson = undefined;
  });
  item.append(link, meta, replay, forget);
  return item;
}

function renderYourRooms(): void {
  const rooms = loadOwnedRooms();
  ui.yourSection.hidden = rooms.length === 0;
  ui.yourList.replaceChildren(...rooms.map(yourItem));
}

/** The owner token from an owner link's fragment. */
function ownerTokenOf(url: string): string | undefined {
  try {
    return new URLSearchParams(new URL(url, location.href).hash.slice(1)).get('token') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sorts remembered rooms, once per visit: running ones stay as they are; ended ones whose record the server
 * keeps are listed for replay; ones it no longer knows at all (retention removed them) are dropped.
 */
async function pruneYourRooms(): Promise<void> {
  for (const room of loadOwnedRooms()) {
    const token = ownerTokenOf(room.ownerUrl);
    try {
      // An exited room the server still holds (a short while) is replayable already.
      if ((await getRoom(room.id, token)).exited) endedRooms.add(room.id);
      else endedRooms.delete(room.id);
    } catch (error) {
      // Only "not found" means the room is gone; a network error says nothing about it.
      if (!(error instanceof ApiRequestError && error.status === 404)) continue;
      try {
        if (await roomRecordKept(room.id, token)) endedRooms.add(room.id);
        else forgetOwnedRoom(room.id);
      } catch {
        // The server could not be asked: the room stays listed as it was.
      }
    }
  }
  renderYourRooms();
}

async function refresh(): Promise<void> {
  try {
    renderRooms(await listRooms());
    showError(ui.listError, undefined);
  } catch (error) {
    // Signed out meanwhile (session expired, user removed): sign in again and come back.
    if (error instanceof ApiRequestError && error.status === 401) {
      location.assign('/login?next=/');
      return;
    }
    showError(ui.listError, error instanceof Error ? error.message : String(error));
  }
}

/** Each refresh starts after the previous one ended, so a slow server never gets overlapping requests. */
async function refreshLoop(): Promise<void> {
  await refresh();
  setTimeout(() => void refreshLoop(), RefreshIntervalMs);
}

/** The owner link comes from the server; only web addresses are followed. */
function isWebUrl(url: string): boolean {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The server's profiles, once GET /api/profiles answered; empty until then (the form then uses the default). */
let profiles: ProfileChoice[] = [];

function chosenProfile(): ProfileChoice | undefined {
  return profiles.find((profile) => profile.name === ui.profileSelect.value);
}

/** One input per param of the chosen profile: a select when the operator listed its values. */
function renderParams(): void {
  const profile = chosenProfile();
  ui.profileDescription.textContent = profile?.description ?? '';
  ui.profileDescription.hidden = profile?.description === undefined;
  const fields = (profile?.params ?? []).map((param) => {
    const field = document.createElement('div');
    field.className = 'field';
    const id = `param-${param.name}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = param.name;
    let input: HTMLInputElement | HTMLSelectElement;
    if (param.values !== undefined) {
      input = document.createElement('select');
      for (const value of param.values) input.append(new Option(value, value));
    } else {
      input = document.createElement('input');
      input.type = 'text';
      input.spellcheck = false;
      input.autocapitalize = 'none';
      input.required = true;
      input.maxLength = PayloadLimits.MaxParamValueLength;
    }
    input.id = id;
    input.name = id;
    input.dataset.param = param.name;
    field.append(label, input);
    if (param.description !== undefined) {
      const hint = document.createElement('span');
      hint.className = 'hint';
      hint.id = `${id}-hint`;
      hint.textContent = param.description;
      input.setAttribute('aria-describedby', hint.id);
      field.append(hint);
    }
    return field;
  });
  ui.params.replaceChildren(...fields);
  ui.params.hidden = fields.length === 0;
}

async function loadProfiles(): Promise<void> {
  try {
    profiles = await listProfiles();
  } catch {
    // A server without the route, or a passing failure: the form still creates rooms of the default profile.
    return;
  }
  ui.profileSelect.replaceChildren(...profiles.map((profile) => new Option(profile.name, profile.name)));
  // With one profile there is nothing to choose; the picker would only take room.
  ui.profileField.hidden = profiles.length < 2;
  renderParams();
}

/** Marks the param a refusal names ('param "pod" …'), so the form shows which input to fix. */
function markRefusedParam(message: string): void {
  const named = /param "([A-Za-z0-9_]+)"/.exec(message)?.[1];
  for (const input of ui.params.querySelectorAll<HTMLElement>('[data-param]')) {
    const refused = input.dataset.param === named;
    if (refused) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } else {
      input.removeAttribute('aria-invalid');
    }
  }
}

function radioValue(name: string): string | undefined {
  return ui.form.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)?.value;
}

function readForm(): CreateRoomRequest {
  // Ticked, the room is recorded unless the server records nothing (--no-record).
  const request: CreateRoomRequest = { approval: ui.approval.checked, chat: ui.chat.checked, record: ui.record.checked };
  const name = ui.nameInput.value.trim();
  if (name.length > 0) request.name = name;
  const profile = chosenProfile();
  if (profile !== undefined) {
    request.profile = profile.name;
    const inputs = [...ui.params.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-param]')];
    if (inputs.length > 0) request.params = Object.fromEntries(inputs.map((input) => [input.dataset.param!, input.value]));
  }
  const floor = radioValue('floor');
  if (floor === 'driver' || floor === 'many') request.floor = floor;
  const resize = radioValue('resize');
  if (resize === 'owner' || resize === 'smallest' || resize === 'fixed') request.resize = resize;
  if (ui.private.checked) request.private = true;
  return request;
}

/** The fingerprint the prompt shows, for the retry its button makes; undefined while no prompt is up. */
let offeredHostKey: string | undefined;

function hideHostKey(): void {
  offeredHostKey = undefined;
  ui.hostKey.hidden = true;
}

/** Text rows of fingerprints: `SHA256:…` from the server, set as text (never markup). */
function showPrints(rows: ReadonlyArray<[string, string]>): void {
  ui.hostKeyPrints.replaceChildren(...rows.flatMap(([label, value]) => {
    const term = document.createElement('dt');
    term.textContent = label;
    const detail = document.createElement('dd');
    detail.textContent = value;
    return [term, detail];
  }));
}

/**
 * An SSH host-key refusal: an unknown key the creator may confirm (policy 'ask'), one only the operator can add
 * (known-only), or a changed key, refused loudly with both fingerprints. False for any other error.
 */
function showHostKey(error: unknown): boolean {
  if (!(error instanceof ApiRequestError) || error.hostKey.fingerprint === undefined) return false;
  const { fingerprint, expected, policy } = error.hostKey;
  if (error.code === 'host-untrusted') {
    const askable = policy !== 'known-only';
    ui.hostKey.dataset.kind = 'untrusted';
    ui.hostKeyTitle.textContent = 'Unknown host key';
    ui.hostKeyText.textContent = 'This server has not connected to the host before. Compare its key fingerprint with the one the host\'s administrator gave you.';
    showPrints([['Fingerprint', fingerprint]]);
    ui.hostKeyAdvice.textContent = askable
      ? 'If they match, trust the key: it is stored, and later rooms connect without asking.'
      : 'This profile connects only to hosts whose keys the server\'s operator added; ask them to add this one.';
    ui.hostKeyTrust.hidden = !askable;
    offeredHostKey = askable ? fingerprint : undefined;
  } else if (error.code === 'host-key-changed') {
    ui.hostKey.dataset.kind = 'changed';
    ui.hostKeyTitle.textContent = 'Refused: the host\'s key has changed';
    ui.hostKeyText.textContent = 'The host presented a different key from the one this server trusts. Someone may be intercepting the connection. No room was created.';
    showPrints([['Expected', expected ?? 'unknown'], ['Presented', fingerprint]]);
    ui.hostKeyAdvice.textContent = 'Only the server\'s operator can accept a new key, after checking with the host\'s administrator.';
    ui.hostKeyTrust.hidden = true;
    offeredHostKey = undefined;
  } else {
    return false;
  }
  ui.hostKey.hidden = false;
  return true;
}

async function handleCreate(event: SubmitEvent | undefined, trustHostKey?: string): Promise<void> {
  event?.preventDefault();
  ui.submit.disabled = true;
  ui.hostKeyTrust.disabled = true;
  showError(ui.createError, undefined);
  hideHostKey();
  try {
    const request = readForm();
    if (trustHostKey !== undefined) request.trustHostKey = trustHostKey;
    const created = await createRoom(request);
    if (!isWebUrl(created.ownerUrl)) throw new Error('The server sent an invalid room link.');
    rememberOwnedRoom({ id: created.id, name: created.name, ownerUrl: created.ownerUrl, private: request.private === true });
    location.assign(created.ownerUrl);
  } catch (error) {
    if (!showHostKey(error)) {
      const message = error instanceof Error ? error.message : String(error);
      showError(ui.createError, message);
      markRefusedParam(message);
    }
    ui.submit.disabled = false;
    ui.hostKeyTrust.disabled = false;
  }
}

applyPageTheme(preferredTheme());
ui.nameInput.maxLength = PayloadLimits.MaxRoomNameLength;
ui.memberName.maxLength = PayloadLimits.MaxNameLength;
ui.memberName.value = loadName() ?? '';
const clearSaved = new Debouncer(SavedNoticeMs, () => {
  ui.nameSaved.textContent = '';
});
const storeName = (): void => {
  const name = sanitizeName(ui.memberName.value);
  saveName(name);
  ui.nameSaved.textContent = 'saved';
  clearSaved.schedule();
};
listen(ui.memberName, 'change', storeName);
listen(ui.nameForm, 'submit', (event) => {
  event.preventDefault();
  storeName();
});
listen(ui.form, 'submit', (event) => void handleCreate(event));
listen(ui.hostKeyTrust, 'click', () => {
  if (offeredHostKey !== undefined) void handleCreate(undefined, offeredHostKey);
});
listen(ui.hostKeyCancel, 'click', hideHostKey);
listen(ui.profileSelect, 'change', () => {
  showError(ui.createError, undefined);
  hideHostKey();
  renderParams();
});
void loadProfiles();
renderYourRooms();
void pruneYourRooms();
void refreshLoop();
