// The real browser for e2e tests: Debian's Chromium driven by playwright-core, launched quietly and offline.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; CI installs it there. Playwright's own browser download cannot work offline. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Root in a container needs --no-sandbox; the rest keeps a headless run quiet and off the network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** The viewport every e2e page gets, so an owner's fitted terminal size is reproducible. */
/** The sizes every page is judged at (CSS pixels): a laptop and a phone. */
export const Viewports = {
  Desktop: { width: 1280, height: 800 },
  Phone: { width: 390, height: 844 },
} as const;

export const E2E_VIEWPORT = { width: 1280, height: 720 } as const;

/**
 * A fresh context on `origin` with the e2e viewport, clipboard access (127.0.0.1 is a secure context, so
 * copy buttons use the async Clipboard API, which tests read back) and `waitMs` as every wait's bound.
 */
export async function newE2eContext(browser: Browser, origin: string, waitMs: number): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: E2E_VIEWPORT });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  context.setDefaultTimeout(waitMs);
  return context;
}

/**
 * Runs every cleanup step in order, each even if an earlier one threw, so a broken browser never leaves a
 * server or files behind; rethrows the first error once all have run.
 */
export async function closeInOrder(...steps: Array<() => unknown>): Promise<void> {
  let firstError: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
}

/** Where e2e screenshots go (gitignored): the files a person opens to judge the pages. */
export const SCREENSHOT_DIR = resolve(process.env.TTYROOM_SCREENSHOT_DIR ?? 'test-artifacts/screenshots');

/** Saves `page` as `<name>.png` in SCREENSHOT_DIR once animations and the caret settled, and says where. */
export async function saveScreenshot(t: TestContext, page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  await page.screenshot({ path, fullPage });
  t.diagnostic(`screenshot: ${path}`);
}

/**
 * What `page` reports as broken from now on: uncaught exceptions and console errors, in the returned list (a
 * healthy page leaves it empty). The favicon's 404 is none (the server has no favicon and Chromium asks on every
 * page); `provoked` matches console errors the test causes on purpose (Chromium logs every refused fetch).
 */
export function watchPageErrors(page: Page, provoked?: RegExp): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error' || message.location().url.endsWith('/favicon.ico') || provoked?.test(message.text())) return;
    errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  return errors;
}

/** Clicks into the room page's terminal and types a command line the way a person would. */
export async function typeLine(page: Page, line: string): Promise<void> {
  // A person switches to the tab first. Without it the click's stability check waits on the animation
  // frames of a tab that is not in front, which Chromium throttles (over a second per click here).
  await page.bringToFront();
  await page.locator('#terminal-host .xterm').click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}
