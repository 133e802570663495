import type {
  Cause,
  DeliveryEvent,
  MessageHandoffRecord,
  MessageRecord,
  MessageRequeuedRecord,
  MessageOutcome,
  OutcomeKind,
} from '../model.js';
import { recipientKey } from '../classify/domain.js';
import { detach } from '../classify/text.js';
import { createInsertionOrder } from '../insertion-order.js';

export interface OutcomeTracker {
  addEvent(event: DeliveryEvent): void;
  /** How many open recipients the record closed. */
  addRecord(record: MessageRecord): number;
  /** Follows on recipients a previous run left open (`summary --state`). */
  carryOver(recipients: readonly CarriedRecipient[]): void;
  /** The recipients still open, the most recently deferred last; at most `limit` of them. */
  stillOpen(limit: number): CarriedRecipient[];
  /** Everything still open becomes `still-queued` at `logEnd`. */
  finish(logEnd: number): void;
  /** Recipients deferred and not yet finished. */
  readonly openCount: number;
  /** Recipients given up as `still-queued` early because the cap on open entries was reached. */
  readonly evictedCount: number;
}

export interface OutcomeTrackerOptions {
  /** Most deferred recipients followed at once; the oldest beyond it is counted still-queued. */
  readonly maxOpen?: number;
}

/**
 * With what the parser keeps of each message, an open recipient costs about 1.1 KB: 100,000 of
 * them about 110 MB, and a queue that large is itself the incident.
 */
const DEFAULT_MAX_OPEN = 100_000;

/** Final lines of Sendmail recipients no deferral was open for, kept for a hand-off that is
 *  logged after them (`RecentFinals`). */
const MAX_RECENT_FINALS = 1000;
/** How long such a line waits for its hand-off. */
const RECENT_FINAL_MS = 60_000;

/** One deferred recipient of one message, followed until its outcome is known. */
interface OpenRecipient {
  readonly host: string;
  readonly queueId: string;
  readonly recipient: string;
  readonly domain: string;
  readonly firstDeferred: number;
  /** The cause of the first deferral: what put the message in the deferred queue. */
  readonly cause: Cause;
  attempts: number;
}

/** An open recipient as a state file keeps it between runs. */
export type CarriedRecipient = Readonly<OpenRecipient>;

/** Open recipients by host, then queue id (or Exim message id), then recipient address. */
type OpenIndex = Map<string, Map<string, Map<string, OpenRecipient>>>;

/**
 * Follows every deferred recipient (host + queue id + recipient) to what finally happened to it,
 * and reports each outcome once through `onOutcome`; a recipient bounced at its first attempt is
 * reported bounced at once, so that an incident of bounces counts them. Finished recipients are
 * forgotten at once, so memory grows with the recipients still open, never with the log; a cap
 * bounds even that.
 */
export function createOutcomeTracker(
  onOutcome: (outcome: MessageOutcome) => void,
  options: OutcomeTrackerOptions = {},
): OutcomeTracker {
  const maxOpen = options.maxOpen ?? DEFAULT_MAX_OPEN;
  const index: OpenIndex = new Map();
  /** Insertion order is the order recipients were opened: the first one is the oldest. */
  const opened = new Set<OpenRecipient>();
  // The oldest open recipient, found without walking the Set (see `insertion-order.ts`).
  const order = createInsertionOrder(
    () => opened.values(),
    () => opened.size,
  );
  const recentFinals = createRecentFinals((final) => {
    if (final.outcome === 'bounced') onOutcome(final);
  });
  let latest = 0;
  let evicted = 0;

  function addEvent(event: DeliveryEvent): void {
    if (event.time > latest) latest = event.time;
    // Most events are first-time deliveries of messages never deferred: nothing to look up.
    if (opened.size === 0 && event.status !== 'deferred') {
      finishedAtOnce(event);
      return;
    }

    const entry = index.get(event.host)?.get(event.queueId)?.get(recipientKey(event.recipient));
    if (event.status === 'deferred') {
      if (entry === undefined) open(event);
      else entry.attempts += 1;
      return;
    }

    if (entry === undefined) {
      finishedAtOnce(event);
      return;
    }

    entry.attempts += 1;
    close(entry, finalOutcome(event), event.time);
  }

  /** A final line no deferral was open for. Sendmail's may belong to a deferred recipient whose
   *  hand-off is logged after it: it waits for one before it counts as bounced at once. */
  function finishedAtOnce(event: DeliveryEvent): void {
    if (event.mta === 'sendmail') recentFinals.add(event);
    else if (finalOutcome(event) === 'bounced') onOutcome(atOnce(event));
  }

  function carryOver(recipients: readonly CarriedRecipient[]): void {
    for (const carried of recipients) {
      follow({ ...carried });
    }
  }

  function stillOpen(limit: number): CarriedRecipient[] {
    const all = [...opened];
    return all.slice(Math.max(0, all.length - limit)).map((entry) => ({ ...entry }));
  }

  function open(event: DeliveryEvent): void {
    // Kept until the outcome is known: copies that do not hold the log line's chunk alive.
    follow(firstFailure(event));
  }

  /** Opens `entry`: indexed by host, queue id and recipient, the newest in age order. */
  function follow(entry: OpenRecipient): void {
    recipientsFor(entry.host, entry.queueId).set(recipientKey(entry.recipient), entry);
    opened.add(entry);
    order.added(entry);
    if (opened.size > maxOpen) evictOldest();
  }

  /** The open recipients of one message, made on first use. */
  function recipientsFor(host: string, queueId: string): Map<string, OpenRecipient> {
    let messages = index.get(host);
    if (messages === undefined) {
      messages = new Map();
      index.set(host, messages);
    }

    let recipients = messages.get(queueId);
    if (recipients === undefined) {
      recipients = new Map();
      messages.set(queueId, recipients);
    }

    return recipients;
  }

  function evictOldest(): void {
    const oldest = order.takeOldest((entry) => opened.has(entry));
    if (oldest === undefined) return;
    evicted += 1;
    close(oldest, 'still-queued', latest);
  }

  function addRecord(record: MessageRecord): number {
    if (record.time > latest) latest = record.time;
    if (record.kind === 'message-handoff') return moveRecipient(record);
    if (record.kind === 'message-requeued') return moveMessage(record);

    // Postfix logs every delivery record before `removed`, and Exim before `Completed`: a
    // recipient still open at a done record had no final line (the postmaster deleted the
    // message, Exim discarded it, or the line was not understood). It left the queue all the
    // same: not still queued, in this run or any later one.
    const outcome = record.kind === 'message-done' ? 'removed' : 'expired';
    const recipients = [...(index.get(record.host)?.get(record.queueId)?.values() ?? [])];
    for (const entry of recipients) close(entry, outcome, record.time);
    return recipients.length;
  }

  /** A deferred recipient handed to another queue: followed on under its new queue id. */
  function moveRecipient(record: MessageHandoffRecord): number {
    const entry = index.get(record.host)?.get(record.queueId)?.get(recipientKey(record.recipient));
    if (entry === undefined) return 0;
    forget(entry);
    const moved: OpenRecipient = { ...entry, queueId: detach(record.newQueueId) };
    // The daemon may log the delivery before the submission program logs the hand-off.
    const final = recentFinals.take(moved.host, moved.queueId, moved.recipient, record.time);
    if (final !== undefined) {
      moved.attempts += 1;
      close(moved, final.outcome, final.at);
      return 1;
    }

    follow(moved);
    return 0;
  }

  /** A message requeued under a new id (`postsuper -r`): each open recipient follows it. Its
   *  recipients stay open, so this closes none. */
  function moveMessage(record: MessageRequeuedRecord): number {
    const recipients = [...(index.get(record.host)?.get(record.queueId)?.values() ?? [])];
    const newQueueId = detach(record.newQueueId);
    for (const entry of recipients) {
      forget(entry);
      follow({ ...entry, queueId: newQueueId });
    }

    return 0;
  }

  function close(entry: OpenRecipient, outcome: OutcomeKind, at: number): void {
    forget(entry);
    onOutcome({
      host: entry.host,
      queueId: entry.queueId,
      recipient: entry.recipient,
      domain: entry.domain,
      firstDeferred: entry.firstDeferred,
      cause: entry.cause,
      outcome,
      at,
      attempts: entry.attempts,
    });
  }

  function forget(entry: OpenRecipient): void {
    opened.delete(entry);
    const messages = index.get(entry.host);
    const recipients = messages?.get(entry.queueId);
    if (messages === undefined || recipients === undefined) return;
    recipients.delete(recipientKey(entry.recipient));
    if (recipients.size === 0) messages.delete(entry.queueId);
    if (messages.size === 0) index.delete(entry.host);
  }

  function finish(logEnd: number): void {
    recentFinals.flush();
    for (const entry of [...opened]) close(entry, 'still-queued', logEnd);
  }

  return {
    addEvent,
    addRecord,
    carryOver,
    stillOpen,
    finish,
    get openCount() {
      return opened.size;
    },
    get evictedCount() {
      return evicted;
    },
  };
}

/** The outcome of a recipient whose first attempt was final. */
function atOnce(event: DeliveryEvent): MessageOutcome {
  return { ...firstFailure(event), outcome: finalOutcome(event), at: event.time };
}

/**
 * Who failed first, where and why, after one attempt, in copies that do not keep the log line's
 * chunk alive. One object literal, as each open recipient keeps it until its outcome is known.
 */
function firstFailure(event: DeliveryEvent): OpenRecipient {
  return {
    host: detach(event.host),
    queueId: detach(event.queueId),
    recipient: detach(event.recipient),
    domain: event.domain,
    firstDeferred: event.time,
    cause: event.cause,
    attempts: 1,
  };
}

interface RecentFinals {
  add(event: DeliveryEvent): void;
  /** Lets go of every final line still waiting for a hand-off. */
  flush(): void;
  /** The outcome of a final line for this recipient under this queue id, logged at most
   *  `RECENT_FINAL_MS` before `at`; taken only once. */
  take(
    host: string,
    queueId: string,
    recipient: string,
    at: number,
  ): { outcome: OutcomeKind; at: number } | undefined;
}

/**
 * Sendmail's submission program hands a queued message to the local daemon and logs `Sent
 * (ID Message accepted for delivery)` when the daemon has accepted it; a fast local delivery
 * can be logged by the daemon first, in the same second. The last few final lines are kept
 * so that such a hand-off still finds the fate of its recipient.
 */
function createRecentFinals(onUnclaimed: (final: MessageOutcome) => void): RecentFinals {
  const finals = new Map<string, MessageOutcome>();
  const keyOf = (host: string, queueId: string, recipient: string) =>
    `${host}\u0000${queueId}\u0000${recipientKey(recipient)}`;

  /** Lines older than a hand-off may come after (or beyond the cap) were final at once. */
  function letGo(now: number): void {
    for (const [key, final] of finals) {
      if (finals.size <= MAX_RECENT_FINALS && now - final.at <= RECENT_FINAL_MS) break;
      finals.delete(key);
      onUnclaimed(final);
    }
  }

  return {
    add(event) {
      const key = keyOf(event.host, event.queueId, event.recipient);
      const earlier = finals.get(key);
      if (earlier !== undefined) {
        finals.delete(key);
        onUnclaimed(earlier);
      }

      finals.set(detach(key), atOnce(event));
      letGo(event.time);
    },
    take(host, queueId, recipient, at) {
      const key = keyOf(host, queueId, recipient);
      const final = finals.get(key);
      if (final === undefined || at - final.at > RECENT_FINAL_MS) return undefined;
      finals.delete(key);
      return final;
    },
    flush() {
      for (const final of finals.values()) onUnclaimed(final);
      finals.clear();
    },
  };
}

/**
 * A final line for an open recipient. Expiry shows either as its own status or as the
 * `expired` cause on a bounce (Exim's `retry timeout exceeded`, Sendmail's queue timeout).
 */
function finalOutcome(event: DeliveryEvent): OutcomeKind {
  if (event.status === 'expired' || event.cause === 'expired') return 'expired';
  if (event.status === 'sent') return 'delivered-later';
  return 'bounced';
}
