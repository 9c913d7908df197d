// The page's stylesheets parse cleanly: a lost brace (a merge can drop one) silently drops every rule after it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { transform } from 'esbuild';

const CLIENT_DIR = join(import.meta.dirname, '..', '..', 'client');

test('every stylesheet of the client parses with no warning from esbuild\'s CSS parser', async () => {
  const sheets = readdirSync(CLIENT_DIR).filter((name) => name.endsWith('.css'));
  assert.ok(sheets.length > 0, 'the client has stylesheets');
  for (const sheet of sheets) {
    const result = await transform(readFileSync(join(CLIENT_DIR, sheet), 'utf8'), { loader: 'css', sourcefile: sheet });
    assert.deepEqual(result.warnings.map((warning) => `${sheet}:${warning.location?.line}: ${warning.text}`), []);
  }
});

test('the check sees a rule left open', async () => {
  const result = await transform('.a {\n  display: none;\n/* next */\n.b { color: red; }\n', { loader: 'css' });
  assert.notEqual(result.warnings.length, 0);
});
