// Crash recovery (F7 in docs/properties.md): after kill -9 of the server, the next start ends every process its rooms left, and new rooms work.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { joinMember, type Member } from '../helpers/member.js';
import { commandLine, isRunningAs, killIfRunning, pidsRunningAs } from '../helpers/processes.js';
import { createRoomAt, startServerProcess, TEST_SHELL_LINE, type ServerProcess } from '../helpers/serverProcess.js';
import { waitFor } from '../helpers/wait.js';

async function markedPid(member: Member, name: string): Promise<number> {
  const pattern = new RegExp(`${name}=(\\d+)`);
  await waitFor(() => pattern.test(member.outputText()), `the ${name} marker`);
  return Number(pattern.exec(member.outputText())![1]);
}

test('F7: kill -9 of the server, then a restart on the same data dir: nothing of the old rooms survives; a new room works', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-f7-'));
  const args = ['serve', '--port', '0', '--data-dir', dataDir, '--command', TEST_SHELL_LINE];
  const leftovers: Array<{ pid: number; argv: readonly string[] }> = [];
  const servers: ServerProcess[] = [];
  const members: Member[] = [];
  try {
    const first = await startServerProcess(args);
    servers.push(first);
    const created = await createRoomAt(first.url);
    const member = await joinMember(first.url, created.id, { token: created.writeToken });
    members.push(member);
    member.socket.emit('term:input', 'echo "SH=$$"\r');
    const shellPid = await markedPid(member, 'SH');
    leftovers.push({ pid: shellPid, argv: commandLine(shellPid)! });
    member.socket.emit('term:input', 'nohup sleep 7201 >/dev/null 2>&1 & echo "J=$!"\r');
    leftovers.push({ pid: await markedPid(member, 'J'), argv: ['sleep', '7201'] });
    // The shell and its foreground job ignore the hangup that the pty master's close sends them.
    member.socket.emit('term:input', "trap '' HUP; sleep 7202\r");
    await waitFor(() => pidsRunningAs(['sleep', '7202']).length === 1, 'the foreground sleep');
    leftovers.push({ pid: pidsRunningAs(['sleep', '7202'])[0]!, argv: ['sleep', '7202'] });
    assert.deepEqual(readdirSync(join(dataDir, 'processes')), [`${created.id}.json`], 'the room is on record');

    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    for (const { pid, argv } of leftovers) {
      assert.ok(isRunningAs(pid, argv), `${argv.join(' ')} (${pid}) outlived the killed server (so the check below can fail)`);
    }

    const second = await startServerProcess(args);
    servers.push(second);
    // Recovery runs before the server listens, so by its first line every leftover was sent SIGKILL.
    await waitFor(() => leftovers.every(({ pid, argv }) => !isRunningAs(pid, argv)), 'every leftover of the killed server to be gone', 3_000);
    assert.match(second.stderr(), new RegExp(`room ${created.id} of a server that stopped without closing it: ended 3 leftover process\\(es\\) of shell pid ${shellPid}'s session`));
    assert.equal(second.stderr().trim().split('\n').length, 1, `one line per recovered room: ${second.stderr()}`);
    assert.deepEqual(readdirSync(join(dataDir, 'processes')), [], 'the record was removed');

    const fresh = await createRoomAt(second.url);
    const writer = await joinMember(second.url, fresh.id, { token: fresh.writeToken });
    members.push(writer);
    writer.socket.emit('term:input', 'echo "after-$((6 * 7))"\r');
    await waitFor(() => writer.outputText().includes('after-42'), 'the new room to run commands');

    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
    assert.deepEqual(readdirSync(join(dataDir, 'processes')), [], 'a clean shutdown leaves no record');
  } finally {
    for (const member of members) member.close();
    for (const server of servers) server.stop();
    killIfRunning(leftovers);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
