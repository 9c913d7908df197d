// Real-browser test of the lobby's SSH host-key prompt against a real sshd: an unknown key shows its fingerprint and a
// button that retries with trustHostKey and lands in the room; a changed key is a loud refusal showing both
// fingerprints and no way to accept it. Screenshots at desktop and phone sizes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import { parseProfilesFile } from '../../server/rooms/profiles.js';
import { closeInOrder, launchChromium, saveScreenshot, Viewports, watchPageErrors } from '../helpers/browser.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { startSshd, sshdMissing, type TestSshd } from '../helpers/sshd.js';

/** Test timing, in milliseconds: failure bounds only; a connect and a create take well under a second here. */
const E2eTiming = {
  WaitMs: 15_000,
  TestMs: 60_000,
} as const;

const skip = sshdMissing();
let sshd: TestSshd | undefined;
let server: TestServer | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

before(async () => {
  if (skip) return;
  sshd = await startSshd();
  const profiles = parseProfilesFile(JSON.stringify({
    profiles: [{ name: 'web1', type: 'ssh', description: 'a shell on web1', host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.identityFile }],
  }), 'e2e.json');
  server = await startServer({ profiles });
  browser = await launchChromium();
});

after(() => closeInOrder(
  ...contexts.map((context) => () => context.close()),
  () => browser?.close(),
  () => server?.close(),
  () => sshd?.stop(),
));

async function lobbyAt(viewport: { width: number; height: number }) {
  const context = await browser!.newContext({ viewport });
  context.setDefaultTimeout(E2eTiming.WaitMs);
  contexts.push(context);
  const page = await context.newPage();
  // The refusals this test provokes are 409s.
  const errors = watchPageErrors(page, /status of 409/);
  await page.goto(`${server!.url}/`);
  await page.getByLabel('Profile').selectOption('web1');
  return { page, errors };
}

test('an unknown host key: the lobby shows its fingerprint, and confirming it creates the room', { skip, timeout: E2eTiming.TestMs }, async (t) => {
  const { page, errors } = await lobbyAt(Viewports.Desktop);
  await page.getByRole('button', { name: 'Create room' }).click();
  const prompt = page.locator('#host-key');
  await prompt.waitFor({ state: 'visible' });
  assert.equal(await page.locator('#host-key-title').textContent(), 'Unknown host key');
  assert.equal(await page.locator('#host-key-prints dd').textContent(), sshd!.fingerprint());
  assert.equal(server!.app.rooms.size, 0, 'nothing created before the confirmation');
  await saveScreenshot(t, page, 'ssh-trust-prompt-desktop', true);

  const phone = await lobbyAt(Viewports.Phone);
  await phone.page.getByRole('button', { name: 'Create room' }).click();
  await phone.page.locator('#host-key').waitFor({ state: 'visible' });
  const box = await phone.page.locator('#host-key-prints dd').boundingBox();
  assert.ok(box && box.x + box.width <= Viewports.Phone.width, 'the fingerprint wraps inside a phone\'s width');
  await saveScreenshot(t, phone.page, 'ssh-trust-prompt-phone', true);

  await page.getByRole('button', { name: 'Trust this key and create the room' }).click();
  await page.waitForURL(/\/r\/[^#]+#token=/);
  assert.equal(server!.app.rooms.size, 1);
  await page.locator('.xterm-rows').waitFor({ state: 'visible' });
  assert.deepEqual(errors, []);
  assert.deepEqual(phone.errors, []);
});

test('a changed host key: a loud refusal with both fingerprints and no button to accept it', { skip, timeout: E2eTiming.TestMs }, async (t) => {
  const before = sshd!.fingerprint();
  await sshd!.restartWithNewHostKey();
  for (const [size, viewport] of [['desktop', Viewports.Desktop], ['phone', Viewports.Phone]] as const) {
    const { page, errors } = await lobbyAt(viewport);
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.locator('#host-key[data-kind="changed"]').waitFor({ state: 'visible' });
    assert.match(await page.locator('#host-key-title').textContent() ?? '', /^Refused: the host's key has changed/);
    assert.deepEqual(await page.locator('#host-key-prints dd').allTextContents(), [before, sshd!.fingerprint()]);
    assert.equal(await page.getByRole('button', { name: 'Trust this key and create the room' }).isVisible(), false);
    await saveScreenshot(t, page, `ssh-key-changed-${size}`, true);
    assert.deepEqual(errors, []);
  }
  assert.equal(server!.app.rooms.size, 1, 'no room besides the first test\'s (which ended with its sshd)');
});
