// The values each pipeline stage hands to the next: lines become delivery events, events
// become groups, groups get verdicts and join into incidents.

export type Mta = 'postfix' | 'exim' | 'sendmail';

export const STATUSES = ['sent', 'deferred', 'bounced', 'expired'] as const;
export type Status = (typeof STATUSES)[number];

export const CAUSES = [
  'dns-tempfail',
  'dns-notfound',
  'dns-nodata',
  'null-mx',
  'mx-unresolvable',
  'remote-dns',
  'sender-dns',
  'remote-tempfail',
  'remote-reject',
  'connection',
  'tls',
  'expired',
  'other',
] as const;
export type Cause = (typeof CAUSES)[number];

/** Causes whose groups get a DNS re-check and a verdict. */
export const DNS_CAUSES: ReadonlySet<Cause> = new Set<Cause>([
  'dns-tempfail',
  'dns-notfound',
  'dns-nodata',
  'null-mx',
  'mx-unresolvable',
  'remote-dns',
  'sender-dns',
]);

/** Where a line came from: file name as given (or `-` for stdin) and 1-based line number. */
export interface Source {
  readonly file: string;
  readonly line: number;
}

/** One physical log line, split into its syslog (or Exim, or journald) envelope. */
export interface Envelope {
  /** Milliseconds since the epoch, UTC. */
  readonly time: number;
  /** Host name from the envelope; empty when the format has none (Exim's own mainlog). */
  readonly host: string;
  /** Program tag as logged: `postfix/smtp`, `postfix-out/smtp`, `sm-mta`, `exim4`, ... */
  readonly program: string;
  readonly pid?: number;
  /** The text after `tag[pid]: ` with the envelope removed. */
  readonly message: string;
  /** journalctl left the message out (`"MESSAGE":null`, over 4096 bytes without `--all`):
   *  `message` is empty, but the entry still names its program. */
  readonly isMessageLeftOut?: true;
  readonly source: Source;
}

/** What a mail-server parser reads from one delivery record, before classification. */
export interface DeliveryRecord {
  readonly kind: 'delivery';
  readonly time: number;
  readonly host: string;
  readonly mta: Mta;
  /** Daemon that wrote the line: `smtp`, `error`, `qmgr`, `sm-mta`, `exim`, ... */
  readonly daemon: string;
  /** Postfix or Sendmail queue id, Exim message id. */
  readonly queueId: string;
  /** Recipient address as logged (Unicode kept). */
  readonly recipient: string;
  readonly sender?: string;
  readonly status: Status;
  readonly dsn?: string;
  readonly relay?: string;
  /** Reply or status text: Postfix's parenthesised text, Exim's message, Sendmail's stat=. */
  readonly text: string;
  /** True for Sendmail's submission hand-off (`stat=queued` or `Sent (... accepted for delivery)`
   *  from the `sendmail` program): logged, but not a delivery to the recipient's domain. */
  readonly isHandoff?: boolean;
  readonly source: Source;
}

/** A message left the queue (Postfix `removed`, Exim `Completed`). */
export interface MessageDoneRecord {
  readonly kind: 'message-done';
  readonly time: number;
  readonly mta: Mta;
  readonly host: string;
  readonly queueId: string;
  readonly source: Source;
}

/** A message expired with no recipient named on the line (Postfix qmgr `status=expired`). */
export interface MessageExpiredRecord {
  readonly kind: 'message-expired';
  readonly time: number;
  readonly mta: Mta;
  readonly host: string;
  readonly queueId: string;
  readonly sender?: string;
  readonly text: string;
  readonly source: Source;
}

/**
 * A recipient handed to another queue of the same host under a new id (Sendmail's submission
 * program relaying to the local daemon: `stat=Sent (6B3IYZ2K001372 Message accepted for
 * delivery)`): its story goes on under `newQueueId`.
 */
export interface MessageHandoffRecord {
  readonly kind: 'message-handoff';
  readonly time: number;
  readonly mta: Mta;
  readonly host: string;
  readonly queueId: string;
  readonly recipient: string;
  readonly newQueueId: string;
  readonly source: Source;
}

/**
 * A whole message put back into the queue under a new id (Postfix `postsuper -r`: pickup logs
 * `NEWID: uid=N from=<...> orig_id=OLDID`): the story of every recipient still open under
 * `queueId` goes on under `newQueueId`.
 */
export interface MessageRequeuedRecord {
  readonly kind: 'message-requeued';
  readonly time: number;
  readonly mta: Mta;
  readonly host: string;
  readonly queueId: string;
  readonly newQueueId: string;
  readonly source: Source;
}

/** What the reading stage passes on besides delivery events. */
export type MessageRecord =
  MessageDoneRecord | MessageExpiredRecord | MessageHandoffRecord | MessageRequeuedRecord;

export type MtaRecord = DeliveryRecord | MessageRecord;

/**
 * A mail-server parser. `parse` returns the records of one line, an empty array for a line it
 * understands but that carries no delivery information (pickup, cleanup, warnings), and
 * `undefined` for a line it does not understand (counted as not understood).
 */
export interface MtaParser {
  readonly mta: Mta;
  /** Whether lines with this program tag belong to this mail server. */
  accepts(program: string): boolean;
  parse(envelope: Envelope): readonly MtaRecord[] | undefined;
}

/** What the classifier concludes from status, DSN and text. */
export interface Classification {
  readonly cause: Cause;
  /** Follow-on deferral that repeats an earlier failure without a new attempt. */
  readonly isRepeat: boolean;
  /** Name the failed look-up was for, when the text names one (`name=mx1.example.com`). */
  readonly lookupName?: string;
}

/** One recipient's delivery attempt outcome, classified. */
export interface DeliveryEvent {
  readonly time: number;
  readonly host: string;
  readonly mta: Mta;
  readonly daemon: string;
  readonly queueId: string;
  readonly recipient: string;
  /** Lower-case, no trailing dot, IDN as A-label. */
  readonly domain: string;
  /** Unicode form for display when it differs from `domain`. */
  readonly domainDisplay?: string;
  readonly sender?: string;
  /** Sender domain, normalised like `domain`; checked for `sender-dns` groups. */
  readonly senderDomain?: string;
  readonly status: Status;
  readonly dsn?: string;
  readonly relay?: string;
  readonly text: string;
  readonly cause: Cause;
  readonly isRepeat: boolean;
  readonly lookupName?: string;
  readonly source: Source;
}

/** One DNS query to one server, kept as evidence. */
export interface Probe {
  /** `local` (our resolver), `reference` (a user-given resolver), `reference-cd` (same with the
   *  CD bit), `iterative` (delegation walk), `authoritative` (a name server of the zone). */
  readonly role: 'local' | 'reference' | 'reference-cd' | 'iterative' | 'authoritative';
  /** `address:port`, IPv6 in brackets. */
  readonly server: string;
  /** Name server host name, for authoritative probes. */
  readonly serverName?: string;
  readonly question: { readonly name: string; readonly type: string };
  /** `answer`, `nxdomain`, `nodata`, `servfail`, `refused`, `not-authoritative`,
   *  `upward-referral`, `referral`, `timeout`, `tcp-timeout`, `unreachable`, `formerr`,
   *  `bad-response`, ... */
  readonly result: string;
  readonly rcode?: string;
  readonly flags?: readonly string[];
  readonly answers?: readonly string[];
  readonly transport: 'udp' | 'tcp';
  readonly ms: number;
}

export const VERDICT_KINDS = [
  'local-resolver',
  'recipient-dns',
  'provider-outage',
  'recipient-dnssec',
  'domain-missing',
  'null-mx',
  'no-mail-host',
  'mx-unresolvable',
  'relay-resolver',
  'sender-dns',
  'remote-policy',
  'recovered',
  'healthy',
  'inconclusive',
  'not-checked',
] as const;
export type VerdictKind = (typeof VERDICT_KINDS)[number];

export interface Verdict {
  readonly kind: VerdictKind;
  readonly detail?: string;
  /** ISO UTC time of the re-check; absent for `not-checked`. */
  readonly checkedAt?: string;
  /** One line a person reads: "local resolver 127.0.0.1:53: SERVFAIL; all 2 ...". */
  readonly reason?: string;
  /** Which evidence the verdict rests on: `probes`, `breadth`, `later-delivery`, `shared-ns`. */
  readonly basis?: readonly string[];
  readonly probes?: readonly Probe[];
  /** The domains the verdict is about when they are not the group's own: the sender domains
   *  remote servers could not resolve, for a `sender-dns` group. */
  readonly about?: readonly string[];
}

export const NOT_CHECKED: Verdict = { kind: 'not-checked' };

/** The verdict of a group with a DNS cause when the re-check is switched off. */
export const OFFLINE_VERDICT: Verdict = {
  kind: 'not-checked',
  reason: 'the DNS re-check was switched off (--offline)',
};

/** A group's verdict when the re-check is switched off: a cause that is no DNS failure would
 *  not be re-checked anyway, and says so, as it does with the re-check on. */
export function offlineVerdict(cause: Cause): Verdict {
  return DNS_CAUSES.has(cause) || cause === 'remote-tempfail'
    ? OFFLINE_VERDICT
    : { kind: 'not-checked', reason: `no DNS re-check for cause ${cause}` };
}

/** Times are epoch ms from the year 1000 to the end of 9999: what every report can write with a
 *  four-digit year. A log line stamped outside is not understood. */
export const EARLIEST_TIME = Date.UTC(1000, 0, 1);
export const LATEST_TIME = Date.UTC(10000, 0, 1);

export type StatusCounts = Record<Status, number>;

/** The events of one recipient domain, one cause, one window. Times are epoch ms UTC. */
export interface Group {
  readonly domain: string;
  readonly domainDisplay?: string;
  readonly cause: Cause;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Delivery events in the group (repeats included). */
  readonly attempts: number;
  /** Follow-on deferrals among the attempts. */
  readonly repeats: number;
  /** Distinct messages (host + queue id). */
  readonly messages: number;
  /** Distinct recipient addresses. */
  readonly recipients: number;
  readonly statuses: StatusCounts;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly hosts: readonly string[];
  readonly mtas: readonly Mta[];
  /** A few distinct reply texts, control characters removed. */
  readonly examples: readonly string[];
  /** Names the failed look-ups were for (MX host names, the domain itself). */
  readonly lookupNames: readonly string[];
  /** Sender domains seen in the group (the domain `sender-dns` groups are checked against). */
  readonly senderDomains: readonly string[];
  readonly verdict: Verdict;
}

/** What the verdict stage needs to know about one group. Times are epoch ms UTC. */
export interface GroupEvidence {
  /** The group's key in verdict maps. */
  readonly key: string;
  readonly domain: string;
  readonly cause: Cause;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly lastSeen: number;
  readonly senderDomains: readonly string[];
  readonly lookupNames: readonly string[];
  /** A few distinct reply texts, which can say what a remote held against us. */
  readonly examples: readonly string[];
  readonly attempts: number;
  /** Attempts whose remote reply was about our PTR record or HELO name. */
  readonly aboutOurNames: number;
}

export interface Summary {
  /** First and last event time seen, epoch ms; undefined for empty input. */
  readonly periodStart?: number;
  readonly periodEnd?: number;
  readonly inputs: readonly string[];
  /** Inputs that could not be read, with the message. */
  readonly inputErrors: readonly { readonly input: string; readonly message: string }[];
  readonly linesRead: number;
  readonly linesNotUnderstood: number;
  /** Not-understood lines by `mta/daemon` (or `unknown/program`, `envelope`). */
  readonly notUnderstoodBy: Readonly<Record<string, number>>;
  /** Lines of programs that are not mail servers (dovecot, opendkim, cron): skipped by design. */
  readonly linesOtherPrograms: number;
  readonly otherProgramsBy: Readonly<Record<string, number>>;
  /** Sendmail submission hand-offs to the local daemon: logged as `Sent`, not deliveries. */
  readonly handoffs: number;
  /** Events outside `--since`/`--until`. */
  readonly eventsOutsidePeriod: number;
  /** Events older than windows already closed: the inputs were not in time order (several
   *  hosts' logs one after the other), so distinct counts may count a message twice. */
  readonly eventsOutOfOrder: number;
  /** Messages that expired with none of their recipients in the log: queued before it began,
   *  so no `expired` event could name a recipient. */
  readonly expiredUnnamed: number;
  /** `--since` and `--until` as given, epoch ms. */
  readonly since?: number;
  readonly until?: number;
  /** Warnings from reading: over-long lines cut, Exim split records never completed. */
  readonly inputWarnings: number;
  readonly events: number;
  readonly statuses: StatusCounts;
  readonly groups: number;
  readonly domains: number;
  readonly windowMs: number;
}

/** `removed`: the message left the queue (Postfix `removed`, Exim `Completed`) with no final
 *  line for the recipient: mostly deleted by the postmaster (`postsuper -d`, `exim -Mrm`), also
 *  an Exim discard after a deferral, or a final line no parser understood (counted as such). */
export type OutcomeKind = 'delivered-later' | 'bounced' | 'expired' | 'removed' | 'still-queued';

/** What finally happened to one deferred recipient of one message. */
export interface MessageOutcome {
  readonly host: string;
  readonly queueId: string;
  readonly recipient: string;
  readonly domain: string;
  readonly firstDeferred: number;
  readonly cause: Cause;
  readonly outcome: OutcomeKind;
  /** When the outcome happened (or the log's end for still-queued). */
  readonly at: number;
  readonly attempts: number;
}

export type OutcomeCounts = Record<OutcomeKind, number>;

/** How long the recipients delivered later waited, from their first deferral to delivery. */
export interface DeliveryDelay {
  readonly count: number;
  readonly meanMs: number;
  readonly maxMs: number;
}

/** Consecutive windows of the same domain(s) and cause family merged into one span. */
export interface Incident {
  readonly id: string;
  /** One domain, or many when they failed together (the local-resolver shape). */
  readonly domains: readonly string[];
  readonly causeFamily: 'dns' | 'remote' | 'connection' | 'tls' | 'other';
  readonly causes: readonly Cause[];
  readonly start: number;
  readonly end: number;
  readonly peakWindowStart: number;
  readonly peakAttempts: number;
  readonly attempts: number;
  readonly messages: number;
  readonly outcomes: OutcomeCounts;
  /** Delay of the recipients delivered later, when there were any. */
  readonly deliveryDelay?: DeliveryDelay;
  readonly verdict: Verdict;
  /** The groups the incident was made of, in window order: its charts and reply texts. The
   *  machine formats list groups in records of their own and leave this out. */
  readonly groups: readonly Group[];
}

/** Everything the output formats need. */
export interface Analysis {
  readonly generatedAt: number;
  readonly summary: Summary;
  /** Worst first. */
  readonly groups: readonly Group[];
  readonly incidents: readonly Incident[];
  /** Outcome counts over all deferred recipients. */
  readonly outcomes: OutcomeCounts;
  /** Delay of all recipients delivered later, when there were any. */
  readonly deliveryDelay?: DeliveryDelay;
}
