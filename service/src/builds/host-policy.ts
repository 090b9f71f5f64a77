/**
 * Which hosts a repository may live on. On a shared hub the service runs inside the hub's
 * network: without this, any user could clone the hub's internal services (an admin panel on
 * 10.0.0.5, a cloud metadata endpoint on 169.254.169.254) into an image and read them there.
 *
 * With `refusePrivateAddresses`, the repository's host is resolved and refused when any of its
 * addresses is loopback, link-local, private, shared (CGNAT), unique-local or unspecified, unless
 * the host matches `allowedHosts` (an internal GitLab, say).
 *
 * Limit: the check resolves the name when the request arrives (and again before the clone);
 * git resolves it again itself. A name whose DNS answer changes in between (DNS rebinding) can
 * still reach a private address. Closing that needs a network boundary (an egress proxy or
 * firewall for the build host); this check stops the plain case and says why.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { invalidField } from '../api/errors.js';

export interface HostPolicyOptions {
  refusePrivateAddresses: boolean;
  /** Host patterns: `gitlab.internal`, `*.corp.example` (any depth of subdomain), `10.1.2.3`. */
  allowedHosts: string[];
  /** DNS (tests give a fake); answers every address of the name. */
  resolve?: (host: string) => Promise<string[]>;
}

async function resolveAll(host: string): Promise<string[]> {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map(answer => answer.address);
}

/** Does `host` (lowercase, IPv6 without brackets) match one of the patterns? */
export function hostMatches(
  host: string,
  patterns: readonly string[]
): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return patterns.some(raw => {
    const pattern = raw
      .trim()
      .toLowerCase()
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '');
    if (pattern.startsWith('*.')) {
      return (
        name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1
      );
    }
    return pattern !== '' && name === pattern;
  });
}

function ipv4Bytes(address: string): number[] | null {
  const parts = address.split('.');
  if (
    parts.length !== 4 ||
    !parts.every(part => /^\d{1,3}$/.test(part) && Number(part) <= 255)
  ) {
    return null;
  }
  return parts.map(Number);
}

function isPrivateIPv4([a, b]: number[]): boolean {
  return (
    a === 0 || // "this network", 0.0.0.0 included
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // shared address space (CGNAT)
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a >= 224 // multicast and reserved
  );
}

/** The eight 16-bit groups of an IPv6 address (embedded IPv4 included), or null. */
function ipv6Groups(address: string): number[] | null {
  let text = address.toLowerCase().replace(/%.*$/, ''); // zone index
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const bytes = ipv4Bytes(tail[1]);
    if (!bytes) {
      return null;
    }
    text =
      text.slice(0, -tail[1].length) +
      `${((bytes[0] << 8) | bytes[1]).toString(16)}:${((bytes[2] << 8) | bytes[3]).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) {
    return null;
  }
  const parse = (half: string): number[] =>
    half === '' ? [] : half.split(':').map(group => parseInt(group, 16));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [
    ...head,
    ...new Array<number>(Math.max(fill, 0)).fill(0),
    ...rest
  ];
  return groups.length === 8 &&
    groups.every(
      group => Number.isInteger(group) && group >= 0 && group <= 0xffff
    )
    ? groups
    : null;
}

/** Is this address one a shared hub's users must not reach through the service? */
export function isPrivateAddress(address: string): boolean {
  const v4 = ipv4Bytes(address);
  if (v4) {
    return isPrivateIPv4(v4);
  }
  const groups = ipv6Groups(address);
  if (!groups) {
    return true; // not an address we understand: refuse rather than guess
  }
  const embedded = (): number[] => [
    groups[6] >> 8,
    groups[6] & 255,
    groups[7] >> 8,
    groups[7] & 255
  ];
  if (groups.slice(0, 6).every(group => group === 0)) {
    return isPrivateIPv4(embedded()); // ::, ::1 (0.0.0.x) and the deprecated IPv4-compatible ::a.b.c.d
  }
  if (groups.slice(0, 5).every(group => group === 0) && groups[5] === 0xffff) {
    return isPrivateIPv4(embedded()); // IPv4-mapped ::ffff:a.b.c.d
  }
  if (
    groups[0] === 0x64 &&
    groups[1] === 0xff9b &&
    groups.slice(2, 6).every(group => group === 0)
  ) {
    return isPrivateIPv4(embedded()); // NAT64 64:ff9b::a.b.c.d
  }
  if (groups[0] === 0x2002) {
    return isPrivateIPv4([
      groups[1] >> 8,
      groups[1] & 255,
      groups[2] >> 8,
      groups[2] & 255
    ]); // 6to4
  }
  return (
    (groups[0] & 0xfe00) === 0xfc00 || // unique-local fc00::/7
    (groups[0] & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (groups[0] & 0xffc0) === 0xfec0 || // site-local (deprecated) fec0::/10
    (groups[0] & 0xff00) === 0xff00 // multicast
  );
}

export class HostPolicy {
  private readonly resolve: (host: string) => Promise<string[]>;

  constructor(private readonly options: HostPolicyOptions) {
    this.resolve = options.resolve ?? resolveAll;
  }

  get refusesPrivateAddresses(): boolean {
    return this.options.refusePrivateAddresses;
  }

  /**
   * Throws a 400 naming `repo` when the repository's host is refused. `repo` is a validated,
   * canonical URL (or a local path, which the admin allowed and which has no host).
   */
  async check(repo: string): Promise<void> {
    if (
      !this.options.refusePrivateAddresses ||
      !/^(https?|git):\/\//.test(repo)
    ) {
      return;
    }
    const host = new URL(repo).hostname.replace(/^\[|\]$/g, '');
    if (hostMatches(host, this.options.allowedHosts)) {
      return;
    }
    // Only the name the user gave is looked up; an address literal is judged as it is.
    let addresses: string[];
    if (isIP(host)) {
      addresses = [host];
    } else {
      try {
        addresses = await this.resolve(host);
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'no answer';
        throw invalidField(
          'repo',
          `cannot resolve the repository's host ${host} (${code}); check the URL`
        );
      }
    }
    const refused = addresses.filter(isPrivateAddress);
    if (addresses.length === 0 || refused.length > 0) {
      throw invalidField(
        'repo',
        `the repository's host ${host} resolves to a private or local address (${refused.join(', ') || 'none'}), ` +
          'which this service does not fetch from; give a public repository URL, or ask your admin to list the host in builds.allowedHosts'
      );
    }
  }
}

/** The policy a configuration asks for; `refusePrivateAddresses: null` means on under JupyterHub. */
export function hostPolicyFromConfig(
  builds: { refusePrivateAddresses: boolean | null; allowedHosts: string[] },
  authMode: 'local' | 'jupyterhub'
): HostPolicy {
  return new HostPolicy({
    refusePrivateAddresses:
      builds.refusePrivateAddresses ?? authMode === 'jupyterhub',
    allowedHosts: builds.allowedHosts
  });
}
