// Recipient domains normalised so one domain is one group: lower case, no trailing dot, IDN as
// A-label. Postfix logs the Unicode address (`jörg@bücher.example`) but converts the domain to
// ASCII before its DNS look-up, so its error names `xn--bcher-kva.example` (SMTPUTF8 mail).

import { domainToASCII, domainToUnicode } from 'node:url';
import { detach } from './text.js';

export interface NormalisedDomain {
  /** Lower-case, no trailing dot, IDN as A-label; '' for an empty or null address. */
  readonly domain: string;
  /** The Unicode form, when it differs from `domain`. */
  readonly display?: string;
}

/** Distinct domains remembered; the cache is emptied when full, which only costs speed. */
const MAX_CACHED = 50_000;

const EMPTY: NormalisedDomain = Object.freeze({ domain: '' });
const cache = new Map<string, NormalisedDomain>();

/** The normalised domain of an address (`<ann@Example.COM.>`) or of a domain name. */
export function normaliseDomain(addressOrDomain: string): NormalisedDomain {
  const part = domainPart(addressOrDomain);
  if (part === '') return EMPTY;

  let result = cache.get(part);
  if (result === undefined) {
    const key = detach(part);
    result = Object.freeze(convert(key));
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, result);
  }

  return result;
}

/**
 * One recipient, however a log writes it: `u@NorthWind.TEST.` and `u@northwind.test` are the
 * same mailbox to a mail server (the local part is compared without case too: Postfix, Exim
 * and Sendmail all fold it for lookups), so deferrals and their later delivery meet.
 */
export function recipientKey(recipient: string): string {
  const lower = recipient.toLowerCase();
  return lower.charCodeAt(lower.length - 1) === 46 ? withoutTrailingDots(lower) : lower;
}

/** The domain part: after the last `@`, without `<>`, quotes or surrounding spaces. */
function domainPart(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isTrimmed(text.charCodeAt(start))) start += 1;
  while (end > start && isTrimmed(text.charCodeAt(end - 1))) end -= 1;

  const at = text.lastIndexOf('@', end - 1);
  if (at >= start) start = at + 1;

  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** `<`, `>`, `"`, space and tab around an address are not part of its domain. */
function isTrimmed(code: number): boolean {
  return code === 60 || code === 62 || code === 34 || code === 32 || code === 9;
}

function convert(part: string): NormalisedDomain {
  if (isAscii(part)) {
    const domain = withoutTrailingDots(part.toLowerCase());
    if (!domain.includes('xn--')) return { domain };

    const unicode = domainToUnicode(domain);
    return unicode === '' || unicode === domain ? { domain } : { domain, display: unicode };
  }

  const ascii = domainToASCII(part);
  if (ascii === '') return { domain: withoutTrailingDots(part.toLowerCase()) };

  const domain = withoutTrailingDots(ascii);
  // A name that only looked Unicode (a ligature, a soft hyphen) has no other form to show.
  const display = domainToUnicode(domain);
  return display === domain ? { domain } : { domain, display };
}

function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    if (text.charCodeAt(index) > 127) return false;
  }

  return true;
}

function withoutTrailingDots(domain: string): string {
  let end = domain.length;
  while (end > 0 && domain.charCodeAt(end - 1) === 46) end -= 1;
  return end === domain.length ? domain : domain.slice(0, end);
}
