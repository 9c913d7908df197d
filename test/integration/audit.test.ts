// The audit file: <dataDir>/audit.log holds created, joined (with role), denied writes (one counted line),
// left and closed (with reason and address), and never a token or a keystroke.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEvent } from '../../server/audit/auditLog.js';
import { AUDIT_FILE } from '../../server/app.js';
import { startServer } from '../helpers/server.js';
import { joinMember } from '../helpers/member.js';
import { waitFor } from '../helpers/wait.js';

const VIEWER_ATTEMPTS = 30;

test('the audit log records a room\'s life with addresses and roles, counts denied writes, and holds no secrets', async () => {
  const server = await startServer();
  const path = join(server.dataDir, AUDIT_FILE);
  const read = (): AuditEvent[] => readFileSync(path, 'utf8').trimEnd().split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditEvent);
  const created = await server.createRoom();
  const room = server.app.rooms.get(created.id)!;
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken, name: 'teacher' });
  const writer = await joinMember(server.url, created.id, { token: created.writeToken });
  const viewer = await joinMember(server.url, created.id);
  let text: string;
  try {
    writer.socket.emit('term:input', 'echo SECRET-KEYSTROKES-42\r');
    await waitFor(() => room.screenText().includes('SECRET-KEYSTROKES-42'), 'the writer\'s command to run');
    for (let i = 0; i < VIEWER_ATTEMPTS; i++) viewer.socket.emit('term:input', `VIEWER-KEY-${i}`);
    await waitFor(() => viewer.errors.length === VIEWER_ATTEMPTS, 'every viewer key refused');
    viewer.close();
    await waitFor(() => read().some((record) => record.event === 'member.left'), 'the viewer\'s leave to be audited');

    const closed = await fetch(`${server.url}/api/rooms/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${created.ownerToken}` } });
    assert.equal(closed.status, 204);
    await waitFor(() => read().some((record) => record.event === 'room.closed'), 'the close to be audited');
    // Read before the server's teardown removes its data folder.
    text = readFileSync(path, 'utf8');
  } finally {
    owner.close();
    writer.close();
    viewer.close();
    await server.close();
  }
  const records = text.trimEnd().split('\n').map((line) => JSON.parse(line) as AuditEvent);
  for (const secret of [created.ownerToken, created.writeToken, 'SECRET-KEYSTROKES', 'VIEWER-KEY']) {
    assert.ok(!text.includes(secret), `the audit log holds ${secret.slice(0, 12)}…`);
  }
  for (const record of records) assert.ok(!Number.isNaN(Date.parse(record.time)), `a time on ${JSON.stringify(record)}`);

  const ofRoom = records.filter((record) => record.room === created.id);
  const createdRecord = ofRoom.find((record) => record.event === 'room.created');
  assert.equal(createdRecord?.address, '127.0.0.1');
  const joins = ofRoom.filter((record) => record.event === 'member.joined');
  assert.deepEqual(joins.map((record) => record.detail?.role), ['owner', 'writer', 'viewer']);
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
  const closedRecord = ofRoom.find((record) => record.event === 'room.closed');
  assert.equal(closedRecord?.detail?.reason, 'closed');
  assert.equal(closedRecord?.address, '127.0.0.1', 'who closed it');
});
