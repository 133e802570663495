import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import test from 'ava';
import fc from 'fast-check';

import { unpackStamp } from '../../src/envelope/envelope-bytes.js';
import { createEnvelopeParser } from '../../src/envelope/parse-envelope.js';
import type { DeliveryEvent, MessageRecord } from '../../src/model.js';
import { createParsers, parserFor } from '../../src/mta/index.js';
import { DATED_CONTEXT_MARK, markContextLine } from '../../src/pipeline/context-lines.js';
import { readEvents, type ReadOptions } from '../../src/pipeline/read-events.js';

const SAMPLES = [
  'samples/postfix-mail.log',
  'samples/exim-mainlog',
  'samples/sendmail-mail.log',
  'test/fixtures/outcomes/postfix-two-days.log',
];
const SOURCE = { file: 'mail.log', line: 1 };
const OPTIONS: ReadOptions = { envelope: { timeZone: 'UTC', year: 2026 }, unparsedSamples: 50 };

/** What reading `line` in full gives: a context line has a Postfix envelope, and the Postfix
 *  parser gives no record for it. */
function fullRead(line: string): 'context' | 'other' {
  const envelope = createEnvelopeParser(OPTIONS.envelope).parse(line, SOURCE);
  if (typeof envelope !== 'object') return 'other';
  const parser = parserFor(createParsers(), envelope.program);
  if (parser?.mta !== 'postfix') return 'other';
  return parser.parse(envelope)?.length === 0 ? 'context' : 'other';
}

function markOf(line: string): number {
  const bytes = Buffer.from(`${line}\n`);
  return markContextLine(bytes, 0, bytes.length - 1);
}

function sampleLines(): string[] {
  return SAMPLES.flatMap((file) => readFileSync(file, 'utf8').split('\n').filter(Boolean));
}

/** The same Postfix line in the other envelopes real logs use. */
function variants(line: string): string[] {
  const classic = /^([A-Z][a-z]{2}) +(\d+) (\d\d:\d\d:\d\d) (.*)$/.exec(line);
  if (classic === null) return [line];
  const [, month, day, time, rest] = classic as unknown as [string, string, string, string, string];
  const iso = `2026-${month === 'Dec' ? '12' : '11'}-${day.padStart(2, '0')}T${time}`;
  return [
    line,
    `${line}\r`,
    `${iso}.123456+01:00 ${rest}`,
    `${iso}Z ${rest}`,
    `${iso}+0100 ${rest}`,
    `${iso} ${rest}`,
    `${iso}.5Z stdout F ${line}`,
    `${month} ${day.padStart(2, '0')} ${time} ${rest}`,
    `${month} ${day} ${time}.250 ${rest}`,
    `${month} ${day} ${time} ${rest.replace(/^\S+ /, '')}`,
  ];
}

/** Each year-less mark holds the line's own stamp; a stamp with a year needs none. */
function stampMatches(line: string, mark: number): boolean {
  const envelope = createEnvelopeParser(OPTIONS.envelope).parse(line.replace(/\r$/, ''), SOURCE);
  if (typeof envelope !== 'object') return false;
  if (mark === DATED_CONTEXT_MARK) return !/^[A-Z]/.test(line);
  const date = new Date(envelope.time);
  const { month, day, seconds } = unpackStamp(mark);
  const daySeconds = date.getUTCHours() * 3600 + date.getUTCMinutes() * 60 + date.getUTCSeconds();
  return date.getUTCMonth() === month && date.getUTCDate() === day && daySeconds === seconds;
}

test('every line marked as context reads in full as a Postfix line that gives no record', (t) => {
  const lines = sampleLines().flatMap(variants);
  const marked = lines.filter((line) => markOf(line) !== 0);

  t.true(marked.length > 1000);
  for (const line of marked) {
    t.is(fullRead(line.replace(/\r$/, '')), 'context', line);
    t.true(stampMatches(line, markOf(line)), line);
  }
});

test('the marker misses no connection, arrival or notice line of the Postfix sample', (t) => {
  const lines = readFileSync('samples/postfix-mail.log', 'utf8').split('\n').filter(Boolean);
  // `from=` lines give no record either, but the parser keeps their sender.
  const context = lines.filter((line) => fullRead(line) === 'context' && !/: from=</.test(line));
  const missed = context.filter((line) => markOf(line) === 0);

  t.true(context.length > 100);
  t.deepEqual(missed, []);
});

test('lines the full parser reads for something, or cannot read, are never marked', (t) => {
  const lines = [
    'Nov  2 09:14:07 mailhost postfix/smtp[2211]: 4Xy7Z2kQ1vz3Lbc: to=<a@b.example>, relay=none, delay=1, status=deferred (x)',
    'Nov  2 09:14:07 mailhost postfix/qmgr[1200]: 7C1A2B3C4D: from=<s@sender.test>, size=512, nrcpt=1 (queue active)',
    'Nov  2 09:14:07 mailhost postfix/qmgr[1200]: 7C1A2B3C4D: removed',
    'Nov  2 09:14:07 mailhost postfix/pickup[1202]: 5D6E7F8091: uid=107 from=<s@sender.test> orig_id=7C1A2B3C4D',
    'Nov  2 09:14:07 mailhost postfix/pickup[1202]: 5D6E7F8091: uid=107 from=<> orig_id=4Xy7Z2kQ1vz3Lbc',
    'Nov  2 09:14:07 mailhost postfix/smtpd[1201]: something no parser knows',
    'Nov  2 09:14:07 mailhost postfix/smtpd[12x1]: connect from a.example[192.0.2.1]',
    'Nov  2 09:14:07 mailhost exim[1201]: connect from a.example[192.0.2.1]',
    'Nov  2 09:14:07 mailhost sm-mta[1201]: connect from a.example[192.0.2.1]',
    'Nov 32 09:14:07 mailhost postfix/smtpd[1201]: connect from a.example[192.0.2.1]',
    'Nov 31 09:14:07 mailhost postfix/smtpd[1201]: connect from a.example[192.0.2.1]',
    'Feb 30 09:14:07 mailhost postfix/smtpd[1201]: connect from a.example[192.0.2.1]',
    '2026-02-29T09:14:07Z mailhost postfix/smtpd[1201]: connect from a.example[192.0.2.1]',
    '2026-11-02T09:14:07+24:00 mailhost postfix/smtpd[1201]: connect from a.example[192.0.2.1]',
    '2026-11-02T09:14:07-0160 mailhost postfix/smtpd[1201]: connect from a.example[192.0.2.1]',
    '9999-12-31T23:30:00-01:00 mailhost postfix/smtpd[1201]: connect from a.example[192.0.2.1]',
    '0026-11-02T09:14:07Z mailhost postfix/smtpd[1201]: connect from a.example[192.0.2.1]',
    'Nov  2 24:14:07 mailhost postfix/smtpd[1201]: connect from a.example[192.0.2.1]',
    '<22>Nov  2 09:14:07 mailhost postfix/smtpd[1201]: connect from a.example[192.0.2.1]',
    '2026-11-02T09:14:07Z stderr P postfix/smtpd[1201]: connect from a.example[192.0.2.1]',
    '2026-11-02T09:14:07Z Nov  2 09:14:07 mailhost postfix/smtpd[1201]: connect from x',
  ];

  t.deepEqual(
    lines.map((line) => markOf(line)),
    lines.map(() => 0),
  );
});

test('any edit of a real line that the marker marks still reads as a context line', (t) => {
  const pool = sampleLines()
    .flatMap(variants)
    .filter((line) => markOf(line) !== 0);
  const edit = fc.record({
    line: fc.constantFrom(...pool),
    at: fc.nat(),
    kind: fc.constantFrom('replace', 'insert', 'delete'),
    text: fc.constantFrom(
      ' ',
      ':',
      '[',
      ']',
      '\r',
      'é',
      '0',
      '9',
      'A',
      'a',
      '.',
      'Z',
      '+',
      '-',
      '/',
    ),
  });
  const property = fc.property(edit, ({ line, at, kind, text }) => {
    const index = at % (line.length + 1);
    const end = kind === 'insert' ? index : index + 1;
    const edited = line.slice(0, index) + (kind === 'delete' ? '' : text) + line.slice(end);
    const mark = markOf(edited);
    if (mark === 0) return true;
    return fullRead(edited.replace(/\r$/, '')) === 'context' && stampMatches(edited, mark);
  });

  t.notThrows(() => fc.assert(property, { numRuns: 5000 }));
});

test('reading with and without the marker gives the same events, records and counts', async (t) => {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'mxtriage-context-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  // Real lines in every envelope, plus a December to January roll-over carried by context lines.
  const file = path.join(directory, 'mail.log');
  // The clock judges the year from every line, in order: a context line out of order decides
  // the year of the next delivery.
  const rollover = [
    'Dec 31 23:59:57 mailhost postfix/smtp[1327]: 3F1A2B3C4D: to=<a@b.example>, relay=none, delay=1, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=b.example type=MX: Host not found, try again)',
    'Jan  1 00:00:00 mailhost postfix/smtpd[1326]: connect from a.example[192.0.2.1]',
    'Dec 31 23:59:58 mailhost postfix/smtpd[1326]: connect from a.example[192.0.2.1]',
    'Jan  1 00:00:01 mailhost postfix/smtpd[1326]: disconnect from a.example[192.0.2.1]',
    'Jan  1 00:00:02 mailhost postfix/smtp[1327]: 3F1A2B3C4D: to=<a@b.example>, relay=none, delay=1, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=b.example type=MX: Host not found, try again)',
  ];
  writeFileSync(file, [...sampleLines().flatMap(variants), ...rollover].join('\n') + '\n');

  const withMarker = await readAll([file, ...SAMPLES], OPTIONS);
  const without = await readAll([file, ...SAMPLES], { ...OPTIONS, markContextLines: false });

  t.true(withMarker.events.length > 500);
  t.deepEqual(withMarker, without);
});

async function readAll(paths: string[], options: ReadOptions) {
  const events: DeliveryEvent[] = [];
  const records: MessageRecord[] = [];
  const counts = await readEvents(
    paths,
    { event: (e) => events.push(e), record: (r) => records.push(r) },
    options,
  );
  return { events, records, counts };
}
