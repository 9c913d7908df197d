// The real browser for e2e tests: Debian's Chromium driven by playwright-core, launched quietly and offline.

import { chromium, type Browser } from 'playwright-core';

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
