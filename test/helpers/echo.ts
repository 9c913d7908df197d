// Proves that refused input never reached the PTY, without timing: a terminal echoes every byte it receives, so
// once a marker typed later by an allowed member has come back, the refused text would have come back before it.

import assert from 'node:assert/strict';
import type { Member } from './member.js';
import { waitFor } from './wait.js';

let markers = 0;

export async function assertNeverEchoed(observer: Member, allowed: Member, refused: string): Promise<void> {
  const marker = `ECHO-MARK-${++markers}`;
  // The shell prints the sum, so the output (not the echo of the typing) is what is waited for.
  allowed.socket.emit('term:input', `echo ${marker}-$((40+2))\r`);
  await waitFor(() => observer.outputText().includes(`${marker}-42`), `the marker ${marker} to come back`);
  assert.equal(observer.outputText().includes(refused), false, `the refused input ${JSON.stringify(refused)} reached the PTY`);
}
