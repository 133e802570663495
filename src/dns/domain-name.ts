// Which names the DNS re-check may ask about. Recipient and sender domains come from log lines
// that strangers partly write: `to=<x@<script>.example>`, Sendmail's bare `to=postmaster`,
// escape sequences. Only a syntactically valid host name is put into a query.

/**
 * Letters, digits and hyphens (RFC 1123 §2.1), and underscores, which real names carry
 * (`_dmarc`, RFC 8552); 1 to 63 octets (RFC 1035 §2.3.4), neither first nor last a hyphen
 * (RFC 952), which also keeps a name from reading as an option (`-bad.test`). A-labels (`xn--`)
 * fit as they are.
 */
const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/i;

/** 255 octets on the wire (RFC 1035 §3.1) is 253 characters written without the final dot. */
const MAX_NAME_LENGTH = 253;

/**
 * A last label that is a number makes the name an IPv4 literal to an address parser (`10.1`,
 * `0x7f.1`): the WHATWG URL Standard's "ends in a number" rule. No top-level domain is
 * all-numeric (RFC 3696 §2).
 */
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/i;

/**
 * Whether `name` is a host name the re-check may query: at least two labels, each of letters,
 * digits, hyphens or underscores and 1–63 octets long, 253 characters in all, the last not a
 * number. It takes the normalised form (no trailing dot, IDN as A-labels): a Unicode name, an
 * IP address literal, or anything with spaces, brackets or control characters is refused.
 */
export function isValidDomainName(name: string): boolean {
  if (name.length > MAX_NAME_LENGTH) {
    return false;
  }

  const labels = name.split('.');
  const last = labels[labels.length - 1] ?? '';

  return (
    labels.length >= 2 && labels.every((label) => LABEL.test(label)) && !NUMERIC_LABEL.test(last)
  );
}
