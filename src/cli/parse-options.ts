import { TZDate } from '@date-fns/tz';
import { isValid } from 'date-fns/isValid';
import { parseISO } from 'date-fns/parseISO';
import { startOfDay } from 'date-fns/startOfDay';
import { subDays } from 'date-fns/subDays';
import { MAX_WAIT_MS } from '../dns/types.js';
import { MxtriageError } from '../errors.js';
import { EARLIEST_TIME, LATEST_TIME } from '../model.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export const DAY_MS = 86_400_000;

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
 * Times without a zone are in `timeZone` (the system's when undefined).
 */
export function parseTimeOption(
  text: string,
  { flag, now, timeZone }: { flag: string; now: number; timeZone?: string | undefined },
): number {
  const value = text.trim().toLowerCase();
  if (value === 'now') return now;
  if (value === 'today') return startOfLocalDay(now, timeZone);
  if (value === 'yesterday') return subDays(startOfLocalDay(now, timeZone), 1).getTime();

  const relative = /^(\d+)\s*(s|m|h|d)$/.exec(value);
  const time =
    relative === null
      ? parseIsoInZone(text.trim(), timeZone)
      : now - Number(relative[1]) * (UNIT_MS[relative[2] as string] as number);
  if (time === undefined) {
    throw usage(
      `Invalid ${flag} value: ${text}: use an ISO 8601 date or time ` +
        '(2026-12-03, 2026-12-03T09:30), today, yesterday, or a time ago such as 2h or 3d',
    );
  }

  if (!(time >= EARLIEST_TIME && time < LATEST_TIME)) {
    throw usage(`Invalid ${flag} value: ${text}: use a time between the years 1000 and 9999`);
  }

  return time;
}

/** Midnight of the day containing `now`, in the zone. */
export function startOfLocalDay(now: number, timeZone?: string): number {
  const zoned = timeZone === undefined ? new Date(now) : new TZDate(now, timeZone);
  return startOfDay(zoned).getTime();
}

function parseIsoInZone(text: string, timeZone?: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const offset = /[+-](\d{2}):?(\d{2})$/.exec(text);
  if (offset !== null && !(Number(offset[1]) <= 23 && Number(offset[2]) <= 59)) return undefined;
  const hasZone = offset !== null || /[zZ]$/.test(text);
  if (hasZone || timeZone === undefined) {
    const parsed = parseISO(text);
    return isValid(parsed) ? parsed.getTime() : undefined;
  }

  const parsed = parseISO(text);
  if (!isValid(parsed)) return undefined;
  const zoned = new TZDate(
    parsed.getFullYear(),
    parsed.getMonth(),
    parsed.getDate(),
    parsed.getHours(),
    parsed.getMinutes(),
    parsed.getSeconds(),
    parsed.getMilliseconds(),
    timeZone,
  );
  return zoned.getTime();
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
