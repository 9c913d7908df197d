// Entry of `npm run bench` (full) and `npm run bench:smoke`: calibration, then every scenario on every available
// system, a markdown table of this run's medians and ratios, written to bench/RESULTS.md with the machine (keeping
// its scale-out section, which bench/scaleOut.ts writes); a smoke run's goes to bench/RESULTS-smoke.md instead.
// Options: --smoke, --systems ttyroom,tmux (a subset), --scenarios B1,B2 (a subset), --repetitions N (of the
// repeatable scenarios, B1 and B2; the table shows each figure's median).

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { calibrate, type Calibration } from './calibrate.js';
import { b1Throughput } from './scenarios/b1Throughput.js';
import { b2bCtrlC } from './scenarios/b2bCtrlC.js';
import { b2Echo } from './scenarios/b2Echo.js';
import { b3LateJoin } from './scenarios/b3LateJoin.js';
import { b4Memory } from './scenarios/b4Memory.js';
import { b5Capacity } from './scenarios/b5Capacity.js';
import { b6SlowViewers } from './scenarios/b6SlowViewers.js';
import { FULL, SMOKE, type Figure, type Scenario } from './scenarios/common.js';
import type { BenchSystem } from './system.js';
import { withTimeout } from './timing.js';
import { NO_RECORD_SYSTEM, TtyroomSystem } from './systems/ttyroom.js';
import { TmuxSystem } from './systems/tmux.js';
import { WettySystem } from './systems/wetty.js';
import { TtydSystem } from './systems/ttyd.js';
import { checkTargets, type Results, type Samples } from './targets.js';
import { median } from './scenarios/common.js';
import { currentScaleOutSection, machineLines, RESULTS_FILE, SMOKE_RESULTS_FILE } from './resultsFile.js';

/** How long a system may take to stop after a scenario before the run goes on without waiting. */
const DISPOSE_TIMEOUT_MS = 15_000;
/**
 * Repetitions of the repeatable scenarios unless --repetitions says otherwise: the targets ask for the median of 3
 * runs of B1 (its ratios to ttyd move by tens of percent between runs on a shared 2-core machine); the smoke,
 * which only proves every scenario runs, does each once.
 */
const Repetitions = { full: 3, smoke: 1 } as const;
/** Why a system that does not share its terminal has no figure for a scenario that needs several members. */
const NOT_SHARED = 'one program per connection, no shared terminal';

// ---- Systems. ttyroom first: every ratio is a peer's figure divided by ttyroom's. ttyroom records every room (its
// default); ttyroom-norecord is the same server with --no-record, for recording's cost in the same run. ----
const SYSTEMS: BenchSystem[] = [
  new TtyroomSystem(), new TtyroomSystem({ record: false }), new TmuxSystem(), new WettySystem(), new TtydSystem('own'), new TtydSystem('tmux'),
];

const SCENARIOS: Scenario[] = [b1Throughput, b2Echo, b2bCtrlC, b3LateJoin, b4Memory, b5Capacity, b6SlowViewers];

function option(name: string): string[] | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? undefined : (process.argv[index + 1] ?? '').split(',').filter(Boolean);
}

function commandOutput(file: string, args: string[]): string | undefined {
  try {
    return execFileSync(file, args, { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0];
  } catch {
    return undefined; // Not installed or not runnable: the description says so.
  }
}

function machine(): string[] {
  const wetty = JSON.parse(readFileSync(fileURLToPath(new URL('../node_modules/wetty/package.json', import.meta.url)), 'utf8')) as { version: string };
  const ttydBin = process.env.TTYD_BIN;
  const ttyd = ttydBin ? commandOutput(ttydBin, ['--version']) : undefined;
  return [
    ...machineLines(),
    `Peers: ${commandOutput('tmux', ['-V']) ?? 'tmux not found'}; wetty ${wetty.version}; ${ttydBin ? ttyd ?? `ttyd at ${ttydBin} did not run` : 'ttyd: TTYD_BIN not set'}`
      + (ttyd ? ` (TTYD_BIN=${ttydBin}${TtydSystem.serverHeader ? `; its HTTP Server header: ${TtydSystem.serverHeader}` : ''})` : ''),
  ];
}

function formatValue(value: number): string {
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
}

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const sizes = smoke ? SMOKE : FULL;
  const onlySystems = option('systems');
  const onlyScenarios = option('scenarios');
  const repetitions = Number(option('repetitions')?.[0] ?? (smoke ? Repetitions.smoke : Repetitions.full));
  if (!Number.isInteger(repetitions) || repetitions < 1) throw new Error('--repetitions wants a whole number ≥ 1');
  const started = performance.now();
  const log = (line: string): void => {
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  };

  const systems: BenchSystem[] = [];
  const unavailable = new Map<string, string>();
  for (const system of SYSTEMS.filter((s) => !onlySystems || onlySystems.includes(s.name))) {
    const answer = await system.available();
    if (answer === true) systems.push(system);
    else unavailable.set(system.name, answer);
  }
  log(`systems: ${systems.map((s) => s.name).join(', ')}${unavailable.size ? `; not available: ${[...unavailable].map(([n, why]) => `${n} (${why})`).join(', ')}` : ''}`);

  log('calibration');
  const calibration: Calibration = await calibrate(sizes.calibrationBytes);
  log(`  PTY echo ${calibration.ptyEchoMs.toFixed(3)} ms, PTY ${calibration.ptyMBps.toFixed(1)} MB/s, xterm parse ${calibration.parseMBps.toFixed(1)} MB/s, WebSocket ${calibration.webSocketMBps.toFixed(0)} MB/s`);

  // "id.key" → the figure's label and unit; system → "id.key" → one value per repetition that measured it, and the
  // figure's note (why it was not measured, or a remark on its value; "id.*" for a scenario that failed).
  const rows = new Map<string, Figure>();
  const samples: Samples = new Map(systems.map((s) => [s.name, new Map<string, number[]>()]));
  const notes = new Map<string, Map<string, string>>(systems.map((s) => [s.name, new Map<string, string>()]));
  const failures: string[] = [];
  const scenarios = SCENARIOS.filter((s) => !onlyScenarios || onlyScenarios.includes(s.id));
  for (const scenario of scenarios) {
    const times = scenario.repeatable ? repetitions : 1;
    // Repetitions go round the systems, so a slow spell of the machine falls on all of them rather than on one.
    for (let repetition = 1; repetition <= times; repetition++) {
      for (const system of systems) {
        if (scenario.ttyroomOnly && system.name !== 'ttyroom') continue;
        if (scenario.needsSharing && !system.sharesTerminal) continue;
        if (system.scenarios && !system.scenarios.includes(scenario.id)) continue;
        log(`${scenario.id} ${scenario.title} on ${system.name}${times > 1 ? ` (${repetition} of ${times})` : ''}`);
        try {
          for (const figure of await withTimeout(scenario.run(system, sizes, log), sizes.scenarioTimeoutMs, `${scenario.id} on ${system.name}`)) {
            const key = `${scenario.id}.${figure.key}`;
            rows.set(key, rows.get(key) ?? figure);
            if (figure.value !== undefined && Number.isFinite(figure.value)) {
              const values = samples.get(system.name)!.get(key) ?? [];
              samples.get(system.name)!.set(key, [...values, figure.value]);
              if (figure.note) notes.get(system.name)!.set(key, figure.note);
            } else {
              notes.get(system.name)!.set(key, figure.note ?? 'not measured');
            }
          }
        } catch (error) {
          const message = (error as Error).message.split('\n')[0]!;
          log(`  failed: ${message}`);
          notes.get(system.name)!.set(`${scenario.id}.*`, message);
          failures.push(`- ${scenario.id} on ${system.name}${times > 1 ? ` (repetition ${repetition})` : ''} failed: ${message}`);
        } finally {
          // Each scenario starts from a fresh server: no figure carries another scenario's rooms or memory.
          await withTimeout(system.dispose(), DISPOSE_TIMEOUT_MS, `${system.name} dispose`).catch((error) => log(`  ${(error as Error).message}`));
        }
      }
    }
  }

  const results: Results = new Map([...samples].map(([name, figures]) => [name, new Map(
    [...figures].map(([key, values]) => [key, median(values)]),
  )]));
  const checks = checkTargets(results, samples, !smoke);
  const names = [...systems.map((s) => s.name), ...unavailable.keys()];
  const cell = (system: string, key: string, scenario: Scenario | undefined): string => {
    if (unavailable.has(system)) return 'n/a';
    if (scenario?.ttyroomOnly && system !== 'ttyroom') return '—';
    const only = systems.find((s) => s.name === system)?.scenarios;
    if (scenario && only && !only.includes(scenario.id)) return '—';
    if (scenario?.needsSharing && systems.find((s) => s.name === system)?.sharesTerminal === false) return `n/a (${NOT_SHARED})`;
    const value = results.get(system)?.get(key);
    if (value === undefined) {
      const why = notes.get(system)?.get(key) ?? notes.get(system)?.get(`${key.split('.')[0]}.*`) ?? 'not measured';
      return `n/a (${why.replaceAll('|', '/')})`;
    }
    const own = results.get('ttyroom')?.get(key);
    const ratio = system !== 'ttyroom' && own ? ` (${formatValue(value / own)}×)` : '';
    const count = samples.get(system)?.get(key)?.length ?? 0;
    const partial = scenario?.repeatable && count < repetitions ? ` (${count} of ${repetitions} runs)` : '';
    const note = notes.get(system)?.get(key);
    return `${formatValue(value)}${ratio}${partial}${note ? ` (${note.replaceAll('|', '/')})` : ''}`;
  };
  const table = [
    `| | figure | unit | ${names.join(' | ')} |`,
    `|---|---|---|${names.map(() => '---:').join('|')}|`,
    ...[...rows].map(([key, figure]) => {
      const scenario = SCENARIOS.find((s) => s.id === key.split('.')[0]);
      return `| ${key.split('.')[0]} | ${figure.label} | ${figure.unit} | ${names.map((name) => cell(name, key, scenario)).join(' | ')} |`;
    }),
  ];
  // Recording's cost: the same figures of the same run with recording on (ttyroom) and off (--no-record).
  const recordingLines = [...rows].flatMap(([key, figure]) => {
    const on = results.get('ttyroom')?.get(key);
    const off = results.get(NO_RECORD_SYSTEM)?.get(key);
    if (on === undefined || off === undefined || off === 0) return [];
    return [`- ${key.split('.')[0]} ${figure.label}: ${formatValue(on)} ${figure.unit} recording, ${formatValue(off)} without: ${formatValue(on / off)}×`];
  });
  const targetLines = checks.map((c) => `- ${c.holds === undefined ? 'not measured' : c.holds ? 'holds' : '**does not hold**'} — ${c.id} ${c.target}: ${c.figure}`);
  const repeated = scenarios.filter((s) => s.repeatable).map((s) => s.id);
  const seconds = (performance.now() - started) / 1000;
  const report = [
    `# Benchmark results (${smoke ? 'smoke' : 'full'} run)`,
    '',
    `Run on ${new Date().toISOString()} in ${seconds.toFixed(0)} s. Every figure below${smoke ? '' : ', up to the scale-out section (a run of its own),'} was measured in this one run; peer cells`,
    'show the peer\'s figure and, in brackets, its ratio to ttyroom\'s (above 1× means ttyroom is lower). Compare runs by',
    'ratios only, never by absolute times. Scenarios marked — run on ttyroom only.',
    ...(repetitions > 1 && repeated.length > 0
      ? [`${repeated.join(' and ')} ran ${repetitions} times, each time round all systems: their figures are the medians of the runs.`]
      : []),
    '',
    '## Machine',
    '',
    ...machine().map((line) => `- ${line}`),
    '',
    '## Calibration',
    '',
    `- PTY echo round trip (cat, in-process node-pty): ${calibration.ptyEchoMs.toFixed(3)} ms median`,
    `- PTY read: ${calibration.ptyMBps.toFixed(1)} MB/s (node-pty reading a program that writes ${sizes.calibrationBytes / 1e6} MB)`,
    `- headless xterm parse: ${calibration.parseMBps.toFixed(1)} MB/s (the same bytes)`,
    `- loopback WebSocket: ${calibration.webSocketMBps.toFixed(0)} MB/s (ws, 1 MiB messages)`,
    '',
    '## Figures',
    '',
    ...table,
    '',
    ...(recordingLines.length
      ? ['## Recording on vs off', '', `ttyroom records every room (its default); ${NO_RECORD_SYSTEM} is the same server with --no-record, run in`,
        'the same repetitions. Each line: the figure with recording, without, and their ratio.', '', ...recordingLines, '']
      : []),
    '## Performance targets (ttyroom)',
    '',
    ...targetLines,
    ...(failures.length ? ['', '## Failures', '', ...failures] : []),
    '',
  ].join('\n');
  process.stdout.write(`${report}\n`);
  // A smoke run proves that every scenario runs, at sizes too small to compare: the measured figures stay.
  const file = smoke ? SMOKE_RESULTS_FILE : RESULTS_FILE;
  writeFileSync(file, smoke ? report : `${report}\n${currentScaleOutSection()}\n`);
  log(`wrote ${file}`);
  // A scenario that could not run on ttyroom is a bug of ours (CI runs the smoke); a peer's failure or a
  // missed target is a finding, reported above.
  if (failures.some((line) => line.includes(' on ttyroom'))) process.exitCode = 1;
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
} finally {
  // Every system was disposed; what may remain are timers of abandoned waits (a timed-out scenario): do not wait for them.
  for (const system of SYSTEMS) await withTimeout(system.dispose(), DISPOSE_TIMEOUT_MS, 'dispose').catch(() => undefined);
  process.exit(process.exitCode ?? 0);
}
