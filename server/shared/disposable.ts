// Disposable: the one ownership pattern for ptys, timers, listeners and children (docs/architecture.md, Conventions).
// No Node or DOM types, so the browser client uses it too.

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

/**
 * Base class for anything that owns resources. Children registered with `register` are disposed in
 * reverse order of registration when the owner is disposed; `dispose()` is idempotent.
 */
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
