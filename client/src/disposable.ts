// Browser copy of the server's ownership pattern (server/util): Disposable, toDisposable and a typed Emitter.
// Kept separate because server/util is typed against Node timers and the client tsconfig has no Node types.

export interface IDisposable {
  dispose(): void;
}

/** Wraps a cleanup function so it runs at most once. */
export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      fn();
    },
  };
}

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

/** Owns resources; disposes them in reverse order of registration, once. */
export abstract class Disposable implements IDisposable {
  private readonly owned: IDisposable[] = [];
  private disposedFlag = false;

  get isDisposed(): boolean {
    return this.disposedFlag;
  }

  protected register<T extends IDisposable>(resource: T): T {
    if (this.disposedFlag) {
      resource.dispose();
    } else {
      this.owned.push(resource);
    }
    return resource;
  }

  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    for (const resource of this.owned.splice(0).reverse()) {
      resource.dispose();
    }
  }
}

export type Listener<T> = (value: T) => void;
export type Event<T> = (listener: Listener<T>) => IDisposable;

/** A private Emitter fires; the public `onX` property (its `event`) subscribes (STYLE.md rule 2). */
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

/** Runs `fn` once, `delayMs` after the last call to `schedule()`; disposing cancels a pending run. */
export class Debouncer implements IDisposable {
  private handle: number | undefined;

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
