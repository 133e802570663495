import type { DnsCheckOptions, DnsRoles, DomainDiagnosis } from '../dns/types.js';
import { createGrouper, emptyStatusCounts, type Grouper } from '../group/group.js';
import { buildIncidents, createOutcomeTally } from '../group/incidents.js';
import { createOutcomeTracker, type CarriedRecipient } from '../group/outcomes.js';
import type { LineBatch } from '../input/read-inputs.js';
import type { Analysis, DeliveryEvent, Summary, Verdict } from '../model.js';
import { NOT_CHECKED } from '../model.js';
import { decideVerdicts, domainsToCheck, OFFLINE_VERDICT } from '../verdict/decide.js';
import { readEvents, type ReadCounts, type ReadOptions } from './read-events.js';

export interface AnalyseOptions extends ReadOptions {
  readonly windowMs: number;
  readonly since?: number;
  readonly until?: number;
  /** DNS roles and limits for the re-check; undefined switches it off (`--offline`). */
  readonly dns?: { readonly roles: DnsRoles; readonly check: DnsCheckOptions };
  readonly onBatch?: (batch: LineBatch) => void | Promise<void>;
  readonly onDnsStart?: (domains: number) => void;
  /** Called between the final stages, each of which leaves much garbage behind (heap guard). */
  readonly onStage?: () => void;
  /** Deferred recipients a previous run left open, followed on here (`summary --state`). */
  readonly carried?: readonly CarriedRecipient[];
  /** Keep this many of the recipients still open at the end for the next run. */
  readonly keepOpen?: number;
}

export interface AnalyseResult {
  readonly analysis: Analysis;
  readonly counts: ReadCounts;
  readonly diagnoses?: ReadonlyMap<string, DomainDiagnosis>;
  /** With `keepOpen`: the recipients still open when the logs end. */
  readonly stillOpen?: readonly CarriedRecipient[];
}

/**
 * The main job: read the logs, group deferrals and bounces, follow deferred messages to their
 * outcome, re-check the DNS of the failing domains and give each group its verdict.
 */
export async function analyseLogs(
  paths: readonly string[],
  options: AnalyseOptions,
): Promise<AnalyseResult> {
  const grouper = createGrouper(options.windowMs);
  const tally = createOutcomeTally(options.windowMs);
  const period = createPeriod(options);
  const outcomes = createOutcomeTracker((outcome) => tally.add(outcome));
  outcomes.carryOver(options.carried ?? []);

  const counts = await readEvents(
    paths,
    {
      event(event) {
        if (!period.includes(event)) return;
        grouper.add(event);
        outcomes.addEvent(event);
      },
      record(record) {
        const closed = outcomes.addRecord(record);
        if (record.kind === 'message-expired' && closed === 0)
          period.noteUnnamedExpiry(record.time);
      },
      ...(options.onBatch === undefined ? {} : { batch: options.onBatch }),
    },
    options,
  );

  const stillOpen =
    options.keepOpen === undefined ? undefined : outcomes.stillOpen(options.keepOpen);
  outcomes.finish(period.end ?? Date.now());
  const { verdictOf, diagnoses } = await judgeGroups(grouper, options);
  options.onStage?.();
  const groups = grouper.takeGroups(verdictOf);
  options.onStage?.();
  const incidents = buildIncidents(groups, tally, options.windowMs);
  options.onStage?.();
  const analysis: Analysis = {
    generatedAt: Date.now(),
    summary: summarise(
      counts,
      period,
      { groups: groups.length, lateEvents: grouper.lateEvents },
      options,
    ),
    groups,
    incidents,
    outcomes: tally.total(),
    ...deliveryDelayOf(tally),
  };

  return {
    analysis,
    counts,
    ...(diagnoses === undefined ? {} : { diagnoses }),
    ...(stillOpen === undefined ? {} : { stillOpen }),
  };
}

function deliveryDelayOf(tally: ReturnType<typeof createOutcomeTally>): Partial<Analysis> {
  const deliveryDelay = tally.totalDelay();
  return deliveryDelay === undefined ? {} : { deliveryDelay };
}

interface Judgement {
  readonly verdictOf: (key: string) => Verdict;
  readonly diagnoses?: ReadonlyMap<string, DomainDiagnosis>;
}

/**
 * Each group's verdict. The evidence they are drawn from is a copy of every group's names and
 * is let go on return, before the report is built; with the re-check off none is made.
 */
async function judgeGroups(grouper: Grouper, options: AnalyseOptions): Promise<Judgement> {
  const { dns } = options;
  if (dns === undefined) return { verdictOf: () => OFFLINE_VERDICT };

  const evidence = grouper.evidence();
  const domains = domainsToCheck(evidence);
  options.onDnsStart?.(domains.length);
  const diagnoses = await diagnose(domains, dns);
  const verdicts = decideVerdicts(evidence, logContext(grouper), diagnoses);
  return { verdictOf: (key) => verdicts.get(key) ?? NOT_CHECKED, diagnoses };
}

async function diagnose(
  domains: readonly string[],
  dns: NonNullable<AnalyseOptions['dns']>,
): Promise<ReadonlyMap<string, DomainDiagnosis>> {
  if (domains.length === 0) return new Map();
  // Loaded only when the re-check runs: `--offline` does without the DNS code.
  const { diagnoseDomains } = await import('../dns/diagnose.js');
  return diagnoseDomains(domains, dns.roles, dns.check);
}

function logContext(grouper: Grouper): Parameters<typeof decideVerdicts>[1] {
  return { windows: grouper.breadth(), lastSentByDomain: grouper.lastSentByDomain() };
}

/** Tracks the period covered, the events inside `--since`/`--until`, and status totals. */
interface Period {
  includes(event: DeliveryEvent): boolean;
  noteUnnamedExpiry(time: number): void;
  readonly unnamedExpiries: number;
  readonly start: number | undefined;
  readonly end: number | undefined;
  readonly events: number;
  readonly outside: number;
  readonly statuses: Summary['statuses'];
  readonly domains: ReadonlySet<string>;
}

function createPeriod(options: AnalyseOptions): Period {
  const statuses = emptyStatusCounts();
  const domains = new Set<string>();
  const state = { start: undefined as number | undefined, end: undefined as number | undefined };
  let events = 0;
  let outside = 0;
  let unnamedExpiries = 0;

  function includes(event: DeliveryEvent): boolean {
    if (
      (options.since !== undefined && event.time < options.since) ||
      (options.until !== undefined && event.time >= options.until)
    ) {
      outside += 1;
      return false;
    }

    events += 1;
    statuses[event.status] += 1;
    if (event.status !== 'sent') domains.add(event.domain);
    if (state.start === undefined || event.time < state.start) state.start = event.time;
    if (state.end === undefined || event.time > state.end) state.end = event.time;
    return true;
  }

  /** A message that expired with none of its recipients in the log (queued before it began). */
  function noteUnnamedExpiry(time: number): void {
    const isInside =
      (options.since === undefined || time >= options.since) &&
      (options.until === undefined || time < options.until);
    if (isInside) unnamedExpiries += 1;
  }

  return {
    includes,
    noteUnnamedExpiry,
    get unnamedExpiries() {
      return unnamedExpiries;
    },
    get start() {
      return state.start;
    },
    get end() {
      return state.end;
    },
    get events() {
      return events;
    },
    get outside() {
      return outside;
    },
    statuses,
    domains,
  };
}

function summarise(
  counts: ReadCounts,
  period: Period,
  grouping: { readonly groups: number; readonly lateEvents: number },
  options: AnalyseOptions,
): Summary {
  return {
    ...(options.since === undefined ? {} : { since: options.since }),
    ...(options.until === undefined ? {} : { until: options.until }),
    ...(period.start === undefined ? {} : { periodStart: period.start }),
    ...(period.end === undefined ? {} : { periodEnd: period.end }),
    inputs: counts.inputs,
    inputErrors: counts.inputErrors,
    linesRead: counts.linesRead,
    linesNotUnderstood: counts.linesNotUnderstood,
    notUnderstoodBy: counts.notUnderstoodBy,
    linesOtherPrograms: counts.linesOtherPrograms,
    otherProgramsBy: counts.otherProgramsBy,
    handoffs: counts.handoffs,
    eventsOutsidePeriod: period.outside,
    eventsOutOfOrder: grouping.lateEvents,
    expiredUnnamed: period.unnamedExpiries,
    inputWarnings: counts.inputWarnings,
    events: period.events,
    statuses: period.statuses,
    groups: grouping.groups,
    domains: period.domains.size,
    windowMs: options.windowMs,
  };
}
