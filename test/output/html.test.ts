import test from 'ava';
import { chromium, type Browser } from 'playwright-core';
import { buildIncidents, createOutcomeTally } from '../../src/group/incidents.js';
import type { Analysis, Verdict } from '../../src/model.js';
import { formatHtml } from '../../src/output/html.js';
import { makeGroup } from '../group/helpers.js';
import { requireProgram } from '../helpers/programs.js';
import { HOSTILE_TEXTS, labAnalysis } from './helpers.js';

const HOUR = 3_600_000;

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const hasChromium = requireProgram(test, CHROMIUM, 'chromium');
const browserTest = hasChromium ? test.serial : test.skip;

let browser: Browser | undefined;

test.before(async () => {
  if (hasChromium)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

test.after.always(async () => {
  await browser?.close();
});

/** Loads the report into a fresh page; every request it makes is recorded and refused. */
async function openReport(analysis: Analysis) {
  const context = await browser!.newContext({ offline: true });
  const page = await context.newPage();
  const requests: string[] = [];
  await context.route('**/*', async (route) => {
    requests.push(route.request().url());
    await route.abort();
  });
  page.on('request', (request) => requests.push(request.url()));
  await page.setContent(formatHtml(analysis), { waitUntil: 'load' });
  return { page, requests, close: () => context.close() };
}

browserTest('the report renders with a chart of deferrals by cause over the period', async (t) => {
  const analysis = labAnalysis();
  const { page, requests, close } = await openReport(analysis);

  t.is(await page.title(), 'Mail delivery incident report');
  t.is(await page.locator('h1').textContent(), 'Mail delivery incident report');
  t.is(await page.locator('svg.period-chart').count(), 1);
  // 5-minute windows 18:30 and 18:35; deferrals by dns-tempfail, connection, remote-tempfail.
  const bars = await page
    .locator('svg.period-chart rect.bar')
    .evaluateAll((rects) => rects.map((rect) => rect.getAttribute('data-series')));
  t.deepEqual(bars.sort(), [
    'connection',
    'connection',
    'dns-tempfail',
    'dns-tempfail',
    'remote-tempfail',
    'remote-tempfail',
  ]);
  const box = await page.locator('svg.period-chart').boundingBox();
  t.true(box !== null && box.width > 100 && box.height > 50);
  t.deepEqual(requests, []);
  await close();
});

browserTest('every incident has its own timeline with one bar per window', async (t) => {
  const analysis = labAnalysis();
  const { page, requests, close } = await openReport(analysis);
  const incidents = page.locator('article.incident');

  t.is(await incidents.count(), analysis.incidents.length);
  const barsPerIncident = await incidents.evaluateAll((articles) =>
    articles.map((article) => article.querySelectorAll('svg.incident-chart rect.bar').length),
  );
  t.deepEqual(barsPerIncident.slice(0, 5), [1, 2, 2, 2, 2]);
  t.is(await incidents.nth(1).locator('rect.bar.peak').count(), 1);
  t.regex((await incidents.nth(1).locator('h3').textContent()) ?? '', /northwind\.test/);
  t.regex(
    (await incidents.nth(1).locator('.advice').textContent()) ?? '',
    /Failing name servers: ns1\.northwind\.test/,
  );
  t.deepEqual(requests, []);
  await close();
});

browserTest('hostile reply texts show as literal text and run nothing', async (t) => {
  const { page, requests, close } = await openReport(labAnalysis({ examples: HOSTILE_TEXTS }));
  const replies = await page.locator('ul.replies code').allTextContents();

  t.true(replies.includes(HOSTILE_TEXTS[0]!));
  t.true(replies.includes(HOSTILE_TEXTS[1]!));
  t.true(replies.includes('451 4.3.0 RED  busy | **bold** [link](http://127.0.0.1/)'));
  t.is(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned), undefined);
  t.is(await page.locator('script, img, iframe, object, embed').count(), 0);
  t.false((await page.content()).includes('\x1b'));
  t.deepEqual(requests, []);
  await close();
});

browserTest('hostile domain names and verdict reasons stay text, in attributes too', async (t) => {
  const analysis = labAnalysis();
  const hostileDomain = '"><svg onload="window.__pwned=3">.test';
  const groups = analysis.groups.map((group) =>
    group.domain === 'wingtip.test'
      ? {
          ...group,
          domainDisplay: hostileDomain,
          verdict: { ...group.verdict, reason: '<b onmouseover="window.__pwned=4">x</b>' },
        }
      : group,
  );
  const incidents = analysis.incidents.map((incident) =>
    incident.domains[0] === 'wingtip.test'
      ? {
          ...incident,
          domains: [hostileDomain],
          verdict: groups.find((g) => g.domain === 'wingtip.test')!.verdict,
        }
      : incident,
  );
  const { page, close } = await openReport({ ...analysis, groups, incidents });
  const text = (await page.locator('body').textContent()) ?? '';

  // Shown quoted, as every name that is no plain domain name is.
  t.true(text.includes(JSON.stringify(hostileDomain)));
  t.true(text.includes('<b onmouseover="window.__pwned=4">x</b>'));
  t.is(await page.locator('svg svg, b, [onload], [onmouseover]').count(), 0);
  t.is(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned), undefined);
  await close();
});

test('the page is self-contained: no script, no external reference, a policy against both', (t) => {
  const html = formatHtml(labAnalysis({ examples: HOSTILE_TEXTS }));

  t.false(/<script|<link|<img|<iframe|@import|url\(/i.test(html));
  t.false(/\s(?:src|href)=/i.test(formatHtml(labAnalysis())));
  t.regex(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
  t.true(html.includes('&lt;script&gt;window.__pwned = 1&lt;/script&gt;'));
  t.true(html.includes('&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;'));
});

test('a long period is drawn with wider bars, never more than a few hundred', (t) => {
  const analysis = labAnalysis();
  const week = Array.from({ length: 7 * 288 }, (_, index) => ({
    ...analysis.groups[0]!,
    windowStart: analysis.groups[0]!.windowStart + index * 5 * 60_000,
    windowEnd: analysis.groups[0]!.windowEnd + index * 5 * 60_000,
  }));
  const html = formatHtml({ ...analysis, groups: week, incidents: [] });
  const bars = html.match(/<rect class="bar"/g) ?? [];

  t.true(bars.length > 100 && bars.length <= 240, String(bars.length));
  t.regex(html, /bars of 45 min/);
});

test('the header names each input that could not be read, escaped', (t) => {
  const analysis = labAnalysis();
  const html = formatHtml({
    ...analysis,
    summary: {
      ...analysis.summary,
      inputErrors: [
        { input: '/var/log/<b>mail.log.1', message: 'No such file: /var/log/<b>mail.log.1' },
      ],
    },
  });

  t.regex(html, /<dt>Could not read<\/dt>\s*<dd>\/var\/log\/&lt;b&gt;mail\.log\.1: No such file/);
  t.notRegex(html, /<b>mail/);
});

test("each incident's chart shows its own groups, not an expiry that closed another incident", (t) => {
  const lean: Verdict = { kind: 'recovered', detail: 'local-resolver', basis: ['breadth'] };
  const hour = '2026-12-03T18:00:00Z';
  const groups = [
    makeGroup('fourthcoffee.test', 'dns-tempfail', hour, { attempts: 5, verdict: lean }),
    makeGroup('margie.test', 'dns-tempfail', hour, { attempts: 4, verdict: lean }),
    makeGroup('margie.test', 'connection', hour, { attempts: 14 }),
    makeGroup('margie.test', 'expired', hour, { attempts: 2 }),
  ];
  const analysis = labAnalysis();
  const incidents = buildIncidents(groups, createOutcomeTally(HOUR), HOUR);
  const html = formatHtml({ ...analysis, groups, incidents });
  const articles = html.split('<article class="incident"').slice(1);

  t.deepEqual(
    incidents.map((incident) => [incident.causeFamily, incident.peakAttempts]),
    [
      ['connection', 16],
      ['dns', 9],
    ],
  );
  articles.forEach((article, index) => {
    const peak = /<rect class="bar peak"[^>]*><title>[^<]*: (\d+) attempts<\/title>/.exec(article);
    t.is(Number(peak?.[1]), incidents[index]!.peakAttempts);
  });
});

test('a page of many incidents shows the worst hundred and says how many more there are', (t) => {
  const hours = Array.from({ length: 130 }, (_, index) => index);
  const groups = hours.map((hour) =>
    makeGroup(
      `d${hour}.test`,
      'dns-tempfail',
      new Date(Date.UTC(2026, 11, 1) + hour * HOUR).toISOString(),
    ),
  );
  const incidents = buildIncidents(groups, createOutcomeTally(HOUR), HOUR);
  const html = formatHtml({ ...labAnalysis(), groups, incidents });

  t.is(incidents.length, 130);
  t.is(html.split('<article class="incident"').length - 1, 100);
  t.regex(html, /30 smaller incidents not shown \(--format ndjson lists all\)\./);
});

test('a page of many domains lists the worst two hundred and says how many more there are', (t) => {
  const groups = Array.from({ length: 230 }, (_, index) =>
    makeGroup(`d${index}.test`, 'dns-tempfail', '2026-12-01T10:00:00Z'),
  );
  const html = formatHtml({ ...labAnalysis(), groups });
  const table = html.slice(html.indexOf('<h2>Affected domains</h2>'));

  t.is(table.slice(0, table.indexOf('</table>')).split('<tr>').length - 2, 200);
  t.regex(table, /<p>30 more domains are in the JSON output\.<\/p>/);
});

test('the header says when inputs went back in time, as the other reports do', (t) => {
  const analysis = labAnalysis();
  const html = formatHtml({ ...analysis, summary: { ...analysis.summary, eventsOutOfOrder: 817 } });

  t.regex(
    html,
    /<dt>Out of order<\/dt>\n<dd>817 delivery events came after their window had closed/,
  );
});
