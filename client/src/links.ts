// Links in the terminal (OSC 8 hyperlinks and web addresses in the text): only http(s), only opened by a
// click, with the target shown on hover, and opened without an opener or a referrer.

import type { ILinkHandler } from '@xterm/xterm';
import { Disposable, toDisposable } from './disposable.js';

export const LinkLimits = {
  /** Characters of a target the hover hint shows; a program can make a link's target arbitrarily long. */
  MaxShownLength: 300,
  /** CSS pixels between the pointer and the hint, so the hint never sits under the pointer. */
  HintOffset: 14,
} as const;

/** Main mouse button (MouseEvent.button): a middle or right click does not open links. */
const PRIMARY_BUTTON = 0;

/**
 * The address to open when `text` is an absolute http: or https: URL, else undefined. Refused: every other
 * scheme (javascript:, data:, file:, vbscript:, blob:, …), relative and unparsable addresses, addresses with
 * whitespace or control characters (the URL parser would silently drop them, so the link would not be
 * what it shows), and addresses with a user name or password (`https://bank.example@evil.example/`).
 */
export function webLinkTarget(text: string): string | undefined {
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return url.href;
}

/** The target as the hint shows it: cut to LinkLimits.MaxShownLength code points. */
export function shownTarget(target: string): string {
  const points = Array.from(target);
  return points.length > LinkLimits.MaxShownLength ? `${points.slice(0, LinkLimits.MaxShownLength).join('')}…` : target;
}

/**
 * One link policy for both kinds of link. xterm.js itself drops OSC 8 links that are not http(s) while
 * `allowNonHttpProtocols` is off, and the web-links addon only matches http(s); the check is repeated here
 * so the policy does not rest on either default.
 */
export class TerminalLinks extends Disposable {
  private hint: HTMLElement | undefined;

  /** For xterm's `linkHandler` option (OSC 8 hyperlinks). */
  readonly handler: ILinkHandler = {
    activate: (event, text) => this.activate(event, text),
    hover: (event, text) => this.showHint(event, text),
    leave: () => this.hideHint(),
    allowNonHttpProtocols: false,
  };

  constructor() {
    super();
    this.register(toDisposable(() => this.hint?.remove()));
  }

  /** Opens `text` in a new tab: only a real primary-button click, only a web address. */
  activate(event: MouseEvent, text: string): void {
    this.hideHint();
    const target = webLinkTarget(text);
    if (target === undefined || !event.isTrusted || event.button !== PRIMARY_BUTTON) return;
    // noopener: the new page cannot reach this one through window.opener; noreferrer: nor learn its URL,
    // which may hold a capability in its fragment.
    window.open(target, '_blank', 'noopener,noreferrer');
  }

  /** Shows where a link goes, as text, next to the pointer. */
  showHint(event: MouseEvent, text: string): void {
    const target = webLinkTarget(text);
    if (target === undefined) return;
    const hint = this.hint ?? this.createHint();
    hint.textContent = shownTarget(target);
    hint.style.left = `${event.clientX + LinkLimits.HintOffset}px`;
    hint.style.top = `${event.clientY + LinkLimits.HintOffset}px`;
    hint.hidden = false;
  }

  hideHint(): void {
    if (this.hint !== undefined) this.hint.hidden = true;
  }

  private createHint(): HTMLElement {
    const hint = document.createElement('div');
    hint.className = 'link-hint';
    hint.setAttribute('role', 'tooltip');
    document.body.append(hint);
    this.hint = hint;
    return hint;
  }
}
