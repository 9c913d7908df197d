// The record across a kill -9 of the server: the database opens at the next start, holds every audit row and count written
// before the kill, and marks the dead server's room as lost; `ttyroom audit` prints it as lines, JSON lines, per room and as sessions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredAuditEvent } from '../../server/store/store.js';
import { joinMember, type Member } from '../helpers/member.js';
import { BIN, createRoomAt, startServerProcess, TEST_SHELL_LINE, type ServerProcess } from '../helpers/serverProcess.js';
import { storedAuditEvents, withStore } from '../helpers/audit.js';
import { waitFor } from '../helpers/wait.js';

/** Runs `ttyroom audit ...args` to its end. */
function auditCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, 'audit', ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('kill -9 mid-session, then a restart: the database opens, audit rows and counts up to the kill are there, the room is marked lost', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-record-crash-'));
  const args = ['serve', '--port', '0', '--data-dir', dataDir, '--command', TEST_SHELL_LINE];
  const servers: ServerProcess[] = [];
  const members: Member[] = [];
  try {
    const first = await startServerProcess(args);
    servers.push(first);
    const created = await createRoomAt(first.url);
    const owner = await joinMember(first.url, created.id, { token: created.ownerToken, name: 'owner' });
    const writer = await joinMember(first.url, created.id, { token: created.writeToken, name: 'writer' });
    members.push(owner, writer);
    for (const n of [1, 2, 3]) {
      writer.socket.emit('term:input', `echo crash-${n}-$((40+2))\r`);
      await waitFor(() => owner.outputText().includes(`crash-${n}-42`), `command ${n}`);
    }
    // Everything above was answered to a client, so each of its rows was committed before the answer went out.
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    for (const member of members) member.close();

    const second = await startServerProcess(args);
    servers.push(second);
    const events = storedAuditEvents(dataDir).filter((event) => event.room === created.id);
    assert.deepEqual(events.map((event) => [event.event, event.detail?.role]), [
      ['room.created', undefined], ['member.joined', 'owner'], ['member.joined', 'writer'],
    ]);
    const { room, sessions } = withStore(dataDir, (store) => ({ room: store.room(created.id), sessions: store.memberSessions(created.id) }));
    assert.equal(room?.exitReason, 'server-lost', 'the room the dead server left open is closed at the restart');
    assert.deepEqual(sessions.map((s) => [s.name, s.commands, s.leftAt !== undefined]), [['owner', 0, true], ['writer', 3, true]]);

    // The new server writes on into the same record.
    const fresh = await createRoomAt(second.url);
    await waitFor(() => storedAuditEvents(dataDir).some((event) => event.room === fresh.id && event.event === 'room.created'), 'the new room in the record');
    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);

    // The operator's view: one line per event, oldest first; JSON lines; one room; sessions.
    const lines = auditCli(['--data-dir', dataDir]);
    assert.equal(lines.status, 0, lines.stderr);
    const text = lines.stdout.trimEnd().split('\n');
    assert.match(text[0]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z room\\.created +room=${created.id} address=127\\.0\\.0\\.1 profile=default pid=\\d+ private=false$`));
    assert.ok(text.some((line) => line.includes('room.closed') && line.includes(`room=${fresh.id}`) && line.includes('reason=server-shutdown')));
    const json = auditCli(['--json', '--room', created.id], { TTYROOM_DATA_DIR: dataDir });
    assert.equal(json.status, 0, json.stderr);
    const parsed = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as StoredAuditEvent);
    assert.deepEqual(parsed, storedAuditEvents(dataDir).filter((event) => event.room === created.id).map((event, index) => ({ id: parsed[index]!.id, ...event })));
    const sessionLines = auditCli(['--sessions', '--room', created.id, '--data-dir', dataDir]);
    assert.equal(sessionLines.status, 0, sessionLines.stderr);
    assert.match(sessionLines.stdout, new RegExp(`^room=${created.id} member=\\S+ name=writer role=writer user=- address=127\\.0\\.0\\.1 joined=\\S+Z left=\\S+Z commands=3 chats=0$`, 'm'));

    const nowhere = auditCli(['--data-dir', join(dataDir, 'nowhere')]);
    assert.equal(nowhere.status, 1);
    assert.match(nowhere.stderr, /^ttyroom: no record at .*ttyroom\.db/);
    assert.equal(auditCli(['--bogus']).status, 2);
  } finally {
    for (const member of members) member.close();
    for (const server of servers) server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
