// A loopback port nobody listens on right now, for a real server (sshd, redis-server) that cannot be told to take port 0.

import { createServer } from 'node:net';

/** Asks the kernel for a free port and releases it; the caller starts its server on it at once (a small race, accepted). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
