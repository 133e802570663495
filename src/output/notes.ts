// Notes about the input that every human report adds to its counts, in the same words.

import { displayName } from '../classify/text.js';
import type { Analysis, Group } from '../model.js';

/** Damage found in the input (NUL blocks, over-long lines, invalid UTF-8, data after gzip). */
export function warningsNote(warnings: number): string {
  if (warnings === 0) return '';
  const noun = warnings === 1 ? 'warning' : 'warnings';
  return `, ${warnings} input ${noun} (--show-unparsed N shows them)`;
}

/** Messages that expired with no recipient in the log (`expiredUnnamed`), after the count of
 *  expired recipients they are not part of. */
export function unnamedExpiriesNote(count: number): string {
  if (count === 0) return '';
  const messages = count === 1 ? '1 message' : `${count} messages`;
  return ` (and ${messages} queued before the log began)`;
}

/** Inputs that go back in time: what it does to the counts, and what to do instead. */
export function outOfOrderNote(summary: Analysis['summary']): string {
  return (
    `${summary.eventsOutOfOrder} delivery events came after their window had closed (the ` +
    "inputs go back in time): messages seen on both sides count twice; read each host's " +
    'logs in a run of their own'
  );
}

/**
 * Names of domains for people, the same in every report: the A-label, with the Unicode form an
 * IDN was logged in (`xn--bcher-kva.example (bücher.example)`), control characters escaped.
 */
export function domainLabels(groups: readonly Group[]): (domain: string) => string {
  const unicode = new Map<string, string>();
  for (const group of groups) {
    if (group.domainDisplay !== undefined) unicode.set(group.domain, group.domainDisplay);
  }

  return (domain) => labelOf(domain, unicode.get(domain));
}

/** The same for the domain of one group. */
export function domainLabel(group: Group): string {
  return labelOf(group.domain, group.domainDisplay);
}

function labelOf(domain: string, unicode: string | undefined): string {
  return displayName(
    unicode === undefined || unicode === domain ? domain : `${domain} (${unicode})`,
  );
}
