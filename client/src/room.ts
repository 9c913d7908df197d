// Room page entry: reads the room and capability from the URL, connects RoomClient to TerminalView, and
// keeps the header (name, role, members, links, connection), banners and the browser-test hook up to date.

import { io } from 'socket.io-client';
import type { ExitPayload, MemberInfo, NoticePayload, Role } from '../../server/shared/events.js';
import { PayloadLimits } from '../../server/shared/limits.js';
import { parseId, sanitizeName } from '../../server/shared/validate.js';
import { getRoom } from './api.js';
import { copyText } from './clipboard.js';
import { Debouncer, listen } from './disposable.js';
import { canWrite, type ConnectionState, type JoinFailure, RoomClient, type RoomSocket } from './roomClient.js';
import { TerminalView } from './terminalView.js';

/** Read-only view of the page's state for browser tests (`window.ttyroom`). */
export interface TtyroomTestHook {
  readonly role: string | undefined;
  /** Everything before this stream offset has been parsed into the terminal. */
  readonly offset: number;
  /** The server holds the stream back until this tab has caught up. */
  readonly catchingUp: boolean;
  /** The active buffer's screen rows, right-trimmed, joined by "\n". */
  screenText(): string;
  readonly exited: boolean;
}

declare global {
  interface Window {
    ttyroom?: TtyroomTestHook;
  }
}

/** UI timing, in milliseconds. */
const UiTiming = {
  /**
   * The owner's size proposal waits for the window to settle: a drag fires dozens of resize events, and each
   * PTY resize makes the program and every member redraw.
   */
  OwnerResizeDebounceMs: 150,
  /** Long enough to read a one-line notice. */
  NoticeMs: 4_000,
  /** How long a copy button says "Copied". */
  CopiedMs: 1_500,
} as const;

const NAME_STORAGE_KEY = 'ttyroom.name';

const CONNECTION_LABELS: Readonly<Record<ConnectionState, string>> = {
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  disconnected: 'disconnected',
};

/** Shown while the server holds our stream back because this tab fell behind (a fresh screen follows). */
const CATCHING_UP_LABEL = 'catching up…';

function element<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`room.html is missing #${id}`);
  return found;
}

function readRoomId(): string | undefined {
  const match = /^\/r\/([^/]+)\/?$/.exec(location.pathname);
  if (match?.[1] === undefined) return undefined;
  try {
    return parseId(decodeURIComponent(match[1]));
  } catch {
    // Malformed percent-encoding: not one of our ids.
    return undefined;
  }
}

/** Capabilities live in the fragment so they never reach server logs or Referer headers. */
function readCapability(): { token?: string; writeToken?: string } {
  const params = new URLSearchParams(location.hash.slice(1));
  const nonEmpty = (value: string | null): string | undefined => (value === null || value === '' ? undefined : value);
  return { token: nonEmpty(params.get('token')), writeToken: nonEmpty(params.get('write')) };
}

function loadName(): string | undefined {
  try {
    return sanitizeName(localStorage.getItem(NAME_STORAGE_KEY));
  } catch {
    // Storage can be disabled (privacy settings); the name is a convenience, so go without.
    return undefined;
  }
}

function saveName(name: string | undefined): void {
  try {
    if (name === undefined) localStorage.removeItem(NAME_STORAGE_KEY);
    else localStorage.setItem(NAME_STORAGE_KEY, name);
  } catch {
    // See loadName: without storage the name still applies to this tab.
  }
}

function describeExit(exit: ExitPayload): string {
  switch (exit.reason) {
    case 'closed':
      return 'The room was closed by its owner.';
    case 'server-shutdown':
      return 'The server shut down.';
    case 'idle-timeout':
      return 'The room was closed because no one typed for too long.';
    case 'lifetime':
      return 'The room was closed: it reached its time limit.';
    case 'exited':
      return exit.signal !== undefined
        ? `Process ended by ${exit.signal}.`
        : `Process exited with code ${exit.exitCode}.`;
  }
}

const ui = {
  roomName: element('room-name', HTMLElement),
  termTitle: element('term-title', HTMLElement),
  roleBadge: element('role-badge', HTMLElement),
  membersButton: element('members-button', HTMLButtonElement),
  membersPanel: element('members-panel', HTMLElement),
  membersList: element('members-list', HTMLUListElement),
  nameForm: element('name-form', HTMLFormElement),
  nameInput: element('name-input', HTMLInputElement),
  copyView: element('copy-view', HTMLButtonElement),
  copyWrite: element('copy-write', HTMLButtonElement),
  copyFallback: element('copy-fallback', HTMLInputElement),
  connection: element('connection', HTMLElement),
  banner: element('banner', HTMLElement),
  notice: element('notice', HTMLElement),
  terminalHost: element('terminal-host', HTMLElement),
};

/** A warning with a closing time says when, in the reader's local time. */
function describeNotice(notice: NoticePayload): string {
  if (notice.closesAt === undefined) return notice.message;
  const at = new Date(notice.closesAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return `${notice.message} (closes at ${at})`;
}

function showBanner(text: string, kind: 'info' | 'error'): void {
  ui.banner.textContent = text;
  ui.banner.dataset.kind = kind;
  delete ui.banner.dataset.notice;
  ui.banner.hidden = false;
}

// Lives as long as the page.
const hideNotice = new Debouncer(UiTiming.NoticeMs, () => {
  ui.notice.hidden = true;
});
function showNotice(text: string): void {
  ui.notice.textContent = text;
  ui.notice.hidden = false;
  hideNotice.schedule();
}

function setupCopyButton(button: HTMLButtonElement, link: () => string): void {
  const label = button.textContent ?? '';
  const resetLabel = new Debouncer(UiTiming.CopiedMs, () => {
    button.textContent = label;
  });
  listen(button, 'click', () => {
    void copyText(link(), ui.copyFallback).then((copied) => {
      button.textContent = copied ? 'Copied' : 'Press Ctrl+C';
      resetLabel.schedule();
    });
  });
}

/** The owner's control on another member: hand out or take back the keyboard ("one driver at a time"). */
function keyboardButton(member: MemberInfo, setRole: (memberId: string, role: 'viewer' | 'writer') => void): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'member-action';
  const give = member.role === 'viewer';
  button.textContent = give ? 'give keyboard' : 'take keyboard';
  listen(button, 'click', () => setRole(member.id, give ? 'writer' : 'viewer'));
  return button;
}

function renderMembers(
  members: MemberInfo[],
  selfId: string | undefined,
  setRole: ((memberId: string, role: 'viewer' | 'writer') => void) | undefined,
): void {
  ui.membersButton.textContent = members.length === 1 ? '1 member' : `${members.length} members`;
  const items = members.map((member) => {
    const item = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'member-name';
    name.textContent = member.name.length > 0 ? member.name : 'anonymous';
    const role = document.createElement('span');
    role.className = 'member-role';
    role.dataset.role = member.role;
    role.textContent = member.role;
    item.append(name, role);
    if (member.id === selfId) {
      const self = document.createElement('span');
      self.className = 'member-self';
      self.textContent = 'you';
      item.append(self);
    } else if (setRole !== undefined && member.role !== 'owner') {
      item.append(keyboardButton(member, setRole));
    }
    return item;
  });
  ui.membersList.replaceChildren(...items);
}

function setMembersPanelOpen(open: boolean): void {
  ui.membersPanel.hidden = !open;
  ui.membersButton.setAttribute('aria-expanded', String(open));
  if (open) ui.nameInput.value = loadName() ?? '';
}

function main(): void {
  const roomId = readRoomId();
  if (roomId === undefined) {
    document.body.dataset.connection = 'disconnected';
    showBanner('This address does not name a room.', 'error');
    return;
  }
  const { token, writeToken } = readCapability();

  ui.roomName.textContent = roomId;
  getRoom(roomId, token)
    .then((room) => {
      ui.roomName.textContent = room.name.length > 0 ? room.name : roomId;
      if (ui.termTitle.textContent === '') document.title = `${ui.roomName.textContent} · ttyroom`;
    })
    .catch(() => {
      // The id stays in the header; whether the room exists is the join's to say.
    });

  const view = new TerminalView(ui.terminalHost);
  // WebSocket only: browsers send Origin on the upgrade but not on same-origin polling GETs, and without
  // an Origin the server ignores the session cookie (A5 in docs/properties.md). A capability goes in the handshake.
  const socket: RoomSocket = io({ path: '/socket.io', transports: ['websocket'], auth: token === undefined ? {} : { token } });
  socket.on('connect_error', (error: Error) => {
    if (error.message !== 'unauthorized') return;
    // No link capability and not signed in: sign in, then come back here.
    if (token === undefined) location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    else showBanner('This link is not accepted here; sign in or ask for a new link.', 'error');
  });
  const client = new RoomClient(socket, view, { roomId, token, name: loadName() });

  const hook: TtyroomTestHook = Object.freeze({
    get role() {
      return client.role;
    },
    get offset() {
      return client.parsedOffset;
    },
    get catchingUp() {
      return client.catchingUp;
    },
    screenText: () => view.screenText(),
    get exited() {
      return client.exited;
    },
  });
  window.ttyroom = hook;

  const ownerResize = new Debouncer(UiTiming.OwnerResizeDebounceMs, () => {
    if (client.role !== 'owner') return;
    const size = view.proposeSize();
    if (size !== undefined) client.requestResize(size);
  });

  let members: MemberInfo[] = [];
  const showMembers = (): void => {
    const setRole = client.role === 'owner' ? (memberId: string, role: 'viewer' | 'writer') => client.setMemberRole(memberId, role) : undefined;
    renderMembers(members, client.memberId, setRole);
  };

  const applyRole = (role: Role | undefined): void => {
    ui.roleBadge.textContent = role ?? '—';
    if (role === undefined) {
      delete ui.roleBadge.dataset.role;
      delete document.body.dataset.role;
    } else {
      ui.roleBadge.dataset.role = role;
      document.body.dataset.role = role;
    }
    view.setInputEnabled(canWrite(role) && !client.exited);
    if (role === 'owner') ownerResize.schedule();
    showMembers();
  };

  const applyState = (state: ConnectionState): void => {
    // Catching up is a kind of connected: the stream is held back until a fresh screen arrives.
    const catchingUp = state === 'connected' && client.catchingUp;
    ui.connection.textContent = catchingUp ? CATCHING_UP_LABEL : CONNECTION_LABELS[state];
    ui.connection.dataset.state = catchingUp ? 'catching-up' : state;
    document.body.dataset.connection = ui.connection.dataset.state;
  };

  applyState(client.state);
  applyRole(client.role);

  view.onInput((data) => client.sendInput(data));
  view.onTitle((title) => {
    ui.termTitle.textContent = title;
    document.title = title.length > 0 ? `${title} · ttyroom` : `${ui.roomName.textContent ?? roomId} · ttyroom`;
  });
  view.onAreaChange(() => ownerResize.schedule());

  client.onState(applyState);
  client.onCatchingUp(() => applyState(client.state));
  client.onRole(applyRole);
  let focusedOnce = false;
  client.onJoined(() => {
    if (client.role === 'owner') ownerResize.schedule();
    if (!focusedOnce && canWrite(client.role)) {
      focusedOnce = true;
      view.focus();
    }
  });
  client.onJoinFailed((failure: JoinFailure) => {
    if (failure.code === 'not-found') {
      showBanner('No such room, or this link is not valid.', 'error');
    } else if (failure.code === 'forbidden' || failure.code === 'bad-request' || failure.code === 'conflict') {
      showBanner(failure.message, 'error');
    } else {
      showNotice(failure.message);
    }
  });
  client.onMembers((list) => {
    members = list;
    showMembers();
  });
  client.onExit((exit) => {
    showBanner(describeExit(exit), 'info');
    view.setInputEnabled(false);
    document.body.dataset.exited = 'true';
  });
  client.onError((error) => {
    // The server disconnects us right after; say why for good rather than as a passing notice.
    if (error.code === 'revoked') showBanner('Your access to this room was revoked or has expired.', 'error');
    else showNotice(error.message);
  });
  // A closing warning stays up until withdrawn or replaced by the exit banner; a withdrawal is a passing notice.
  client.onNotice((notice) => {
    if (client.exited) return;
    if (notice.code === 'idle-cleared') {
      if (ui.banner.dataset.notice === 'idle-warning') ui.banner.hidden = true;
      showNotice(notice.message);
      return;
    }
    // Nothing for the member to do about a rebuilt screen: a passing notice, not a banner that stays.
    if (notice.code === 'mirror-restarted') {
      showNotice(notice.message);
      return;
    }
    showBanner(describeNotice(notice), 'info');
    ui.banner.dataset.notice = notice.code;
  });

  const viewerLink = (): string => `${location.origin}/r/${encodeURIComponent(roomId)}`;
  setupCopyButton(ui.copyView, viewerLink);
  if (writeToken !== undefined) {
    ui.copyWrite.hidden = false;
    setupCopyButton(ui.copyWrite, () => `${viewerLink()}#token=${encodeURIComponent(writeToken)}`);
  }

  // The fallback field stays up only while it may still be needed for Ctrl+C.
  listen(ui.copyFallback, 'blur', () => {
    ui.copyFallback.hidden = true;
  });
  listen(ui.membersButton, 'click', () => setMembersPanelOpen(ui.membersPanel.hidden));
  listen(document, 'keydown', (event) => {
    if (event.key === 'Escape' && !ui.membersPanel.hidden) setMembersPanelOpen(false);
  });
  listen(document, 'click', (event) => {
    const target = event.target;
    if (ui.membersPanel.hidden || !(target instanceof Node)) return;
    if (!ui.membersPanel.contains(target) && !ui.membersButton.contains(target)) setMembersPanelOpen(false);
  });
  ui.nameInput.maxLength = PayloadLimits.MaxNameLength;
  listen(ui.nameForm, 'submit', (event) => {
    event.preventDefault();
    const name = sanitizeName(ui.nameInput.value);
    saveName(name);
    setMembersPanelOpen(false);
    client.rename(name);
  });
  // Nothing is disposed on unload: these live as long as the page, and the browser closes the socket.
}

main();
