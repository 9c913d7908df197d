// Sign-in test helpers: a small cookie jar, HTTP requests that do not follow redirects, and a socket handshake probe.

import { io } from 'socket.io-client';
import type { AuthConfig } from '../../server/auth/authMode.js';

/** Cookies by name, as a browser would keep them for one site (attributes ignored; tests check them apart). */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  /** Takes the Set-Cookie headers of a response; an expired or emptied cookie is removed. */
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  jar?: CookieJar;
}

/** One HTTP request, redirects not followed; the jar (if any) sends and keeps cookies. */
export async function http(url: string, options: HttpOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const cookie = options.jar?.header();
  if (cookie !== undefined && headers.cookie === undefined) headers.cookie = cookie;
  const response = await fetch(url, { method: options.method ?? 'GET', headers, body: options.body, redirect: 'manual' });
  options.jar?.take(response);
  return response;
}

/** Follows redirects by hand (as a browser does, with the jar), returning the final response and the hops. */
export async function follow(url: string, jar: CookieJar, maxHops = 20): Promise<{ response: Response; url: string; hops: string[] }> {
  const hops: string[] = [];
  let current = url;
  for (let i = 0; i < maxHops; i++) {
    const response = await http(current, { jar });
    hops.push(current);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) return { response, url: current, hops };
    await response.arrayBuffer();
    current = new URL(location, current).href;
  }
  throw new Error(`more than ${maxHops} redirects: ${hops.join(' -> ')}`);
}

export function basicHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** A form body. */
export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/**
 * Opens a socket.io connection (WebSocket, as the browser client does) and reports whether the handshake was
 * admitted or the connect_error message.
 */
export function handshake(url: string, options: { headers?: Record<string, string>; auth?: Record<string, unknown> } = {}): Promise<string> {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: options.headers,
    auth: options.auth ?? {},
  });
  return new Promise((resolve) => {
    socket.on('connect', () => {
      socket.disconnect();
      resolve('connected');
    });
    socket.on('connect_error', (error) => {
      socket.disconnect();
      resolve(error.message);
    });
  });
}

/** Sign-in settings for a test server: the given mode and fields, the rest off. */
export function authConfig(dataDir: string, fields: Partial<AuthConfig>): AuthConfig {
  return {
    mode: 'none',
    credential: undefined,
    usersFile: `${dataDir}/users.json`,
    creators: undefined,
    oidc: undefined,
    ...fields,
  };
}
