// Hostile output in a real browser (D1, D3, D4): titles with markup, control characters and 10 KB show as
// inert, stripped, capped text; window reports and OSC 52 do nothing; OSC 8 links open only when they are
// http(s), only on a click, without an opener; nothing from the browsers reaches the PTY.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Dialog, Page } from 'playwright-core';
import { MaxTitleLength } from '../../client/src/title.js';
import { closeInOrder, launchChromium, newE2eContext } from '../helpers/browser.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { sleep, waitFor } from '../helpers/wait.js';

const PROBE = fileURLToPath(new URL('../fixtures/replyProbe.mjs', import.meta.url));
/** How long the probe keeps listening after the mirror's fence reply, for late replies from the browsers. */
const PROBE_LINGER_MS = 1_000;
const PROBE_LINE = /PROBE received=([0-9a-f]*) fences=(\d+)/;

/** Test timing, in milliseconds. */
const E2eTiming = {
  /** Page loads, joins and the probe take well under a second here; this is only the failure bound. */
  WaitMs: 15_000,
  TestMs: 60_000,
  /** How long a refused link click gets to (wrongly) open a tab or a dialog; a real one opens in a few ms. */
  RefusedClickGraceMs: 1_000,
} as const;

const COLS = 80;
const ROWS = 24;

const IMG = '<img src=x onerror=alert(1)>';
const CLIPBOARD_BEFORE = 'clipboard-before-the-room';
const CLIPBOARD_PAYLOAD = 'CLIPBOARD-SET-BY-PROGRAM';
/** Where the links are drawn (1-based rows, from column 1). */
const JS_LINK_ROW = 5;
const HTTP_LINK_ROW = 7;

/**
 * The program's output. Titles: one with C1 controls (xterm drops such an OSC whole), one cut short by an
 * ESC fragment, then the one that stays: markup, C0 controls, DEL, bidi controls (which reach the page:
 * only sanitizeTitle removes them) and 10 KB. Then a title report, window manipulation, OSC 52 set and
 * query, and two OSC 8 links.
 */
function hostileOutput(serverUrl: string): string {
  return [
    '\x1b]2;C1-\x9b31m-\x85-\x90-title\x07',
    '\x1b]2;ESC-\x1b[31mfragment\x1b[0m\x07',
    `\x1b]0;${IMG}\x01\x08\x0a\x0d\x1f\x7f\u202e\u2066${'Z'.repeat(10 * 1024)}\x07`,
    '\x1b[21t\x1b[20t\x1b[18t\x1b[14t\x1b[8;10;10t\x1b[3;0;0t',
    `\x1b]52;c;${Buffer.from(CLIPBOARD_PAYLOAD).toString('base64')}\x07\x1b]52;c;?\x07`,
    '\x1b[2J',
    `\x1b[${JS_LINK_ROW};1H\x1b]8;;javascript:alert(document.domain)\x07JS-LINK-TEXT\x1b]8;;\x07`,
    `\x1b[${HTTP_LINK_ROW};1H\x1b]8;;${serverUrl}/healthz?from=osc8\x07HTTP-LINK-TEXT\x1b]8;;\x07`,
    `\x1b[${HTTP_LINK_ROW + 2};1H`,
  ].join('');
}

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let scratchDir: string;

before(async () => {
  scratchDir = mkdtempSync(join(tmpdir(), 'ttyroom-e2e-escapes-'));
  server = await startServer({ command: [process.execPath, PROBE, join(scratchDir, 'payload'), String(PROBE_LINGER_MS)] });
  writeFileSync(join(scratchDir, 'payload'), hostileOutput(server.url));
  browser = await launchChromium();
  context = await newE2eContext(browser, server.url, E2eTiming.WaitMs);
});

after(() => closeInOrder(
  () => context?.close(),
  () => browser?.close(),
  () => server?.close(),
  () => scratchDir && rmSync(scratchDir, { recursive: true, force: true }),
));

/** The centre of a terminal cell, in page coordinates (the terminal may be scaled to fit). */
async function cellCentre(page: Page, row: number, col: number): Promise<{ x: number; y: number }> {
  const box = await page.locator('#terminal-host .xterm-screen').boundingBox();
  assert.ok(box, 'the terminal is laid out');
  const width = box.width / COLS;
  const height = box.height / ROWS;
  return { x: box.x + (col - 0.5) * width, y: box.y + (row - 0.5) * height };
}

test('hostile titles, window reports, OSC 52 and OSC 8 links in a real browser', { timeout: E2eTiming.TestMs }, async () => {
  const dialogs: string[] = [];
  const onDialog = (dialog: Dialog): void => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  };
  const opened: Page[] = [];
  context.on('page', (page) => {
    page.on('dialog', onDialog);
    opened.push(page);
  });
  const created = await server.createRoom({ cols: COLS, rows: ROWS });
  const room = server.app.rooms.get(created.id)!;

  const pages: Page[] = [];
  /** Uncaught exceptions and console errors from the room pages; a healthy page has none. */
  const pageErrors: string[] = [];
  for (const url of [created.writeUrl, created.viewUrl]) {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) pageErrors.push(`console: ${message.text()}`);
    });
    pages.push(page);
    await page.goto(url);
    await page.locator('body[data-connection="connected"]').waitFor({ state: 'attached' });
    await page.waitForFunction(() => (window as Window & { ttyroom?: { role?: string } }).ttyroom?.role !== undefined);
  }
  const [writer, viewer] = pages as [Page, Page];
  const tabsBefore = opened.length;
  await writer.bringToFront();
  await writer.evaluate((text) => navigator.clipboard.writeText(text), CLIPBOARD_BEFORE);

  // Any key starts the program's output.
  await writer.locator('#terminal-host .xterm').click();
  await writer.keyboard.type('g');
  await waitFor(async () => PROBE_LINE.test((await room.screenText())), 'the probe to report what it read', E2eTiming.WaitMs);

  // D3, D5: the browsers answered nothing; the mirror answered the probe's fence once.
  const [, received, fences] = PROBE_LINE.exec((await room.screenText()))!;
  assert.equal(received, '', 'nothing but the fence reply reached the PTY');
  assert.equal(Number(fences), 1, 'one reply to the fence: the mirror\'s');
  assert.deepEqual([room.cols, room.rows], [COLS, ROWS], 'window manipulation changed nothing');

  // D1: the title is inert, stripped and capped, in the header and the tab title of every page.
  const expected = IMG + 'Z'.repeat(MaxTitleLength - IMG.length);
  for (const page of pages) {
    await page.waitForFunction((title) => document.getElementById('term-title')?.textContent === title, expected).catch(async (error: unknown) => {
      const shown = await page.evaluate(() => [(window as Window & { ttyroom?: { offset: number; catchingUp: boolean } }).ttyroom?.offset, (window as Window & { ttyroom?: { catchingUp: boolean } }).ttyroom?.catchingUp, document.body.dataset.connection, document.getElementById('term-title')?.textContent, document.title, (window as Window & { ttyroom?: { screenText(): string } }).ttyroom?.screenText()]);
      throw new Error(`mirror offset ${room.streamOffset} ${pageErrors.join('; ')} the header shows ${JSON.stringify(shown)}, not ${JSON.stringify(expected)}: ${String(error)}`);
    });
    const header = await page.evaluate(() => {
      const element = document.getElementById('term-title')!;
      return { children: element.childElementCount, text: element.textContent ?? '', html: element.innerHTML };
    });
    assert.equal(header.children, 0, 'the header holds text only');
    assert.equal(header.html, expected.replace(/</g, '&lt;').replace(/>/g, '&gt;'), 'the markup is escaped text');
    assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0, 'no <img> element anywhere');
    assert.equal(await page.evaluate(() => document.title), `${expected} · ttyroom`);
  }

  // D4: the program's OSC 52 did not touch the clipboard.
  await writer.bringToFront();
  assert.equal(await writer.evaluate(() => navigator.clipboard.readText()), CLIPBOARD_BEFORE, 'the clipboard is untouched');

  // OSC 8 with javascript: is not a link: no hint on hover, and a click opens nothing.
  await viewer.bringToFront();
  const jsLink = await cellCentre(viewer, JS_LINK_ROW, 3);
  await viewer.mouse.move(jsLink.x, jsLink.y, { steps: 3 });
  await viewer.mouse.click(jsLink.x, jsLink.y);
  await sleep(E2eTiming.RefusedClickGraceMs);
  assert.equal(await viewer.locator('.link-hint:not([hidden])').count(), 0, 'no hint for a javascript: target');
  assert.equal(opened.length, tabsBefore, 'no tab opened');
  assert.equal(new URL(viewer.url()).pathname, `/r/${created.id}`, 'the page did not navigate');

  // An http link shows its target on hover, and a click opens it in a new tab without an opener.
  const httpLink = await cellCentre(viewer, HTTP_LINK_ROW, 3);
  await viewer.mouse.move(httpLink.x, httpLink.y, { steps: 3 });
  const hint = viewer.locator('.link-hint:not([hidden])');
  await hint.waitFor({ state: 'visible' });
  assert.equal(await hint.textContent(), `${server.url}/healthz?from=osc8`, 'the hint shows the target');
  assert.equal(await hint.evaluate((element) => element.childElementCount), 0);
  const popup = context.waitForEvent('page');
  await viewer.mouse.click(httpLink.x, httpLink.y);
  const tab = await popup;
  await tab.waitForLoadState();
  assert.equal(tab.url(), `${server.url}/healthz?from=osc8`);
  assert.equal(await tab.evaluate(() => window.opener), null, 'the new tab cannot reach the room page');
  assert.equal(opened.length, tabsBefore + 1, 'exactly one tab opened');
  await tab.close();

  assert.deepEqual(dialogs, [], 'no dialog (alert, confirm) was opened');
  assert.deepEqual(pageErrors, [], 'no page errors');
  for (const page of pages) await page.close();
});
