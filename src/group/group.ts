import { isReplyAboutOurNames } from '../classify/phrases.js';
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
import { recipientKey } from '../classify/domain.js';
import { detach } from '../classify/text.js';

/** Distinct reply texts kept per group, and how long each may be. */
const MAX_EXAMPLES = 3;
const MAX_EXAMPLE_LENGTH = 400;
/** Distinct look-up names, sender domains and hosts kept per group. */
const MAX_NAMES = 10;
/** How long after a window ends its distinct counts are sealed (at least two windows). */
const SEAL_DELAY_MS = 3_600_000;
/** Texts and lists shared between groups (see `createSharedValues`). */
const MAX_SHARED_VALUES = 50_000;
/** What a group's lists start as: one shared empty list, replaced on the first addition. */
const NO_NAMES: readonly string[] = [];
const NO_MTAS: readonly Mta[] = [];
/** Stretches of DNS failures kept per domain: a domain that failed and got through again more
 *  often than this in one run claims no recovery for its oldest failures. */
const MAX_RECOVERIES = 8;
/** Our own look-up of the recipient domain failed: these end a stretch of DNS failures. */
const OUR_DNS_CAUSES: ReadonlySet<Cause> = new Set<Cause>([
  'dns-tempfail',
  'dns-notfound',
  'dns-nodata',
  'null-mx',
  'mx-unresolvable',
]);
/** Failures that come after our look-up of the recipient domain worked: the mail server found
 *  the host and connected, or a remote server (a relay) answered. */
const PAST_DNS_CAUSES: ReadonlySet<Cause> = new Set<Cause>([
  'connection',
  'tls',
  'remote-tempfail',
  'remote-reject',
  'remote-dns',
  'sender-dns',
]);

/**
 * A count of distinct values: a set while the window is recent, then a number. A value that
 * arrives after sealing (an input far out of time order) is counted again if it was seen before.
 */
interface DistinctCount {
  values: Set<string> | undefined;
  sealed: number;
}

/** A group while events are still arriving. */
interface OpenGroup {
  readonly key: string;
  readonly domain: string;
  domainDisplay: string | undefined;
  readonly cause: Cause;
  readonly windowStart: number;
  attempts: number;
  repeats: number;
  /** Distinct messages and recipients while the window is recent; undefined once sealed (and
   *  until the first event). Sealed groups are most groups of a long log: they hold numbers. */
  recent: RecentValues | undefined;
  sealedMessages: number;
  sealedRecipients: number;
  readonly statuses: StatusCounts;
  firstSeen: number;
  lastSeen: number;
  // Short lists (at most MAX_NAMES), replaced by a copy one longer on each addition (`concat`
  // allocates just that; `push` and spread reserve room for 17), which adds up over many groups.
  hosts: readonly string[];
  mtas: readonly Mta[];
  examples: readonly string[];
  lookupNames: readonly string[];
  senderDomains: readonly string[];
  /** Remote replies about our PTR record or HELO name (`isReplyAboutOurNames`), counted. */
  aboutOurNames: number;
}

interface RecentValues {
  readonly messages: Set<string>;
  readonly recipients: Set<string>;
}

/** Per window: which domains failed with `dns-tempfail`, which got mail delivered. */
interface WindowBreadth {
  readonly dnsTempfailDomains: DistinctCount;
  readonly sentDomains: DistinctCount;
}

/** One stretch of DNS failures of a domain, and the attempt that got past DNS again. */
export interface DnsRecovery {
  /** The last DNS failure of the stretch. */
  readonly lastFailure: number;
  /** The first attempt after it whose look-up worked: delivered, or failed further on. */
  readonly pastDnsAt: number;
  /** `sent`, or the cause of that later failure (`connection`, `remote-tempfail`, ...). */
  readonly pastDnsBy: Cause | 'sent';
  /** The first delivery after the stretch (before the next DNS failure), if there was one. */
  readonly deliveredAt: number | undefined;
}

/** What the log shows of a domain's DNS failures ending; a few numbers per domain. */
export interface DomainDeliveries {
  /** The latest stretches that ended, oldest first (at most `MAX_RECOVERIES`). */
  readonly recoveries: readonly DnsRecovery[];
  /** The last failure of the latest stretch no longer kept; -Infinity when none was dropped. */
  readonly forgottenUpTo: number;
  /** The last DNS failure of the stretch still going on when the log ends. */
  readonly pendingFailure: number | undefined;
}

export interface Grouper {
  add(event: DeliveryEvent): void;
  /** An event after the period asked for (`--until`): no group, no count, only evidence of
   *  whether a domain whose look-ups failed in the period got past DNS again. */
  noteLater(event: DeliveryEvent): void;
  /**
   * The groups, each with its verdict (`not-checked` unless given), worst first. The grouper
   * lets go of each group as it hands it over, so the report never holds two copies: call it
   * once, last (after `evidence` when the verdicts need it).
   */
  takeGroups(verdictOf?: (key: string, cause: Cause) => Verdict): Group[];
  /** What the verdict logic needs to know about each group. */
  evidence(): GroupEvidence[];
  /** Distinct domains failing with `dns-tempfail` and distinct domains delivered, per window. */
  breadth(): Map<number, { readonly dnsTempfailDomains: number; readonly sentDomains: number }>;
  /** Per recipient domain whose look-ups failed: how each stretch of failures ended. (The name
   *  is older than what it holds: the pipeline asks for it by that name.) */
  lastSentByDomain(): ReadonlyMap<string, DomainDeliveries>;
  /** Events that came after their window's distinct counts were sealed: the input went back
   *  in time, and a message or recipient seen on both sides of the seal counts twice. */
  readonly lateEvents: number;
}

/**
 * Groups delivery events by (recipient domain, cause, window). Delivered mail makes no group; it
 * is counted per window for the breadth test and per domain for recovery. Memory grows with the
 * number of groups and domains, never with the number of lines: the sets that count distinct
 * messages, recipients and domains are kept only for recent windows (see `sealBefore`).
 */
export function createGrouper(windowMs: number): Grouper {
  const open = new Map<string, OpenGroup>();
  const windows = new Map<number, WindowBreadth>();
  let lastWindow: { start: number; breadth: WindowBreadth } | undefined;
  const deliveries = new Map<string, MutableDeliveries>();
  const shared = createSharedValues(MAX_SHARED_VALUES);
  const sealDelay = Math.max(2 * windowMs, SEAL_DELAY_MS);
  let nextSeal = -Infinity;
  let sealedBefore = -Infinity;
  let lateEvents = 0;
  // What still has distinct-count sets: sealing looks at these only, not at every group and
  // window of the run (with 1-minute windows over days, that made reading quadratic).
  let unsealedGroups: OpenGroup[] = [];
  let unsealedWindows: number[] = [];

  function add(event: DeliveryEvent): void {
    const windowStart = event.time - (event.time % windowMs);
    if (event.time > nextSeal) {
      sealBefore(event.time - sealDelay);
      nextSeal = event.time + windowMs;
    } else if (windowStart + windowMs < sealedBefore) {
      lateEvents += 1;
      // Its window was sealed: counting this event makes its sets again, to be sealed again.
      unsealedWindows.push(windowStart);
    }

    if (event.status === 'sent') {
      recordSent(event, windowStart);
      return;
    }

    recordFailure(deliveries, event);

    if (event.cause === 'dns-tempfail' && !event.isRepeat) {
      addDistinct(breadthOf(windowStart).dnsTempfailDomains, event.domain);
    }

    const group = groupFor(event, windowStart);
    const hadSets = group.recent !== undefined;
    addToGroup(group, event, shared);
    if (!hadSets && group.recent !== undefined) unsealedGroups.push(group);
  }

  function noteLater(event: DeliveryEvent): void {
    // Only a stretch of failures still going on when the period ended is followed, to its end:
    // no new stretch is opened, which would push the period's own out of memory.
    const domain = deliveries.get(event.domain);
    if (domain?.pendingFailure === undefined) return;
    if (event.status === 'sent') recordPastDns(domain, event.time, 'sent');
    else recordFailure(deliveries, event);
  }

  function recordSent(event: DeliveryEvent, windowStart: number): void {
    addDistinct(breadthOf(windowStart).sentDomains, event.domain);
    const domain = deliveries.get(event.domain);
    if (domain !== undefined) recordPastDns(domain, event.time, 'sent');
  }

  function breadthOf(windowStart: number): WindowBreadth {
    if (lastWindow?.start === windowStart) return lastWindow.breadth;
    let breadth = windows.get(windowStart);
    if (breadth === undefined) {
      breadth = { dnsTempfailDomains: newDistinct(), sentDomains: newDistinct() };
      windows.set(windowStart, breadth);
      unsealedWindows.push(windowStart);
    }

    lastWindow = { start: windowStart, breadth };
    return breadth;
  }

  /**
   * Windows that ended `sealDelay` before the latest event get no more events in a log read in
   * time order; their distinct counts become plain numbers and their sets are freed.
   */
  function sealBefore(time: number): void {
    sealedBefore = time;
    const isDone = (start: number) => start + windowMs < time;
    unsealedGroups = unsealedGroups.filter((group) => {
      if (!isDone(group.windowStart)) return true;
      sealGroup(group);
      return false;
    });

    unsealedWindows = unsealedWindows.filter((start) => {
      if (!isDone(start)) return true;
      const window = windows.get(start);
      if (window !== undefined) {
        sealDistinct(window.dnsTempfailDomains);
        sealDistinct(window.sentDomains);
      }

      return false;
    });
  }

  function groupFor(event: DeliveryEvent, windowStart: number): OpenGroup {
    const key = groupKey(event.domain, event.cause, windowStart);
    let group = open.get(key);
    if (group === undefined) {
      group = newGroup(key, event, windowStart);
      open.set(group.key, group);
    }

    return group;
  }

  function takeGroups(
    verdictOf: (key: string, cause: Cause) => Verdict = () => NOT_CHECKED,
  ): Group[] {
    const result: Group[] = [];
    for (const [key, group] of open) {
      result.push(closeGroup(group, windowMs, verdictOf(key, group.cause)));
      open.delete(key);
    }

    shared.clear();
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
      examples: group.examples,
      attempts: group.attempts,
      aboutOurNames: group.aboutOurNames,
    }));
  }

  function breadth(): Map<number, { dnsTempfailDomains: number; sentDomains: number }> {
    const result = new Map<number, { dnsTempfailDomains: number; sentDomains: number }>();
    for (const [start, window] of windows) {
      result.set(start, {
        dnsTempfailDomains: distinctSize(window.dnsTempfailDomains),
        sentDomains: distinctSize(window.sentDomains),
      });
    }

    return result;
  }

  return {
    add,
    noteLater,
    takeGroups,
    evidence,
    breadth,
    lastSentByDomain: () => deliveries,
    get lateEvents() {
      return lateEvents;
    },
  };
}

interface MutableDeliveries {
  recoveries: DnsRecovery[];
  forgottenUpTo: number;
  pendingFailure: number | undefined;
}

/** A failure either extends the domain's stretch of DNS failures or shows its DNS worked. */
function recordFailure(deliveries: Map<string, MutableDeliveries>, event: DeliveryEvent): void {
  if (OUR_DNS_CAUSES.has(event.cause)) {
    let domain = deliveries.get(event.domain);
    if (domain === undefined) {
      domain = { recoveries: [], forgottenUpTo: -Infinity, pendingFailure: undefined };
      deliveries.set(detach(event.domain), domain);
    }

    domain.pendingFailure = Math.max(domain.pendingFailure ?? event.time, event.time);
    return;
  }

  const domain = PAST_DNS_CAUSES.has(event.cause) ? deliveries.get(event.domain) : undefined;
  if (domain !== undefined) recordPastDns(domain, event.time, event.cause);
}

/** An attempt whose look-up worked: it ends the stretch going on, or is its first delivery. */
function recordPastDns(domain: MutableDeliveries, time: number, by: Cause | 'sent'): void {
  const pending = domain.pendingFailure;
  if (pending !== undefined && time > pending) {
    const deliveredAt = by === 'sent' ? time : undefined;
    domain.recoveries.push({ lastFailure: pending, pastDnsAt: time, pastDnsBy: by, deliveredAt });
    domain.pendingFailure = undefined;
    const dropped =
      domain.recoveries.length > MAX_RECOVERIES ? domain.recoveries.shift() : undefined;
    if (dropped !== undefined) domain.forgottenUpTo = dropped.lastFailure;
    return;
  }

  const last = domain.recoveries[domain.recoveries.length - 1];
  if (
    by === 'sent' &&
    pending === undefined &&
    last !== undefined &&
    last.deliveredAt === undefined
  ) {
    domain.recoveries[domain.recoveries.length - 1] = { ...last, deliveredAt: time };
  }
}

/** The key that names a group in verdict maps: domain, cause and window start. */
export function groupKey(domain: string, cause: Cause, windowStart: number): string {
  return `${domain} ${cause} ${windowStart}`;
}

/**
 * Texts and short lists that many groups hold alike (`['mailhost']`, one domain's reply window
 * after window), kept once and shared. Lists are never changed once made: a group that adds a
 * name gets another shared list. Up to `limit` of each are remembered; beyond that they are
 * copies of their own.
 */
interface SharedValues {
  text(text: string): string;
  list<T extends string>(values: readonly T[]): readonly T[];
  clear(): void;
}

function createSharedValues(limit: number): SharedValues {
  const texts = new Map<string, string>();
  const lists = new Map<string, readonly string[]>();

  function text(value: string): string {
    const known = texts.get(value);
    if (known !== undefined) return known;
    const copy = detach(value);
    if (texts.size < limit) texts.set(copy, copy);
    return copy;
  }

  function list<T extends string>(values: readonly T[]): readonly T[] {
    const key = values.join('\u0000');
    const known = lists.get(key) as readonly T[] | undefined;
    if (known !== undefined) return known;
    if (lists.size < limit) lists.set(detach(key), values);
    return values;
  }

  function clear(): void {
    texts.clear();
    lists.clear();
  }

  return { text, list, clear };
}

function newGroup(key: string, event: DeliveryEvent, windowStart: number): OpenGroup {
  return {
    // The key is kept for hours: one flat string, not the pieces it was joined from.
    key: detach(key),
    domain: event.domain,
    domainDisplay: event.domainDisplay,
    cause: event.cause,
    windowStart,
    attempts: 0,
    repeats: 0,
    recent: undefined,
    sealedMessages: 0,
    sealedRecipients: 0,
    statuses: emptyStatusCounts(),
    firstSeen: event.time,
    lastSeen: event.time,
    hosts: NO_NAMES,
    mtas: NO_MTAS,
    examples: NO_NAMES,
    lookupNames: NO_NAMES,
    senderDomains: NO_NAMES,
    aboutOurNames: 0,
  };
}

function addToGroup(group: OpenGroup, event: DeliveryEvent, shared: SharedValues): void {
  group.attempts += 1;
  if (event.isRepeat) group.repeats += 1;
  group.recent ??= { messages: new Set(), recipients: new Set() };
  addValue(group.recent.messages, `${event.host} ${event.queueId}`);
  addValue(group.recent.recipients, recipientKey(event.recipient));
  group.statuses[event.status] += 1;
  if (event.time < group.firstSeen) group.firstSeen = event.time;
  if (event.time > group.lastSeen) group.lastSeen = event.time;
  // An Exim mainlog names no host: its events' host is '', which is no host name to report.
  if (event.host !== '') group.hosts = withName(group.hosts, event.host, shared);
  if (!group.mtas.includes(event.mta)) group.mtas = shared.list(sortedWith(group.mtas, event.mta));
  group.examples = withExample(group.examples, event.text, shared);
  if (event.lookupName !== undefined) {
    group.lookupNames = withName(group.lookupNames, event.lookupName, shared);
  }

  if (event.senderDomain) {
    group.senderDomains = withName(group.senderDomains, event.senderDomain, shared);
  }

  const isRemote = event.cause === 'remote-tempfail' || event.cause === 'remote-reject';
  if (isRemote && isReplyAboutOurNames(event.text)) group.aboutOurNames += 1;
}

/** The names, kept in order, with one more: lists are compared and shared in that order. */
function withName(names: readonly string[], name: string, shared: SharedValues): readonly string[] {
  if (names.length >= MAX_NAMES || names.includes(name)) return names;
  return shared.list(sortedWith(names, shared.text(name)));
}

function sortedWith<T extends string>(values: readonly T[], value: T): T[] {
  const index = values.findIndex((existing) => existing > value);
  return index === -1
    ? values.concat(value)
    : [...values.slice(0, index), value, ...values.slice(index)];
}

/** Reply texts in the order they first came. */
function withExample(
  examples: readonly string[],
  text: string,
  shared: SharedValues,
): readonly string[] {
  if (examples.length >= MAX_EXAMPLES) return examples;
  const example = text.length > MAX_EXAMPLE_LENGTH ? `${text.slice(0, MAX_EXAMPLE_LENGTH)}…` : text;
  // The texts are shared; their lists are not, as the key of a list would copy its texts.
  return examples.includes(example) ? examples : examples.concat(shared.text(example));
}

/** The group as reported; it takes over the open group's (sorted, shared) lists and counts. */
function closeGroup(group: OpenGroup, windowMs: number, verdict: Verdict): Group {
  return {
    domain: group.domain,
    ...(group.domainDisplay === undefined ? {} : { domainDisplay: group.domainDisplay }),
    cause: group.cause,
    windowStart: group.windowStart,
    windowEnd: group.windowStart + windowMs,
    attempts: group.attempts,
    repeats: group.repeats,
    messages: group.sealedMessages + (group.recent?.messages.size ?? 0),
    recipients: group.sealedRecipients + (group.recent?.recipients.size ?? 0),
    statuses: group.statuses,
    firstSeen: group.firstSeen,
    lastSeen: group.lastSeen,
    hosts: group.hosts,
    mtas: group.mtas,
    examples: group.examples,
    lookupNames: group.lookupNames,
    senderDomains: group.senderDomains,
    verdict,
  };
}

function newDistinct(): DistinctCount {
  return { values: new Set(), sealed: 0 };
}

function addDistinct(count: DistinctCount, value: string): void {
  count.values ??= new Set();
  addValue(count.values, value);
}

function addValue(values: Set<string>, value: string): void {
  if (!values.has(value)) values.add(detach(value));
}

function sealGroup(group: OpenGroup): void {
  if (group.recent === undefined) return;
  group.sealedMessages += group.recent.messages.size;
  group.sealedRecipients += group.recent.recipients.size;
  group.recent = undefined;
}

function sealDistinct(count: DistinctCount): void {
  if (count.values === undefined) return;
  count.sealed += count.values.size;
  count.values = undefined;
}

function distinctSize(count: DistinctCount): number {
  return count.sealed + (count.values?.size ?? 0);
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
