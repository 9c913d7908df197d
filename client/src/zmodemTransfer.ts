// ZmodemTransfers: the member's side of a room's file transfer — zmodem.js speaks ZMODEM with sz or rz over
// `transfer:data`, with flow control on what we send; the page (or a test) decides what to save and what to send.
// No DOM: the browser's room page and the integration tests in Node both drive it.

/// <reference path="./zmodem.d.ts" />
import Zmodem from 'zmodem.js/src/zmodem.js';
import type { Detection, Session } from 'zmodem.js/src/zmodem.js';
import type { RoomSocket } from '../../server/shared/roomClient.js';
import type { TransferDirection, TransferEndPayload, TransferStartPayload } from '../../server/shared/events.js';
import { TransferLimits } from '../../server/shared/limits.js';
import { Disposable, toDisposable } from '../../server/shared/disposable.js';
import { parseTransferEnd, parseTransferStart } from '../../server/shared/serverPayloads.js';

/** The room's socket (the page's, or a test member's). */
export type TransferSocket = RoomSocket;

/** A file to upload: a browser File, or a Blob with a name. */
export interface UploadFile {
  readonly name: string;
  readonly size: number;
  readonly lastModified: number;
  slice(start: number, end: number): Blob;
}

export interface TransferProgress {
  direction: TransferDirection;
  name: string;
  done: number;
  /** Unknown when the sender did not say. */
  total: number | undefined;
}

/** What the member (the page, or a test) decides and is shown. */
export interface TransferUi {
  /** A transfer was offered to us: 'download' (sz) or 'upload' (rz). */
  started(start: TransferStartPayload): void;
  /** sz offers a file: resolve true to save it, false to skip it. */
  offer(file: { name: string; size: number | undefined }): Promise<boolean>;
  /** rz waits for files: resolve with those to send (none ends the session). */
  chooseFiles(): Promise<UploadFile[]>;
  progress(progress: TransferProgress): void;
  /** A downloaded file is complete: its bytes, in order. */
  received(name: string, parts: Uint8Array[]): void;
  /** The server says the transfer is over (completed or cancelled, and why). */
  ended(end: TransferEndPayload): void;
}

export const UploadPacing = {
  /** Bytes of a file read and handed to zmodem.js at a time: one `transfer:data` chunk once framed. */
  ReadBytes: 32 * 1024,
} as const;

/** Our ZMODEM output to the server, in chunks of at most MaxChunkBytes, with at most ClientInFlightBytes unacknowledged. */
class Outbox {
  /** What zmodem.js said since the last flush, one array per call. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private flushQueued = false;
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(private readonly socket: TransferSocket) {}

  push(octets: number[]): void {
    if (this.closed) return;
    this.pending.push(Uint8Array.from(octets));
    this.pendingBytes += octets.length;
    if (this.flushQueued) return;
    this.flushQueued = true;
    // Everything zmodem.js says in one go (a header and its subpackets) leaves as one message.
    queueMicrotask(() => this.flush());
  }

  /** Resolves once fewer than ClientInFlightBytes are unacknowledged (at once when closed). */
  drained(): Promise<void> {
    if (this.closed || this.inFlight < TransferLimits.ClientInFlightBytes) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.pending = [];
    this.pendingBytes = 0;
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.closed) return;
    const all = new Uint8Array(this.pendingBytes);
    let filled = 0;
    for (const part of this.pending) {
      all.set(part, filled);
      filled += part.byteLength;
    }
    this.pending = [];
    this.pendingBytes = 0;
    for (let at = 0; at < all.byteLength; at += TransferLimits.MaxChunkBytes) {
      // A copy, not a view: what socket.io puts on the wire is then exactly the chunk, whatever the transport.
      const chunk = all.slice(at, at + TransferLimits.MaxChunkBytes);
      this.inFlight += chunk.byteLength;
      this.socket.emit('transfer:data', chunk, () => {
        this.inFlight -= chunk.byteLength;
        if (this.inFlight < TransferLimits.ClientInFlightBytes) for (const waiter of this.waiters.splice(0)) waiter();
      });
    }
  }
}

/** One transfer as this member runs it. */
class ActiveTransfer {
  readonly outbox: Outbox;
  private readonly sentry: InstanceType<typeof Zmodem.Sentry>;
  ended = false;

  constructor(readonly start: TransferStartPayload, socket: TransferSocket, private readonly ui: TransferUi, private readonly fail: () => void) {
    this.outbox = new Outbox(socket);
    this.sentry = new Zmodem.Sentry({
      // The server sends us only the transfer's bytes; nothing here is for the terminal.
      to_terminal: () => {},
      sender: (octets) => this.outbox.push(octets),
      on_retract: () => {},
      on_detect: (detection) => this.detected(detection),
    });
  }

  consume(bytes: Uint8Array): void {
    if (this.ended) return;
    try {
      this.sentry.consume(bytes);
    } catch {
      // zmodem.js throws on anything it cannot follow: the transfer cannot go on.
      this.fail();
    }
  }

  end(): void {
    this.ended = true;
    this.outbox.close();
  }

  private detected(detection: Detection): void {
    const session = detection.confirm();
    if (session.type === 'receive') this.receive(session);
    else void this.send(session).catch(() => this.fail());
  }

  private receive(session: Session): void {
    session.on('offer', (offer) => {
      const details = offer.get_details();
      const name = details.name;
      const total = typeof details.size === 'number' ? details.size : undefined;
      void this.ui.offer({ name, size: total }).then((save) => {
        if (this.ended) return;
        if (!save) {
          offer.skip();
          return;
        }
        const parts: Uint8Array[] = [];
        let done = 0;
        offer.accept({
          on_input: (payload) => {
            parts.push(Uint8Array.from(payload));
            done += payload.length;
            this.ui.progress({ direction: 'download', name, done, total });
          },
        }).then(() => {
          if (!this.ended) this.ui.received(name, parts);
        }, () => this.fail());
      });
    });
    void session.start().catch(() => this.fail());
  }

  private async send(session: Session): Promise<void> {
    const files = await this.ui.chooseFiles();
    let remaining = files.reduce((sum, file) => sum + file.size, 0);
    for (const [index, file] of files.entries()) {
      if (this.ended) return;
      const transfer = await session.send_offer({
        name: file.name,
        size: file.size,
        mtime: new Date(file.lastModified),
        files_remaining: files.length - index,
        bytes_remaining: remaining,
      });
      remaining -= file.size;
      // Skipped by rz (it has the file already, say).
      if (!transfer) continue;
      for (let at = 0; at < file.size; at += UploadPacing.ReadBytes) {
        await this.outbox.drained();
        if (this.ended) return;
        const chunk = new Uint8Array(await file.slice(at, at + UploadPacing.ReadBytes).arrayBuffer());
        transfer.send(chunk);
        this.ui.progress({ direction: 'upload', name: file.name, done: Math.min(file.size, at + chunk.byteLength), total: file.size });
      }
      await this.outbox.drained();
      if (this.ended) return;
      await transfer.end();
    }
    if (!this.ended) await session.close();
  }
}

/** Listens for transfers offered to this member on `socket`, for as long as it is not disposed. */
export class ZmodemTransfers extends Disposable {
  private active: ActiveTransfer | undefined;

  constructor(private readonly socket: TransferSocket, private readonly ui: TransferUi) {
    super();
    const onStart = (payload: unknown): void => {
      const start = parseTransferStart(payload);
      if (!start) return;
      this.active?.end();
      this.active = new ActiveTransfer(start, socket, ui, () => this.cancel());
      ui.started(start);
    };
    const onData = (data: unknown): void => {
      if (data instanceof ArrayBuffer) this.active?.consume(new Uint8Array(data));
      else if (data instanceof Uint8Array) this.active?.consume(data);
    };
    const onEnd = (payload: unknown): void => {
      const end = parseTransferEnd(payload);
      if (!end || end.id !== this.active?.start.id) return;
      this.active.end();
      this.active = undefined;
      ui.ended(end);
    };
    // The server cancels a transfer whose member's connection dropped, but its transfer:end goes to that connection:
    // the page ends the transfer itself, or its card would stay up and hide every later one.
    const onDisconnect = (): void => {
      const active = this.active;
      if (!active) return;
      active.end();
      this.active = undefined;
      ui.ended({ id: active.start.id, outcome: 'cancelled', reason: 'left', bytes: 0 });
    };
    socket.on('transfer:start', onStart);
    socket.on('transfer:data', onData);
    socket.on('transfer:end', onEnd);
    socket.on('disconnect', onDisconnect);
    this.register(toDisposable(() => {
      socket.off('transfer:start', onStart);
      socket.off('transfer:data', onData);
      socket.off('transfer:end', onEnd);
      socket.off('disconnect', onDisconnect);
      this.active?.end();
    }));
  }

  /** A transfer of ours is running. */
  get running(): boolean {
    return this.active !== undefined;
  }

  /** Cancels our running transfer: the server tells the program and answers with `transfer:end`. */
  cancel(): void {
    const active = this.active;
    if (!active || active.ended) return;
    active.end();
    this.socket.emit('transfer:cancel');
  }
}
