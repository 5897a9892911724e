/**
 * Which host names a browser may use to reach us: the loopback names, and the ones the owner listed
 * (`WEB_HOSTS`). Checked on the dashboard's `Host` header and on the WebSocket listener's `Origin`, so a
 * page of another site cannot read our answers by DNS rebinding (its `Host` is its own name) or drive the
 * broker from a visitor's browser (its `Origin` is its own site). Pure: no I/O, never throws (issue 23, item 5).
 */

/** `localhost`, any 127.x.y.z and `::1`: this machine, by any name a DNS rebinding cannot forge. */
export function isLoopbackName(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV6 = /^[0-9a-f:.]{2,45}$/;

/** A host name as compared: lower case, no trailing dot, an IPv6 address without brackets; null when it is not one. */
export function canonicalHost(host: string): string | null {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) {
    name = name.slice(1, -1);
    return IPV6.test(name) && name.includes(':') ? name : null;
  }
  if (name.includes(':')) return IPV6.test(name) ? name : null;
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.length === 0 || name.length > 253) return null;
  return name.split('.').every((label) => LABEL.test(label)) ? name : null;
}

/**
 * A `Host` header's name without its port (`pi.lan:8080` → `pi.lan`, `[::1]:8080` → `::1`); null when
 * it is missing or not a host name (HTTP/1.1 requires one: RFC 9112, section 3.2).
 */
export function hostOfHeader(header: string | undefined): string | null {
  if (!header) return null;
  const bracketed = /^(\[[^\]]*\])(?::(\d{1,5}))?$/.exec(header);
  if (bracketed) return canonicalHost(bracketed[1]!);
  const plain = /^([^:]+)(?::(\d{1,5}))?$/.exec(header);
  return plain ? canonicalHost(plain[1]!) : null;
}

/** `WEB_HOSTS` as given ("pi.lan, 192.168.1.10"): the names, or every entry that is not a host name. */
export function parseHostList(text: string): { ok: true; hosts: string[] } | { ok: false; problems: string[] } {
  const hosts: string[] = [];
  const problems: string[] = [];
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const host = canonicalHost(entry);
    if (host) hosts.push(host);
    else {
      problems.push(`${JSON.stringify(entry.slice(0, 80))} is not a host name `
        + '(give names or addresses without a port or scheme, e.g. pi.lan,192.168.1.10)');
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, hosts };
}

/** Whether a request's `Host` header names this machine's loopback or one of `allowed` (any port). */
export function hostAllowed(header: string | undefined, allowed: readonly string[]): boolean {
  const host = hostOfHeader(header);
  return host !== null && (isLoopbackName(host) || allowed.includes(host));
}

/**
 * Whether a WebSocket's `Origin` may connect: absent (not a browser: a program sets what it likes anyway)
 * or an http(s) page on a loopback name or one of `allowed`. `null` (a sandboxed or file page) may not.
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = canonicalHost(url.hostname);
  return host !== null && (isLoopbackName(host) || allowed.includes(host));
}
