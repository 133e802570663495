// Wall-clock times without a zone (BSD syslog, Exim's mainlog) turned into epoch milliseconds.
// Converting through a time zone is slow, so what each local hour needs is cached: log lines
// come in time order and thousands share an hour. An hour without a change of offset needs one
// offset. The few hours that hold a change keep its instant and the offsets on both sides, so a
// change that is not on the hour or not one hour long (Australia/Lord_Howe moves by 30 minutes,
// Antarctica/Troll by two hours) is read right too.

import { tzOffset } from '@date-fns/tz';

import { MxtriageError } from '../errors.js';

/** Converts local wall-clock times of one time zone to epoch milliseconds. */
export interface LocalClock {
  /**
   * Epoch ms of a local time; `month` is 0-based, `seconds` counted from midnight. A time that
   * happens twice (the offset goes back) gives its first pass, and `lastRepeat` says how much
   * later it comes again. A time that is skipped (the offset goes forward) is read with the
   * offset from before the change, as mktime(3) does: `02:30` becomes `03:30`.
   */
  toTime(year: number, month: number, day: number, seconds: number): number;
  /** How much later (ms) the time last given to `toTime` happens a second time, or 0. */
  readonly lastRepeat: number;
  /** The local calendar year at an epoch time. */
  yearAt(time: number): number;
}

/** Times without a year (BSD syslog): the year is given, or inferred from a reference time. */
export interface YearlessClock {
  /** Epoch ms of a local time; `month` is 0-based, `seconds` counted from midnight. */
  toTime(month: number, day: number, seconds: number): number;
  /** The next input begins. With a year given the clock goes on, so that a rotated set read
   *  oldest first rolls over from December to January; else the input's year is inferred anew. */
  startInput(referenceTime: number): void;
}

export interface YearOptions {
  /** The year of the first line (`--year`); the year advances when the times go back. */
  readonly year?: number;
  /** Lines are assumed to be no later than this (the file's mtime, or now), ms. */
  readonly referenceTime?: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A step back in time longer than this is the year rolling over; a shorter one, a line out of
 *  order. A step forward longer than this is a line left from before the roll-over. */
const HALF_YEAR_MS = 183 * DAY_MS;
/** In the second pass of a repeated period, how far back a line may be and still count as
 *  written in the second pass rather than a late line of the first. */
const REPEAT_TOLERANCE_MS = 5 * 60_000;
/** UTC offsets lie between -12:00 and +14:00, so one local hour happens within these bounds. */
const EARLIEST_OFFSET_MS = -12 * HOUR_MS;
const LATEST_OFFSET_MS = 14 * HOUR_MS;
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

  const offsetAt =
    timeZone === undefined
      ? (time: number) => -new Date(time).getTimezoneOffset() * 60_000
      : (time: number) => tzOffset(timeZone, new Date(time)) * 60_000;
  const yearFormat = new Intl.DateTimeFormat('en', { year: 'numeric', timeZone });
  let cachedKey = -1;
  /** The cached hour's wall-clock start read as if it were UTC. */
  let wallStart = 0;
  /** Whether one offset serves the whole cached hour; it is `offsetBefore` then. */
  let isSteady = true;
  let offsetBefore = 0;
  let offsetAfter = 0;
  /** The first instant with `offsetAfter`. */
  let changeTime = Infinity;
  // A plain field, not a getter: it is read after every line's time.
  const localClock: LocalClock & { lastRepeat: number } = {
    lastRepeat: 0,
    toTime(year, month, day, seconds) {
      const hour = (seconds / 3600) | 0;
      const key = ((year * 12 + month) * 32 + day) * 24 + hour;

      if (key !== cachedKey) {
        cachedKey = key;
        loadHour(Date.UTC(year, month, day, hour));
      }

      const wall = wallStart + (seconds - hour * 3600) * 1000;

      if (isSteady) {
        localClock.lastRepeat = 0;
        return wall - offsetBefore;
      }

      return acrossChange(wall);
    },
    yearAt: (time) => Number(yearFormat.format(time)),
  };

  return localClock;

  function loadHour(start: number): void {
    wallStart = start;
    offsetBefore = offsetAt(start - LATEST_OFFSET_MS);
    offsetAfter = offsetAt(start + HOUR_MS - EARLIEST_OFFSET_MS);
    isSteady = offsetBefore === offsetAfter;

    if (isSteady) {
      return;
    }

    changeTime = findChange(start - LATEST_OFFSET_MS, start + HOUR_MS - EARLIEST_OFFSET_MS);
    // The change can be a few hours away: the whole hour may still be on one side of it.
    const end = start + HOUR_MS;

    if (end - Math.min(offsetBefore, offsetAfter) < changeTime) {
      isSteady = true;
    } else if (start - Math.max(offsetBefore, offsetAfter) >= changeTime) {
      isSteady = true;
      offsetBefore = offsetAfter;
    }
  }

  /** The first whole second in `(from, to]` whose offset is not the one at `from`. */
  function findChange(from: number, to: number): number {
    let low = from;
    let high = to;

    while (high - low > 1000) {
      const middle = low + Math.floor((high - low) / 2000) * 1000;

      if (offsetAt(middle) === offsetBefore) {
        low = middle;
      } else {
        high = middle;
      }
    }

    return high;
  }

  /** A time of the hour that holds the change: read with either offset, which readings are
   *  real tells a repeated time (both), a skipped one (neither) and an ordinary one apart. */
  function acrossChange(wall: number): number {
    const first = wall - offsetBefore;
    const second = wall - offsetAfter;
    const isFirstReal = first < changeTime;
    const isSecondReal = second >= changeTime;
    localClock.lastRepeat = isFirstReal && isSecondReal ? second - first : 0;
    return isFirstReal || !isSecondReal ? first : second;
  }
}

/**
 * A clock for year-less times. Without a year given, the first time gets the reference time's
 * year, or the year before when that would put it more than a day after the reference time (a
 * file written from December to January and read in January). From there the clock follows
 * the lines: a step back of more than half a year is the year rolling over (Dec then Jan), a
 * shorter one a line out of order, and a step forward of more than half a year a late line from
 * before the roll-over (a December line among the first of January). A line out of order never
 * moves the year.
 */
export function createYearlessClock(clock: LocalClock, options: YearOptions): YearlessClock {
  let reference = options.referenceTime ?? Date.now();
  let hasYear = options.year !== undefined;
  let year = options.year ?? 0;
  /** The latest time given out so far. */
  let latest = -Infinity;
  /** In a period that repeats: whether its second pass has begun, and the first's latest time. */
  let isSecondPass = false;
  let latestFirstPass = -Infinity;

  return {
    toTime(month, day, seconds) {
      if (!hasYear) {
        year = inferredYear(month, day, seconds);
        hasYear = true;
      }

      let time = clock.toTime(year, month, day, seconds);

      if (time < latest - HALF_YEAR_MS) {
        year += 1;
        time = clock.toTime(year, month, day, seconds);
      } else if (time > latest + HALF_YEAR_MS && latest !== -Infinity) {
        return clock.toTime(year - 1, month, day, seconds);
      }

      const repeat = clock.lastRepeat;

      if (repeat === 0) {
        isSecondPass = false;
      } else {
        time = passOf(time, repeat);
      }

      if (time > latest) latest = time;
      return time;
    },
    startInput(referenceTime) {
      if (options.year === undefined) {
        reference = referenceTime;
        hasYear = false;
        latest = -Infinity;
        isSecondPass = false;
      }
    },
  };

  /**
   * In a period that repeats when the offset goes back, the order of the lines tells the two
   * passes apart. A line goes to the second pass on a jump back of at least half the repeat
   * (the second pass is then no farther from the latest line than the first), not on a few
   * minutes of disorder. Once there, a line goes back to the first pass only when it would be
   * out of order in the second pass and is less so in the first.
   */
  function passOf(first: number, repeat: number): number {
    const second = first + repeat;

    if (!isSecondPass) {
      if (latest - first < repeat / 2) return first;
      isSecondPass = true;
      latestFirstPass = latest;
      return second;
    }

    const isLateInSecond = second < latest - REPEAT_TOLERANCE_MS;

    if (isLateInSecond && latestFirstPass - first < latest - second) {
      if (first > latestFirstPass) latestFirstPass = first;
      return first;
    }

    return second;
  }

  /** The latest year in which the date is not after the reference time (a day's leeway). */
  function inferredYear(month: number, day: number, seconds: number): number {
    let inferred = clock.yearAt(reference);
    if (clock.toTime(inferred, month, day, seconds) > reference + DAY_MS) inferred -= 1;
    // Only a leap year has a 29 February: a common year would read it as 1 March.
    if (month === 1 && day === 29) while (!isLeapYear(inferred)) inferred -= 1;
    return inferred;
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
