#!/usr/bin/env node
// Launcher for the `ttyroom` command: runs the compiled server (built by `npm ci` through "prepare").
import { existsSync } from 'node:fs';

const entry = new URL('../dist/server/cli/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('ttyroom: not built yet; run "npm run build" (npm ci does it for you)\n');
  process.exit(1);
}
const { run } = await import(entry.href);
await run(process.argv.slice(2));
