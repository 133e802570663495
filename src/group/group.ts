import type {
  Cause,
  DeliveryEvent,
  Group,
  GroupEvidence,
  Mta,
  Status,
  StatusCounts,
  Verdict,
} from '../model.js';
import { NOT_CHECKED } from '../model.js';
import { detach } from '../classify/text.js';

/** Distinct reply texts kept per group, and how long each may be. */
const MAX_EXAMPLES = 3;
const MAX_EXAMPLE_LENGTH = 400;
/** Distinct look-up names, sender domains and hosts kept per group. */
const MAX_NAMES = 10;

/** A group while events are still arriving. */
interface OpenGroup {
  readonly key: string;
  readonly domain: string;
  domainDisplay: string | undefined;
  readonly cause: Cause;
  readonly windowStart: number;
  attempts: number;
  repeats: number;
  readonly messages: Set<string>;
  readonly recipients: Set<string>;
  readonly statuses: StatusCounts;
  firstSeen: number;
  lastSeen: number;
  readonly hosts: Set<string>;
  readonly mtas: Set<Mta>;
  readonly examples: string[];
  readonly lookupNames: Set<string>;
  readonly senderDomains: Set<string>;
}

/** Per window: which domains failed with `dns-tempfail`, which got mail delivered. */
interface WindowBreadth {
  readonly dnsTempfailDomains: Set<string>;
  readonly sentDomains: Set<string>;
}

export interface Grouper {
  add(event: DeliveryEvent): void;
  /** The groups so far, each with its verdict (`not-checked` unless given), worst first. */
  groups(verdicts?: ReadonlyMap<string, Verdict>): Group[];
  /** What the verdict logic needs to know about each group. */
  evidence(): GroupEvidence[];
  /** Distinct domains failing with `dns-tempfail` and distinct domains delivered, per window. */
  breadth(): Map<number, { readonly dnsTempfailDomains: number; readonly sentDomains: number }>;
  /** Time of the last delivery per recipient domain. */
  lastSentByDomain(): ReadonlyMap<string, number>;
}

/**
 * Groups delivery events by (recipient domain, cause, window). Delivered mail makes no group; it
 * is counted per window for the breadth test and per domain for recovery. Memory grows with the
 * number of groups and domains, never with the number of lines.
 */
export function createGrouper(windowMs: number): Grouper {
  const open = new Map<string, OpenGroup>();
  const windows = new Map<number, WindowBreadth>();
  const lastSent = new Map<string, number>();

  function add(event: DeliveryEvent): void {
    const windowStart = event.time - (event.time % windowMs);

    if (event.status === 'sent') {
      recordSent(event, windowStart);
      return;
    }

    if (event.cause === 'dns-tempfail' && !event.isRepeat) {
      breadthOf(windowStart).dnsTempfailDomains.add(event.domain);
    }

    addToGroup(groupFor(event, windowStart), event);
  }

  function recordSent(event: DeliveryEvent, windowStart: number): void {
    breadthOf(windowStart).sentDomains.add(event.domain);
    const previous = lastSent.get(event.domain);
    if (previous === undefined || event.time > previous) lastSent.set(event.domain, event.time);
  }

  function breadthOf(windowStart: number): WindowBreadth {
    let breadth = windows.get(windowStart);
    if (breadth === undefined) {
      breadth = { dnsTempfailDomains: new Set(), sentDomains: new Set() };
      windows.set(windowStart, breadth);
    }

    return breadth;
  }

  function groupFor(event: DeliveryEvent, windowStart: number): OpenGroup {
    const key = groupKey(event.domain, event.cause, windowStart);
    let group = open.get(key);
    if (group === undefined) {
      group = newGroup(key, event, windowStart);
      open.set(key, group);
    }

    return group;
  }

  function groups(verdicts?: ReadonlyMap<string, Verdict>): Group[] {
    const result: Group[] = [];
    for (const group of open.values()) {
      result.push(closeGroup(group, windowMs, verdicts?.get(group.key) ?? NOT_CHECKED));
    }

    return result.sort(compareWorstFirst);
  }

  function evidence(): GroupEvidence[] {
    return [...open.values()].map((group) => ({
      key: group.key,
      domain: group.domain,
      cause: group.cause,
      windowStart: group.windowStart,
      windowEnd: group.windowStart + windowMs,
      lastSeen: group.lastSeen,
      senderDomains: [...group.senderDomains],
      lookupNames: [...group.lookupNames],
    }));
  }

  function breadth(): Map<number, { dnsTempfailDomains: number; sentDomains: number }> {
    const result = new Map<number, { dnsTempfailDomains: number; sentDomains: number }>();
    for (const [start, window] of windows) {
      result.set(start, {
        dnsTempfailDomains: window.dnsTempfailDomains.size,
        sentDomains: window.sentDomains.size,
      });
    }

    return result;
  }

  return { add, groups, evidence, breadth, lastSentByDomain: () => lastSent };
}

/** The key that names a group in verdict maps: domain, cause and window start. */
export function groupKey(domain: string, cause: Cause, windowStart: number): string {
  return `${domain} ${cause} ${windowStart}`;
}

function newGroup(key: string, event: DeliveryEvent, windowStart: number): OpenGroup {
  return {
    key,
    domain: event.domain,
    domainDisplay: event.domainDisplay,
    cause: event.cause,
    windowStart,
    attempts: 0,
    repeats: 0,
    messages: new Set(),
    recipients: new Set(),
    statuses: emptyStatusCounts(),
    firstSeen: event.time,
    lastSeen: event.time,
    hosts: new Set(),
    mtas: new Set(),
    examples: [],
    lookupNames: new Set(),
    senderDomains: new Set(),
  };
}

function addToGroup(group: OpenGroup, event: DeliveryEvent): void {
  group.attempts += 1;
  if (event.isRepeat) group.repeats += 1;
  group.messages.add(`${event.host} ${event.queueId}`);
  group.recipients.add(event.recipient.toLowerCase());
  group.statuses[event.status] += 1;
  if (event.time < group.firstSeen) group.firstSeen = event.time;
  if (event.time > group.lastSeen) group.lastSeen = event.time;
  if (group.hosts.size < MAX_NAMES) group.hosts.add(event.host);
  group.mtas.add(event.mta);
  addExample(group.examples, event.text);
  if (event.lookupName !== undefined && group.lookupNames.size < MAX_NAMES) {
    group.lookupNames.add(event.lookupName);
  }

  if (event.senderDomain && group.senderDomains.size < MAX_NAMES) {
    group.senderDomains.add(event.senderDomain);
  }
}

function addExample(examples: string[], text: string): void {
  if (examples.length >= MAX_EXAMPLES) return;
  const example = text.length > MAX_EXAMPLE_LENGTH ? `${text.slice(0, MAX_EXAMPLE_LENGTH)}…` : text;
  if (!examples.includes(example)) examples.push(detach(example));
}

function closeGroup(group: OpenGroup, windowMs: number, verdict: Verdict): Group {
  return {
    domain: group.domain,
    ...(group.domainDisplay === undefined ? {} : { domainDisplay: group.domainDisplay }),
    cause: group.cause,
    windowStart: group.windowStart,
    windowEnd: group.windowStart + windowMs,
    attempts: group.attempts,
    repeats: group.repeats,
    messages: group.messages.size,
    recipients: group.recipients.size,
    statuses: { ...group.statuses },
    firstSeen: group.firstSeen,
    lastSeen: group.lastSeen,
    hosts: [...group.hosts].sort(),
    mtas: [...group.mtas].sort(),
    examples: [...group.examples],
    lookupNames: [...group.lookupNames].sort(),
    senderDomains: [...group.senderDomains].sort(),
    verdict,
  };
}

export function emptyStatusCounts(): StatusCounts {
  return { sent: 0, deferred: 0, bounced: 0, expired: 0 };
}

/** Severity of a status for ordering: mail lost outranks mail delayed. */
const STATUS_WEIGHT: Readonly<Record<Status, number>> = {
  bounced: 3,
  expired: 3,
  deferred: 1,
  sent: 0,
};

/** Worst first: most messages affected, then lost mail, then attempts, then latest, then name. */
function compareWorstFirst(a: Group, b: Group): number {
  return (
    b.messages - a.messages ||
    lostWeight(b) - lostWeight(a) ||
    b.attempts - a.attempts ||
    b.windowStart - a.windowStart ||
    a.domain.localeCompare(b.domain) ||
    a.cause.localeCompare(b.cause)
  );
}

function lostWeight(group: Group): number {
  let weight = 0;
  for (const status of ['bounced', 'expired', 'deferred'] as const) {
    weight += group.statuses[status] * STATUS_WEIGHT[status];
  }

  return weight;
}
