// The two commonest envelopes, `Mmm dd hh:mm:ss host tag[pid]: ` and its RFC 3339 form, read
// straight from the bytes of a line that has not been decoded. Most lines of a mail log carry no
// delivery: the reader counts those without making a string of them (see
// `pipeline/context-lines.ts`). Every check here mirrors what `parse-envelope.ts` and
// `timestamps.ts` accept, and anything else is left to them: a line this module cannot place is
// simply decoded and parsed in full.

import { monthOfCodes } from './local-time.js';
import { daysInMonth, isDate3339, isZoneOffset } from './timestamps.js';

/** Where the parts of a line are, as `readSyslogBytes` found them. */
export interface SyslogBytes {
  /** A year-less stamp packed by `packStamp` (the clock still has to see it), or 0 for an RFC
   *  3339 stamp, which carries its own year and needs nothing from the clock. */
  stamp: number;
  programStart: number;
  programEnd: number;
  messageStart: number;
}

const SPACE = 32;
const COLON = 58;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const LETTER_S = 115;
const LETTER_T = 84;
const LETTER_Z = 90;
/** Seconds of a day, a leap second (`:60`) included: what a packed stamp's seconds range over. */
const SECONDS_PER_DAY = 86_401;
const STDOUT = Buffer.from('stdout ');
const STDERR = Buffer.from('stderr ');

/**
 * Reads the envelope of `bytes[start, end)` into `at`. False when the line is not one of the two
 * plain shapes this module knows (a fraction on a year-less stamp, a line without a host, a
 * container prefix, a second stamp, no tag): the caller then decodes the line and parses it.
 */
export function readSyslogBytes(
  bytes: Uint8Array,
  start: number,
  end: number,
  at: SyslogBytes,
): boolean {
  const first = byteAt(bytes, start);
  let body: number;

  if (first >= 65 && first <= 90) {
    body = readClassicStamp(bytes, start, at);
  } else if (first >= 48 && first <= 57) {
    body = readIsoStamp(bytes, start);
    at.stamp = 0;
    if (body !== -1 && !isPlainHostStart(bytes, body, end)) return false;
  } else {
    return false;
  }

  return body !== -1 && body < end && readHostAndTag(bytes, body, end, at);
}

/** `(month * 32 + day) * 86401 + seconds + 1`: a year-less stamp in one positive number. */
export function packStamp(month: number, day: number, seconds: number): number {
  return (month * 32 + day) * SECONDS_PER_DAY + seconds + 1;
}

/** The month (0-based), day and seconds of the day that `packStamp` packed. */
export function unpackStamp(packed: number): { month: number; day: number; seconds: number } {
  const value = packed - 1;
  const seconds = value % SECONDS_PER_DAY;
  const monthDay = (value - seconds) / SECONDS_PER_DAY;
  return { month: Math.floor(monthDay / 32), day: monthDay % 32, seconds };
}

/** `Mmm dd hh:mm:ss ` in the three day forms `readClassicStamp` takes, without a fraction:
 *  the index after the space, or -1. */
function readClassicStamp(bytes: Uint8Array, pos: number, at: SyslogBytes): number {
  const packed =
    (byteAt(bytes, pos) << 16) | (byteAt(bytes, pos + 1) << 8) | byteAt(bytes, pos + 2);
  const month = monthOfCodes(packed);
  if (month === -1 || byteAt(bytes, pos + 3) !== SPACE) return -1;

  let p = byteAt(bytes, pos + 4) === SPACE ? pos + 5 : pos + 4;
  let day = digitAt(bytes, p++);
  const second = digitAt(bytes, p);
  if (second !== -1) {
    day = day * 10 + second;
    p++;
  }

  const seconds = byteAt(bytes, p) === SPACE ? secondsOfDay(bytes, p + 1) : -1;
  if (day < 1 || day > daysInMonth(month + 1) || seconds === -1 || byteAt(bytes, p + 9) !== SPACE) {
    return -1;
  }

  at.stamp = packStamp(month, day, seconds);
  return p + 10;
}

/** `YYYY-MM-DDThh:mm:ss[.frac][Z|+hh:mm|+hhmm] `: the index after the space, or -1. */
function readIsoStamp(bytes: Uint8Array, pos: number): number {
  const year = fourDigits(bytes, pos);
  // In the year 9999 an offset can carry the time past what `parse-envelope.ts` accepts: left
  // to it.
  const isDate =
    year !== -1 &&
    year !== 9999 &&
    byteAt(bytes, pos + 4) === MINUS &&
    byteAt(bytes, pos + 7) === MINUS &&
    isDate3339(year, twoDigits(bytes, pos + 5), twoDigits(bytes, pos + 8));
  if (!isDate || byteAt(bytes, pos + 10) !== LETTER_T || secondsOfDay(bytes, pos + 11) === -1) {
    return -1;
  }

  let p = pos + 19;
  if (byteAt(bytes, p) === DOT && digitAt(bytes, p + 1) !== -1) {
    p += 1;
    while (digitAt(bytes, p) !== -1) p += 1;
  }

  p += zoneLength(bytes, p);
  return byteAt(bytes, p) === SPACE ? p + 1 : -1;
}

/** 1 for `Z`, 5 for `+hhmm`, 6 for `+hh:mm`, 0 for no zone (as `zoneLengthAt` reads it). */
function zoneLength(bytes: Uint8Array, pos: number): number {
  const sign = byteAt(bytes, pos);
  if (sign === LETTER_Z) return 1;
  if (sign !== PLUS && sign !== MINUS) return 0;
  const hasColon = byteAt(bytes, pos + 3) === COLON;
  const minutes = twoDigits(bytes, hasColon ? pos + 4 : pos + 3);
  if (!isZoneOffset(twoDigits(bytes, pos + 1), minutes)) return 0;
  return hasColon ? 6 : 5;
}

/**
 * After an RFC 3339 stamp, `parse-envelope.ts` looks for a container's stream (`stdout`,
 * `stderr`), Exim's mainlog stamp, or a syslog stamp inside the container's line. A host name
 * that could start any of them is left to it.
 */
function isPlainHostStart(bytes: Uint8Array, pos: number, end: number): boolean {
  const first = byteAt(bytes, pos);
  if (digitAt(bytes, pos) !== -1) return false;
  if (
    first === LETTER_S &&
    (startsWith(bytes, pos, end, STDOUT) || startsWith(bytes, pos, end, STDERR))
  ) {
    return false;
  }

  const packed = (first << 16) | (byteAt(bytes, pos + 1) << 8) | byteAt(bytes, pos + 2);
  return monthOfCodes(packed) === -1 || byteAt(bytes, pos + 3) !== SPACE;
}

/** `host tag[pid]: ` or `host tag: ` from `pos`, as `parseSyslogBody` and `parseTag` read it. */
function readHostAndTag(bytes: Uint8Array, pos: number, end: number, at: SyslogBytes): boolean {
  let hostEnd = pos;
  while (hostEnd < end && byteAt(bytes, hostEnd) !== SPACE) hostEnd += 1;
  // No host, or none before the tag (its last character a colon): left to the full parser.
  if (hostEnd === pos || hostEnd === end || byteAt(bytes, hostEnd - 1) === COLON) return false;

  const tag = hostEnd + 1;
  let colon = tag;
  while (colon < end && byteAt(bytes, colon) !== COLON && byteAt(bytes, colon) !== SPACE) {
    colon += 1;
  }

  if (colon === tag || colon === end || byteAt(bytes, colon) !== COLON) return false;

  const open = byteAt(bytes, colon - 1) === CLOSE_BRACKET ? pidStart(bytes, tag, colon) : colon;
  if (open <= tag) return false;

  at.programStart = tag;
  at.programEnd = open;
  at.messageStart = byteAt(bytes, colon + 1) === SPACE ? colon + 2 : colon + 1;
  return true;
}

/** Index of the `[` of `[digits]:` ending at `colon`, or -1 when the pid is not all digits. */
function pidStart(bytes: Uint8Array, tag: number, colon: number): number {
  let open = colon - 2;
  while (open >= tag && byteAt(bytes, open) !== OPEN_BRACKET) open -= 1;
  if (open < tag || open === colon - 2) return -1;

  for (let p = open + 1; p < colon - 1; p += 1) {
    if (digitAt(bytes, p) === -1) return -1;
  }

  return open;
}

/** `hh:mm:ss` as seconds since midnight, or -1; a leap second is allowed. */
function secondsOfDay(bytes: Uint8Array, pos: number): number {
  const hour = twoDigits(bytes, pos);
  const minute = twoDigits(bytes, pos + 3);
  const second = twoDigits(bytes, pos + 6);
  const isShape = byteAt(bytes, pos + 2) === COLON && byteAt(bytes, pos + 5) === COLON;
  if (!isShape || hour === -1 || hour > 23 || minute === -1 || minute > 59) return -1;
  return second === -1 || second > 60 ? -1 : hour * 3600 + minute * 60 + second;
}

function fourDigits(bytes: Uint8Array, pos: number): number {
  const high = twoDigits(bytes, pos);
  const low = twoDigits(bytes, pos + 2);
  return high === -1 || low === -1 ? -1 : high * 100 + low;
}

function twoDigits(bytes: Uint8Array, pos: number): number {
  const high = digitAt(bytes, pos);
  const low = digitAt(bytes, pos + 1);
  return high === -1 || low === -1 ? -1 : high * 10 + low;
}

function digitAt(bytes: Uint8Array, pos: number): number {
  const digit = byteAt(bytes, pos) - 48;
  return digit >= 0 && digit <= 9 ? digit : -1;
}

/** Whether the bytes from `pos`, before `end`, start with `prefix`. */
export function startsWith(
  bytes: Uint8Array,
  pos: number,
  end: number,
  prefix: Uint8Array,
): boolean {
  if (pos + prefix.length > end) return false;
  for (let index = 0; index < prefix.length; index += 1) {
    if (bytes[pos + index] !== prefix[index]) return false;
  }

  return true;
}

/** The byte at `pos`, or -1 past the end. */
export function byteAt(bytes: Uint8Array, pos: number): number {
  return bytes[pos] ?? -1;
}
