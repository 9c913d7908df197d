// bench/RESULTS.md has two writers: bench/run.ts (every scenario beside the peers) and bench/scaleOut.ts (its section between markers, which run.ts carries over).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const RESULTS_FILE = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
/** Where a smoke run's report goes: it only proves every scenario runs, so it never replaces measured figures (git ignores it). */
export const SMOKE_RESULTS_FILE = fileURLToPath(new URL('./RESULTS-smoke.md', import.meta.url));

/** The lines around the scale-out section: each writer replaces only its own part of the file. */
export const ScaleOutMarkers = {
  Begin: '<!-- scale-out section: written by bench/scaleOut.ts at full size; bench/run.ts keeps it as it is -->',
  End: '<!-- end of the scale-out section -->',
} as const;

/** What stands in the section until bench/scaleOut.ts has measured. */
const NOT_MEASURED = [
  ScaleOutMarkers.Begin,
  '',
  '## Scale-out on Redis',
  '',
  'Not measured yet: `npm run build && node --import tsx bench/scaleOut.ts` writes this section.',
  '',
  ScaleOutMarkers.End,
].join('\n');

function readResults(): string {
  return existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : '';
}

/** The scale-out section of `text`, markers included, or undefined when it has none (or only half of one). */
function scaleOutSection(text: string): string | undefined {
  const begin = text.indexOf(ScaleOutMarkers.Begin);
  const end = text.indexOf(ScaleOutMarkers.End, begin);
  return begin < 0 || end < 0 ? undefined : text.slice(begin, end + ScaleOutMarkers.End.length);
}

/** The scale-out section RESULTS.md holds now, or a placeholder: bench/run.ts puts it under its own report. */
export function currentScaleOutSection(): string {
  return scaleOutSection(readResults()) ?? NOT_MEASURED;
}

/** Writes `body` (markdown, no markers) as RESULTS.md's scale-out section, in its place, or at the end when there is none. */
export function writeScaleOutSection(body: string): void {
  const section = `${ScaleOutMarkers.Begin}\n\n${body.trim()}\n\n${ScaleOutMarkers.End}`;
  const text = readResults();
  const old = scaleOutSection(text);
  const updated = old === undefined ? `${text.trimEnd()}${text ? '\n\n' : ''}${section}\n` : text.replace(old, () => section);
  writeFileSync(RESULTS_FILE, updated);
}

/** The machine, as both reports describe it (CPU, memory, OS, Node). */
export function machineLines(): string[] {
  const release = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type();
  return [
    `CPU: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores`,
    `Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `OS: ${release}, kernel ${os.release()}`,
    `Node: ${process.version}`,
  ];
}
