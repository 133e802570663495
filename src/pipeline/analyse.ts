import { createClassifier } from '../classify/classify.js';
import type { DnsCheckOptions, DnsRoles, DomainDiagnosis } from '../dns/types.js';
import { createGrouper, emptyStatusCounts, type Grouper } from '../group/group.js';
import { buildIncidents, createOutcomeTally, type OutcomeTally } from '../group/incidents.js';
import {
  createOutcomeTracker,
  type CarriedRecipient,
  type OutcomeTracker,
} from '../group/outcomes.js';
import type { LineBatch } from '../input/read-inputs.js';
import type {
  Analysis,
  Cause,
  DeliveryEvent,
  MessageExpiredRecord,
  MessageOutcome,
  MessageRecord,
  Summary,
  Verdict,
} from '../model.js';
import { NOT_CHECKED, offlineVerdict } from '../model.js';
import { decideVerdicts, domainsToCheck, type LogContext } from '../verdict/decide.js';
import { readEvents, toEvent, type ReadCounts, type ReadOptions } from './read-events.js';

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
  /** Inputs looked at and left unread, having nothing new (`summary --state`): listed among
   *  the inputs all the same. */
  readonly unchanged?: readonly string[];
}

export interface AnalyseResult {
  readonly analysis: Analysis;
  readonly counts: ReadCounts;
  readonly diagnoses?: ReadonlyMap<string, DomainDiagnosis>;
  /** With `keepOpen`: the recipients still open when the logs end. */
  readonly stillOpen?: readonly CarriedRecipient[];
}

/** Classifies the expiries `expiredEvents` makes; an expiry's cause is always `expired`, so
 *  the classifier's memory of earlier causes is never used. */
const EXPIRY_CLASSIFIER = createClassifier();

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
  const outcomes = followOutcomes(tally, (record, expired) => {
    if (expired.length === 0) period.noteUnnamedExpiry(record.time);
    for (const event of expired) if (period.includes(event)) grouper.add(event);
  });
  outcomes.tracker.carryOver(options.carried ?? []);

  const counts = await readEvents(
    paths,
    {
      event(event) {
        if (period.includes(event)) {
          grouper.add(event);
          outcomes.tracker.addEvent(event);
        } else if (options.until !== undefined && event.time >= options.until) {
          // Counted nowhere, but what became of a domain's look-ups after the period still
          // tells whether it recovered.
          grouper.noteLater(event);
        }
      },
      // Records outside the period are left out like its events: a message delivered after
      // --until must not be closed by its removal, logged after the delivery line left out.
      record(record) {
        if (period.covers(record.time)) outcomes.addRecord(record);
      },
      ...(options.onBatch === undefined ? {} : { batch: options.onBatch }),
    },
    options,
  );

  const stillOpen =
    options.keepOpen === undefined ? undefined : outcomes.tracker.stillOpen(options.keepOpen);
  outcomes.tracker.finish(period.end ?? Date.now());
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

interface OutcomeFollower {
  readonly tracker: OutcomeTracker;
  addRecord(record: MessageRecord): void;
}

/**
 * The outcome tracker, fed the records too. A Postfix expiry names no recipient; the parser
 * makes an expired event for each one it saw deferred, and leaves the others to a
 * message-expired record. The tracker may know them, deferred in an earlier run (`summary
 * --state`) or beyond what the parser remembers of a message: each one the record closes
 * expired as surely, and `onExpiry` gets an expired event for it, the same as the parser's.
 */
function followOutcomes(
  tally: OutcomeTally,
  onExpiry: (record: MessageExpiredRecord, expired: readonly DeliveryEvent[]) => void,
): OutcomeFollower {
  let closedByExpiry: MessageOutcome[] | undefined;
  const tracker = createOutcomeTracker((outcome) => {
    tally.add(outcome);
    closedByExpiry?.push(outcome);
  });

  function addRecord(record: MessageRecord): void {
    if (record.kind !== 'message-expired') {
      tracker.addRecord(record);
      return;
    }

    closedByExpiry = [];
    tracker.addRecord(record);
    const closed = closedByExpiry.filter((outcome) => isExpiredBy(outcome, record));
    closedByExpiry = undefined;
    onExpiry(record, expiredEvents(record, closed));
  }

  return { tracker, addRecord };
}

/** Whether the outcome is a recipient of the message that `record` expired (the tracker may
 *  report other outcomes that fall due meanwhile). */
function isExpiredBy(outcome: MessageOutcome, record: MessageExpiredRecord): boolean {
  return (
    outcome.outcome === 'expired' &&
    outcome.queueId === record.queueId &&
    outcome.host === record.host
  );
}

/** An expired event for each recipient of the message `record` expired. */
function expiredEvents(
  record: MessageExpiredRecord,
  closed: readonly MessageOutcome[],
): DeliveryEvent[] {
  return closed.map((outcome) =>
    toEvent(
      {
        kind: 'delivery',
        time: record.time,
        host: record.host,
        mta: record.mta,
        // Only Postfix's queue manager logs an expiry without recipients.
        daemon: 'qmgr',
        queueId: record.queueId,
        recipient: outcome.recipient,
        ...(record.sender === undefined ? {} : { sender: record.sender }),
        status: 'expired',
        text: record.text,
        source: record.source,
      },
      EXPIRY_CLASSIFIER,
    ),
  );
}

function deliveryDelayOf(tally: ReturnType<typeof createOutcomeTally>): Partial<Analysis> {
  const deliveryDelay = tally.totalDelay();
  return deliveryDelay === undefined ? {} : { deliveryDelay };
}

interface Judgement {
  readonly verdictOf: (key: string, cause: Cause) => Verdict;
  readonly diagnoses?: ReadonlyMap<string, DomainDiagnosis>;
}

/**
 * Each group's verdict. The evidence they are drawn from is a copy of every group's names and
 * is let go on return, before the report is built; with the re-check off none is made.
 */
async function judgeGroups(grouper: Grouper, options: AnalyseOptions): Promise<Judgement> {
  const { dns } = options;
  if (dns === undefined) return { verdictOf: (_key, cause) => offlineVerdict(cause) };

  const evidence = grouper.evidence();
  const domains = domainsToCheck(evidence);
  options.onDnsStart?.(domains.length);
  const diagnoses = await diagnose(domains, dns);
  const verdicts = decideVerdicts(evidence, logContext(grouper, options.until), diagnoses);
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

function logContext(grouper: Grouper, until: number | undefined): LogContext {
  return {
    windows: grouper.breadth(),
    lastSentByDomain: grouper.lastSentByDomain(),
    ...(until === undefined ? {} : { until }),
  };
}

/** Tracks the period covered, the events inside `--since`/`--until`, and status totals. */
interface Period {
  /** Whether the event is inside the period; counts it either way. */
  includes(event: DeliveryEvent): boolean;
  /** Whether a time is inside the period, counting nothing. */
  covers(time: number): boolean;
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

  function covers(time: number): boolean {
    return (
      (options.since === undefined || time >= options.since) &&
      (options.until === undefined || time < options.until)
    );
  }

  function includes(event: DeliveryEvent): boolean {
    if (!covers(event.time)) {
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
    if (covers(time)) unnamedExpiries += 1;
  }

  return {
    includes,
    covers,
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
    inputs: [...counts.inputs, ...(options.unchanged ?? [])],
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
