// Hands out client source addresses across 127.0.0.2–127.0.0.254 so hundreds of benchmark connections stay under
// ttyroom's per-address connection limit (20/s, burst 40) without pacing: Linux routes all of 127/8 to lo.

/** 127.0.0.1 is left to REST calls; .255 is the broadcast address. */
const FIRST_HOST = 2;
const LAST_HOST = 254;
let next = FIRST_HOST;

/** The next source address, round-robin: 253 addresses × a burst of 40 admit about 10 000 connections at once. */
export function nextLoopbackAddress(): string {
  const address = `127.0.0.${next}`;
  next = next === LAST_HOST ? FIRST_HOST : next + 1;
  return address;
}
