// Polling and timeouts for tests: wait for a condition with a bounded deadline and a clear failure.

export async function waitFor(condition: () => boolean | Promise<boolean>, description: string, timeoutMs = 10_000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A seeded PRNG (the workload fixtures' own), so a failing random schedule replays from its seed. */
export { seededRandom } from '../fixtures/workload.mjs';
