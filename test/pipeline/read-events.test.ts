import { copyFileSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import test from 'ava';

import type { EnvelopeOptions } from '../../src/envelope/parse-envelope.js';
import type { MessageRecord } from '../../src/model.js';
import { readEvents } from '../../src/pipeline/read-events.js';

const FIXTURES = 'test/fixtures/time';
const ROTATED = ['mail.log', 'mail.log.1'];
/** The rotated set's events, oldest file first, as its lines say they happened. */
const ROTATED_TIMES = [
  '2025-12-30T10:00:00.000Z',
  '2025-12-31T23:50:00.000Z',
  '2026-01-01T00:10:00.000Z',
  '2025-12-31T23:59:58.000Z',
  '2026-01-02T10:00:00.000Z',
];

async function read(paths: readonly string[], envelope: EnvelopeOptions) {
  const times: string[] = [];
  const records: MessageRecord[] = [];
  const counts = await readEvents(
    paths,
    {
      event: (event) => times.push(new Date(event.time).toISOString()),
      record: (r) => records.push(r),
    },
    { envelope },
  );
  return { times, records, counts };
}

test('with --year, a rotated set read oldest first rolls over from Dec to Jan', async (t) => {
  const paths = ROTATED.map((name) => path.join(FIXTURES, 'rotated', name));
  const { times, counts } = await read(paths, { timeZone: 'UTC', year: 2025 });

  t.is(counts.linesNotUnderstood, 0);
  t.deepEqual(counts.inputs, [...paths].reverse());
  t.deepEqual(times, ROTATED_TIMES);
});

test('without --year, each input of a rotated set takes its year from its own time', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mxtriage-time-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const mtimes = ['2026-01-02T10:00:00Z', '2026-01-01T00:00:00Z'];
  const paths = ROTATED.map((name, index) => {
    const copy = path.join(dir, name);
    copyFileSync(path.join(FIXTURES, 'rotated', name), copy);
    const mtime = new Date(mtimes[index] as string);
    utimesSync(copy, mtime, mtime);
    return copy;
  });

  const { times, counts } = await read(paths, { timeZone: 'UTC' });

  t.is(counts.linesNotUnderstood, 0);
  t.deepEqual(times, ROTATED_TIMES);
});

test('syslog lines whose RFC 3339 stamp has a space for the T are understood', async (t) => {
  const { times, records, counts } = await read([path.join(FIXTURES, 'space-separated.log')], {
    timeZone: 'UTC',
  });

  t.is(counts.linesNotUnderstood, 0);
  t.deepEqual(counts.notUnderstoodBy, {});
  t.deepEqual(times, ['2026-10-23T20:00:00.000Z', '2026-10-23T20:30:00.000Z']);
  t.deepEqual(
    records.map((record) => [record.kind, record.queueId, new Date(record.time).toISOString()]),
    [['message-done', 'A00000001', '2026-10-23T20:31:00.000Z']],
  );
});

test("journalctl's markers and rsyslog's repeat notes are counted, not left not understood", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mxtriage-markers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'journal.txt');
  writeFileSync(
    file,
    [
      '-- Journal begins at Mon 2023-09-04 10:00:00 CEST, ends at Fri 2023-09-08 17:22:56 CEST. --',
      'Sep 08 17:20:30 tarta postfix/smtpd[20911]: connect from unknown[203.0.113.7]',
      '-- Boot 0f6b2d6c1a8e4f0e9d3c2b1a09876543 --',
      'Sep 08 17:21:30 tarta postfix/smtpd[20912]: message repeated 2 times: [ warning: hostname example.net does not resolve to address 203.0.113.7]',
      '-- Reboot --',
      '',
    ].join('\n'),
  );

  const { counts } = await read([file], { timeZone: 'UTC', year: 2023 });

  t.is(counts.linesRead, 5);
  t.is(counts.linesNotUnderstood, 0);
  t.deepEqual(counts.otherProgramsBy, { journalctl: 3 });
});
