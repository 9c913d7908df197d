// Builds the browser client: bundles the page entries with esbuild and copies the static files into
// dist/client/, which the server serves under /assets/ (pages included). Run from the repo root.

import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'client');

/** Files served as they are, by their name in dist/client/. */
const staticFiles = [
  ['client/lobby.html', 'lobby.html'],
  ['client/room.html', 'room.html'],
  ['client/login.html', 'login.html'],
  ['client/app.css', 'app.css'],
  ['node_modules/@xterm/xterm/css/xterm.css', 'xterm.css'],
  ['node_modules/asciinema-player/dist/bundle/asciinema-player.css', 'asciinema-player.css'],
];

async function main() {
  // Start clean so a renamed or removed file cannot linger in what the server serves.
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });

  await build({
    absWorkingDir: root,
    entryPoints: { lobby: 'client/src/lobby.ts', room: 'client/src/room.ts', login: 'client/src/login.ts' },
    outdir,
    bundle: true,
    format: 'esm',
    // Code imported with import() goes to its own chunk, loaded only when used: the replay player
    // (client/src/castPlayer.ts) stays out of the room page that phones load. Shared code is chunked too.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    // The client imports server/shared/, whose files the server's tsconfig compiles for Node; compile them as the client.
    tsconfig: 'client/tsconfig.json',
    logLevel: 'warning',
  });

  await Promise.all(staticFiles.map(([from, to]) => copyFile(join(root, from), join(outdir, to))));
}

main().catch((error) => {
  // esbuild has already printed its diagnostics; anything else gets printed here.
  if (!error?.errors) console.error(error);
  process.exitCode = 1;
});
