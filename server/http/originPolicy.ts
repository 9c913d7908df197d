// OriginPolicy: which web origins may open sockets and change state, and which Host names a request may carry (DNS rebinding); exact scheme, host and port, never patterns.

import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export const OriginLimits = {
  /** Every request's Host is compared with each entry; a list longer than this is a configuration mistake. */
  MaxOrigins: 100,
} as const;

/** Loopback spellings a user on the same machine types for one server; all reach a loopback listener's port. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'] as const;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/** Whether `host` means every interface (0.0.0.0, ::). */
export function isWildcardHost(host: string): boolean {
  return WILDCARD_HOSTS.has(host.toLowerCase());
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/**
 * The serialized origin of `value` (`scheme://host[:port]`, host lower-cased, a default port dropped),
 * or undefined unless `value` is an http(s) origin: no user, path, query or fragment.
 */
export function normalizeOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (!(url.protocol in DEFAULT_PORTS)) return undefined;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return undefined;
  // URL parsing lets `*` and other symbols through as host characters; an allowlist entry with one was meant as a pattern.
  if (!/^([a-z0-9_-]+\.)*[a-z0-9_-]+\.?$|^\[[0-9a-f:.]+\]$/.test(url.hostname)) return undefined;
  // `new URL('http://host/')` has the same pathname as `http://host`; only the latter is an origin, but a
  // trailing slash names the same one, so it is accepted. Anything after it is refused above.
  return url.origin;
}

/** Reads --allowed-origins: comma-separated origins. Returns them normalized, or the reason they are not. */
export function parseOriginList(raw: string): string[] | string {
  const entries = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (entries.length === 0) return 'expected at least one origin, e.g. https://term.example.com';
  if (entries.length > OriginLimits.MaxOrigins) return `at most ${OriginLimits.MaxOrigins} origins`;
  const origins: string[] = [];
  for (const entry of entries) {
    const origin = normalizeOrigin(entry);
    if (origin === undefined) return `"${entry}" is not an origin: write scheme://host[:port] with http or https, no path or wildcard`;
    origins.push(origin);
  }
  return [...new Set(origins)];
}

/** `host` as it appears in a URL: IPv6 addresses in brackets. */
function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** The addresses of this machine's interfaces, for a server bound to every interface. */
function interfaceHosts(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((info) => urlHost(info.address.replace(/%.*$/, ''))));
}

/**
 * Where people on other machines reach a server listening on `host` (what links to hand out): the operator's
 * first --allowed-origins entry when there is one (the name they publish), else, on a wildcard host, this
 * machine's first external address (IPv4 first, as the one most networks route), else `listening`.
 */
export function linkOrigin(options: { scheme: 'http' | 'https'; host: string; port: number; configured: readonly string[] | undefined; listening: string }): string {
  const first = options.configured?.[0];
  if (first !== undefined) return first;
  if (!isWildcardHost(options.host)) return options.listening;
  const external = Object.values(networkInterfaces()).flatMap((list) => list ?? []).filter((info) => !info.internal);
  const chosen = external.find((info) => info.family === 'IPv4') ?? external[0];
  if (chosen === undefined) return options.listening;
  return normalizeOrigin(`${options.scheme}://${urlHost(chosen.address.replace(/%.*$/, ''))}:${options.port}`) ?? options.listening;
}

/**
 * The origins a server listening on `host`:`port` serves: that host; for a loopback host also the other
 * loopback spellings; for a wildcard host every interface address and the loopback spellings. Names
 * other than these are only known to the operator (--allowed-origins).
 */
export function servedOrigins(scheme: 'http' | 'https', host: string, port: number): string[] {
  const bare = host.toLowerCase();
  let hosts: string[];
  if (WILDCARD_HOSTS.has(bare)) hosts = [...LOOPBACK_NAMES, ...interfaceHosts()];
  else if (LOOPBACK_HOSTS.has(bare)) hosts = [...LOOPBACK_NAMES];
  else hosts = [urlHost(host)];
  const origins = hosts.flatMap((name) => {
    const origin = normalizeOrigin(`${scheme}://${name}:${port}`);
    return origin === undefined ? [] : [origin];
  });
  return [...new Set(origins)];
}

/** One allowed origin taken apart for comparing Host headers with it. */
interface Authority {
  hostname: string;
  port: number;
  /** The origin leaves its port implicit (the scheme's default), so a Host without a port names it. */
  implicitPort: boolean;
}

function authorityOf(origin: string): Authority {
  const url = new URL(origin);
  return { hostname: url.hostname, port: url.port === '' ? DEFAULT_PORTS[url.protocol]! : Number(url.port), implicitPort: url.port === '' };
}

/**
 * A Host header as hostname (normalized by URL rules) and explicit port, or undefined when it is not a
 * plain `host[:port]`. URL parsing alone would accept `user@host` or `host/path` and read a different host.
 */
export function parseHostHeader(value: string): { hostname: string; port: number | undefined } | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::(\d{1,5}))?$/.exec(value);
  if (!match) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${match[1]}`).hostname;
  } catch {
    return undefined;
  }
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && port > 65535) return undefined;
  return { hostname, port };
}

export interface OriginPolicyOptions {
  /** --allowed-origins, normalized; undefined means "the origins the server serves". */
  configured: readonly string[] | undefined;
  /** The origins the server serves; asked once it listens (port 0 resolves then). */
  served: () => readonly string[];
}

export class OriginPolicy {
  private cached: { origins: ReadonlySet<string>; authorities: readonly Authority[] } | undefined;

  constructor(private readonly options: OriginPolicyOptions) {}

  /** The allowed origins, normalized. */
  get origins(): ReadonlySet<string> {
    return this.resolve().origins;
  }

  /** Forget the computed default, e.g. when the server listens again on another port. */
  reset(): void {
    this.cached = undefined;
  }

  /** Whether an Origin header names an allowed origin exactly. */
  allowsOrigin(header: string): boolean {
    const origin = normalizeOrigin(header);
    return origin !== undefined && this.resolve().origins.has(origin);
  }

  /** Whether a Host header is the authority of an allowed origin (a missing Host never is). */
  allowsHost(header: string | undefined): boolean {
    if (header === undefined) return false;
    const host = parseHostHeader(header);
    if (!host) return false;
    return this.resolve().authorities.some((allowed) => allowed.hostname === host.hostname
      && (host.port === undefined ? allowed.implicitPort : host.port === allowed.port));
  }

  private resolve(): { origins: ReadonlySet<string>; authorities: readonly Authority[] } {
    if (!this.cached) {
      const origins = new Set(this.options.configured ?? this.options.served());
      this.cached = { origins, authorities: [...origins].map(authorityOf) };
    }
    return this.cached;
  }
}
