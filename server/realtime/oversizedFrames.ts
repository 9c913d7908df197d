// Cuts off a WebSocket peer the moment it announces a frame over the message limit, instead of reading the rest of that frame for a polite close.

import type { Server as EngineServer, Socket as EngineSocket } from 'engine.io';

/** ws's error code for a frame whose announced length is over maxPayload (it then answers with close code 1009). */
const OVERSIZED_FRAME = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';

interface WsLike {
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): void;
  terminate(): void;
}

/** The ws WebSocket under an engine.io transport, when the transport is a WebSocket. */
function webSocketOf(transport: unknown): WsLike | undefined {
  const socket = (transport as { socket?: Partial<WsLike> } | undefined)?.socket;
  return typeof socket?.terminate === 'function' && typeof socket.on === 'function' ? socket as WsLike : undefined;
}

/**
 * ws refuses a frame over maxPayload from its header alone, but then keeps reading (and discarding) the
 * rest of it until the close handshake ends or 30 s pass: a 10 MB frame still costs 10 MB of reads and
 * garbage, per attempt. Destroying the connection at once stops reading; the peer sees it closed.
 */
export function cutOffOversizedFrames(engine: EngineServer): void {
  const watch = (transport: unknown): void => {
    const ws = webSocketOf(transport);
    ws?.on('error', (error) => {
      if (error.code === OVERSIZED_FRAME) ws.terminate();
    });
  };
  engine.on('connection', (socket: EngineSocket) => {
    watch(socket.transport);
    socket.on('upgrade', watch);
  });
}
