import { TZDate } from '@date-fns/tz';
import Table from 'cli-table3';
import { format } from 'date-fns/format';
import { displayName, stripControl } from '../classify/text.js';
import type { Analysis, Group, StatusCounts, Verdict } from '../model.js';

export interface TableOptions {
  /** Rows to show; 0 shows all. */
  readonly top: number;
  /** IANA zone for the times shown; default the system's. */
  readonly timeZone?: string;
  /** Terminal width, to keep the reason column readable. */
  readonly width?: number;
}

/** The default human output: a header with the period and counts, then one row per group. */
export function formatTable(analysis: Analysis, options: TableOptions): string {
  const lines = formatHeader(analysis, options);
  const shown = options.top === 0 ? analysis.groups : analysis.groups.slice(0, options.top);

  if (shown.length === 0) {
    lines.push('', 'No deferrals or bounces in this period.');
    return `${lines.join('\n')}\n`;
  }

  lines.push('', groupTable(shown, options).toString());
  const hidden = analysis.groups.length - shown.length;
  if (hidden > 0) lines.push(`${hidden} more groups not shown (--top 0 shows all).`);
  return `${lines.join('\n')}\n`;
}

function formatHeader(analysis: Analysis, options: TableOptions): string[] {
  const summary = analysis.summary;
  const period =
    summary.periodStart === undefined || summary.periodEnd === undefined
      ? `no delivery records${outsideNote(summary, options)}`
      : `${showTime(summary.periodStart, options)} – ${showTime(summary.periodEnd, options)}`;
  const lines = [
    `Period:    ${period} (${zoneLabel(options)})`,
    `Lines:     ${summary.linesRead} read, ${summary.linesNotUnderstood} not understood` +
      `${notUnderstoodDetail(summary.notUnderstoodBy)}, ${summary.linesOtherPrograms} from other programs`,
    `Deliveries: ${formatStatuses(summary.statuses)}`,
    `Groups:    ${summary.groups} (domain × cause × ${summary.windowMs / 60_000} min window), ` +
      `${summary.domains} domains with deferrals or bounces`,
  ];

  for (const error of summary.inputErrors) {
    lines.push(`Input problem: ${stripControl(error.message)}`);
  }

  if (summary.eventsOutOfOrder > 0) lines.push(`Order:     ${outOfOrderNote(summary)}`);
  return lines;
}

/** Inputs that go back in time: what it does to the counts, and what to do instead. */
export function outOfOrderNote(summary: Analysis['summary']): string {
  return (
    `${summary.eventsOutOfOrder} delivery events came after their window had closed (the ` +
    "inputs go back in time): messages seen on both sides count twice; read each host's " +
    'logs in a run of their own'
  );
}

/** Why a period can be empty: the events fell outside `--since`/`--until`. */
function outsideNote(summary: Analysis['summary'], options: TableOptions): string {
  if (summary.since === undefined && summary.until === undefined) return '';
  const from = summary.since === undefined ? 'the start' : showTime(summary.since, options);
  const to = summary.until === undefined ? 'the end' : showTime(summary.until, options);
  return ` from ${from} to ${to}; ${summary.eventsOutsidePeriod} events were outside it`;
}

function groupTable(groups: readonly Group[], options: TableOptions): Table.Table {
  const reasonWidth = Math.max(30, (options.width ?? 160) - 100);
  const table = new Table({
    head: ['window', 'domain', 'cause', 'msgs', 'tries', 'statuses', 'verdict', 'reason'],
    style: { head: [], border: [] },
    colWidths: [null, null, null, null, null, null, null, reasonWidth],
    wordWrap: true,
  });

  for (const group of groups) {
    table.push([
      formatWindow(group, options),
      displayName(group.domainDisplay ?? group.domain),
      group.cause,
      group.messages,
      group.attempts,
      formatStatuses(group.statuses),
      formatVerdict(group.verdict),
      stripControl(reasonOf(group)),
    ]);
  }

  return table;
}

/** The verdict's reason, or the log's own words when the DNS was not re-checked. */
function reasonOf(group: Group): string {
  if (group.verdict.kind === 'not-checked') return group.examples[0] ?? group.verdict.reason ?? '';
  return group.verdict.reason ?? '';
}

function formatWindow(group: Group, options: TableOptions): string {
  return `${showTime(group.windowStart, options)}–${showClock(group.windowEnd, options)}`;
}

function formatVerdict(verdict: Verdict): string {
  return verdict.detail === undefined ? verdict.kind : `${verdict.kind} (${verdict.detail})`;
}

function formatStatuses(statuses: StatusCounts): string {
  const parts = (['sent', 'deferred', 'bounced', 'expired'] as const)
    .filter((status) => statuses[status] > 0)
    .map((status) => `${statuses[status]} ${status}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

function notUnderstoodDetail(by: Readonly<Record<string, number>>): string {
  const entries = Object.entries(by).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return '';
  return ` (${entries
    .slice(0, 4)
    .map(([where, count]) => `${where} ${count}`)
    .join(', ')})`;
}

function showTime(time: number, options: TableOptions): string {
  return format(zoned(time, options), 'yyyy-MM-dd HH:mm');
}

function showClock(time: number, options: TableOptions): string {
  return format(zoned(time, options), 'HH:mm');
}

function zoned(time: number, options: TableOptions): Date {
  return options.timeZone === undefined ? new Date(time) : new TZDate(time, options.timeZone);
}

/** The zone times are shown in: the one asked for, or the system's (UTC when TZ names none
 *  that the system knows, as the C library then falls back to it). */
export function zoneLabel(options: { readonly timeZone?: string }): string {
  return options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}
