import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { escapeMarkdown, formatMarkdown } from '../../src/output/markdown.js';
import { HOSTILE_TEXTS, labAnalysis } from './helpers.js';

const GOLDEN = new URL('../golden/report.md', import.meta.url);
/** The golden report is in UTC, whatever the machine's zone. */
const UTC = { timeZone: 'UTC' };

function sectionOf(report: string, title: string): string {
  const start = report.indexOf(`\n## ${title}\n`);
  const end = report.indexOf('\n## ', start + 1);
  return report.slice(start, end < 0 ? undefined : end);
}

test('the lab report matches the golden file', (t) => {
  const report = formatMarkdown(labAnalysis(), UTC);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, report);

  t.is(report, readFileSync(GOLDEN, 'utf8'));
});

test('the report opens with the period and what happened in one paragraph', (t) => {
  const report = formatMarkdown(labAnalysis(), UTC);
  const happened = sectionOf(report, 'What happened').trim().split('\n\n');

  t.true(report.startsWith('# Mail delivery incident report\n'));
  t.regex(report, /- \*\*Period:\*\* 2026-12-03 18:32:52 to 18:37:20 UTC \(4 min 28 s\)\n/);
  t.is(happened.length, 2);
  t.regex(happened[1]!, /^From 2026-12-03 18:32:52 .* incidents\. The worst, /);
});

test('incidents come worst first with verdict, evidence and what to do next', (t) => {
  const report = formatMarkdown(labAnalysis(), UTC);
  const headings = [...report.matchAll(/^### (\d+)\. (.*)$/gm)].map((match) => match[2]);

  t.deepEqual(headings.slice(0, 5), [
    'our local resolver, 5 domains: DNS failures',
    'northwind.test: DNS failures',
    'contoso.test: DNS failures',
    'proseware.test: remote server deferrals and rejections',
    'margie.test: connection failures',
  ]);
  const northwind = report.slice(report.indexOf('### 2.'), report.indexOf('### 3.'));
  t.regex(northwind, /- \*\*Verdict:\*\* the recipient domain's DNS servers \(unreachable\)/);
  t.regex(northwind, /- authoritative server 127\.0\.3\.2:53 \(ns2\.northwind\.test\) asked/);
  t.regex(northwind, /- \*\*Outcomes:\*\* 0 delivered later, 0 bounced, 2 expired, 1 still/);
  t.regex(northwind, /Failing name servers: ns1\.northwind\.test \(127\.0\.3\.1:53\): timeout/);
  const local = report.slice(report.indexOf('### 1.'), report.indexOf('### 2.'));
  t.regex(local, /- \*\*Domains:\*\* fourthcoffee\.test, woodgrove\.test, sender\.test, margie/);
  t.regex(local, /The local resolver 127\.0\.0\.1:53 did not answer/);
});

test('affected domains and message outcomes are tables with the counts', (t) => {
  const report = formatMarkdown(labAnalysis(), UTC);
  const domains = sectionOf(report, 'Affected domains');
  const outcomes = sectionOf(report, 'Message outcomes');

  t.is(
    domains.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| -')).length,
    13,
  );
  t.regex(domains, /\| northwind\.test \| dns-tempfail, expired \| 18 \| 0 \| 3 \| the recipient/);
  t.regex(outcomes, /\| Delivered later, after 42 s on average, 49 s at most \| 4 \|/);
  t.regex(outcomes, /\| Still queued when the log ends \| 2 \|/);
});

test('hostile reply texts are escaped so they render as text', (t) => {
  const report = formatMarkdown(labAnalysis({ examples: HOSTILE_TEXTS }), UTC);

  for (const hostile of HOSTILE_TEXTS) t.true(report.includes(`- ${escapeMarkdown(hostile)}\n`));
  t.true(report.includes('\\<script\\>window.\\_\\_pwned = 1\\</script\\>'));
  t.false(/(?<!\\)[<>]/.test(report));
  t.false(/[\x00-\x08\x0b-\x1f\x7f]/.test(report));
});

test('markdown escaping covers what could start markup, a tag, a cell or an entity', (t) => {
  t.is(
    escapeMarkdown('<script>x</script> *a* `b` [c](d) | e & f ~g~ _h_ snake_case'),
    '\\<script\\>x\\</script\\> \\*a\\* \\`b\\` \\[c\\](d) \\| e \\& f \\~g\\~ \\_h\\_ snake_case',
  );
  t.is(escapeMarkdown('a\nb\x1b[1m c'), 'a b c');
});

test('a report of an empty input says there was nothing', (t) => {
  const analysis = labAnalysis();
  const { periodStart: _start, periodEnd: _end, ...summary } = analysis.summary;
  const report = formatMarkdown({ ...analysis, summary, groups: [], incidents: [] }, UTC);

  t.regex(report, /- \*\*Period:\*\* no delivery events/);
  t.regex(report, /No incident: nothing failed\./);
  t.regex(report, /\| \(none\) \|/);
});

test('the report shows its times in --timezone, each with its offset', (t) => {
  const report = formatMarkdown(labAnalysis(), { timeZone: 'Europe/Berlin' });
  t.true(report.includes('- **Times in:** Europe/Berlin'));
  // The lab ran from 18:32:52 to 18:37:20 UTC: in Berlin an hour later, in winter time.
  t.regex(report, /- \*\*Period:\*\* 2026-12-03 19:32:52 to 19:3\d:\d\d \+01:00 \(/);
  t.false(report.includes(' UTC'), 'no time of the report is left in UTC');
});

test('a report of a period asked for says so, and what fell outside it', (t) => {
  const analysis = labAnalysis();
  const summary = { ...analysis.summary, since: Date.parse('2026-12-03T18:34:00Z') };
  const report = formatMarkdown(
    { ...analysis, summary: { ...summary, eventsOutsidePeriod: 1 } },
    UTC,
  );

  t.regex(report, /^- \*\*Asked for:\*\* 2026-12-03 18:34:00 UTC to the end; 1 event outside it$/m);
  t.false(formatMarkdown(analysis, UTC).includes('Asked for'));
});
