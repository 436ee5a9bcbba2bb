/**
 * Classifies literal IP addresses: is this a target a webhook must not reach unless private
 * targets are explicitly allowed? Pure string work, no DNS: the webhook sender calls it again on
 * the addresses a host name resolves to.
 */

/** IPv4 ranges that are not globally reachable (IANA special-purpose registry), as [network, prefix length]. */
const V4_BLOCKED: ReadonlyArray<readonly [number, number]> = [
  [v4(0, 0, 0, 0), 8], // "this network", includes the unspecified 0.0.0.0
  [v4(10, 0, 0, 0), 8], // private
  [v4(100, 64, 0, 0), 10], // shared address space (carrier-grade NAT)
  [v4(127, 0, 0, 0), 8], // loopback
  [v4(169, 254, 0, 0), 16], // link-local (cloud metadata endpoints live here)
  [v4(172, 16, 0, 0), 12], // private
  [v4(192, 0, 0, 0), 24], // IETF protocol assignments
  [v4(192, 0, 2, 0), 24], // documentation
  [v4(192, 168, 0, 0), 16], // private
  [v4(198, 18, 0, 0), 15], // benchmarking
  [v4(198, 51, 100, 0), 24], // documentation
  [v4(203, 0, 113, 0), 24], // documentation
  [v4(224, 0, 0, 0), 4], // multicast
  [v4(240, 0, 0, 0), 4], // reserved, includes broadcast 255.255.255.255
];

function v4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/**
 * True when `ip` is a literal IPv4 or IPv6 address that is private, loopback, link-local,
 * unspecified, or otherwise not globally reachable (shared/CGNAT, multicast, reserved,
 * documentation, benchmarking, unique-local, site-local, discard-only). IPv4 addresses embedded
 * in IPv6 are judged by their IPv4 part: IPv4-mapped `::ffff:10.0.0.1`, IPv4-translated
 * `::ffff:0:10.0.0.1`, IPv4-compatible `::10.0.0.1`, NAT64 `64:ff9b::10.0.0.1`, 6to4
 * `2002:0a00:0001::` and Teredo `2001:0:…` (inverted client address); the local-use NAT64 prefix
 * `64:ff9b:1::/48` is private as a whole. Brackets (`[::1]`, as in URL host names) and IPv6 zone ids (`fe80::1%eth0`) are accepted.
 *
 * @param ip - A literal address. Anything that is not one (a host name, garbage) gives `false`:
 *   this function answers "is this literal address private", not "is this host safe".
 * @returns Whether a webhook to this address must be refused when private targets are not allowed.
 */
export function isPrivateAddress(ip: string): boolean {
  if (typeof ip !== 'string' || ip.length === 0 || ip.length > 64) return false;
  let text = ip;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (text.includes(':')) {
    const groups = parseIPv6(text);
    return groups !== undefined && isPrivateV6(groups);
  }
  const addr = parseIPv4(text);
  return addr !== undefined && isPrivateV4(addr);
}

/**
 * Parses a strict dotted-quad IPv4 address (four decimal parts 0–255, no leading zeros, which
 * some parsers read as octal) into an unsigned 32-bit number.
 */
function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let out = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out = out * 256 + n;
  }
  return out;
}

function isPrivateV4(addr: number): boolean {
  for (const [net, len] of V4_BLOCKED) {
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    if ((addr & mask) >>> 0 === net) return true;
  }
  return false;
}

/** Parses an IPv6 address (with `::` compression and an optional dotted IPv4 tail) into eight 16-bit groups. */
function parseIPv6(input: string): number[] | undefined {
  let text = input;
  const zone = text.indexOf('%');
  if (zone >= 0) {
    if (zone === text.length - 1) return undefined;
    text = text.slice(0, zone);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] as string);
  const tail = halves.length === 2 ? parseGroups(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  if (head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** Colon-separated hex groups, the last of which may be a dotted IPv4 address (two groups). */
function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (i === parts.length - 1 && part.includes('.')) {
      const v = parseIPv4(part);
      if (v === undefined) return undefined;
      out.push(v >>> 16, v & 0xffff);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      out.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

function isPrivateV6(g: number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = ((g6 << 16) | g7) >>> 0;
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (upperZero && g5 === 0) {
    // :: (unspecified) and ::1 (loopback), else the deprecated IPv4-compatible form ::a.b.c.d.
    if (g6 === 0 && (g7 === 0 || g7 === 1)) return true;
    return isPrivateV4(embedded);
  }
  if (upperZero && g5 === 0xffff) return isPrivateV4(embedded); // IPv4-mapped ::ffff:a.b.c.d
  // IPv4-translated ::ffff:0:a.b.c.d (SIIT, RFC 2765): the host it reaches is the IPv4 one.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) return isPrivateV4(embedded);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return isPrivateV4(embedded); // NAT64
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return true; // local-use NAT64 64:ff9b:1::/48 (RFC 8215): never global
  // 6to4 2002:AABB:CCDD::/48 relays to the IPv4 address AA.BB.CC.DD in bits 16-48.
  if (g0 === 0x2002) return isPrivateV4(((g1 << 16) | g2) >>> 0);
  // Teredo 2001:0::/32: the client's IPv4 address is the last 32 bits, inverted.
  if (g0 === 0x2001 && g1 === 0) return isPrivateV4(~embedded >>> 0);
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return true; // discard-only 100::/64
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation 2001:db8::/32
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique-local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return true; // site-local fec0::/10 (deprecated, still private)
  if ((g0 & 0xff00) === 0xff00) return true; // multicast ff00::/8
  return false;
}
