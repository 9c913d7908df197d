// Judges `npm audit --omit=dev --json` for CI (.ci/run pipes it in): fails on any high or critical advisory
// among the production dependencies, and says loudly when the registry sent an error instead of a report.
//
// usage: npm audit --omit=dev --json | node scripts/audit-check.mjs [--strict]
// Exit status: 0 no high or critical finding (or no report, unless strict); 1 a high or critical finding, or
// no report with --strict (also TTYROOM_CI_STRICT_AUDIT=1); 2 bad usage.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Severities that fail the run: `--audit-level=high` (I2 in docs/properties.md). */
export const FAILING_SEVERITIES = ['high', 'critical'];

/**
 * Reads one npm audit JSON answer. npm 7+ writes a report (auditReportVersion 2) with a `vulnerabilities`
 * map and `metadata.vulnerabilities` counts; when the registry refuses the audit request (a mirror that
 * serves only GET answers 405) it writes the HTTP error instead, with no report in it.
 * Returns { kind: 'report', findings } or { kind: 'no-report', reason }.
 */
export function judge(text) {
  let answer;
  try {
    answer = JSON.parse(text);
  } catch {
    return { kind: 'no-report', reason: text.trim() === '' ? 'npm audit printed nothing' : 'npm audit printed something that is not JSON' };
  }
  if (answer === null || typeof answer !== 'object') return { kind: 'no-report', reason: 'npm audit printed no report' };
  const counts = answer.metadata?.vulnerabilities;
  if (answer.auditReportVersion !== 2 || typeof answer.vulnerabilities !== 'object' || typeof counts !== 'object') {
    const reason = answer.message ?? answer.error?.summary ?? answer.error?.code ?? 'an answer that is not an audit report';
    return { kind: 'no-report', reason: String(reason) };
  }
  const findings = Object.values(answer.vulnerabilities)
    .filter((entry) => FAILING_SEVERITIES.includes(entry?.severity))
    .map((entry) => ({
      name: String(entry.name),
      severity: String(entry.severity),
      range: String(entry.range ?? ''),
      advisories: (entry.via ?? []).filter((via) => typeof via === 'object').map((via) => String(via.url ?? via.title)),
    }));
  // The counts and the entries come from one report; if they ever disagree, the counts still fail the run.
  const counted = FAILING_SEVERITIES.reduce((sum, severity) => sum + Number(counts[severity] ?? 0), 0);
  if (findings.length === 0 && counted > 0) {
    findings.push({ name: '(see npm audit)', severity: 'high or critical', range: '', advisories: [`${counted} counted`] });
  }
  return { kind: 'report', findings, counts };
}

function main() {
  const args = process.argv.slice(2);
  if (args.some((arg) => arg !== '--strict')) {
    process.stderr.write('usage: npm audit --omit=dev --json | node scripts/audit-check.mjs [--strict]\n');
    return 2;
  }
  const strict = args.includes('--strict') || process.env.TTYROOM_CI_STRICT_AUDIT === '1';
  const verdict = judge(readFileSync(0, 'utf8'));
  if (verdict.kind === 'no-report') {
    process.stderr.write(
      `WARNING: npm audit got no report from the registry; the audit was NOT done:\n  ${verdict.reason}\n` +
        (strict ? 'failing: strict audit asked for (--strict or TTYROOM_CI_STRICT_AUDIT=1)\n' : ''),
    );
    return strict ? 1 : 0;
  }
  const summary = ['info', 'low', 'moderate', 'high', 'critical'].map((level) => `${level}: ${verdict.counts[level] ?? 0}`).join(', ');
  process.stdout.write(`npm audit (production dependencies): ${summary}\n`);
  if (verdict.findings.length === 0) return 0;
  for (const finding of verdict.findings) {
    process.stderr.write(`  ${finding.severity}: ${finding.name} ${finding.range}\n`);
    for (const advisory of finding.advisories) process.stderr.write(`    ${advisory}\n`);
  }
  process.stderr.write(`npm audit found ${verdict.findings.length} production dependencies with high or critical advisories\n`);
  return 1;
}

// Run as a script, not when a test imports judge().
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
