import { VERDICT_KINDS, type Analysis, type Cause, type Group } from '../model.js';
import { domainNameLabel } from './notes.js';
import { cleanText } from './advice.js';

/** One metric family: name, help text, and its samples as label sets and values. */
interface Family {
  readonly name: string;
  readonly help: string;
  readonly samples: readonly Sample[];
}

interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * The Prometheus text exposition format (version 0.0.4) for node_exporter's textfile collector.
 * Every family is a gauge: each run describes its own period, so values are not monotonic
 * counters. Label values are escaped as the format requires (backslash, double quote, newline)
 * and stripped of other control characters.
 */
export function formatPrometheus(analysis: Analysis): string {
  const families = [
    ...attemptFamilies(analysis.groups),
    verdictFamily(analysis.groups),
    {
      name: 'mxtriage_incidents',
      help: 'Incidents found in the analysed period.',
      samples: [{ labels: {}, value: analysis.incidents.length }],
    },
    outcomeFamily(analysis),
    ...lineFamilies(analysis),
    ...timeFamilies(analysis),
  ];

  return families.map(formatFamily).join('');
}

function attemptFamilies(groups: readonly Group[]): Family[] {
  const totals = new Map<string, { domain: string; cause: Cause; counts: Group['statuses'] }>();
  for (const group of groups) {
    const key = `${group.domain} ${group.cause}`;
    const total = totals.get(key) ?? {
      domain: group.domain,
      cause: group.cause,
      counts: { sent: 0, deferred: 0, bounced: 0, expired: 0 },
    };
    for (const status of ['deferred', 'bounced', 'expired'] as const) {
      total.counts[status] += group.statuses[status];
    }

    totals.set(key, total);
  }

  const rows = [...totals.values()].sort(
    (a, b) => a.domain.localeCompare(b.domain) || a.cause.localeCompare(b.cause),
  );
  const family = (name: string, help: string, status: 'deferred' | 'bounced' | 'expired') => ({
    name,
    help,
    samples: rows
      .filter((row) => row.counts[status] > 0)
      .map((row) => ({
        labels: { domain: domainNameLabel(row.domain, undefined), cause: row.cause },
        value: row.counts[status],
      })),
  });

  return [
    family(
      'mxtriage_deferrals',
      'Deferred delivery attempts by recipient domain and cause.',
      'deferred',
    ),
    family(
      'mxtriage_bounces',
      'Bounced delivery attempts by recipient domain and cause.',
      'bounced',
    ),
    family(
      'mxtriage_expirations',
      'Expired delivery attempts by recipient domain and cause.',
      'expired',
    ),
  ];
}

/** Groups per verdict kind, every kind listed (zero included) so alerts need no absent(). */
function verdictFamily(groups: readonly Group[]): Family {
  const counts = new Map<string, number>(VERDICT_KINDS.map((kind) => [kind, 0]));
  for (const group of groups)
    counts.set(group.verdict.kind, (counts.get(group.verdict.kind) ?? 0) + 1);

  return {
    name: 'mxtriage_verdict_groups',
    help: 'Groups (recipient domain, cause, window) by the kind of their verdict.',
    samples: [...counts].map(([kind, value]) => ({ labels: { kind }, value })),
  };
}

function outcomeFamily(analysis: Analysis): Family {
  return {
    name: 'mxtriage_message_outcomes',
    help: 'Deferred or bounced recipients by what finally happened to them.',
    samples: Object.entries(analysis.outcomes).map(([outcome, value]) => ({
      labels: { outcome },
      value,
    })),
  };
}

function lineFamilies(analysis: Analysis): Family[] {
  const { summary } = analysis;
  const bySource = Object.entries(summary.notUnderstoodBy).sort(([a], [b]) => a.localeCompare(b));

  return [
    {
      name: 'mxtriage_lines_read',
      help: 'Log lines read.',
      samples: [{ labels: {}, value: summary.linesRead }],
    },
    {
      name: 'mxtriage_lines_not_understood',
      help: 'Log lines no parser understood.',
      samples: [{ labels: {}, value: summary.linesNotUnderstood }],
    },
    {
      name: 'mxtriage_lines_not_understood_by_source',
      help: 'Log lines no parser understood, by mail server and daemon (or program).',
      samples: bySource.map(([source, value]) => ({ labels: { source }, value })),
    },
    {
      name: 'mxtriage_input_warnings',
      help: 'Damage found in the inputs: NUL blocks, cut lines, invalid UTF-8, data after gzip.',
      samples: [{ labels: {}, value: summary.inputWarnings }],
    },
    {
      name: 'mxtriage_events_out_of_order',
      help:
        'Delivery events that came after their window had closed (inputs going back in time): ' +
        'messages on both sides count twice.',
      samples: [{ labels: {}, value: summary.eventsOutOfOrder }],
    },
    {
      name: 'mxtriage_inputs_unreadable',
      help:
        'Inputs that could not be read (missing, unreadable, not a log, corrupt): ' +
        'the other metrics leave them out.',
      samples: [{ labels: {}, value: summary.inputErrors.length }],
    },
  ];
}

function timeFamilies(analysis: Analysis): Family[] {
  const { summary } = analysis;
  const families: Family[] = [
    {
      name: 'mxtriage_last_run_timestamp_seconds',
      help: 'When mxtriage wrote these metrics, in seconds since the epoch.',
      samples: [{ labels: {}, value: analysis.generatedAt / 1000 }],
    },
  ];
  if (summary.periodStart !== undefined && summary.periodEnd !== undefined) {
    families.push(
      {
        name: 'mxtriage_period_start_timestamp_seconds',
        help: 'Time of the first delivery event analysed, in seconds since the epoch.',
        samples: [{ labels: {}, value: summary.periodStart / 1000 }],
      },
      {
        name: 'mxtriage_period_end_timestamp_seconds',
        help: 'Time of the last delivery event analysed, in seconds since the epoch.',
        samples: [{ labels: {}, value: summary.periodEnd / 1000 }],
      },
    );
  }

  return families;
}

function formatFamily(family: Family): string {
  const lines = [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} gauge`];
  for (const sample of family.samples) {
    const labels = Object.entries(sample.labels)
      .map(([name, value]) => `${name}="${escapeLabelValue(value)}"`)
      .join(',');
    lines.push(`${family.name}${labels === '' ? '' : `{${labels}}`} ${formatValue(sample.value)}`);
  }

  return `${lines.join('\n')}\n`;
}

/** Backslash, double quote and line feed are escaped; other control characters removed. */
export function escapeLabelValue(value: string): string {
  return cleanText(value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n'));
}

function escapeHelp(help: string): string {
  return cleanText(help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n'));
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}
