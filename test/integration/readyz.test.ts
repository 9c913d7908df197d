// GET /readyz: 200 while the server accepts rooms, 503 while a shutdown drains them; /healthz is unchanged.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { joinMember } from '../helpers/member.js';
import { startServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

test('/readyz says 200 while accepting, 503 with the reason while a shutdown drains rooms', async () => {
  const server = await startServer();
  let socket: Socket | undefined;
  try {
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true, reasons: [] });

    // A room whose shell ignores SIGHUP: draining it lasts the whole kill grace, time to ask while it drains.
    const room = await server.createRoom();
    const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
    owner.socket.emit('term:input', "trap '' HUP; echo TRAPPED\r");
    await waitFor(() => owner.outputText().includes('TRAPPED\r\n'), 'the trap set');

    // The listener closes when draining starts, so the probe is a request already under way: its headers are sent
    // but for the blank line that ends them (a connection with a request in progress is not idle, and stays).
    const { port } = new URL(server.url);
    socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n`);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });

    const shell = server.app.rooms.get(room.id)!.pid!;
    const disposed = server.app.dispose({ graceMs: 60_000 });
    await waitFor(() => server.app.rooms.size === 0, 'the shutdown to begin closing rooms');
    socket.write('\r\n');
    await waitFor(() => answer.includes('\r\n\r\n') && answer.endsWith('}'), 'the answer');
    assert.match(answer, /^HTTP\/1\.1 503 /);
    assert.deepEqual(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { ready: false, reasons: ['draining'] });
    owner.close();
    // Done asking: end the drain now instead of waiting out the grace (nothing else runs in the shell's session).
    process.kill(shell, 'SIGKILL');
    await disposed;
  } finally {
    socket?.destroy();
    await server.close();
  }
});
