import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns/format';
import { stripControl, visibleControls } from '../classify/text.js';
import {
  OFFLINE_VERDICT,
  offlineVerdict,
  type Analysis,
  type Group,
  type StatusCounts,
} from '../model.js';
import { domainLabels, noFailuresNote, outOfOrderNote, unnamedExpiriesNote } from './notes.js';
import { isShortPeriod, zoneLabel } from './times.js';

/** Totals of a previous run, kept in the state file, to compare against. */
export interface PeriodTotals {
  readonly periodStart?: number;
  readonly periodEnd?: number;
  readonly statuses: StatusCounts;
  readonly groups: number;
  /** Failed attempts (deferred, bounced, expired) of the worst domains. */
  readonly byDomain: Readonly<Record<string, number>>;
}

/** Domains whose totals are kept for the next run's comparison. */
const MAX_REMEMBERED_DOMAINS = 500;

export interface SummaryOptions {
  readonly previous?: PeriodTotals;
  readonly timeZone?: string;
  /** Domains listed, worst first. */
  readonly top: number;
}

/** Whether the period had anything a postmaster should hear about. */
export function isWorthAMail(analysis: Analysis): boolean {
  return (
    analysis.groups.length > 0 ||
    analysis.summary.inputErrors.length > 0 ||
    analysis.summary.linesNotUnderstood > 0 ||
    analysis.summary.inputWarnings > 0
  );
}

/** Short text for a cron mail: totals with the change since last time, then domains worst first. */
export function formatSummary(analysis: Analysis, options: SummaryOptions): string {
  const summary = analysis.summary;
  const previous = options.previous;
  const lines = [
    `mxtriage summary for ${period(analysis, options)}`,
    '',
    `Delivery attempts: ${change(summary.statuses.sent, previous?.statuses.sent)} delivered, ` +
      `${change(summary.statuses.deferred, previous?.statuses.deferred)} deferred, ` +
      `${change(summary.statuses.bounced, previous?.statuses.bounced)} bounced, ` +
      `${change(summary.statuses.expired, previous?.statuses.expired)} expired` +
      `${unnamedExpiriesNote(summary.expiredUnnamed)}.`,
    `Deferred or bounced recipients: delivered later ${analysis.outcomes['delivered-later']}, ` +
      `bounced ${analysis.outcomes.bounced}, expired ${analysis.outcomes.expired}, ` +
      `${removedNote(analysis.outcomes.removed)}still queued ${analysis.outcomes['still-queued']}.`,
  ];

  if (summary.linesNotUnderstood > 0) {
    const counted = summary.linesNotUnderstood === 1 ? 'log line was' : 'log lines were';
    lines.push(`${summary.linesNotUnderstood} ${counted} not understood (--show-unparsed N).`);
  }

  const warnings = summary.inputWarnings;
  if (warnings > 0) {
    const noun = warnings === 1 ? 'warning' : 'warnings';
    lines.push(
      `${warnings} input ${noun}: damaged or cut lines, or a copy left out (--show-unparsed N).`,
    );
  }

  for (const error of summary.inputErrors)
    lines.push(`Input problem: ${visibleControls(error.message)}`);
  if (summary.eventsOutOfOrder > 0) lines.push(`${outOfOrderNote(summary)}.`);
  if (analysis.groups.some(isOffline)) {
    lines.push("DNS not re-checked (--offline): each cause shows the log's own words.");
  }

  const domains =
    analysis.groups.length === 0
      ? [noFailuresNote(summary)]
      : domainLines(analysis.groups, options);
  lines.push('', ...resolverHeadline(analysis.groups), ...domains);
  return `${lines.join('\n')}\n`;
}

function domainLines(groups: readonly Group[], options: SummaryOptions): string[] {
  const byDomain = new Map<string, Group[]>();
  for (const group of groups) {
    const list = byDomain.get(group.domain) ?? [];
    list.push(group);
    byDomain.set(group.domain, list);
  }

  const ranked = [...byDomain.entries()]
    .map(([domain, list]) => ({ domain, list, failures: sum(list, failedAttempts) }))
    .sort((a, b) => b.failures - a.failures || a.domain.localeCompare(b.domain));
  const shown = options.top === 0 ? ranked : ranked.slice(0, options.top);
  const lines = shown.map(({ domain, list, failures }) =>
    domainLine(domain, list, failures, options),
  );
  if (shown.length < ranked.length)
    lines.push(`... and ${ranked.length - shown.length} more domains`);
  return ['Domains with deferrals or bounces, worst first:', ...lines];
}

/** The domain with its total, then one line per cause with that cause's verdict. */
function domainLine(
  domain: string,
  groups: readonly Group[],
  failures: number,
  options: SummaryOptions,
): string {
  // Without a previous run there is nothing to compare with: no trend at all.
  const before = options.previous?.byDomain[domain];
  const trend =
    options.previous === undefined
      ? ''
      : before === undefined
        ? ' (new)'
        : ` (previously ${before})`;
  const count = `${failures} ${failures === 1 ? 'failed attempt' : 'failed attempts'}`;
  const causes = [...new Set(groups.map((group) => group.cause))]
    .map((cause) => {
      const ofCause = groups.filter((group) => group.cause === cause);
      return { cause, failures: sum(ofCause, failedAttempts), worst: ofCause[0] as Group };
    })
    // The cause that failed most first, as the domains are.
    .sort((a, b) => b.failures - a.failures)
    .map(({ cause, failures, worst }) => `    ${cause} (${failures}): ${describeVerdict(worst)}`);
  return [`  ${domainLabels(groups)(domain)}: ${count}${trend}`, ...causes].join('\n');
}

/** Reasons are cut for a mail; the full evidence is in the other formats. */
const MAX_REASON = 200;

/**
 * The verdict and its reason; where the verdict comes from the log alone (not re-checked, or
 * the remote's reply decided) the log's own words instead, as the table shows them. A run
 * with `--offline` says so once, in the header, instead of on every line.
 */
function describeVerdict(group: Group): string {
  const { kind, detail, reason } = group.verdict;
  const label = detail === undefined ? kind : `${kind} (${detail})`;
  const said = group.examples[0];
  if (said !== undefined && (isOffline(group) || isNeverChecked(group))) return cut(said);
  if (said !== undefined && (kind === 'not-checked' || kind === 'remote-policy')) {
    return `${label}: ${cut(said)}`;
  }

  return reason === undefined ? label : `${label}: ${cut(reason)}`;
}

function cut(text: string): string {
  const clean = stripControl(text);
  return clean.length > MAX_REASON ? `${clean.slice(0, MAX_REASON)}…` : clean;
}

function isOffline(group: Group): boolean {
  return group.verdict.kind === 'not-checked' && group.verdict.reason === OFFLINE_VERDICT.reason;
}

/** A group of a cause no re-check looks at (connection, expiry, ...): its words say it all. */
function isNeverChecked(group: Group): boolean {
  const { kind, reason } = group.verdict;
  return (
    kind === 'not-checked' && !isOffline(group) && reason === offlineVerdict(group.cause).reason
  );
}

/** A headline when the verdicts point at our own resolver: the one thing to look at first. */
function resolverHeadline(groups: readonly Group[]): string[] {
  const ours = groups.filter(
    (group) =>
      group.verdict.kind === 'local-resolver' ||
      (group.verdict.kind === 'recovered' && group.verdict.detail?.startsWith('local-resolver')),
  );
  if (ours.length === 0) return [];
  const domains = new Set(ours.map((group) => group.domain)).size;
  const now = ours.some((group) => group.verdict.kind === 'local-resolver');
  return [
    now
      ? `Our own resolver is failing: ${domainCount(domains)} affected (see below).`
      : `Our own resolver probably failed earlier: the failures of ${domainCount(domains)} ` +
        `point at it, and ${domains === 1 ? 'that domain answers' : 'those domains answer'} ` +
        'now (other domains that failed then have verdicts of their own below).',
    '',
  ];
}

/** The period asked for (`--since`/`--until`, yesterday by default), else the log's own span. */
/** The period asked for (`--since`, `--until`, yesterday), completed by the data's own span. */
function period(analysis: Analysis, options: SummaryOptions): string {
  const { periodStart, periodEnd, since, until, eventsOutsidePeriod } = analysis.summary;
  const start = since ?? periodStart;
  const end = until ?? periodEnd;
  if (start === undefined && end === undefined) return 'a period with no delivery records';

  const precise = start !== undefined && end !== undefined && isShortPeriod(start, end);
  const from = start === undefined ? 'the start of the logs' : show(start, options, precise);
  const to = end === undefined ? 'the end of the logs' : show(end, options, precise);
  const span = `${from} to ${to} (${zoneLabel(options)})`;
  if (periodStart !== undefined) return span;
  const outside = eventsOutsidePeriod === 1 ? '1 event was' : `${eventsOutsidePeriod} events were`;
  return `${span} (no delivery records in it; ${outside} outside it)`;
}

/** `removed 2, `: only when the postmaster deleted deferred mail, which most logs never show. */
function removedNote(removed: number): string {
  return removed === 0 ? '' : `removed ${removed}, `;
}

function change(now: number, before: number | undefined): string {
  if (before === undefined) return String(now);
  const delta = now - before;
  return `${now} (${delta >= 0 ? '+' : ''}${delta})`;
}

function show(time: number, options: SummaryOptions, precise = false): string {
  const zoned =
    options.timeZone === undefined ? new Date(time) : new TZDate(time, options.timeZone);
  return format(zoned, precise ? 'yyyy-MM-dd HH:mm:ss' : 'yyyy-MM-dd HH:mm');
}

/** Deferrals, bounces and expiries: exact per domain, unlike messages summed over groups. */
function failedAttempts(group: Group): number {
  return group.statuses.deferred + group.statuses.bounced + group.statuses.expired;
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}

/** The totals of this run, to store for the next one. */
export function periodTotals(analysis: Analysis): PeriodTotals {
  const failures = new Map<string, number>();
  for (const group of analysis.groups) {
    failures.set(group.domain, (failures.get(group.domain) ?? 0) + failedAttempts(group));
  }

  const worst = [...failures].sort((a, b) => b[1] - a[1]).slice(0, MAX_REMEMBERED_DOMAINS);
  const byDomain = Object.fromEntries(worst);

  return {
    ...(analysis.summary.periodStart === undefined
      ? {}
      : { periodStart: analysis.summary.periodStart }),
    ...(analysis.summary.periodEnd === undefined ? {} : { periodEnd: analysis.summary.periodEnd }),
    statuses: analysis.summary.statuses,
    groups: analysis.groups.length,
    byDomain,
  };
}

function domainCount(count: number): string {
  return count === 1 ? '1 domain' : `${count} domains`;
}
