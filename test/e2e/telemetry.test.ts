// Real-browser test of the room page's telemetry readout: hidden until the first sample, then one quiet line in
// the bar (CPU, memory, processes) at desktop size, and left out of a phone's bar. Screenshots at both sizes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium, saveScreenshot, Viewports } from '../helpers/browser.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** Failure bounds only, in milliseconds: the server samples every 5 s while someone watches. */
const E2eTiming = {
  SampleMs: 30_000,
  TestMs: 60_000,
} as const;


let server: TestServer;
let browser: Browser;

before(async () => {
  server = await startServer();
  browser = await launchChromium();
});

after(async () => {
  await browser.close();
  await server.close();
});

test('the bar shows the room\'s CPU, memory and processes once sampled, and a phone\'s bar leaves them out', { timeout: E2eTiming.TestMs }, async (t) => {
  const created = await server.createRoom({ name: 'Telemetry' });
  const desktop = await browser.newPage({ viewport: Viewports.Desktop });
  t.after(() => desktop.close());
  await desktop.goto(created.ownerUrl);
  assert.equal(await desktop.isVisible('#telemetry'), false, 'hidden until the first sample');
  await desktop.waitForSelector('#telemetry:not([hidden])', { timeout: E2eTiming.SampleMs });
  assert.match((await desktop.textContent('#telemetry')) ?? '', /^CPU \d+% · [\d.]+ (B|KB|MB|GB) · \d+ procs?$/);
  await saveScreenshot(t, desktop, 'telemetry-desktop');

  const phone = await browser.newPage({ viewport: Viewports.Phone });
  t.after(() => phone.close());
  await phone.goto(created.viewUrl);
  await phone.waitForSelector('#telemetry:not([hidden])', { state: 'attached', timeout: E2eTiming.SampleMs });
  assert.equal(await phone.isVisible('#telemetry'), false, 'no room for it in a phone\'s bar');
  await saveScreenshot(t, phone, 'telemetry-phone');
});
