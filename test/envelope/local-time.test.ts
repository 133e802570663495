import test from 'ava';

import { createLocalClock, createYearlessClock, monthAt } from '../../src/envelope/local-time.js';

test('month abbreviations are read at any position, anything else is -1', (t) => {
  t.deepEqual(
    ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map(
      (name) => monthAt(`<13>${name}  7`, 4),
    ),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  );
  t.is(monthAt('jan  7', 0), -1);
  t.is(monthAt('Ja', 0), -1);
  t.is(monthAt('2024-', 0), -1);
});

test('the start of a local hour follows the zone, and the cache keeps hours apart', (t) => {
  const berlin = createLocalClock('Europe/Berlin');

  t.is(berlin.hourStart(2026, 0, 15, 10), Date.parse('2026-01-15T09:00:00Z'));
  t.is(berlin.hourStart(2026, 0, 15, 10), Date.parse('2026-01-15T09:00:00Z'));
  t.is(berlin.hourStart(2026, 0, 15, 11), Date.parse('2026-01-15T10:00:00Z'));
  t.is(berlin.hourStart(2026, 6, 15, 11), Date.parse('2026-07-15T09:00:00Z'));
  t.is(
    createLocalClock('Asia/Kolkata').hourStart(2026, 6, 15, 11),
    Date.parse('2026-07-15T05:30:00Z'),
  );
});

test('the year at a time is the local year of the zone', (t) => {
  const time = Date.parse('2026-12-31T23:30:00Z');

  t.is(createLocalClock('UTC').yearAt(time), 2026);
  t.is(createLocalClock('Europe/Berlin').yearAt(time), 2027);
  t.is(createLocalClock('America/New_York').yearAt(Date.parse('2027-01-01T02:00:00Z')), 2026);
});

test('a year-less clock infers the year from the reference time in the zone', (t) => {
  const reference = Date.parse('2027-01-01T00:30:00Z');
  const clock = createYearlessClock(createLocalClock('Europe/Berlin'), {
    referenceTime: reference,
  });

  // 01:30 on 1 January in Berlin: the reference's local year is already 2027.
  t.is(clock.toTime(0, 1, 3600 + 1800), Date.parse('2027-01-01T00:30:00Z'));
  t.is(clock.toTime(11, 31, 23 * 3600), Date.parse('2026-12-31T22:00:00Z'));
});

test('a year-less 29 February is placed in the latest leap year before the reference', (t) => {
  const clock = createYearlessClock(createLocalClock('UTC'), {
    referenceTime: Date.parse('2026-06-01T00:00:00Z'),
  });

  t.is(clock.toTime(1, 29, 3600), Date.parse('2024-02-29T01:00:00Z'));
  t.is(clock.toTime(1, 28, 3600), Date.parse('2026-02-28T01:00:00Z'));
});

test('a year-less 29 February in the reference year stays there', (t) => {
  const clock = createYearlessClock(createLocalClock('UTC'), {
    referenceTime: Date.parse('2028-03-01T00:00:00Z'),
  });

  t.is(clock.toTime(1, 29, 0), Date.parse('2028-02-29T00:00:00Z'));
});

test('a year-less clock with a year rolls over only on a large step back in months', (t) => {
  const clock = createYearlessClock(createLocalClock('UTC'), { year: 2024 });

  t.is(clock.toTime(5, 30, 0), Date.parse('2024-06-30T00:00:00Z'));
  t.is(clock.toTime(0, 1, 0), Date.parse('2024-01-01T00:00:00Z'));
  t.is(clock.toTime(11, 31, 0), Date.parse('2024-12-31T00:00:00Z'));
  t.is(clock.toTime(0, 1, 59), Date.parse('2025-01-01T00:00:59Z'));
});

test('in the hour that repeats when summer time ends, the line order tells the passes apart', (t) => {
  const clock = createYearlessClock(createLocalClock('Europe/Berlin'), { year: 2026 });
  const at = (hour: number, minute: number) =>
    new Date(clock.toTime(9, 25, hour * 3600 + minute * 60)).toISOString();

  // 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:00–02:59 happens twice.
  t.deepEqual(
    [at(1, 50), at(2, 10), at(2, 50), at(2, 49), at(2, 5), at(2, 55), at(3, 10)],
    [
      '2026-10-24T23:50:00.000Z',
      '2026-10-25T00:10:00.000Z',
      '2026-10-25T00:50:00.000Z',
      '2026-10-25T00:49:00.000Z',
      '2026-10-25T01:05:00.000Z',
      '2026-10-25T01:55:00.000Z',
      '2026-10-25T02:10:00.000Z',
    ],
  );
});

test('the hour skipped when summer time starts is not taken for a repeated one', (t) => {
  const clock = createLocalClock('Europe/Berlin');
  clock.hourStart(2026, 2, 29, 2);
  t.false(clock.lastHourRepeats);
  clock.hourStart(2026, 9, 25, 2);
  t.true(clock.lastHourRepeats);
  clock.hourStart(2026, 9, 25, 3);
  t.false(clock.lastHourRepeats);
});
