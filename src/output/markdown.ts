import type { Analysis, DeliveryDelay, Group, Incident, OutcomeCounts } from '../model.js';
import { displayName, visibleControls } from '../classify/text.js';
import {
  askedForNote,
  domainLabels,
  domainRows,
  outOfOrderNote,
  unnamedExpiriesNote,
  warningsNote,
} from './notes.js';
import {
  adviseIncident,
  cleanText,
  describeDelay,
  describeIncident,
  describeVerdict,
  evidenceItems,
  incidentOutcomes,
  replyExamples,
  tellStory,
} from './advice.js';
import { timeFormat, zoneLabel, type TimeFormat } from './times.js';

export interface MarkdownOptions {
  /** IANA zone for the times shown; default the system's. */
  readonly timeZone?: string;
}

/** Rows of the affected-domains table; the rest are counted in one closing line. */
const MAX_DOMAIN_ROWS = 50;
const MAX_INCIDENTS = 20;
const MAX_NOT_UNDERSTOOD_ROWS = 10;

/**
 * An incident report to paste into a ticket: the period, what happened in one paragraph, each
 * incident with its verdict, evidence and what to do next, the affected domains and what became
 * of the deferred mail. Log text is stripped of control characters and escaped for Markdown.
 */
export function formatMarkdown(analysis: Analysis, options: MarkdownOptions = {}): string {
  const times = timeFormat(options.timeZone);
  const sections = [
    header(analysis, times, zoneLabel(options)),
    ['## What happened', '', escapeMarkdown(tellStory(analysis, times))],
    incidentsSection(analysis, times),
    domainsSection(analysis.groups),
    outcomesSection(analysis.outcomes, analysis.deliveryDelay),
    inputSection(analysis),
  ];

  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

function header(analysis: Analysis, times: TimeFormat, zone: string): string[] {
  const { summary } = analysis;
  const period =
    summary.periodStart === undefined || summary.periodEnd === undefined
      ? 'no delivery events'
      : times.range(summary.periodStart, summary.periodEnd);
  const { deferred, bounced, expired } = summary.statuses;

  return [
    '# Mail delivery incident report',
    '',
    `- **Period:** ${period}`,
    ...optional('- **Asked for:** ', askedForNote(summary, times.time)),
    `- **Times in:** ${escapeMarkdown(zone)}`,
    `- **Generated:** ${times.time(analysis.generatedAt)} by mxtriage`,
    `- **Deferred or bounced:** ${deferred + bounced + expired} attempts (${deferred} deferred, ` +
      `${bounced} bounced, ${expired} expired${unnamedExpiriesNote(summary.expiredUnnamed)}) ` +
      `to ${summary.domains} recipient domains; ` +
      `${summary.statuses.sent} delivered`,
  ];
}

/** A header line when there is something to say, none otherwise. */
function optional(label: string, text: string | undefined): string[] {
  return text === undefined ? [] : [`${label}${text}`];
}

function incidentsSection(analysis: Analysis, times: TimeFormat): string[] {
  const lines = ['## Incidents'];
  if (analysis.incidents.length === 0) {
    const { inputs, inputErrors } = analysis.summary;
    const none =
      inputErrors.length === 0
        ? 'No incident: nothing failed.'
        : inputs.length === 0
          ? 'No incident known: no input could be read.'
          : `No incident in the inputs read; ${inputErrors.length} could not be read.`;
    return [...lines, '', none];
  }
  const label = domainLabels(analysis.groups);
  analysis.incidents.slice(0, MAX_INCIDENTS).forEach((incident, index) => {
    const examples = replyExamples(incident.groups);
    lines.push('', ...incidentLines(incident, index + 1, { label, examples, times }));
  });

  const more = analysis.incidents.length - MAX_INCIDENTS;
  if (more > 0) lines.push('', `${more} smaller incidents are not shown.`);
  return lines;
}

function incidentLines(
  incident: Incident,
  number: number,
  context: {
    label: (domain: string) => string;
    examples: readonly string[];
    times: TimeFormat;
  },
): string[] {
  const { verdict } = incident;
  const { times } = context;
  const checked = verdict.checkedAt ? `, checked ${times.time(Date.parse(verdict.checkedAt))}` : '';
  const peakWindow = `${times.time(incident.peakWindowStart)}, ${incident.peakAttempts} attempts`;
  const domains = incident.domains
    .map((domain) => escapeMarkdown(context.label(domain)))
    .join(', ');

  return [
    `### ${number}. ${escapeMarkdown(describeIncident(incident))}`,
    '',
    `- **When:** ${times.range(incident.start, incident.end)}`,
    `- **Busiest window:** from ${peakWindow}`,
    `- **Attempts:** ${incident.attempts} (${incident.causes.join(', ')})`,
    `- **Messages affected:** ${incident.messages}`,
    `- **Outcomes:** ${incidentOutcomes(incident)}`,
    `- **Verdict:** ${escapeMarkdown(describeVerdict(verdict))}${checked}`,
    `- **Domains:** ${domains}`,
    '',
    ...evidenceLines(incident),
    ...replyLines(context.examples),
    '',
    '**What to do next:**',
    '',
    ...adviseIncident(incident).map((advice) => `- ${escapeMarkdown(advice)}`),
  ];
}

function replyLines(examples: readonly string[]): string[] {
  if (examples.length === 0) return [];
  const lines = examples.map((text) => `- ${escapeMarkdown(text)}`);
  return ['', '**Reply texts in the log:**', '', ...lines];
}

function evidenceLines(incident: Incident): string[] {
  const items = evidenceItems(incident.verdict).map((item) => `- ${escapeMarkdown(item)}`);
  return ['**Evidence:**', '', ...items];
}

function domainsSection(groups: readonly Group[]): string[] {
  const rows = domainRows(groups);
  const lines = [
    '## Affected domains',
    '',
    '| Domain | Causes | Deferred | Bounced | Expired | Verdict |',
    '| --- | --- | ---: | ---: | ---: | --- |',
  ];
  for (const row of rows.slice(0, MAX_DOMAIN_ROWS)) {
    const cells = [
      escapeMarkdown(row.name),
      [...row.causes].join(', '),
      row.deferred,
      row.bounced,
      row.expired,
      escapeMarkdown(describeVerdict(row.worst.verdict)),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }

  if (rows.length === 0) lines.push('| (none) | | | | | |');
  if (rows.length > MAX_DOMAIN_ROWS) {
    lines.push('', `${rows.length - MAX_DOMAIN_ROWS} more domains are in the JSON output.`);
  }

  return lines;
}

function outcomesSection(outcomes: OutcomeCounts, delay: DeliveryDelay | undefined): string[] {
  const later = delay === undefined ? '' : `, ${describeDelay(delay)}`;
  return [
    '## Message outcomes',
    '',
    'What finally happened to each deferred or bounced recipient:',
    '',
    '| Outcome | Recipients |',
    '| --- | ---: |',
    `| Delivered later${later} | ${outcomes['delivered-later']} |`,
    `| Bounced | ${outcomes.bounced} |`,
    `| Expired | ${outcomes.expired} |`,
    `| Removed from the queue without a final line | ${outcomes.removed} |`,
    `| Still queued when the log ends | ${outcomes['still-queued']} |`,
  ];
}

function inputSection(analysis: Analysis): string[] {
  const { summary } = analysis;
  const readList = summary.inputs.map((input) => escapeMarkdown(displayName(input))).join(', ');
  const lines = [
    '## Input',
    '',
    `- **Read:** ${readList || '(none)'}`,
    `- **Lines:** ${summary.linesRead} read, ${summary.events} delivery events, ` +
      `${summary.linesNotUnderstood} not understood${warningsNote(summary.inputWarnings)}`,
  ];
  const notUnderstood = Object.entries(summary.notUnderstoodBy)
    .sort(([, a], [, b]) => b - a)
    .slice(0, MAX_NOT_UNDERSTOOD_ROWS);
  if (notUnderstood.length > 0) {
    const list = notUnderstood.map(([by, count]) => `${escapeMarkdown(by)} ${count}`).join(', ');
    lines.push(`- **Not understood, by source:** ${list}`);
  }

  for (const error of summary.inputErrors) {
    const input = escapeMarkdown(displayName(error.input));
    lines.push(`- **Could not read** ${input}: ${escapeMarkdown(visibleControls(error.message))}`);
  }

  if (summary.eventsOutOfOrder > 0) lines.push(`- **Out of order:** ${outOfOrderNote(summary)}`);
  return lines;
}

/**
 * Markdown and inline HTML have no effect in the text: every character that could start
 * emphasis, code, a link, a table cell, an HTML tag or an entity is backslash-escaped
 * (CommonMark §2.4 allows it before any ASCII punctuation).
 */
export function escapeMarkdown(text: string): string {
  return cleanText(text).replace(MARKDOWN_SPECIAL, '\\$&');
}

/** An underscore inside a word cannot start emphasis (CommonMark §6.2), so it stays bare. */
const MARKDOWN_SPECIAL = /[\\`*[\]<>|~&]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu;
