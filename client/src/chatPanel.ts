// The side chat: messages drawn with textContent only (a message is never markup), the input capped at
// the protocol's length, and whether chat is on.

import type { ChatMessage } from '../../server/shared/events.js';
import { PayloadLimits } from '../../server/shared/limits.js';
import { UNSAFE_IN_TEXT } from '../../server/shared/unsafeText.js';
import { sanitizeTitle } from './title.js';

/** Messages kept on the page; older ones are dropped from the top so a long session stays light. */
export const MaxShownMessages = 500;

export interface ChatElements {
  log: HTMLOListElement;
  empty: HTMLElement;
  off: HTMLElement;
  form: HTMLFormElement;
  input: HTMLInputElement;
  send: HTMLButtonElement;
  error: HTMLElement;
}

/** Names get the same treatment as titles (controls and bidi overrides out) so they cannot reorder the line. */
function shownName(name: string): string {
  const clean = sanitizeTitle(name);
  return clean.length > 0 ? clean : 'anonymous';
}

export function messageItem(message: ChatMessage, selfId: string | undefined): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'chat-message';
  item.dataset.self = String(message.memberId === selfId);
  const head = document.createElement('div');
  head.className = 'chat-head';
  const name = document.createElement('span');
  name.className = 'chat-name';
  name.style.color = message.colour;
  name.textContent = shownName(message.name);
  const time = document.createElement('time');
  time.className = 'chat-time';
  time.dateTime = message.at;
  time.textContent = new Date(message.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  head.append(name, time);
  const text = document.createElement('p');
  text.className = 'chat-text';
  // Controls and bidi overrides would let one message restyle or reorder what follows it (the server strips them too).
  text.textContent = message.text.replace(UNSAFE_IN_TEXT, '');
  item.append(head, text);
  return item;
}

export class ChatPanel {
  constructor(private readonly ui: ChatElements) {
    ui.input.maxLength = PayloadLimits.MaxChatLength;
  }

  add(message: ChatMessage, selfId: string | undefined): void {
    const log = this.ui.log;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(messageItem(message, selfId));
    while (log.childElementCount > MaxShownMessages) log.firstElementChild?.remove();
    this.ui.empty.hidden = true;
    if (atBottom || message.memberId === selfId) log.scrollTop = log.scrollHeight;
  }

  setEnabled(enabled: boolean): void {
    this.ui.off.hidden = enabled;
    this.ui.input.disabled = !enabled;
    this.ui.send.disabled = !enabled;
  }

  showError(message: string | undefined): void {
    this.ui.error.textContent = message ?? '';
    this.ui.error.hidden = message === undefined;
  }
}
