import test from 'ava';
import { formatDuration, timeFormat } from '../../src/output/times.js';

const utc = timeFormat('UTC');
const berlin = timeFormat('Europe/Berlin');

test('durations show their two largest units', (t) => {
  const cases: [number, string][] = [
    [250, '250 ms'],
    [46_000, '46 s'],
    [268_000, '4 min 28 s'],
    [3_600_000, '1 h'],
    [173_102_000, '2 d 5 min'],
    [172_800_000, '2 d'],
    [183_600_000, '2 d 3 h'],
  ];
  for (const [ms, expected] of cases) t.is(formatDuration(ms), expected, String(ms));
});

test('a range names the date once when it stays within one day', (t) => {
  t.is(
    utc.range(Date.parse('2026-12-03T18:32:52Z'), Date.parse('2026-12-03T18:37:20Z')),
    '2026-12-03 18:32:52 to 18:37:20 UTC (4 min 28 s)',
  );
  t.is(
    utc.range(Date.parse('2026-12-01T22:40:10Z'), Date.parse('2026-12-03T22:45:12Z')),
    '2026-12-01 22:40:10 to 2026-12-03 22:45:12 UTC (2 d 5 min)',
  );
  // One log line: a moment, not a span of "0 ms" with a precision the log never had.
  t.is(
    utc.range(Date.parse('2026-12-03T18:32:52Z'), Date.parse('2026-12-03T18:32:52Z')),
    '2026-12-03 18:32:52 UTC',
  );
});

test('times in another zone are its wall clock with the offset', (t) => {
  t.is(berlin.time(Date.parse('2026-12-03T18:32:52Z')), '2026-12-03 19:32:52 +01:00');
  t.is(berlin.time(Date.parse('2026-07-03T18:32:52Z')), '2026-07-03 20:32:52 +02:00');
  t.is(
    timeFormat('Asia/Kolkata').time(Date.parse('2026-12-03T18:32:52Z')),
    '2026-12-04 00:02:52 +05:30',
  );
  // London in winter is on UTC's wall clock: it reads as UTC.
  t.is(
    timeFormat('Europe/London').time(Date.parse('2026-12-03T18:32:52Z')),
    '2026-12-03 18:32:52 UTC',
  );
  // After midnight in Berlin, before it in UTC: the date is Berlin's.
  t.is(
    berlin.range(Date.parse('2026-12-03T22:50:00Z'), Date.parse('2026-12-03T23:10:00Z')),
    '2026-12-03 23:50:00 to 2026-12-04 00:10:00 +01:00 (20 min)',
  );
});

test('a range across a clock change gives both offsets, so the repeated hour reads twice', (t) => {
  // 2026-10-25: Berlin's clocks go back from 03:00 CEST to 02:00 CET.
  t.is(
    berlin.range(Date.parse('2026-10-25T00:10:00Z'), Date.parse('2026-10-25T01:10:00Z')),
    '2026-10-25 02:10:00 +02:00 to 02:10:00 +01:00 (1 h)',
  );
});
