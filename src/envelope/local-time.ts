// Wall-clock times without a zone (BSD syslog, Exim's mainlog) turned into epoch milliseconds.
// Converting through a time zone is slow, so the start of each local hour is cached: log lines
// come in time order and thousands share an hour.

import { TZDate } from '@date-fns/tz';

import { MxtriageError } from '../errors.js';

/** Converts local wall-clock times of one time zone to epoch milliseconds. */
export interface LocalClock {
  /** Epoch ms of the start of a local hour; `month` is 0-based. For the hour that repeats when
   *  daylight saving time ends, the start of its first pass. */
  hourStart(year: number, month: number, day: number, hour: number): number;
  /** Whether the hour last given to `hourStart` repeats (it comes again one hour later). */
  readonly lastHourRepeats: boolean;
  /** The local calendar year at an epoch time. */
  yearAt(time: number): number;
}

/** Times without a year (BSD syslog): the year is given, or inferred from a reference time. */
export interface YearlessClock {
  /** Epoch ms of a local time; `month` is 0-based, `seconds` counted from midnight. */
  toTime(month: number, day: number, seconds: number): number;
}

export interface YearOptions {
  /** The year of the first line (`--year`); the year advances when the months go back. */
  readonly year?: number;
  /** Lines are assumed to be no later than this (the file's mtime, or now), ms. */
  readonly referenceTime?: number;
}

const HOUR_MS = 3_600_000;
/** Lines of one log may be this much out of order without being taken for the second pass. */
const REPEAT_TOLERANCE_MS = 5 * 60_000;
const DAY_MS = 24 * HOUR_MS;
const MONTH_NAMES = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];
/** Month index by the three character codes packed in one number: no substring per line. */
const MONTHS = new Map(MONTH_NAMES.map((name, index) => [packedCodes(name, 0), index]));

/** A clock for an IANA time zone, or the system's zone when none is given. */
export function createLocalClock(timeZone?: string): LocalClock {
  if (timeZone !== undefined) {
    checkTimeZone(timeZone);
  }

  const startOf =
    timeZone === undefined
      ? (y: number, m: number, d: number, h: number) => new Date(y, m, d, h).getTime()
      : (y: number, m: number, d: number, h: number) => new TZDate(y, m, d, h, timeZone).getTime();
  const yearFormat = new Intl.DateTimeFormat('en', { year: 'numeric', timeZone });
  const hourFormat = new Intl.DateTimeFormat('en', { hour: 'numeric', hourCycle: 'h23', timeZone });
  const localHour = (time: number) => Number(hourFormat.format(time));
  let cachedKey = -1;
  let cachedStart = 0;
  let cachedRepeats = false;

  return {
    hourStart(year, month, day, hour) {
      const key = ((year * 12 + month) * 32 + day) * 24 + hour;

      if (key !== cachedKey) {
        cachedKey = key;
        const start = startOf(year, month, day, hour);
        // When clocks go back, one local hour happens twice; the conversion may give either.
        const earlier = localHour(start - HOUR_MS) === hour ? start - HOUR_MS : start;
        cachedStart = earlier;
        cachedRepeats = localHour(earlier + HOUR_MS) === hour;
      }

      return cachedStart;
    },
    get lastHourRepeats() {
      return cachedRepeats;
    },
    yearAt: (time) => Number(yearFormat.format(time)),
  };
}

/**
 * A clock for year-less times. With a year given, it starts there and moves to the next
 * year when the month goes back by six months or more (Dec then Jan). Without one, each time
 * gets the reference time's year, or the year before when that would put it more than a day
 * after the reference time: a file written from December to January and read in January.
 */
export function createYearlessClock(clock: LocalClock, options: YearOptions): YearlessClock {
  const reference = options.referenceTime ?? Date.now();
  const referenceYear = clock.yearAt(reference);
  let year = options.year;
  let lastMonth = -1;
  let lastTime = -Infinity;
  let cachedKey = -1;
  let cachedStart = 0;
  let cachedRepeats = false;

  return {
    toTime(month, day, seconds) {
      const hour = (seconds / 3600) | 0;

      if (year !== undefined && lastMonth - month >= 6) {
        year++;
      }

      lastMonth = month;
      const key = (((year ?? referenceYear) * 12 + month) * 32 + day) * 24 + hour;

      if (key !== cachedKey) {
        cachedKey = key;
        cachedStart =
          year === undefined
            ? inferredStart(month, day, hour)
            : clock.hourStart(year, month, day, hour);
        cachedRepeats = clock.lastHourRepeats;
      }

      const time = cachedStart + (seconds - hour * 3600) * 1000;
      lastTime = cachedRepeats ? passOf(time) : time;
      return lastTime;
    },
  };

  /**
   * In the hour that repeats when daylight saving time ends, the lines' order tells the two
   * passes apart: a time well before the previous line's belongs to the second pass.
   */
  function passOf(firstPass: number): number {
    return firstPass >= lastTime - REPEAT_TOLERANCE_MS ? firstPass : firstPass + HOUR_MS;
  }

  /** The latest year in which the date is not after the reference time (a day's leeway). */
  function inferredStart(month: number, day: number, hour: number): number {
    let year = referenceYear;
    if (clock.hourStart(year, month, day, hour) > reference + DAY_MS) year -= 1;
    // Only a leap year has a 29 February: a common year would read it as 1 March.
    if (month === 1 && day === 29) while (!isLeapYear(year)) year -= 1;
    return clock.hourStart(year, month, day, hour);
  }
}

export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** The 0-based month of an English three-letter abbreviation at `pos`, or -1. */
export function monthAt(line: string, pos: number): number {
  return MONTHS.get(packedCodes(line, pos)) ?? -1;
}

/** The same, for three bytes already packed as `(a << 16) | (b << 8) | c`. */
export function monthOfCodes(packed: number): number {
  return MONTHS.get(packed) ?? -1;
}

function packedCodes(text: string, pos: number): number {
  return (text.charCodeAt(pos) << 16) | (text.charCodeAt(pos + 1) << 8) | text.charCodeAt(pos + 2);
}

function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch (error) {
    const message =
      `Unknown time zone: ${timeZone} ` + '(use an IANA name such as Europe/Berlin or UTC)';
    throw new MxtriageError('USAGE', message, { cause: error });
  }
}
