// The command transcript over a real pty and real sockets: two writers type in turn and each command is read off
// the screen under the member who entered it; a paste of several lines gives one entry per line; a password typed
// at a no-echo prompt (`read -s`) is nowhere in the transcript, and without --record-input nowhere in the file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer } from '../helpers/server.js';
import { idOf } from '../helpers/collab.js';
import { joinMember, type Member } from '../helpers/member.js';
import { waitFor } from '../helpers/wait.js';
import { markers, readCast } from '../helpers/asciicast.js';
import { readTranscript, renderTranscript } from '../../server/recording/transcript.js';

/** Sends `input` and waits until `member` saw `done` (text only the command's output holds). */
async function type(member: Member, input: string, done: string): Promise<void> {
  member.socket.emit('term:input', input);
  await waitFor(() => member.outputText().includes(done), `"${done}" after ${JSON.stringify(input)}`, 20_000);
}

test('two writers type in turn: the transcript names who entered each command; a no-echo password is not in it', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'lead' });
  const ada = await joinMember(server.url, room.id, { token: room.writeToken, name: 'ada' });
  const bob = await joinMember(server.url, room.id, { name: 'bob' });
  t.after(() => [owner, ada, bob].forEach((member) => member.close()));
  owner.socket.emit('member:role', { memberId: idOf(bob), role: 'writer' });
  await waitFor(() => bob.roles.includes('writer'), 'bob given the keyboard');

  await type(ada, 'echo one-$((0+1))\r', 'one-1');
  // Typed key by key, as a person does: the echo comes before the Enter.
  for (const key of 'echo two-$((1+1))') await type(bob, key, key === '$' ? 'two-$' : key);
  await type(bob, '\r', 'two-2');
  await type(ada, "read -s -p 'Password: ' pw; echo; echo \"length ${#pw}\"\r", 'Password: ');
  await type(bob, 'SECRET-pw-1234\r', 'length 14');
  await type(owner, 'echo p-$((2+1))\recho q-$((3+1))\r', 'q-4');

  const file = server.app.recordings.fileOf(room.id);
  assert.ok(file);
  const entries = await readTranscript(file);
  // The prompt (bash-5.2$ , or # as root) is left out of the comparison.
  assert.deepEqual(entries.map((entry) => [entry.name, entry.memberId, entry.source, entry.command?.replace(/^\S*[$#] /, '$ ')]), [
    ['ada', idOf(ada), 'screen', '$ echo one-$((0+1))'],
    ['bob', idOf(bob), 'screen', '$ echo two-$((1+1))'],
    ['ada', idOf(ada), 'screen', "$ read -s -p 'Password: ' pw; echo; echo \"length ${#pw}\""],
    ['bob', idOf(bob), 'screen', 'Password:'],
    ['lead', idOf(owner), 'screen', '$ echo p-$((2+1))'],
    ['lead', idOf(owner), 'screen', '$ echo q-$((3+1))'],
  ], 'each command under the member who entered it, the paste as two');
  const text = renderTranscript(entries);
  assert.match(text, /^\d\d:\d\d:\d\d {2}ada {2}.*echo one-\$\(\(0\+1\)\)$/m);
  assert.ok(!JSON.stringify(entries).includes('SECRET') && !text.includes('SECRET'), 'the password is not in the transcript');

  const cast = readCast(file);
  assert.deepEqual(markers(cast).filter((label) => label.startsWith('enter:')).length, 6, 'one marker per Enter');
  assert.equal(cast.events.filter((event) => event.code === 'i').length, 0, 'no input events without --record-input');
  assert.ok(!readFileSync(file, 'utf8').includes('SECRET'), 'nor anywhere in the recording');
});
