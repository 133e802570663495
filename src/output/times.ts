// Times and durations as the reports for people show them. The Markdown and HTML reports go
// into tickets that people in other zones read, so each time carries its UTC offset: an hour
// that a clock change repeats then reads as two different hours.

import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns/format';

/** Formats times in one zone: `--timezone`, or the system's when it is not given. */
export interface TimeFormat {
  /** "2026-12-03 19:32:52 +01:00"; at offset zero "2026-12-03 18:32:52 UTC". */
  time(ms: number): string;
  /** "2026-12-03 19:32:52 to 19:37:20 +01:00 (4 min 28 s)": the date once when both times
   *  fall on one day, the offset once when both have it; a single moment as itself. */
  range(start: number, end: number): string;
}

export function timeFormat(timeZone: string | undefined): TimeFormat {
  function wallClock(ms: number): { clock: string; offset: string } {
    const date = timeZone === undefined ? new Date(ms) : new TZDate(ms, timeZone);
    const offset = format(date, 'xxx');
    return {
      clock: format(date, 'yyyy-MM-dd HH:mm:ss'),
      offset: offset === '+00:00' ? 'UTC' : offset,
    };
  }

  function time(ms: number): string {
    const { clock, offset } = wallClock(ms);
    return `${clock} ${offset}`;
  }

  function range(start: number, end: number): string {
    if (end === start) return time(start);
    const from = wallClock(start);
    const to = wallClock(end);
    const fromText = from.offset === to.offset ? from.clock : `${from.clock} ${from.offset}`;
    const toText =
      from.clock.slice(0, 10) === to.clock.slice(0, 10) ? to.clock.slice(11) : to.clock;
    return `${fromText} to ${toText} ${to.offset} (${formatDuration(end - start)})`;
  }

  return { time, range };
}

/** The zone times are shown in: the one asked for, or the system's (UTC when TZ names none
 *  that the system knows, as the C library then falls back to it). */
export function zoneLabel(options: { readonly timeZone?: string }): string {
  return options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

const UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1000],
];

/** The two largest units present: "2 d 3 h", "2 d 5 min", "4 min 28 s", "46 s", "250 ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  let rest = Math.round(ms / 1000) * 1000;
  const counts = UNITS.map(([unit, size]) => {
    const count = Math.floor(rest / size);
    rest -= count * size;
    return { unit, count };
  });
  return counts
    .filter(({ count }) => count > 0)
    .slice(0, 2)
    .map(({ unit, count }) => `${count} ${unit}`)
    .join(' ');
}

/** Whether a period is shown to the second: under an hour, minutes alone would read as
 *  `18:35 to 18:35`. */
export function isShortPeriod(start: number, end: number): boolean {
  return end - start < 3_600_000;
}
