import type {
  Cause,
  DeliveryDelay,
  Group,
  Incident,
  MessageOutcome,
  OutcomeCounts,
  OutcomeKind,
  Verdict,
} from '../model.js';
import { DNS_CAUSES, NOT_CHECKED } from '../model.js';
import { detach } from '../classify/text.js';

export type CauseFamily = Incident['causeFamily'];

/**
 * Outcome counts per (recipient domain, cause family, window of the first deferral). Memory
 * grows with those buckets, as the groups do, never with the number of messages.
 */
export interface OutcomeTally {
  add(outcome: MessageOutcome): void;
  /** The outcomes of recipients first deferred in one window; undefined when there were none. */
  bucketFor(domain: string, family: CauseFamily, windowStart: number): Bucket | undefined;
  total(): OutcomeCounts;
  totalDelay(): DeliveryDelay | undefined;
}

/** Outcomes and delivered-later delays of one bucket; delays summed for the mean. */
export interface Bucket {
  readonly counts: OutcomeCounts;
  delaySumMs: number;
  delayMaxMs: number;
}

/**
 * Postfix's default `maximal_backoff_time` (4000 s): a deferred message is retried at least that
 * often, so a quiet stretch shorter than it is a gap between retries, not the end of an outage.
 */
const RETRY_GAP_MS = 4000 * 1000;

export function createOutcomeTally(windowMs: number): OutcomeTally {
  const buckets = new Map<string, Bucket>();
  const all = newBucket();

  function add(outcome: MessageOutcome): void {
    const windowStart = outcome.firstDeferred - (outcome.firstDeferred % windowMs);
    const key = bucketKey(outcome.domain, causeFamily(outcome.cause), windowStart);
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      bucket = newBucket();
      // Kept to the end of the run: one flat string, not the pieces it was joined from.
      buckets.set(detach(key), bucket);
    }

    addToBucket(bucket, outcome);
    addToBucket(all, outcome);
  }

  function bucketFor(domain: string, family: CauseFamily, windowStart: number) {
    return buckets.get(bucketKey(domain, family, windowStart));
  }

  return {
    add,
    bucketFor,
    total: () => ({ ...all.counts }),
    totalDelay: () => delayOf(all),
  };
}

/** The incident a group's cause belongs to: DNS failures of any kind count as one family. */
export function causeFamily(cause: Cause): CauseFamily {
  if (DNS_CAUSES.has(cause)) return 'dns';
  if (cause === 'remote-tempfail' || cause === 'remote-reject') return 'remote';
  if (cause === 'connection' || cause === 'tls') return cause;
  return 'other';
}

const OUTCOME_KINDS: readonly OutcomeKind[] = [
  'delivered-later',
  'bounced',
  'expired',
  'removed',
  'still-queued',
];

export function emptyOutcomeCounts(): OutcomeCounts {
  return { 'delivered-later': 0, bounced: 0, expired: 0, removed: 0, 'still-queued': 0 };
}

function bucketKey(domain: string, family: CauseFamily, windowStart: number): string {
  return `${domain} ${family} ${windowStart}`;
}

function newBucket(): Bucket {
  return { counts: emptyOutcomeCounts(), delaySumMs: 0, delayMaxMs: 0 };
}

function addToBucket(bucket: Bucket, outcome: MessageOutcome): void {
  bucket.counts[outcome.outcome] += 1;
  if (outcome.outcome !== 'delivered-later') return;
  const delay = outcome.at - outcome.firstDeferred;
  bucket.delaySumMs += delay;
  if (delay > bucket.delayMaxMs) bucket.delayMaxMs = delay;
}

function delayOf(bucket: Bucket): DeliveryDelay | undefined {
  const count = bucket.counts['delivered-later'];
  if (count === 0) return undefined;
  return { count, meanMs: Math.round(bucket.delaySumMs / count), maxMs: bucket.delayMaxMs };
}

/** Groups that end up in one incident, in window order. */
interface Run {
  readonly family: CauseFamily;
  readonly groups: Group[];
  readonly windowStart: number;
  windowEnd: number;
  attempts: number;
}

/**
 * Merges groups into incidents: per recipient domain and cause family, windows that follow one
 * another (quiet gaps shorter than a retry interval included) make one incident. Domains whose
 * verdicts name one shared cause (our local resolver, our sender domain, one DNS provider's name
 * servers) are merged into a single incident that names them all. Groups of the `expired` cause
 * (retry limits reached) join the incident of their domain that they end. Worst first.
 */
export function buildIncidents(
  groups: readonly Group[],
  tally: OutcomeTally,
  windowMs: number,
): Incident[] {
  const maxGapMs = Math.floor(RETRY_GAP_MS / windowMs) * windowMs;
  const failing = groups.filter((group) => group.attempts > 0);
  const lanes = laneGroups(failing.filter((group) => group.cause !== 'expired'));
  const runs = [...lanes.values()].flatMap((lane) => splitIntoRuns(lane, maxGapMs));
  const orphans = attachExpiries(
    runs,
    failing.filter((group) => group.cause === 'expired'),
    maxGapMs,
  );
  for (const lane of laneGroups(orphans).values()) runs.push(...splitIntoRuns(lane, maxGapMs));
  runs.sort((a, b) => a.windowStart - b.windowStart);

  const claimed = new Set<Bucket>();
  return sortWorstFirst(runs.map((run) => toIncident(run, tally, claimed)));
}

/** Groups keyed by cause family and the shared cause or domain they belong to. */
function laneGroups(groups: readonly Group[]): Map<string, Group[]> {
  const lanes = new Map<string, Group[]>();
  for (const group of groups) {
    const key = `${causeFamily(group.cause)} ${sharedCause(group) ?? group.domain}`;
    const lane = lanes.get(key);
    if (lane === undefined) lanes.set(key, [group]);
    else lane.push(group);
  }

  return lanes;
}

/**
 * What ties failing domains together, from the verdict; undefined when the verdict is about the
 * domain alone. Keys start with a space so that no domain name can equal one. Recipients whose
 * servers could not resolve our sender domain share the incident of that sender domain.
 */
function sharedCause(group: Group): string | undefined {
  const { verdict } = group;
  if (verdict.kind === 'local-resolver') return ' local-resolver';
  if (verdict.kind === 'recovered' && verdict.detail?.startsWith('local-resolver')) {
    return ' local-resolver';
  }

  // Our sender domain, named by the verdict, or by the remote replies before a re-check.
  if (verdict.kind === 'sender-dns' || (group.cause === 'sender-dns' && !isChecked(verdict))) {
    return ` sender-dns ${(verdict.about ?? group.senderDomains).join(' ')}`;
  }

  if (verdict.kind === 'provider-outage') return ` provider ${nameServersOf(verdict).join(' ')}`;
  return undefined;
}

function isChecked(verdict: Verdict): boolean {
  return verdict.kind !== 'not-checked';
}

/** The authoritative servers the verdict's probes asked: one provider's set of name servers. */
function nameServersOf(verdict: Verdict): string[] {
  const servers = new Set<string>();
  for (const probe of verdict.probes ?? []) {
    if (probe.role === 'authoritative') servers.add(probe.serverName ?? probe.server);
  }

  return [...servers].sort();
}

/** Splits a lane (a fresh list, sorted here in place) into runs of windows close together. */
function splitIntoRuns(lane: Group[], maxGapMs: number): Run[] {
  const sorted = lane.sort((a, b) => a.windowStart - b.windowStart);
  const runs: Run[] = [];
  let current: Run | undefined;
  for (const group of sorted) {
    const family = causeFamily(group.cause);
    if (current === undefined || group.windowStart - current.windowEnd > maxGapMs) {
      current = { family, groups: [], windowStart: group.windowStart, windowEnd: 0, attempts: 0 };
      runs.push(current);
    }

    addToRun(current, group);
  }

  return runs;
}

function addToRun(run: Run, group: Group): void {
  run.groups.push(group);
  run.windowEnd = Math.max(run.windowEnd, group.windowEnd);
  run.attempts += group.attempts;
}

/** Adds each `expired` group to the incident it closes in which its domain failed most (not the
 *  largest incident: a shared one counts other domains' attempts); returns the groups no
 *  incident takes. */
function attachExpiries(runs: readonly Run[], expiries: readonly Group[], maxGapMs: number) {
  const byDomain = runsByDomain(runs);
  const orphans: Group[] = [];
  for (const expiry of expiries) {
    let target: Run | undefined;
    let targetAttempts = 0;
    for (const run of byDomain.get(expiry.domain) ?? []) {
      const closes =
        expiry.windowStart >= run.windowStart && expiry.windowStart - run.windowEnd <= maxGapMs;
      const attempts = attemptsOf(run, expiry.domain);
      if (closes && (target === undefined || attempts > targetAttempts)) {
        target = run;
        targetAttempts = attempts;
      }
    }

    if (target === undefined) orphans.push(expiry);
    else addToRun(target, expiry);
  }

  return orphans;
}

function attemptsOf(run: Run, domain: string): number {
  let attempts = 0;
  for (const group of run.groups) if (group.domain === domain) attempts += group.attempts;
  return attempts;
}

function runsByDomain(runs: readonly Run[]): Map<string, Run[]> {
  const byDomain = new Map<string, Run[]>();
  for (const run of runs) {
    for (const domain of new Set(run.groups.map((group) => group.domain))) {
      const list = byDomain.get(domain);
      if (list === undefined) byDomain.set(domain, [run]);
      else list.push(run);
    }
  }

  return byDomain;
}

function toIncident(run: Run, tally: OutcomeTally, claimed: Set<Bucket>): Incident {
  const domains = rankBy(run.groups, (group) => group.domain);
  const peak = peakWindow(run.groups);
  const { outcomes, deliveryDelay } = outcomesOf(run, tally, claimed);
  const start = run.groups.reduce((first, group) => Math.min(first, group.firstSeen), Infinity);
  return {
    id: incidentId(start, run.family, domains),
    domains,
    causeFamily: run.family,
    causes: rankBy(run.groups, (group) => group.cause),
    start,
    end: run.groups.reduce((last, group) => Math.max(last, group.lastSeen), -Infinity),
    peakWindowStart: peak.windowStart,
    peakAttempts: peak.attempts,
    attempts: run.attempts,
    messages: Math.max(messagesLowerBound(run.groups), countAll(outcomes)),
    outcomes,
    ...(deliveryDelay === undefined ? {} : { deliveryDelay }),
    verdict: verdictOf(run.groups),
    groups: run.groups,
  };
}

/** Distinct values, the one with the most attempts first, then by name. */
function rankBy<T extends string>(groups: readonly Group[], valueOf: (group: Group) => T): T[] {
  const attempts = new Map<T, number>();
  for (const group of groups) {
    const value = valueOf(group);
    attempts.set(value, (attempts.get(value) ?? 0) + group.attempts);
  }

  return [...attempts.entries()]
    .sort(([a, left], [b, right]) => right - left || a.localeCompare(b))
    .map(([value]) => value);
}

/** The window with the most attempts over all the incident's domains; the earliest on a tie. */
function peakWindow(groups: readonly Group[]): { windowStart: number; attempts: number } {
  const perWindow = new Map<number, number>();
  for (const group of groups) {
    perWindow.set(group.windowStart, (perWindow.get(group.windowStart) ?? 0) + group.attempts);
  }

  let peak = { windowStart: 0, attempts: -1 };
  for (const [windowStart, attempts] of perWindow) {
    if (
      attempts > peak.attempts ||
      (attempts === peak.attempts && windowStart < peak.windowStart)
    ) {
      peak = { windowStart, attempts };
    }
  }

  return peak;
}

/**
 * Outcomes of the recipients first deferred inside the incident. A bucket is counted by the
 * first incident that claims it, so no recipient is counted twice.
 */
function outcomesOf(
  run: Run,
  tally: OutcomeTally,
  claimed: Set<Bucket>,
): { outcomes: OutcomeCounts; deliveryDelay: DeliveryDelay | undefined } {
  const outcomes = emptyOutcomeCounts();
  const delays: DeliveryDelay[] = [];
  for (const group of run.groups) {
    const bucket = tally.bucketFor(group.domain, run.family, group.windowStart);
    if (bucket === undefined || claimed.has(bucket)) continue;
    claimed.add(bucket);
    for (const kind of OUTCOME_KINDS) outcomes[kind] += bucket.counts[kind];
    const delay = delayOf(bucket);
    if (delay !== undefined) delays.push(delay);
  }

  return { outcomes, deliveryDelay: combineDelays(delays) };
}

function combineDelays(delays: readonly DeliveryDelay[]): DeliveryDelay | undefined {
  if (delays.length === 0) return undefined;
  let count = 0;
  let sum = 0;
  let max = 0;
  for (const delay of delays) {
    count += delay.count;
    sum += delay.meanMs * delay.count;
    max = Math.max(max, delay.maxMs);
  }

  return { count, meanMs: Math.round(sum / count), maxMs: max };
}

/**
 * A message deferred in several windows is in each window's group, so groups cannot be summed.
 * The busiest window of each domain is a floor for the messages affected.
 */
function messagesLowerBound(groups: readonly Group[]): number {
  const perDomain = new Map<string, number>();
  for (const group of groups) {
    perDomain.set(group.domain, Math.max(perDomain.get(group.domain) ?? 0, group.messages));
  }

  return [...perDomain.values()].reduce((sum, messages) => sum + messages, 0);
}

function countAll(counts: OutcomeCounts): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/** The verdict of the busiest group that was checked; `not-checked` when none was. */
function verdictOf(groups: readonly Group[]): Verdict {
  let best: Group | undefined;
  let busiest: Group | undefined;
  for (const group of groups) {
    if (busiest === undefined || group.attempts > busiest.attempts) busiest = group;
    if (group.verdict.kind === 'not-checked') continue;
    if (best === undefined || group.attempts > best.attempts) best = group;
  }

  // With nothing checked, the busiest group's own not-checked verdict says why (--offline,
  // a budget of 0, a cause that is not about DNS).
  return best?.verdict ?? busiest?.verdict ?? NOT_CHECKED;
}

/** Stable and readable: first window, family, busiest domain and how many more there are. */
function incidentId(start: number, family: CauseFamily, domains: readonly string[]): string {
  const time = new Date(start).toISOString().slice(0, 16).replace(/[-:]/g, '');
  const more = domains.length > 1 ? `+${domains.length - 1}` : '';
  return `${time}Z-${family}-${domains[0] ?? 'none'}${more}`;
}

/** Most messages first, then most attempts, then earliest. */
/**
 * How hard it failed at its worst first (the messages of the busiest window), then how many
 * messages it held in all: an hour-long outage of one domain ranks above a day of greylisting
 * spread thinly over many messages.
 */
function sortWorstFirst(incidents: Incident[]): Incident[] {
  const peaks = new Map(incidents.map((incident) => [incident, peakMessages(incident.groups)]));
  const peakOf = (incident: Incident) => peaks.get(incident) ?? 0;
  return incidents.sort(
    (a, b) =>
      peakOf(b) - peakOf(a) ||
      b.messages - a.messages ||
      b.attempts - a.attempts ||
      a.start - b.start ||
      a.id.localeCompare(b.id),
  );
}

/** The most messages that failed in one window, over all the incident's domains. */
function peakMessages(groups: readonly Group[]): number {
  const perWindow = new Map<number, number>();
  for (const group of groups) {
    perWindow.set(group.windowStart, (perWindow.get(group.windowStart) ?? 0) + group.messages);
  }

  return Math.max(0, ...perWindow.values());
}
