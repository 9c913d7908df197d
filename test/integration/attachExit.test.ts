// Every way out of `ttyroom attach` gives the terminal back as it was: `stty -a` the same before and after, the
// normal screen, the cursor shown, the keypad and cursor keys in their normal modes; and the exit status says why.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { BIN, startServerProcess, TEST_SHELL_LINE, createRoomAt } from '../helpers/serverProcess.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { shellQuote, Tmux, TMUX_MISSING } from '../helpers/tmux.js';
import { waitFor } from '../helpers/wait.js';

/** Generous: tmux, node and the shell all start and draw on a loaded machine. */
const DRAW_TIMEOUT_MS = 30_000;

interface Run {
  tmux: Tmux;
  /** The pid of the attach process. */
  pid(): number;
  /** Waits for attach to end; its exit status, and whether `stty -a` was the same after as before. */
  finished(): Promise<{ status: number; sameStty: boolean; before: string; after: string }>;
}

let runs = 0;

/** Runs `ttyroom attach LINK ...` in tmux between two `stty -a`, and waits until its status line is up. */
async function attachRun(t: TestContext, link: string, extra: readonly string[], ready: RegExp): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'ttyroom-exit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const marker = `exit-run-${process.pid}-${++runs}`;
  const attach = [process.execPath, BIN, 'attach', link, '--name', marker, ...extra].map(shellQuote).join(' ');
  // stty runs in the same terminal right before and after; the Tmux helper keeps the pane alive after it.
  const script = `stty -a > ${shellQuote(join(dir, 'before'))}; ${attach}; status=$?; stty -a > ${shellQuote(join(dir, 'after'))}; exit $status`;
  const tmux = new Tmux(80, 25, `bash --noprofile --norc -c ${shellQuote(script)}`);
  t.after(() => tmux.close());
  await waitFor(() => ready.test(tmux.lines().at(-1) ?? ''), `the status line matches ${ready}`, DRAW_TIMEOUT_MS);
  return {
    tmux,
    pid: () => {
      const pid = tmux.pidOf(marker);
      assert.ok(pid !== undefined, 'the attach process is running');
      return pid;
    },
    async finished() {
      await waitFor(() => tmux.exitStatus() !== undefined, 'attach ended', DRAW_TIMEOUT_MS);
      const before = readFileSync(join(dir, 'before'), 'utf8');
      const after = readFileSync(join(dir, 'after'), 'utf8');
      return { status: tmux.exitStatus()!, sameStty: before === after, before, after };
    },
  };
}

/** The pane's terminal modes after the attach ended: what a user would find wrong in their shell. */
function assertScreenRestored(tmux: Tmux): void {
  assert.equal(tmux.format('#{alternate_on}'), '0', 'back on the normal screen');
  assert.equal(tmux.format('#{cursor_flag}'), '1', 'the cursor is shown');
  assert.equal(tmux.format('#{keypad_cursor_flag}'), '0', 'cursor keys in normal mode');
  assert.equal(tmux.format('#{keypad_flag}'), '0', 'keypad in normal mode');
}

async function withServer(t: TestContext): Promise<TestServer> {
  const server = await startServer();
  t.after(() => server.close());
  return server;
}

/** Makes the room's program put the terminal in every mode attach mirrors, so leaving must undo them. */
const MODES_ON = "printf '\\033[?1h\\033=\\033[?2004h\\033[?25l'";

test('attach: every way out restores the terminal and exits with the status that says why', { skip: TMUX_MISSING }, async (t) => {
  const server = await withServer(t);

  await t.test('the room\'s program exits: its status', async (t) => {
    const created = await server.createRoom();
    const run = await attachRun(t, created.writeUrl, [], /writer/);
    run.tmux.sendKeys([MODES_ON, 'Enter']);
    run.tmux.sendKeys(['exit 7', 'Enter']);
    const end = await run.finished();
    assert.equal(end.status, 7);
    assert.ok(end.sameStty, `stty before:\n${end.before}\nafter:\n${end.after}`);
    assertScreenRestored(run.tmux);
  });

  await t.test('the detach key twice: 0, and the room goes on', async (t) => {
    const created = await server.createRoom();
    const run = await attachRun(t, created.writeUrl, [], /writer/);
    run.tmux.sendKeys([MODES_ON, 'Enter']);
    run.tmux.sendKeys(['C-\\', 'C-\\']);
    const end = await run.finished();
    assert.equal(end.status, 0);
    assert.ok(end.sameStty, `stty before:\n${end.before}\nafter:\n${end.after}`);
    assertScreenRestored(run.tmux);
    assert.equal(server.app.rooms.get(created.id)!.exited, undefined, 'the room goes on');
  });

  await t.test('~. after Enter: 0', async (t) => {
    const created = await server.createRoom();
    const run = await attachRun(t, created.writeUrl, [], /writer/);
    run.tmux.sendKeys(['Enter', '~', '.']);
    const end = await run.finished();
    assert.equal(end.status, 0);
    assert.ok(end.sameStty);
    assertScreenRestored(run.tmux);
  });

  await t.test('Ctrl-C of a watcher: 0', async (t) => {
    const created = await server.createRoom();
    const run = await attachRun(t, created.viewUrl, [], /watching/);
    run.tmux.sendKeys(['C-c']);
    const end = await run.finished();
    assert.equal(end.status, 0);
    assert.ok(end.sameStty);
    assertScreenRestored(run.tmux);
  });

  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    await t.test(`${signal} to the client: ${status}`, async (t) => {
      const created = await server.createRoom();
      const run = await attachRun(t, created.writeUrl, [], /writer/);
      run.tmux.sendKeys([MODES_ON, 'Enter']);
      await waitFor(() => run.tmux.format('#{keypad_flag}') === '1', 'the program\'s modes reached the pane', DRAW_TIMEOUT_MS);
      process.kill(run.pid(), signal);
      const end = await run.finished();
      assert.equal(end.status, status);
      assert.ok(end.sameStty, `stty before:\n${end.before}\nafter:\n${end.after}`);
      assertScreenRestored(run.tmux);
    });
  }

  await t.test('the server is gone for good: 1 once --reconnect-timeout ran out', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-gone-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const child = await startServerProcess(['serve', '--port', '0', '--data-dir', dataDir, '--command', TEST_SHELL_LINE]);
    t.after(() => child.stop());
    const created = await createRoomAt(child.url);
    const run = await attachRun(t, created.writeUrl, ['--reconnect-timeout', '1'], /writer/);
    run.tmux.sendKeys([MODES_ON, 'Enter']);
    await waitFor(() => run.tmux.format('#{keypad_flag}') === '1', 'the program\'s modes reached the pane', DRAW_TIMEOUT_MS);
    child.child.kill('SIGKILL');
    const end = await run.finished();
    assert.equal(end.status, 1);
    assert.ok(end.sameStty);
    assertScreenRestored(run.tmux);
  });
});
