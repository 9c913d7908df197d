// Sign-in in a real browser (--auth local): the login form, the lobby's REST calls and the room's WebSocket with the
// session cookie (the browser's own Origin and Sec-Fetch-Site headers, A5), and a guest sent to the login page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_PATH, closeInOrder, launchChromium } from '../helpers/browser.js';
import { startServer } from '../helpers/server.js';
import { authConfig } from '../helpers/signin.js';
import { waitFor } from '../helpers/wait.js';
import { UsersFile } from '../../server/auth/usersFile.js';

/** Page loads, sign-in and a join take well under a second here; this is only the failure bound. */
const WAIT_MS = 10_000;

test('local sign-in in Chromium: login form, lobby, create a room, join it as owner; a guest is sent to /login', { skip: !existsSync(CHROMIUM_PATH) && `no Chromium at ${CHROMIUM_PATH}`, timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-e2e-signin-'));
  await new UsersFile(join(dataDir, 'users.json')).set('alice', 'alice-password');
  const server = await startServer({ dataDir, auth: authConfig(dataDir, { mode: 'local' }) });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    assert.match(page.url(), /\/login\?next=%2F$/);
    await page.fill('#login-username', 'alice');
    await page.fill('#login-password', 'wrong');
    await page.click('button[type=submit]');
    await page.waitForURL(/\/login\?error=1/, { timeout: WAIT_MS });
    assert.equal(await page.isVisible('#login-error'), true);
    await page.fill('#login-username', 'alice');
    await page.fill('#login-password', 'alice-password');
    await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/`, { timeout: WAIT_MS });
    const cookies = await page.context().cookies();
    const session = cookies.find((cookie) => cookie.name === 'ttyroom.sid');
    assert.ok(session?.httpOnly && session.sameSite === 'Lax');

    await page.fill('#create-name', 'signed-in room');
    await page.click('#create-submit');
    await page.waitForURL(/\/r\/[^#]+#token=/, { timeout: WAIT_MS });
    await page.waitForFunction(() => (window as unknown as { ttyroom?: { role?: string } }).ttyroom?.role === 'owner', undefined, { timeout: WAIT_MS });
    const room = server.app.rooms.list()[0]!;
    assert.equal(room.access.ownerUser, 'local:alice');

    // The lobby's list is a same-origin GET (no Origin header; Sec-Fetch-Site stands in).
    await page.goto(`${server.url}/`);
    await page.waitForSelector('.room-title', { timeout: WAIT_MS });
    assert.equal(await page.isVisible('#list-error'), false);

    const guest = await browser.newPage();
    await guest.goto(`${server.url}/r/${room.id}`);
    await waitFor(() => guest.url().includes('/login?next='), 'the guest to be sent to the login page', WAIT_MS);
    assert.equal(new URL(guest.url()).searchParams.get('next'), `/r/${room.id}`);
  } finally {
    await closeInOrder(() => browser.close(), () => server.close(), () => rmSync(dataDir, { recursive: true, force: true }));
  }
});
