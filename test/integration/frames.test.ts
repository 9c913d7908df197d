// C1: a 10 MB frame (text or binary) from a joined member closes that member's connection without the
// server buffering it (memory stays near its baseline), and the room's other members keep receiving output.
// A polling POST over the message limit is refused with 413 and its session closed as well.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRaw } from '../fixtures/rawClient.mjs';
import { createRoomAt, processMemory, startServerProcess, TEST_SHELL_LINE } from '../helpers/serverProcess.js';
import { joinMember, type Member } from '../helpers/member.js';
import { startServer } from '../helpers/server.js';
import { rawRequest, enginePath } from '../helpers/rawHttp.js';
import { waitFor } from '../helpers/wait.js';
import { SocketLimits } from '../../server/realtime/socketServer.js';

const FRAME_BYTES = 10 * 1024 * 1024;
/**
 * What the server's memory may grow by over both attacks, resident and peak: less than one frame, so a
 * server that read one frame into memory (let alone decoded it to a string) would exceed it.
 */
const MEMORY_MARGIN_BYTES = 8 * 1024 * 1024;
/**
 * WebSocket close codes (RFC 6455 §7.4.1): "message too big" when the server's close frame arrives,
 * "abnormal closure" when the cut-off connection's reset overtakes it.
 */
const CLOSED_FOR_SIZE = [1009, 1006];

/** Has the writer print a line only the shell's output holds (the typed command has `$((…))`, not the sum), and waits for `viewer` to show it. */
async function outputStillFlows(writer: Member, viewer: Member, n: number): Promise<void> {
  writer.socket.emit('term:input', `echo mark-$((1000+${n}))\r`);
  await waitFor(() => viewer.outputText().includes(`mark-${1000 + n}`), `the viewer to receive mark-${1000 + n}`);
}

test('C1: a 10 MB text or binary frame closes that connection only; memory stays near baseline', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-frames-'));
  const server = await startServerProcess(['serve', '--port', '0', '--data-dir', dataDir, '--cwd', dataDir, '--command', TEST_SHELL_LINE]);
  t.after(() => {
    server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const room = await createRoomAt(server.url);
  const writer = await joinMember(server.url, room.id, { token: room.writeToken });
  const viewer = await joinMember(server.url, room.id);
  t.after(() => {
    writer.close();
    viewer.close();
  });
  await outputStillFlows(writer, viewer, 0);
  const baseline = processMemory(server.child.pid!);

  const frames: Array<[string, string | Buffer]> = [
    ['text', `42${JSON.stringify(['term:input', 'x'.repeat(FRAME_BYTES)])}`],
    ['binary', Buffer.alloc(FRAME_BYTES, 0x41)],
  ];
  for (const [index, [kind, frame]] of frames.entries()) {
    const attacker = await connectRaw(server.url);
    const reply = (await attacker.emitWithAck('room:join', { roomId: room.id })) as { ok: boolean };
    assert.equal(reply.ok, true, `${kind}: the attacker is a member first`);
    await waitFor(() => viewer.members.length === 3, `${kind}: the attacker in the member list`);
    attacker.sendFrame(frame);
    await waitFor(() => attacker.closed, `${kind}: the server to close the attacker's connection`);
    assert.ok(CLOSED_FOR_SIZE.includes(attacker.closeCode!), `${kind}: close code ${attacker.closeCode}`);
    await waitFor(() => viewer.members.length === 2, `${kind}: the attacker to leave the member list`);
    await outputStillFlows(writer, viewer, index + 1);
    assert.equal(writer.socket.connected && viewer.socket.connected, true, `${kind}: the other members are still connected`);
  }

  const after = processMemory(server.child.pid!);
  const grew = { rss: after.rss - baseline.rss, peak: after.peak - baseline.peak };
  t.diagnostic(`server memory: baseline rss ${baseline.rss} peak ${baseline.peak}; after rss ${after.rss} peak ${after.peak}`);
  assert.ok(grew.rss < MEMORY_MARGIN_BYTES, `resident memory grew by ${grew.rss} bytes`);
  assert.ok(grew.peak < MEMORY_MARGIN_BYTES, `peak memory grew by ${grew.peak} bytes`);
  assert.deepEqual(writer.violations, []);
  assert.deepEqual(viewer.violations, []);
});

test('C1: a polling POST over the message limit gets 413 and its session is closed', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const handshake = await rawRequest(server.url, enginePath('polling'));
  assert.equal(handshake.status, 200);
  const { sid } = JSON.parse(handshake.body.slice(1)) as { sid: string };
  assert.equal(server.app.io.engine.clientsCount, 1);

  const post = await rawRequest(server.url, `${enginePath('polling')}&sid=${encodeURIComponent(sid)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
    body: `4${'x'.repeat(FRAME_BYTES)}`,
  }).catch((error: NodeJS.ErrnoException) => ({ status: 0, body: error.code ?? error.message }));
  // The server may close the connection before the client finished sending: the 413 is then lost in the reset.
  assert.ok(post.status === 413 || post.status === 0, `status ${post.status}: ${post.body}`);
  await waitFor(() => server.app.io.engine.clientsCount === 0, 'the oversized session to be closed', 5_000);
  assert.ok(FRAME_BYTES > SocketLimits.MaxMessageBytes);

  // A body within the limit is still accepted on a new session.
  const next = await rawRequest(server.url, enginePath('polling'));
  const nextSid = (JSON.parse(next.body.slice(1)) as { sid: string }).sid;
  const ok = await rawRequest(server.url, `${enginePath('polling')}&sid=${encodeURIComponent(nextSid)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
    body: '40',
  });
  assert.equal(ok.status, 200, ok.body);
});
