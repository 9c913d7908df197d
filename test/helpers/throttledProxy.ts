// ThrottledProxy: a loopback TCP proxy in front of a test server that carries each connection at a fixed rate in
// each direction, like a slow network link, and holds little itself, so the server's own queue grows as behind one.

import { mkdtempSync, rmSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const LinkDefaults = {
  /** 2 Mbit/s: a poor mobile or hotel link, over which a 10 000-line coloured snapshot takes seconds. */
  BytesPerSecond: 250_000,
  /** Pacing step, in ms: fine enough for a smooth stream, coarse enough to cost no CPU. */
  TickMs: 10,
  /**
   * Bytes held per direction before the proxy stops reading that side (about 65 ms at 2 Mbit/s, a router's
   * modest queue): the rest waits in the sender's socket and, once that is full, in the sender's own queue.
   */
  MaxHeldBytes: 16 * 1024,
  /** Credit saved up while idle, in ticks: a link does not send a burst faster than its rate after a pause. */
  MaxCreditTicks: 2,
} as const;

export interface ThrottledProxy {
  /** Base URL of the proxy (`http://127.0.0.1:PORT`); its clients must send the server's Host header. */
  readonly url: string;
  /** Bytes carried from the server to clients so far. */
  readonly bytesDown: number;
  /** Ends every connection at once and stops listening. */
  close(): Promise<void>;
}

/** One direction of one connection: reads `from` while it holds little, writes `to` at the link's rate. */
class Direction {
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  private credit = 0;
  private waitingForDrain = false;
  private sourceEnded = false;
  carried = 0;

  constructor(private readonly from: Socket, private readonly to: Socket, private readonly bytesPerTick: number) {
    from.on('data', (chunk: Buffer) => {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes >= LinkDefaults.MaxHeldBytes) from.pause();
    });
    from.on('end', () => {
      this.sourceEnded = true;
    });
    to.on('drain', () => {
      this.waitingForDrain = false;
    });
  }

  /** Sends what the link allows for `ticks` ticks of time (fractional), in order. */
  tick(ticks: number): void {
    this.credit = Math.min(this.credit + ticks * this.bytesPerTick, LinkDefaults.MaxCreditTicks * this.bytesPerTick);
    while (!this.waitingForDrain && this.held.length > 0 && this.credit >= 1) {
      const head = this.held[0]!;
      const count = Math.min(head.length, Math.floor(this.credit));
      const piece = count === head.length ? this.held.shift()! : head.subarray(0, count);
      if (count < head.length) this.held[0] = head.subarray(count);
      this.heldBytes -= count;
      this.credit -= count;
      this.carried += count;
      if (!this.to.write(piece)) this.waitingForDrain = true;
    }
    if (this.heldBytes < LinkDefaults.MaxHeldBytes && this.from.isPaused() && !this.sourceEnded) this.from.resume();
    if (this.sourceEnded && this.held.length === 0 && !this.to.writableEnded) this.to.end();
  }
}

/**
 * Starts a proxy to `target`. The server side of each connection is a Unix stream socket handed to the HTTP
 * server as an accepted connection ('connection' is documented for that): a loopback TCP socket lets the kernel
 * take about 4 MB before the server's writes queue up (the 64 KiB loopback MTU sizes its send buffer), which would
 * hide the server's queue, while a Unix socket takes about 200 KB, as a real link's send buffer does.
 */
export async function startThrottledProxy(
  target: HttpServer,
  bytesPerSecond: number = LinkDefaults.BytesPerSecond,
): Promise<ThrottledProxy> {
  const socketDir = mkdtempSync(join(tmpdir(), 'ttyroom-link-'));
  const socketPath = join(socketDir, 'server.sock');
  const serverSides = new Set<Socket>();
  const entrance: Server = createServer((serverSide) => {
    serverSides.add(serverSide);
    serverSide.on('close', () => serverSides.delete(serverSide));
    target.emit('connection', serverSide);
  });
  await new Promise<void>((resolve) => entrance.listen(socketPath, resolve));

  const bytesPerTick = (bytesPerSecond * LinkDefaults.TickMs) / 1000;
  const links = new Set<{ down: Direction; up: Direction; sockets: Socket[] }>();
  let carriedByClosed = 0;
  const proxy: Server = createServer((client) => {
    const upstream = createConnection(socketPath);
    const link = { down: new Direction(upstream, client, bytesPerTick), up: new Direction(client, upstream, bytesPerTick), sockets: [client, upstream] };
    links.add(link);
    const end = (): void => {
      if (!links.delete(link)) return;
      carriedByClosed += link.down.carried;
      client.destroy();
      upstream.destroy();
    };
    for (const socket of link.sockets) {
      socket.on('close', end);
      // A reset on either side ends the link like a dropped connection; 'close' follows.
      socket.on('error', () => undefined);
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));

  let last = performance.now();
  const pacer = setInterval(() => {
    const now = performance.now();
    const ticks = (now - last) / LinkDefaults.TickMs;
    last = now;
    for (const link of links) {
      link.down.tick(ticks);
      link.up.tick(ticks);
    }
  }, LinkDefaults.TickMs);

  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get bytesDown() {
      let total = carriedByClosed;
      for (const link of links) total += link.down.carried;
      return total;
    },
    async close() {
      clearInterval(pacer);
      for (const link of links) for (const socket of link.sockets) socket.destroy();
      for (const socket of serverSides) socket.destroy();
      links.clear();
      await Promise.all([
        new Promise<void>((resolve) => proxy.close(() => resolve())),
        new Promise<void>((resolve) => entrance.close(() => resolve())),
      ]);
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
