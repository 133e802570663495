import test from 'ava';

import { createLocalClock, createYearlessClock, monthAt } from '../../src/envelope/local-time.js';

const HOUR = 3600;

/** The instants a clock gives for local `hh:mm` times of one day, in ISO form. */
function readDay(toTime: (seconds: number) => number, times: readonly string[]): string[] {
  return times.map((time) => {
    const [hour = 0, minute = 0] = time.split(':').map(Number);
    return new Date(toTime(hour * HOUR + minute * 60)).toISOString().slice(0, 16);
  });
}

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

test('a local time follows the zone, and the cache keeps hours apart', (t) => {
  const berlin = createLocalClock('Europe/Berlin');

  t.is(berlin.toTime(2026, 0, 15, 10 * HOUR), Date.parse('2026-01-15T09:00:00Z'));
  t.is(berlin.toTime(2026, 0, 15, 10 * HOUR + 59), Date.parse('2026-01-15T09:00:59Z'));
  t.is(berlin.toTime(2026, 0, 15, 11 * HOUR), Date.parse('2026-01-15T10:00:00Z'));
  t.is(berlin.toTime(2026, 6, 15, 11 * HOUR), Date.parse('2026-07-15T09:00:00Z'));
  t.is(
    createLocalClock('Asia/Kolkata').toTime(2026, 6, 15, 11 * HOUR),
    Date.parse('2026-07-15T05:30:00Z'),
  );
});

test('the hour that repeats when summer time ends gives its first pass and the repeat', (t) => {
  const berlin = createLocalClock('Europe/Berlin');

  t.is(berlin.toTime(2026, 9, 25, 2 * HOUR + 1800), Date.parse('2026-10-25T00:30:00Z'));
  t.is(berlin.lastRepeat, HOUR * 1000);
  t.is(berlin.toTime(2026, 9, 25, 3 * HOUR), Date.parse('2026-10-25T02:00:00Z'));
  t.is(berlin.lastRepeat, 0);
  t.is(berlin.toTime(2026, 9, 25, 1 * HOUR + 3599), Date.parse('2026-10-24T23:59:59Z'));
  t.is(berlin.lastRepeat, 0);
});

test('a time skipped at summer time is read with the offset before, as mktime does', (t) => {
  const berlin = createLocalClock('Europe/Berlin');

  t.is(berlin.toTime(2026, 2, 29, 2 * HOUR + 1800), Date.parse('2026-03-29T01:30:00Z'));
  t.is(berlin.lastRepeat, 0);
  t.is(berlin.toTime(2026, 2, 29, 3 * HOUR + 600), Date.parse('2026-03-29T01:10:00Z'));
  t.is(berlin.toTime(2026, 2, 29, 1 * HOUR + 3000), Date.parse('2026-03-29T00:50:00Z'));
});

test('a half-hour change that is not on the hour is read at the minute (Lord Howe)', (t) => {
  const lordHowe = createLocalClock('Australia/Lord_Howe');
  const spring = (time: number) => lordHowe.toTime(2026, 9, 4, time);
  const autumn = (time: number) => lordHowe.toTime(2026, 3, 5, time);

  // 4 October 2026: 02:00 LHST (+10:30) becomes 02:30 LHDT (+11).
  t.deepEqual(readDay(spring, ['01:50', '02:40', '02:45', '03:10']), [
    '2026-10-03T15:20',
    '2026-10-03T15:40',
    '2026-10-03T15:45',
    '2026-10-03T16:10',
  ]);
  // 5 April 2026: 02:00 LHDT (+11) becomes 01:30 LHST (+10:30): only 01:30 to 02:00 repeats.
  t.deepEqual(readDay(autumn, ['01:10', '01:40', '02:10']), [
    '2026-04-04T14:10',
    '2026-04-04T14:40',
    '2026-04-04T15:40',
  ]);
  autumn(HOUR + 600);
  t.is(lordHowe.lastRepeat, 0);
  autumn(HOUR + 2400);
  t.is(lordHowe.lastRepeat, 1800 * 1000);
});

test('a two-hour change repeats two hours (Antarctica/Troll)', (t) => {
  const troll = createLocalClock('Antarctica/Troll');

  // 25 October 2026: 03:00 +02 becomes 01:00 +00.
  t.is(troll.toTime(2026, 9, 25, HOUR + 1800), Date.parse('2026-10-24T23:30:00Z'));
  t.is(troll.lastRepeat, 2 * HOUR * 1000);
  t.is(troll.toTime(2026, 9, 25, 2 * HOUR + 1800), Date.parse('2026-10-25T00:30:00Z'));
  t.is(troll.lastRepeat, 2 * HOUR * 1000);
  t.is(troll.toTime(2026, 9, 25, 3 * HOUR + 1800), Date.parse('2026-10-25T03:30:00Z'));
  t.is(troll.lastRepeat, 0);
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

test('a file written from December to January and read in January starts in December', (t) => {
  const clock = createYearlessClock(createLocalClock('UTC'), {
    referenceTime: Date.parse('2026-01-02T12:00:00Z'),
  });
  const at = (month: number, day: number) => new Date(clock.toTime(month, day, 0)).toISOString();

  t.deepEqual(
    [at(11, 30), at(11, 31), at(0, 1), at(0, 2)],
    [
      '2025-12-30T00:00:00.000Z',
      '2025-12-31T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
      '2026-01-02T00:00:00.000Z',
    ],
  );
});

test('without a year, the first line sets the year of the file, later ones follow it', (t) => {
  // A file of January to April 2026, copied without its time: its mtime says February 2027.
  const clock = createYearlessClock(createLocalClock('UTC'), {
    referenceTime: Date.parse('2027-02-15T12:00:00Z'),
  });

  t.deepEqual(
    [0, 1, 2, 3].map((month) => new Date(clock.toTime(month, 10, 10 * HOUR)).toISOString()),
    [
      '2027-01-10T10:00:00.000Z',
      '2027-02-10T10:00:00.000Z',
      '2027-03-10T10:00:00.000Z',
      '2027-04-10T10:00:00.000Z',
    ],
  );
});

test('a year-less 29 February is placed in the latest leap year before the reference', (t) => {
  const clock = createYearlessClock(createLocalClock('UTC'), {
    referenceTime: Date.parse('2026-06-01T00:00:00Z'),
  });

  t.is(clock.toTime(1, 29, 3600), Date.parse('2024-02-29T01:00:00Z'));
});

test('a year-less 29 February in the reference year stays there', (t) => {
  const clock = createYearlessClock(createLocalClock('UTC'), {
    referenceTime: Date.parse('2028-03-01T00:00:00Z'),
  });

  t.is(clock.toTime(1, 29, 0), Date.parse('2028-02-29T00:00:00Z'));
});

test('a year-less clock rolls over only on a step back of more than half a year', (t) => {
  const clock = createYearlessClock(createLocalClock('UTC'), { year: 2024 });

  t.is(clock.toTime(5, 30, 0), Date.parse('2024-06-30T00:00:00Z'));
  t.is(clock.toTime(0, 1, 0), Date.parse('2024-01-01T00:00:00Z'));
  t.is(clock.toTime(8, 30, 0), Date.parse('2024-09-30T00:00:00Z'));
  t.is(clock.toTime(11, 31, 0), Date.parse('2024-12-31T00:00:00Z'));
  t.is(clock.toTime(0, 1, 59), Date.parse('2025-01-01T00:00:59Z'));
});

test('a line out of order at New Year stays in its year and does not move the rest', (t) => {
  const clock = createYearlessClock(createLocalClock('UTC'), { year: 2026 });
  const at = (month: number, day: number, seconds: number) =>
    new Date(clock.toTime(month, day, seconds)).toISOString();
  const lastSecond = 24 * HOUR - 1;

  t.deepEqual(
    [
      at(11, 31, lastSecond - 9),
      at(0, 1, 1),
      at(11, 31, lastSecond),
      at(0, 1, 5),
      // A host whose log comes a week behind, then the next New Year.
      at(11, 25, 0),
      at(0, 2, 0),
      at(6, 1, 0),
      at(11, 31, 0),
      at(0, 1, 0),
    ],
    [
      '2026-12-31T23:59:50.000Z',
      '2027-01-01T00:00:01.000Z',
      '2026-12-31T23:59:59.000Z',
      '2027-01-01T00:00:05.000Z',
      '2026-12-25T00:00:00.000Z',
      '2027-01-02T00:00:00.000Z',
      '2027-07-01T00:00:00.000Z',
      '2027-12-31T00:00:00.000Z',
      '2028-01-01T00:00:00.000Z',
    ],
  );
});

test('with a year, the clock goes on from one input to the next', (t) => {
  const clock = createYearlessClock(createLocalClock('UTC'), {
    year: 2025,
    referenceTime: Date.parse('2026-01-01T00:00:00Z'),
  });

  t.is(clock.toTime(11, 31, 23 * HOUR), Date.parse('2025-12-31T23:00:00Z'));
  clock.startInput(Date.parse('2026-01-02T10:00:00Z'));
  t.is(clock.toTime(0, 1, 600), Date.parse('2026-01-01T00:10:00Z'));
});

test('without a year, each input infers its year from its own time', (t) => {
  const clock = createYearlessClock(createLocalClock('UTC'), {
    referenceTime: Date.parse('2026-06-01T00:00:00Z'),
  });

  t.is(clock.toTime(4, 31, 0), Date.parse('2026-05-31T00:00:00Z'));
  clock.startInput(Date.parse('2025-06-01T00:00:00Z'));
  t.is(clock.toTime(4, 30, 0), Date.parse('2025-05-30T00:00:00Z'));
});

test('in the hour that repeats when summer time ends, the line order tells the passes apart', (t) => {
  const clock = createYearlessClock(createLocalClock('Europe/Berlin'), { year: 2026 });

  // 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:00–02:59 happens twice.
  t.deepEqual(
    readDay(
      (seconds) => clock.toTime(9, 25, seconds),
      ['01:50', '02:10', '02:50', '02:49', '02:05', '02:55', '03:10'],
    ),
    [
      '2026-10-24T23:50',
      '2026-10-25T00:10',
      '2026-10-25T00:50',
      '2026-10-25T00:49',
      '2026-10-25T01:05',
      '2026-10-25T01:55',
      '2026-10-25T02:10',
    ],
  );
});

test('a line a few minutes late in the first pass does not move the rest of it', (t) => {
  const clock = createYearlessClock(createLocalClock('Europe/Berlin'), { year: 2026 });
  const times = ['02:20', '02:30', '02:22', '02:35', '02:40', '02:50', '02:55'];

  t.deepEqual(
    readDay((seconds) => clock.toTime(9, 25, seconds), [...times, '02:05', '02:30', '03:05']),
    [
      '2026-10-25T00:20',
      '2026-10-25T00:30',
      '2026-10-25T00:22',
      '2026-10-25T00:35',
      '2026-10-25T00:40',
      '2026-10-25T00:50',
      '2026-10-25T00:55',
      '2026-10-25T01:05',
      '2026-10-25T01:30',
      '2026-10-25T02:05',
    ],
  );
});

test('a late line that fits the first pass better than the second goes back to it', (t) => {
  const clock = createYearlessClock(createLocalClock('Europe/Berlin'), { year: 2026 });

  t.deepEqual(
    readDay(
      (seconds) => clock.toTime(9, 25, seconds),
      ['02:20', '02:40', '02:05', '02:30', '02:45', '02:38', '02:50', '03:05', '02:59'],
    ),
    [
      '2026-10-25T00:20',
      '2026-10-25T00:40',
      '2026-10-25T01:05',
      '2026-10-25T01:30',
      '2026-10-25T01:45',
      // Two minutes late in the first pass, seven in the second.
      '2026-10-25T00:38',
      '2026-10-25T01:50',
      '2026-10-25T02:05',
      // After the repeated hour, a late line of its second pass.
      '2026-10-25T01:59',
    ],
  );
});

test('the passes of a half-hour and a two-hour repeat are told apart', (t) => {
  const lordHowe = createYearlessClock(createLocalClock('Australia/Lord_Howe'), { year: 2026 });
  const troll = createYearlessClock(createLocalClock('Antarctica/Troll'), { year: 2026 });

  t.deepEqual(
    readDay(
      (seconds) => lordHowe.toTime(3, 5, seconds),
      ['01:10', '01:40', '01:55', '01:35', '01:50', '02:10'],
    ),
    [
      '2026-04-04T14:10',
      '2026-04-04T14:40',
      '2026-04-04T14:55',
      '2026-04-04T15:05',
      '2026-04-04T15:20',
      '2026-04-04T15:40',
    ],
  );
  t.deepEqual(
    readDay(
      (seconds) => troll.toTime(9, 25, seconds),
      ['01:30', '02:30', '01:30', '02:30', '03:30'],
    ),
    [
      '2026-10-24T23:30',
      '2026-10-25T00:30',
      '2026-10-25T01:30',
      '2026-10-25T02:30',
      '2026-10-25T03:30',
    ],
  );
});
