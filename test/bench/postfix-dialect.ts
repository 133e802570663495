// Postfix lines for the traffic model, in the classic syslog envelope (RFC 3164) as
// samples/postfix-mail.log shows them: the pickup or smtpd hand-over, cleanup, qmgr,
// one delivery record per recipient and attempt (Postfix's log_adhoc.c), `removed`.

import { LMTP_RELAY, type MailHost, OUR_DOMAIN, OUR_HOST } from './domains.js';
import { Clock, type LineSink } from './line-sink.js';
import type { Random } from './random.js';
import { RATE_LIMIT_LINES, acceptReply, hash, messageIdFor, token } from './texts.js';
import type {
  Dialect,
  Failure,
  Message,
  MtaPolicy,
  NoiseKind,
  Outcome,
  Recipient,
} from './traffic.js';

interface Reply {
  readonly dsn: string;
  /** Whether a connection was made (`relay=host[ip]:25`) or not (`relay=none`). */
  readonly connected: boolean;
  readonly text: string;
}

interface ReplyContext {
  readonly address: string;
  readonly ascii: string;
  readonly host: MailHost;
  readonly ref: string;
  readonly sender: string;
  readonly random: Random;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const QUEUE_RUN_DELAY = 300 * SECOND;
const MINIMAL_BACKOFF = 300 * SECOND;
const MAXIMAL_BACKOFF = 4000 * SECOND;

/** Failures after which qmgr throttles the destination (its next recipients are suspended). */
const THROTTLING: ReadonlySet<Failure> = new Set<Failure>([
  'dns-tempfail',
  'mx-tempfail',
  'refused',
  'timed-out',
  'lost-connection',
]);

const POLICY: MtaPolicy = {
  lifetimeMs: 5 * DAY,
  queueRunMs: 0,
  statisticsMs: 10 * MINUTE,
  linesPerMessage: 8.9,
  backlogShare: 0.003,
  holdMs: (failure) => (THROTTLING.has(failure) ? MINIMAL_BACKOFF : 0),
  nextAttempt: (message, time) => {
    const backoff = Math.min(MINIMAL_BACKOFF * 2 ** (message.rounds - 1), MAXIMAL_BACKOFF);

    return Math.ceil((time + backoff) / QUEUE_RUN_DELAY) * QUEUE_RUN_DELAY;
  },
};

/** Reply wording per failure, as Postfix words its own DNS look-ups (dns_strerror.c) and
 *  remote replies. */
const REPLIES: Readonly<Record<Failure, (context: ReplyContext) => Reply>> = {
  'dns-tempfail': (c) => nameServiceError('4.4.3', `${c.ascii} type=MX: Host not found, try again`),
  'mx-tempfail': (c) =>
    nameServiceError('4.4.3', `${c.host.name} type=A: Host not found, try again`),
  nxdomain: (c) =>
    nameServiceError('5.4.4', `${c.ascii} type=${c.random.pick(['A', 'AAAA'])}: Host not found`),
  nodata: (c) =>
    nameServiceError(
      '5.4.4',
      `${c.ascii} type=AAAA: Host found but no data record of requested type`,
    ),
  'null-mx': (c) => notConnected('5.1.0', `Domain ${c.ascii} does not accept mail (nullMX)`),
  'mx-unresolvable': (c) => nameServiceError('5.4.4', `${c.host.name} type=AAAA: Host not found`),
  'relay-dns': (c) =>
    said(c, '4.1.2', `450 4.1.2 <${c.address}>: Recipient address rejected: Domain not found`),
  'sender-dns': (c) =>
    said(c, '4.1.8', `450 4.1.8 <${c.sender}>: Sender address rejected: Domain not found`),
  greylisted: (c) =>
    said(
      c,
      '4.7.1',
      `450 4.7.1 <${c.address}>: Recipient address rejected: Greylisted, try again in 5 minutes`,
    ),
  'rate-limited': (c) => said(c, '4.7.0', RATE_LIMIT_LINES.join(' '), 'end of DATA'),
  'over-quota': (c) =>
    said(c, '4.2.2', `452 4.2.2 <${c.address}>: Recipient address rejected: Mailbox full`),
  'server-busy': (c) =>
    said(c, '4.7.0', '451 4.7.0 Temporary server error. Please try again later', 'end of DATA'),
  'user-unknown': (c) =>
    said(
      c,
      '5.1.1',
      `550 5.1.1 <${c.address}>: Recipient address rejected: User unknown in virtual mailbox table`,
    ),
  'spam-rejected': (c) =>
    said(c, '5.7.1', '550 5.7.1 Message rejected as spam by Content Filtering.', 'end of DATA'),
  refused: (c) => notConnected('4.4.1', `connect to ${c.ref}:25: Connection refused`),
  'timed-out': (c) => notConnected('4.4.1', `connect to ${c.ref}:25: Connection timed out`),
  'lost-connection': (c) => ({
    dsn: '4.4.2',
    connected: true,
    text: `lost connection with ${c.ref} while receiving the initial server greeting`,
  }),
  'tls-handshake': () => ({
    dsn: '4.7.5',
    connected: true,
    text: 'Cannot start TLS: handshake failure',
  }),
  'tlsa-error': (c) => notConnected('4.7.5', `TLSA lookup error for ${c.host.name}:25`),
};

export class PostfixDialect implements Dialect {
  readonly policy = POLICY;
  private readonly clock = new Clock();
  private readonly pids: ProcessPools;
  private inode = 0x186000;

  constructor(
    private readonly sink: LineSink,
    private readonly random: Random,
  ) {
    this.pids = new ProcessPools(random);
  }

  newQueueId(time: number): string {
    const microseconds = Math.floor(time % 1000) * 1000 + this.random.below(1000);

    this.inode = this.inode >= 0xfffff0 ? 0x100000 : this.inode + this.random.between(1, 9);

    return hex(microseconds, 5) + hex(this.inode, 6);
  }

  arrival(message: Message, time: number): void {
    switch (message.origin) {
      case 'submission':
      case 'inbound':
        return this.smtpdArrival(message, time);
      case 'pickup':
        return this.pickupArrival(message, time);
      case 'notice':
        return this.noticeArrival(message, time);
    }
  }

  disconnect(message: Message, time: number): void {
    const tag = smtpdTag(message);
    const client = clientRef(message.client);
    const rcpt = message.recipients.length;
    const commands =
      message.origin === 'submission'
        ? `ehlo=2 starttls=1 auth=1 mail=1 rcpt=${rcpt} data=1 quit=1 commands=${7 + rcpt}`
        : `ehlo=2 starttls=1 mail=1 rcpt=${rcpt} data=1 quit=1 commands=${6 + rcpt}`;

    this.write(time, tag, message.session, `disconnect from ${client} ${commands}`);
  }

  activation(message: Message, time: number): void {
    const nrcpt = message.recipients.length;
    const text = `${message.queueId}: from=<${message.sender}>, size=${message.size}, nrcpt=${nrcpt} (queue active)`;

    this.write(time, 'qmgr', this.pids.qmgr, text);
  }

  delivery(message: Message, recipient: Recipient, outcome: Outcome, time: number): void {
    if (outcome.status === 'sent') {
      this.sentRecord(message, recipient, outcome, time);
    } else {
      this.failedRecord(message, recipient, outcome, time);
    }
  }

  retryNotDue(): void {
    // Postfix logs nothing for a deferred message whose retry time has not come.
  }

  expiry(message: Message, time: number): void {
    const text = `${message.queueId}: from=<${message.sender}>, status=expired, returned to sender`;

    if (
      this.sink.record(this.line(time, 'qmgr', this.pids.qmgr, text), 'expired', 'expired', false)
    ) {
      this.sink.tally.kinds['expired-recipients'] =
        (this.sink.tally.kinds['expired-recipients'] ?? 0) + countPending(message);
    }
  }

  done(message: Message, time: number): void {
    this.write(time, 'qmgr', this.pids.qmgr, `${message.queueId}: removed`);
  }

  queueRun(): void {
    // Postfix's queue manager scans the deferred queue silently.
  }

  noise(kind: NoiseKind, time: number): void {
    switch (kind) {
      case 'spam-reject':
        return this.rejectSession(time, this.spamRejection());
      case 'sender-domain-reject':
        return this.rejectSession(time, 'sender-domain');
      case 'auth-failure':
        return this.authFailure(time);
      case 'lost-client':
        return this.lostClient(time);
      case 'hostname-warning':
        return this.hostnameWarning(time);
      case 'statistics':
        return this.statistics(time);
    }
  }

  private smtpdArrival(message: Message, time: number): void {
    const tag = smtpdTag(message);
    const client = clientRef(message.client);
    const login =
      message.origin === 'submission'
        ? `, sasl_method=PLAIN, sasl_username=${message.user}@${OUR_DOMAIN}`
        : '';

    message.session = this.pids.smtpd.pick();
    this.write(time, tag, message.session, `connect from ${client}`);
    this.write(time, tag, message.session, `${message.queueId}: client=${client}${login}`);
    this.cleanup(message, time, messageIdFor(message));
  }

  private pickupArrival(message: Message, time: number): void {
    const uid = 1000 + (hash(message.user) % 400);

    this.write(
      time,
      'pickup',
      this.pids.pickup,
      `${message.queueId}: uid=${uid} from=<${message.user}>`,
    );
    this.cleanup(message, time, this.ownMessageId(message, time));
  }

  private noticeArrival(message: Message, time: number): void {
    const text = `${message.parent}: sender non-delivery notification: ${message.queueId}`;

    this.cleanup(message, time, this.ownMessageId(message, time));
    this.write(time, 'bounce', this.pids.bounce.pick(), text);
  }

  private cleanup(message: Message, time: number, messageId: string): void {
    this.write(
      time,
      'cleanup',
      this.pids.cleanup.pick(),
      `${message.queueId}: message-id=<${messageId}>`,
    );
  }

  /** The id cleanup adds to mail without one: `YYYYMMDDhhmmss.QUEUEID@myhostname`. */
  private ownMessageId(message: Message, time: number): string {
    const stamp = new Date(time).toISOString().replace(/\D/g, '').slice(0, 14);

    return `${stamp}.${message.queueId}@${OUR_HOST}.${OUR_DOMAIN}`;
  }

  private sentRecord(message: Message, recipient: Recipient, outcome: Outcome, time: number): void {
    const host = outcome.host;
    const daemon = recipient.isLocal ? 'lmtp' : 'smtp';
    const pid = recipient.isLocal ? this.pids.lmtp.pick() : this.pids.smtp.pick();
    const relay = recipient.isLocal
      ? `${LMTP_RELAY.name}[${LMTP_RELAY.address}]`
      : `${hostRef(host)}:25`;
    const reuse = !recipient.isLocal && recipient.domain.isProvider && this.random.chance(0.4);
    const fields = `relay=${relay}, ${reuse ? `conn_use=${this.random.between(2, 9)}, ` : ''}`;
    const text = recipient.isLocal
      ? this.savedReply(recipient)
      : acceptReply(message, recipient.domain, outcome.host, time, this.random);

    const rest = `${fields}${this.delays(message, time, true)}, dsn=2.0.0, status=sent (${text})`;

    if (outcome.skippedHost !== undefined) {
      const skipped = hostRef(outcome.skippedHost);

      this.write(time, 'smtp', pid, `connect to ${skipped}:25: Connection timed out`);
    }

    this.record(time, daemon, pid, message, recipient, rest, outcome);
  }

  private failedRecord(
    message: Message,
    recipient: Recipient,
    outcome: Outcome,
    time: number,
  ): void {
    const failure = outcome.failure ?? 'dns-tempfail';
    const reply = REPLIES[failure](this.replyContext(message, recipient, outcome.host));

    if (outcome.isRepeat) {
      this.suspendedRecord(message, recipient, outcome, reply, time);
      return;
    }

    const pid = this.pids.smtp.pick();
    const relay = reply.connected ? `${hostRef(outcome.host)}:25` : 'none';
    const delays = this.delays(message, time, reply.connected);

    this.contextLines(message, failure, outcome.host, pid, reply, time);
    this.record(
      time,
      'smtp',
      pid,
      message,
      recipient,
      `relay=${relay}, ${delays}, dsn=${reply.dsn}, status=${outcome.status} (${reply.text})`,
      outcome,
    );
  }

  /** The retry service defers without a new attempt (Postfix's retry(8)); it runs `error`. */
  private suspendedRecord(
    message: Message,
    recipient: Recipient,
    outcome: Outcome,
    reply: Reply,
    time: number,
  ): void {
    const delays = this.delays(message, time, false);
    const text = `delivery temporarily suspended: ${reply.text}`;

    this.record(
      time,
      'error',
      this.pids.error.pick(),
      message,
      recipient,
      `relay=none, ${delays}, dsn=${reply.dsn}, status=deferred (${text})`,
      outcome,
    );
  }

  /** Lines the SMTP client writes before the record, without a recipient (see samples/). */
  private contextLines(
    message: Message,
    failure: Failure,
    host: MailHost,
    pid: number,
    reply: Reply,
    time: number,
  ): void {
    if (failure === 'refused') {
      this.write(time, 'smtp', pid, reply.text);
    } else if (failure === 'mx-unresolvable') {
      const domain = host.name.slice(host.name.indexOf('.') + 1);

      this.write(time, 'smtp', pid, `warning: no MX host for ${domain} has a valid address record`);
    } else if (failure === 'rate-limited') {
      this.write(time, 'smtp', pid, `${message.queueId}: ${reply.text}`);
    }
  }

  private record(
    time: number,
    daemon: string,
    pid: number,
    message: Message,
    recipient: Recipient,
    rest: string,
    outcome: Outcome,
  ): void {
    const origTo =
      recipient.isLocal && message.origin === 'inbound' && this.random.chance(0.05)
        ? `orig_to=<info@${OUR_DOMAIN}>, `
        : '';
    const text = `${message.queueId}: to=<${recipient.address}>, ${origTo}${rest}`;

    this.sink.record(
      this.line(time, daemon, pid, text),
      outcome.status,
      outcome.failure ?? 'sent',
      outcome.isRepeat,
    );
  }

  private replyContext(message: Message, recipient: Recipient, host: MailHost): ReplyContext {
    return {
      address: recipient.address,
      ascii: recipient.domain.ascii,
      host,
      ref: hostRef(host),
      sender: message.sender,
      random: this.random,
    };
  }

  /** `delay=D, delays=a/b/c/d`: before qmgr, in qmgr, connection set-up, transmission. */
  private delays(message: Message, time: number, connected: boolean): string {
    const total = (time - message.arrival) / SECOND;
    const before = (message.roundStart - message.arrival) / SECOND;
    const inQmgr = Math.min(this.random.below(30) / SECOND, Math.max(total - before, 0));
    const attempt = Math.max(total - before - inQmgr, 0);
    const setup = connected ? attempt * 0.4 : attempt;
    const transfer = attempt - setup;

    const parts = [before, inQmgr, setup, transfer].map(seconds).join('/');

    return `delay=${seconds(total)}, delays=${parts}`;
  }

  /** Dovecot's LMTP answer. */
  private savedReply(recipient: Recipient): string {
    return `250 2.0.0 <${recipient.address}> ${token(this.random, 22)} Saved`;
  }

  private spamRejection(): string {
    return this.random.pick(['no-hostname', 'no-hostname', 'dnsbl', 'unknown-user']);
  }

  /** An inbound SMTP session rejected before queueing: connect, NOQUEUE reject, disconnect. */
  private rejectSession(time: number, reason: string): void {
    const pid = this.pids.smtpd.pick();
    const last = this.random.between(2, 254);
    const ip = `203.0.113.${last}`;
    const helo = `host-${last}.example.net`;
    const sender = `${this.pickLocal()}@${reason === 'sender-domain' ? 'example.org' : 'example.com'}`;
    const recipient = `${this.pickLocal()}@${OUR_DOMAIN}`;
    const envelope = `from=<${sender}> to=<${recipient}> proto=ESMTP helo=<${helo}>`;
    const client = reason === 'no-hostname' ? `unknown[${ip}]` : `${helo}[${ip}]`;

    this.write(time, 'smtpd', pid, `connect from ${client}`);
    this.write(
      time,
      'smtpd',
      pid,
      `NOQUEUE: reject: RCPT from ${client}: ${rejectReply(reason, ip, sender, recipient)}; ${envelope}`,
    );
    this.write(
      time,
      'smtpd',
      pid,
      `disconnect from ${client} ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4`,
    );
  }

  private authFailure(time: number): void {
    const pid = this.pids.smtpd.pick();
    const client = `unknown[203.0.113.${this.random.between(2, 254)}]`;
    const tag = 'submission/smtpd';

    this.write(time, tag, pid, `connect from ${client}`);
    this.write(
      time,
      tag,
      pid,
      `warning: ${client}: SASL LOGIN authentication failed: authentication failure`,
    );
    this.write(time, tag, pid, `lost connection after AUTH from ${client}`);
    this.write(time, tag, pid, `disconnect from ${client} ehlo=1 auth=0/1 commands=1/2`);
  }

  private lostClient(time: number): void {
    const pid = this.pids.smtpd.pick();
    const client = `unknown[198.51.100.${this.random.between(2, 254)}]`;

    this.write(time, 'smtpd', pid, `connect from ${client}`);
    this.write(time, 'smtpd', pid, `lost connection after EHLO from ${client}`);
    this.write(time, 'smtpd', pid, `disconnect from ${client} ehlo=1 commands=1`);
  }

  /** What our smtpd logs when the resolver fails its reverse look-ups. */
  private hostnameWarning(time: number): void {
    const pid = this.pids.smtpd.pick();
    const last = this.random.between(2, 254);
    const ip = `198.51.100.${last}`;

    this.write(
      time,
      'smtpd',
      pid,
      `warning: hostname mail-${last}.example.net does not resolve to address ${ip}: ` +
        'Temporary failure in name resolution',
    );
    this.write(time, 'smtpd', pid, `connect from unknown[${ip}]`);
    this.write(time, 'smtpd', pid, `disconnect from unknown[${ip}] ehlo=1 quit=1 commands=2`);
  }

  private statistics(time: number): void {
    const pid = this.pids.anvil;
    const at = this.clock.syslog(time - this.random.between(1, 590) * SECOND);
    const client = `smtp:203.0.113.${this.random.between(2, 254)}`;

    this.write(
      time,
      'anvil',
      pid,
      `statistics: max connection rate ${this.random.between(2, 9)}/60s for (${client}) at ${at}`,
    );
    this.write(
      time,
      'anvil',
      pid,
      `statistics: max connection count ${this.random.between(1, 4)} for (${client}) at ${at}`,
    );
    this.write(
      time,
      'anvil',
      pid,
      `statistics: max cache size ${this.random.between(2, 12)} at ${at}`,
    );
  }

  private pickLocal(): string {
    return this.random.pick(['info', 'sales', 'j.smith', 'a.lee', 'office', 'billing', 'k.tanaka']);
  }

  private write(time: number, daemon: string, pid: number, text: string): void {
    this.sink.write(this.line(time, daemon, pid, text));
  }

  private line(time: number, daemon: string, pid: number, text: string): string {
    return `${this.clock.syslog(time)} ${OUR_HOST} postfix/${daemon}[${pid}]: ${text}`;
  }
}

/** Process ids of the long-running daemons and pools of the per-delivery ones. */
class ProcessPools {
  readonly qmgr: number;
  readonly pickup: number;
  readonly anvil: number;
  readonly smtpd: ProcessPool;
  readonly smtp: ProcessPool;
  readonly lmtp: ProcessPool;
  readonly cleanup: ProcessPool;
  readonly bounce: ProcessPool;
  readonly error: ProcessPool;

  constructor(random: Random) {
    const counter = { next: 1200 };

    this.qmgr = 1101;
    this.pickup = 1102;
    this.anvil = 1103;
    this.smtpd = new ProcessPool(12, counter, random);
    this.smtp = new ProcessPool(20, counter, random);
    this.lmtp = new ProcessPool(4, counter, random);
    this.cleanup = new ProcessPool(3, counter, random);
    this.bounce = new ProcessPool(2, counter, random);
    this.error = new ProcessPool(2, counter, random);
  }
}

/** Postfix daemons exit after `max_use` (100) uses; a replacement gets a new process id. */
class ProcessPool {
  private readonly pids: number[] = [];
  private readonly uses: number[] = [];

  constructor(
    size: number,
    private readonly counter: { next: number },
    private readonly random: Random,
  ) {
    for (let slot = 0; slot < size; slot += 1) {
      this.pids.push(this.newPid());
      this.uses.push(0);
    }
  }

  pick(): number {
    const slot = this.random.below(this.pids.length);
    const uses = (this.uses[slot] ?? 0) + 1;

    if (uses > 100) {
      this.pids[slot] = this.newPid();
      this.uses[slot] = 0;
    } else {
      this.uses[slot] = uses;
    }

    return this.pids[slot] ?? 0;
  }

  private newPid(): number {
    this.counter.next =
      this.counter.next >= 4_000_000 ? 1200 : this.counter.next + this.random.between(1, 40);

    return this.counter.next;
  }
}

function nameServiceError(dsn: string, lookup: string): Reply {
  return notConnected(dsn, `Host or domain name not found. Name service error for name=${lookup}`);
}

function notConnected(dsn: string, text: string): Reply {
  return { dsn, connected: false, text };
}

function said(context: ReplyContext, dsn: string, reply: string, command = 'RCPT TO'): Reply {
  return {
    dsn,
    connected: true,
    text: `host ${context.ref} said: ${reply} (in reply to ${command} command)`,
  };
}

function rejectReply(reason: string, ip: string, sender: string, recipient: string): string {
  switch (reason) {
    case 'no-hostname':
      return `450 4.7.25 Client host rejected: cannot find your hostname, [${ip}]`;
    case 'sender-domain':
      return `450 4.1.8 <${sender}>: Sender address rejected: Domain not found`;
    case 'unknown-user':
      return `550 5.1.1 <${recipient}>: Recipient address rejected: User unknown in virtual mailbox table`;
    default:
      return `554 5.7.1 Service unavailable; Client host [${ip}] blocked using dnsbl.example`;
  }
}

function smtpdTag(message: Message): string {
  return message.origin === 'submission' ? 'submission/smtpd' : 'smtpd';
}

function clientRef(client: MailHost | undefined): string {
  return client === undefined ? 'localhost[127.0.0.1]' : hostRef(client);
}

function hostRef(host: MailHost): string {
  return `${host.name}[${host.address}]`;
}

function countPending(message: Message): number {
  return message.recipients.filter((recipient) => !recipient.isFinal).length;
}

/** Postfix's delay format: two significant digits, at most two decimals, integers from 10 on. */
function seconds(value: number): string {
  if (value < 0.005) {
    return '0';
  }

  if (value >= 10) {
    return String(Math.round(value));
  }

  return String(Number(value.toFixed(value < 1 ? 2 : 1)));
}

function hex(value: number, width: number): string {
  return value.toString(16).toUpperCase().padStart(width, '0');
}
