// Proves crash records are written atomically and read strictly, and that recovery ends exactly the sessions of dead servers from this boot.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { JournalLayout, parseProcessRecord, ProcessJournal, recoverLeftovers, type ProcessRecord } from '../../server/terminal/processJournal.js';
import { identify, isRunning, readBootId, sessionMembers, type ProcessIdentity } from '../../server/terminal/processTree.js';
import { waitFor } from '../helpers/wait.js';

const BOOT_ID = readBootId()!;
const SELF = identify(process.pid)!;
/** Our own pid with a start time that is not ours: a server that is no longer running. */
const DEAD_SERVER: ProcessIdentity = { pid: SELF.pid, startTime: SELF.startTime + 1 };

function record(overrides: Partial<ProcessRecord> = {}): ProcessRecord {
  return { version: JournalLayout.Version, roomId: 'room_1-A', bootId: BOOT_ID, server: DEAD_SERVER, shell: { pid: 4242, startTime: 77 }, ...overrides };
}

describe('parseProcessRecord', () => {
  test('a well-formed record round-trips', () => {
    assert.deepEqual(parseProcessRecord(JSON.stringify(record())), record());
  });

  const bad: Array<[string, unknown]> = [
    ['not JSON', '{'],
    ['an array', []],
    ['another version', { ...record(), version: 2 }],
    ['a room id with a slash', { ...record(), roomId: '../x' }],
    ['an empty boot id', { ...record(), bootId: '' }],
    ['pid 1', { ...record(), shell: { pid: 1, startTime: 5 } }],
    ['pid 0', { ...record(), shell: { pid: 0, startTime: 5 } }],
    ['a negative pid', { ...record(), server: { pid: -5, startTime: 5 } }],
    ['a pid past PID_MAX_LIMIT', { ...record(), shell: { pid: 4_194_305, startTime: 5 } }],
    ['a fractional start time', { ...record(), shell: { pid: 10, startTime: 1.5 } }],
    ['a string pid', { ...record(), shell: { pid: '10', startTime: 5 } }],
    ['no server', { ...record(), server: undefined }],
  ];
  for (const [what, value] of bad) {
    test(`${what} is refused`, () => {
      assert.equal(parseProcessRecord(typeof value === 'string' ? value : JSON.stringify(value)), undefined);
    });
  }
});

describe('ProcessJournal', () => {
  test('record() writes <roomId>.json naming this server and boot, leaves no temp file; remove() deletes it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-journal-'));
    try {
      const journal = new ProcessJournal(dataDir);
      journal.record('abc_DEF-1', { pid: 1234, startTime: 99 });
      const folder = join(dataDir, JournalLayout.Folder);
      assert.deepEqual(readdirSync(folder), ['abc_DEF-1.json']);
      const written = parseProcessRecord(readFileSync(join(folder, 'abc_DEF-1.json'), 'utf8'));
      assert.deepEqual(written, { version: JournalLayout.Version, roomId: 'abc_DEF-1', bootId: BOOT_ID, server: SELF, shell: { pid: 1234, startTime: 99 } });
      assert.throws(() => journal.record('../escape', { pid: 1234, startTime: 99 }), /not a room id/);
      journal.remove('abc_DEF-1');
      journal.remove('abc_DEF-1');
      assert.deepEqual(readdirSync(folder), []);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('recoverLeftovers', () => {
  /** A new session (like a room's shell) with a background sleep in its own process group. */
  async function startSession(tag: number): Promise<{ leader: ProcessIdentity; cleanup(): void }> {
    // `; wait` keeps bash from exec'ing the last sleep, so the session leader stays a shell.
    const child = spawn('bash', ['-c', `(set -m; sleep ${tag} &); sleep ${tag + 1} & wait`], { detached: true, stdio: 'ignore' });
    child.unref();
    const leader = identify(child.pid!)!;
    const cleanup = (): void => {
      for (const member of sessionMembers(leader) ?? []) {
        try {
          process.kill(member.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    };
    try {
      await waitFor(() => sessionMembers(leader)?.length === 3, 'the shell and its two sleeps');
    } catch (error) {
      cleanup();
      throw error;
    }
    return { leader, cleanup };
  }

  test('ends the sessions of dead servers from this boot, and leaves everything else alone', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-recover-'));
    const folder = join(dataDir, JournalLayout.Folder);
    mkdirSync(folder);
    const orphaned = await startSession(7501);
    const ownedByLiveServer = await startSession(7503);
    const beforeReboot = await startSession(7505);
    const reused = await startSession(7507);
    const write = (name: string, text: string): void => writeFileSync(join(folder, name), text);
    try {
      write('orphaned.json', JSON.stringify(record({ roomId: 'orphaned', shell: orphaned.leader })));
      write('live.json', JSON.stringify(record({ roomId: 'live', server: SELF, shell: ownedByLiveServer.leader })));
      write('reboot.json', JSON.stringify(record({ roomId: 'reboot', bootId: 'another-boot', shell: beforeReboot.leader })));
      // The recorded start time is not that of the process now holding the pid: a reused pid.
      write('reused.json', JSON.stringify(record({ roomId: 'reused', shell: { pid: reused.leader.pid, startTime: reused.leader.startTime - 1 } })));
      write('broken.json', '{"version":1,');
      write('half-written.json.tmp', '{');

      const lines: string[] = [];
      const outcomes = await recoverLeftovers(dataDir, (line) => lines.push(line));

      assert.deepEqual(outcomes.map((o) => o.kind === 'ended' ? [o.roomId, o.killed, o.survivors] : [o.roomId, o.kind]).sort(), [
        ['orphaned', 3, 0],
        ['reused', 'pid-reused'],
      ]);
      assert.deepEqual(sessionMembers(orphaned.leader) ?? [], [], 'the dead server\'s room session was ended');
      assert.equal(sessionMembers(ownedByLiveServer.leader)?.length, 3, 'a running server\'s room is not touched');
      assert.equal(sessionMembers(beforeReboot.leader)?.length, 3, 'a record from another boot names nothing of ours');
      assert.ok(isRunning(reused.leader), 'the process that reused the pid is not touched');
      assert.deepEqual(readdirSync(folder).sort(), ['half-written.json.tmp', 'live.json']);
      assert.equal(lines.length, 3, lines.join('\n'));
      assert.match(lines.find((line) => line.includes('broken.json'))!, /not a process record/);
      assert.match(lines.find((line) => line.includes('orphaned'))!, /ended 3 leftover process\(es\)/);
      assert.match(lines.find((line) => line.includes('reused'))!, /now belongs to another process; left it alone/);
    } finally {
      for (const session of [orphaned, ownedByLiveServer, beforeReboot, reused]) session.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a data dir without records is fine', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-recover-'));
    try {
      assert.deepEqual(await recoverLeftovers(dataDir, () => assert.fail('nothing to say')), []);
      assert.ok(!existsSync(join(dataDir, JournalLayout.Folder)));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
