// The room page and lobby in a real browser, as people see them: a phone viewer of a wide room reads text at
// the readable minimum (and pans), hostile names and chat messages stay inert text, the share dialog draws
// a QR code under the strict CSP, and screenshots of lobby and room at desktop and phone sizes are saved.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Readability } from '../../client/src/readability.js';
import { closeInOrder, launchChromium, saveScreenshot, Viewports, watchPageErrors } from '../helpers/browser.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';


/** Test timing, in milliseconds. */
const E2eTiming = {
  WaitMs: 15_000,
  TestMs: 90_000,
} as const;


/** A room wider than any phone: 150 columns at the readable minimum is over 1 000 CSS px. */
const WIDE_ROOM = { cols: 150, rows: 40 } as const;

const MARKUP = '<img src=x onerror=alert(1)>';
/** Right-to-left override, a bidi isolate and a bell: none may reach the page as anything but stripped text. */
const CONTROLS = '\u202e\u2066\x07';

interface Hooked {
  ttyroom?: { role: string | undefined; memberId: string | undefined; screenText(): string };
}

let server: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

before(async () => {
  server = await startServer();
  browser = await launchChromium();
});

after(() => closeInOrder(...contexts.map((context) => () => context.close()), () => browser?.close(), () => server?.close()));

interface Opened {
  page: Page;
  errors: string[];
  dialogs: string[];
}

async function newContext(size: 'Desktop' | 'Phone', name: string | undefined): Promise<BrowserContext> {
  const phone = size === 'Phone';
  const context = await browser.newContext({
    viewport: Viewports[size],
    // Phones in the light theme, laptops in the dark one, so the screenshots show both.
    colorScheme: phone ? 'light' : 'dark',
    ...(phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  context.setDefaultTimeout(E2eTiming.WaitMs);
  if (name !== undefined) await context.addInitScript((chosen) => localStorage.setItem('ttyroom.name', chosen), name);
  contexts.push(context);
  return context;
}

async function open(url: string, size: 'Desktop' | 'Phone', name?: string, context?: BrowserContext): Promise<Opened> {
  const page = await (context ?? (await newContext(size, name))).newPage();
  const errors = watchPageErrors(page);
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(url);
  return { page, errors, dialogs };
}

async function openRoom(url: string, size: 'Desktop' | 'Phone', name?: string, context?: BrowserContext): Promise<Opened> {
  const opened = await open(url, size, name, context);
  await opened.page.locator('body[data-connection="connected"]').waitFor({ state: 'attached' });
  await opened.page.waitForFunction(() => (window as Hooked).ttyroom?.role !== undefined);
  return opened;
}

const shoot = saveScreenshot;

/** The terminal text's rendered size in CSS pixels: its font size times the scale the grid is drawn at. */
function renderedFontPx(page: Page): Promise<number> {
  return page.evaluate(() => {
    const screen = document.querySelector<HTMLElement>('#terminal-host .xterm-screen');
    const rows = document.querySelector<HTMLElement>('#terminal-host .xterm-rows');
    if (screen === null || rows === null || screen.offsetWidth === 0) return 0;
    return parseFloat(getComputedStyle(rows).fontSize) * (screen.getBoundingClientRect().width / screen.offsetWidth);
  });
}

function noHorizontalOverflow(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

describe('reading on a phone', () => {
  test('a phone viewer of a 150-column room reads text at the readable minimum and pans', { timeout: E2eTiming.TestMs }, async (t) => {
    const created = await server.createRoom({ name: 'wide room', ...WIDE_ROOM });
    const room = server.app.rooms.get(created.id)!;
    await waitFor(async () => (await room.screenText()).trim().length > 0, 'the prompt', E2eTiming.WaitMs);
    const viewer = await openRoom(created.viewUrl, 'Phone', 'phone viewer');
    const { page } = viewer;
    await page.waitForFunction(() => ((window as Hooked).ttyroom?.screenText() ?? '').trim().length > 0);
    await page.waitForFunction(() => document.body.dataset.panning === 'true');

    const size = await renderedFontPx(page);
    assert.ok(size >= Readability.MinFontPx - 0.01, `text is drawn at ${size.toFixed(2)} px, at least ${Readability.MinFontPx}`);
    const pans = await page.evaluate(() => {
      const host = document.getElementById('terminal-host')!;
      return host.scrollWidth > host.clientWidth;
    });
    assert.ok(pans, 'the terminal box scrolls sideways over the wide grid');
    assert.ok(await noHorizontalOverflow(page), 'the page itself does not overflow the phone');
    // Every toolbar control is on screen, none runs off its edge.
    const offscreen = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>('.toolbar button, .bar > *'))
        .filter((element) => element.offsetParent !== null)
        .filter((element) => {
          const box = element.getBoundingClientRect();
          return box.left < 0 || box.right > window.innerWidth + 0.5;
        })
        .map((element) => element.textContent),
    );
    assert.deepEqual(offscreen, [], 'no control runs off the screen');
    await shoot(t, page, 'phone-viewer-wide-room');

    // "Fit whole screen" is the member's choice to see everything, however small.
    await page.getByRole('button', { name: 'Fit whole screen' }).click();
    await page.waitForFunction(() => document.body.dataset.panning === 'false');
    assert.ok((await renderedFontPx(page)) < Readability.MinFontPx, 'fitting the whole 150 columns takes smaller text');
    await shoot(t, page, 'phone-viewer-fit-whole');
    await page.getByRole('button', { name: 'Show at readable size' }).click();
    await page.waitForFunction(() => document.body.dataset.panning === 'true');
    assert.deepEqual(viewer.errors, []);
  });
});

describe('hostile text stays text', () => {
  test('a member name and a chat message holding markup and bidi controls show as inert text', { timeout: E2eTiming.TestMs }, async () => {
    const created = await server.createRoom({ name: 'chatty' });
    const owner = await openRoom(created.ownerUrl, 'Desktop', 'owner');
    const hostileName = `${MARKUP}${CONTROLS}name`;
    const guest = await openRoom(created.viewUrl, 'Desktop', hostileName);

    await guest.page.bringToFront();
    await guest.page.getByRole('button', { name: /^Chat/ }).click();
    const input = guest.page.getByRole('textbox', { name: 'Message' });
    await input.fill(`${MARKUP} ${CONTROLS}gnp.exe`);
    await guest.page.getByRole('button', { name: 'Send message' }).click();

    await owner.page.bringToFront();
    await owner.page.getByRole('button', { name: /^Chat/ }).click();
    const message = owner.page.locator('#chat-log .chat-message').last();
    await message.waitFor();
    const text = await message.locator('.chat-text').textContent();
    const name = await message.locator('.chat-name').textContent();
    assert.ok(text?.includes(MARKUP), `the markup is shown as written, got ${JSON.stringify(text)}`);
    assert.ok(!/[\u202e\u2066\x07]/.test(text ?? ''), 'no bidi or control character reaches the message');
    assert.ok(name?.includes(MARKUP) && !/[\u202e\u2066\x07]/.test(name), `the name is inert and stripped, got ${JSON.stringify(name)}`);

    const listed = await owner.page.getByRole('region', { name: 'In the room' }).getByRole('listitem').filter({ hasText: 'name' }).locator('.member-name').first().textContent();
    assert.ok(listed?.includes(MARKUP) && !/[\u202e\u2066\x07]/.test(listed), `the member list shows the name as text, got ${JSON.stringify(listed)}`);

    for (const opened of [owner, guest]) {
      assert.equal(await opened.page.locator('img').count(), 0, 'no image element was created from the text');
      assert.deepEqual(opened.dialogs, [], 'no script ran (no alert)');
      assert.deepEqual(opened.errors, []);
    }
  });
});

describe('approval and curtain', () => {
  test('a joiner waits blind until admitted; the curtain covers the viewer until lifted', { timeout: E2eTiming.TestMs }, async (t) => {
    const created = await server.createRoom({ name: 'incident-2292', approval: true, floor: 'driver' });
    const room = server.app.rooms.get(created.id)!;
    const owner = await openRoom(created.ownerUrl, 'Desktop', 'lead');
    await owner.page.locator('#terminal-host .xterm').click();
    await owner.page.keyboard.type('echo secret-free-output');
    await owner.page.keyboard.press('Enter');
    await waitFor(async () => (await room.screenText()).includes('secret-free-output'), 'the output', E2eTiming.WaitMs);

    const joiner = await open(created.viewUrl, 'Phone', 'responder');
    await joiner.page.getByText('Waiting for the owner to let you in').waitFor();
    assert.equal(await joiner.page.evaluate(() => (window as Hooked).ttyroom?.screenText().trim()), '', 'a waiting joiner sees nothing of the screen');
    await shoot(t, joiner.page, 'approval-waiting-phone');

    await owner.page.bringToFront();
    const door = owner.page.getByRole('region', { name: 'Waiting to join' });
    await door.getByRole('listitem').filter({ hasText: 'responder' }).waitFor();
    await shoot(t, owner.page, 'approval-owner-desktop');
    await door.getByRole('button', { name: 'Admit' }).click();
    await joiner.page.getByText('Waiting for the owner to let you in').waitFor({ state: 'hidden' });
    await joiner.page.waitForFunction(() => ((window as Hooked).ttyroom?.screenText() ?? '').includes('secret-free-output'));

    await owner.page.bringToFront();
    await owner.page.getByRole('button', { name: 'Lower curtain' }).click();
    await joiner.page.getByText('The owner lowered the curtain').waitFor();
    await owner.page.getByRole('button', { name: 'Lift curtain' }).waitFor();
    await joiner.page.bringToFront();
    await shoot(t, joiner.page, 'curtain-viewer-phone');
    await owner.page.bringToFront();
    await shoot(t, owner.page, 'curtain-owner-desktop');

    await owner.page.getByRole('button', { name: 'Lift curtain' }).click();
    const clear = owner.page.getByRole('checkbox', { name: /Clear the screen first/ });
    assert.equal(await clear.isChecked(), true, 'clearing the screen is offered, checked by default');
    await shoot(t, owner.page, 'curtain-lift-dialog-desktop');
    await owner.page.getByRole('dialog').getByRole('button', { name: 'Lift curtain' }).click();
    await joiner.page.getByText('The owner lowered the curtain').waitFor({ state: 'hidden' });

    // Every member sees that the room is recorded, and sees it stop when the owner turns recording off.
    const recordingBadge = joiner.page.locator('.room-badge[data-kind="recording"]');
    await recordingBadge.waitFor();
    await owner.page.bringToFront();
    await owner.page.locator('#settings-button').click();
    await owner.page.getByRole('checkbox', { name: /Record/ }).uncheck();
    await recordingBadge.waitFor({ state: 'hidden' });
    assert.equal(room.settings.record, false);
    assert.deepEqual(owner.errors, []);
    assert.deepEqual(joiner.errors, []);
  });
});

describe('writing from a phone', () => {
  test('the key bar\'s Ctrl is sticky: Ctrl, then c on the phone keyboard, interrupts the program', { timeout: E2eTiming.TestMs }, async () => {
    const created = await server.createRoom({ name: 'phone writer' });
    const room = server.app.rooms.get(created.id)!;
    const writer = await openRoom(created.writeUrl, 'Phone', 'thumbs');
    const { page } = writer;
    await page.locator('#terminal-host .xterm').click();
    await page.keyboard.type('sleep 300; echo slept-$((3*3))');
    await page.keyboard.press('Enter');
    await waitFor(async () => (await room.screenText()).includes('sleep 300'), 'the command', E2eTiming.WaitMs);

    const ctrl = page.getByRole('toolbar', { name: 'Special keys' }).getByRole('button', { name: /^Control/ });
    await ctrl.click();
    assert.equal(await ctrl.getAttribute('aria-pressed'), 'true', 'Ctrl waits for the next key');
    await page.keyboard.type('c');
    assert.equal(await ctrl.getAttribute('aria-pressed'), 'false', 'Ctrl applies once');
    await page.keyboard.type('echo after-interrupt-$((4*4))');
    await page.keyboard.press('Enter');
    await waitFor(async () => (await room.screenText()).split('\n').some((row) => row.trim() === 'after-interrupt-16'), 'the prompt back after Ctrl+C', E2eTiming.WaitMs);
    assert.ok(!(await room.screenText()).includes('slept-9'), 'the sleep was interrupted, not finished');

    // Search finds text in the terminal from the View dialog.
    await page.getByRole('button', { name: 'View' }).click();
    await page.getByRole('button', { name: 'Search scrollback' }).click();
    await page.getByRole('searchbox', { name: 'Search the terminal' }).fill('after-interrupt');
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('#search-status').textContent(), '', 'a match, so no "No match"');
    await page.getByRole('searchbox', { name: 'Search the terminal' }).fill('not-on-screen-anywhere');
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('#search-status').textContent(), 'No match');
    assert.deepEqual(writer.errors, []);
  });
});

describe('screenshots', () => {
  test('lobby and room, owner and viewer, with the member drawer and chat, at 1280×800 and 390×844', { timeout: 3 * E2eTiming.TestMs }, async (t) => {
    const created = await server.createRoom({ name: 'Intro to the shell', floor: 'many' });
    await server.createRoom({ name: 'incident-2291 war room', approval: true });
    const room = server.app.rooms.get(created.id)!;

    // The lobby, as the owner's browser sees it (it remembers the room it created).
    for (const size of ['Desktop', 'Phone'] as const) {
      const context = await newContext(size, 'teacher');
      await context.addInitScript(
        ([id, name, ownerUrl]) => {
          localStorage.setItem('ttyroom.yourRooms', JSON.stringify([{ id, name, ownerUrl, savedAt: new Date().toISOString() }]));
        },
        [created.id, created.name, created.ownerUrl] as const,
      );
      const lobby = await open(`${server.url}/`, size, undefined, context);
      await lobby.page.getByRole('link', { name: 'Open Intro to the shell as owner' }).waitFor();
      await lobby.page.locator('#room-list tr').nth(1).waitFor();
      assert.ok(await noHorizontalOverflow(lobby.page), `${size} lobby fits its width`);
      await shoot(t, lobby.page, `lobby-${size.toLowerCase()}`, true);
      assert.deepEqual(lobby.errors, []);
      await lobby.page.close();
    }

    const owner = await openRoom(created.ownerUrl, 'Desktop', 'teacher');
    const viewer = await openRoom(created.viewUrl, 'Desktop', 'alice');
    const phoneViewer = await openRoom(created.viewUrl, 'Phone', 'bob');
    const phoneWriter = await openRoom(created.writeUrl, 'Phone', 'carol');

    // Some life in the room: output, a raised hand, chat, typing.
    await owner.page.bringToFront();
    await owner.page.locator('#terminal-host .xterm').click();
    await owner.page.keyboard.type("printf '\\e[1;32m%s\\e[0m\\n' 'Welcome to the shell class' && ls -la /usr | head -12");
    await owner.page.keyboard.press('Enter');
    await waitFor(async () => (await room.screenText()).includes('Welcome to the shell class'), 'the output', E2eTiming.WaitMs);
    await viewer.page.bringToFront();
    await viewer.page.getByRole('button', { name: 'Raise hand' }).click();
    await viewer.page.getByRole('button', { name: /^Chat/ }).click();
    await viewer.page.getByRole('textbox', { name: 'Message' }).fill('Could you explain what -la means?');
    await viewer.page.getByRole('button', { name: 'Send message' }).click();
    await owner.page.bringToFront();
    await owner.page.getByRole('button', { name: /^Chat/ }).click();
    await owner.page.getByRole('textbox', { name: 'Message' }).fill('Sure: -l is the long format, -a shows hidden files.');
    await owner.page.getByRole('button', { name: 'Send message' }).click();
    await owner.page.getByRole('region', { name: 'Raised hands' }).waitFor();
    await owner.page.getByRole('button', { name: 'Manage carol' }).click();
    await owner.page.locator('#terminal-host .xterm').click();
    await owner.page.keyboard.type('echo ok');
    await owner.page.getByText('teacher is typing').first().waitFor();
    await shoot(t, owner.page, 'room-owner-desktop');
    assert.ok(await noHorizontalOverflow(owner.page));

    await viewer.page.bringToFront();
    await viewer.page.getByText('Sure: -l is the long format').waitFor();
    await shoot(t, viewer.page, 'room-viewer-desktop');

    // The share dialog with its QR code (drawn as an SVG built through the DOM, under the strict CSP).
    await owner.page.bringToFront();
    await owner.page.getByRole('button', { name: 'Share' }).click();
    await owner.page.getByRole('button', { name: 'Show QR code' }).click();
    const qr = owner.page.getByRole('img', { name: 'QR code of the viewer link' });
    await qr.waitFor();
    assert.ok(((await qr.boundingBox())?.width ?? 0) > 100, 'the QR code is drawn at a scannable size');
    await shoot(t, owner.page, 'share-dialog-desktop');
    await owner.page.keyboard.press('Escape');
    await owner.page.getByRole('dialog').waitFor({ state: 'hidden' });

    // Owner settings dialog.
    await owner.page.getByRole('button', { name: 'Room settings' }).click();
    await shoot(t, owner.page, 'settings-dialog-desktop');
    await owner.page.keyboard.press('Escape');

    // Phones: the viewer with the chat drawer, the writer with the member drawer and the key bar.
    await phoneViewer.page.bringToFront();
    await shoot(t, phoneViewer.page, 'room-viewer-phone');
    await phoneViewer.page.getByRole('button', { name: /^Chat/ }).click();
    await phoneViewer.page.getByText('Sure: -l is the long format').waitFor();
    await shoot(t, phoneViewer.page, 'room-viewer-phone-chat');
    assert.ok(await noHorizontalOverflow(phoneViewer.page));
    await phoneViewer.page.keyboard.press('Escape');
    await phoneViewer.page.locator('#chat-panel').waitFor({ state: 'hidden' });

    await phoneWriter.page.bringToFront();
    await phoneWriter.page.getByRole('toolbar', { name: 'Special keys' }).waitFor();
    await shoot(t, phoneWriter.page, 'room-writer-phone-keybar');
    await phoneWriter.page.getByRole('button', { name: /^Members/ }).click();
    await phoneWriter.page.getByRole('heading', { name: 'Members' }).waitFor();
    await shoot(t, phoneWriter.page, 'room-writer-phone-members');

    // The owner on a phone: the member drawer with the hand queue and actions.
    const phoneOwner = await openRoom(created.ownerUrl, 'Phone', 'teacher');
    await phoneOwner.page.bringToFront();
    await shoot(t, phoneOwner.page, 'room-owner-phone');
    await phoneOwner.page.getByRole('button', { name: /^Members/ }).click();
    await phoneOwner.page.getByRole('region', { name: 'Raised hands' }).waitFor();
    await shoot(t, phoneOwner.page, 'room-owner-phone-members');
    assert.ok(await noHorizontalOverflow(phoneOwner.page));

    for (const opened of [owner, viewer, phoneViewer, phoneWriter, phoneOwner]) assert.deepEqual(opened.errors, []);
  });
});
