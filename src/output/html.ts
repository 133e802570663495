import { CAUSES, type Analysis, type Cause, type Group, type Incident } from '../model.js';
import { displayName, visibleControls } from '../classify/text.js';
import {
  askedForNote,
  domainLabels,
  domainRows,
  outOfOrderNote,
  unnamedExpiriesNote,
  warningsNote,
  type DomainRow,
} from './notes.js';
import {
  adviseIncident,
  cleanText,
  describeIncident,
  describeOutcomes,
  describeVerdict,
  evidenceItems,
  incidentOutcomes,
  replyExamples,
  tellStory,
} from './advice.js';
import { formatDuration, timeFormat, zoneLabel, type TimeFormat } from './times.js';

export interface HtmlOptions {
  /** IANA zone for the times shown; default the system's. */
  readonly timeZone?: string;
}

/** Incidents given a section each, worst first: a page a browser can still open. */
const MAX_INCIDENTS = 100;
/** Bars per chart at most; more windows are added up into wider bars. */
const MAX_BARS = 240;
const MAX_DOMAIN_ROWS = 200;
const CHART = { width: 760, height: 180, left: 44, right: 8, top: 10, bottom: 26 } as const;

const CAUSE_COLOURS: Readonly<Record<Cause, string>> = {
  'dns-tempfail': '#d62728',
  'dns-notfound': '#8c564b',
  'dns-nodata': '#e377c2',
  'null-mx': '#7f7f7f',
  'mx-unresolvable': '#bcbd22',
  'remote-dns': '#ff7f0e',
  'sender-dns': '#9467bd',
  'remote-tempfail': '#1f77b4',
  'remote-reject': '#17becf',
  connection: '#2ca02c',
  tls: '#aec7e8',
  expired: '#393b79',
  other: '#c7c7c7',
};

/** Loads nothing, runs nothing: the page stays inert even if some text escaped escaping. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'";

/**
 * The markdown report as one self-contained page: inline styles and SVG charts, no script, no
 * external asset. Every piece of log text is stripped of control characters and HTML-escaped,
 * in text and attributes alike.
 */
export function formatHtml(analysis: Analysis, options: HtmlOptions = {}): string {
  const times = timeFormat(options.timeZone);
  const body = [
    headerSection(analysis, times, zoneLabel(options)),
    section('What happened', element('p', {}, text(tellStory(analysis, times)))),
    periodChartSection(analysis, times),
    incidentsSection(analysis, times),
    domainsSection(analysis.groups),
    section('Message outcomes', outcomesTable(analysis)),
  ];
  const head = [
    element('meta', { charset: 'utf-8' }),
    element('meta', { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }),
    element('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
    element('title', {}, 'Mail delivery incident report'),
    element('style', {}, STYLE),
  ];

  return (
    '<!DOCTYPE html>\n' +
    element('html', { lang: 'en' }, element('head', {}, ...head), element('body', {}, ...body)) +
    '\n'
  );
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 62rem;
  padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { font-weight: 600; } li { margin: .2rem 0; }
svg { max-width: 100%; height: auto; font: 11px system-ui, sans-serif; } .axis { stroke: #999; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem 1rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; }
.incident-chart .bar { fill: #d62728; } .incident-chart .bar.peak { fill: #7f1010; }
@media print { body { margin: 0; } }
`;

function headerSection(analysis: Analysis, times: TimeFormat, zone: string): string {
  const { summary } = analysis;
  const period =
    summary.periodStart === undefined || summary.periodEnd === undefined
      ? 'no delivery events'
      : times.range(summary.periodStart, summary.periodEnd);
  const { deferred, bounced, expired, sent } = summary.statuses;
  const failures =
    `${deferred + bounced + expired} attempts (${deferred} deferred, ${bounced} bounced, ` +
    `${expired} expired${unnamedExpiriesNote(summary.expiredUnnamed)}) to ${summary.domains} ` +
    `recipient domains; ${sent} delivered`;
  const input =
    `${summary.inputs.map(displayName).join(', ') || '(none)'}: ${summary.linesRead} lines read, ` +
    `${summary.linesNotUnderstood} not understood${warningsNote(summary.inputWarnings)}`;

  const askedFor = askedForNote(summary, times.time);
  const asked = askedFor === undefined ? [] : [['Asked for', text(askedFor)] as const];
  const unread = summary.inputErrors.map((error): [string, string] => [
    'Could not read',
    text(`${displayName(error.input)}: ${visibleControls(error.message)}`),
  ]);

  return element(
    'header',
    {},
    element('h1', {}, 'Mail delivery incident report'),
    definitions([
      ['Period', text(period)],
      ...asked,
      ['Times in', text(zone)],
      ['Generated', text(`${times.time(analysis.generatedAt)} by mxtriage`)],
      ['Deferred or bounced', text(failures)],
      ['Input', text(input)],
      ...unread,
      ...(summary.eventsOutOfOrder > 0
        ? [['Out of order', text(outOfOrderNote(summary))] as const]
        : []),
    ]),
  );
}

function section(title: string, ...content: string[]): string {
  return element('section', {}, element('h2', {}, text(title)), ...content);
}

/** Deferrals over the whole period, one stacked bar per window, one colour per cause. */
function periodChartSection(analysis: Analysis, times: TimeFormat): string {
  const title = 'Deferrals over the period';
  const deferring = analysis.groups.filter((group) => group.statuses.deferred > 0);
  if (deferring.length === 0) return section(title, element('p', {}, 'No deferrals.'));
  const series = bucketSeries(deferring, analysis.summary.windowMs, (group) => ({
    [group.cause]: group.statuses.deferred,
  }));
  const causes = CAUSES.filter((cause) => deferring.some((group) => group.cause === cause));
  const legend = causes.map((cause) =>
    element(
      'li',
      {},
      element('span', { class: 'swatch', style: `background:${CAUSE_COLOURS[cause]}` }),
      cause,
    ),
  );

  return section(
    title,
    barChart(series, causes, {
      className: 'period-chart',
      title: 'Deferrals per window by cause',
      times,
    }),
    element('ul', { class: 'legend' }, ...legend),
  );
}

function incidentsSection(analysis: Analysis, times: TimeFormat): string {
  if (analysis.incidents.length === 0) return section('Incidents', element('p', {}, 'None.'));
  const shown = analysis.incidents.slice(0, MAX_INCIDENTS);
  const { windowMs } = analysis.summary;
  const articles = shown.map((incident, index) =>
    incidentArticle(incident, index + 1, { windowMs, times }),
  );
  const hidden = analysis.incidents.length - shown.length;
  const note =
    hidden === 0
      ? []
      : [
          element(
            'p',
            {},
            text(`${hidden} smaller incidents not shown (--format ndjson lists all).`),
          ),
        ];
  return section('Incidents', ...articles, ...note);
}

function incidentArticle(
  incident: Incident,
  number: number,
  context: { windowMs: number; times: TimeFormat },
): string {
  const { verdict } = incident;
  const { times } = context;
  const checked = verdict.checkedAt ? `, checked ${times.time(Date.parse(verdict.checkedAt))}` : '';
  const busiest = `from ${times.time(incident.peakWindowStart)}, ${incident.peakAttempts} attempts`;
  const groups = incident.groups;
  const advice = adviseIncident(incident).map((line) => element('li', {}, text(line)));

  return element(
    'article',
    { class: 'incident', id: `incident-${number}` },
    element('h3', {}, text(`${number}. ${describeIncident(incident)}`)),
    definitions([
      ['When', text(times.range(incident.start, incident.end))],
      ['Busiest window', text(busiest)],
      ['Attempts', text(`${incident.attempts} (${incident.causes.join(', ')})`)],
      ['Messages affected', String(incident.messages)],
      ['Outcomes', text(incidentOutcomes(incident))],
      ['Verdict', element('span', { class: 'verdict' }, text(describeVerdict(verdict) + checked))],
      ['Domains', text(incident.domains.map(domainLabels(groups)).join(', '))],
    ]),
    incidentChart(incident, context),
    element('h4', {}, 'Evidence'),
    evidenceList(incident),
    ...replyList(replyExamples(groups)),
    element('h4', {}, 'What to do next'),
    element('ul', { class: 'advice' }, ...advice),
  );
}

/** Attempts per window over the incident, with a quiet window either side for context. */
function incidentChart(
  incident: Incident,
  context: { windowMs: number; times: TimeFormat },
): string {
  const { groups } = incident;
  if (groups.length === 0) return '';
  const attempts = (group: Group) => ({ attempts: group.attempts });
  const series = bucketSeries(groups, context.windowMs, attempts, 1);
  return barChart(series, ['attempts'], {
    className: 'incident-chart',
    title: 'Attempts per window',
    peak: incident.peakWindowStart,
    times: context.times,
  });
}

function replyList(examples: readonly string[]): string[] {
  if (examples.length === 0) return [];
  const items = examples.map((example) => element('li', {}, element('code', {}, text(example))));
  return [
    element('h4', {}, 'Reply texts in the log'),
    element('ul', { class: 'replies' }, ...items),
  ];
}

function evidenceList(incident: Incident): string {
  const items = evidenceItems(incident.verdict).map((item) => element('li', {}, text(item)));
  return element('ul', { class: 'evidence' }, ...items);
}

function domainsSection(groups: readonly Group[]): string {
  const sorted = domainRows(groups);
  const header = ['Domain', 'Causes', 'Deferred', 'Bounced', 'Expired', 'Verdict', 'Example reply'];
  const hidden = sorted.length - MAX_DOMAIN_ROWS;
  return section(
    'Affected domains',
    table(header, sorted.slice(0, MAX_DOMAIN_ROWS).map(domainCells)),
    ...(hidden > 0
      ? [element('p', {}, text(`${hidden} more domains are in the JSON output.`))]
      : []),
  );
}

function domainCells(row: DomainRow): string[] {
  const { verdict, examples } = row.worst;
  return [
    cell(text(row.name)),
    cell(text([...row.causes].join(', '))),
    number(row.deferred),
    number(row.bounced),
    number(row.expired),
    cell(text(describeVerdict(verdict))),
    cell(element('code', {}, text(examples[0] ?? ''))),
  ];
}

function outcomesTable(analysis: Analysis): string {
  const outcomes = analysis.outcomes;
  const rows = [
    [cell('Delivered later'), number(outcomes['delivered-later'])],
    [cell('Bounced'), number(outcomes.bounced)],
    [cell('Expired'), number(outcomes.expired)],
    [cell('Removed from the queue without a final line'), number(outcomes.removed)],
    [cell('Still queued when the log ends'), number(outcomes['still-queued'])],
  ];

  return (
    element('p', {}, text(describeOutcomes(outcomes, analysis.deliveryDelay))) +
    table(['Outcome', 'Recipients'], rows)
  );
}

/** Counts per bar, by series name; bars cover whole windows, several when there are many. */
interface Series {
  readonly start: number;
  readonly windowMs: number;
  readonly barMs: number;
  readonly bars: ReadonlyMap<number, Readonly<Record<string, number>>>;
  readonly count: number;
}

function bucketSeries(
  groups: readonly Group[],
  windowMs: number,
  valuesOf: (group: Group) => Record<string, number>,
  margin = 0,
): Series {
  const first =
    groups.reduce((min, group) => Math.min(min, group.windowStart), Infinity) - margin * windowMs;
  const last =
    groups.reduce((max, group) => Math.max(max, group.windowStart), -Infinity) + margin * windowMs;
  const windows = Math.floor((last - first) / windowMs) + 1;
  const barMs = windowMs * Math.ceil(windows / MAX_BARS);
  const bars = new Map<number, Record<string, number>>();
  for (const group of groups) {
    const index = Math.floor((group.windowStart - first) / barMs);
    const bar = bars.get(index) ?? {};
    for (const [name, value] of Object.entries(valuesOf(group))) {
      bar[name] = (bar[name] ?? 0) + value;
    }

    bars.set(index, bar);
  }

  return {
    start: first,
    windowMs,
    barMs,
    bars,
    count: Math.floor((last - first) / barMs) + 1,
  };
}

interface ChartOptions {
  readonly className: string;
  readonly title: string;
  /** Start of the window to mark as the peak. */
  readonly peak?: number;
  readonly times: TimeFormat;
}

/** An inline SVG bar chart: one `rect.bar` per non-empty value per bar, stacked in order. */
function barChart(series: Series, names: readonly string[], options: ChartOptions): string {
  const end = series.start + series.count * series.barMs;
  const bottom = CHART.height - CHART.bottom;
  let max = 1;
  for (const bar of series.bars.values()) max = Math.max(max, sum(Object.values(bar)));
  const { times } = options;
  const title =
    `${options.title}, ${times.time(series.start)} to ${times.time(end)}, ` +
    `bars of ${formatDuration(series.barMs)}`;

  return element(
    'svg',
    {
      class: options.className,
      role: 'img',
      viewBox: `0 0 ${CHART.width} ${CHART.height}`,
      width: CHART.width,
      height: CHART.height,
      xmlns: 'http://www.w3.org/2000/svg',
    },
    element('title', {}, text(title)),
    element('line', { class: 'axis', x1: CHART.left, y1: bottom, x2: CHART.width, y2: bottom }),
    element('line', { class: 'axis', x1: CHART.left, y1: CHART.top, x2: CHART.left, y2: bottom }),
    label(CHART.left - 4, CHART.top + 8, String(max), 'end'),
    label(CHART.left - 4, bottom, '0', 'end'),
    label(CHART.left, CHART.height - 8, times.time(series.start), 'start'),
    label(CHART.width - CHART.right, CHART.height - 8, times.time(end), 'end'),
    ...barRects(series, names, max, options),
  );
}

function barRects(
  series: Series,
  names: readonly string[],
  max: number,
  { peak, times }: ChartOptions,
): string[] {
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const barWidth = (CHART.width - CHART.left - CHART.right) / series.count;
  const rects: string[] = [];
  for (const [index, bar] of series.bars) {
    const barStart = series.start + index * series.barMs;
    const isPeak = peak !== undefined && peak >= barStart && peak < barStart + series.barMs;
    let top = CHART.top + plotHeight;
    for (const name of names) {
      const value = bar[name] ?? 0;
      if (value === 0) continue;
      const height = (value / max) * plotHeight;
      top -= height;
      const rect = {
        class: isPeak ? 'bar peak' : 'bar',
        'data-series': name,
        x: round(CHART.left + index * barWidth),
        y: round(top),
        width: round(Math.max(1, barWidth - 1)),
        height: round(height),
        fill: CAUSE_COLOURS[name as Cause],
      };
      // A bar can hold several windows when there are many: the tooltip says which span.
      const span =
        series.barMs === series.windowMs ? '' : ` (${formatDuration(series.barMs)} from there)`;
      const what = name === 'attempts' && value === 1 ? 'attempt' : name;
      const tooltip = `${times.time(barStart)}${span}: ${value} ${what}`;
      rects.push(element('rect', rect, element('title', {}, text(tooltip))));
    }
  }

  return rects;
}

function label(x: number, y: number, content: string, anchor: 'start' | 'end'): string {
  return element('text', { x, y, 'text-anchor': anchor }, text(content));
}

function definitions(rows: readonly (readonly [string, string])[]): string {
  return element(
    'dl',
    {},
    ...rows.flatMap(([term, html]) => [element('dt', {}, text(term)), element('dd', {}, html)]),
  );
}

/** A table of `<td>` rows under a plain-text header. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = element('tr', {}, ...header.map((title) => element('th', {}, text(title))));
  const body = rows.map((cells) => element('tr', {}, ...cells));
  return element('table', {}, element('thead', {}, head), element('tbody', {}, ...body));
}

function cell(html: string): string {
  return element('td', {}, html);
}

function number(value: number): string {
  return element('td', { class: 'n' }, String(value));
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

type Attributes = Readonly<Record<string, string | number | undefined>>;

/** Elements without content; written `<line/>`, as SVG inside HTML needs (HTML §13.2.6.5). */
const VOID_ELEMENTS = new Set(['meta', 'line']);

/** An element with escaped attribute values; `children` must already be HTML. */
function element(name: string, attributes: Attributes, ...children: string[]): string {
  const attributeText = Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}="${text(String(value))}"`)
    .join('');
  if (VOID_ELEMENTS.has(name)) return `<${name}${attributeText}/>`;
  const separator = children.length > 1 ? '\n' : '';
  return `<${name}${attributeText}>${separator}${children.join('\n')}${separator}</${name}>`;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for an HTML text node or a quoted attribute value. */
function text(value: string): string {
  return cleanText(value).replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}
