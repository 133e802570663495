import test from 'ava';
import {
  parseCount,
  parseDuration,
  parseTimeOption,
  parseTimeZone,
  parseWindow,
  parseYear,
} from '../../src/cli/parse-options.js';
import { MxtriageError } from '../../src/errors.js';

const NOW = Date.parse('2026-12-03T15:20:00Z');

const windowMacro = test.macro((t, text: string, expected: number) => {
  t.is(parseWindow(text), expected);
});

test('a 5m window is five minutes', windowMacro, '5m', 300_000);
test('a 15m window is fifteen minutes', windowMacro, '15m', 900_000);
test('a 1h window is one hour', windowMacro, '1h', 3_600_000);
test('a 1d window is one day', windowMacro, '1d', 86_400_000);

test('a window that does not divide a day is refused with the allowed forms', (t) => {
  const error = t.throws(() => parseWindow('7m'));
  t.is((error as { code?: string }).code, 'USAGE');
  t.regex(error?.message ?? '', /--window value: 7m: .*5m, 15m, 1h, 1d/);
  t.throws(() => parseWindow('soon'), { message: /Invalid --window value: soon/ });
  t.throws(() => parseWindow('30s'), { message: /whole minutes/ });
  t.throws(() => parseWindow('90s'), { message: /whole minutes/ });
  t.throws(() => parseWindow('1.5m'), { message: /whole minutes/ });
});

test('relative --since values count back from now', (t) => {
  t.is(parseTimeOption('2h', { flag: '--since', now: NOW }), NOW - 2 * 3_600_000);
  t.is(parseTimeOption('30m', { flag: '--since', now: NOW }), NOW - 30 * 60_000);
  t.is(parseTimeOption('3d', { flag: '--since', now: NOW }), NOW - 3 * 86_400_000);
});

test('today and yesterday start at midnight in the given zone', (t) => {
  t.is(
    parseTimeOption('today', { flag: '--since', now: NOW, timeZone: 'UTC' }),
    Date.parse('2026-12-03T00:00:00Z'),
  );
  t.is(
    parseTimeOption('yesterday', { flag: '--since', now: NOW, timeZone: 'UTC' }),
    Date.parse('2026-12-02T00:00:00Z'),
  );
  t.is(
    parseTimeOption('today', { flag: '--since', now: NOW, timeZone: 'Europe/Berlin' }),
    Date.parse('2026-12-02T23:00:00Z'),
  );
});

/** Runs `read` with the process in a system time zone (Node rereads `TZ` when it is set). */
function inSystemZone<T>(timeZone: string, read: () => T): T {
  const saved = process.env.TZ;
  process.env.TZ = timeZone;

  try {
    return read();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

test('yesterday is the local day before today, 23 or 25 hours, in any system zone', (t) => {
  const yesterday = (now: string) =>
    parseTimeOption('yesterday', {
      flag: '--since',
      now: Date.parse(now),
      timeZone: 'Europe/Berlin',
    });

  for (const system of ['UTC', 'America/New_York', 'Europe/Berlin']) {
    inSystemZone(system, () => {
      // The Monday after summer time ended, and the one after it began.
      t.is(yesterday('2026-10-26T10:00:00Z'), Date.parse('2026-10-24T22:00:00Z'), system);
      t.is(yesterday('2026-03-30T10:00:00Z'), Date.parse('2026-03-28T23:00:00Z'), system);
      t.is(yesterday('2026-10-25T10:00:00Z'), Date.parse('2026-10-23T22:00:00Z'), system);
    });
  }
});

test('a short offset ±hh is honoured', (t) => {
  const read = (text: string) =>
    parseTimeOption(text, { flag: '--since', now: NOW, timeZone: 'Europe/Berlin' });

  t.is(read('2026-03-29T02:30-05'), Date.parse('2026-03-29T07:30:00Z'));
  t.is(read('2026-03-29T02:30+01'), Date.parse('2026-03-29T01:30:00Z'));
  t.is(read('2026-03-29T02:30-0530'), Date.parse('2026-03-29T08:00:00Z'));
  t.is(read('2026-03-29T02:30:15.250z'), Date.parse('2026-03-29T02:30:15.250Z'));
});

test('a time without a zone is wall-clock time in the given zone, in any system zone', (t) => {
  for (const system of ['UTC', 'Europe/Berlin', 'Asia/Kolkata']) {
    inSystemZone(system, () => {
      const read = (text: string, timeZone: string) =>
        parseTimeOption(text, { flag: '--since', now: NOW, timeZone });

      // 02:30 on 29 March does not exist in Berlin, but does in New York.
      t.is(read('2026-03-29T02:30', 'America/New_York'), Date.parse('2026-03-29T06:30:00Z'));
      t.is(read('2026-03-29 02:30:00', 'America/New_York'), Date.parse('2026-03-29T06:30:00Z'));
      t.is(read('2026-03-29', 'America/New_York'), Date.parse('2026-03-29T04:00:00Z'));
      // In Berlin it is read as mktime reads it: 03:30 CEST.
      t.is(read('2026-03-29T02:30', 'Europe/Berlin'), Date.parse('2026-03-29T01:30:00Z'));
      // The repeated hour: the first pass, as for log stamps without a zone.
      t.is(read('2026-10-25T02:30', 'Europe/Berlin'), Date.parse('2026-10-25T00:30:00Z'));
      t.is(read('2026-12-03T24:00', 'UTC'), Date.parse('2026-12-04T00:00:00Z'));
    });
  }
});

test('ISO forms that name no time, or that are not the extended form, are refused', (t) => {
  for (const value of [
    '2026-12-03T25:00',
    '2026-12-03T24:30',
    '2026-02-29',
    '2026-W49',
    '2026-337',
    '2026-12-03T18:34+1',
    '2026-12-03Z',
  ]) {
    const error = t.throws(() => parseTimeOption(value, { flag: '--since', now: NOW }), {
      message: /^Invalid --since value: /,
    });
    t.is((error as { code?: string }).code, 'USAGE', value);
  }
});

test('ISO dates and times without a zone are read in the given zone', (t) => {
  t.is(
    parseTimeOption('2026-12-01', { flag: '--since', now: NOW, timeZone: 'UTC' }),
    Date.parse('2026-12-01T00:00:00Z'),
  );
  t.is(
    parseTimeOption('2026-12-01T09:30', { flag: '--since', now: NOW, timeZone: 'Europe/Berlin' }),
    Date.parse('2026-12-01T08:30:00Z'),
  );
  t.is(
    parseTimeOption('2026-07-01T09:30', { flag: '--since', now: NOW, timeZone: 'Europe/Berlin' }),
    Date.parse('2026-07-01T07:30:00Z'),
  );
});

test('ISO times with a zone keep their zone', (t) => {
  t.is(
    parseTimeOption('2026-12-01T09:30:00+01:00', { flag: '--until', now: NOW, timeZone: 'UTC' }),
    Date.parse('2026-12-01T08:30:00Z'),
  );
  t.is(
    parseTimeOption('2026-12-01T09:30:00Z', { flag: '--until', now: NOW }),
    Date.parse('2026-12-01T09:30:00Z'),
  );
});

test('an unreadable time names the flag and the accepted forms', (t) => {
  t.throws(() => parseTimeOption('last tuesday', { flag: '--until', now: NOW }), {
    message: /Invalid --until value: last tuesday: use an ISO 8601 date/,
  });
  t.throws(() => parseTimeOption('2026-13-45', { flag: '--since', now: NOW }), {
    message: /--since/,
  });
});

test('a time no report could write, or an offset no zone has, is refused', (t) => {
  for (const value of ['99999999999999d', '2026-12-03T18:34+25:00', '2026-12-03T18:34-01:75']) {
    const error = t.throws(() => parseTimeOption(value, { flag: '--since', now: NOW }));
    t.true(error instanceof MxtriageError && error.code === 'USAGE', value);
  }
  t.throws(() => parseTimeOption('99999999999999d', { flag: '--until', now: NOW }), {
    message: /Invalid --until value: 99999999999999d: use a time between the years 1000 and 9999/,
  });
});

test('durations accept units and plain milliseconds', (t) => {
  t.is(parseDuration('2000', '--timeout'), 2000);
  t.is(parseDuration('2s', '--timeout'), 2000);
  t.is(parseDuration('5m', '--budget'), 300_000);
  t.throws(() => parseDuration('fast', '--budget'), { message: /Invalid --budget value: fast/ });
});

test('every zero form is one zero where zero is allowed, and refused where it is not', (t) => {
  for (const zero of ['0', '0s', '0ms', '0m', '0.0', ' 0 ']) {
    t.is(parseDuration(zero, '--budget', { allowZero: true }), 0, zero);
    t.throws(() => parseDuration(zero, '--timeout'), {
      message: /^Invalid --timeout value: .*: use a time above 0/,
    });
  }

  t.throws(() => parseDuration('-1s', '--budget', { allowZero: true }), {
    message: /^Invalid --budget value: -1s: use a time 0 or more/,
  });
});

const tooLong = test.macro({
  exec(t, text: string, flag: string) {
    const error = t.throws(() => parseDuration(text, flag, { allowZero: true }));

    t.is((error as { code?: string }).code, 'USAGE');
    t.is(
      error?.message,
      `Invalid ${flag} value: ${text}: allowed are times up to 2147483647 ms (about 24.8 days, such as 24d)`,
    );
  },
  title: (_given, text, flag) => `${flag} ${text} is longer than a timer can wait and is refused`,
});

test(tooLong, '25d', '--budget');
test(tooLong, '100000000000', '--timeout');
test(tooLong, '2147483648', '--timeout');

test('the longest wait a timer can hold is still allowed', (t) => {
  t.is(parseDuration('2147483647', '--timeout'), 2_147_483_647);
  t.is(parseDuration('24d', '--budget'), 24 * 86_400_000);
});

test('counts, years and zones are checked', (t) => {
  t.is(parseCount('0', '--top'), 0);
  t.throws(() => parseCount('-1', '--top'), { message: /Invalid --top value: -1/ });
  t.is(parseYear('2025'), 2025);
  t.throws(() => parseYear('25'), { message: /use a year from 1970 to 2200/ });
  t.throws(() => parseYear('1000'), {
    message: /Invalid --year value: 1000: use a year from 1970/,
  });
  t.is(parseTimeZone('Europe/Berlin'), 'Europe/Berlin');
  t.throws(() => parseTimeZone('Mars/Olympus'), { message: /IANA zone name/ });
});
