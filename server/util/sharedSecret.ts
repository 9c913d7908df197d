// A secret every node of a cluster shares, agreed through Redis with no step for the operator: the first proposal written wins, and every node reads that one back.

import type { Redis } from 'ioredis';

/**
 * Writes `proposal` under `key` unless a secret is there (SET NX, no expiry) and returns the one that is. A node
 * proposes the secret it already has, so that after Redis lost its data the nodes keep the one they share rather
 * than whatever the first node back makes up. A missing or short value is refused, never used.
 */
export async function agreeOnSecret(redis: Pick<Redis, 'set' | 'get'>, key: string, proposal: string, minLength: number): Promise<string> {
  await redis.set(key, proposal, 'NX');
  const secret = await redis.get(key);
  if (secret === null || secret.length < minLength) throw new Error(`Redis key ${key} is missing or too short to be a shared secret; delete it and restart the nodes`);
  return secret;
}
