// The replay page in a real browser: a finished room's recording, opened with its owner link, plays to its last
// frame (the screen ends on what the session printed last), a click on a marker seeks there, and the page says
// plainly when a link does not open a recording, when a room was not recorded, and when one is still running.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { CreatedRoom } from '../../server/shared/events.js';
import { closeInOrder, launchChromium, newE2eContext } from '../helpers/browser.js';
import { joinMember, type Member } from '../helpers/member.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const E2eTiming = {
  /** Page loads, the player's start and a few seconds of recording take well under this; only the failure bound. */
  WaitMs: 30_000,
  TestMs: 90_000,
} as const;

let server: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const members: Member[] = [];

before(async () => {
  // The registry forgets an exited room at once: the replay must come from the record alone.
  server = await startServer({ exitedRoomTtlMs: 1 });
  browser = await launchChromium();
});

after(() => closeInOrder(
  ...members.map((member) => () => member.close()),
  ...contexts.map((context) => () => context.close()),
  () => browser?.close(),
  () => server?.close(),
));

async function openPage(path: string): Promise<Page> {
  const context = await newE2eContext(browser, server.url, E2eTiming.WaitMs);
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${server.url}${path}`);
  return page;
}

/** The text on the player's screen (asciinema-player draws it in a <pre> of its own). */
function screenText(page: Page): Promise<string> {
  return page.evaluate(() => document.querySelector('#replay-player pre.ap-term-text')?.textContent ?? '');
}

async function typeAndSee(member: Member, command: string, output: string): Promise<void> {
  member.socket.emit('term:input', `${command}\r`);
  await waitFor(() => member.outputText().includes(output), `${output} in the room`);
}

test('a finished room\'s recording plays to its last frame, and a marker click seeks to its moment', { timeout: E2eTiming.TestMs }, async () => {
  const created = await server.createRoom({ name: 'incident review' });
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken, name: 'alice' });
  members.push(owner);
  await typeAndSee(owner, 'echo FIRST-$((1+1))', 'FIRST-2');
  const watcher = await joinMember(server.url, created.id, { name: 'watcher' });
  members.push(watcher);
  await typeAndSee(owner, 'echo LAST-$((6*7))', 'LAST-42');
  owner.socket.emit('term:input', 'exit\r');
  await waitFor(() => server.app.rooms.get(created.id) === undefined, 'the room to end and be forgotten');

  const page = await openPage(`/replay/${created.id}#token=${created.ownerToken}`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.getByRole('heading', { name: 'Replay: incident review' }).count(), 1);
  assert.equal(await page.locator('#replay-live').isHidden(), true, 'a finished room is not said to be running');
  const markers = page.locator('#marker-list .marker-text');
  const texts = await markers.allTextContents();
  assert.ok(texts.includes('joined: alice (owner)') && texts.includes('joined: watcher (viewer)'), texts.join(' | '));
  assert.ok(texts.some((text) => text.startsWith('exited: 0')), texts.join(' | '));
  assert.equal((await screenText(page)).includes('LAST-42'), false, 'nothing played yet');

  await page.getByRole('group', { name: 'Playback' }).getByRole('button', { name: 'Play', exact: true }).click();
  // The end, not only the last output: the exit still follows it, and a seek while playing plays on.
  await page.waitForSelector('body[data-ended="true"]');
  const end = await screenText(page);
  assert.ok(end.includes('FIRST-2') && end.includes('LAST-42'), 'the last frame shows what the session printed last');

  // Back to the moment the watcher joined: the first command's output is there, the last one's not yet.
  await page.getByRole('button', { name: /^Jump to .*: joined: watcher \(viewer\)$/ }).click();
  await page.waitForFunction(() => document.querySelector('#replay-player pre.ap-term-text')?.textContent?.includes('LAST-42') === false);
  assert.ok((await screenText(page)).includes('FIRST-2'), 'the screen as it was when the watcher joined');

  const download = page.getByRole('link', { name: 'Download .cast' });
  assert.equal(await download.getAttribute('download'), `${created.id}.cast`);
});

test('the page says why it cannot play: a link that does not open it, a room not recorded, and a room still running', { timeout: E2eTiming.TestMs }, async () => {
  const finished: CreatedRoom = await server.createRoom();
  const refused = await openPage(`/replay/${finished.id}#token=${finished.writeToken}`);
  await refused.getByText(/this link does not open it/).waitFor();

  const unrecorded = await server.createRoom({ record: false });
  const none = await openPage(`/replay/${unrecorded.id}#token=${unrecorded.ownerToken}`);
  await none.getByText(/This room has no recording/).waitFor();

  const running = await server.createRoom();
  const owner = await joinMember(server.url, running.id, { token: running.ownerToken });
  members.push(owner);
  await typeAndSee(owner, 'echo SO-FAR-$((2+3))', 'SO-FAR-5');
  const live = await openPage(`/replay/${running.id}#token=${running.ownerToken}`);
  await live.waitForSelector('body[data-ready="true"]');
  await live.getByText(/still running/).first().waitFor();
  assert.equal(await live.locator('#replay-live').isVisible(), true);
});
