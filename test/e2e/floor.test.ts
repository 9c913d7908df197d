// Floor control in a real browser: a student raises a hand, the owner grants the keyboard for a time from the
// hand queue, the student's keys reach the shell, the grant ends by itself on the server's (injected) clock,
// and the student's keys no longer reach the shell. Controls are found by role and name.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { closeInOrder, launchChromium, newE2eContext, typeLine } from '../helpers/browser.js';
import { ManualClock } from '../helpers/manualClock.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { sleep, waitFor } from '../helpers/wait.js';

/** Test timing, in milliseconds. */
const E2eTiming = {
  /** Page loads, joins and a shell round trip take well under a second here; this is only the failure bound. */
  WaitMs: 15_000,
  TestMs: 60_000,
  /** How long refused keystrokes get to (wrongly) reach the shell; a writer's round trip is a few ms. */
  RefusedInputGraceMs: 1_000,
  /**
   * How often the injected clock is moved on by the real time that passed, so the server's ordinary timers
   * (output batching, pacing) run as usual; the grant's end comes only from the test's jump.
   */
  ClockPumpMs: 5,
} as const;

/** The grant the owner picks in the hand queue (the panel's default), in minutes. */
const GRANT_MINUTES = 2;

interface Hooked {
  ttyroom?: { role: string | undefined; screenText(): string };
}

let server: TestServer;
let clock: ManualClock;
let pump: ReturnType<typeof setInterval> | undefined;
let browser: Browser;
const contexts: BrowserContext[] = [];
let scratchDir: string;

before(async () => {
  scratchDir = mkdtempSync(join(tmpdir(), 'ttyroom-e2e-floor-'));
  // Deferred work runs on the event loop as usual; only timers (the grant's end) wait for advance().
  clock = new ManualClock(Date.now(), false);
  let pumpedAt = Date.now();
  pump = setInterval(() => {
    const now = Date.now();
    clock.advance(Math.max(0, now - pumpedAt));
    pumpedAt = now;
  }, E2eTiming.ClockPumpMs);
  server = await startServer({}, process.env, { clock });
  browser = await launchChromium();
});

after(() => closeInOrder(
  () => clearInterval(pump),
  ...contexts.map((context) => () => context.close()),
  () => browser?.close(),
  () => server?.close(),
  () => scratchDir && rmSync(scratchDir, { recursive: true, force: true }),
));

/** A browser profile of its own (its own localStorage), joining under `name`. */
async function openAs(url: string, name: string): Promise<{ page: Page; errors: string[] }> {
  const context = await newE2eContext(browser, server.url, E2eTiming.WaitMs);
  contexts.push(context);
  await context.addInitScript((chosen) => localStorage.setItem('ttyroom.name', chosen), name);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  await page.goto(url);
  await page.locator('body[data-connection="connected"]').waitFor({ state: 'attached' });
  await page.waitForFunction(() => (window as Hooked).ttyroom?.role !== undefined);
  return { page, errors };
}

function roleOf(page: Page): Promise<string | undefined> {
  return page.evaluate(() => (window as Hooked).ttyroom?.role);
}

test('raise hand, timed grant from the queue, the keyboard comes back by itself', { timeout: E2eTiming.TestMs }, async () => {
  const created = await server.createRoom({ name: 'class' });
  const room = server.app.rooms.get(created.id)!;
  const owner = await openAs(created.ownerUrl, 'teacher');
  const student = await openAs(created.viewUrl, 'student');
  assert.equal(await roleOf(student.page), 'viewer');

  await student.page.bringToFront();
  await student.page.getByRole('button', { name: 'Raise hand' }).click();
  await student.page.getByRole('button', { name: 'Lower hand' }).waitFor();

  // The owner's hand queue lists the student with a timed grant.
  await owner.page.bringToFront();
  const hands = owner.page.getByRole('region', { name: 'Raised hands' });
  const entry = hands.getByRole('listitem').filter({ hasText: 'student' });
  await entry.getByRole('button', { name: `Grant keyboard for ${GRANT_MINUTES} minutes` }).click();

  await student.page.waitForFunction(() => (window as Hooked).ttyroom?.role === 'writer');
  // The hand went down with the grant; the member list shows the grant's time.
  await hands.waitFor({ state: 'hidden' });
  await owner.page.getByRole('region', { name: 'In the room' }).getByRole('listitem').filter({ hasText: 'student' }).getByText('writer').waitFor();
  assert.equal(await student.page.getByRole('button', { name: /raise hand/i }).count(), 0, 'a writer has no hand to raise');

  const during = join(scratchDir, 'typed-during-grant');
  await typeLine(student.page, `touch ${during}`);
  await waitFor(() => existsSync(during), "the student's command to run while it holds the keyboard", E2eTiming.WaitMs);

  // The grant ends on the server's clock, with nobody clicking anything.
  clock.advance(GRANT_MINUTES * 60_000 + 1);
  await student.page.waitForFunction(() => (window as Hooked).ttyroom?.role === 'viewer');
  await student.page.getByRole('button', { name: 'Raise hand' }).waitFor();

  const after = join(scratchDir, 'typed-after-grant');
  await typeLine(student.page, `touch ${after}`);
  await sleep(E2eTiming.RefusedInputGraceMs);
  // The owner's command coming back shows the shell has read everything typed before it.
  await typeLine(owner.page, 'echo owner-after-$((20+22))');
  await waitFor(async () => (await room.screenText()).split('\n').some((row) => row.trim() === 'owner-after-42'), 'the owner\'s echo', E2eTiming.WaitMs);
  assert.equal(existsSync(after), false, "the student's keys after the grant ended never ran");
  assert.ok(!(await room.screenText()).includes('typed-after-grant'), 'the mirror never saw them');
  assert.deepEqual(owner.errors, [], 'owner page: no errors');
  assert.deepEqual(student.errors, [], 'student page: no errors');
});
