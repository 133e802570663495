import test from 'ava';

import type { Envelope } from '../../src/model.js';
import { createEximReader } from '../../src/envelope/exim.js';
import { createLocalClock, createYearlessClock } from '../../src/envelope/local-time.js';
import { createStampReader } from '../../src/envelope/timestamps.js';
const SOURCE = { file: 'mainlog', line: 1 };

test('a mainlog line without pid or zone is local time with program exim and no host', (t) => {
  const line =
    '2024-05-01 10:00:04 1tAbCh-0001Y1-Ef ** eve@example.org : all relevant MX records point to non-existent hosts';

  t.deepEqual(readerIn('Europe/Berlin').mainlog(line, SOURCE), {
    time: Date.parse('2024-05-01T08:00:04Z'),
    host: '',
    program: 'exim',
    message:
      '1tAbCh-0001Y1-Ef ** eve@example.org : all relevant MX records point to non-existent hosts',
    source: SOURCE,
  });
});

test('a line that is not a mainlog line gives no envelope', (t) => {
  t.is(readerIn('UTC').mainlog('2024-05-01 10:00', SOURCE), undefined);
  t.is(readerIn('UTC').mainlog('2024-05-01T10:00:00Z x', SOURCE), undefined);
});

test('a piece whose beginning was not seen is left unrecognised', (t) => {
  const exim = readerIn('UTC');

  t.is(exim.read(piece(7, '[2/2] tail'), true), undefined);
});

test('a piece out of sequence is left unrecognised and its record stays open', (t) => {
  const exim = readerIn('UTC');

  t.is(exim.read(piece(7, '[1/3] 2024-05-01 10:00:07 1tAbCl-0001Y4-Kl == a'), true), 'pending');
  t.is(exim.read(piece(7, '[3/3] c'), true), undefined);
  t.is(exim.read(piece(7, '[2/3] b'), true), 'pending');
  t.like(exim.read(piece(7, '[3/3] c'), true), { message: '1tAbCl-0001Y4-Kl == abc', pid: 7 });
});

test('a new record from the same process gives out the unfinished one', (t) => {
  const exim = readerIn('UTC');
  exim.read(piece(7, '[1/2] 2024-05-01 10:00:07 1tAbCl-0001Y4-Kl == first'), true);
  const given = exim.read(piece(7, '[1/2] 2024-05-01 10:00:08 1tAbCm-0001Y5-Mn == second'), true);

  t.like(given, { message: '1tAbCl-0001Y4-Kl == first', time: Date.parse('2024-05-01T10:00:07Z') });
  t.like(exim.flush(), [{ message: '1tAbCm-0001Y5-Mn == second' }]);
});

test('at most 64 records stay open: the oldest is given out first', (t) => {
  const exim = readerIn('UTC');
  const results = Array.from({ length: 66 }, (_, index) =>
    exim.read(piece(index + 1, `[1/2] 2024-05-01 10:00:07 record-${index + 1}`), true),
  );

  t.is(results.filter((result) => result === 'pending').length, 64);
  t.like(results[64], { message: 'record-1' });
  t.like(results[65], { message: 'record-2' });
  t.is(exim.flush().length, 64);
});

test('a record that grows past 64 KiB is given out before its last piece', (t) => {
  const exim = readerIn('UTC');
  const long = 'x'.repeat(870);
  let result: ReturnType<typeof exim.read> = exim.read(piece(7, `[1/100] ${long}`), true);
  let count = 1;

  while (result === 'pending') {
    count++;
    result = exim.read(piece(7, `[${count}/100] ${long}`), true);
  }

  t.is(count, 76);
  t.is(typeof result === 'object' && result.message.length, 76 * 870);
});

test('a line that is not split keeps the envelope time unless it lacks a year', (t) => {
  const exim = readerIn('UTC');
  const line = piece(7, '2024-05-01 10:00:07 1tAbCl-0001Y4-Kl Completed');

  t.like(exim.read(line, false), { time: line.time, message: '1tAbCl-0001Y4-Kl Completed' });
  t.like(exim.read(line, true), { time: Date.parse('2024-05-01T10:00:07Z') });
});

function piece(pid: number, message: string): Envelope {
  const time = Date.parse('2026-05-01T10:00:07Z');
  return { time, host: 'mx', program: 'exim', pid, message, source: SOURCE };
}

function readerIn(timeZone: string): ReturnType<typeof createEximReader> {
  const clock = createLocalClock(timeZone);
  return createEximReader(createStampReader(clock, createYearlessClock(clock, { year: 2026 })));
}
