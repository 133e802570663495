import type { Analysis, DeliveryDelay, Group, Incident, OutcomeCounts } from '../model.js';
import {
  domainLabel,
  domainLabels,
  outOfOrderNote,
  unnamedExpiriesNote,
  warningsNote,
} from './notes.js';
import {
  adviseIncident,
  cleanText,
  describeIncident,
  describeProbe,
  describeVerdict,
  evidenceProbes,
  formatDuration,
  formatRange,
  formatTime,
  moreQueries,
  replyExamples,
  tellStory,
} from './advice.js';

/** Rows of the affected-domains table; the rest are counted in one closing line. */
const MAX_DOMAIN_ROWS = 50;
const MAX_INCIDENTS = 20;
const MAX_NOT_UNDERSTOOD_ROWS = 10;

/**
 * An incident report to paste into a ticket: the period, what happened in one paragraph, each
 * incident with its verdict, evidence and what to do next, the affected domains and what became
 * of the deferred mail. Log text is stripped of control characters and escaped for Markdown.
 */
export function formatMarkdown(analysis: Analysis): string {
  const sections = [
    header(analysis),
    ['## What happened', '', escapeMarkdown(tellStory(analysis))],
    incidentsSection(analysis),
    domainsSection(analysis.groups),
    outcomesSection(analysis.outcomes, analysis.deliveryDelay),
    inputSection(analysis),
  ];

  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

function header(analysis: Analysis): string[] {
  const { summary } = analysis;
  const period =
    summary.periodStart === undefined || summary.periodEnd === undefined
      ? 'no delivery events'
      : formatRange(summary.periodStart, summary.periodEnd);
  const { deferred, bounced, expired } = summary.statuses;

  return [
    '# Mail delivery incident report',
    '',
    `- **Period:** ${period}`,
    `- **Generated:** ${formatTime(analysis.generatedAt)} by mxtriage`,
    `- **Deferred or bounced:** ${deferred + bounced + expired} attempts (${deferred} deferred, ` +
      `${bounced} bounced, ${expired} expired${unnamedExpiriesNote(summary.expiredUnnamed)}) ` +
      `to ${summary.domains} recipient domains; ` +
      `${summary.statuses.sent} delivered`,
  ];
}

function incidentsSection(analysis: Analysis): string[] {
  const lines = ['## Incidents'];
  if (analysis.incidents.length === 0) return [...lines, '', 'No incident: nothing failed.'];
  const label = domainLabels(analysis.groups);
  analysis.incidents.slice(0, MAX_INCIDENTS).forEach((incident, index) => {
    const examples = replyExamples(incident.groups);
    lines.push('', ...incidentLines(incident, index + 1, { label, examples }));
  });

  const more = analysis.incidents.length - MAX_INCIDENTS;
  if (more > 0) lines.push('', `${more} smaller incidents are not shown.`);
  return lines;
}

function incidentLines(
  incident: Incident,
  number: number,
  context: { label: (domain: string) => string; examples: readonly string[] },
): string[] {
  const verdict = incident.verdict;
  const checked = verdict.checkedAt ? `, checked ${formatTime(Date.parse(verdict.checkedAt))}` : '';
  const peakWindow = `${formatTime(incident.peakWindowStart)}, ${incident.peakAttempts} attempts`;
  const domains = incident.domains
    .map((domain) => escapeMarkdown(context.label(domain)))
    .join(', ');

  return [
    `### ${number}. ${escapeMarkdown(describeIncident(incident))}`,
    '',
    `- **When:** ${formatRange(incident.start, incident.end)}`,
    `- **Busiest window:** from ${peakWindow}`,
    `- **Attempts:** ${incident.attempts} (${incident.causes.join(', ')})`,
    `- **Messages affected:** ${incident.messages}`,
    `- **Outcomes:** ${outcomeList(incident.outcomes, incident.deliveryDelay)}`,
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
  const verdict = incident.verdict;
  const probes = evidenceProbes(verdict);
  const lines = ['**Evidence:**', ''];
  if (verdict.reason) lines.push(`- ${escapeMarkdown(verdict.reason)}`);
  if (verdict.basis?.length) lines.push(`- Based on: ${escapeMarkdown(verdict.basis.join(', '))}`);
  for (const probe of probes) lines.push(`- ${escapeMarkdown(describeProbe(probe))}`);
  const more = (verdict.probes?.length ?? 0) - probes.length;
  if (more > 0) lines.push(`- ${moreQueries(more)}`);
  if (lines.length === 2) lines.push('- The log alone: no DNS re-check was made for this incident');
  return lines;
}

function outcomeList(outcomes: OutcomeCounts, delay: DeliveryDelay | undefined): string {
  const later = delay === undefined ? '' : ` (${delayText(delay)})`;
  return (
    `${outcomes['delivered-later']} delivered later${later}, ${outcomes.bounced} bounced, ` +
    `${outcomes.expired} expired, ${outcomes['still-queued']} still queued`
  );
}

function delayText(delay: DeliveryDelay): string {
  return `after ${formatDuration(delay.meanMs)} on average, ${formatDuration(delay.maxMs)} at most`;
}

/** One row per recipient domain: its failures over the whole period, worst first. */
interface DomainRow {
  readonly name: string;
  readonly causes: Set<string>;
  deferred: number;
  bounced: number;
  expired: number;
  worst: Group;
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
    lines.push(
      `| ${row.name} | ${[...row.causes].join(', ')} | ${row.deferred} | ${row.bounced} | ` +
        `${row.expired} | ${escapeMarkdown(describeVerdict(row.worst.verdict))} |`,
    );
  }

  if (rows.length === 0) lines.push('| (none) | | | | | |');
  if (rows.length > MAX_DOMAIN_ROWS) {
    lines.push('', `${rows.length - MAX_DOMAIN_ROWS} more domains are in the JSON output.`);
  }

  return lines;
}

function domainRows(groups: readonly Group[]): DomainRow[] {
  const rows = new Map<string, DomainRow>();
  for (const group of groups) {
    let row = rows.get(group.domain);
    if (row === undefined) {
      const name = escapeMarkdown(domainLabel(group));
      row = { name, causes: new Set(), deferred: 0, bounced: 0, expired: 0, worst: group };
      rows.set(group.domain, row);
    }

    row.causes.add(group.cause);
    row.deferred += group.statuses.deferred;
    row.bounced += group.statuses.bounced;
    row.expired += group.statuses.expired;
    if (group.attempts > row.worst.attempts) row.worst = group;
  }

  return [...rows.values()].sort(
    (a, b) => failures(b) - failures(a) || a.name.localeCompare(b.name),
  );
}

function failures(row: DomainRow): number {
  return row.deferred + row.bounced + row.expired;
}

function outcomesSection(outcomes: OutcomeCounts, delay: DeliveryDelay | undefined): string[] {
  const later = delay === undefined ? '' : `, ${delayText(delay)}`;
  return [
    '## Message outcomes',
    '',
    'What finally happened to each deferred recipient:',
    '',
    '| Outcome | Recipients |',
    '| --- | ---: |',
    `| Delivered later${later} | ${outcomes['delivered-later']} |`,
    `| Bounced | ${outcomes.bounced} |`,
    `| Expired | ${outcomes.expired} |`,
    `| Still queued when the log ends | ${outcomes['still-queued']} |`,
  ];
}

function inputSection(analysis: Analysis): string[] {
  const { summary } = analysis;
  const lines = [
    '## Input',
    '',
    `- **Read:** ${summary.inputs.map(escapeMarkdown).join(', ') || '(none)'}`,
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
    lines.push(
      `- **Could not read** ${escapeMarkdown(error.input)}: ${escapeMarkdown(error.message)}`,
    );
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
