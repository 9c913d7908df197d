// A scale-out node's two Redis connections (commands and publishing; subscriptions), shared with socket.io's adapter, and whether Redis is up.

import { Redis } from 'ioredis';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
import { log } from '../util/logger.js';

export const RedisTiming = {
  /** Reconnect delay after the first failure (ms); it grows by this much per attempt... */
  ReconnectStepMs: 200,
  /** ...up to this (ms): a Redis that comes back is noticed within this long. */
  ReconnectMaxMs: 2_000,
  /** Connecting gives up after this long (ms) and tries again, so a silently dropped link cannot hang a node. */
  ConnectTimeoutMs: 5_000,
} as const;

/** What a publish costs when Redis is down: nothing, and nothing queued (a room's output would pile up unbounded). */
type Publisher = Pick<Redis, 'publish'>;

export class RedisLink extends Disposable {
  /** Commands (the directory) and publishing; fails at once while Redis is down instead of queueing. */
  readonly commands: Redis;
  /** Subscriptions only; ioredis subscribes again by itself after a reconnect. */
  readonly subscriber: Redis;
  private readonly upChanged = this.register(new Emitter<boolean>());
  /** Fires when Redis goes down or comes back (both connections ready). */
  readonly onUpChanged = this.upChanged.event;
  private wasUp = false;

  constructor(url: string) {
    super();
    const retryStrategy = (attempt: number): number => Math.min(attempt * RedisTiming.ReconnectStepMs, RedisTiming.ReconnectMaxMs);
    this.commands = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy, connectTimeout: RedisTiming.ConnectTimeoutMs });
    // Its offline queue holds only (re)subscriptions, which must wait for the connection, and it never rejects them.
    this.subscriber = new Redis(url, { maxRetriesPerRequest: null, retryStrategy, connectTimeout: RedisTiming.ConnectTimeoutMs });
    for (const client of [this.commands, this.subscriber]) {
      client.on('ready', () => this.update());
      client.on('close', () => this.update());
      client.on('end', () => this.update());
      // Without a listener ioredis prints every failed attempt; the up/down change is what is worth a line.
      client.on('error', () => undefined);
    }
    this.register(toDisposable(() => {
      this.commands.disconnect();
      this.subscriber.disconnect();
    }));
  }

  get up(): boolean {
    return this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  /**
   * The publishing client socket.io's adapter gets: its publishes are not awaited or caught, so while Redis is
   * down one is dropped on the spot (a rejected one would be an unhandled rejection, a queued one unbounded memory).
   */
  adapterPublisher(): Redis {
    const commands = this.commands;
    const publish: Publisher['publish'] = ((channel: string | Buffer, message: string | Buffer) =>
      commands.status === 'ready' ? commands.publish(channel, message).catch(() => 0) : Promise.resolve(0)) as Publisher['publish'];
    return new Proxy(commands, {
      get(target, property) {
        if (property === 'publish') return publish;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** Publishes when Redis is up; false when it is down (the message is dropped, as a pub/sub message to nobody). */
  publish(channel: string, message: string): boolean {
    if (this.commands.status !== 'ready') return false;
    this.commands.publish(channel, message).catch(() => undefined);
    return true;
  }

  private update(): void {
    const up = this.up;
    if (up === this.wasUp || this.isDisposed) return;
    this.wasUp = up;
    if (up) log.info({}, 'redis: connected');
    else log.warn({}, 'redis: lost; this node serves its own rooms until it is back');
    this.upChanged.fire(up);
  }
}
