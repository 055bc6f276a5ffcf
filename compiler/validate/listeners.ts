/**
 * Collisions between listening addresses on one port. With the kernel's default
 * `net.ipv6.bindv6only=0`, which systemd's `BindIPv6Only=default` follows, a
 * listener on `::` (or on a bare port) also takes the port on every IPv4
 * address, and one on `0.0.0.0` takes it on every IPv4 address. Checked with
 * systemd-socket-activate on Linux 6.x: `[::]` with `127.0.0.1`, `0.0.0.0`
 * with `127.0.0.1` and `::ffff:127.0.0.1` with `127.0.0.1` fail with
 * EADDRINUSE, while `::1` with `127.0.0.1` both listen.
 */
import { isIPv4, isIPv6 } from "../util/address.js";

type Listener =
  | { kind: "every-address" }
  | { kind: "every-ipv4" }
  | { kind: "address"; address: string };

/** Normalises a socket's `address` (undefined: every address) for comparison. */
function toListener(address: string | undefined): Listener {
  if (address === undefined || address === "::" || /^(0{0,4}:){2,7}0{0,4}$/.test(address)) {
    return { kind: "every-address" };
  }
  if (address === "0.0.0.0") {
    return { kind: "every-ipv4" };
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) {
    return { kind: "address", address: mapped[1]! };
  }
  return { kind: "address", address: isIPv6(address) ? expandIPv6(address) : address };
}

/** Returns whether sockets on the two addresses cannot both listen on the same port. */
export function listenersOverlap(first: string | undefined, second: string | undefined): boolean {
  const a = toListener(first);
  const b = toListener(second);
  if (a.kind === "every-address" || b.kind === "every-address") {
    return true;
  }
  if (a.kind === "every-ipv4" || b.kind === "every-ipv4") {
    const other = a.kind === "every-ipv4" ? b : a;
    return other.kind === "every-ipv4" || isIPv4(other.address);
  }
  return a.address === b.address;
}

/** Writes an IPv6 address in full lower-case form, so `::1` and `0:0::1` compare equal. */
function expandIPv6(address: string): string {
  const split = (part: string) => (part === "" ? [] : part.split(":"));
  const [head = "", tail] = address.toLowerCase().split("::");
  let groups = split(head);
  if (tail !== undefined) {
    const tailGroups = split(tail);
    const missing = 8 - groups.length - tailGroups.length;
    groups = [...groups, ...Array<string>(missing).fill("0"), ...tailGroups];
  }
  return groups.map((group) => group.padStart(4, "0")).join(":");
}
