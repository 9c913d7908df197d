// Lobby page entry: lists the rooms (refreshed every few seconds) and creates a room from the form.

import type { RoomSummary } from '../../server/shared/events.js';
import { PayloadLimits } from '../../server/shared/limits.js';
import { ApiRequestError, createRoom, listRooms } from './api.js';
import { listen } from './disposable.js';

/** Member counts and exits change often; a few seconds feels live without loading the server. */
const RefreshIntervalMs = 3_000;

function element<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`lobby.html is missing #${id}`);
  return found;
}

const ui = {
  list: element('room-list', HTMLUListElement),
  empty: element('room-empty', HTMLElement),
  listError: element('list-error', HTMLElement),
  form: element('create-form', HTMLFormElement),
  nameInput: element('create-name', HTMLInputElement),
  submit: element('create-submit', HTMLButtonElement),
  createError: element('create-error', HTMLElement),
};

function showError(target: HTMLElement, message: string | undefined): void {
  target.textContent = message ?? '';
  target.hidden = message === undefined;
}

function roomItem(room: RoomSummary): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'room';
  item.dataset.exited = String(room.exited);
  const link = document.createElement('a');
  link.href = `/r/${encodeURIComponent(room.id)}`;
  const name = document.createElement('span');
  name.className = 'room-title';
  name.textContent = room.name.length > 0 ? room.name : room.id;
  const meta = document.createElement('span');
  meta.className = 'room-meta';
  const members = room.members === 1 ? '1 member' : `${room.members} members`;
  meta.textContent = `${members} · ${room.cols}×${room.rows}`;
  const status = document.createElement('span');
  status.className = 'room-status';
  status.dataset.state = room.exited ? 'exited' : 'live';
  status.textContent = room.exited ? 'exited' : 'live';
  link.append(name, meta, status);
  item.append(link);
  return item;
}

let renderedJson: string | undefined;

function renderRooms(rooms: RoomSummary[]): void {
  // Rebuilding an unchanged list every refresh would drop keyboard focus and hover for nothing.
  const json = JSON.stringify(rooms);
  if (json === renderedJson) return;
  renderedJson = json;
  ui.list.replaceChildren(...rooms.map(roomItem));
  ui.empty.hidden = rooms.length > 0;
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

async function handleCreate(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const name = ui.nameInput.value.trim();
  ui.submit.disabled = true;
  showError(ui.createError, undefined);
  try {
    const created = await createRoom(name.length > 0 ? name : undefined);
    if (!isWebUrl(created.ownerUrl)) throw new Error('The server sent an invalid room link.');
    location.assign(created.ownerUrl);
  } catch (error) {
    showError(ui.createError, error instanceof Error ? error.message : String(error));
    ui.submit.disabled = false;
  }
}

ui.nameInput.maxLength = PayloadLimits.MaxRoomNameLength;
listen(ui.form, 'submit', (event) => void handleCreate(event));
void refreshLoop();
