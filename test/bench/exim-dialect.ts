// Exim mainlog lines for the traffic model (the Exim specification, chapter "Log files"), as
// samples/exim-mainlog shows them: `<=` arrival, `=>`/`->` deliveries, `==` deferrals,
// `**` failures, `Completed`, and queue runs that log `retry time not reached` for waiting mail.

import { type MailHost, OUR_DOMAIN, RELAY_HOST } from './domains.js';
import { Clock, type LineSink } from './line-sink.js';
import type { Random } from './random.js';
import { RATE_LIMIT_LINES, acceptReply, hash, messageIdFor } from './texts.js';
import type {
  Dialect,
  Failure,
  Message,
  MtaPolicy,
  NoiseKind,
  Outcome,
  Recipient,
} from './traffic.js';

interface Route {
  readonly address: string;
  readonly ascii: string;
  readonly host: MailHost;
  readonly sender: string;
  /** `R=... T=...` of the router and transport that handled the address. */
  readonly via: string;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TLS = 'X=TLS1.3:TLS_AES_256_GCM_SHA384:256';
const TLS_ERROR =
  'TLS session: (SSL_connect): error:0A000410:SSL routines::sslv3 alert handshake failure';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Transport failures: the host gets a retry time, and new mail for it waits (-54). */
const HOST_FAILURES: ReadonlySet<Failure> = new Set<Failure>([
  'refused',
  'timed-out',
  'lost-connection',
  'tls-handshake',
]);

/** Debian's default retry rule: `F,2h,15m; G,16h,1h,1.5; F,4d,6h`. */
const POLICY: MtaPolicy = {
  lifetimeMs: 4 * DAY,
  queueRunMs: 30 * MINUTE,
  statisticsMs: 0,
  linesPerMessage: 4.2,
  /** Each waiting message is logged at every queue run, so a smaller queue gives a day's share. */
  backlogShare: 0.001,
  holdMs: (failure) => (HOST_FAILURES.has(failure) ? 15 * MINUTE : 0),
  nextAttempt: (message, time) => {
    const age = time - message.arrival;

    if (age < 2 * HOUR) {
      return time + 15 * MINUTE;
    }

    return (
      time +
      (age < 16 * HOUR
        ? Math.min(HOUR * 1.5 ** Math.max(message.rounds - 9, 0), 6 * HOUR)
        : 6 * HOUR)
    );
  },
};

/** The text of a `==` or `**` line after the address, per failure (Exim's deliver.c and smtp.c). */
const FAILURE_TEXTS: Readonly<Record<Failure, (route: Route) => string>> = {
  'dns-tempfail': () => 'R=dnslookup defer (-1): host lookup did not complete',
  'mx-tempfail': () => 'R=dnslookup defer (-1): host lookup did not complete',
  nxdomain: () => ': Unrouteable address',
  nodata: () => ': Unrouteable address',
  'null-mx': () => ': an MX or SRV record indicated no SMTP service',
  'mx-unresolvable': () => ': all relevant MX records point to non-existent hosts',
  'relay-dns': (r) =>
    smtpError(
      r,
      -44,
      `RCPT TO:<${r.address}>`,
      `450 4.1.2 <${r.address}>: Recipient address rejected: Domain not found`,
    ),
  'sender-dns': (r) =>
    smtpError(
      r,
      -44,
      `RCPT TO:<${r.address}>`,
      `450 4.1.8 <${r.sender}>: Sender address rejected: Domain not found`,
    ),
  greylisted: (r) =>
    smtpError(
      r,
      -44,
      `RCPT TO:<${r.address}>`,
      `450 4.7.1 <${r.address}>: Recipient address rejected: Greylisted, try again in 5 minutes`,
    ),
  'rate-limited': (r) => smtpError(r, -46, 'end of data', RATE_LIMIT_LINES.join('\\n')),
  'over-quota': (r) =>
    smtpError(
      r,
      -44,
      `RCPT TO:<${r.address}>`,
      `452 4.2.2 <${r.address}>: Recipient address rejected: Mailbox full`,
    ),
  'server-busy': (r) =>
    smtpError(r, -46, 'end of data', '451 4.7.0 Temporary server error. Please try again later'),
  'user-unknown': (r) =>
    smtpError(
      r,
      0,
      `RCPT TO:<${r.address}>`,
      `550 5.1.1 <${r.address}>: Recipient address rejected: User unknown in virtual mailbox table`,
    ),
  'spam-rejected': (r) =>
    smtpError(r, 0, 'end of data', '550 5.7.1 Message rejected as spam by Content Filtering.'),
  refused: (r) => `${r.via} defer (111): Connection refused`,
  'timed-out': (r) => `${r.via} defer (110): Connection timed out`,
  'lost-connection': (r) =>
    `${r.via} defer (-18) ${hostField(r.host)}: Remote host closed connection in response to initial connection`,
  'tls-handshake': (r) => `${r.via} defer (-37) ${hostField(r.host)}: ${TLS_ERROR}`,
  'tlsa-error': (r) => `${r.via} defer (-36): DANE error: tlsa lookup DEFER`,
};

export class EximDialect implements Dialect {
  readonly policy = POLICY;
  private readonly clock = new Clock();
  private processId = 3000;
  private lastDelivered = '';

  constructor(
    private readonly sink: LineSink,
    private readonly random: Random,
  ) {}

  /** Pre-4.97 id: base-62 seconds, process id and fraction of a second (the Exim
   *  specification, "Message identification"). */
  newQueueId(time: number): string {
    const fraction = Math.floor((time % 1000) * 2 + this.random.below(2));

    this.processId =
      this.processId >= 4_000_000 ? 3000 : this.processId + this.random.between(1, 60);

    return `${base62(Math.floor(time / SECOND), 6)}-${base62(this.processId, 6)}-${base62(fraction, 2)}`;
  }

  arrival(message: Message, time: number): void {
    const size = `S=${message.size}`;
    const id = `id=${messageIdFor(message)}`;

    switch (message.origin) {
      case 'submission':
        return this.write(
          time,
          message,
          `<= ${message.sender} ${clientField(message)} P=esmtpsa ${TLS} CV=no ` +
            `A=dovecot_plain:${message.sender} ${size} ${id}`,
        );
      case 'pickup':
        return this.write(
          time,
          message,
          `<= ${message.sender} U=${message.user} P=local ${size} ${id}`,
        );
      case 'inbound':
        return this.write(
          time,
          message,
          `<= ${message.sender} ${clientField(message)} P=esmtps ${TLS} CV=no ${size} ${id}`,
        );
      case 'notice':
        return this.write(time, message, `<= <> R=${message.parent} U=Debian-exim P=local ${size}`);
    }
  }

  disconnect(): void {
    // Exim logs nothing when an SMTP session ends normally.
  }

  activation(): void {
    // Exim has no queue manager line; deliveries follow the arrival or a queue run directly.
  }

  delivery(message: Message, recipient: Recipient, outcome: Outcome, time: number): void {
    if (outcome.status === 'sent') {
      this.delivered(message, recipient, outcome, time);
    } else if (outcome.isRepeat) {
      this.hostNotDue(message, recipient, outcome, time);
    } else {
      this.failed(message, recipient, outcome, time);
    }
  }

  retryNotDue(message: Message, recipient: Recipient, time: number): void {
    const kind = recipient.lastOutcome?.failure ?? 'dns-tempfail';
    const line = this.line(
      time,
      message,
      `== ${recipient.address} routing defer (-52): retry time not reached`,
    );

    this.sink.record(line, 'deferred', kind, true);
  }

  /** Past the retry rule's cut-off: each waiting address fails (Exim's retry rules). */
  expiry(message: Message, time: number): void {
    for (const recipient of message.recipients) {
      if (!recipient.isFinal) {
        this.sink.record(
          this.line(time, message, expiryText(recipient)),
          'bounced',
          'expired',
          false,
        );
      }
    }
  }

  done(message: Message, time: number): void {
    this.write(time, message, 'Completed');
  }

  queueRun(phase: 'start' | 'end', run: number, time: number): void {
    const pid = 20_000 + ((run * 7919) % 900_000);

    this.sink.write(
      `${this.clock.exim(time)} ${phase === 'start' ? 'Start' : 'End'} queue run: pid=${pid}`,
    );
  }

  noise(kind: NoiseKind, time: number): void {
    const last = this.random.between(2, 254);
    const client = `(host-${last}.example.net) [203.0.113.${last}]`;
    const sender = `${this.random.pick(['info', 'news', 'promo', 'a.lee'])}@example.com`;
    const rcpt = `${this.random.pick(['info', 'sales', 'j.smith', 'office'])}@${OUR_DOMAIN}`;
    const text = noiseText(kind, client, sender, rcpt, last);

    if (text !== '') {
      this.sink.write(`${this.clock.exim(time)} ${text}`);
    }
  }

  private delivered(message: Message, recipient: Recipient, outcome: Outcome, time: number): void {
    const route = routeFor(message, recipient, outcome.host);
    const key = `${message.queueId} ${recipient.domain.name}`;
    const arrow = key === this.lastDelivered ? '->' : '=>';

    this.lastDelivered = key;

    if (outcome.skippedHost !== undefined) {
      this.write(time, message, `${hostField(outcome.skippedHost)} Connection timed out`);
    }

    if (recipient.isLocal) {
      const local = recipient.address.slice(0, recipient.address.indexOf('@'));

      this.record(
        time,
        message,
        `${arrow} ${local} <${recipient.address}> R=local_user T=maildir_home`,
        outcome,
      );
      return;
    }

    const reply = acceptReply(message, recipient.domain, outcome.host, time, this.random);
    const tls = hash(recipient.domain.name) % 5 === 0 ? '' : ` ${TLS} CV=yes`;

    this.record(
      time,
      message,
      `${arrow} ${recipient.address} ${route.via} ${hostField(outcome.host)}${tls} C="${reply}"`,
      outcome,
    );
  }

  private failed(message: Message, recipient: Recipient, outcome: Outcome, time: number): void {
    const failure = outcome.failure ?? 'dns-tempfail';
    const route = routeFor(message, recipient, outcome.host);
    const flag = outcome.status === 'bounced' ? '**' : '==';
    const text = FAILURE_TEXTS[failure](route);
    const separator = text.startsWith(':') ? '' : ' ';

    if (failure === 'refused' || failure === 'timed-out') {
      const reason = failure === 'refused' ? 'Connection refused' : 'Connection timed out';

      this.write(time, message, `${hostField(outcome.host)} ${reason}`);
    }

    this.lastDelivered = '';
    this.record(time, message, `${flag} ${recipient.address}${separator}${text}`, outcome);
  }

  /** New mail for a host still waiting for its retry time: no attempt is made. */
  private hostNotDue(message: Message, recipient: Recipient, outcome: Outcome, time: number): void {
    const route = routeFor(message, recipient, outcome.host);
    const reason = `retry time not reached for any host for '${route.ascii}'`;
    const text = `== ${recipient.address} ${route.via} defer (-54): ${reason}`;

    this.record(time, message, text, outcome);
  }

  private record(time: number, message: Message, text: string, outcome: Outcome): void {
    this.sink.record(
      this.line(time, message, text),
      outcome.status,
      outcome.failure ?? 'sent',
      outcome.isRepeat,
    );
  }

  private write(time: number, message: Message, text: string): void {
    this.sink.write(this.line(time, message, text));
  }

  private line(time: number, message: Message, text: string): string {
    return `${this.clock.exim(time)} ${message.queueId} ${text}`;
  }
}

function routeFor(message: Message, recipient: Recipient, host: MailHost): Route {
  const viaRelay = host === RELAY_HOST;

  return {
    address: recipient.address,
    ascii: recipient.domain.ascii,
    host,
    sender: message.sender,
    via: viaRelay ? 'R=smarthost T=remote_smtp_smarthost' : 'R=dnslookup T=remote_smtp',
  };
}

/** `defer (-44) H=...: SMTP error ...` for `==` lines; `**` lines (code 0) have no defer part. */
function smtpError(route: Route, code: number, after: string, reply: string): string {
  const defer = code === 0 ? '' : ` defer (${code})`;

  return `${route.via}${defer} ${hostField(route.host)}: SMTP error from remote mail server after ${after}: ${reply}`;
}

function expiryText(recipient: Recipient): string {
  const failure = recipient.lastOutcome?.failure;

  if (failure !== undefined && HOST_FAILURES.has(failure)) {
    const hosts = `all hosts for '${recipient.domain.ascii}'`;
    const reason = `${hosts} have been failing for a long time (and retry time not reached)`;

    return `** ${recipient.address} R=dnslookup T=remote_smtp: ${reason}`;
  }

  return `** ${recipient.address}: retry timeout exceeded`;
}

function noiseText(
  kind: NoiseKind,
  client: string,
  sender: string,
  rcpt: string,
  last: number,
): string {
  switch (kind) {
    case 'spam-reject':
      return `H=${client} F=<${sender}> rejected RCPT <${rcpt}>: 203.0.113.${last} is listed at dnsbl.example`;
    case 'auth-failure':
      return `dovecot_login authenticator failed for ${client}: 535 Incorrect authentication data (set_id=${rcpt})`;
    case 'lost-client':
      return `SMTP connection from ${client} lost`;
    case 'hostname-warning':
      return `no host name found for IP address 203.0.113.${last}`;
    case 'sender-domain-reject':
      return `H=${client} F=<${sender}> temporarily rejected RCPT <${rcpt}>: DNS lookup of "example.com" deferred`;
    case 'statistics':
      return '';
  }
}

function clientField(message: Message): string {
  const client = message.client;

  if (client === undefined) {
    return 'H=localhost [127.0.0.1]';
  }

  return client.name === 'unknown' ? `H=(workstation) [${client.address}]` : hostField(client);
}

function hostField(host: MailHost): string {
  return `H=${host.name} [${host.address}]`;
}

function base62(value: number, width: number): string {
  let text = '';
  let rest = Math.floor(value);

  for (let index = 0; index < width; index += 1) {
    text = BASE62.charAt(rest % 62) + text;
    rest = Math.floor(rest / 62);
  }

  return text;
}
