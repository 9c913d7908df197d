// Live rewind in a real browser (issue 12): a viewer drops a bookmark on one screen, the screen changes, the viewer
// opens Rewind, goes to the bookmark and sees the earlier screen in the player while the live terminal keeps
// receiving, then goes back to live and sees the current screen with what arrived meanwhile.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { closeInOrder, launchChromium, newE2eContext, saveScreenshot, Viewports, typeLine } from '../helpers/browser.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';


/** Test timing, in milliseconds. */
const E2eTiming = {
  /** Page loads, joins, a shell round trip and loading the player take well under a few seconds; the failure bound. */
  WaitMs: 15_000,
  TestMs: 60_000,
} as const;

/** A laptop, and a phone in portrait (docs/ui.md): the overlay must work at both sizes. */
const WIDE_VIEWPORT = Viewports.Desktop;
const PHONE_VIEWPORT = Viewports.Phone;

interface Hooked {
  ttyroom?: { role: string | undefined; screenText(): string; rewinding: boolean };
}

let server: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

before(async () => {
  server = await startServer();
  browser = await launchChromium();
});

after(() => closeInOrder(
  ...contexts.map((context) => () => context.close()),
  () => browser?.close(),
  () => server?.close(),
));

async function openAs(url: string, name: string, viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const context = await newE2eContext(browser, server.url, E2eTiming.WaitMs);
  contexts.push(context);
  await context.addInitScript((chosen) => localStorage.setItem('ttyroom.name', chosen), name);
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.goto(url);
  await page.locator('body[data-connection="connected"]').waitFor({ state: 'attached' });
  await page.waitForFunction(() => (window as Hooked).ttyroom?.role !== undefined);
  return { page, errors };
}

/** The live terminal's screen (the page's own xterm, under the overlay). */
function liveScreen(page: Page): Promise<string> {
  return page.evaluate(() => (window as Hooked).ttyroom?.screenText() ?? '');
}

/** What the rewind player's terminal shows now: its text rows, right-trimmed (the player pads them with spaces). */
async function playerScreen(page: Page): Promise<string> {
  const text = await page.locator('#rewind-player .ap-term-text').innerText();
  return text.split('\n').map((line) => line.replace(/[\s\u00a0]+$/, '')).join('\n');
}

const screenshot = saveScreenshot;

for (const layout of [{ name: 'wide', viewport: WIDE_VIEWPORT }, { name: 'phone', viewport: PHONE_VIEWPORT }] as const) {
  test(`${layout.name}: bookmark a screen, rewind to it, see it, back to live with what arrived meanwhile`, { timeout: E2eTiming.TestMs }, async (t) => {
    const created = await server.createRoom({ name: `rewind ${layout.name}` });
    const owner = await openAs(created.ownerUrl, 'lead');
    const viewer = await openAs(created.viewUrl, 'watcher', layout.viewport);

    await typeLine(owner.page, 'echo FIRST-$((6*7))');
    await viewer.page.waitForFunction(() => /^FIRST-42$/m.test((window as Hooked).ttyroom?.screenText() ?? ''));

    // The viewer bookmarks this screen with the inline form; everyone is told.
    await viewer.page.bringToFront();
    await viewer.page.getByRole('button', { name: 'Bookmark', exact: true }).click();
    await viewer.page.getByLabel('Bookmark this moment').fill('first screen');
    await screenshot(t, viewer.page, `${layout.name}-bookmark-form`);
    await viewer.page.getByRole('button', { name: 'Add bookmark' }).click();
    await owner.page.getByText('watcher bookmarked: first screen').waitFor();
    await viewer.page.getByRole('button', { name: 'Rewind, 1 bookmark' }).waitFor();

    // The screen moves on: the first one is cleared away.
    await typeLine(owner.page, 'clear; echo SECOND-$((6*7))');
    await viewer.page.waitForFunction(() => {
      const screen = (window as Hooked).ttyroom?.screenText() ?? '';
      return /^SECOND-42$/m.test(screen) && !screen.includes('FIRST-42');
    });

    // Rewind: the list has the bookmark; going to it shows the earlier screen in the player.
    await viewer.page.bringToFront();
    await viewer.page.getByRole('button', { name: 'Rewind, 1 bookmark' }).click();
    const bookmark = viewer.page.getByRole('button', { name: /^Bookmark at .*: first screen \(by watcher\)$/ });
    await bookmark.waitFor();
    await bookmark.click();
    await waitFor(async () => {
      const shown = await playerScreen(viewer.page);
      return /^FIRST-42$/m.test(shown) && !shown.includes('SECOND-42');
    }, 'the player to show the bookmarked screen', E2eTiming.WaitMs);
    await screenshot(t, viewer.page, `${layout.name}-rewind`);

    // Meanwhile the room goes on, and the live terminal under the overlay keeps receiving it.
    await typeLine(owner.page, 'echo THIRD-$((6*7))');
    await viewer.page.waitForFunction(() => /^THIRD-42$/m.test((window as Hooked).ttyroom?.screenText() ?? ''));
    assert.equal(await viewer.page.evaluate(() => (window as Hooked).ttyroom?.rewinding), true, 'still rewinding while the live output arrived');
    assert.ok(/^FIRST-42$/m.test(await playerScreen(viewer.page)), 'the player stayed on the bookmark');

    // Back to live: the overlay goes, and the terminal shows the current screen.
    await viewer.page.bringToFront();
    await viewer.page.getByRole('button', { name: 'Back to live' }).click();
    await viewer.page.locator('#rewind-overlay').waitFor({ state: 'hidden' });
    const live = await liveScreen(viewer.page);
    assert.match(live, /^SECOND-42$/m);
    assert.match(live, /^THIRD-42$/m);
    assert.ok(!live.includes('FIRST-42'), 'the live screen is the current one');
    assert.ok(await viewer.page.locator('#terminal-host .xterm').isVisible());
    assert.deepEqual(owner.errors, [], 'owner page: no errors');
    assert.deepEqual(viewer.errors, [], 'viewer page: no errors');
  });
}

test('rewind in a room that is not recorded says it needs the recording', { timeout: E2eTiming.TestMs }, async () => {
  const created = await server.createRoom({ name: 'unrecorded', record: false });
  const viewer = await openAs(created.viewUrl, 'watcher');
  await viewer.page.getByRole('button', { name: 'Rewind' }).click();
  await viewer.page.getByText('Rewind needs the recording').waitFor();
  await viewer.page.getByRole('button', { name: 'Back to live' }).click();
  await viewer.page.locator('#rewind-overlay').waitFor({ state: 'hidden' });
  assert.deepEqual(viewer.errors, []);
});
