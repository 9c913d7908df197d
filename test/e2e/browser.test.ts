// Real-browser end-to-end tests: a headless Chromium drives the lobby and room pages of a real server, and
// every assertion is checked against real state (the server's mirror, the PTY's side effects on disk).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { CreatedRoom } from '../../server/shared/events.js';
import type { Room } from '../../server/rooms/room.js';
import { closeInOrder, launchChromium, newE2eContext, saveScreenshot, watchPageErrors, typeLine } from '../helpers/browser.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { sleep, waitFor } from '../helpers/wait.js';

/** Test timing, in milliseconds. */
const E2eTiming = {
  /** Page loads, joins and a shell round trip take well under a second here; this is only the failure bound. */
  WaitMs: 10_000,
  /** One test's bound; the whole file stays under a minute even if one hangs to its limit. */
  TestMs: 20_000,
  /**
   * How long refused keystrokes get to (wrongly) reach the shell. A writer's round trip is a few ms; this is
   * two orders of magnitude more.
   */
  RefusedInputGraceMs: 1_000,
} as const;

/** Visible screen rows with trailing blanks dropped, the same normalisation on both sides of a comparison. */
function screenLines(text: string): string[] {
  return text.split('\n').map((line) => line.trimEnd());
}

/** True when some row of the screen, trimmed, is exactly `line` (a command's echo does not count). */
function hasLine(text: string, line: string): boolean {
  return screenLines(text).some((row) => row.trim() === line);
}

/**
 * The room page's read-only test hook (client/src/room.ts, `TtyroomTestHook`). Declared here rather than
 * imported: the test project does not compile the client, and its global `Window` augmentation with it.
 */
interface TtyroomHook {
  readonly role: string | undefined;
  readonly offset: number;
  screenText(): string;
  readonly exited: boolean;
}
type HookedWindow = Window & { ttyroom?: TtyroomHook };

interface OpenedPage {
  page: Page;
  /** Uncaught exceptions and console errors from the page; a healthy page has none. */
  errors: string[];
}

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
/** Where the viewer's `touch` would land if its keys reached the shell. */
let scratchDir: string;

before(async () => {
  scratchDir = mkdtempSync(join(tmpdir(), 'ttyroom-e2e-'));
  server = await startServer();
  browser = await launchChromium();
  context = await newE2eContext(browser, server.url, E2eTiming.WaitMs);
});

after(() => closeInOrder(
  () => context?.close(),
  () => browser?.close(),
  () => server?.close(),
  () => scratchDir && rmSync(scratchDir, { recursive: true, force: true }),
));

/** Opens `url` in a new tab of the shared context and records what the page reports as broken. */
async function openPage(url: string): Promise<OpenedPage> {
  const page = await context.newPage();
  const errors = watchPageErrors(page);
  await page.goto(url);
  return { page, errors };
}

async function waitConnected(page: Page): Promise<void> {
  await page.locator('body[data-connection="connected"]').waitFor({ state: 'attached' });
}

/** Opens a room link and waits until the page has joined and parsed its snapshot. */
async function openRoom(url: string): Promise<OpenedPage> {
  const opened = await openPage(url);
  await waitConnected(opened.page);
  await opened.page.waitForFunction(() => (window as HookedWindow).ttyroom?.role !== undefined);
  return opened;
}

async function pageScreen(page: Page): Promise<string> {
  return page.evaluate(() => (window as HookedWindow).ttyroom?.screenText() ?? '');
}

async function waitForPageLine(page: Page, line: string): Promise<void> {
  await page.waitForFunction(
    (wanted) => ((window as HookedWindow).ttyroom?.screenText() ?? '').split('\n').some((row: string) => row.trim() === wanted),
    line,
    { timeout: E2eTiming.WaitMs },
  );
}

async function waitForMirrorLine(room: Room, line: string): Promise<void> {
  await waitFor(async () => hasLine((await room.screenText()), line), `the mirror to show a line "${line}"`, E2eTiming.WaitMs);
}

const screenshot = saveScreenshot;

function assertHealthy(opened: OpenedPage, what: string): void {
  assert.deepEqual(opened.errors, [], `${what}: no page errors`);
}

describe('a room shared by browser tabs', { timeout: 5 * E2eTiming.TestMs }, () => {
  let created: CreatedRoom;
  let room: Room;
  let writer: OpenedPage;
  const pages: OpenedPage[] = [];

  before(async () => {
    created = await server.createRoom({ name: 'e2e room' });
    room = server.app.rooms.get(created.id)!;
    assert.ok(room, 'the room exists on the server');
    writer = await openRoom(created.writeUrl);
    pages.push(writer);
  });

  after(async () => {
    for (const { page } of pages) await page.close();
  });

  test('writer keys reach the shell', { timeout: E2eTiming.TestMs }, async (t) => {
    const { page } = writer;
    assert.equal(await page.evaluate(() => (window as HookedWindow).ttyroom?.role), 'writer');
    assert.equal(await page.evaluate(() => document.body.dataset.role), 'writer');

    await typeLine(page, 'echo e2e-$((6*7))');

    // Only the shell can turn $((6*7)) into 42, so this line proves the keys went through the PTY.
    await waitForMirrorLine(room, 'e2e-42');
    await waitForPageLine(page, 'e2e-42');
    assert.ok((await pageScreen(page)).includes('echo e2e-$((6*7))'), 'the page shows the echoed command line');
    await screenshot(t, page, 'writer');
    assertHealthy(writer, 'writer page');
  });

  test('late viewer sees the current screen', { timeout: E2eTiming.TestMs }, async (t) => {
    await typeLine(writer.page, "printf '\\e[31mred-marker\\e[0m\\n'");
    await waitForMirrorLine(room, 'red-marker');
    // The prompt after the marker: the shell is idle, so the screen stays put while the viewer joins.
    await waitFor(
      async () => {
        const lines = screenLines((await room.screenText()));
        return (lines[lines.indexOf('red-marker') + 1] ?? '').length > 0;
      },
      'the shell to print its prompt after the marker',
      E2eTiming.WaitMs,
    );
    const mirrorOffset = room.streamOffset;

    const viewer = await openRoom(created.viewUrl);
    pages.push(viewer);
    const { page } = viewer;
    assert.equal(await page.evaluate(() => (window as HookedWindow).ttyroom?.role), 'viewer');
    assert.equal(await page.evaluate(() => document.body.dataset.role), 'viewer');
    assert.equal((await page.locator('#role-badge').textContent())?.trim(), 'viewer');

    await page.waitForFunction((offset) => ((window as HookedWindow).ttyroom?.offset ?? -1) >= offset, mirrorOffset);
    assert.equal(room.streamOffset, mirrorOffset, 'nothing was written while the viewer joined');
    assert.deepEqual(screenLines(await pageScreen(page)), screenLines((await room.screenText())), 'the viewer\'s screen equals the mirror\'s');

    // The snapshot carries attributes too: the marker is drawn in red (SGR 31), not in the default colour.
    const color = await page.evaluate(() => {
      const spans = Array.from(document.querySelectorAll('#terminal-host .xterm-rows span'));
      const marker = spans.find((span) => span.textContent?.startsWith('red-marker') === true);
      return marker ? getComputedStyle(marker).color : undefined;
    });
    assert.ok(color !== undefined, 'the marker is rendered in its own span (it has attributes)');
    const [r, g, b] = (color.match(/\d+/g) ?? []).map(Number) as [number, number, number];
    assert.ok(r > 2 * g && r > 2 * b, `the marker is red, got ${color}`);
    await screenshot(t, page, 'late-viewer');
    assertHealthy(viewer, 'viewer page');
  });

  test('viewer keys never reach the shell', { timeout: E2eTiming.TestMs }, async () => {
    const viewer = await openRoom(created.viewUrl);
    pages.push(viewer);
    const { page } = viewer;
    assert.equal(await page.evaluate(() => (window as HookedWindow).ttyroom?.role), 'viewer');
    const marker = join(scratchDir, 'viewer-was-here');

    await typeLine(page, `touch ${marker}`);
    // The keys went into the viewer's terminal (not the page body), so it is the app that refused them.
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('xterm-helper-textarea')), true, 'the viewer\'s terminal has the keyboard focus');
    await sleep(E2eTiming.RefusedInputGraceMs);
    // A writer's command that comes back after the grace period shows the shell has read all its input so far.
    await typeLine(writer.page, 'echo after-viewer-$((1+1))');
    await waitForMirrorLine(room, 'after-viewer-2');
    await waitForPageLine(page, 'after-viewer-2');

    assert.equal(existsSync(marker), false, 'the viewer\'s command did not run');
    assert.ok(!(await room.screenText()).includes('viewer-was-here'), 'the mirror never saw the viewer\'s keys');
    assert.ok(!(await pageScreen(page)).includes('viewer-was-here'), 'the viewer\'s own screen shows no local echo');
    assertHealthy(viewer, 'viewer page');
  });

  test('owner page: owner role, writer link to copy, window size drives the PTY', { timeout: E2eTiming.TestMs }, async (t) => {
    const initial = { cols: room.cols, rows: room.rows };
    const owner = await openRoom(created.ownerUrl);
    pages.push(owner);
    const { page } = owner;
    assert.equal(await page.evaluate(() => (window as HookedWindow).ttyroom?.role), 'owner');
    assert.equal(await page.evaluate(() => document.body.dataset.role), 'owner');
    assert.equal((await page.locator('#role-badge').textContent())?.trim(), 'owner');

    // The links are in the Share dialog.
    await page.getByRole('button', { name: 'Share' }).click();
    const copyWriter = page.getByRole('button', { name: /copy writer link/i });
    await copyWriter.waitFor({ state: 'visible' });
    await copyWriter.click();
    await page.waitForFunction(() => document.querySelector('#copy-write')?.textContent === 'Copied');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), created.writeUrl, 'the copied link is the writer link');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });

    // The owner's page fits the terminal to its window and proposes that size; the PTY follows.
    await waitFor(
      () => room.cols !== initial.cols || room.rows !== initial.rows,
      `the PTY to take the owner's window size (still ${room.cols}x${room.rows})`,
      E2eTiming.WaitMs,
    );
    await page.waitForFunction((rows) => (window as HookedWindow).ttyroom?.screenText().split('\n').length === rows, room.rows);
    await screenshot(t, page, 'owner');
    assertHealthy(owner, 'owner page');
  });

  test('exit banner', { timeout: E2eTiming.TestMs }, async (t) => {
    const { page } = writer;
    await typeLine(page, 'exit 3');

    await page.waitForFunction(() => (window as HookedWindow).ttyroom?.exited === true);
    const banner = page.locator('#banner');
    await banner.waitFor({ state: 'visible' });
    assert.match((await banner.textContent()) ?? '', /\bcode 3\b/);
    assert.equal(await page.evaluate(() => document.body.dataset.exited), 'true');
    assert.equal(room.exited?.exitCode, 3, 'the server saw the shell exit with 3');
    assert.equal(room.exited?.reason, 'exited');

    // Every other tab in the room learns it too.
    for (const other of pages.filter((opened) => opened !== writer)) {
      await other.page.waitForFunction(() => (window as HookedWindow).ttyroom?.exited === true);
      assert.match((await other.page.locator('#banner').textContent()) ?? '', /\bcode 3\b/);
    }
    await screenshot(t, page, 'exited');
    for (const opened of pages) assertHealthy(opened, opened.page.url().replace(/#.*/, '#…'));
  });
});

describe('the owner hands out the keyboard', () => {
  test('grant keyboard lets a viewer type; take keyboard back stops it', { timeout: E2eTiming.TestMs }, async () => {
    const created = await server.createRoom({ name: 'driving' });
    const room = server.app.rooms.get(created.id)!;
    const owner = await openRoom(created.ownerUrl);
    const viewer = await openRoom(created.viewUrl);
    try {
      await owner.page.bringToFront();
      // Wide windows show the member panel from the start; each member's actions open with "Manage".
      const members = owner.page.getByRole('region', { name: 'In the room' });
      await members.getByRole('button', { name: /^Manage/ }).first().waitFor();
      assert.equal(await members.getByRole('button', { name: /^Manage/ }).count(), 1, 'one member to manage: the viewer, not the owner itself');
      await members.getByRole('button', { name: /^Manage/ }).click();
      const give = members.getByRole('button', { name: 'Grant keyboard', exact: true });
      await give.click();
      await viewer.page.waitForFunction(() => (window as HookedWindow).ttyroom?.role === 'writer');
      const marker = join(scratchDir, 'handed-keyboard');
      await typeLine(viewer.page, `touch ${marker}`);
      await waitFor(() => existsSync(marker), 'the viewer\'s command to run once it holds the keyboard', E2eTiming.WaitMs);

      await owner.page.bringToFront();
      await members.getByRole('button', { name: 'Take keyboard back' }).click();
      await viewer.page.waitForFunction(() => (window as HookedWindow).ttyroom?.role === 'viewer');
      await typeLine(viewer.page, 'echo taken-back-$((1+1))');
      await sleep(E2eTiming.RefusedInputGraceMs);
      // The owner's command coming back shows the shell has read everything typed before it.
      await typeLine(owner.page, 'echo owner-after-$((1+1))');
      await waitForMirrorLine(room, 'owner-after-2');
      assert.ok(!(await room.screenText()).includes('taken-back'), 'the keys after the take-back never reached the shell');
      assertHealthy(owner, 'owner page');
      assertHealthy(viewer, 'viewer page');
    } finally {
      await owner.page.close();
      await viewer.page.close();
    }
  });
});

describe('lobby', () => {
  test('creating a room from the lobby lands on the room as its owner', { timeout: E2eTiming.TestMs }, async (t) => {
    const lobby = await openPage(`${server.url}/`);
    const { page } = lobby;
    // Capabilities travel in the fragment only (docs/protocol.md): no request may carry a token in its URL.
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    try {
      const name = `lobby-e2e-${process.pid}`;
      await page.getByPlaceholder(/room name/i).fill(name);
      await page.getByRole('button', { name: /create room/i }).click();

      await page.waitForURL(/\/r\/[^/#]+#token=/);
      const url = new URL(page.url());
      const id = decodeURIComponent(url.pathname.slice('/r/'.length));
      const token = new URLSearchParams(url.hash.slice(1)).get('token');
      assert.ok(token, 'the fragment carries the owner token');

      await waitConnected(page);
      await page.waitForFunction(() => (window as HookedWindow).ttyroom?.role === 'owner');
      assert.equal(await page.evaluate(() => document.body.dataset.role), 'owner');

      const room = server.app.rooms.get(id);
      assert.ok(room, `the server has the room ${id}`);
      assert.equal(room.name, name);
      assert.equal(room.access.isOwnerToken(token), true, 'the fragment\'s token is the room\'s owner token');
      await waitFor(() => room.memberCount === 1, 'the page to be the room\'s one member', E2eTiming.WaitMs);

      // The new room is live: the owner's keys reach its shell.
      await typeLine(page, 'echo lobby-$((2*21))');
      await waitForMirrorLine(room, 'lobby-42');
      await screenshot(t, page, 'lobby-room');

      const leaks = requested.filter((requestUrl) => requestUrl.includes(token));
      assert.deepEqual(leaks, [], 'no request URL carries the token');
      assertHealthy(lobby, 'lobby and room page');
    } finally {
      await page.close();
    }
  });
});
