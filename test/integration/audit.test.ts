// The audit in the store (<dataDir>/ttyroom.db) holds created, joined (with role), denied writes (one counted line),
// resizes (one counted line), left and closed (with reason, exit code or signal, and address), and never a
// token, a cookie or a keystroke.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent } from '../../server/audit/auditLog.js';
import { storeBytes, storedAuditEvents } from '../helpers/audit.js';
import { startServer } from '../helpers/server.js';
import { joinMember } from '../helpers/member.js';
import { io } from 'socket.io-client';
import { waitFor } from '../helpers/wait.js';

const VIEWER_ATTEMPTS = 30;
/** The owner's resizes in the audit scenario; the first size repeats the current one, so it is no change. */
const RESIZES = [[80, 24], [100, 30], [101, 30], [102, 31], [90, 20]] as const;
const SIZE_CHANGES = RESIZES.length - 1;
/** Sent as a cookie with every request of the scenario: a browser's session cookie must never be logged. */
const COOKIE_VALUE = 'COOKIE-SECRET-7f3a9c';

test('the audit log records a room\'s life with addresses and roles, counts denied writes, and holds no secrets', async () => {
  const server = await startServer();
  const read = (): AuditEvent[] => storedAuditEvents(server.dataDir);
  const created = await server.createRoom();
  const room = server.app.rooms.get(created.id)!;
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken, name: 'teacher' });
  const writer = await joinMember(server.url, created.id, { token: created.writeToken });
  const viewer = await joinMember(server.url, created.id);
  // A client that sends cookies on its handshake (as a browser would), joining with the write token.
  const cookieClient = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: `session=${COOKIE_VALUE}` } });
  let text: string;
  let records: AuditEvent[];
  try {
    const cookieJoin = await cookieClient.emitWithAck('room:join', { roomId: created.id, token: created.writeToken, name: 'cookie' });
    assert.equal(cookieJoin.ok, true);
    writer.socket.emit('term:input', 'echo SECRET-KEYSTROKES-42\r');
    await waitFor(async () => (await room.screenText()).includes('SECRET-KEYSTROKES-42'), 'the writer\'s command to run');
    cookieClient.emit('term:input', 'echo COOKIE-KEYS-$((3*3))\r');
    await waitFor(async () => (await room.screenText()).includes('COOKIE-KEYS-9'), 'the cookie client\'s command to run');
    for (let i = 0; i < VIEWER_ATTEMPTS; i++) viewer.socket.emit('term:input', `VIEWER-KEY-${i}`);
    await waitFor(() => viewer.errors.length === VIEWER_ATTEMPTS, 'every viewer key refused');
    for (const [cols, rows] of RESIZES) owner.socket.emit('term:resize', { cols, rows });
    await waitFor(() => room.cols === 90 && room.rows === 20, 'the last resize');
    viewer.close();
    await waitFor(() => read().some((record) => record.event === 'member.left'), 'the viewer\'s leave to be audited');

    const closed = await fetch(`${server.url}/api/rooms/${created.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${created.ownerToken}`, cookie: `session=${COOKIE_VALUE}` },
    });
    assert.equal(closed.status, 204);
    await waitFor(() => read().some((record) => record.event === 'room.closed'), 'the close to be audited');

    // Two rooms whose programs end by themselves: one exits with a code, one is killed by a signal.
    for (const [command, expected] of [['exit 3', 'exitCode'], ['kill -9 $$', 'signal']] as const) {
      const ended = await server.createRoom();
      const member = await joinMember(server.url, ended.id, { token: ended.writeToken });
      member.socket.emit('term:input', `${command}\r`);
      await waitFor(() => read().some((record) => record.event === 'room.closed' && record.room === ended.id), `${expected} to be audited`);
      member.close();
    }
    // Read before the server's teardown removes its data folder: the rows, and every byte of the files.
    records = read();
    text = storeBytes(server.dataDir) + JSON.stringify(records);
  } finally {
    cookieClient.close();
    owner.close();
    writer.close();
    viewer.close();
    await server.close();
  }
  for (const secret of [created.ownerToken, created.writeToken, 'SECRET-KEYSTROKES', 'COOKIE-KEYS', 'VIEWER-KEY', COOKIE_VALUE, 'echo', 'kill -9']) {
    assert.ok(!text.includes(secret), `the store holds ${secret.slice(0, 12)}…`);
  }
  for (const record of records) assert.ok(!Number.isNaN(Date.parse(record.time)), `a time on ${JSON.stringify(record)}`);
  // Everything a member did names the room, the member and the address it came from.
  for (const record of records.filter((r) => ['member.joined', 'member.left', 'write.denied', 'room.resized'].includes(r.event))) {
    assert.ok(record.room && record.actor && record.address === '127.0.0.1', `room, actor and address on ${JSON.stringify(record)}`);
  }

  const ofRoom = records.filter((record) => record.room === created.id);
  const createdRecord = ofRoom.find((record) => record.event === 'room.created');
  assert.equal(createdRecord?.address, '127.0.0.1');
  const joins = ofRoom.filter((record) => record.event === 'member.joined');
  assert.deepEqual(joins.map((record) => record.detail?.role), ['owner', 'writer', 'viewer', 'writer']);
  assert.ok(joins.every((record) => record.address === '127.0.0.1' && typeof record.actor === 'string'));
  const denied = ofRoom.filter((record) => record.event === 'write.denied');
  assert.equal(denied.length, 1, 'denied writes aggregated into one line');
  assert.equal(denied[0]!.detail?.count, VIEWER_ATTEMPTS);
  assert.equal(denied[0]!.actor, joins[2]!.actor, 'counted against the viewer');
  const left = ofRoom.filter((record) => record.event === 'member.left');
  assert.ok(left.some((record) => record.actor === joins[2]!.actor));
  const deniedAt = ofRoom.indexOf(denied[0]!);
  const viewerLeftAt = ofRoom.findIndex((record) => record.event === 'member.left' && record.actor === joins[2]!.actor);
  assert.ok(deniedAt < viewerLeftAt, 'the count is written before the leave');
  const resized = ofRoom.filter((record) => record.event === 'room.resized');
  // One line per interval (10 s): a slow machine may split the scenario's resizes over two.
  assert.ok(resized.length >= 1 && resized.length <= 2, `resizes aggregated, got ${resized.length} lines`);
  assert.equal(resized.reduce((sum, record) => sum + Number(record.detail?.count), 0), SIZE_CHANGES, 'every size change counted, the no-change resize not');
  assert.deepEqual([resized.at(-1)!.detail?.cols, resized.at(-1)!.detail?.rows], [90, 20], 'the last size');
  assert.equal(resized.at(-1)!.actor, joins[0]!.actor, 'counted against the owner');
  const closedRecord = ofRoom.find((record) => record.event === 'room.closed');
  assert.ok(ofRoom.indexOf(resized.at(-1)!) < ofRoom.indexOf(closedRecord!), 'the resize count is written before the close');
  assert.equal(closedRecord?.detail?.reason, 'closed');
  assert.equal(closedRecord?.address, '127.0.0.1', 'who closed it');

  // Programs that ended by themselves: the exit code, or the signal.
  const ends = records.filter((record) => record.event === 'room.closed' && record.room !== created.id);
  assert.equal(ends.length, 2);
  assert.deepEqual([ends[0]!.detail?.reason, ends[0]!.detail?.exitCode], ['exited', 3]);
  assert.deepEqual([ends[1]!.detail?.reason, ends[1]!.detail?.signal], ['exited', 'SIGKILL']);
});
