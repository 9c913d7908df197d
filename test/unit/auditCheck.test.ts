// I2: scripts/audit-check.mjs, which judges `npm audit --omit=dev --json` in CI, run as CI runs it on real-shaped
// answers: a clean report passes, a high or critical advisory fails, a registry error warns loudly.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/audit-check.mjs', import.meta.url));
const CI_RUN = fileURLToPath(new URL('../../.ci/run', import.meta.url));
const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/npmAudit/${name}`, import.meta.url)), 'utf8');

function check(input: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const { TTYROOM_CI_STRICT_AUDIT: _ignored, ...inherited } = process.env;
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { input, encoding: 'utf8', env: { ...inherited, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('audit-check', () => {
  test('a clean report passes and prints the counts', () => {
    const result = check(fixture('clean.json'));
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /high: 0, critical: 0/);
    assert.doesNotMatch(result.stderr, /WARNING/);
  });

  test('a high advisory fails the run and names the package and the advisory', () => {
    const result = check(fixture('high.json'));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /high: path-to-regexp/);
    assert.match(result.stderr, /GHSA-9wv6-86v2-598j/);
    assert.match(result.stderr, /high or critical advisories/);
  });

  test('a critical advisory fails the run', () => {
    const report = JSON.parse(fixture('high.json')) as { vulnerabilities: Record<string, { severity: string }>; metadata: { vulnerabilities: Record<string, number> } };
    for (const entry of Object.values(report.vulnerabilities)) entry.severity = 'critical';
    report.metadata.vulnerabilities.critical = report.metadata.vulnerabilities.high!;
    report.metadata.vulnerabilities.high = 0;
    const result = check(JSON.stringify(report));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /critical: express/);
  });

  test('counts of high findings fail the run even if the entries were missing', () => {
    const report = JSON.parse(fixture('high.json')) as { vulnerabilities: Record<string, unknown> };
    report.vulnerabilities = {};
    assert.equal(check(JSON.stringify(report)).status, 1);
  });

  test('low and moderate advisories do not fail the run', () => {
    const result = check(fixture('moderate.json'));
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /low: 1, moderate: 1, high: 0/);
  });

  test('a registry error (405 to the audit endpoint) is no report: a loud warning, and a failure when strict', () => {
    const relaxed = check(fixture('error-405.json'));
    assert.equal(relaxed.status, 0);
    assert.match(relaxed.stderr, /WARNING: npm audit got no report.*NOT done/);
    assert.match(relaxed.stderr, /405 Method Not Allowed/);
    assert.equal(check(fixture('error-405.json'), ['--strict']).status, 1);
    assert.equal(check(fixture('error-405.json'), [], { TTYROOM_CI_STRICT_AUDIT: '1' }).status, 1);
  });

  test('nothing, or something that is not JSON, is no report either', () => {
    for (const input of ['', 'npm error audit endpoint returned an error', '[]', 'null', '{"auditReportVersion":1}']) {
      const result = check(input);
      assert.equal(result.status, 0, JSON.stringify(input));
      assert.match(result.stderr, /WARNING/, JSON.stringify(input));
    }
  });

  test('bad usage exits with 2', () => {
    assert.equal(check('', ['--level=low']).status, 2);
  });

  test('CI runs the check on the production dependencies, and its failure fails CI', () => {
    const script = readFileSync(CI_RUN, 'utf8');
    const line = script.split('\n').find((row) => row.includes('scripts/audit-check.mjs') && !row.trimStart().startsWith('#'));
    assert.ok(line, '.ci/run calls scripts/audit-check.mjs');
    assert.doesNotMatch(line, /\|\|\s*true|;\s*true\b/, 'its status is not ignored');
    assert.match(script, /npm audit --omit=dev[^\n]*--json/, 'the audit covers production dependencies only, as JSON');
    assert.match(script, /^set -euo pipefail$/m, 'a failing step fails the run');
  });
});
