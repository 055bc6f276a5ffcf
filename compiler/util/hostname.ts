/**
 * Host name normalisation shared by the compiler and, in the same form, by
 * the generated router: lower case, IDN labels in punycode (WHATWG URL rules)
 * and no trailing dot.
 */

/** Returns the normalised form of a route's host name, or a sentence describing why it is invalid. */
export function normaliseRouteHost(text: string): { host: string } | { problem: string } {
  if (text === "") {
    return { problem: "The host name is empty." };
  }
  if (/[\s/\\?#@]/.test(text)) {
    return { problem: "A host name contains no spaces, slashes, \"?\", \"#\" or \"@\"." };
  }
  if (text.includes("*")) {
    return { problem: "Wildcard host names are not supported; list each host name." };
  }
  if (text.includes(":")) {
    return { problem: "A route matches a host name without a port; remove the \":PORT\" part." };
  }

  let hostname: string;
  try {
    hostname = new URL(`http://${text}/`).hostname;
  } catch {
    return { problem: "It is not a valid host name." };
  }
  if (hostname.endsWith(".")) {
    hostname = hostname.slice(0, -1);
  }
  if (hostname === "" || hostname.endsWith(".")) {
    return { problem: "It is not a valid host name." };
  }
  return { host: hostname };
}
