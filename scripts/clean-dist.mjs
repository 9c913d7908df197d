// Removes the compiled server (dist/server) before tsc writes it again: tsc never deletes the output of a source
// that was moved or removed, and such a stale file would be packed into the tarball (`npm pack`). The client
// build (scripts/build-client.mjs) cleans dist/client itself.

import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
await rm(join(root, 'dist', 'server'), { recursive: true, force: true });
