// Real-browser test of two nodes on one real Redis: a room created on node A, opened in Chromium through node B (the page, its REST calls and its socket all go to B), works as on one node — its name, the owner's typing, a viewer on A seeing it. Screenshots at desktop and phone sizes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { closeInOrder, launchChromium, saveScreenshot, typeLine, Viewports, watchPageErrors } from '../helpers/browser.js';
import { createRoomAt } from '../helpers/serverProcess.js';
import { redisMissing } from '../helpers/redis.js';
import { twoNodesPerSuite } from '../helpers/clusterNodes.js';

/** Test timing, in milliseconds: failure bounds only; a relayed join and an echo take milliseconds here. */
const E2eTiming = {
  WaitMs: 15_000,
  TestMs: 60_000,
} as const;

/** The room page's test hook (client/src/room.ts), as much of it as this test reads. */
type HookedWindow = Window & { ttyroom?: { readonly role: string | undefined; screenText(): string } };

const skip = redisMissing();
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

async function openRoom(url: string, viewport: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const context = await browser!.newContext({ viewport });
  context.setDefaultTimeout(E2eTiming.WaitMs);
  contexts.push(context);
  const page = await context.newPage();
  const errors = watchPageErrors(page);
  await page.goto(url);
  await page.locator('body[data-connection="connected"]').waitFor({ state: 'attached' });
  await page.waitForFunction(() => (window as HookedWindow).ttyroom?.role !== undefined);
  return { page, errors };
}

async function waitForLine(page: Page, line: string): Promise<void> {
  await page.waitForFunction(
    (wanted) => ((window as HookedWindow).ttyroom?.screenText() ?? '').split('\n').some((row) => row.trim() === wanted),
    line,
  );
}

describe('two nodes on one Redis, in a browser', { skip }, () => {
  const nodes = twoNodesPerSuite();
  before(async () => {
    browser = await launchChromium();
  });
  after(() => closeInOrder(
    ...contexts.map((context) => () => context.close()),
    () => browser?.close(),
  ));

  test('a room of node A opened through node B: its name, the owner typing, a viewer on A seeing it', { timeout: E2eTiming.TestMs }, async (t) => {
    const { a, b } = nodes;
    const room = await createRoomAt(a.url, { name: 'incident 4711' });
    const owner = await openRoom(`${b.url}/r/${room.id}#token=${room.ownerToken}`, Viewports.Desktop);
    // The name comes from GET /api/rooms/:id, which B forwards to A.
    await owner.page.locator('#room-name', { hasText: 'incident 4711' }).waitFor();
    assert.equal(await owner.page.evaluate(() => (window as HookedWindow).ttyroom?.role), 'owner');

    const viewer = await openRoom(`${a.url}/r/${room.id}`, Viewports.Phone);
    await typeLine(owner.page, 'echo typed-on-b-$((6*7))');
    await waitForLine(owner.page, 'typed-on-b-42');
    await waitForLine(viewer.page, 'typed-on-b-42');
    await saveScreenshot(t, owner.page, 'two-nodes-owner-on-b-desktop');

    const phone = await openRoom(`${b.url}/r/${room.id}`, Viewports.Phone);
    await phone.page.locator('#room-name', { hasText: 'incident 4711' }).waitFor();
    await waitForLine(phone.page, 'typed-on-b-42');
    await saveScreenshot(t, phone.page, 'two-nodes-viewer-on-b-phone');
    assert.deepEqual([...owner.errors, ...viewer.errors, ...phone.errors], []);
  });
});
