import { stripControl } from '../classify/text.js';
import type { Analysis, DeliveryEvent, Group, Incident, Summary, Verdict } from '../model.js';

/** Version of the NDJSON and JSON output schema documented in the README. */
export const SCHEMA_VERSION = 1;

/** Plain objects in a stable key order, times as ISO 8601 UTC: the machine formats' records. */
export function groupRecord(group: Group): Record<string, unknown> {
  return {
    type: 'group',
    domain: group.domain,
    ...(group.domainDisplay === undefined ? {} : { domainDisplay: group.domainDisplay }),
    cause: group.cause,
    windowStart: iso(group.windowStart),
    windowEnd: iso(group.windowEnd),
    attempts: group.attempts,
    repeats: group.repeats,
    messages: group.messages,
    recipients: group.recipients,
    statuses: group.statuses,
    firstSeen: iso(group.firstSeen),
    lastSeen: iso(group.lastSeen),
    hosts: group.hosts.map(stripControl),
    mtas: group.mtas,
    examples: group.examples.map(stripControl),
    lookupNames: group.lookupNames,
    senderDomains: group.senderDomains,
    verdict: verdictRecord(group.verdict),
  };
}

export function verdictRecord(verdict: Verdict): Record<string, unknown> {
  return {
    kind: verdict.kind,
    ...(verdict.detail === undefined ? {} : { detail: verdict.detail }),
    ...(verdict.checkedAt === undefined ? {} : { checkedAt: verdict.checkedAt }),
    ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
    ...(verdict.basis === undefined ? {} : { basis: verdict.basis }),
    ...(verdict.about === undefined ? {} : { about: verdict.about }),
    ...(verdict.probes === undefined ? {} : { probes: verdict.probes }),
  };
}

export function incidentRecord(incident: Incident): Record<string, unknown> {
  return {
    type: 'incident',
    id: incident.id,
    domains: incident.domains,
    causeFamily: incident.causeFamily,
    causes: incident.causes,
    start: iso(incident.start),
    end: iso(incident.end),
    peakWindowStart: iso(incident.peakWindowStart),
    peakAttempts: incident.peakAttempts,
    attempts: incident.attempts,
    messages: incident.messages,
    outcomes: incident.outcomes,
    verdict: verdictRecord(incident.verdict),
  };
}

export function summaryRecord(analysis: Analysis): Record<string, unknown> {
  const summary: Summary = analysis.summary;
  return {
    type: 'summary',
    schemaVersion: SCHEMA_VERSION,
    generatedAt: iso(analysis.generatedAt),
    periodStart: summary.periodStart === undefined ? null : iso(summary.periodStart),
    periodEnd: summary.periodEnd === undefined ? null : iso(summary.periodEnd),
    ...(summary.since === undefined ? {} : { since: iso(summary.since) }),
    ...(summary.until === undefined ? {} : { until: iso(summary.until) }),
    windowSeconds: summary.windowMs / 1000,
    // Names as given, so that a script can open them again: the writers escape their controls.
    inputs: summary.inputs,
    inputErrors: summary.inputErrors.map((error) => ({
      input: error.input,
      message: error.message,
    })),
    linesRead: summary.linesRead,
    linesNotUnderstood: summary.linesNotUnderstood,
    notUnderstoodBy: summary.notUnderstoodBy,
    linesOtherPrograms: summary.linesOtherPrograms,
    otherProgramsBy: summary.otherProgramsBy,
    inputWarnings: summary.inputWarnings,
    events: summary.events,
    eventsOutsidePeriod: summary.eventsOutsidePeriod,
    eventsOutOfOrder: summary.eventsOutOfOrder,
    expiredUnnamed: summary.expiredUnnamed,
    handoffs: summary.handoffs,
    statuses: summary.statuses,
    groups: summary.groups,
    domains: summary.domains,
    incidents: analysis.incidents.length,
    outcomes: analysis.outcomes,
  };
}

/** One delivery event for `mxtriage events`. */
export function eventRecord(event: DeliveryEvent): Record<string, unknown> {
  return {
    type: 'event',
    time: iso(event.time),
    host: stripControl(event.host),
    mta: event.mta,
    daemon: event.daemon,
    queueId: event.queueId,
    // Names as the log has them: the serialisers escape their controls (`escapeRawControls`).
    recipient: event.recipient,
    domain: event.domain,
    ...(event.domainDisplay === undefined ? {} : { domainDisplay: event.domainDisplay }),
    ...(event.sender === undefined ? {} : { sender: event.sender }),
    status: event.status,
    ...(event.dsn === undefined ? {} : { dsn: event.dsn }),
    ...(event.relay === undefined ? {} : { relay: stripControl(event.relay) }),
    cause: event.cause,
    isRepeat: event.isRepeat,
    ...(event.lookupName === undefined ? {} : { lookupName: event.lookupName }),
    text: stripControl(event.text),
    source: event.source,
  };
}

export function iso(time: number): string {
  return new Date(time).toISOString();
}
