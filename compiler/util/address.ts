/** Parsing of the network addresses a config contains: `HOST:PORT`, IP addresses and CIDR ranges. */
import { isIPv4, isIPv6 } from "node:net";

export type HostKind = "ipv4" | "ipv6" | "name";

/** A parsed `HOST:PORT`; `host` has no brackets, even for IPv6. */
export interface HostPort {
  host: string;
  port: number;
  kind: HostKind;
}

/** A label of a DNS name: letters, digits and inner hyphens, at most 63 characters. */
const dnsLabel = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/** Returns whether `name` is a DNS host name (not an IP address), without a trailing dot. */
export function isHostName(name: string): boolean {
  return name.length <= 253 && name.split(".").every((label) => dnsLabel.test(label));
}

/**
 * Parses `HOST:PORT` where HOST is a DNS name, an IPv4 address or a bracketed
 * IPv6 address. Returns a sentence describing the problem when it is invalid.
 */
export function parseHostPort(text: string): HostPort | string {
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end < 0 || text[end + 1] !== ":") {
      return "A bracketed IPv6 address must be followed by :PORT, as in [fd00::10]:80.";
    }
    host = text.slice(1, end);
    portText = text.slice(end + 2);
    if (!isIPv6(host)) {
      return `"${host}" is not an IPv6 address.`;
    }
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) {
      return "The port is missing: write HOST:PORT, as in whoami.example.com:80.";
    }
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) {
      return "An IPv6 address must be written in brackets, as in [fd00::10]:80.";
    }
    if (!isIPv4(host) && (/^[\d.]+$/.test(host) || !isHostName(host))) {
      return `"${host}" is neither an IPv4 address nor a host name.`;
    }
  }

  const port = parsePort(portText);
  if (port === undefined) {
    return `"${portText}" is not a TCP port (1 to 65535).`;
  }
  const kind: HostKind = isIPv6(host) ? "ipv6" : isIPv4(host) ? "ipv4" : "name";
  return { host, port, kind };
}

/** Formats a host and port for workerd and systemd, bracketing IPv6 addresses. */
export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) {
    return undefined;
  }
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** A parsed CIDR range. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

/** Parses `ADDRESS/PREFIX`; returns a sentence describing the problem when it is invalid. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf("/");
  if (slash < 0) {
    return "The prefix length is missing: write ADDRESS/PREFIX, as in 10.89.0.0/24.";
  }
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
  if (family === undefined) {
    return `"${address}" is not an IP address.`;
  }
  const maximum = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maximum) {
    return `"${prefixText}" is not a prefix length for IPv${family} (0 to ${maximum}).`;
  }
  return { address, prefix: Number(prefixText), family };
}

/**
 * Returns the bits of an IP address as a string of `0` and `1`: 32 for IPv4,
 * 128 for IPv6. The generated router matches trusted proxies against bit
 * strings of this form.
 */
export function addressBits(address: string): string | undefined {
  if (isIPv4(address)) {
    return address
      .split(".")
      .map((octet) => Number(octet).toString(2).padStart(8, "0"))
      .join("");
  }
  if (!isIPv6(address)) {
    return undefined;
  }

  // An IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
  let text = address.toLowerCase();
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const bits = addressBits(tail[1]!)!;
    const high = parseInt(bits.slice(0, 16), 2).toString(16);
    const low = parseInt(bits.slice(16), 2).toString(16);
    text = `${text.slice(0, tail.index)}${high}:${low}`;
  }

  const [head, rest] = text.split("::") as [string, string | undefined];
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const zeros = rest === undefined ? [] : Array<string>(8 - headGroups.length - restGroups.length).fill("0");
  return [...headGroups, ...zeros, ...restGroups]
    .map((group) => parseInt(group, 16).toString(2).padStart(16, "0"))
    .join("");
}

/** Returns the first `prefix` bits of a range's address, the bits every address inside it starts with. */
export function cidrBits(range: Cidr): string {
  return addressBits(range.address)!.slice(0, range.prefix);
}

/** Returns whether the address (IPv4 or IPv6) lies inside the range of the same family. */
export function addressInCidr(address: string, range: Cidr): boolean {
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
  return family === range.family && addressBits(address)!.startsWith(cidrBits(range));
}

/** Returns whether the IPv4 address lies inside the IPv4 range. */
export function ipv4InCidr(address: string, range: Cidr): boolean {
  if (range.family !== 4 || !isIPv4(address)) {
    return false;
  }
  const mask = range.prefix === 0 ? 0 : (~0 << (32 - range.prefix)) >>> 0;
  return ((ipv4ToNumber(address) & mask) >>> 0) === ((ipv4ToNumber(range.address) & mask) >>> 0);
}

function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

export { isIPv4, isIPv6 };
