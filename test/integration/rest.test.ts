// REST API: create, list (never tokens), inspect, screen, close with the owner token; JSON errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { joinMember } from '../helpers/member.js';
import { waitFor } from '../helpers/wait.js';

test('rooms can be created, listed without tokens, inspected, read and closed by their owner', async () => {
  const server = await startServer();
  try {
    const created = await server.createRoom({ name: 'class', cols: 100, rows: 30 });
    assert.equal(created.name, 'class');
    assert.ok(created.ownerToken.length >= 22 && created.writeToken.length >= 22);
    assert.notEqual(created.ownerToken, created.writeToken);
    assert.equal(created.viewUrl, `${server.url}/r/${created.id}`);
    assert.equal(created.writeUrl, `${created.viewUrl}#token=${created.writeToken}`);
    assert.ok(created.ownerUrl.startsWith(`${created.viewUrl}#token=${created.ownerToken}`));

    const listText = await (await fetch(`${server.url}/api/rooms`)).text();
    assert.ok(!listText.includes(created.ownerToken) && !listText.includes(created.writeToken), 'no tokens in the list');
    const list = JSON.parse(listText) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(list[0]!).sort(), ['approval', 'cols', 'createdAt', 'exited', 'id', 'locked', 'members', 'name', 'profile', 'rows']);
    assert.equal(list[0]!.cols, 100);

    const writer = await joinMember(server.url, created.id, { token: created.writeToken });
    writer.socket.emit('term:input', 'printf "\\033[1;31mscreen-check\\033[0m\\n"\r');
    const room = server.app.rooms.get(created.id)!;
    await waitFor(async () => /^screen-check$/m.test((await room.screenText())), 'the output on the mirror');
    const text = await (await fetch(`${server.url}/api/rooms/${created.id}/screen?format=text`)).text();
    assert.match(text, /^screen-check$/m);
    const ansi = await (await fetch(`${server.url}/api/rooms/${created.id}/screen?format=ansi`)).text();
    assert.match(ansi, /\x1b\[[0-9;]*31[0-9;]*mscreen-check/);
    const badFormat = await fetch(`${server.url}/api/rooms/${created.id}/screen?format=html`);
    assert.equal(badFormat.status, 400);

    // Closing needs the owner token; the writer token and no token get the not-found answer.
    for (const auth of [`Bearer ${created.writeToken}`, 'Bearer', '', `Basic ${created.ownerToken}`]) {
      const refused = await fetch(`${server.url}/api/rooms/${created.id}`, { method: 'DELETE', headers: auth ? { authorization: auth } : {} });
      assert.equal(refused.status, 404, `DELETE with "${auth.split(' ')[0]}" is refused`);
    }
    const closed = await fetch(`${server.url}/api/rooms/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${created.ownerToken}` } });
    assert.equal(closed.status, 204);
    assert.equal((await fetch(`${server.url}/api/rooms/${created.id}`)).status, 404, 'gone from the API at once');
    await waitFor(() => writer.exits.length === 1, 'members to get term:exit');
    assert.equal(writer.exits[0]!.reason, 'closed');
    writer.close();
  } finally {
    await server.close();
  }
});

test('bad requests get JSON errors with fitting statuses and create nothing', async () => {
  const server = await startServer();
  try {
    const post = (body: string, type = 'application/json') =>
      fetch(`${server.url}/api/rooms`, { method: 'POST', headers: { 'content-type': type }, body });
    const cases: Array<[string, number, string]> = [
      ['{not json', 400, 'bad-request'],
      [JSON.stringify({ cols: 0 }), 400, 'bad-request'],
      [JSON.stringify({ rows: 'x' }), 400, 'bad-request'],
      // C6: sizes a room may not start with.
      [JSON.stringify({ cols: 0, rows: 0 }), 400, 'bad-request'],
      [JSON.stringify({ cols: 65535, rows: 65535 }), 400, 'bad-request'],
      [JSON.stringify({ cols: -80, rows: 24 }), 400, 'bad-request'],
      [JSON.stringify({ cols: 80.5, rows: 24 }), 400, 'bad-request'],
      [JSON.stringify({ cols: '80', rows: '24' }), 400, 'bad-request'],
      [JSON.stringify({ cols: null, rows: 24 }), 400, 'bad-request'],
      [JSON.stringify({ cols: [80], rows: 24 }), 400, 'bad-request'],
      ['{"cols":1e400,"rows":24}', 400, 'bad-request'],
      ['{"cols":80,"rows":-1e400}', 400, 'bad-request'],
      [JSON.stringify({ cols: 80, rows: 24, junk: { x: 1 } }), 400, 'bad-request'],
      [JSON.stringify({ profile: 'rm -rf /' }), 400, 'bad-request'],
      [JSON.stringify({ profile: 'nosuch' }), 400, 'bad-request'],
      [JSON.stringify({ command: 'sh' }), 400, 'bad-request'],
      [JSON.stringify([1, 2]), 400, 'bad-request'],
      [JSON.stringify({ name: 'x'.repeat(100_000) }), 413, 'payload-too-large'],
    ];
    for (const [body, status, code] of cases) {
      const response = await post(body);
      assert.equal(response.status, status, `${body.slice(0, 30)} → ${status}`);
      const json = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(json.error.code, code);
      assert.ok(json.error.message.length > 0);
    }
    assert.equal(server.app.rooms.size, 0, 'no room was created by a bad request');
    const unknown = await fetch(`${server.url}/api/rooms/nope`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'not-found');
    assert.equal((await fetch(`${server.url}/api/nothing-here`)).status, 404);
    const health = await fetch(`${server.url}/healthz`);
    assert.deepEqual(await health.json(), { ok: true });
    assert.equal(health.headers.get('referrer-policy'), 'no-referrer');
    assert.match(health.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  } finally {
    await server.close();
  }
});

test('the shell environment is an allowlist: server secrets do not reach it', async () => {
  const server = await startServer({}, { ...process.env, TTYROOM_SECRET: 'hunter2-secret', AWS_SECRET_ACCESS_KEY: 'aws-secret-value' });
  try {
    const created = await server.createRoom();
    const writer = await joinMember(server.url, created.id, { token: created.writeToken });
    writer.socket.emit('term:input', 'env | sort; echo ENV-$((1+1))-DONE\r');
    const room = server.app.rooms.get(created.id)!;
    await waitFor(() => writer.outputText().includes('ENV-2-DONE'), 'env to print');
    const output = writer.outputText();
    assert.ok(!output.includes('hunter2-secret') && !output.includes('aws-secret-value'), 'no secret in env');
    assert.match(output, /TERM=xterm-256color/);
    assert.ok((await room.screenText()).length > 0);
    writer.close();
  } finally {
    await server.close();
  }
});

test('an exited room stays viewable for its time to live, then goes away', async () => {
  const server = await startServer({ exitedRoomTtlMs: 300 });
  try {
    const created = await server.createRoom();
    const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
    owner.socket.emit('term:input', 'exit 0\r');
    await waitFor(() => owner.exits.length === 1, 'the exit');
    assert.equal((await fetch(`${server.url}/api/rooms/${created.id}`)).status, 200);
    await waitFor(() => server.app.rooms.get(created.id) === undefined, 'the room to expire', 5_000);
    assert.equal((await fetch(`${server.url}/api/rooms/${created.id}`)).status, 404);
    owner.close();
  } finally {
    await server.close();
  }
});
