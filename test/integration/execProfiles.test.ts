// Exec profiles end to end: POST /api/rooms { profile, params } runs exactly the argv the operator's template and the
// accepted values make; a refused value answers 400 naming the param before anything runs; GET /api/profiles shows
// what a form needs and nothing of the command.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProfilesFile } from '../../server/rooms/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { api } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

const PRINT_ARGV = fileURLToPath(new URL('../fixtures/printArgv.mjs', import.meta.url));

/** A server whose `pod` profile runs the fixture, which records each run in a marker file of its own folder. */
async function serverWithExecProfile(): Promise<{ server: TestServer; marker: string; close(): Promise<void> }> {
  const folder = mkdtempSync(join(tmpdir(), 'ttyroom-exec-'));
  const marker = join(folder, 'ran.txt');
  const source = JSON.stringify({
    profiles: [
      { name: 'shell', type: 'command', command: 'bash --noprofile --norc', description: 'a plain shell' },
      {
        name: 'pod', type: 'exec', description: 'a shell in a pod',
        argv: [process.execPath, PRINT_ARGV, marker.replaceAll('{', '{{').replaceAll('}', '}}'), 'exec', '-n', '{namespace}', 'pod/{pod}', '--', 'sh'],
        params: { namespace: { values: ['dev', 'prod'] }, pod: { pattern: '^[a-z0-9.-]{1,253}$', description: 'pod name' } },
      },
    ],
  });
  const server = await startServer({ profiles: parseProfilesFile(source, 'test.json') });
  return {
    server,
    marker,
    async close() {
      await server.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

test('an exec profile runs the exact argv built from valid params, each value inside one element', async () => {
  const { server, marker, close } = await serverWithExecProfile();
  try {
    const made = await api(server, 'POST', '/api/rooms', { body: { profile: 'pod', params: { namespace: 'dev', pod: 'web-1.x' } } });
    assert.equal(made.status, 201, made.text);
    const room = server.app.rooms.get(made.body.id)!;
    const expected = `ARGV=${JSON.stringify(['exec', '-n', 'dev', 'pod/web-1.x', '--', 'sh'])}`;
    await waitFor(async () => (await room.screenText()).includes(expected), 'the fixture to print its argv');
    assert.equal(room.summary().profile, 'pod');
    const audit = await api(server, 'GET', `/api/rooms/${made.body.id}/audit`, { token: made.body.ownerToken });
    const created = audit.body.events.find((event: { event: string }) => event.event === 'room.created');
    assert.equal(created.detail.profile, 'pod');
    assert.equal(created.detail['param.pod'], 'web-1.x');
    assert.equal(readFileSync(marker, 'utf8'), 'ran\n');
  } finally {
    await close();
  }
});

test('refused values answer 400 naming the param; no room is made and the program never runs', async () => {
  const { server, marker, close } = await serverWithExecProfile();
  try {
    const cases: ReadonlyArray<[Record<string, unknown>, RegExp]> = [
      [{ namespace: 'dev', pod: '; rm -rf /' }, /param "pod"/],
      [{ namespace: 'dev', pod: '--privileged' }, /param "pod" must not start with "-"/],
      [{ namespace: 'dev', pod: '$(id)' }, /param "pod"/],
      [{ namespace: 'dev', pod: 'web\nid' }, /param "pod" must not hold control characters/],
      [{ namespace: 'kube-system', pod: 'web' }, /param "namespace"/],
      [{ namespace: 'dev', pod: 'web', image: 'alpine' }, /unknown param "image"/],
      [{ namespace: 'dev' }, /param "pod" is missing/],
      [{ namespace: 'dev', pod: 7 }, /param "pod" must be a string/],
      [{ namespace: 'dev', pod: 'a'.repeat(10_000) }, /param "pod" must be at most/],
    ];
    for (const [params, expected] of cases) {
      const answer = await api(server, 'POST', '/api/rooms', { body: { profile: 'pod', params } });
      assert.equal(answer.status, 400, `${JSON.stringify(params).slice(0, 60)}: ${answer.text}`);
      assert.equal(answer.body.error.code, 'bad-request');
      assert.match(answer.body.error.message, expected);
    }
    const commandProfile = await api(server, 'POST', '/api/rooms', { body: { profile: 'shell', params: { x: 'y' } } });
    assert.equal(commandProfile.status, 400);
    assert.match(commandProfile.body.error.message, /takes no params/);
    assert.equal(server.app.rooms.size, 0, 'no room was made');
    assert.equal(existsSync(marker), false, 'the program never ran');
  } finally {
    await close();
  }
});

test('GET /api/profiles lists the default and the file\'s profiles with what a form needs, never the command', async () => {
  const { server, close } = await serverWithExecProfile();
  try {
    const answer = await api(server, 'GET', '/api/profiles');
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, [
      { name: 'default', type: 'command', params: [] },
      { name: 'shell', type: 'command', description: 'a plain shell', params: [] },
      { name: 'pod', type: 'exec', description: 'a shell in a pod', params: [{ name: 'namespace', values: ['dev', 'prod'] }, { name: 'pod', description: 'pod name' }] },
    ]);
    assert.doesNotMatch(answer.text, /printArgv|bash|\^\[a-z/);
  } finally {
    await close();
  }
});
