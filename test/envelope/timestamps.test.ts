import test from 'ava';

import { createLocalClock, createYearlessClock } from '../../src/envelope/local-time.js';
import { createStampReader } from '../../src/envelope/timestamps.js';

const UTC = createLocalClock('UTC');
const stamps = () => createStampReader(UTC, createYearlessClock(UTC, { year: 2026 }));

const readsDateTime = test.macro({
  exec(t, text: string, separator: 'T' | ' ', time: string, end: number) {
    const at = stamps();

    t.true(separator === 'T' ? at.iso(text, 0) : at.exim(text, 0));
    t.is(new Date(at.time).toISOString(), time);
    t.is(at.end, end);
  },
  title: (_given, text: string) => `the stamp reader reads ${text}`,
});

test(readsDateTime, '2024-03-13T12:04:09.755361+01:00 mail', 'T', '2024-03-13T11:04:09.755Z', 32);
test(readsDateTime, '2024-03-13T12:04:09+0100 mail', 'T', '2024-03-13T11:04:09.000Z', 24);
test(readsDateTime, '2024-09-13T20:01:37.51Z Sep', 'T', '2024-09-13T20:01:37.510Z', 23);
test(readsDateTime, '2024-09-13T20:01:37.5Z', 'T', '2024-09-13T20:01:37.500Z', 22);
test(readsDateTime, '2024-03-13T12:04:09 mail', 'T', '2024-03-13T12:04:09.000Z', 19);
test(readsDateTime, '2024-03-13T23:59:60Z', 'T', '2024-03-14T00:00:00.000Z', 20);
test(readsDateTime, '2024-05-01 10:00:01.712 [4242] 1tAbCe', ' ', '2024-05-01T10:00:01.712Z', 23);
test(readsDateTime, '2024-05-01 10:00:01 +0100 1tAbCe', ' ', '2024-05-01T09:00:01.000Z', 25);
test(readsDateTime, '2024-05-01 10:00:01 -0030 x', ' ', '2024-05-01T10:30:01.000Z', 25);

const refusesDateTime = test.macro({
  exec(t, text: string, separator: 'T' | ' ') {
    const at = stamps();

    t.false(separator === 'T' ? at.iso(text, 0) : at.exim(text, 0));
  },
  title: (_given, text: string) => `the stamp reader refuses ${JSON.stringify(text)}`,
});

test(refusesDateTime, '2024-03-13 12:04:09Z', 'T');
test(refusesDateTime, '2024-03-13T12:04:09Z', ' ');
test(refusesDateTime, '2024-00-13T12:04:09Z', 'T');
test(refusesDateTime, '2024-03-32T12:04:09Z', 'T');
test(refusesDateTime, '2024-03-13T12:60:09Z', 'T');
test(refusesDateTime, '2024/03/13T12:04:09Z', 'T');
test(refusesDateTime, '2024-03-13T12:04', 'T');

test('the classic reader checks the shape without a clock and ends after the seconds', (t) => {
  const at = stamps();

  t.true(at.classicShape('Sep 14 04:01:37 host', 0));
  t.is(at.end, 15);
  t.true(at.classicShape('x Sep  4 04:01:37.123 host', 2));
  t.is(at.end, 21);
  t.false(at.classicShape('Sep 14 04:01 host', 0));
  t.false(at.classicShape('Sep 0 04:01:37 host', 0));
  t.false(at.classicShape('Sept 14 04:01:37 host', 0));
});

test('the classic reader adds the fraction to the clock time', (t) => {
  const at = stamps();

  t.true(at.classic('Sep  4 04:01:37.123456 host', 0));
  t.is(at.time, Date.parse('2026-09-04T04:01:37.123Z'));
});

test('a pid in brackets is read only when a space follows', (t) => {
  const at = stamps();

  t.true(at.bracketPid('[4242] 1tAbCe', 0));
  t.is(at.pid, 4242);
  t.is(at.end, 7);
  t.false(at.bracketPid('[4242]1tAbCe', 0));
  t.false(at.bracketPid('[] x', 0));
  t.false(at.bracketPid('[1/2] x', 0));
});
