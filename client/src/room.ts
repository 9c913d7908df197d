// Room page entry: reads the room and capability from the URL, connects RoomClient to TerminalView, and keeps
// the page up to date: header (name, role, connection), toolbar, member and chat panels (drawers on phones),
// share, settings, view and curtain dialogs, overlays, bookmarks and rewind, typing strip, key bar, and the browser-test hook.

import { formatTelemetry } from './telemetry.js';
import { io } from 'socket.io-client';
import type { ExitPayload, MemberInfo, NoticePayload, Role, RoomSettings } from '../../server/shared/events.js';
import { PayloadLimits } from '../../server/shared/limits.js';
import { parseId, sanitizeName } from '../../server/shared/validate.js';
import { getRoom, mintViewerLink } from './api.js';
import { ChatPanel } from './chatPanel.js';
import { copyText } from './clipboard.js';
import { Debouncer, listen } from './disposable.js';
import { KeyBar } from './keyBar.js';
import { RewindPanel } from './rewindPanel.js';
import { describeRemaining, displayName, handQueue, renderPanel, tickCountdowns, type MemberActions } from './memberPanel.js';
import { qrSvg } from './qr.js';
import { canWrite, type ConnectionState, type JoinFailure, RoomClient, type RoomSocket } from '../../server/shared/roomClient.js';
import { findOwnedRoom, forgetOwnedRoom, loadName, loadPrefs, rememberOwnedRoom, saveName, savePrefs } from './storage.js';
import { replayUrl } from './replayMarkers.js';
import { TerminalLook, TerminalView } from './terminalView.js';
import { applyPageTheme, preferredTheme, type ThemeName } from './theme.js';
import { TransferPanel } from './transferPanel.js';
import { ZmodemTransfers } from './zmodemTransfer.js';
import { parseTransferState } from '../../server/shared/serverPayloads.js';

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
  readonly memberId: string | undefined;
  readonly waiting: boolean;
  /** The rewind overlay is open (the live terminal keeps running under it). */
  readonly rewinding: boolean;
}

declare global {
  interface Window {
    ttyroom?: TtyroomTestHook;
  }
}

/** UI timing, in milliseconds. */
const UiTiming = {
  /**
   * A size proposal waits for the window to settle: a drag fires dozens of resize events, and each PTY resize
   * makes the program and every member redraw.
   */
  ResizeDebounceMs: 150,
  /** Long enough to read a one-line notice. */
  NoticeMs: 4_000,
  /** How long a copy button says "Copied". */
  CopiedMs: 1_500,
  /**
   * How long "X is typing" stays after X's last announced keystroke: the server announces at most every
   * TypingPacing.MinIntervalMs (500 ms), so this bridges two announcements and a little jitter.
   */
  TypingShownMs: 1_500,
  /** Grant countdowns tick once a second. */
  CountdownMs: 1_000,
  /** A refusal within this long after a chat message was sent is about that message. */
  ChatErrorWindowMs: 2_000,
} as const;

/** Narrower than this (CSS px), the side panels are drawers over the terminal, one at a time. */
const DRAWER_QUERY = '(max-width: 760px)';

const CONNECTION_LABELS: Readonly<Record<ConnectionState, string>> = {
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  disconnected: 'disconnected',
};

/** Shown while the server holds our stream back because this tab fell behind (a fresh screen follows). */
const CATCHING_UP_LABEL = 'catching up…';

/** Final refusals: the page cannot do anything about them but say so. */
const FINAL_ERRORS: Readonly<Record<string, string>> = {
  kicked: 'The owner removed you from this room.',
  denied: 'The owner did not let you in.',
  locked: 'This room is locked: nobody new can join.',
  revoked: 'Your access to this room was revoked or has expired.',
};

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
    case 'host-gone':
      return 'The remote host stopped answering: the connection was lost.';
    case 'auth-failed':
      return 'The remote host refused the sign-in.';
    case 'connection-closed':
      return 'The connection to the remote host was closed.';
    case 'node-lost':
      return 'The server that ran this room stopped answering: the room is gone.';
    case 'exited':
      return exit.signal !== undefined
        ? `Process ended by ${exit.signal}.`
        : `Process exited with code ${exit.exitCode}.`;
  }
}

/** A warning with a closing time says when, in the reader's local time. */
function describeNotice(notice: NoticePayload): string {
  if (notice.closesAt === undefined) return notice.message;
  const at = new Date(notice.closesAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return `${notice.message} (closes at ${at})`;
}

function isTouchDevice(): boolean {
  return navigator.maxTouchPoints > 0 || window.matchMedia('(pointer: coarse)').matches;
}

const ui = {
  roomName: element('room-name', HTMLElement),
  termTitle: element('term-title', HTMLElement),
  roomBadges: element('room-badges', HTMLElement),
  telemetry: element('telemetry', HTMLElement),
  roleBadge: element('role-badge', HTMLElement),
  connection: element('connection', HTMLElement),
  handButton: element('hand-button', HTMLButtonElement),
  curtainButton: element('curtain-button', HTMLButtonElement),
  membersButton: element('members-button', HTMLButtonElement),
  membersCount: element('members-count', HTMLElement),
  membersAlert: element('members-alert', HTMLElement),
  chatButton: element('chat-button', HTMLButtonElement),
  chatUnread: element('chat-unread', HTMLElement),
  shareButton: element('share-button', HTMLButtonElement),
  settingsButton: element('settings-button', HTMLButtonElement),
  viewButton: element('view-button', HTMLButtonElement),
  banner: element('banner', HTMLElement),
  notice: element('notice', HTMLElement),
  terminalHost: element('terminal-host', HTMLElement),
  curtainOverlay: element('curtain-overlay', HTMLElement),
  waitingOverlay: element('waiting-overlay', HTMLElement),
  fitToggle: element('fit-toggle', HTMLButtonElement),
  searchBar: element('search-bar', HTMLElement),
  searchInput: element('search-input', HTMLInputElement),
  searchPrev: element('search-prev', HTMLButtonElement),
  searchNext: element('search-next', HTMLButtonElement),
  searchClose: element('search-close', HTMLButtonElement),
  searchStatus: element('search-status', HTMLElement),
  membersPanel: element('members-panel', HTMLElement),
  membersClose: element('members-close', HTMLButtonElement),
  waitingSection: element('waiting-section', HTMLElement),
  waitingList: element('waiting-list', HTMLUListElement),
  handsSection: element('hands-section', HTMLElement),
  handList: element('hand-list', HTMLOListElement),
  grantLengthRow: element('grant-length-row', HTMLElement),
  grantMinutes: element('grant-minutes', HTMLSelectElement),
  membersList: element('members-list', HTMLUListElement),
  nameForm: element('name-form', HTMLFormElement),
  nameInput: element('name-input', HTMLInputElement),
  chatPanel: element('chat-panel', HTMLElement),
  chatClose: element('chat-close', HTMLButtonElement),
  chatLog: element('chat-log', HTMLOListElement),
  chatEmpty: element('chat-empty', HTMLElement),
  chatOff: element('chat-off', HTMLElement),
  chatForm: element('chat-form', HTMLFormElement),
  chatInput: element('chat-input', HTMLInputElement),
  chatSend: element('chat-send', HTMLButtonElement),
  chatError: element('chat-error', HTMLElement),
  backdrop: element('drawer-backdrop', HTMLElement),
  typing: element('typing', HTMLElement),
  lastTyped: element('last-typed', HTMLElement),
  grantStatus: element('grant-status', HTMLElement),
  keyBar: element('key-bar', HTMLElement),
  shareDialog: element('share-dialog', HTMLDialogElement),
  copyView: element('copy-view', HTMLButtonElement),
  copyWrite: element('copy-write', HTMLButtonElement),
  showQr: element('show-qr', HTMLButtonElement),
  qrBox: element('qr-box', HTMLElement),
  qrCode: element('qr-code', HTMLElement),
  qrCaption: element('qr-caption', HTMLElement),
  shareError: element('share-error', HTMLElement),
  copyFallback: element('copy-fallback', HTMLInputElement),
  settingsDialog: element('settings-dialog', HTMLDialogElement),
  settingsForm: element('settings-form', HTMLFormElement),
  setLocked: element('set-locked', HTMLInputElement),
  setApproval: element('set-approval', HTMLInputElement),
  setChat: element('set-chat', HTMLInputElement),
  setRecord: element('set-record', HTMLInputElement),
  replayLink: element('replay-link', HTMLAnchorElement),
  viewDialog: element('view-dialog', HTMLDialogElement),
  fontSmaller: element('font-smaller', HTMLButtonElement),
  fontLarger: element('font-larger', HTMLButtonElement),
  fontSize: element('font-size', HTMLOutputElement),
  viewFit: element('view-fit', HTMLInputElement),
  viewReader: element('view-reader', HTMLInputElement),
  openSearch: element('open-search', HTMLButtonElement),
  liftDialog: element('lift-dialog', HTMLDialogElement),
  liftClear: element('lift-clear', HTMLInputElement),
  liftConfirm: element('lift-confirm', HTMLButtonElement),
  rewindButton: element('rewind-button', HTMLButtonElement),
  bookmarkCount: element('bookmark-count', HTMLElement),
  bookmarkButton: element('bookmark-button', HTMLButtonElement),
  bookmarkForm: element('bookmark-form', HTMLFormElement),
  bookmarkInput: element('bookmark-input', HTMLInputElement),
  bookmarkCancel: element('bookmark-cancel', HTMLButtonElement),
  rewindOverlay: element('rewind-overlay', HTMLElement),
  rewindStatus: element('rewind-status', HTMLElement),
  rewindStage: element('rewind-stage', HTMLElement),
  rewindPlayer: element('rewind-player', HTMLElement),
  rewindMarks: element('rewind-marks', HTMLOListElement),
  rewindBack: element('rewind-back', HTMLButtonElement),
  transfer: {
    panel: element('transfer-panel', HTMLElement),
    title: element('transfer-title', HTMLElement),
    detail: element('transfer-detail', HTMLElement),
    progress: element('transfer-progress', HTMLProgressElement),
    save: element('transfer-save', HTMLButtonElement),
    skip: element('transfer-skip', HTMLButtonElement),
    choose: element('transfer-choose', HTMLButtonElement),
    files: element('transfer-files', HTMLInputElement),
    cancel: element('transfer-cancel', HTMLButtonElement),
  },
};

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

function setupCopyButton(button: HTMLButtonElement, link: () => Promise<string>): void {
  const label = button.textContent ?? '';
  const resetLabel = new Debouncer(UiTiming.CopiedMs, () => {
    button.textContent = label;
  });
  listen(button, 'click', () => {
    ui.shareError.hidden = true;
    void link()
      .then((url) => copyText(url, ui.copyFallback))
      .then((copied) => {
        button.textContent = copied ? 'Copied' : 'Press Ctrl+C';
        resetLabel.schedule();
      })
      .catch((error: unknown) => {
        ui.shareError.textContent = error instanceof Error ? error.message : String(error);
        ui.shareError.hidden = false;
      });
  });
}

/** Every dialog closes with its Close/Cancel buttons (Escape is the browser's, for modal dialogs). */
function wireDialogs(): void {
  for (const dialog of document.querySelectorAll('dialog')) {
    for (const close of dialog.querySelectorAll<HTMLButtonElement>('.dialog-close')) {
      listen(close, 'click', () => dialog.close());
    }
    // A click on the backdrop (the dialog element itself, outside its box) closes it too.
    listen(dialog, 'click', (event) => {
      if (event.target === dialog) dialog.close();
    });
  }
}

/** The side panels: columns beside the terminal on wide screens, one drawer at a time on narrow ones. */
class Panels {
  private readonly drawerQuery = window.matchMedia(DRAWER_QUERY);
  private readonly openEmitterListeners: Array<() => void> = [];

  constructor(private readonly panels: Array<{ panel: HTMLElement; button: HTMLButtonElement; close: HTMLButtonElement }>) {
    for (const { panel, button, close } of panels) {
      listen(button, 'click', () => this.set(panel, panel.hidden));
      listen(close, 'click', () => {
        this.set(panel, false);
        button.focus();
      });
    }
    listen(ui.backdrop, 'click', () => this.closeDrawers());
    listen(document, 'keydown', (event) => {
      if (event.key !== 'Escape' || document.querySelector('dialog[open]') !== null) return;
      const open = this.panels.find(({ panel }) => !panel.hidden && panel.contains(document.activeElement));
      const target = open ?? (this.isDrawer ? this.panels.find(({ panel }) => !panel.hidden) : undefined);
      if (target === undefined) return;
      this.set(target.panel, false);
      target.button.focus();
    });
    this.drawerQuery.addEventListener('change', () => this.sync());
  }

  get isDrawer(): boolean {
    return this.drawerQuery.matches;
  }

  onChange(listener: () => void): void {
    this.openEmitterListeners.push(listener);
  }

  isOpen(panel: HTMLElement): boolean {
    return !panel.hidden;
  }

  set(panel: HTMLElement, open: boolean): void {
    if (open && this.isDrawer) {
      for (const other of this.panels) if (other.panel !== panel) other.panel.hidden = true;
    }
    panel.hidden = !open;
    this.sync();
    if (open) {
      // Into the panel, so keyboard and screen-reader users land where they asked to go.
      const first = panel.querySelector<HTMLElement>('input:not([disabled]), button:not([disabled])');
      if (this.isDrawer || panel === ui.chatPanel) (panel === ui.chatPanel && !ui.chatInput.disabled ? ui.chatInput : first)?.focus();
    }
    for (const listener of this.openEmitterListeners) listener();
  }

  private closeDrawers(): void {
    for (const { panel } of this.panels) panel.hidden = true;
    this.sync();
    for (const listener of this.openEmitterListeners) listener();
  }

  private sync(): void {
    let anyOpen = false;
    for (const { panel, button } of this.panels) {
      button.setAttribute('aria-expanded', String(!panel.hidden));
      anyOpen ||= !panel.hidden;
    }
    ui.backdrop.hidden = !(this.isDrawer && anyOpen);
    document.body.dataset.panels = this.panels.filter(({ panel }) => !panel.hidden).map(({ panel }) => panel.id).join(' ');
  }
}

function main(): void {
  const roomId = readRoomId();
  wireDialogs();
  if (roomId === undefined) {
    document.body.dataset.connection = 'disconnected';
    showBanner('This address does not name a room.', 'error');
    return;
  }
  const capability = readCapability();
  let token = capability.token;
  const writeToken = capability.writeToken;

  ui.roomName.textContent = roomId;
  let roomIsPrivate = findOwnedRoom(roomId)?.private === true;
  getRoom(roomId, token)
    .then((room) => {
      ui.roomName.textContent = room.name.length > 0 ? room.name : roomId;
      if (ui.termTitle.textContent === '') document.title = `${ui.roomName.textContent} · ttyroom`;
    })
    .catch(() => {
      // The id stays in the header; whether the room exists is the join's to say.
    });

  const prefs = loadPrefs();
  const view = new TerminalView(ui.terminalHost);
  const applyTheme = (theme: ThemeName): void => {
    applyPageTheme(theme);
    view.setTheme(theme);
    for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="theme"]')) radio.checked = radio.value === theme;
  };
  applyTheme(preferredTheme());
  if (prefs.fontSize !== undefined) view.setFontSize(prefs.fontSize);
  if (prefs.fitWhole === true) view.setFitWhole(true);
  if (prefs.screenReader === true) view.setScreenReaderMode(true);

  // WebSocket only: browsers send Origin on the upgrade but not on same-origin polling GETs, and without
  // an Origin the server ignores the session cookie (A5 in docs/properties.md). A capability goes in the handshake.
  const socket: RoomSocket = io({ path: '/socket.io', transports: ['websocket'], auth: token === undefined ? {} : { token } });
  socket.on('connect_error', (error: Error) => {
    if (error.message !== 'unauthorized') return;
    // No link capability and not signed in: sign in, then come back here.
    if (token === undefined) location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    else showBanner('This link is not accepted here; sign in or ask for a new link.', 'error');
  });
  const client = new RoomClient(socket, view, { roomId, token, name: loadName(), transfers: true });
  // sz and rz in the room: offered to us when we typed them and hold the keyboard (README, File transfer).
  let transfers: ZmodemTransfers | undefined;
  const transferPanel = new TransferPanel(ui.transfer, () => transfers?.cancel(), showNotice);
  transfers = new ZmodemTransfers(socket, transferPanel);
  socket.on('room:transfer', (payload: unknown) => {
    const state = parseTransferState(payload);
    if (state) transferPanel.roomTransfer(state, client.memberId);
  });
  socket.on('disconnect', () => transferPanel.disconnected());
  const chat = new ChatPanel({
    log: ui.chatLog,
    empty: ui.chatEmpty,
    off: ui.chatOff,
    form: ui.chatForm,
    input: ui.chatInput,
    send: ui.chatSend,
    error: ui.chatError,
  });
  const panels = new Panels([
    { panel: ui.membersPanel, button: ui.membersButton, close: ui.membersClose },
    { panel: ui.chatPanel, button: ui.chatButton, close: ui.chatClose },
  ]);
  // Wide screens start with the member list open; phones keep the terminal whole.
  if (!panels.isDrawer) panels.set(ui.membersPanel, true);

  const rewind = new RewindPanel(
    { overlay: ui.rewindOverlay, stage: ui.rewindStage, status: ui.rewindStatus, playerHost: ui.rewindPlayer, list: ui.rewindMarks, back: ui.rewindBack },
    { roomId, ticket: () => client.rewindTicket() },
  );

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
    get memberId() {
      return client.memberId;
    },
    get waiting() {
      return client.waiting;
    },
    get rewinding() {
      return rewind.isOpen;
    },
  });
  window.ttyroom = hook;

  const proposeSize = new Debouncer(UiTiming.ResizeDebounceMs, () => {
    if (!client.mayResize) return;
    const size = view.proposeSize();
    if (size !== undefined) client.requestResize(size);
  });

  // ---- members, hands, floor ----
  let members: MemberInfo[] = [];
  let settings: RoomSettings | undefined;
  let curtainDown = false;
  let curtainAudience = new Set<string>();
  const lastTyping = new Map<string, number>();

  const memberById = (id: string): MemberInfo | undefined => members.find((member) => member.id === id);
  const grantMinutes = (): number => Number(ui.grantMinutes.value) || 2;

  const actions: MemberActions = {
    grant: (memberId, seconds) => client.setMemberRole(memberId, 'writer', seconds),
    takeBack: (memberId) => client.setMemberRole(memberId, 'viewer'),
    makeOwner: (memberId) => client.handOver(memberId),
    remove: (memberId) => client.kick(memberId),
    deny: (memberId) => client.lowerHand(memberId),
    admit: (memberId, allow) => client.admit(memberId, allow),
    setSeesThroughCurtain: (memberId, sees) => {
      if (sees) curtainAudience.add(memberId);
      else curtainAudience.delete(memberId);
      client.setCurtain({ down: true, audience: [...curtainAudience] });
      showMembers();
    },
  };

  const showMembers = (): void => {
    const present = members.filter((member) => member.state !== 'waiting');
    ui.membersCount.textContent = String(present.length);
    const owner = client.role === 'owner';
    const hands = handQueue(present).length;
    const waiting = members.length - present.length;
    // The owner's attention: someone raised a hand or waits at the door.
    ui.membersAlert.hidden = !owner || hands + waiting === 0;
    ui.membersButton.setAttribute(
      'aria-label',
      `Members, ${present.length}${owner && hands > 0 ? `, ${hands} raised ${hands === 1 ? 'hand' : 'hands'}` : ''}${owner && waiting > 0 ? `, ${waiting} waiting to join` : ''}`,
    );
    renderPanel(
      {
        list: ui.membersList,
        handsSection: ui.handsSection,
        handList: ui.handList,
        waitingSection: ui.waitingSection,
        waitingList: ui.waitingList,
        grantLengthRow: ui.grantLengthRow,
      },
      {
        members,
        selfId: client.memberId,
        selfRole: client.role,
        settings,
        curtainAudience: curtainDown && owner ? curtainAudience : undefined,
        grantMinutes: grantMinutes(),
      },
      actions,
    );
    const self = client.memberId === undefined ? undefined : memberById(client.memberId);
    // A signed-in name comes from the sign-in; there is nothing to choose.
    ui.nameForm.hidden = self?.signedIn === true;
    showHand(self);
    showGrant();
  };

  const showHand = (self: MemberInfo | undefined): void => {
    const viewer = client.role === 'viewer' && !client.waiting && !client.exited;
    ui.handButton.hidden = !viewer;
    const raised = self?.hand === true;
    ui.handButton.textContent = raised ? 'Lower hand' : 'Raise hand';
    ui.handButton.setAttribute('aria-pressed', String(raised));
  };

  const showGrant = (): void => {
    const until = client.grantUntil;
    ui.grantStatus.textContent = until !== undefined && client.role === 'writer' ? `You have the keyboard: ${describeRemaining(until)}` : '';
  };

  // Countdowns run only while a grant is shown; a timer per second costs nothing next to the terminal.
  setInterval(() => {
    tickCountdowns(ui.membersPanel);
    showGrant();
  }, UiTiming.CountdownMs);

  listen(ui.handButton, 'click', () => {
    const self = client.memberId === undefined ? undefined : memberById(client.memberId);
    if (self?.hand === true) client.lowerHand();
    else client.raiseHand();
  });
  listen(ui.grantMinutes, 'change', () => showMembers());

  // ---- typing ----
  const typingTimer = new Debouncer(UiTiming.TypingShownMs, () => showTyping());
  const showTyping = (): void => {
    const now = Date.now();
    const typing = [...lastTyping.entries()].filter(([, at]) => now - at < UiTiming.TypingShownMs).map(([id]) => id);
    const parts = typing.map((id) => {
      const span = document.createElement('span');
      const member = memberById(id);
      span.className = 'typing-name';
      span.style.color = member?.colour ?? 'inherit';
      span.textContent = member === undefined ? 'someone' : displayName(member);
      return span;
    });
    if (parts.length === 0) {
      ui.typing.replaceChildren();
    } else {
      const nodes: Array<Node | string> = [];
      parts.forEach((part, index) => {
        if (index > 0) nodes.push(', ');
        nodes.push(part);
      });
      nodes.push(parts.length === 1 ? ' is typing' : ' are typing');
      ui.typing.replaceChildren(...nodes);
    }
    let lastId: string | undefined;
    let lastAt = -Infinity;
    for (const [id, at] of lastTyping) {
      if (at > lastAt) {
        lastAt = at;
        lastId = id;
      }
    }
    const last = lastId === undefined ? undefined : memberById(lastId);
    if (last === undefined || typing.includes(last.id)) {
      if (typing.length === 0 && last === undefined) ui.lastTyped.replaceChildren();
      else if (typing.length > 0) ui.lastTyped.replaceChildren();
      return;
    }
    const name = document.createElement('span');
    name.className = 'typing-name';
    name.style.color = last.colour;
    name.textContent = displayName(last);
    ui.lastTyped.replaceChildren('last typed: ', name);
  };
  client.onTyping((memberId) => {
    lastTyping.set(memberId, Date.now());
    showTyping();
    typingTimer.schedule();
  });

  // ---- role, state, settings, curtain ----
  const keyBar = new KeyBar(ui.keyBar);
  keyBar.onKey((data) => {
    client.sendInput(data);
    view.focus();
  });
  const touch = isTouchDevice();

  const applyRole = (role: Role | undefined): void => {
    ui.roleBadge.textContent = role ?? '—';
    if (role === undefined) {
      delete ui.roleBadge.dataset.role;
      delete document.body.dataset.role;
    } else {
      ui.roleBadge.dataset.role = role;
      document.body.dataset.role = role;
    }
    const writes = canWrite(role) && !client.exited && !client.waiting;
    view.setInputEnabled(writes);
    ui.keyBar.hidden = !(writes && touch);
    const owner = role === 'owner';
    ui.curtainButton.hidden = !owner;
    ui.settingsButton.hidden = !owner;
    if (!owner && ui.settingsDialog.open) ui.settingsDialog.close();
    ui.copyWrite.hidden = !(owner && writeToken !== undefined);
    proposeSize.schedule();
    showMembers();
  };

  const applyState = (state: ConnectionState): void => {
    // Catching up is a kind of connected: the stream is held back until a fresh screen arrives.
    const catchingUp = state === 'connected' && client.catchingUp;
    ui.connection.textContent = catchingUp ? CATCHING_UP_LABEL : CONNECTION_LABELS[state];
    ui.connection.dataset.state = catchingUp ? 'catching-up' : state;
    document.body.dataset.connection = ui.connection.dataset.state;
  };

  const showBadges = (): void => {
    const badges: HTMLElement[] = [];
    const badge = (text: string, kind: string): void => {
      const span = document.createElement('span');
      span.className = 'badge room-badge';
      span.dataset.kind = kind;
      span.textContent = text;
      badges.push(span);
    };
    if (settings?.record === true) badge('recording', 'recording');
    if (settings?.locked === true) badge('locked', 'locked');
    if (settings?.approval === true) badge('approval', 'approval');
    if (curtainDown) badge('curtain', 'curtain');
    ui.roomBadges.replaceChildren(...badges);
  };

  const applySettings = (next: RoomSettings): void => {
    settings = next;
    ui.setLocked.checked = next.locked;
    ui.setApproval.checked = next.approval;
    ui.setChat.checked = next.chat;
    ui.setRecord.checked = next.record;
    for (const radio of ui.settingsForm.querySelectorAll<HTMLInputElement>('input[type="radio"]')) {
      radio.checked = radio.name === 'floor' ? radio.value === next.floor : radio.value === next.resize;
    }
    chat.setEnabled(next.chat);
    showBadges();
    proposeSize.schedule();
    showMembers();
  };

  const applyCurtain = (down: boolean, sees: boolean): void => {
    const wasDown = curtainDown;
    curtainDown = down;
    if (!down) curtainAudience = new Set();
    else if (!wasDown && client.role !== 'owner') curtainAudience = new Set();
    ui.curtainOverlay.hidden = !(down && !sees);
    document.body.dataset.curtain = down ? (sees ? 'sees' : 'hidden') : 'up';
    ui.curtainButton.textContent = down ? 'Lift curtain' : 'Lower curtain';
    ui.curtainButton.setAttribute('aria-pressed', String(down));
    if (down && sees && client.role !== 'owner') showNotice('The curtain is down: the owner lets you see the screen, the others do not.');
    showBadges();
    showMembers();
  };

  const applyWaiting = (waiting: boolean): void => {
    ui.waitingOverlay.hidden = !waiting;
    document.body.dataset.waiting = String(waiting);
    applyRole(client.role);
  };

  applyState(client.state);
  applyRole(client.role);

  view.onInput((data) => client.sendInput(keyBar.apply(data)));
  view.onTitle((title) => {
    ui.termTitle.textContent = title;
    document.title = title.length > 0 ? `${title} · ttyroom` : `${ui.roomName.textContent ?? roomId} · ttyroom`;
  });
  view.onAreaChange(() => proposeSize.schedule());
  view.onLayout((layout) => {
    ui.fitToggle.hidden = !layout.tooWide;
    ui.fitToggle.setAttribute('aria-pressed', String(view.fitWhole));
    ui.fitToggle.textContent = view.fitWhole ? 'Readable size' : 'Fit whole screen';
    ui.fitToggle.setAttribute('aria-label', view.fitWhole ? 'Show at readable size' : 'Fit whole screen');
    document.body.dataset.panning = String(layout.panning);
  });

  client.onState(applyState);
  client.onCatchingUp(() => applyState(client.state));
  client.onRole(applyRole);
  client.onWaiting(applyWaiting);
  client.onSettings(applySettings);
  // Shown from the first sample on; the server samples only while someone watches, every few seconds.
  client.onTelemetry((sample) => {
    ui.telemetry.textContent = formatTelemetry(sample);
    ui.telemetry.hidden = false;
  });
  client.onCurtain((curtain) => applyCurtain(curtain.down, curtain.sees === true));
  let focusedOnce = false;
  client.onJoined(() => {
    proposeSize.schedule();
    if (client.role === 'owner' && token !== undefined && writeToken !== undefined) {
      // The room page is where an owner link lands: remember it for "Your rooms" in the lobby.
      rememberOwnedRoom({ id: roomId, name: ui.roomName.textContent ?? roomId, ownerUrl: location.href });
    }
    if (!focusedOnce && canWrite(client.role)) {
      focusedOnce = true;
      view.focus();
    }
  });
  client.onJoinFailed((failure: JoinFailure) => {
    const final = FINAL_ERRORS[failure.code];
    if (final !== undefined) {
      showBanner(final, 'error');
    } else if (failure.code === 'not-found') {
      showBanner('No such room, or this link is not valid.', 'error');
      if (token !== undefined && findOwnedRoom(roomId)?.ownerUrl.includes(token) === true) forgetOwnedRoom(roomId);
    } else if (failure.code === 'forbidden' || failure.code === 'bad-request' || failure.code === 'conflict') {
      showBanner(failure.message, 'error');
    } else {
      showNotice(failure.message);
    }
  });
  client.onMembers((list) => {
    const previous = new Set(members.filter((member) => member.hand).map((member) => member.id));
    const waitingBefore = new Set(members.filter((member) => member.state === 'waiting').map((member) => member.id));
    members = list;
    if (client.role === 'owner') {
      const raised = list.filter((member) => member.hand && !previous.has(member.id));
      const arrived = list.filter((member) => member.state === 'waiting' && !waitingBefore.has(member.id));
      if (raised.length > 0) showNotice(`${raised.map(displayName).join(', ')} raised a hand.`);
      if (arrived.length > 0) showNotice(`${arrived.map(displayName).join(', ')} asks to join.`);
    }
    showMembers();
  });
  client.onCredential((newToken) => {
    // We are the owner now: this token is our way back in, so it replaces the link we came with.
    token = newToken;
    client.useToken(newToken);
    socket.auth = { token: newToken };
    const ownerUrl = `${location.origin}/r/${encodeURIComponent(roomId)}#token=${encodeURIComponent(newToken)}`;
    history.replaceState(null, '', ownerUrl);
    rememberOwnedRoom({ id: roomId, name: ui.roomName.textContent ?? roomId, ownerUrl });
    showNotice('You are now the owner of this room. Your owner link is saved in this browser.');
  });
  let wasOwner = false;
  client.onRole((role) => {
    // A hand-over away from us ends our owner link; the lobby should not offer it any more.
    if (role !== 'owner' && token !== undefined && findOwnedRoom(roomId)?.ownerUrl.includes(token) === true) forgetOwnedRoom(roomId);
    // Only a hand-over takes the owner role away, and it revokes the owner link we came with: later joins (a
    // reconnect) use the writer link that came with it, so we come back as the writer we now are.
    if (wasOwner && role !== 'owner' && writeToken !== undefined) {
      token = writeToken;
      client.useToken(writeToken);
      socket.auth = { token: writeToken };
      history.replaceState(null, '', `${location.origin}/r/${encodeURIComponent(roomId)}#token=${encodeURIComponent(writeToken)}`);
    }
    wasOwner = role === 'owner';
  });
  client.onExit((exit) => {
    showBanner(describeExit(exit), 'info');
    view.setInputEnabled(false);
    ui.keyBar.hidden = true;
    document.body.dataset.exited = 'true';
    showMembers();
  });
  let chatSentAt = -Infinity;
  client.onError((error) => {
    const final = FINAL_ERRORS[error.code];
    // The server disconnects us right after; say why for good rather than as a passing notice.
    if (final !== undefined) {
      showBanner(final, 'error');
      ui.waitingOverlay.hidden = true;
      return;
    }
    if (Date.now() - chatSentAt < UiTiming.ChatErrorWindowMs && (error.code === 'rate-limited' || error.code === 'forbidden' || error.code === 'bad-request')) {
      chat.showError(error.code === 'rate-limited' ? 'Slow down: wait a moment before the next message.' : error.message);
      return;
    }
    showNotice(error.message);
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

  // ---- chat ----
  let unread = 0;
  const showUnread = (): void => {
    ui.chatUnread.hidden = unread === 0;
    ui.chatUnread.textContent = String(unread);
    ui.chatButton.setAttribute('aria-label', unread === 0 ? 'Chat' : `Chat, ${unread} unread`);
  };
  client.onChat((message) => {
    chat.add(message, client.memberId);
    if (!panels.isOpen(ui.chatPanel) && message.memberId !== client.memberId) {
      unread += 1;
      showUnread();
    }
  });
  panels.onChange(() => {
    if (panels.isOpen(ui.chatPanel)) {
      unread = 0;
      showUnread();
    }
    proposeSize.schedule();
  });
  listen(ui.chatForm, 'submit', (event) => {
    event.preventDefault();
    const text = ui.chatInput.value.trim();
    if (text.length === 0) return;
    chat.showError(undefined);
    if (client.sendChat(text)) {
      chatSentAt = Date.now();
      ui.chatInput.value = '';
    } else {
      chat.showError('Not connected: the message was not sent.');
    }
  });

  // ---- bookmarks and rewind ----
  let bookmarks = 0;
  client.onBookmark(({ bookmark, live }) => {
    bookmarks += 1;
    ui.bookmarkCount.textContent = String(bookmarks);
    ui.bookmarkCount.hidden = false;
    ui.rewindButton.setAttribute('aria-label', `Rewind, ${bookmarks} ${bookmarks === 1 ? 'bookmark' : 'bookmarks'}`);
    if (live) showNotice(`${bookmark.memberId === client.memberId ? 'You' : bookmark.name} bookmarked: ${bookmark.label}`);
  });
  const showBookmarkForm = (open: boolean): void => {
    ui.bookmarkForm.hidden = !open;
    ui.bookmarkButton.setAttribute('aria-expanded', String(open));
    if (open) {
      ui.bookmarkInput.focus();
    } else {
      ui.bookmarkInput.value = '';
      if (!rewind.isOpen) view.focus();
    }
  };
  ui.bookmarkInput.maxLength = PayloadLimits.MaxBookmarkLength;
  listen(ui.bookmarkButton, 'click', () => showBookmarkForm(ui.bookmarkForm.hidden));
  listen(ui.bookmarkCancel, 'click', () => showBookmarkForm(false));
  listen(ui.bookmarkInput, 'keydown', (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    showBookmarkForm(false);
  });
  listen(ui.bookmarkForm, 'submit', (event) => {
    event.preventDefault();
    if (ui.bookmarkInput.value.trim().length === 0) {
      ui.bookmarkInput.focus();
      return;
    }
    if (client.addBookmark(ui.bookmarkInput.value)) showBookmarkForm(false);
    else showNotice('Not connected: the bookmark was not added.');
  });
  const showRewind = (): void => {
    ui.rewindButton.setAttribute('aria-pressed', String(rewind.isOpen));
    document.body.dataset.rewind = String(rewind.isOpen);
  };
  listen(ui.rewindButton, 'click', () => {
    if (rewind.isOpen) {
      rewind.close();
      return;
    }
    void rewind.open();
    showRewind();
  });
  rewind.onClose(() => {
    showRewind();
    view.focus();
  });

  // ---- share ----
  const plainViewerLink = (): string => `${location.origin}/r/${encodeURIComponent(roomId)}`;
  let mintedViewerLink: string | undefined = findOwnedRoom(roomId)?.viewUrl;
  /**
   * A private room's plain link lets in only its allowed users, so its owner shares a minted viewer token
   * instead (once per room; kept with the room in "Your rooms").
   */
  const viewerLink = async (): Promise<string> => {
    if (!roomIsPrivate || client.role !== 'owner' || token === undefined) return plainViewerLink();
    if (mintedViewerLink !== undefined) return mintedViewerLink;
    const minted = await mintViewerLink(roomId, token);
    mintedViewerLink = minted;
    rememberOwnedRoom({ id: roomId, name: ui.roomName.textContent ?? roomId, ownerUrl: location.href, viewUrl: minted, private: true });
    return minted;
  };
  roomIsPrivate = findOwnedRoom(roomId)?.private === true;
  setupCopyButton(ui.copyView, viewerLink);
  setupCopyButton(ui.copyWrite, async () => `${plainViewerLink()}#token=${encodeURIComponent(writeToken ?? '')}`);
  listen(ui.shareButton, 'click', () => {
    ui.shareError.hidden = true;
    ui.shareDialog.showModal();
  });
  listen(ui.showQr, 'click', () => {
    const show = ui.qrBox.hidden;
    if (!show) {
      ui.qrBox.hidden = true;
      ui.showQr.textContent = 'Show QR code';
      ui.showQr.setAttribute('aria-expanded', 'false');
      return;
    }
    void viewerLink()
      .then((link) => {
        ui.qrCode.replaceChildren(qrSvg(link, 'QR code of the viewer link'));
        ui.qrCaption.textContent = link;
        ui.qrBox.hidden = false;
        ui.showQr.textContent = 'Hide QR code';
        ui.showQr.setAttribute('aria-expanded', 'true');
      })
      .catch((error: unknown) => {
        ui.shareError.textContent = error instanceof Error ? error.message : String(error);
        ui.shareError.hidden = false;
      });
  });
  // The fallback field stays up only while it may still be needed for Ctrl+C.
  listen(ui.copyFallback, 'blur', () => {
    ui.copyFallback.hidden = true;
  });

  // ---- owner: settings and curtain ----
  listen(ui.settingsButton, 'click', () => {
    // The owner link of now (a hand-over may have given us a new one), in the fragment as always.
    ui.replayLink.href = replayUrl(roomId, token);
    ui.settingsDialog.showModal();
  });
  listen(ui.setLocked, 'change', () => client.updateSettings({ locked: ui.setLocked.checked }));
  listen(ui.setApproval, 'change', () => client.updateSettings({ approval: ui.setApproval.checked }));
  listen(ui.setChat, 'change', () => client.updateSettings({ chat: ui.setChat.checked }));
  listen(ui.setRecord, 'change', () => client.updateSettings({ record: ui.setRecord.checked }));
  for (const radio of ui.settingsForm.querySelectorAll<HTMLInputElement>('input[type="radio"]')) {
    listen(radio, 'change', () => {
      if (!radio.checked) return;
      if (radio.name === 'floor' && (radio.value === 'driver' || radio.value === 'many')) client.updateSettings({ floor: radio.value });
      if (radio.name === 'resize' && (radio.value === 'owner' || radio.value === 'smallest' || radio.value === 'fixed')) {
        client.updateSettings({ resize: radio.value });
      }
    });
  }
  listen(ui.curtainButton, 'click', () => {
    if (!curtainDown) {
      curtainAudience = new Set();
      client.setCurtain({ down: true, audience: [] });
    } else {
      ui.liftClear.checked = true;
      ui.liftDialog.showModal();
    }
  });
  listen(ui.liftConfirm, 'click', () => {
    client.setCurtain({ down: false, clear: ui.liftClear.checked });
    ui.liftDialog.close();
  });

  // ---- view ----
  const showFont = (): void => {
    ui.fontSize.textContent = `${view.fontSize} px`;
    ui.fontSmaller.disabled = view.fontSize <= TerminalLook.MinReadableFontPx;
    ui.fontLarger.disabled = view.fontSize >= TerminalLook.MaxFontSize;
  };
  showFont();
  ui.viewFit.checked = view.fitWhole;
  ui.viewReader.checked = prefs.screenReader === true;
  listen(ui.viewButton, 'click', () => ui.viewDialog.showModal());
  listen(ui.fontSmaller, 'click', () => {
    view.setFontSize(view.fontSize - 1);
    savePrefs({ fontSize: view.fontSize });
    showFont();
  });
  listen(ui.fontLarger, 'click', () => {
    view.setFontSize(view.fontSize + 1);
    savePrefs({ fontSize: view.fontSize });
    showFont();
  });
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="theme"]')) {
    listen(radio, 'change', () => {
      if (!radio.checked || (radio.value !== 'dark' && radio.value !== 'light')) return;
      applyTheme(radio.value);
      savePrefs({ theme: radio.value });
    });
  }
  const setFit = (fit: boolean): void => {
    view.setFitWhole(fit);
    ui.viewFit.checked = fit;
    savePrefs({ fitWhole: fit });
  };
  listen(ui.viewFit, 'change', () => setFit(ui.viewFit.checked));
  listen(ui.fitToggle, 'click', () => setFit(!view.fitWhole));
  listen(ui.viewReader, 'change', () => {
    view.setScreenReaderMode(ui.viewReader.checked);
    savePrefs({ screenReader: ui.viewReader.checked });
  });

  const closeSearch = (): void => {
    ui.searchBar.hidden = true;
    view.clearSearch();
    view.focus();
  };
  const runSearch = (backwards: boolean): void => {
    const found = view.search(ui.searchInput.value, backwards);
    ui.searchStatus.textContent = ui.searchInput.value.length === 0 ? '' : found ? '' : 'No match';
  };
  listen(ui.openSearch, 'click', () => {
    ui.viewDialog.close();
    ui.searchBar.hidden = false;
    ui.searchInput.focus();
    ui.searchInput.select();
  });
  listen(ui.searchInput, 'keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      runSearch(event.shiftKey);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      closeSearch();
    }
  });
  listen(ui.searchPrev, 'click', () => runSearch(true));
  listen(ui.searchNext, 'click', () => runSearch(false));
  listen(ui.searchClose, 'click', closeSearch);

  // ---- name ----
  ui.nameInput.maxLength = PayloadLimits.MaxNameLength;
  ui.nameInput.value = loadName() ?? '';
  listen(ui.nameForm, 'submit', (event) => {
    event.preventDefault();
    const name = sanitizeName(ui.nameInput.value);
    saveName(name);
    ui.nameInput.value = name ?? '';
    client.rename(name);
    showNotice(name === undefined ? 'You appear as anonymous.' : `You appear as ${name}.`);
  });
  // Nothing is disposed on unload: these live as long as the page, and the browser closes the socket.
}

main();
