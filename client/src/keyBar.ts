// The key bar for writers on touch screens: keys a phone keyboard lacks (Esc, Tab, arrows, | ~ /), and
// Ctrl and Alt as sticky modifiers that apply to the next key, typed on the bar or on the phone keyboard.

import { Disposable, Emitter, listen } from './disposable.js';

interface BarKey {
  label: string;
  /** The accessible name, when the label alone does not say it. */
  name: string;
  data: string;
}

/** xterm's normal-mode cursor keys; a program in application-cursor mode accepts these as well. */
const KEYS: readonly BarKey[] = [
  { label: 'Esc', name: 'Escape', data: '\x1b' },
  { label: 'Tab', name: 'Tab', data: '\t' },
  { label: '←', name: 'Left arrow', data: '\x1b[D' },
  { label: '↑', name: 'Up arrow', data: '\x1b[A' },
  { label: '↓', name: 'Down arrow', data: '\x1b[B' },
  { label: '→', name: 'Right arrow', data: '\x1b[C' },
  { label: '|', name: 'Pipe', data: '|' },
  { label: '~', name: 'Tilde', data: '~' },
  { label: '/', name: 'Slash', data: '/' },
];

/** Ctrl with these characters gives the C0 control of the same position (as a terminal keyboard does). */
const CTRL_SYMBOLS: Readonly<Record<string, string>> = {
  '@': '\x00',
  ' ': '\x00',
  '[': '\x1b',
  '\\': '\x1c',
  ']': '\x1d',
  '^': '\x1e',
  _: '\x1f',
  '?': '\x7f',
};

/** The bytes Ctrl+`data` sends: letters and the symbols above map to controls; anything else is sent as it is. */
export function withCtrl(data: string): string {
  if (data.length !== 1) return data;
  if (/[a-z]/i.test(data)) return String.fromCharCode(data.toUpperCase().charCodeAt(0) & 0x1f);
  return CTRL_SYMBOLS[data] ?? data;
}

/** Alt sends ESC before the key (xterm's metaSendsEscape). */
export function withAlt(data: string): string {
  return `\x1b${data}`;
}

export class KeyBar extends Disposable {
  private readonly keyEmitter = this.register(new Emitter<string>());
  /** Bytes to send to the terminal. */
  readonly onKey = this.keyEmitter.event;
  private ctrl = false;
  private alt = false;
  private readonly ctrlButton: HTMLButtonElement;
  private readonly altButton: HTMLButtonElement;

  constructor(private readonly root: HTMLElement) {
    super();
    this.ctrlButton = this.modifier('Ctrl', 'Control, applies to the next key', () => {
      this.ctrl = !this.ctrl;
      this.show();
    });
    this.altButton = this.modifier('Alt', 'Alt, applies to the next key', () => {
      this.alt = !this.alt;
      this.show();
    });
    const keys = KEYS.map((key) => {
      const element = this.keyButton(key.label, key.name);
      this.register(listen(element, 'click', () => this.keyEmitter.fire(this.apply(key.data))));
      return element;
    });
    const [escape, tab, ...rest] = keys;
    root.replaceChildren(...[escape, this.ctrlButton, this.altButton, tab, ...rest].filter((key): key is HTMLButtonElement => key !== undefined));
  }

  /** Applies a pending Ctrl or Alt to input typed elsewhere (the phone keyboard), then releases them. */
  apply(data: string): string {
    let result = data;
    if (this.ctrl) result = withCtrl(result);
    if (this.alt) result = withAlt(result);
    if (this.ctrl || this.alt) {
      this.ctrl = false;
      this.alt = false;
      this.show();
    }
    return result;
  }

  private keyButton(label: string, name: string): HTMLButtonElement {
    const element = document.createElement('button');
    element.type = 'button';
    element.className = 'key';
    element.textContent = label;
    element.setAttribute('aria-label', name);
    // Keeps the terminal's focus (and the phone keyboard) while a bar key is tapped.
    this.register(listen(element, 'mousedown', (event) => event.preventDefault()));
    return element;
  }

  private modifier(label: string, name: string, toggle: () => void): HTMLButtonElement {
    const element = this.keyButton(label, name);
    element.setAttribute('aria-pressed', 'false');
    this.register(listen(element, 'click', toggle));
    return element;
  }

  private show(): void {
    this.ctrlButton.setAttribute('aria-pressed', String(this.ctrl));
    this.altButton.setAttribute('aria-pressed', String(this.alt));
    this.root.dataset.modifiers = `${this.ctrl ? 'ctrl' : ''}${this.alt ? 'alt' : ''}`;
  }
}
