// ClientAddress: the network address a request comes from — the socket's peer, or behind proxies the operator trusts (--trust-proxy), the X-Forwarded-For hop before them.

import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { NodeForwards } from './nodeForwards.js';

/** Which peers may speak for the client: a number of proxy hops, or the proxies' addresses and ranges. */
export type TrustProxy = { hops: number } | { ranges: readonly string[] };

/** Named ranges, as in express's `trust proxy` setting, so an operator's existing value carries over. */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

export const TrustProxyLimits = {
  /** More proxies than this in front of one server is a typo, not a deployment. */
  MaxHops: 10,
  /** A long list is a typo too, and every request walks it. */
  MaxRanges: 100,
} as const;

/** Reports why `raw` is not an address, range or name, or undefined when it is one. */
function rangeError(entry: string): string | undefined {
  if (entry in NAMED_RANGES) return undefined;
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return `"${entry}" is not an IP address, a CIDR range or one of ${Object.keys(NAMED_RANGES).join(', ')}`;
  if (prefix === undefined) return undefined;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!(bits <= (family === 4 ? 32 : 128))) return `"${entry}" has a prefix length that does not fit an IPv${family} address`;
  return undefined;
}

/**
 * Reads a --trust-proxy value: a whole number of hops, or a comma-separated list of addresses, CIDR
 * ranges and the names loopback, linklocal, uniquelocal. Returns the setting, or the reason it is not one.
 * `0` and the empty list mean "trust nobody", which is also the default.
 */
export function parseTrustProxy(raw: string): TrustProxy | string {
  const text = raw.trim();
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > TrustProxyLimits.MaxHops) return `a hop count must be at most ${TrustProxyLimits.MaxHops}, got ${text}`;
    return { hops };
  }
  const ranges = text.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (ranges.length === 0) return 'expected a hop count or a list of proxy addresses';
  if (ranges.length > TrustProxyLimits.MaxRanges) return `at most ${TrustProxyLimits.MaxRanges} entries`;
  for (const entry of ranges) {
    const error = rangeError(entry);
    if (error) return error;
  }
  return { ranges };
}

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) as `1.2.3.4`, so ranges and limits see one spelling. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

function blockListOf(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of ranges.flatMap((range) => NAMED_RANGES[range] ?? [range])) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/**
 * Created once by the app from --trust-proxy and handed to whatever needs a client's address (the
 * requester of REST calls and sockets, the connection limiter, audit). Without a setting only the
 * socket's peer counts and X-Forwarded-For is ignored, whoever sends it.
 */
export class ClientAddress {
  private readonly trustHop: (address: string, hop: number) => boolean;

  /**
   * `nodes`: scale-out, where a request another node forwarded (server/cluster/forwarding.ts) carries the
   * client that node saw, vouched for by the cluster's key; the forwarding node's own address is no client.
   */
  constructor(
    readonly trust: TrustProxy | undefined,
    private readonly nodes?: NodeForwards,
  ) {
    if (trust === undefined) {
      this.trustHop = () => false;
    } else if ('hops' in trust) {
      const hops = trust.hops;
      this.trustHop = (_address, hop) => hop < hops;
    } else {
      const list = blockListOf(trust.ranges);
      this.trustHop = (address) => {
        const family = isIP(address);
        return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
      };
    }
  }

  /**
   * Whether the hop at `hop` (0 = the socket's peer, 1 = the last X-Forwarded-For entry, …) is a proxy
   * we trust to report the one before it. Also express's `trust proxy` function, so req.protocol
   * (X-Forwarded-Proto) follows the same policy.
   */
  readonly trusts = (address: string, hop: number): boolean => this.trustHop(plainAddress(address), hop);

  /** The client's address: walks from the peer back through X-Forwarded-For while the hop is trusted. */
  of(req: IncomingMessage): string {
    const fromNode = this.nodes?.verify(req);
    if (fromNode) return plainAddress(fromNode.client);
    const peer = req.socket.remoteAddress;
    if (peer === undefined) return 'unknown';
    let address = plainAddress(peer);
    if (this.trust === undefined) return address;
    const header = req.headers['x-forwarded-for'];
    const forwarded = typeof header === 'string' ? header.split(',').map((entry) => entry.trim()).reverse() : [];
    for (let hop = 0; hop < forwarded.length && this.trusts(address, hop); hop++) {
      const next = plainAddress(forwarded[hop]!);
      // A trusted proxy passed on something that is no address: the proxy is the last address we know.
      if (isIP(next) === 0) break;
      address = next;
    }
    return address;
  }
}

/**
 * Reads a list of addresses, CIDR ranges and the names loopback, linklocal, uniquelocal (--metrics-allow):
 * the ranges, or the reason it is not such a list.
 */
export function parseAddressList(raw: string): readonly string[] | string {
  const ranges = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (ranges.length === 0) return 'expected a comma-separated list of addresses or CIDR ranges';
  if (ranges.length > TrustProxyLimits.MaxRanges) return `at most ${TrustProxyLimits.MaxRanges} entries`;
  for (const entry of ranges) {
    const error = rangeError(entry);
    if (error) return error;
  }
  return ranges;
}

/** Whether an address is in a list of addresses and ranges (parseAddressList's), IPv4-mapped IPv6 read as IPv4. */
export class AddressAllowlist {
  private readonly list: BlockList;

  constructor(ranges: readonly string[]) {
    this.list = blockListOf(ranges);
  }

  allows(address: string): boolean {
    const plain = plainAddress(address);
    const family = isIP(plain);
    return family !== 0 && this.list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}
