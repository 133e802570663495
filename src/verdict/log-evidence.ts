// What the log itself says about a group, apart from any probe: the breadth test (did many
// unrelated domains fail with dns-tempfail in the same window while few were delivered?) and
// whether the domain's look-ups worked again after the group's last failure, and when its mail
// was delivered.

import type { DnsRecovery, DomainDeliveries } from '../group/group.js';

export type { DnsRecovery, DomainDeliveries } from '../group/group.js';

/** Per window start: distinct domains failing with dns-tempfail, distinct domains delivered. */
export interface WindowCounts {
  readonly dnsTempfailDomains: number;
  readonly sentDomains: number;
}

/**
 * `wide`: failures spread over many domains while few were delivered, the shape of our own
 * resolver failing. `narrow`: one or two domains failed while others were delivered, the shape
 * of a recipient-side fault. `none`: the window does not tell.
 */
export interface Breadth {
  readonly shape: 'wide' | 'narrow' | 'none';
  readonly failing: number;
  readonly delivered: number;
}

/** At least this many distinct domains must fail for a window to count as wide... */
export const WIDE_MIN_DOMAINS = 3;
/** ...and at least this share of the domains seen in it (failing or delivered). */
const WIDE_MIN_SHARE = 0.5;
/** A narrow window has at most this many failing domains and more delivered ones. */
const NARROW_MAX_DOMAINS = 2;

/** The breadth of a group's window; `none` when the window is unknown. */
export function readBreadth(counts: WindowCounts | undefined): Breadth {
  if (counts === undefined) return { shape: 'none', failing: 0, delivered: 0 };

  const failing = counts.dnsTempfailDomains;
  const delivered = counts.sentDomains;
  return { shape: shapeOf(failing, delivered), failing, delivered };
}

/** The sentence that states the breadth as evidence. */
export function describeBreadth(breadth: Breadth): string {
  // Two counts of the same window, not a split of its domains: one domain can be in both.
  const failed = `${domains(breadth.failing)} had dns-tempfail failures`;
  const delivered = `${domains(breadth.delivered)} had mail delivered`;

  return `in that window ${failed} and ${delivered}`;
}

/**
 * How the stretch of DNS failures that holds `lastFailure` ended: the first attempt after it
 * whose look-up worked. Undefined when none did (the domain still failed when the log ended)
 * or when the stretch is older than the ones the log pass kept.
 */
export function findRecovery(
  deliveries: ReadonlyMap<string, DomainDeliveries>,
  domain: string,
  lastFailure: number,
): DnsRecovery | undefined {
  const known = deliveries.get(domain);
  if (known === undefined || lastFailure <= known.forgottenUpTo) return undefined;

  return known.recoveries.find((recovery) => recovery.lastFailure >= lastFailure);
}

/** The first delivery to the domain after the group's last failure, if there was one. */
export function findLaterDelivery(
  deliveries: ReadonlyMap<string, DomainDeliveries>,
  domain: string,
  lastFailure: number,
): number | undefined {
  const known = deliveries.get(domain);
  if (known === undefined || lastFailure <= known.forgottenUpTo) return undefined;

  // A delivery ends a stretch, so the first one after it is that stretch's or a later one's.
  const later = known.recoveries.filter((recovery) => recovery.lastFailure >= lastFailure);
  return later.find((recovery) => recovery.deliveredAt !== undefined)?.deliveredAt;
}

function domains(count: number): string {
  return `${count} domain${count === 1 ? '' : 's'}`;
}

function shapeOf(failing: number, delivered: number): Breadth['shape'] {
  if (failing >= WIDE_MIN_DOMAINS && failing >= WIDE_MIN_SHARE * (failing + delivered)) {
    return 'wide';
  }

  if (failing > 0 && failing <= NARROW_MAX_DOMAINS && delivered > failing) return 'narrow';

  return 'none';
}
