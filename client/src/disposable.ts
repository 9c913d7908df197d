// Browser helpers for the shared ownership pattern (server/shared): DOM listeners and a debouncer as disposables.

import { toDisposable, type IDisposable } from '../../server/shared/disposable.js';

export { Disposable, toDisposable, type IDisposable } from '../../server/shared/disposable.js';
export { Emitter, type Event, type Listener } from '../../server/shared/emitter.js';

/** Adds a DOM listener and returns the handle that removes it. */
export function listen<K extends keyof HTMLElementEventMap>(
  target: HTMLElement,
  type: K,
  listener: (event: HTMLElementEventMap[K]) => void,
): IDisposable;
export function listen<K extends keyof WindowEventMap>(
  target: Window,
  type: K,
  listener: (event: WindowEventMap[K]) => void,
): IDisposable;
export function listen<K extends keyof DocumentEventMap>(
  target: Document,
  type: K,
  listener: (event: DocumentEventMap[K]) => void,
): IDisposable;
export function listen(target: EventTarget, type: string, listener: (event: globalThis.Event) => void): IDisposable {
  target.addEventListener(type, listener);
  return toDisposable(() => target.removeEventListener(type, listener));
}

/** Runs `fn` once, `delayMs` after the last call to `schedule()`; disposing cancels a pending run. */
export class Debouncer implements IDisposable {
  private handle: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly fn: () => void,
  ) {}

  schedule(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = setTimeout(() => {
      this.handle = undefined;
      this.fn();
    }, this.delayMs);
  }

  dispose(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}
