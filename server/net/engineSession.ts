// Which engine.io session a raw HTTP request belongs to, read from its URL; shared by the handshake gate, the request guard and the app.

/** The engine.io session id a request carries (`?sid=`), or null for a request that opens a new session (a handshake). */
export function engineSessionId(url: string | undefined): string | null {
  return new URL(url ?? '/', 'http://localhost').searchParams.get('sid');
}
