// The Sendmail parser (programs `sm-mta`, `sendmail`, `sm-msp-queue`, other `sm-*` names).
// Delivery record shape from Sendmail's deliver.c (logdelivery): `to=LIST[, [more]],
// ctladdr=..., delay=..., xdelay=..., mailer=..., pri=..., relay=..., dsn=..., reply=...,
// stat=...`, with `stat=` always last. Notices (`QID: NEWQID: DSN: ...`) follow a bounce.

import type {
  DeliveryRecord,
  Envelope,
  MessageHandoffRecord,
  MtaParser,
  MtaRecord,
  Status,
} from '../model.js';
import {
  deliveryRecord,
  MAX_OPEN_MESSAGES,
  NO_RECORDS,
  QUOTE,
  quotedEnd,
  setBounded,
  startsWithAny,
  stripAngles,
} from './common.js';
import { detach } from '../classify/text.js';
import type { ParserOptions } from './postfix.js';
import {
  CONTEXT_PHRASES,
  CONTEXT_PREFIXES,
  EXPIRY_REASON,
  NOTICE_KINDS,
  QUEUE_CONTEXT_PREFIXES,
  SUBMISSION_PROGRAMS,
} from './sendmail-lines.js';

interface SendmailDelivery {
  readonly recipients: readonly string[];
  readonly relay: string | undefined;
  readonly dsn: string | undefined;
  /** The server's reply (`reply=`, Sendmail 8.16.1 on), which `stat=` may only sum up. */
  readonly reply: string | undefined;
  readonly stat: string;
}

/** What the parser keeps of a message still in the queue. */
interface OpenMessage {
  sender: string | undefined;
  /** Recipients whose last record was a deferral: the ones an expiry notice is about. A set:
   *  one message may have tens of thousands (a mailing list), named in lines of hundreds. */
  deferred: Set<string>;
  /** Recipients (`nrcpts=` of the `from=` line) without a final record yet; -1 when unknown. */
  remaining: number;
  isExpired: boolean;
}

/** Creates a Sendmail parser. It remembers open messages (sender, deferred recipients), so use
 *  one per run. */
export function createSendmailParser(options: ParserOptions = {}): MtaParser {
  const cap = options.maxOpenMessages ?? MAX_OPEN_MESSAGES;
  const messages = new Map<string, OpenMessage>();

  return { mta: 'sendmail', accepts: isSendmailProgram, parse };

  function parse(envelope: Envelope): readonly MtaRecord[] | undefined {
    const message = envelope.message;
    const idLength = queueIdLength(message);
    if (idLength === 0) return isContextLine(message) ? NO_RECORDS : undefined;

    const queueId = message.slice(0, idLength);
    const start = idLength + 2;
    if (message.startsWith('to=', start)) return parseDelivery(envelope, queueId, start);
    if (message.startsWith('from=', start)) return rememberSender(message, queueId, start);

    const reasonStart = noticeReasonStart(message, start);
    if (reasonStart !== -1) return parseNotice(envelope, queueId, reasonStart);

    if (startsWithAny(message, QUEUE_CONTEXT_PREFIXES, start)) return NO_RECORDS;
    // A connection's notes carry its session's queue id too (`n2HBoYaC006978: [192.0.2.2] did
    // not issue MAIL/EXPN/VRFY/ETRN ...`): the same context as without it.
    if (isContextLine(message.slice(start))) return NO_RECORDS;
    // An envelope split off for another owner: `h5QG2YLj023291: h5QG2cLj023292: clone: ...`.
    const cloneId = queueIdLength(message.slice(start));
    return cloneId > 0 && message.startsWith('clone: ', start + cloneId + 2)
      ? NO_RECORDS
      : undefined;
  }

  function parseDelivery(
    envelope: Envelope,
    queueId: string,
    start: number,
  ): readonly MtaRecord[] | undefined {
    const read = readDelivery(envelope.message, start + 3);
    if (read === undefined) return undefined;
    // Deliveries to a program or a file (`mailer=prog`, `mailer=*file*`) are local: no domain,
    // no event; a final one still counts towards the message being done.
    const status = statusOf(read.stat, read.dsn);
    const programs = read.recipients.filter((recipient) => !isAddress(recipient));
    if (programs.length > 0 && status !== 'deferred') {
      trackRecipients(queueId, messages.get(queueId), programs, status);
    }

    const delivery = { ...read, recipients: read.recipients.filter(isAddress) };
    if (delivery.recipients.length === 0 || isQueuedUntried(delivery)) return NO_RECORDS;

    const isHandoff = isSubmissionHandoff(envelope.program, delivery);
    const open = messages.get(queueId);
    const records: MtaRecord[] = delivery.recipients.map((recipient) =>
      deliveryRecord(envelope, 'sendmail', {
        daemon: envelope.program,
        queueId,
        recipient,
        sender: open?.sender,
        status,
        dsn: delivery.dsn,
        relay: delivery.relay,
        text: deliveryText(delivery),
        isHandoff,
      }),
    );
    const newQueueId = isHandoff && status === 'sent' ? acceptedQueueId(delivery.stat) : undefined;
    if (newQueueId !== undefined) {
      for (const recipient of delivery.recipients) {
        records.push(handoffRecord(envelope, { queueId, recipient, newQueueId }));
      }
    }

    trackRecipients(queueId, open, delivery.recipients, status);
    return records;
  }

  /** Deferred recipients are remembered until delivered or bounced, for a later expiry. */
  function trackRecipients(
    queueId: string,
    open: OpenMessage | undefined,
    recipients: readonly string[],
    status: Status,
  ): void {
    if (status === 'deferred') {
      const entry = open ?? openMessage(queueId);
      for (const recipient of recipients) {
        if (!entry.deferred.has(recipient)) entry.deferred.add(detach(recipient));
      }

      return;
    }

    if (open === undefined) return;
    for (const recipient of recipients) open.deferred.delete(recipient);

    // Sendmail logs no removal: a message is done when all its recipients have a final record.
    if (open.remaining > 0) open.remaining = Math.max(0, open.remaining - recipients.length);
    if (open.remaining === 0 && open.deferred.size === 0) messages.delete(queueId);
  }

  function rememberSender(message: string, queueId: string, start: number): readonly MtaRecord[] {
    const end = message.indexOf(', ', start);
    const sender = stripAngles(message.slice(start + 5, end === -1 ? message.length : end));
    const open = messages.get(queueId) ?? openMessage(queueId);
    open.sender = sender;
    open.remaining = recipientCount(message, end);
    return NO_RECORDS;
  }

  /**
   * `QID: NEWQID: DSN: REASON` and the like. A bounce's reason repeats the failed record, and
   * a delay warning (`Warning: could not send message for past 4 hours`) changes nothing; but
   * `Cannot send message for 5 days` is the only line that says the message expired.
   */
  function parseNotice(
    envelope: Envelope,
    queueId: string,
    reasonStart: number,
  ): readonly MtaRecord[] {
    const message = envelope.message;
    if (!message.startsWith(EXPIRY_REASON, reasonStart)) return NO_RECORDS;

    const text = message.slice(reasonStart);
    const open = messages.get(queueId);
    if (open !== undefined && open.deferred.size > 0) {
      const recipients = [...open.deferred];
      open.deferred = new Set();
      open.isExpired = true;
      return recipients.map((recipient) => expiredRecord(envelope, queueId, recipient, open, text));
    }

    if (open?.isExpired === true) return NO_RECORDS;

    const entry = open ?? openMessage(queueId);
    entry.isExpired = true;
    const record: MtaRecord = {
      kind: 'message-expired',
      time: envelope.time,
      mta: 'sendmail',
      host: envelope.host,
      queueId,
      ...(entry.sender === undefined ? {} : { sender: entry.sender }),
      text,
      source: envelope.source,
    };
    return [record];
  }

  function openMessage(queueId: string): OpenMessage {
    const entry: OpenMessage = {
      sender: undefined,
      deferred: new Set(),
      remaining: -1,
      isExpired: false,
    };
    setBounded(messages, queueId, entry, cap);
    return entry;
  }
}

/** `nrcpts=N` of a `from=` line, or -1. */
function recipientCount(message: string, start: number): number {
  const at = start === -1 ? -1 : message.indexOf(', nrcpts=', start);
  if (at === -1) return -1;

  const count = Number.parseInt(message.slice(at + 9, at + 17), 10);
  return Number.isNaN(count) ? -1 : count;
}

/** `sendmail`, `sm-mta`, `sm-msp-queue` and other `sm-` names (`sm-acceptingconnections`). */
function isSendmailProgram(program: string): boolean {
  return program === 'sendmail' || program.startsWith('sm-');
}

/**
 * Decision on the submission program's records (program `sendmail` or `sm-msp-queue`):
 * - `stat=Sent (... Message accepted for delivery)` to the local daemon (a loopback relay) is a
 *   hand-off: `sent`, marked `isHandoff`; the daemon logs the real delivery under a new id.
 * - The lone `stat=queued` (with `dsn=4.4.3`) is logged when the submission program could not
 *   resolve the recipient's domain itself; it then retries from its client queue silently. It
 *   is the only trace of that DNS failure, so it is a `deferred` record (our look-up failed,
 *   DSN 4.4.3 "directory server failure"), also marked `isHandoff`: no delivery to the
 *   recipient's domain was tried. Consumers skip hand-offs that are `sent` and keep the others.
 * - A hand-off the local daemon refused or failed (`stat=Deferred: Connection refused by
 *   [127.0.0.1]`, `421 4.3.0 collect: Cannot write ...`) is `deferred` and marked `isHandoff`:
 *   our own daemon's trouble, which the classifier names `other`, not the recipient's hosts'.
 */
function isSubmissionHandoff(program: string, delivery: SendmailDelivery): boolean {
  if (!SUBMISSION_PROGRAMS.has(program)) return false;
  return delivery.stat === 'queued' || isLoopbackRelay(delivery.relay);
}

/** A recipient that is an address, not a program (`"| exec procmail"`, `|procmail`) or a file
 *  (`/var/mail/x`): a quoted local part followed by a domain (`"|x"@example.com`) is one. */
function isAddress(recipient: string): boolean {
  const isWhollyQuoted =
    recipient.length > 1 && recipient.startsWith('"') && recipient.endsWith('"');
  const first = recipient.charCodeAt(isWhollyQuoted ? 1 : 0);
  return first !== 124 && first !== 47;
}

/**
 * `stat=queued` without a DSN: the message was put in the queue and no delivery was tried
 * (queue-only or deferred delivery mode, or the load average above `QueueLA`; sendmail's
 * queue.c). It is no deferral; the queue run's record that follows is the first attempt. With
 * a DSN (`dsn=4.4.3`) the look-up of the recipient's domain failed first: see above.
 */
function isQueuedUntried(delivery: SendmailDelivery): boolean {
  return delivery.stat === 'queued' && delivery.dsn === undefined;
}

const STAT_FIELD = ', stat=';
/** Sendmail's own words before a reply its stat repeats: `Deferred: `. */
const MAX_STAT_PREFIX = 32;

/** The local daemon's reply to a hand-off names the queue id it took the message under. */
const ACCEPTED_AS = /^Sent \(([A-Za-z0-9]{8,20}) Message accepted for delivery\)/;

function acceptedQueueId(stat: string): string | undefined {
  return ACCEPTED_AS.exec(stat)?.[1];
}

function handoffRecord(
  envelope: Envelope,
  parts: { readonly queueId: string; readonly recipient: string; readonly newQueueId: string },
): MessageHandoffRecord {
  return {
    kind: 'message-handoff',
    time: envelope.time,
    mta: 'sendmail',
    host: envelope.host,
    ...parts,
    source: envelope.source,
  };
}

function isLoopbackRelay(relay: string | undefined): boolean {
  if (relay === undefined) return false;
  return (
    relay.includes('[127.') ||
    relay.includes('[::1]') ||
    relay.includes('[IPv6:::1]') ||
    relay.startsWith('localhost')
  );
}

/**
 * `Sent (...)` → sent; `Deferred[: ...]` and `queued` → deferred; any other stat → bounced,
 * unless its DSN is temporary: Sendmail keeps a recipient queued for some errors other than
 * EX_TEMPFAIL too (`stat=Operating system error`, `I/O error` with `dsn=4.0.0`; markfailure()
 * in deliver.c), and says so with a 4.x.x DSN.
 */
function statusOf(stat: string, dsn: string | undefined): Status {
  // A `Sent` with a failure DSN is no delivery: `stat=` text a remote's reply forged.
  if (stat.startsWith('Sent')) {
    if (dsn === undefined || dsn.startsWith('2.')) return 'sent';
    return dsn.startsWith('4.') ? 'deferred' : 'bounced';
  }

  if (stat.startsWith('Deferred') || stat === 'queued') return 'deferred';
  return dsn?.startsWith('4.') === true ? 'deferred' : 'bounced';
}

function expiredRecord(
  envelope: Envelope,
  queueId: string,
  recipient: string,
  open: OpenMessage,
  text: string,
): DeliveryRecord {
  return deliveryRecord(envelope, 'sendmail', {
    daemon: envelope.program,
    queueId,
    recipient,
    sender: open.sender,
    status: 'expired',
    dsn: undefined,
    relay: undefined,
    text,
  });
}

/**
 * Length of the queue id that starts `message` and is followed by `: `, or 0. Since 8.12 an id
 * is 8 characters of date and sequence plus the zero-padded pid (`6B3IWrgG000463`); older ids
 * are shorter. Every form ends in a digit, which tells ids from words such as `STARTTLS`.
 */
function queueIdLength(message: string): number {
  let index = 0;
  for (; index < 24 && index < message.length; index += 1) {
    const code = message.charCodeAt(index);
    if (!(
      (code >= 48 && code <= 57) ||
      (code >= 65 && code <= 90) ||
      (code >= 97 && code <= 122)
    )) {
      break;
    }
  }

  if (index < 9 || message.charCodeAt(index) !== 58 || message.charCodeAt(index + 1) !== 32) {
    return 0;
  }

  const last = message.charCodeAt(index - 1);
  return last >= 48 && last <= 57 ? index : 0;
}

/** An EXPN or VRFY refused (srvrsmtp.c): `h.example.net [192.0.2.1]: EXPN root [rejected]`. */
const REFUSED_QUERY = /\]: (?:EXPN|VRFY)\b.* \[rejected\]$/i;

function isContextLine(message: string): boolean {
  if (startsWithAny(message, CONTEXT_PREFIXES)) return true;
  if (REFUSED_QUERY.test(message)) return true;
  for (const phrase of CONTEXT_PHRASES) {
    if (message.includes(phrase)) return true;
  }

  return false;
}

/** Where the reason of a `NEWQID: KIND: REASON` notice starts, or -1. */
function noticeReasonStart(message: string, start: number): number {
  const idLength = queueIdLength(message.slice(start, start + 26));
  if (idLength === 0) return -1;

  const kindStart = start + idLength + 2;
  for (const kind of NOTICE_KINDS) {
    if (message.startsWith(kind, kindStart)) return kindStart + kind.length;
  }

  return -1;
}

/**
 * Reads `LIST[, [more]], field=value, ..., stat=TEXT` from `start` (after `to=`). `reply=` may
 * hold `, ` and runs to `, stat=`; `stat=` runs to the end of the line.
 */
function readDelivery(message: string, start: number): SendmailDelivery | undefined {
  const listEnd = recipientListEnd(message, start);
  if (listEnd === -1) return undefined;

  const recipients = splitRecipients(message.slice(start, listEnd));
  let position = message.startsWith(', [more]', listEnd) ? listEnd + 8 : listEnd;
  let relay: string | undefined;
  let dsn: string | undefined;
  let reply: string | undefined;
  while (message.startsWith(', ', position)) {
    const key = position + 2;
    if (message.startsWith('stat=', key)) {
      if (recipients.length === 0) return undefined;
      return { recipients, relay, dsn, reply, stat: message.slice(key + 5) };
    }

    const end = fieldEnd(message, key);
    if (message.startsWith('relay=', key)) relay = trimRelay(message.slice(key + 6, end));
    else if (message.startsWith('dsn=', key)) dsn = message.slice(key + 4, end);
    else if (message.startsWith('reply=', key)) reply = message.slice(key + 6, end);
    position = end;
  }

  return undefined;
}

/**
 * The record's text: `stat=`, and the reply after it when `stat=` only sums it up (`User
 * unknown` for `550 5.1.2 ...: Recipient address rejected: Domain not found`): the reply is
 * what tells the cause. A `stat=Deferred: 451 ...` that repeats the reply is kept as it is.
 */
function deliveryText({ stat, reply }: SendmailDelivery): string {
  return reply === undefined || reply === '' || stat.includes(reply) ? stat : `${stat}: ${reply}`;
}

function fieldEnd(message: string, key: number): number {
  const end = message.startsWith('reply=', key)
    ? replyEnd(message, key + 6)
    : message.indexOf(', ', key);
  return end === -1 ? message.length : end;
}

/**
 * Where the remote's reply that starts at `start` ends. `stat=` is the line's last field, so
 * the reply runs to one `, stat=`; but the reply is the remote's text and may hold `, stat=`
 * itself. The real `stat=` either repeats the reply (`Deferred: 451 ...`) or sums it up in
 * Sendmail's own words (`User unknown`), which hold no `, stat=`: the first split whose stat
 * ends with the reply before it is the real one, else the last split.
 */
function replyEnd(message: string, start: number): number {
  const first = message.indexOf(STAT_FIELD, start);
  const last = message.lastIndexOf(STAT_FIELD);
  if (first === -1 || first === last) return first;

  // A stat that repeats the reply is a short word or two (`Deferred: `) and the reply again:
  // only the splits that leave it that long are tried, so a long line costs no more than once.
  const tail = message.length - start - STAT_FIELD.length;
  const shortest = Math.ceil((tail - MAX_STAT_PREFIX) / 2);
  for (let next = first; next !== -1; next = message.indexOf(STAT_FIELD, next + 1)) {
    const replyLength = next - start;
    if (replyLength > tail / 2) break;
    if (replyLength >= shortest && message.endsWith(message.slice(start, next))) return next;
  }

  return last;
}

/**
 * Where the recipient list that starts at `start` ends: the first `, ` outside quotes and angle
 * brackets. A program recipient (`"| exec procmail -a x, y"`) and a quoted local part
 * (`<"x, stat=Sent"@example.com>`) may hold `, `, and both are text strangers can write.
 */
function recipientListEnd(message: string, start: number): number {
  let angles = 0;

  for (let at = start; at < message.length; at++) {
    const code = message.charCodeAt(at);
    if (code === QUOTE) at = quotedEnd(message, at) - 1;
    else if (code === 60) angles += 1;
    else if (code === 62 && angles > 0) angles -= 1;
    else if (code === 44 && angles === 0 && message.charCodeAt(at + 1) === 32) return at;
  }

  return -1;
}

/** `<a@example.com>,<b@example.com>,` → both addresses, split on commas outside quotes and
 *  angle brackets; bare forms (`postmaster`) stay. */
function splitRecipients(list: string): string[] {
  const recipients: string[] = [];
  let angles = 0;
  let from = 0;

  for (let at = 0; at <= list.length; at++) {
    const code = list.charCodeAt(at);
    if (code === QUOTE) at = quotedEnd(list, at) - 1;
    else if (code === 60) angles += 1;
    else if (code === 62 && angles > 0) angles -= 1;
    else if (at === list.length || (code === 44 && angles === 0)) {
      const recipient = stripAngles(list.slice(from, at).trim());
      if (recipient !== '' && recipient !== '<>') recipients.push(recipient);
      from = at + 1;
    }
  }

  return recipients;
}

/** `mx.example.com. [192.0.2.25]` → `mx.example.com [192.0.2.25]`: Sendmail logs the
 *  canonical name with its trailing root dot. */
function trimRelay(relay: string): string {
  const space = relay.indexOf(' ');
  const nameEnd = space === -1 ? relay.length : space;
  if (nameEnd > 1 && relay.charCodeAt(nameEnd - 1) === 46) {
    return relay.slice(0, nameEnd - 1) + relay.slice(nameEnd);
  }

  return relay;
}
