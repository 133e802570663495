import { TZDate } from '@date-fns/tz';
import { startOfDay } from 'date-fns/startOfDay';
import { MAX_WAIT_MS } from '../dns/types.js';
import { createLocalClock } from '../envelope/local-time.js';
import { daysInMonth, isZoneOffset } from '../envelope/timestamps.js';
import { MxtriageError } from '../errors.js';
import { EARLIEST_TIME, LATEST_TIME } from '../model.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export const DAY_MS = 86_400_000;

/** ISO 8601 extended date, then optionally a time (`T` or a space, then `hh`, `hh:mm`,
 *  `hh:mm:ss`, a fraction) and a zone (`Z`, `±hh`, `±hh:mm`, `±hhmm`). */
const ISO_TIME = new RegExp(
  [
    '^(\\d{4})-(\\d{2})-(\\d{2})', // date
    '(?:[T ](\\d{2})(?::?(\\d{2})(?::?(\\d{2})(?:[.,](\\d+))?)?)?', // time, fraction
    '(Z|[+-]\\d{2}(?::?\\d{2})?)?)?$', // zone
  ].join(''),
  'i',
);

const WINDOW_HINT = 'use whole minutes that divide a day, such as 5m, 15m, 1h, 1d';

/** `5m`, `15m`, `1h`, `1d`: a window length that divides a day, so windows align to the clock. */
export function parseWindow(text: string): number {
  const ms = readDuration(text);
  if (ms === undefined || ms < 60_000 || ms % 60_000 !== 0 || DAY_MS % ms !== 0) {
    throw usage(`Invalid --window value: ${text}: ${WINDOW_HINT}`);
  }

  return ms;
}

/**
 * A duration such as `90s`, `2m`, `1h`, `3d`, or plain milliseconds (`500`): `--timeout` and
 * `--budget`. Above 0 unless `allowZero` (every zero form then counts: `0`, `0s`, `0ms`), and
 * at most {@link MAX_WAIT_MS}, the longest a Node timer can wait.
 */
export function parseDuration(
  text: string,
  flag: string,
  { allowZero = false }: { allowZero?: boolean } = {},
): number {
  const ms = readDuration(text);
  if (ms === undefined || ms < 0 || (ms === 0 && !allowZero)) {
    const least = allowZero ? '0 or more' : 'above 0';
    throw usage(
      `Invalid ${flag} value: ${text}: use a time ${least}, in milliseconds or with a unit ` +
        '(500, 2s, 5m, 1h)',
    );
  }

  if (ms > MAX_WAIT_MS) {
    throw usage(
      `Invalid ${flag} value: ${text}: allowed are times up to ${MAX_WAIT_MS} ms ` +
        '(about 24.8 days, such as 24d)',
    );
  }

  return ms;
}

function readDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (match === null) return undefined;
  const value = Number(match[1]);
  const unit = match[2] ?? 'ms';
  return unit === 'ms' ? value : value * (UNIT_MS[unit] as number);
}

/**
 * `--since`/`--until`: an ISO 8601 date or time (`2026-12-03`, `2026-12-03T09:00`, with or
 * without a zone), `today`, `yesterday`, `now`, or a relative time ago (`2h`, `30m`, `3d`).
 * Times without a zone are wall-clock times in `timeZone` (the system's when undefined), read
 * as log stamps without a zone are: the first pass of a repeated hour, a skipped time as
 * mktime(3) reads it. Yesterday is the local day before today, 23 or 25 hours long on the days
 * the offset changes, as `summary`'s default period.
 */
export function parseTimeOption(
  text: string,
  { flag, now, timeZone }: { flag: string; now: number; timeZone?: string | undefined },
): number {
  const value = text.trim().toLowerCase();
  if (value === 'now') return now;
  if (value === 'today') return startOfLocalDay(now, timeZone);
  if (value === 'yesterday') return startOfLocalDay(now, timeZone, -1);

  const relative = /^(\d+)\s*(s|m|h|d)$/.exec(value);
  const time =
    relative === null
      ? parseIsoInZone(text.trim(), timeZone)
      : now - Number(relative[1]) * (UNIT_MS[relative[2] as string] as number);
  if (time === undefined) {
    throw usage(
      `Invalid ${flag} value: ${text}: use an ISO 8601 date or time ` +
        '(2026-12-03, 2026-12-03T09:30), today, yesterday, now, or a time ago such as 2h or 3d',
    );
  }

  if (!(time >= EARLIEST_TIME && time < LATEST_TIME)) {
    throw usage(`Invalid ${flag} value: ${text}: use a time between the years 1000 and 9999`);
  }

  return time;
}

/** Midnight of the day containing `now` in the zone, or of the day `days` before or after it
 *  (a local day: 23 or 25 hours long when the offset changes). */
export function startOfLocalDay(now: number, timeZone?: string, days = 0): number {
  const zoned = timeZone === undefined ? new Date(now) : new TZDate(now, timeZone);
  const today = startOfDay(zoned).getTime();
  // Half a day past the wanted day's nominal start is inside it, whatever the days' lengths.
  return days === 0 ? today : startOfLocalDay(today + days * DAY_MS + DAY_MS / 2, timeZone);
}

/** The fields are read here and converted in the zone: nothing goes through the system's. */
function parseIsoInZone(text: string, timeZone?: string): number | undefined {
  const fields = readIsoFields(text);
  if (fields === undefined) return undefined;
  const { year, month, day, seconds, ms, zone } = fields;
  // Date.UTC reads the year 0026 as 1926: such a time is refused as out of range instead.
  if (year < 1000) return -Infinity;
  if (zone === undefined) return createLocalClock(timeZone).toTime(year, month, day, seconds) + ms;
  const offset = zoneOffsetMs(zone);
  return offset === undefined
    ? undefined
    : Date.UTC(year, month, day) + seconds * 1000 + ms - offset;
}

interface IsoFields {
  readonly year: number;
  /** 0-based. */
  readonly month: number;
  readonly day: number;
  readonly seconds: number;
  readonly ms: number;
  readonly zone: string | undefined;
}

/** The fields of a date or time that exists; `24:00` is the end of the day. */
function readIsoFields(text: string): IsoFields | undefined {
  const match = ISO_TIME.exec(text);
  if (match === null) return undefined;
  const field = (index: number) => Number(match[index] ?? 0);
  const year = field(1);
  const month = field(2);
  const day = field(3);
  const ms = Math.round(Number(`0.${match[7] ?? '0'}`) * 1000);
  const isDate = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(month, year);
  const isTime = field(4) <= 23 && field(5) <= 59 && field(6) <= 59;
  const isEndOfDay = field(4) === 24 && field(5) === 0 && field(6) === 0 && ms === 0;
  if (!isDate || !(isTime || isEndOfDay)) return undefined;
  const seconds = field(4) * 3600 + field(5) * 60 + field(6);
  return { year, month: month - 1, day, seconds, ms, zone: match[8] };
}

/** `Z`, `±hh`, `±hh:mm` or `±hhmm` in ms, or undefined for an offset no zone has. */
function zoneOffsetMs(zone: string): number | undefined {
  if (zone.toUpperCase() === 'Z') return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = zone.length > 3 ? Number(zone.slice(-2)) : 0;
  if (!isZoneOffset(hours, minutes)) return undefined;
  const value = (hours * 60 + minutes) * 60_000;
  return zone.startsWith('-') ? -value : value;
}

/** A whole number above 0: `--concurrency`. */
export function parsePositiveCount(text: string, flag: string): number {
  const count = /^\d+$/.test(text.trim()) ? Number(text) : 0;
  if (count === 0) throw usage(`Invalid ${flag} value: ${text}: use a whole number above 0`);
  return count;
}

export function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw usage(`Invalid ${flag} value: ${text}: use a whole number, 0 or more`);
  }

  return Number(text);
}

export function parseYear(text: string): number {
  const year = Number(text);
  if (!/^\d{4}$/.test(text.trim()) || year < 1970 || year > 2200) {
    throw usage(`Invalid --year value: ${text}: use a year from 1970 to 2200, such as 2026`);
  }

  return year;
}

export function parseTimeZone(text: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: text });
  } catch (error) {
    throw new MxtriageError(
      'USAGE',
      `Invalid --timezone value: ${text}: use an IANA zone name such as Europe/Berlin or UTC`,
      { cause: error },
    );
  }

  return text;
}

function usage(message: string): MxtriageError {
  return new MxtriageError('USAGE', message);
}
