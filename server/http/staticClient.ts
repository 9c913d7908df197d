// Serves the built browser client (dist/client): lobby at /, room page at /r/:id, replay page at /replay/:id, sign-in
// page at /login, assets under /assets.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import { sendError } from '../net/errors.js';

/** The package root, found by walking up from this file (it runs from server/ under tsx and dist/server/ when built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'ttyroom') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the ttyroom package root');
    dir = parent;
  }
}

export function clientRouter(clientDir: string = join(packageRoot(), 'dist', 'client')): Router {
  const router = express.Router();
  const page = (file: string): express.RequestHandler => (_req, res) => {
    const path = join(clientDir, file);
    if (!existsSync(path)) return sendError(res, 'internal', 'the browser client is not built: run "npm run build"');
    res.sendFile(path);
  };
  router.get('/', page('lobby.html'));
  router.get('/r/:id', page('room.html'));
  // The page only: the recording it plays comes from the API, which decides who may have it.
  router.get('/replay/:id', page('replay.html'));
  // Reached only under --auth local; loginRoutes.ts answers /login in the other modes.
  router.get('/login', page('login.html'));
  // No icon yet; answering keeps browsers from logging a 404 on every page load.
  router.get('/favicon.ico', (_req, res) => res.status(204).end());
  router.use('/assets', express.static(clientDir, { index: false, fallthrough: false }));
  return router;
}
