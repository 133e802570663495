import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Analysis, Group } from '../../src/model.js';
import { formatTable, tablePieces } from '../../src/output/table.js';
import { analyseLogs } from '../../src/pipeline/analyse.js';

const SAMPLES = ['postfix-mail.log', 'exim-mainlog', 'sendmail-mail.log'].map((name) =>
  fileURLToPath(new URL(`../../samples/${name}`, import.meta.url)),
);

/** The bundled samples in 5-minute windows: every group of all three mail servers. */
async function sampleAnalysis(): Promise<Analysis> {
  const { analysis } = await analyseLogs(SAMPLES, {
    envelope: { year: 2026, timeZone: 'UTC' },
    windowMs: 5 * 60_000,
  });
  return analysis;
}

/** A group whose domain is shown in wide (two-column) characters, as an IDN's Unicode form. */
function withWideDomain(group: Group): Group {
  return { ...group, domain: 'xn--r8jz45g.xn--zckzah', domainDisplay: '例え.テスト' };
}

test('a table drawn in parts is the table drawn at once', async (t) => {
  const analysis = await sampleAnalysis();
  const groups = [...analysis.groups];
  // The widest domain comes in a later part, so the parts must agree on the widths.
  groups.splice(groups.length - 2, 0, withWideDomain(groups[0] as Group));
  const wide = { ...analysis, groups };
  const options = { top: 0, timeZone: 'UTC', width: 140 };

  const whole = formatTable(wide, { ...options, rowsPerPart: 1000 });
  const parts = formatTable(wide, { ...options, rowsPerPart: 4 });

  t.true(groups.length > 12, `${groups.length} groups`);
  t.is(parts, whole);
  t.is(whole.split('\n').filter((line) => line.startsWith('│ 2026-')).length, groups.length);
  t.true(whole.includes('│ xn--r8jz45g.xn--zckzah (例え.テスト) '));
});

test('a part of one row is joined like the others', async (t) => {
  const analysis = await sampleAnalysis();
  const options = { top: 0, timeZone: 'UTC' };
  const rows = analysis.groups.length;

  t.is(
    formatTable(analysis, { ...options, rowsPerPart: rows - 1 }),
    formatTable(analysis, options),
  );
});

test('a long table comes in pieces of at most one part each, to be written one by one', async (t) => {
  const analysis = await sampleAnalysis();
  const pieces = [...tablePieces(analysis, { top: 0, timeZone: 'UTC', rowsPerPart: 4 })];
  const rowsIn = (piece: string) => piece.split('\n').filter((line) => line.startsWith('│ 2026-'));

  t.true(pieces.length >= Math.ceil(analysis.groups.length / 4));
  t.true(pieces.every((piece) => rowsIn(piece).length <= 4 && piece.endsWith('\n')));
  t.is(pieces.join(''), formatTable(analysis, { top: 0, timeZone: 'UTC' }));
});

test('a one-day window shows the date it ends on, a shorter one only the clock', async (t) => {
  const day = await analyseLogs(SAMPLES.slice(0, 1), {
    envelope: { year: 2026, timeZone: 'UTC' },
    windowMs: 86_400_000,
  });
  const hour = await sampleAnalysis();

  t.regex(
    formatTable(day.analysis, { top: 1, timeZone: 'UTC' }),
    /│ 2026-12-03 00:00–2026-12-04 00:00 │/,
  );
  t.regex(formatTable(hour, { top: 1, timeZone: 'UTC' }), /│ 2026-12-03 18:\d\d–18:\d\d │/);
});

/** The Postfix sample in hourly windows, cut to `[since, until)`. */
async function cutAnalysis(since: string, until: string): Promise<Analysis> {
  const { analysis } = await analyseLogs(SAMPLES.slice(0, 1), {
    envelope: { year: 2026, timeZone: 'UTC' },
    windowMs: 3_600_000,
    since: Date.parse(since),
    until: Date.parse(until),
  });
  return analysis;
}

test('windows cut by --since and --until show only the part inside the period', async (t) => {
  const analysis = await cutAnalysis('2026-12-03T18:34:00Z', '2026-12-03T18:40:00Z');
  const rows = formatTable(analysis, { top: 0, timeZone: 'UTC' })
    .split('\n')
    .filter((line) => line.startsWith('│ 2026-'));

  t.true(rows.length > 0);
  t.true(rows.every((row) => row.startsWith('│ 2026-12-03 18:34–18:40 │')));
});

test('a period asked for to the second shows its seconds, in the header and the windows', async (t) => {
  const analysis = await cutAnalysis('2026-12-03T18:33:46Z', '2026-12-03T18:34:32Z');
  const text = formatTable(analysis, { top: 0, timeZone: 'UTC' });
  const rows = text.split('\n').filter((line) => line.startsWith('│ 2026-'));

  t.regex(text, /^Asked for: 2026-12-03 18:33:46 to 2026-12-03 18:34:32; /m);
  t.regex(text, /^Period: {4}2026-12-03 18:33:46 – 2026-12-03 18:34:16 \(UTC\)$/m);
  t.true(rows.length > 0);
  t.true(rows.every((row) => row.startsWith('│ 2026-12-03 18:33:46–18:34:32 │')));
});

test('when the clocks change within the period, every time shown carries its offset', async (t) => {
  // Berlin, 2026-10-25: 02:00-03:00 comes twice, first in summer time (+02:00), then in winter
  // time (+01:00). Two deferrals, one in each, logged with rsyslog's RFC 3339 stamps.
  const deferral =
    'mailhost postfix/smtp[446]: AFF09186110: to=<j.smith@northwind.test>, relay=none, ' +
    'delay=0.03, delays=0.01/0.01/0/0, dsn=4.4.3, status=deferred (Host or domain name not ' +
    'found. Name service error for name=northwind.test type=MX: Host not found, try again)';
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'mxtriage-table-')), 'mail.log');
  writeFileSync(
    file,
    `2026-10-25T02:10:00.000000+02:00 ${deferral}\n2026-10-25T02:10:00.000000+01:00 ${deferral}\n`,
  );
  const envelope = { year: 2026, timeZone: 'Europe/Berlin' };
  const { analysis } = await analyseLogs([file], { envelope, windowMs: 3_600_000 });
  const table = formatTable(analysis, { top: 0, timeZone: 'Europe/Berlin' });

  t.true(
    table.startsWith('Period:    2026-10-25 02:10+02:00 – 2026-10-25 02:10+01:00 (Europe/Berlin)'),
  );
  t.regex(table, /│ 2026-10-25 02:00\+02:00–02:00\+01:00 │/);
  t.regex(table, /│ 2026-10-25 02:00\+01:00–03:00\+01:00 │/);
});

test('times carry no offset when the period has none to tell apart', async (t) => {
  const table = formatTable(await sampleAnalysis(), { top: 1, timeZone: 'Europe/Berlin' });
  t.true(table.startsWith('Period:    2026-12-03 19:32:52 – 2026-12-03 19:36:10'));
  t.regex(table, /│ 2026-12-03 19:\d\d–19:\d\d │/);
});

test('the header names the window in words and the period asked for', async (t) => {
  const { analysis } = await analyseLogs(SAMPLES.slice(0, 1), {
    envelope: { year: 2026, timeZone: 'UTC' },
    windowMs: 3_600_000,
    since: Date.parse('2026-12-03T18:34:00Z'),
    until: Date.parse('2026-12-03T18:35:00Z'),
  });
  const header = formatTable(analysis, { top: 1, timeZone: 'UTC' }).split('\n').slice(0, 5);

  // 131 delivery events in the sample, 42 of them stamped 18:34.
  t.is(header[1], 'Asked for: 2026-12-03 18:34 to 2026-12-03 18:35; 89 events outside it');
  t.regex(header[4] ?? '', /^Groups: +\d+ \(domain × cause × 1 h window\)/);
});
