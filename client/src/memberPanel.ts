// The member panel: who is in the room (colour, name, role, hand, state, grant time left), the owner's hand
// queue and approval list, and the owner's actions on each member. Every name is shown with textContent.

import type { MemberInfo, MemberState, Role, RoomSettings } from '../../server/shared/events.js';
import { PayloadLimits } from '../../server/shared/limits.js';

/** What the owner can do from the panel; the page sends each one to the server. */
export interface MemberActions {
  grant(memberId: string, seconds?: number): void;
  takeBack(memberId: string): void;
  makeOwner(memberId: string): void;
  remove(memberId: string): void;
  deny(memberId: string): void;
  admit(memberId: string, allow: boolean): void;
  /** While the curtain is down: whether this writer still sees the terminal. */
  setSeesThroughCurtain(memberId: string, sees: boolean): void;
}

/** Members whose action row the owner opened; kept across redraws. */
const expanded = new Set<string>();

export interface PanelState {
  members: MemberInfo[];
  selfId: string | undefined;
  selfRole: Role | undefined;
  settings: RoomSettings | undefined;
  /** Writers the owner keeps behind the curtain while it is down; undefined while it is up. */
  curtainAudience: ReadonlySet<string> | undefined;
  grantMinutes: number;
}

const STATE_LABELS: Readonly<Record<MemberState, string>> = {
  waiting: 'waiting to join',
  joining: 'joining',
  live: '',
  behind: 'catching up',
  curtained: 'behind curtain',
};

/** Shown for a name the member left empty. */
export const ANONYMOUS = 'anonymous';

export function displayName(member: { name: string }): string {
  return member.name.length > 0 ? member.name : ANONYMOUS;
}

/**
 * "1:45 left" for a grant ending at `until`; "timed" when the clocks disagree too much to count (the page's
 * clock against the server's: a countdown past its maximum, or below zero, would be wrong either way).
 */
export function describeRemaining(until: string, now: number = Date.now()): string {
  const seconds = Math.ceil((Date.parse(until) - now) / 1000);
  if (!(seconds > 0) || seconds > PayloadLimits.MaxGrantSeconds) return 'timed';
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, '0')} left`;
}

function minutesLabel(minutes: number): string {
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

export function grantForLabel(minutes: number): string {
  return `Grant keyboard for ${minutesLabel(minutes)}`;
}

function button(label: string, onClick: () => void, kind?: 'primary' | 'danger'): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = label;
  element.className = kind === undefined ? 'small' : `small ${kind}`;
  element.addEventListener('click', onClick);
  return element;
}

function dot(colour: string): HTMLElement {
  const element = document.createElement('span');
  element.className = 'colour-dot';
  element.style.backgroundColor = colour;
  element.setAttribute('aria-hidden', 'true');
  return element;
}

function nameLine(member: MemberInfo, selfId: string | undefined): HTMLElement {
  const line = document.createElement('span');
  line.className = 'member-name';
  line.style.color = member.colour;
  line.textContent = displayName(member);
  if (member.id === selfId) {
    const self = document.createElement('span');
    self.className = 'member-self';
    self.textContent = ' (you)';
    line.append(self);
  }
  return line;
}

function metaLine(member: MemberInfo, curtainAudience: ReadonlySet<string> | undefined): HTMLElement {
  const meta = document.createElement('span');
  meta.className = 'member-meta';
  const role = document.createElement('span');
  role.className = 'member-role';
  role.dataset.role = member.role;
  role.textContent = member.role;
  meta.append(role);
  if (member.grantUntil !== undefined) {
    const left = document.createElement('span');
    left.className = 'grant-left';
    left.dataset.until = member.grantUntil;
    left.textContent = describeRemaining(member.grantUntil);
    meta.append(' · ', left);
  }
  if (member.hand) meta.append(' · ', handMark());
  const state = STATE_LABELS[member.state];
  if (state.length > 0) meta.append(` · ${state}`);
  if (curtainAudience?.has(member.id) === true) meta.append(' · sees through curtain');
  if (member.signedIn === true) meta.append(' · signed in');
  return meta;
}

function handMark(): HTMLElement {
  const hand = document.createElement('span');
  hand.className = 'hand-mark';
  hand.textContent = 'hand raised';
  return hand;
}

function memberItem(member: MemberInfo, state: PanelState, actions: MemberActions): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'member';
  item.dataset.memberId = member.id;
  item.dataset.state = member.state;
  const main = document.createElement('div');
  main.className = 'member-main';
  main.append(nameLine(member, state.selfId), metaLine(member, state.curtainAudience));
  const head = document.createElement('div');
  head.className = 'member-head';
  head.append(main);
  item.append(dot(member.colour), head);
  if (state.selfRole === 'owner' && member.id !== state.selfId && member.role !== 'owner') {
    // A hundred students with four buttons each would bury the list: actions open per member.
    const open = expanded.has(member.id);
    const more = document.createElement('button');
    more.type = 'button';
    more.className = 'more-button';
    more.textContent = open ? 'Close' : 'Manage';
    more.setAttribute('aria-label', `Manage ${displayName(member)}`);
    more.setAttribute('aria-expanded', String(open));
    head.append(more);
    more.addEventListener('click', () => {
      if (expanded.has(member.id)) expanded.delete(member.id);
      else expanded.add(member.id);
      const nowOpen = expanded.has(member.id);
      more.setAttribute('aria-expanded', String(nowOpen));
      more.textContent = nowOpen ? 'Close' : 'Manage';
      const actionRow = item.querySelector<HTMLElement>('.member-actions');
      if (actionRow !== null) actionRow.hidden = !nowOpen;
    });
    const row = document.createElement('div');
    row.id = `actions-${member.id}`;
    more.setAttribute('aria-controls', row.id);
    row.hidden = !open;
    row.className = 'member-actions';
    row.setAttribute('role', 'group');
    row.setAttribute('aria-label', `Actions for ${displayName(member)}`);
    if (member.role === 'viewer') {
      row.append(
        button('Grant keyboard', () => actions.grant(member.id), 'primary'),
        button(grantForLabel(state.grantMinutes), () => actions.grant(member.id, state.grantMinutes * 60)),
      );
    } else {
      row.append(button('Take keyboard back', () => actions.takeBack(member.id), 'primary'));
      if (state.curtainAudience !== undefined) {
        const sees = state.curtainAudience.has(member.id);
        row.append(button(sees ? 'Hide screen behind curtain' : 'Let see through curtain', () => actions.setSeesThroughCurtain(member.id, !sees)));
      }
    }
    row.append(button('Make owner', () => actions.makeOwner(member.id)), button('Remove', () => actions.remove(member.id), 'danger'));
    item.append(row);
  }
  return item;
}

function waitedFor(since: string | undefined, now: number): string {
  if (since === undefined) return '';
  const seconds = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  return seconds < 60 ? 'just now' : `${Math.floor(seconds / 60)} min ago`;
}

/** Members with a raised hand, first raised first. */
export function handQueue(members: readonly MemberInfo[]): MemberInfo[] {
  return members
    .filter((member) => member.hand)
    .sort((a, b) => Date.parse(a.handSince ?? '') - Date.parse(b.handSince ?? '') || a.id.localeCompare(b.id));
}

/** One entry of a queue the owner answers (raised hands, joiners waiting): who, since when, and its buttons. */
function queueItem(member: MemberInfo, state: PanelState, meta: HTMLElement[], groupLabel: string, buttons: HTMLButtonElement[]): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'queue-item';
  item.dataset.memberId = member.id;
  const main = document.createElement('div');
  main.className = 'member-main';
  main.append(nameLine(member, state.selfId), ...meta);
  const row = document.createElement('div');
  row.className = 'member-actions';
  row.setAttribute('role', 'group');
  row.setAttribute('aria-label', groupLabel);
  row.append(...buttons);
  item.append(dot(member.colour), main, row);
  return item;
}

function handItem(member: MemberInfo, state: PanelState, actions: MemberActions): HTMLLIElement {
  const when = document.createElement('span');
  when.className = 'member-meta';
  when.textContent = `raised ${waitedFor(member.handSince, Date.now())}`;
  return queueItem(member, state, [when], `Hand of ${displayName(member)}`, [
    button(grantForLabel(state.grantMinutes), () => actions.grant(member.id, state.grantMinutes * 60), 'primary'),
    button('Grant keyboard', () => actions.grant(member.id)),
    button('Deny', () => actions.deny(member.id)),
  ]);
}

function waitingItem(member: MemberInfo, state: PanelState, actions: MemberActions): HTMLLIElement {
  return queueItem(member, state, [], `Entry of ${displayName(member)}`, [
    button('Admit', () => actions.admit(member.id, true), 'primary'),
    button('Deny entry', () => actions.admit(member.id, false), 'danger'),
  ]);
}

export interface PanelElements {
  list: HTMLUListElement;
  handsSection: HTMLElement;
  handList: HTMLOListElement;
  waitingSection: HTMLElement;
  waitingList: HTMLUListElement;
  grantLengthRow: HTMLElement;
}

/** Redraws the whole panel from the whole member list (the server always sends it whole). */
export function renderPanel(ui: PanelElements, state: PanelState, actions: MemberActions): void {
  const refocus = focusedAction();
  const owner = state.selfRole === 'owner';
  const waiting = state.members.filter((member) => member.state === 'waiting');
  const present = state.members.filter((member) => member.state !== 'waiting');
  const hands = handQueue(present);
  for (const id of expanded) if (!present.some((member) => member.id === id)) expanded.delete(id);
  ui.list.replaceChildren(...present.map((member) => memberItem(member, state, actions)));
  ui.waitingSection.hidden = !owner || waiting.length === 0;
  ui.waitingList.replaceChildren(...(owner ? waiting.map((member) => waitingItem(member, state, actions)) : []));
  ui.handsSection.hidden = !owner || hands.length === 0;
  ui.handList.replaceChildren(...(owner ? hands.map((member) => handItem(member, state, actions)) : []));
  ui.grantLengthRow.hidden = !owner;
  refocus?.();
}

/**
 * The focused action button, found again after a redraw: the same label for the same member in the same
 * list, so keyboard users keep their place when the list changes under them.
 */
function focusedAction(): (() => void) | undefined {
  const active = document.activeElement;
  if (!(active instanceof HTMLButtonElement)) return undefined;
  const item = active.closest<HTMLElement>('li[data-member-id]');
  const list = item?.parentElement;
  if (item === null || list === null || list === undefined || list.id === '') return undefined;
  const { memberId } = item.dataset;
  const label = active.textContent;
  return () => {
    if (document.activeElement !== document.body && document.activeElement !== null) return;
    const items = Array.from(document.getElementById(list.id)?.querySelectorAll<HTMLElement>('li[data-member-id]') ?? []);
    const candidate = items.find((entry) => entry.dataset.memberId === memberId);
    Array.from(candidate?.querySelectorAll('button') ?? [])
      .find((again) => again.textContent === label)
      ?.focus();
  };
}

/** Updates the "m:ss left" of every shown grant without rebuilding the list (keeps focus where it is). */
export function tickCountdowns(root: HTMLElement): void {
  root.querySelectorAll<HTMLElement>('.grant-left[data-until]').forEach((element) => {
    element.textContent = describeRemaining(element.dataset.until ?? '');
  });
}
