// Profiles only: a create request never names a command; with --permit-arguments (off by default) it may add
// bounded `args` to the profile's command, and without it `args` is refused and nothing is spawned.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../server/config.js';
import { PayloadLimits } from '../../server/shared/limits.js';
import { startServer } from '../helpers/server.js';
import { api } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

test('--permit-arguments is off by default and turned on by the flag or TTYROOM_PERMIT_ARGUMENTS', () => {
  assert.equal(parseConfig([], {}).config.permitArguments, false);
  assert.equal(parseConfig(['--permit-arguments'], {}).config.permitArguments, true);
  assert.equal(parseConfig([], { TTYROOM_PERMIT_ARGUMENTS: '1' }).config.permitArguments, true);
});

test('by default a create request with command or args is refused with 400 and spawns nothing', async () => {
  const server = await startServer();
  try {
    for (const body of [{ command: 'sh' }, { command: ['sh', '-c', 'id'] }, { args: ['-c', 'touch /tmp/ttyroom-args'] }, { args: [] }]) {
      const answer = await api(server, 'POST', '/api/rooms', { body });
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.body.error.message, /profile|permit-arguments/);
    }
    assert.equal(server.app.rooms.size, 0, 'nothing spawned');
    assert.equal((await api(server, 'POST', '/api/rooms', { body: {} })).status, 201, 'the same server does create rooms');
  } finally {
    await server.close();
  }
});

test('with --permit-arguments, args are appended to the profile\'s command (bounded); command is still refused', async () => {
  const server = await startServer({ permitArguments: true });
  try {
    const made = await api(server, 'POST', '/api/rooms', { body: { args: ['-c', 'echo ARGS-$((6*7)); sleep 30'] } });
    assert.equal(made.status, 201, made.text);
    const room = server.app.rooms.get(made.body.id)!;
    await waitFor(async () => (await room.screenText()).includes('ARGS-42'), 'the profile command to run with the extra arguments');

    const before = server.app.rooms.size;
    const bad: unknown[] = [
      { command: 'sh' }, { args: 'x' }, { args: [1] }, { args: ['a\u0000b'] }, { args: ['x'.repeat(PayloadLimits.MaxArgLength + 1)] },
      { args: Array.from({ length: PayloadLimits.MaxArgs + 1 }, () => 'a') },
    ];
    for (const body of bad) assert.equal((await api(server, 'POST', '/api/rooms', { body })).status, 400, JSON.stringify(body).slice(0, 60));
    assert.equal(server.app.rooms.size, before, 'nothing spawned by a refused request');
  } finally {
    await server.close();
  }
});
