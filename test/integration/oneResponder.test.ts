// One responder: with a writer and three viewers attached, a terminal query gets exactly one reply.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { waitFor } from '../helpers/wait.js';

const COUNTER = fileURLToPath(new URL('../fixtures/countReplies.mjs', import.meta.url));
/** Members attach during this delay, so the query reaches all four of them live. */
const DELAY_MS = 1000;
const LISTEN_MS = 1500;

test('ESC[6n and ESC[c get exactly one reply each with one writer and three viewers', async () => {
  const server = await startServer({ command: [process.execPath, COUNTER, String(DELAY_MS), String(LISTEN_MS)] });
  const created = await server.createRoom();
  const room = server.app.rooms.get(created.id)!;
  const members: Member[] = [await joinMember(server.url, created.id, { token: created.writeToken })];
  for (let i = 0; i < 3; i++) members.push(await joinMember(server.url, created.id));
  try {
    await waitFor(() => members.every((m) => m.outputText().includes('\x1b[6n')), 'every member to receive the query live');
    await waitFor(async () => (await room.screenText()).includes('REPLIES'), 'the program to report', 10_000);
    const report = /REPLIES cpr=(\d+) da=(\d+) bytes=\d+ other=([0-9a-f]*)\./.exec((await room.screenText()))!;
    assert.equal(Number(report[1]), 1, 'one cursor position report');
    assert.equal(Number(report[2]), 1, 'one device attributes reply');
    assert.equal(report[3], '', 'nothing else reached the program');
  } finally {
    for (const member of members) member.close();
    await server.close();
  }
});
