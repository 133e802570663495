// The traffic model behind the benchmark logs: messages arrive (Poisson, busier by day), are
// delivered recipient by recipient, deferred ones are retried on the mail server's schedule until
// delivered, bounced or expired. A day holds four incidents: one recipient domain's DNS fails for
// an hour, our own resolver fails every look-up for ten minutes, a hosting provider's MX hosts
// stop resolving for twenty minutes, and remote servers cannot resolve our sender domain for a
// quarter of an hour. The model is mail-server neutral; a dialect turns its events into lines.

import {
  type Domain,
  type MailHost,
  HOSTING_HOSTS,
  OUR_DOMAIN,
  OUR_MAIL_DOMAIN,
  buildDomains,
  buildOurUsers,
  pickLocalPart,
} from './domains.js';
import { EventQueue } from './event-queue.js';
import { Random, ZipfSampler } from './random.js';

export type DeliveryStatus = 'sent' | 'deferred' | 'bounced';

export type Failure =
  | 'dns-tempfail'
  | 'mx-tempfail'
  | 'nxdomain'
  | 'nodata'
  | 'null-mx'
  | 'mx-unresolvable'
  | 'relay-dns'
  | 'sender-dns'
  | 'greylisted'
  | 'rate-limited'
  | 'over-quota'
  | 'server-busy'
  | 'user-unknown'
  | 'spam-rejected'
  | 'refused'
  | 'timed-out'
  | 'lost-connection'
  | 'tls-handshake'
  | 'tlsa-error';

export interface Outcome {
  readonly status: DeliveryStatus;
  /** Absent when the message was sent. */
  readonly failure?: Failure;
  /** The host that answered, was tried, or whose address look-up failed. */
  readonly host: MailHost;
  /** A follow-on deferral repeating the destination's last failure without a new attempt. */
  readonly isRepeat: boolean;
  /** A first mail host that timed out before the next one accepted the message. */
  readonly skippedHost?: MailHost;
}

export interface Recipient {
  readonly address: string;
  readonly domain: Domain;
  /** Our own domain: delivered to the local mailbox server. */
  readonly isLocal: boolean;
  isFinal: boolean;
  attempts: number;
  lastOutcome?: Outcome;
}

export type Origin = 'submission' | 'pickup' | 'inbound' | 'notice';

export interface Message {
  readonly queueId: string;
  readonly origin: Origin;
  /** Envelope sender; empty for the null sender of a notification. */
  readonly sender: string;
  /** Our local account that sent it (submission, pickup); empty otherwise. */
  readonly user: string;
  /** The SMTP client that handed it to us (submission, inbound). */
  readonly client: MailHost | undefined;
  readonly size: number;
  readonly arrival: number;
  readonly recipients: readonly Recipient[];
  /** For a notification: the queue id of the message it reports on. */
  readonly parent: string;
  /** Process id of the SMTP server session, kept by the dialect. */
  session: number;
  pending: number;
  inRound: number;
  rounds: number;
  roundStart: number;
  failedInRound: number;
  nextAttempt: number;
}

export type NoiseKind =
  | 'spam-reject'
  | 'auth-failure'
  | 'lost-client'
  | 'hostname-warning'
  | 'sender-domain-reject'
  | 'statistics';

/** What a mail server does on its own schedule. */
export interface MtaPolicy {
  readonly lifetimeMs: number;
  /** Interval of queue runs that visit every deferred message (Exim); 0 for none (Postfix). */
  readonly queueRunMs: number;
  /** Interval of periodic statistics lines; 0 for none. */
  readonly statisticsMs: number;
  /** Average log lines per message, to spread the requested lines over the requested hours. */
  readonly linesPerMessage: number;
  /** Share of a day's messages already deferred when the log starts (dead destinations). */
  readonly backlogShare: number;
  /** How long a destination stays throttled after this failure (follow-on lines); 0 for not. */
  holdMs(failure: Failure): number;
  /** When a message deferred at `time` is next tried. */
  nextAttempt(message: Message, time: number): number;
}

/** Turns model events into log lines of one mail server. */
export interface Dialect {
  readonly policy: MtaPolicy;
  newQueueId(time: number): string;
  arrival(message: Message, time: number): void;
  disconnect(message: Message, time: number): void;
  activation(message: Message, time: number): void;
  delivery(message: Message, recipient: Recipient, outcome: Outcome, time: number): void;
  retryNotDue(message: Message, recipient: Recipient, time: number): void;
  expiry(message: Message, time: number): void;
  done(message: Message, time: number): void;
  queueRun(phase: 'start' | 'end', run: number, time: number): void;
  noise(kind: NoiseKind, time: number): void;
}

export interface Period {
  readonly start: number;
  readonly end: number;
}

export interface Scenario {
  readonly start: number;
  readonly hours: number;
  readonly domainOutage: Period & { readonly domain: string };
  readonly resolverOutage: Period;
  readonly providerOutage: Period & { readonly hosts: readonly string[] };
  readonly senderDnsOutage: Period & { readonly domain: string };
}

export interface TrafficOptions {
  readonly seed: number;
  readonly lines: number;
  readonly hours: number;
  readonly domains: number;
  /** Wall-clock start of the log, epoch ms (formatted as the writer's local time). */
  readonly start: number;
}

type EventKind =
  | 'arrival'
  | 'disconnect'
  | 'activate'
  | 'deliver'
  | 'done'
  | 'visit'
  | 'queue-run'
  | 'queue-run-end'
  | 'noise'
  | 'statistics';

interface SimEvent {
  readonly time: number;
  readonly kind: EventKind;
  readonly message?: Message;
  readonly recipient?: Recipient;
  readonly outcome?: Outcome;
  readonly run?: number;
}

interface Hold {
  readonly until: number;
  readonly outcome: Outcome;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const ZIPF_EXPONENT = 1.0;
const NOISE_PER_MESSAGE = 0.3;
const DAILY_SWING = 0.5;

/** Random failures of a healthy destination, per delivery attempt, checked in this order. */
const TRANSIENT_FAILURES: readonly (readonly [Failure, number])[] = [
  ['user-unknown', 0.019],
  ['spam-rejected', 0.003],
  ['timed-out', 0.005],
  ['lost-connection', 0.002],
  ['over-quota', 0.005],
  ['server-busy', 0.004],
  ['tlsa-error', 0.0008],
];

const PROVIDER_RATE_LIMIT = 0.008;

export class Traffic {
  readonly scenario: Scenario;
  /** Messages that arrived so far, and the time of the last event run. */
  messages = 0;
  now = 0;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly random: Random;
  private readonly domains: readonly Domain[];
  private readonly popularity: ZipfSampler;
  private readonly users: readonly string[];
  private readonly holds = new Map<Domain, Hold>();
  private readonly deferred = new Set<Message>();
  private readonly end: number;
  private meanArrivalGap: number;
  private queueRuns = 0;

  /** `countLines` tells how many lines are written so far; the arrival rate follows it. */
  constructor(
    private readonly dialect: Dialect,
    private readonly options: TrafficOptions,
    private readonly countLines: () => number = () => 0,
  ) {
    const root = new Random(options.seed);

    this.domains = buildDomains(options.domains, root.fork());
    this.users = buildOurUsers(2000, root.fork());
    this.random = root.fork();
    this.popularity = new ZipfSampler(this.domains.length, ZIPF_EXPONENT);
    this.scenario = planScenario(options, this.domains);

    const messages = options.lines / dialect.policy.linesPerMessage;
    this.meanArrivalGap = (options.hours * HOUR) / Math.max(messages, 1);
    this.end = options.start + options.hours * HOUR;
    this.schedule();
  }

  /** Runs the next event and writes its lines; false when nothing is left to do. */
  step(): boolean {
    const event = this.queue.pop();

    if (event === undefined) {
      return false;
    }

    this.now = event.time;
    this.handle(event);

    return true;
  }

  /** Deferred messages still queued (Exim's queue; Postfix messages wait in the event queue). */
  get queuedMessages(): number {
    return this.deferred.size;
  }

  private schedule(): void {
    const start = this.scenario.start;

    this.push({ time: start + this.random.exponential(this.meanArrivalGap), kind: 'arrival' });
    this.push({ time: start + this.noiseGap(), kind: 'noise' });
    this.addBacklog(start);

    if (this.dialect.policy.queueRunMs > 0) {
      this.push({ time: start + this.random.below(MINUTE), kind: 'queue-run' });
    }

    if (this.dialect.policy.statisticsMs > 0) {
      this.push({ time: start + this.dialect.policy.statisticsMs, kind: 'statistics' });
    }
  }

  private push(event: SimEvent): void {
    this.queue.push(event);
  }

  private handle(event: SimEvent): void {
    const { time, message, recipient, outcome } = event;

    switch (event.kind) {
      case 'arrival':
        return this.onArrival(time);
      case 'disconnect':
        return this.dialect.disconnect(message as Message, time);
      case 'activate':
        return this.onActivate(message as Message, time);
      case 'deliver':
        return this.onDeliver(message as Message, recipient as Recipient, outcome as Outcome, time);
      case 'done':
        return this.onDone(message as Message, time);
      case 'visit':
        return this.onVisit(message as Message, time);
      case 'queue-run':
        return this.onQueueRun(time);
      case 'queue-run-end':
        return this.dialect.queueRun('end', event.run ?? 0, time);
      case 'noise':
        return this.onNoise(time);
      case 'statistics':
        return this.onStatistics(time);
    }
  }

  private onArrival(time: number): void {
    const message = this.newMessage(time);

    this.messages += 1;
    this.dialect.arrival(message, time);

    if (this.messages % 256 === 0) {
      this.adjustRate(time);
    }

    this.push({ time: time + this.random.between(50, 400), kind: 'activate', message });

    if (message.client !== undefined) {
      this.push({ time: time + this.random.between(300, 900), kind: 'disconnect', message });
    }

    this.push({ time: this.nextArrivalTime(time), kind: 'arrival' });
  }

  /** Sets the arrival rate so the requested lines fill the requested hours. */
  private adjustRate(time: number): void {
    const written = this.countLines();
    const remaining = this.end - time;

    if (written < 2000 || remaining < MINUTE || written >= this.options.lines) {
      return;
    }

    const messagesLeft = (this.options.lines - written) / (written / this.messages);

    this.meanArrivalGap = (remaining * averageDailyRate(time, this.end)) / messagesLeft;
  }

  /** Poisson arrivals thinned by a daily curve: quiet at night, busiest mid-afternoon. */
  private nextArrivalTime(from: number): number {
    const peakGap = this.meanArrivalGap / (1 + DAILY_SWING);
    let time = from;

    for (;;) {
      time += this.random.exponential(peakGap);

      if (this.random.next() * (1 + DAILY_SWING) < dailyRate(time)) {
        return time;
      }
    }
  }

  private newMessage(time: number): Message {
    const roll = this.random.next();

    if (roll < 0.5) {
      return this.newOutgoing('submission', time);
    }

    return roll < 0.65 ? this.newOutgoing('pickup', time) : this.newIncoming(time);
  }

  private newOutgoing(origin: 'submission' | 'pickup', time: number): Message {
    const user = this.random.pick(this.users);
    const client = origin === 'submission' ? this.userClient() : undefined;
    const recipients = this.outgoingRecipients();

    return this.createMessage(
      { origin, sender: `${user}@${OUR_DOMAIN}`, user, client },
      recipients,
      time,
    );
  }

  private newIncoming(time: number): Message {
    const domain = this.pickDomain();
    const sender = `${pickLocalPart(this.random)}@${domain.name}`;
    const count = this.random.chance(0.1) ? 2 : 1;
    const recipients = Array.from({ length: count }, () => this.localRecipient(this.pickUser()));

    return this.createMessage(
      { origin: 'inbound', sender, user: '', client: domain.mailHosts[0] },
      recipients,
      time,
    );
  }

  private createMessage(
    head: Pick<Message, 'origin' | 'sender' | 'user' | 'client'>,
    recipients: Recipient[],
    time: number,
    parent = '',
  ): Message {
    return {
      ...head,
      queueId: this.dialect.newQueueId(time),
      size: this.messageSize(),
      arrival: time,
      recipients,
      parent,
      session: 0,
      pending: recipients.length,
      inRound: 0,
      rounds: 0,
      roundStart: time,
      failedInRound: 0,
      nextAttempt: time,
    };
  }

  private outgoingRecipients(): Recipient[] {
    const roll = this.random.next();
    const count =
      roll < 0.8 ? 1 : roll < 0.95 ? this.random.between(2, 3) : this.random.between(4, 12);
    const recipients: Recipient[] = [];

    for (let index = 0; index < count; index += 1) {
      recipients.push(
        this.random.chance(0.03) ? this.localRecipient(this.pickUser()) : this.remoteRecipient(),
      );
    }

    return recipients;
  }

  private remoteRecipient(): Recipient {
    const domain = this.pickDomain();

    return newRecipient(`${pickLocalPart(this.random)}@${domain.name}`, domain, false);
  }

  private localRecipient(user: string): Recipient {
    return newRecipient(`${user}@${OUR_DOMAIN}`, OUR_MAIL_DOMAIN, true);
  }

  private pickDomain(): Domain {
    return this.domains[this.popularity.draw(this.random)] as Domain;
  }

  private pickUser(): string {
    return this.random.pick(this.users);
  }

  private userClient(): MailHost {
    const last = this.random.between(2, 254);

    return this.random.chance(0.6)
      ? { name: 'unknown', address: `203.0.113.${last}` }
      : { name: `client-${last}.dyn.example.net`, address: `198.51.100.${last}` };
  }

  /** Message size in bytes: mostly a few kilobytes, a long tail of attachments. */
  private messageSize(): number {
    const base = 900 + Math.floor(this.random.exponential(9000));

    return this.random.chance(0.05) ? base + Math.floor(this.random.exponential(2_000_000)) : base;
  }

  private onActivate(message: Message, time: number): void {
    if (message.rounds > 0 && time - message.arrival > this.dialect.policy.lifetimeMs) {
      this.expire(message, time);
      return;
    }

    this.dialect.activation(message, time);
    message.rounds += 1;
    message.roundStart = time;

    let offset = this.random.between(5, 40);

    for (const recipient of message.recipients) {
      if (!recipient.isFinal) {
        const outcome = this.decide(message, recipient, time);

        offset += this.attemptDuration(outcome);
        message.inRound += 1;
        this.push({ time: time + offset, kind: 'deliver', message, recipient, outcome });
      }
    }
  }

  private onDeliver(message: Message, recipient: Recipient, outcome: Outcome, time: number): void {
    this.dialect.delivery(message, recipient, outcome, time);
    recipient.attempts += 1;
    recipient.lastOutcome = outcome;
    message.inRound -= 1;

    if (outcome.status !== 'deferred') {
      recipient.isFinal = true;
      message.pending -= 1;
      message.failedInRound += outcome.status === 'bounced' ? 1 : 0;
    }

    if (message.inRound === 0) {
      this.endRound(message, time);
    }
  }

  private endRound(message: Message, time: number): void {
    if (message.failedInRound > 0) {
      this.sendNotice(message, time);
    }

    if (message.pending === 0) {
      this.push({ time: time + this.random.between(1, 20), kind: 'done', message });
      return;
    }

    message.nextAttempt = this.dialect.policy.nextAttempt(message, time);

    if (this.dialect.policy.queueRunMs > 0) {
      this.deferred.add(message);
    } else {
      const jitter = this.random.between(0, 8 * SECOND);

      this.push({ time: message.nextAttempt + jitter, kind: 'activate', message });
    }
  }

  private expire(message: Message, time: number): void {
    this.deferred.delete(message);
    this.dialect.expiry(message, time);

    for (const recipient of message.recipients) {
      if (!recipient.isFinal) {
        recipient.isFinal = true;
        message.failedInRound += 1;
      }
    }

    message.pending = 0;
    this.sendNotice(message, time);
    this.push({ time: time + this.random.between(1, 20), kind: 'done', message });
  }

  /** The non-delivery notification to our local sender; the null sender gets none. */
  private sendNotice(message: Message, time: number): void {
    message.failedInRound = 0;

    if (message.user === '') {
      return;
    }

    const recipient = this.localRecipient(message.user);
    const head = { origin: 'notice' as const, sender: '', user: '', client: undefined };
    const notice = this.createMessage(head, [recipient], time, message.queueId);

    this.dialect.arrival(notice, time);
    this.push({ time: time + this.random.between(5, 30), kind: 'activate', message: notice });
  }

  private onDone(message: Message, time: number): void {
    this.deferred.delete(message);
    this.dialect.done(message, time);
  }

  /** Exim's queue runner visits every deferred message: retry it, or log that it is not due. */
  private onQueueRun(time: number): void {
    const run = (this.queueRuns += 1);
    const spacing = Math.min(50, (40 * SECOND) / Math.max(this.deferred.size, 1));
    let offset = this.random.between(10, 200);

    this.dialect.queueRun('start', run, time);

    for (const message of this.deferred) {
      offset += spacing;
      this.push({ time: time + offset, kind: 'visit', message });
    }

    this.push({ time: time + offset + this.random.between(100, 2000), kind: 'queue-run-end', run });
    this.push({ time: time + this.dialect.policy.queueRunMs, kind: 'queue-run' });
  }

  private onVisit(message: Message, time: number): void {
    if (!this.deferred.has(message)) {
      return;
    }

    if (time - message.arrival > this.dialect.policy.lifetimeMs) {
      this.expire(message, time);
    } else if (time >= message.nextAttempt) {
      this.deferred.delete(message);
      this.onActivate(message, time);
    } else {
      this.reportNotDue(message, time);
    }
  }

  private reportNotDue(message: Message, time: number): void {
    for (const recipient of message.recipients) {
      if (!recipient.isFinal) {
        this.dialect.retryNotDue(message, recipient, time);
      }
    }
  }

  private onNoise(time: number): void {
    this.dialect.noise(this.pickNoise(time), time);
    this.push({ time: time + this.noiseGap(), kind: 'noise' });
  }

  private onStatistics(time: number): void {
    this.dialect.noise('statistics', time);
    this.push({ time: time + this.dialect.policy.statisticsMs, kind: 'statistics' });
  }

  private noiseGap(): number {
    return this.random.exponential(this.meanArrivalGap / NOISE_PER_MESSAGE);
  }

  /** Inbound chatter; while our resolver is down, half of it shows the resolver's symptoms. */
  private pickNoise(time: number): NoiseKind {
    if (within(this.scenario.resolverOutage, time) && this.random.chance(0.5)) {
      return this.random.chance(0.5) ? 'hostname-warning' : 'sender-domain-reject';
    }

    const roll = this.random.next();

    return roll < 0.6 ? 'spam-reject' : roll < 0.85 ? 'auth-failure' : 'lost-client';
  }

  /** What happens to one recipient's delivery attempt at `time`. */
  private decide(message: Message, recipient: Recipient, time: number): Outcome {
    const domain = recipient.domain;

    if (recipient.isLocal) {
      return sent(domain.mailHosts[0] as MailHost);
    }

    const hold = this.holds.get(domain);

    if (hold !== undefined && time < hold.until) {
      return { ...hold.outcome, isRepeat: true };
    }

    const outcome = this.freshOutcome(message, recipient, time);
    const holdMs = outcome.failure === undefined ? 0 : this.dialect.policy.holdMs(outcome.failure);

    if (holdMs > 0) {
      this.holds.set(domain, { until: time + holdMs, outcome });
    }

    return outcome;
  }

  private freshOutcome(message: Message, recipient: Recipient, time: number): Outcome {
    const domain = recipient.domain;
    const host = this.random.pick(domain.mailHosts);

    return (
      this.incidentOutcome(domain, time) ??
      this.traitOutcome(domain, host, recipient) ??
      this.episodeOutcome(domain, host, time) ??
      this.transientOutcome(domain, host) ??
      sent(host)
    );
  }

  private incidentOutcome(domain: Domain, time: number): Outcome | undefined {
    const { resolverOutage, domainOutage, providerOutage } = this.scenario;
    const firstHost = domain.mailHosts[0] as MailHost;

    if (within(resolverOutage, time)) {
      return failed('deferred', 'dns-tempfail', firstHost);
    }

    if (domain.name === domainOutage.domain && within(domainOutage, time)) {
      return failed('deferred', 'dns-tempfail', firstHost);
    }

    if (domain.isHosted && within(providerOutage, time)) {
      return failed('deferred', 'mx-tempfail', this.random.pick(HOSTING_HOSTS));
    }

    return undefined;
  }

  private traitOutcome(domain: Domain, host: MailHost, recipient: Recipient): Outcome | undefined {
    switch (domain.trait) {
      case 'nxdomain':
      case 'nodata':
      case 'null-mx':
      case 'mx-unresolvable':
        return failed('bounced', domain.trait, host);
      case 'dead-mx':
        return failed('deferred', this.random.chance(0.7) ? 'refused' : 'timed-out', host);
      case 'tls-broken':
        return failed('deferred', 'tls-handshake', host);
      case 'greylisting':
        return recipient.attempts === 0 ? failed('deferred', 'greylisted', host) : undefined;
      case 'via-relay':
        return this.random.chance(0.3) ? failed('deferred', 'relay-dns', host) : undefined;
      case 'healthy':
        return undefined;
    }
  }

  private episodeOutcome(domain: Domain, host: MailHost, time: number): Outcome | undefined {
    if (domain.checksSenderDomain && within(this.scenario.senderDnsOutage, time)) {
      return failed('deferred', 'sender-dns', host);
    }

    return undefined;
  }

  private transientOutcome(domain: Domain, host: MailHost): Outcome | undefined {
    let roll = this.random.next();

    if (domain.isProvider && roll < PROVIDER_RATE_LIMIT) {
      return failed('deferred', 'rate-limited', host);
    }

    for (const [failure, share] of TRANSIENT_FAILURES) {
      if (roll < share) {
        return this.transientFailure(failure, domain, host);
      }

      roll -= share;
    }

    return undefined;
  }

  /** Bounces and remote replies stand; a connection failure on one of several hosts moves on. */
  private transientFailure(failure: Failure, domain: Domain, host: MailHost): Outcome {
    const others = domain.mailHosts.filter((other) => other !== host);

    if ((failure === 'timed-out' || failure === 'lost-connection') && others.length > 0) {
      return { status: 'sent', host: this.random.pick(others), isRepeat: false, skippedHost: host };
    }

    const status =
      failure === 'user-unknown' || failure === 'spam-rejected' ? 'bounced' : 'deferred';

    return failed(status, failure, host);
  }

  /** Milliseconds from the start of an attempt to its log record. */
  private attemptDuration(outcome: Outcome): number {
    if (outcome.isRepeat) {
      return this.random.between(2, 30);
    }

    if (outcome.skippedHost !== undefined) {
      return 30 * SECOND + this.random.between(100, 1500);
    }

    return this.random.between(...DURATIONS[outcome.failure ?? 'sent']);
  }

  /** Messages that were already deferred before the log starts, to dead destinations. */
  private addBacklog(start: number): void {
    const dead = this.domains.filter((domain) => ['dead-mx', 'tls-broken'].includes(domain.trait));
    const count = Math.max(5, Math.round(this.meanMessages() * this.dialect.policy.backlogShare));

    if (dead.length === 0) {
      return;
    }

    for (let index = 0; index < count; index += 1) {
      this.addBacklogMessage(this.random.pick(dead), start);
    }
  }

  private addBacklogMessage(domain: Domain, start: number): void {
    const user = this.pickUser();
    const age = this.random.between(HOUR, this.dialect.policy.lifetimeMs - MINUTE);
    const recipient = newRecipient(`${pickLocalPart(this.random)}@${domain.name}`, domain, false);
    const head = {
      origin: 'submission' as const,
      sender: `${user}@${OUR_DOMAIN}`,
      user,
      client: undefined,
    };
    const message = this.createMessage(head, [recipient], start - age);

    message.rounds = 10;
    recipient.attempts = 10;
    recipient.lastOutcome = this.freshOutcome(message, recipient, start);
    message.nextAttempt = start + this.random.between(0, 3 * HOUR);

    if (this.dialect.policy.queueRunMs > 0) {
      this.deferred.add(message);
    } else {
      this.push({ time: start + this.random.between(0, 4000 * SECOND), kind: 'activate', message });
    }
  }

  private meanMessages(): number {
    return (this.scenario.hours * HOUR) / this.meanArrivalGap;
  }
}

const DURATIONS: Readonly<Record<Failure | 'sent', readonly [number, number]>> = {
  sent: [80, 1800],
  'dns-tempfail': [5, 5000],
  'mx-tempfail': [5, 5000],
  nxdomain: [10, 300],
  nodata: [10, 300],
  'null-mx': [10, 300],
  'mx-unresolvable': [10, 400],
  'relay-dns': [200, 1500],
  'sender-dns': [200, 1500],
  greylisted: [200, 1500],
  'rate-limited': [2000, 9000],
  'over-quota': [200, 1500],
  'server-busy': [2000, 9000],
  'user-unknown': [200, 1500],
  'spam-rejected': [2000, 9000],
  refused: [5, 400],
  'timed-out': [30_000, 30_500],
  'lost-connection': [300, 5000],
  'tls-handshake': [200, 1200],
  'tlsa-error': [20, 600],
};

/** The incidents of the day, placed at fixed fractions of the log's span. */
function planScenario(options: TrafficOptions, domains: readonly Domain[]): Scenario {
  const at = (hour: number): number => options.start + (hour / 24) * options.hours * HOUR;
  const outageDomain = domains[Math.min(6, domains.length - 1)] as Domain;

  return {
    start: options.start,
    hours: options.hours,
    domainOutage: { start: at(9), end: at(9) + HOUR, domain: outageDomain.name },
    resolverOutage: { start: at(14), end: at(14) + 10 * MINUTE },
    providerOutage: {
      start: at(18),
      end: at(18) + 20 * MINUTE,
      hosts: HOSTING_HOSTS.map((host) => host.name),
    },
    senderDnsOutage: { start: at(20), end: at(20) + 15 * MINUTE, domain: OUR_DOMAIN },
  };
}

function newRecipient(address: string, domain: Domain, isLocal: boolean): Recipient {
  return { address, domain, isLocal, isFinal: false, attempts: 0 };
}

function sent(host: MailHost): Outcome {
  return { status: 'sent', host, isRepeat: false };
}

function failed(status: DeliveryStatus, failure: Failure, host: MailHost): Outcome {
  return { status, failure, host, isRepeat: false };
}

function within(period: Period, time: number): boolean {
  return time >= period.start && time < period.end;
}

function averageDailyRate(from: number, to: number): number {
  const samples = 64;
  let sum = 0;

  for (let index = 0; index < samples; index += 1) {
    sum += dailyRate(from + ((index + 0.5) / samples) * (to - from));
  }

  return sum / samples;
}

/** Relative arrival rate over the day, 1 on average: lowest at 02:00, highest at 14:00. */
function dailyRate(time: number): number {
  const hour = (time / HOUR) % 24;

  return 1 + DAILY_SWING * Math.sin((2 * Math.PI * (hour - 8)) / 24);
}
