// Real-browser test of the lobby's profile picker: the server's profiles are offered, an exec profile's params get
// one input each (a select for an allowlist), a refused value is shown in the form, and a valid one creates a room
// running exactly the argv the profile's template makes. Screenshots at desktop and phone sizes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import { parseProfilesFile } from '../../server/rooms/profiles.js';
import { closeInOrder, launchChromium, saveScreenshot, Viewports, watchPageErrors } from '../helpers/browser.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/** Test timing, in milliseconds: failure bounds only; a page load and a create take well under a second here. */
const E2eTiming = {
  WaitMs: 10_000,
  TestMs: 30_000,
} as const;


const PRINT_ARGV = fileURLToPath(new URL('../fixtures/printArgv.mjs', import.meta.url));

let folder: string;
let marker: string;
let server: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

before(async () => {
  folder = mkdtempSync(join(tmpdir(), 'ttyroom-e2e-profiles-'));
  marker = join(folder, 'ran.txt');
  const profiles = parseProfilesFile(JSON.stringify({
    profiles: [
      { name: 'shell', type: 'command', command: 'bash --noprofile --norc', description: 'a plain shell on the server' },
      {
        name: 'pod', type: 'exec', description: 'a shell in a Kubernetes pod',
        argv: [process.execPath, PRINT_ARGV, marker.replaceAll('{', '{{').replaceAll('}', '}}'), 'exec', '-n', '{namespace}', '{pod}', '--', 'sh'],
        params: {
          namespace: { values: ['staging', 'prod'], description: 'the namespace' },
          pod: { pattern: '[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?', description: 'pod name, e.g. web-7f9c-abcde' },
        },
      },
    ],
  }), 'e2e.json');
  server = await startServer({ profiles });
  browser = await launchChromium();
});

after(() => closeInOrder(
  ...contexts.map((context) => () => context.close()),
  () => browser?.close(),
  () => server?.close(),
  () => folder && rmSync(folder, { recursive: true, force: true }),
));

async function lobbyAt(viewport: { width: number; height: number }) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(E2eTiming.WaitMs);
  contexts.push(context);
  const page = await context.newPage();
  // The refusal this test provokes is a 400.
  const errors = watchPageErrors(page, /status of 400/);
  await page.goto(`${server.url}/`);
  return { page, errors };
}

test('the lobby creates a room from an exec profile: one input per param, refusals shown in the form', { timeout: E2eTiming.TestMs }, async (t) => {
  const { page, errors } = await lobbyAt(Viewports.Desktop);
  const picker = page.getByLabel('Profile');
  await picker.waitFor({ state: 'visible' });
  assert.deepEqual(await picker.locator('option').allTextContents(), ['default', 'shell', 'pod']);
  await picker.selectOption('pod');
  const namespace = page.getByLabel('namespace');
  assert.deepEqual(await namespace.locator('option').allTextContents(), ['staging', 'prod'], 'an allowlist is a select');
  await namespace.selectOption('prod');
  const pod = page.getByLabel('pod', { exact: true });

  await pod.fill('--privileged');
  await page.getByRole('button', { name: /create room/i }).click();
  const error = page.locator('#create-error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.textContent() ?? '', /param "pod" must not start with "-"/);
  assert.equal(await pod.getAttribute('aria-invalid'), 'true', 'the refused input is marked');
  await saveScreenshot(t, page, 'profiles-lobby-refused');
  assert.equal(server.app.rooms.size, 0, 'no room for a refused value');
  assert.equal(existsSync(marker), false, 'the program never ran');

  await pod.fill('web-7f9c-abcde');
  await page.getByRole('button', { name: /create room/i }).click();
  await page.waitForURL(/\/r\/[^/#]+#token=/);
  const id = decodeURIComponent(new URL(page.url()).pathname.slice('/r/'.length));
  const room = server.app.rooms.get(id);
  assert.ok(room, 'the room exists');
  const expected = `ARGV=${JSON.stringify(['exec', '-n', 'prod', 'web-7f9c-abcde', '--', 'sh'])}`;
  await waitFor(async () => (await room.screenText()).includes(expected), 'the exec profile\'s exact argv on the screen', E2eTiming.WaitMs);
  await page.locator('body[data-connection="connected"]').waitFor({ state: 'attached' });
  await saveScreenshot(t, page, 'profiles-room');
  assert.equal(readFileSync(marker, 'utf8'), 'ran\n', 'the program ran once');
  assert.deepEqual(errors, []);
});

test('on a phone the profile form stays usable', { timeout: E2eTiming.TestMs }, async (t) => {
  const { page, errors } = await lobbyAt(Viewports.Phone);
  await page.getByLabel('Profile').selectOption('pod');
  await page.getByLabel('pod', { exact: true }).waitFor({ state: 'visible' });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'nothing sticks out sideways');
  await saveScreenshot(t, page, 'profiles-lobby-phone', true);
  await page.setViewportSize(Viewports.Desktop);
  await saveScreenshot(t, page, 'profiles-lobby-desktop');
  assert.deepEqual(errors, []);
});
