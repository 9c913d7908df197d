// `npm run fuzz [RUNS]`: replays the snapshot fuzz test (test/unit/snapshotFuzz.test.ts) with RUNS random
// seeds (default 20) and prints every seed whose late joiners diverged from the mirror, with the first
// divergence. Exploration, so not part of `npm test`; a seed worth keeping goes into REGRESSION_SEEDS.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 20);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: npm run fuzz [RUNS]   (RUNS: a whole number of random seeds, default 20)\n');
  process.exit(2);
}
const testFile = fileURLToPath(new URL('../test/unit/snapshotFuzz.test.ts', import.meta.url));
/** Seeds up to a million, as the test prints and replays them. */
const SEED_RANGE = 1_000_000;
const failures = [];
for (let run = 1; run <= runs; run++) {
  const seed = Math.floor(Math.random() * SEED_RANGE);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-name-pattern', 'TTYROOM_TEST_SEED', testFile], {
    env: { ...process.env, TTYROOM_TEST_SEED: String(seed) },
    encoding: 'utf8',
  });
  const divergence = /seed \d+: joiner[^'\n]*/.exec(result.stdout)?.[0];
  const failed = result.status !== 0;
  process.stdout.write(`${run}/${runs} seed ${seed}: ${failed ? `DIVERGED ${divergence ?? result.stdout.slice(-500)}` : 'ok'}\n`);
  if (failed) failures.push(seed);
}
process.stdout.write(failures.length === 0 ? `all ${runs} seeds matched\n` : `${failures.length} of ${runs} seeds diverged: ${failures.join(' ')} (replay: TTYROOM_TEST_SEED=N node --import tsx --test ${testFile})\n`);
process.exit(failures.length === 0 ? 0 : 1);
