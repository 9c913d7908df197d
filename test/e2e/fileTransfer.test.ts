// File transfer in a real browser (issue 14): `sz` of a 5 MB random file becomes a browser download for the writer,
// byte-identical; `rz` uploads a file through the file chooser; a viewer's page says a transfer is in progress.
// Screenshots of the card at desktop and phone sizes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { closeInOrder, launchChromium, saveScreenshot, Viewports, typeLine } from '../helpers/browser.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { lrzszMissing, markedFile } from '../helpers/transfer.js';

/** Failure bounds only (ms): a 5 MB transfer through a pty and a browser on a loaded two-core machine. */
const E2eTiming = {
  WaitMs: 60_000,
  TestMs: 180_000,
} as const;

const FIVE_MB = 5 * 1024 * 1024;
const skip = lrzszMissing();

interface Hooked {
  ttyroom?: { role?: string; screenText(): string };
}

let server: TestServer;
let browser: Browser;

before(async () => {
  if (skip) return;
  server = await startServer();
  browser = await launchChromium();
});

after(() => closeInOrder(() => browser?.close(), () => server?.close()));

async function open(url: string, viewport: { width: number; height: number }, name: string): Promise<Page> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  context.setDefaultTimeout(E2eTiming.WaitMs);
  await context.addInitScript((chosen) => localStorage.setItem('ttyroom.name', chosen), name);
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('body[data-connection="connected"]').waitFor({ state: 'attached' });
  await page.waitForFunction(() => (window as Hooked).ttyroom?.role !== undefined);
  return page;
}

test('sz: a 5 MB file downloads byte-identical for the writer; the viewer sees "file transfer in progress"', { skip, timeout: E2eTiming.TestMs }, async (t) => {
  const created = await server.createRoom({ name: 'Files' });
  const file = markedFile(FIVE_MB, 'E2E-DOWNLOAD-MARKER');
  writeFileSync(join(server.dataDir, 'big.bin'), file);
  const writer = await open(created.ownerUrl, Viewports.Desktop, 'ada');
  const viewer = await open(created.viewUrl, Viewports.Phone, 'bob');
  t.after(() => writer.context().close());
  t.after(() => viewer.context().close());

  await typeLine(writer, 'sz big.bin');
  const save = writer.getByRole('button', { name: 'Save file' });
  await save.waitFor();
  assert.match((await writer.textContent('#transfer-detail')) ?? '', /^big\.bin · 5\.0 MB$/);
  await viewer.locator('#transfer-panel:not([hidden])').waitFor();
  assert.equal(await viewer.textContent('#transfer-title'), 'File transfer in progress');
  assert.match((await viewer.textContent('#transfer-detail')) ?? '', /ada is receiving a file/);
  await saveScreenshot(t, writer, 'transfer-offer-desktop');
  await saveScreenshot(t, viewer, 'transfer-viewer-phone');

  const downloading = writer.waitForEvent('download');
  await save.click();
  const download = await downloading;
  assert.equal(download.suggestedFilename(), 'big.bin');
  const path = await download.path();
  assert.ok(path);
  const got = readFileSync(path);
  assert.equal(got.length, file.length);
  assert.ok(got.equals(file), 'the download is byte-identical');
  await writer.locator('#transfer-panel').waitFor({ state: 'hidden' });
  await viewer.locator('#transfer-panel').waitFor({ state: 'hidden' });
  await typeLine(writer, 'echo after-$((40+2))');
  await writer.waitForFunction(() => (window as Hooked).ttyroom!.screenText().includes('after-42'));
  const screen = await viewer.evaluate(() => (window as Hooked).ttyroom!.screenText());
  assert.equal(screen.includes('E2E-DOWNLOAD-MARKER'), false, 'no byte of the file on the viewer\'s screen');
});

test('rz: a file picked in the chooser uploads byte-identical; the card fits a phone', { skip, timeout: E2eTiming.TestMs }, async (t) => {
  const created = await server.createRoom({ name: 'Upload' });
  const upload = markedFile(1024 * 1024 + 3, 'E2E-UPLOAD-MARKER');
  const writer = await open(created.ownerUrl, Viewports.Phone, 'ada');
  t.after(() => writer.context().close());

  await typeLine(writer, 'rz');
  const choose = writer.getByRole('button', { name: 'Choose files…' });
  await choose.waitFor();
  await saveScreenshot(t, writer, 'transfer-upload-phone');
  const chooser = writer.waitForEvent('filechooser');
  await choose.click();
  await (await chooser).setFiles({ name: 'up.bin', mimeType: 'application/octet-stream', buffer: upload });
  await writer.locator('#transfer-panel').waitFor({ state: 'hidden' });
  await waitFor(() => {
    try {
      return readFileSync(join(server.dataDir, 'up.bin')).length === upload.length;
    } catch {
      return false;
    }
  }, 'rz to write the file', E2eTiming.WaitMs);
  assert.ok(readFileSync(join(server.dataDir, 'up.bin')).equals(upload), 'byte-identical');
});

test('cancel from the page: the card goes, the writer is told, the shell works', { skip, timeout: E2eTiming.TestMs }, async (t) => {
  const created = await server.createRoom({ name: 'Cancel' });
  const writer = await open(created.ownerUrl, Viewports.Desktop, 'ada');
  t.after(() => writer.context().close());
  await typeLine(writer, 'rz');
  const cancel = writer.getByRole('button', { name: 'Cancel transfer' });
  await cancel.waitFor();
  await saveScreenshot(t, writer, 'transfer-upload-desktop');
  await cancel.click();
  await writer.locator('#transfer-panel').waitFor({ state: 'hidden' });
  await writer.locator('#notice', { hasText: 'The file transfer was cancelled: you cancelled it.' }).waitFor();
  await typeLine(writer, 'echo usable-$((40+2))');
  await writer.waitForFunction(() => (window as Hooked).ttyroom!.screenText().includes('usable-42'));
});
