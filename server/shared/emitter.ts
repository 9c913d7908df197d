// Typed event emitter: a private Emitter fires, the public `onX` property subscribes (docs/architecture.md, Conventions).
// No Node or DOM types, so the browser client uses it too.

import type { IDisposable } from './disposable.js';

export type Listener<T> = (value: T) => void;
export type Event<T> = (listener: Listener<T>) => IDisposable;

export class Emitter<T> implements IDisposable {
  private listeners = new Set<Listener<T>>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  };

  fire(value: T): void {
    // Copy so a listener that unsubscribes (or subscribes) while we iterate does not change this round.
    for (const listener of [...this.listeners]) listener(value);
  }

  dispose(): void {
    this.listeners.clear();
  }
}
