// The side chat over real sockets (issue 11; TESTPLAN J5): plain text to every admitted member, never into the
// terminal stream; capped, cleaned, rate-limited on the server's clock; the owner turns it off; joiners see the recent part.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatLimits, PayloadLimits } from '../../server/shared/limits.js';
import { startServer } from '../helpers/server.js';
import { idOf } from '../helpers/collab.js';
import { joinMember } from '../helpers/member.js';
import { ManualClock } from '../helpers/manualClock.js';
import { waitFor } from '../helpers/wait.js';


const MARKUP = '<img src=x onerror=alert(1)> **bold**';

test('chat: every member gets the message as plain text with its author and colour, and nothing of it enters the terminal stream', async (t) => {
  const clock = new ManualClock();
  const server = await startServer({}, process.env, { clock });
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'lead' });
  const viewer = await joinMember(server.url, room.id, { name: 'watcher' });
  t.after(() => [owner, viewer].forEach((m) => m.close()));

  viewer.socket.emit('chat:send', `  ${MARKUP}\u202e\u0007\r\nsecond line  `);
  await waitFor(() => owner.of('chat:message').length === 1, 'the message');
  const message = owner.of('chat:message')[0]!;
  assert.deepEqual(
    { ...message, at: undefined },
    { id: 1, memberId: idOf(viewer), name: 'watcher', colour: viewer.reply.ok ? viewer.reply.colour : '', text: `${MARKUP}\nsecond line`, at: undefined },
    'kept as text (markup is the client\'s to escape), bidi and control characters removed, line breaks kept',
  );
  assert.equal(message.at, new Date(clock.now()).toISOString());
  await waitFor(() => viewer.of('chat:message').length === 1, 'the author gets it too');
  assert.equal(owner.outputText().includes('onerror'), false, 'not in the terminal stream');

  viewer.socket.emit('chat:send', 'x'.repeat(PayloadLimits.MaxChatLength + 1));
  viewer.socket.emit('chat:send', ' \u0000 ');
  await waitFor(() => viewer.errors.length === 2, 'both refused');
  assert.deepEqual(viewer.errors.map((e) => e.code), ['bad-request', 'bad-request']);

  const late = await joinMember(server.url, room.id);
  t.after(() => late.close());
  assert.deepEqual(late.of('chat:message').map((m) => m.text), [message.text], 'a joiner sees the recent chat');
});

test('chat is rate-limited per member on the server clock, and the owner can turn it off', async (t) => {
  const clock = new ManualClock();
  const server = await startServer({}, process.env, { clock });
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  const chatty = await joinMember(server.url, room.id);
  const quiet = await joinMember(server.url, room.id);
  t.after(() => [owner, chatty, quiet].forEach((m) => m.close()));

  for (let i = 0; i < ChatLimits.Burst + 2; i++) chatty.socket.emit('chat:send', `message ${i}`);
  await waitFor(() => chatty.errors.length === 2, 'the two over the burst refused');
  assert.ok(chatty.errors.every((e) => e.code === 'rate-limited'));
  quiet.socket.emit('chat:send', 'my own budget');
  await waitFor(() => owner.of('chat:message').length === ChatLimits.Burst + 1, 'the burst and another member\'s message');
  clock.advance(1000 / ChatLimits.PerSecond);
  chatty.socket.emit('chat:send', 'one more after the refill');
  await waitFor(() => owner.of('chat:message').length === ChatLimits.Burst + 2, 'one more after the refill');

  owner.socket.emit('room:settings', { chat: false });
  await waitFor(() => quiet.of('room:settings').some((s) => !s.chat), 'chat off');
  clock.advance(60_000);
  quiet.socket.emit('chat:send', 'anyone?');
  await waitFor(() => quiet.errors.some((e) => e.code === 'forbidden'), 'refused while off');
  const late = await joinMember(server.url, room.id);
  t.after(() => late.close());
  assert.deepEqual(late.of('chat:message'), [], 'with chat off, a joiner is shown none of it');
});
