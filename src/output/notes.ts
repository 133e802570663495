// Notes about the input that every human report adds to its counts, in the same words.

import { quotedName } from '../classify/text.js';
import type { Analysis, Cause, Group } from '../model.js';

/** Damage found in the input (NUL blocks, over-long lines, invalid UTF-8, data after gzip)
 *  and inputs left out: where to see them, whether or not this run shows them. */
export function warningsNote(warnings: number): string {
  if (warnings === 0) return '';
  const noun = warnings === 1 ? 'warning' : 'warnings';
  return `, ${warnings} input ${noun} (on stderr with --show-unparsed N)`;
}

/** What a report with no group says: that nothing failed, unless inputs could not be read;
 *  then how many, so that an unreadable log never reads as a quiet day. */
export function noFailuresNote(summary: Analysis['summary']): string {
  const unread = summary.inputErrors.length;
  if (unread === 0) return 'No deferrals or bounces in this period.';
  if (summary.inputs.length === 0) {
    return (
      'No input could be read (see the input problems above): nothing is known of deferrals ' +
      'or bounces.'
    );
  }

  const inputs = unread === 1 ? '1 input' : `${unread} inputs`;
  return `No deferrals or bounces in the inputs read; ${inputs} could not be read (see above).`;
}

/** Messages that expired with no recipient in the log (`expiredUnnamed`), after the count of
 *  expired recipients they are not part of. */
export function unnamedExpiriesNote(count: number): string {
  if (count === 0) return '';
  const messages = count === 1 ? '1 message' : `${count} messages`;
  return ` (and ${messages} queued before the log began)`;
}

/** `--since`/`--until`, when given: the period asked for, and how many events fell outside
 *  it ("2026-12-03 18:34 to the end; 89 events outside it"). */
export function askedForNote(
  summary: Analysis['summary'],
  showTime: (time: number) => string,
): string | undefined {
  if (summary.since === undefined && summary.until === undefined) return undefined;
  const from = summary.since === undefined ? 'the start' : showTime(summary.since);
  const to = summary.until === undefined ? 'the end' : showTime(summary.until);
  const outside = summary.eventsOutsidePeriod;
  return `${from} to ${to}; ${outside} ${outside === 1 ? 'event' : 'events'} outside it`;
}

/** Inputs that go back in time: what it does to the counts, and what to do instead. */
export function outOfOrderNote(summary: Analysis['summary']): string {
  const late =
    summary.eventsOutOfOrder === 1
      ? '1 delivery event came after its window had closed'
      : `${summary.eventsOutOfOrder} delivery events came after their window had closed`;
  return (
    `${late} (the inputs go back in time): messages seen on both sides count twice; ` +
    "read each host's logs in a run of their own"
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

/** The same for a domain and its Unicode form, when it has one. */
export function domainNameLabel(domain: string, unicode: string | undefined): string {
  return labelOf(domain, unicode);
}

function labelOf(domain: string, unicode: string | undefined): string {
  const name = shownDomain(domain);
  return unicode === undefined || unicode === domain ? name : `${name} (${shownDomain(unicode)})`;
}

/** Letters, digits, dots, hyphens and underscores, in any script; or an address literal. */
const PLAIN_DOMAIN = /^(?:[\p{L}\p{M}\p{N}._-]+|\[[\w.:]+\])$/u;

/**
 * A domain as the log gave it, quoted as a JSON string when it is no plain name: a space, a
 * colon or a quote in it (`ok.test: 99 failed attempts`, `"x\u001b.test"`) could otherwise
 * read as report text, or as another domain whose name has a control character escaped.
 */
function shownDomain(domain: string): string {
  return PLAIN_DOMAIN.test(domain) ? domain : quotedName(domain);
}

/** A recipient domain over the whole period, for the reports' affected-domains tables. */
export interface DomainRow {
  /** The domain as `domainLabel` names it, not yet escaped. */
  readonly name: string;
  /** Its causes, in the order they first came. */
  readonly causes: Set<Cause>;
  deferred: number;
  bounced: number;
  expired: number;
  /** The group whose verdict and reply stand for the domain: of those the re-check judged
   *  (not `not-checked` or `remote-policy`), the one with the most attempts; else the one with
   *  the most attempts. Our resolver failing shows even where connections failed more. */
  worst: Group;
}

/** Verdicts that judge no DNS: a domain's row shows them only when it has no other. */
const UNJUDGED: ReadonlySet<string> = new Set(['not-checked', 'remote-policy']);

/** One row per domain, the most failures first, then by name. */
export function domainRows(groups: readonly Group[]): DomainRow[] {
  const rows = new Map<string, DomainRow>();
  for (const group of groups) {
    let row = rows.get(group.domain);
    if (row === undefined) {
      const name = domainLabel(group);
      row = { name, causes: new Set(), deferred: 0, bounced: 0, expired: 0, worst: group };
      rows.set(group.domain, row);
    }

    row.causes.add(group.cause);
    row.deferred += group.statuses.deferred;
    row.bounced += group.statuses.bounced;
    row.expired += group.statuses.expired;
    if (standsBefore(group, row.worst)) row.worst = group;
  }

  const failures = (row: DomainRow) => row.deferred + row.bounced + row.expired;
  return [...rows.values()].sort(
    (a, b) => failures(b) - failures(a) || a.name.localeCompare(b.name),
  );
}

/** Whether `group` stands for its domain before `current` (see `DomainRow.worst`). */
function standsBefore(group: Group, current: Group): boolean {
  const isJudged = !UNJUDGED.has(group.verdict.kind);
  const isCurrentJudged = !UNJUDGED.has(current.verdict.kind);
  if (isJudged !== isCurrentJudged) return isJudged;
  return group.attempts > current.attempts;
}
