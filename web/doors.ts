import type { IncomingHttpHeaders } from 'node:http';
import { hostAllowed } from '../shared/allowed-hosts.js';
import { isLoopback } from '../shared/loopback.js';

/** What the door says about a request, before any route: refuse it, ask for a login, or let it in. */
export type Door =
  | { kind: 'refuse'; status: 421; error: string }
  | { kind: 'login'; client: string }
  | { kind: 'open'; client: string };

/**
 * Headers a proxy adds: a request carrying any came through one, whoever sent it first (RFC 7239; the
 * de-facto X-Forwarded-*).
 */
const PROXY_HEADERS = [
  'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via',
] as const;

export function cameThroughProxy(headers: IncomingHttpHeaders): boolean {
  return PROXY_HEADERS.some((header) => headers[header] !== undefined);
}

/**
 * Who a request is from, for per-address limits (login backoff, event streams): the peer, or, when the
 * peer is this machine and the request came through a proxy, the client the proxy names last (the one it
 * saw itself; entries before it are whatever the client wrote). Only a local proxy is believed.
 */
export function clientOf(peer: string | undefined, headers: IncomingHttpHeaders): string {
  const address = peer ?? 'unknown';
  if (!isLoopback(peer)) return address;
  const forwarded = typeof headers.forwarded === 'string'
    ? [...headers.forwarded.matchAll(/for="?\[?([^\]";,]+)/gi)].map((match) => match[1]!).pop()
    : undefined;
  const xff = typeof headers['x-forwarded-for'] === 'string'
    ? headers['x-forwarded-for'].split(',').map((entry) => entry.trim()).filter(Boolean).pop()
    : undefined;
  const realIp = typeof headers['x-real-ip'] === 'string' ? headers['x-real-ip'].trim() : undefined;
  const named = xff ?? forwarded ?? realIp;
  return named ? `via-proxy:${named.slice(0, 64)}` : address;
}

/**
 * The door policy (issue 23, item 5). Pure.
 * - `Host` must be a loopback name or one of `allowedHosts` (WEB_HOSTS), else 421: a page of another
 *   site that rebinds its name to us sends its own name, and gets nothing.
 * - A login is needed by a request from any address other than loopback, or that came through a proxy
 *   (a TLS proxy on this machine connects from loopback for everyone on the LAN) — whatever address the
 *   server listens on. A request from this machine, straight, is open, as the broker's anonymous loopback.
 */
export function door(peer: string | undefined, headers: IncomingHttpHeaders, allowedHosts: readonly string[]): Door {
  if (!hostAllowed(headers.host, allowedHosts)) {
    const given = typeof headers.host === 'string' ? JSON.stringify(headers.host.slice(0, 100)) : 'none';
    const error = `this server does not answer to the host name ${given}: add it to WEB_HOSTS `
      + '(comma-separated, e.g. WEB_HOSTS=pi.lan,192.168.1.10) to use it';
    return { kind: 'refuse', status: 421, error };
  }
  const client = clientOf(peer, headers);
  return !isLoopback(peer) || cameThroughProxy(headers) ? { kind: 'login', client } : { kind: 'open', client };
}
