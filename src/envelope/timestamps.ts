// Hand-written timestamp readers for the envelope formats: one pass over character codes, no
// regular expression and no substring per line.

import { isLeapYear, monthAt, type LocalClock, type YearlessClock } from './local-time.js';

/** Reads the timestamps of the envelope formats; one per parser, reused for every line. A
 *  successful read leaves its results in `time`, `end` and `pid`. */
export interface StampReader {
  /** Epoch ms of the last stamp read. */
  readonly time: number;
  /** Index just after what the last read took. */
  readonly end: number;
  /** Process id read by `bracketPid`. */
  readonly pid: number;
  /** For a date and time without a zone that happens twice (the offset went back), how much
   *  later (ms) its second pass is; `time` is the first. 0 otherwise. */
  readonly repeat: number;
  /** BSD syslog `Mmm dd hh:mm:ss`, on the year-less clock. */
  classic(line: string, pos: number): boolean;
  /** The same shape, without a time: a container prefix's inner stamp is only skipped. */
  classicShape(line: string, pos: number): boolean;
  /** RFC 3339 or ISO 8601 `YYYY-MM-DDThh:mm:ss[.frac][Z|+hh:mm|+hhmm]`. */
  iso(line: string, pos: number): boolean;
  /** Exim's `YYYY-MM-DD hh:mm:ss[.mmm][ +hhmm]`. */
  exim(line: string, pos: number): boolean;
  /** `[pid]` followed by a space, as Exim writes it with `log_selector = +pid`. */
  bracketPid(line: string, pos: number): boolean;
}

interface Results {
  time: number;
  end: number;
  pid: number;
  repeat: number;
}

const COLON = 58;
const DOT = 46;
const SPACE = 32;
const MINUS = 45;
const PLUS = 43;
const LETTER_T = 84;

/** Times without an offset are local on `local`; BSD syslog times use `yearless`. */
export function createStampReader(local: LocalClock, yearless: YearlessClock): StampReader {
  const reader: StampReader & Results = {
    time: 0,
    end: 0,
    pid: -1,
    repeat: 0,
    classic: (line, pos) => readClassicStamp(reader, line, pos, yearless),
    classicShape: (line, pos) => readClassicStamp(reader, line, pos, undefined),
    iso: (line, pos) => readDateTime(reader, line, pos, LETTER_T, local),
    exim: (line, pos) => readDateTime(reader, line, pos, SPACE, local),
    bracketPid: (line, pos) => readPid(reader, line, pos),
  };

  return reader;
}

/**
 * BSD syslog (RFC 3164 §4.1.2) `Mmm dd hh:mm:ss`: the day space-padded (`Mar  7`), or in the
 * zero-padded and single-space forms real logs also have (`Mar 07`, `Mar 7`); an optional
 * fraction.
 */
function readClassicStamp(
  at: Results,
  line: string,
  pos: number,
  clock: YearlessClock | undefined,
): boolean {
  const month = monthAt(line, pos);

  if (month === -1 || line.charCodeAt(pos + 3) !== SPACE) {
    return false;
  }

  let p = line.charCodeAt(pos + 4) === SPACE ? pos + 5 : pos + 4;
  let day = digitAt(line, p++);
  const second = digitAt(line, p);

  if (second !== -1) {
    day = day * 10 + second;
    p++;
  }

  const seconds = line.charCodeAt(p) === SPACE ? secondsOfDay(line, p + 1) : -1;

  if (day < 1 || day > daysInMonth(month + 1) || seconds === -1) {
    return false;
  }

  at.end = fractionEnd(line, p + 9);
  at.time = clock === undefined ? 0 : clock.toTime(month, day, seconds) + millis(line, p + 9);
  return true;
}

/** A date and time; with a space separator Exim's form, whose zone follows a space. */
function readDateTime(
  at: Results,
  line: string,
  pos: number,
  separator: number,
  clock: LocalClock,
): boolean {
  const year = fourDigits(line, pos);
  const month = twoDigits(line, pos + 5);
  const day = twoDigits(line, pos + 8);
  const isDate = line.charCodeAt(pos + 4) === MINUS && line.charCodeAt(pos + 7) === MINUS;
  const seconds = line.charCodeAt(pos + 10) === separator ? secondsOfDay(line, pos + 11) : -1;

  if (!isDate || year === -1 || !isDate3339(year, month, day) || seconds === -1) {
    return false;
  }

  const fraction = fractionEnd(line, pos + 19);
  const zone = separator === LETTER_T ? fraction : eximZoneStart(line, fraction);
  const zoneLength = zoneLengthAt(line, zone);
  const ms = millis(line, pos + 19);
  at.end = zoneLength === 0 ? fraction : zone + zoneLength;

  if (zoneLength === 0) {
    at.time = clock.toTime(year, month - 1, day, seconds) + ms;
    at.repeat = clock.lastRepeat;
  } else {
    const offset = zoneMinutes(line, zone, zoneLength) * 60_000;
    at.time = dayStartUtc(year, month, day) + seconds * 1000 + ms - offset;
    at.repeat = 0;
  }

  return true;
}

function readPid(at: Results, line: string, pos: number): boolean {
  if (line.charCodeAt(pos) !== 91) {
    return false;
  }

  let pid = 0;
  let p = pos + 1;

  for (let digit = digitAt(line, p); digit !== -1; digit = digitAt(line, ++p)) {
    pid = pid * 10 + digit;
  }

  if (p === pos + 1 || line.charCodeAt(p) !== 93 || line.charCodeAt(p + 1) !== SPACE) {
    return false;
  }

  at.pid = pid;
  at.end = p + 2;
  return true;
}

/** Days in a month (1 to 12); February has 29 in a leap year, and when the year is not known
 *  (a year-less stamp: its year is inferred later). */
export function daysInMonth(month: number, year?: number): number {
  if (month === 2) return year === undefined || isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** A date that exists (`2026-02-30` does not, and is not rolled over into March) in the years
 *  1000 to 9999 (`Date.UTC` would read 0026 as 1926; no mail log is older). */
export function isDate3339(year: number, month: number, day: number): boolean {
  const isDay = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(month, year);
  return isDay && year >= 1000;
}

/** An offset RFC 3339 allows (`time-numoffset`): hours 00 to 23, minutes 00 to 59. */
export function isZoneOffset(hours: number, minutes: number): boolean {
  return hours >= 0 && hours <= 23 && minutes >= 0 && minutes <= 59;
}

export function digitAt(line: string, pos: number): number {
  const digit = line.charCodeAt(pos) - 48;
  return digit >= 0 && digit <= 9 ? digit : -1;
}

function twoDigits(line: string, pos: number): number {
  const high = digitAt(line, pos);
  const low = digitAt(line, pos + 1);
  return high === -1 || low === -1 ? -1 : high * 10 + low;
}

function fourDigits(line: string, pos: number): number {
  const high = twoDigits(line, pos);
  const low = twoDigits(line, pos + 2);
  return high === -1 || low === -1 ? -1 : high * 100 + low;
}

/** `hh:mm:ss` as seconds since midnight, or -1. A leap second (`:60`) is allowed. */
function secondsOfDay(line: string, pos: number): number {
  const hour = twoDigits(line, pos);
  const minute = twoDigits(line, pos + 3);
  const second = twoDigits(line, pos + 6);
  const isShape = line.charCodeAt(pos + 2) === COLON && line.charCodeAt(pos + 5) === COLON;

  if (!isShape || hour === -1 || hour > 23 || minute === -1 || minute > 59) {
    return -1;
  }

  return second === -1 || second > 60 ? -1 : hour * 3600 + minute * 60 + second;
}

function fractionEnd(line: string, pos: number): number {
  if (line.charCodeAt(pos) !== DOT || digitAt(line, pos + 1) === -1) {
    return pos;
  }

  let p = pos + 1;

  while (digitAt(line, p) !== -1) {
    p++;
  }

  return p;
}

/** Milliseconds of a fraction at `pos` (`.5`, `.51`, `.755361`); 0 without one. */
function millis(line: string, pos: number): number {
  if (line.charCodeAt(pos) !== DOT) {
    return 0;
  }

  let value = 0;

  for (let p = pos + 1, scale = 100; scale >= 1; p++, scale /= 10) {
    const digit = digitAt(line, p);

    if (digit === -1) {
      break;
    }

    value += digit * scale;
  }

  return value;
}

/** Exim writes its zone after a space (`log_timezone`): the index of the sign, or `pos`. */
function eximZoneStart(line: string, pos: number): number {
  const sign = line.charCodeAt(pos + 1);
  const isZone = line.charCodeAt(pos) === SPACE && (sign === PLUS || sign === MINUS);
  return isZone && zoneLengthAt(line, pos + 1) === 5 ? pos + 1 : pos;
}

/** 1 for `Z`, 5 for `+hhmm`, 6 for `+hh:mm`, 0 for no zone (or an offset out of range, as
 *  `+25:00`: the stamp then ends before it, and the line is not understood). */
function zoneLengthAt(line: string, pos: number): number {
  const sign = line.charCodeAt(pos);

  if (sign === 90) {
    return 1;
  }

  if (sign !== PLUS && sign !== MINUS) {
    return 0;
  }

  const hours = twoDigits(line, pos + 1);
  const hasColon = line.charCodeAt(pos + 3) === COLON;
  const minutes = twoDigits(line, hasColon ? pos + 4 : pos + 3);

  if (!isZoneOffset(hours, minutes)) {
    return 0;
  }

  return hasColon ? 6 : 5;
}

function zoneMinutes(line: string, pos: number, length: number): number {
  if (length === 1) {
    return 0;
  }

  const hours = twoDigits(line, pos + 1);
  const minutes = twoDigits(line, length === 6 ? pos + 4 : pos + 3);
  const value = hours * 60 + minutes;
  return line.charCodeAt(pos) === MINUS ? -value : value;
}

let cachedDay = -1;
let cachedDayStart = 0;

/** Date.UTC of a day, cached: lines come in time order. Pure, so one cache serves all. */
function dayStartUtc(year: number, month: number, day: number): number {
  const key = (year * 16 + month) * 32 + day;

  if (key !== cachedDay) {
    cachedDay = key;
    cachedDayStart = Date.UTC(year, month - 1, day);
  }

  return cachedDayStart;
}
