import { TZDate } from '@date-fns/tz';
import Table from 'cli-table3';
import { format } from 'date-fns/format';
import { stripControl, visibleControls } from '../classify/text.js';
import type { Analysis, Group, StatusCounts, Verdict } from '../model.js';
import {
  askedForNote,
  domainLabel,
  noFailuresNote,
  outOfOrderNote,
  unnamedExpiriesNote,
  warningsNote,
} from './notes.js';
import { formatDuration, isShortPeriod, zoneLabel } from './times.js';

export interface TableOptions {
  /** Rows to show; 0 shows all. */
  readonly top: number;
  /** IANA zone for the times shown; default the system's. */
  readonly timeZone?: string;
  /** Terminal width, to keep the reason column readable. */
  readonly width?: number;
  /** Rows drawn at a time (`ROWS_PER_PART`); set only by tests. */
  readonly rowsPerPart?: number;
  /** Called after each part is measured or drawn, each of which leaves much garbage behind. */
  readonly afterPart?: () => void;
}

/** The default human output: a header with the period and counts, then one row per group. */
export function formatTable(analysis: Analysis, options: TableOptions): string {
  return [...tablePieces(analysis, options)].join('');
}

/** The same text in pieces of at most `ROWS_PER_PART` rows, to be written out one by one: a
 *  table of every group of a large log would otherwise be held whole, several times over. */
export function* tablePieces(analysis: Analysis, given: TableOptions): Generator<string> {
  const options = { ...given, offsets: spansClockChange(analysis.summary, given) };
  const header = formatHeader(analysis, options).join('\n');
  const shown = options.top === 0 ? analysis.groups : analysis.groups.slice(0, options.top);

  if (shown.length === 0) {
    yield `${header}\n\n${noFailuresNote(analysis.summary)}\n`;
    return;
  }

  yield `${header}\n\n`;
  const period = { since: analysis.summary.since, until: analysis.summary.until };
  yield* groupTable(shown, { ...options, period }, options.rowsPerPart ?? ROWS_PER_PART);
  const hidden = analysis.groups.length - shown.length;
  if (hidden > 0) yield `${hidden} more groups not shown (--top 0 shows all).\n`;
}

/** The table's options, and whether its times need their UTC offsets (see `showTime`). */
type Shown = TableOptions & { readonly offsets: boolean };

function formatHeader(analysis: Analysis, options: Shown): string[] {
  const summary = analysis.summary;
  const period =
    summary.periodStart === undefined || summary.periodEnd === undefined
      ? 'no delivery records'
      : formatPeriod(summary.periodStart, summary.periodEnd, options);
  const lines = [
    `Period:    ${period} (${zoneLabel(options)})`,
    ...filterLine(summary, options),
    `Lines:     ${summary.linesRead} read, ${summary.linesNotUnderstood} not understood` +
      `${notUnderstoodDetail(summary.notUnderstoodBy)}, ` +
      `${summary.linesOtherPrograms} from other programs` +
      warningsNote(summary.inputWarnings),
    `Attempts:  ${formatStatuses(summary.statuses)}${unnamedExpiriesNote(summary.expiredUnnamed)}`,
    `Groups:    ${summary.groups} (domain × cause × ${formatDuration(summary.windowMs)} window), ` +
      `${summary.domains} domain${summary.domains === 1 ? '' : 's'} with deferrals or bounces`,
  ];

  for (const error of summary.inputErrors) {
    lines.push(`Input problem: ${visibleControls(error.message)}`);
  }

  if (summary.eventsOutOfOrder > 0) lines.push(`Order:     ${outOfOrderNote(summary)}`);
  return lines;
}

/** `--since`/`--until`, when given: the period asked for, and what fell outside it. */
function filterLine(summary: Analysis['summary'], options: Shown): string[] {
  const asked = askedForNote(summary, (time) => showTime(time, options));
  return asked === undefined ? [] : [`Asked for: ${asked}`];
}

/**
 * cli-table3 takes time that grows with the square of the rows (each cell is checked against
 * every row above it for spans), so `--top 0` on a large log took minutes. A longer table is
 * drawn in parts of this many rows with the widths the whole table would have, then joined.
 */
const ROWS_PER_PART = 500;

const DAY_MS = 86_400_000;

type Row = (string | number)[];

/** `--since` and `--until`, which cut the first and last windows short. */
interface Period {
  readonly since: number | undefined;
  readonly until: number | undefined;
}

/** The table's lines, a part at a time, each piece ending with a newline. */
function* groupTable(
  groups: readonly Group[],
  options: Shown & { readonly period: Period },
  rowsPerPart: number,
): Generator<string> {
  const reasonWidth = Math.max(30, (options.width ?? 160) - 100);
  const rows = groups.map((group) => groupRow(group, options));
  const parts = inParts(rows, rowsPerPart);
  const fitted = [null, null, null, null, null, null, null, reasonWidth];
  if (parts.length === 1) {
    yield `${drawTable(rows, true, fitted)}\n`;
    return;
  }

  // cli-table3 measures the text itself (wide characters, escapes): each part's columns but the
  // reason, whose width is set, are drawn once to read their widths off the top border.
  const widths = parts
    .map((part, index) => {
      const measured = columnWidths(measureTable(part, index === 0));
      options.afterPart?.();
      return measured;
    })
    .reduce((widest, part) => widest.map((width, column) => Math.max(width, part[column] ?? 0)));
  yield* joinParts(
    parts.map((part, index) => () => drawTable(part, index === 0, [...widths, reasonWidth])),
  );
}

function inParts(rows: readonly Row[], size: number): Row[][] {
  const parts: Row[][] = [];
  for (let start = 0; start < rows.length; start += size)
    parts.push(rows.slice(start, start + size));
  return parts;
}

function groupRow(group: Group, options: Shown & { readonly period: Period }): Row {
  return [
    formatWindow(group, options, options.period),
    domainLabel(group),
    group.cause,
    group.messages,
    group.attempts,
    formatStatuses(group.statuses),
    formatVerdict(group.verdict),
    stripControl(reasonOf(group)),
  ];
}

const HEAD = ['window', 'domain', 'cause', 'msgs', 'tries', 'statuses', 'verdict', 'reason'];

function drawTable(rows: readonly Row[], withHead: boolean, widths: (number | null)[]): string {
  const table = new Table({
    head: withHead ? HEAD : [],
    style: { head: [], border: [] },
    colWidths: widths,
    wordWrap: true,
  });
  table.push(...rows);
  return table.toString();
}

/** The rows drawn without their reason, only to measure the other columns. */
function measureTable(rows: readonly Row[], withHead: boolean): string {
  const table = new Table({
    head: withHead ? HEAD.slice(0, -1) : [],
    style: { head: [], border: [] },
  });
  table.push(...rows.map((row) => row.slice(0, -1)));
  return table.toString();
}

/** The widths of a drawn table's columns, padding included, from its top border
 *  (`┌──┬─┐`). */
function columnWidths(drawn: string): number[] {
  const top = drawn.slice(1, drawn.indexOf('\n') - 1);
  return top.split('┬').map((segment) => segment.length);
}

/** Parts drawn with the same widths, one after the other, joined into one table: each part's
 *  bottom border and the next one's top border give way to the line drawn between rows. */
function* joinParts(parts: readonly (() => string)[]): Generator<string> {
  let between = '';
  let bottom = '';
  for (const [index, draw] of parts.entries()) {
    const lines = draw().split('\n');
    if (index === 0) {
      between = lines.find((line) => line.startsWith('├')) ?? '';
      bottom = lines[lines.length - 1] ?? '';
      yield `${lines.slice(0, -1).join('\n')}\n`;
    } else {
      yield `${between}\n${lines.slice(1, -1).join('\n')}\n`;
    }
  }

  yield `${bottom}\n`;
}

/** The verdict's reason, or the log's own words where the verdict comes from the log alone: the
 *  DNS was not re-checked, or the remote's reply decided (`remote-policy`), whose text is what
 *  a postmaster acts on. */
function reasonOf(group: Group): string {
  const { kind, reason } = group.verdict;
  if (kind === 'not-checked' || kind === 'remote-policy') return group.examples[0] ?? reason ?? '';
  return reason ?? '';
}

/** The part of the group's window inside the period asked for: `--since 14:05` shows the
 *  14:00 window as `14:05–15:00`, which is all it holds. */
function formatWindow(group: Group, options: Shown, period: Period): string {
  const start = Math.max(group.windowStart, period.since ?? -Infinity);
  const windowEnd = Math.min(group.windowEnd, period.until ?? Infinity);
  // A window of a day or more ends on another date: `00:00–00:00` alone would read as nothing.
  const isLong = group.windowEnd - group.windowStart >= DAY_MS;
  const end = isLong ? showTime(windowEnd, options) : showClock(windowEnd, options);
  return `${showTime(start, options)}–${end}`;
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

/** The period read; with seconds when it is shorter than an hour, where minutes would read
 *  `18:34 – 18:34`. */
function formatPeriod(start: number, end: number, options: Shown): string {
  // One precision for both ends: `09:10 – 10:22:37` would read as two kinds of time.
  const clock = isShortPeriod(start, end) ? 'HH:mm:ss' : 'HH:mm';
  const pattern = `yyyy-MM-dd ${clock}${options.offsets ? 'xxx' : ''}`;
  const show = (time: number) => format(zoned(time, options), pattern);
  return `${show(start)} – ${show(end)}`;
}

/** Times are shown in one zone, named in the header. When the clocks change within the
 *  period, each time gets its offset too: the hour they repeat would otherwise read twice. */
function showTime(time: number, options: Shown): string {
  return format(zoned(time, options), `yyyy-MM-dd ${clockPattern(time, options)}`);
}

function showClock(time: number, options: Shown): string {
  return format(zoned(time, options), clockPattern(time, options));
}

/** Minutes, and seconds for a time that has them (a `--since 18:33:46`, a window cut by it):
 *  cut to the minute, a 46-second span would read as a minute. */
function clockPattern(time: number, options: Shown): string {
  const clock = time % 60_000 === 0 ? 'HH:mm' : 'HH:mm:ss';
  return options.offsets ? `${clock}xxx` : clock;
}

/** Whether the zone's offset at the end of the period differs from the one at its start. */
function spansClockChange(summary: Analysis['summary'], options: TableOptions): boolean {
  const start = summary.since ?? summary.periodStart;
  const end = summary.until ?? summary.periodEnd;
  if (start === undefined || end === undefined) return false;
  const offset = (time: number) => format(zoned(time, options), 'xxx');
  return offset(start) !== offset(end);
}

function zoned(time: number, options: TableOptions): Date {
  return options.timeZone === undefined ? new Date(time) : new TZDate(time, options.timeZone);
}
