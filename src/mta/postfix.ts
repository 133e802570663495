// The Postfix parser: one delivery record per recipient from every delivery agent, the sender
// from qmgr, expiry (one record per recipient still deferred) and removal. Line shapes:
// as Postfix writes them; the field order of a delivery record comes from its log_adhoc.c, but
// fields are read as key=value pairs, since newer versions insert fields (`tls=` in 3.11) and
// older ones lack some (`dsn=` before 2.3).

import { detach } from '../classify/text.js';
import type {
  DeliveryRecord,
  Envelope,
  MessageExpiredRecord,
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
import {
  CONTEXT_PREFIXES,
  DELIVERY_STATUSES,
  LONG_ID_CHARS,
  MAX_QUEUE_ID,
  QUEUE_CONTEXT_PREFIXES,
  SHORT_ID_CHARS,
  VERIFY_STATUSES,
} from './postfix-lines.js';

export interface ParserOptions {
  /** Open messages remembered (queue id → sender) before the oldest is forgotten. */
  readonly maxOpenMessages?: number;
  /** Deferred recipients remembered per open message (Postfix) for a later expiry. */
  readonly maxDeferredRecipients?: number;
}

const CLOSING_ANGLE = 62;

/** The last field of pickup's line for a requeued message, after the sender's `>`: the queue
 *  id it had before. */
const ORIG_ID = /> orig_id=([0-9A-Za-z]{5,24})$/;

/** Postfix's default `smtpd_recipient_limit`: most messages have no more recipients. */
const MAX_DEFERRED_RECIPIENTS = 1000;

interface DeliveryFields {
  readonly recipient: string;
  readonly relay: string | undefined;
  readonly dsn: string | undefined;
  readonly statusWord: string;
  readonly text: string;
}

/** What a qmgr expiry line says: the message and its sender, and the line's text. */
interface Expiry {
  readonly queueId: string;
  readonly sender: string;
  readonly text: string;
}

/** What the parser keeps of a message still in the queue. */
interface OpenMessage {
  sender: string | undefined;
  /** Recipients whose latest record was a deferral: the ones a qmgr expiry returns. */
  deferred: string[];
  /** More recipients were deferred than `maxDeferredRecipients` lets the parser remember. */
  hasMoreDeferred: boolean;
}

/** Creates a Postfix parser. It remembers open messages (sender, deferred recipients), so use
 *  one per run. */
export function createPostfixParser(options: ParserOptions = {}): MtaParser {
  const cap = options.maxOpenMessages ?? MAX_OPEN_MESSAGES;
  const recipientCap = options.maxDeferredRecipients ?? MAX_DEFERRED_RECIPIENTS;
  const messages = new Map<string, OpenMessage>();
  const daemons = new Map<string, string>();

  return { mta: 'postfix', accepts: isPostfixProgram, parse };

  function parse(envelope: Envelope): readonly MtaRecord[] | undefined {
    const message = envelope.message;
    const idLength = queueIdLength(message);
    if (idLength === 0) return startsWithAny(message, CONTEXT_PREFIXES) ? NO_RECORDS : undefined;

    const queueId = message.slice(0, idLength);
    const start = idLength + 2;
    if (message.startsWith('to=', start)) return parseDelivery(envelope, queueId, start);
    if (message.startsWith('from=', start)) return parseSenderLine(envelope, queueId, start);
    if (message.length === start + 7 && message.endsWith('removed')) {
      return removeMessage(envelope, queueId);
    }

    if (message.startsWith('uid=', start)) return requeueMessage(envelope, queueId);

    return startsWithAny(message, QUEUE_CONTEXT_PREFIXES, start) ? NO_RECORDS : undefined;
  }

  function parseDelivery(
    envelope: Envelope,
    queueId: string,
    start: number,
  ): readonly MtaRecord[] | undefined {
    const fields = readDeliveryFields(envelope.message, start);
    if (fields === undefined) return undefined;

    const status = DELIVERY_STATUSES.get(fields.statusWord);
    if (status === undefined)
      return VERIFY_STATUSES.has(fields.statusWord) ? NO_RECORDS : undefined;

    const open = messages.get(queueId);
    const daemon = daemonOf(envelope.program);
    if (daemon === 'discard') {
      // discard(8) throws the mail away by our own configuration: neither delivered nor failed.
      trackRecipient(queueId, open, fields.recipient, status);
      return NO_RECORDS;
    }

    const record = deliveryRecord(envelope, 'postfix', {
      daemon,
      queueId,
      recipient: fields.recipient,
      sender: open?.sender,
      status,
      dsn: fields.dsn,
      relay: fields.relay,
      text: fields.text,
    });
    trackRecipient(queueId, open, fields.recipient, status);
    return [record];
  }

  /** A deferred recipient is remembered until a later record delivers or bounces it. */
  function trackRecipient(
    queueId: string,
    open: OpenMessage | undefined,
    recipient: string,
    status: Status,
  ): void {
    if (status === 'deferred') {
      const entry = open ?? openMessage(queueId, undefined);
      if (entry.deferred.includes(recipient)) return;
      if (entry.deferred.length < recipientCap) entry.deferred.push(detach(recipient));
      else entry.hasMoreDeferred = true;
      return;
    }

    if (open === undefined) return;

    const index = open.deferred.indexOf(recipient);
    if (index !== -1) open.deferred.splice(index, 1);
  }

  /** qmgr: `from=<s>, size=N, nrcpt=N (queue active)` or `from=<s>, status=expired, ...`. */
  function parseSenderLine(
    envelope: Envelope,
    queueId: string,
    start: number,
  ): readonly MtaRecord[] | undefined {
    const message = envelope.message;
    const end = addressEnd(message, start + 5);
    if (end === -1) return undefined;

    const sender = stripAngles(message.slice(start + 5, end));
    if (message.startsWith(', status=', end)) {
      return expireMessage(envelope, queueId, sender, message.slice(end + 9));
    }

    const open = messages.get(queueId);
    if (open === undefined) openMessage(queueId, sender);
    else if (open.sender !== sender) open.sender = detach(sender);
    return NO_RECORDS;
  }

  /**
   * qmgr logs the expiry once per message, after its last delivery attempt, and returns the
   * recipients still in the message's defer log (qmgr_active.c); it names none of them. Each
   * recipient whose latest record was a deferral gets an `expired` record. A message-expired
   * record stands for the recipients not known: all of them when the log starts mid-queue, the
   * ones beyond `maxDeferredRecipients` otherwise.
   */
  function expireMessage(
    envelope: Envelope,
    queueId: string,
    sender: string,
    text: string,
  ): readonly MtaRecord[] {
    const expiry: Expiry = { queueId, sender, text };
    const open = messages.get(queueId);
    const records: MtaRecord[] = (open?.deferred ?? []).map((recipient) =>
      expiredRecord(envelope, recipient, expiry),
    );
    if (records.length === 0 || open?.hasMoreDeferred === true) {
      records.push(messageExpiredRecord(envelope, expiry));
    }

    if (open !== undefined) {
      open.deferred = [];
      open.hasMoreDeferred = false;
    }

    return records;
  }

  function expiredRecord(envelope: Envelope, recipient: string, expiry: Expiry): DeliveryRecord {
    return deliveryRecord(envelope, 'postfix', {
      ...expiry,
      recipient,
      daemon: daemonOf(envelope.program),
      status: 'expired',
      dsn: undefined,
      relay: undefined,
    });
  }

  function openMessage(queueId: string, sender: string | undefined): OpenMessage {
    const entry: OpenMessage = {
      sender: sender === undefined ? undefined : detach(sender),
      deferred: [],
      hasMoreDeferred: false,
    };
    setBounded(messages, queueId, entry, cap);
    return entry;
  }

  function removeMessage(envelope: Envelope, queueId: string): readonly MtaRecord[] {
    messages.delete(queueId);
    return [
      {
        kind: 'message-done',
        time: envelope.time,
        mta: 'postfix',
        host: envelope.host,
        queueId,
        source: envelope.source,
      },
    ];
  }

  /**
   * pickup: `uid=0 from=<s> orig_id=OLDID` when the message is one `postsuper -r` put back
   * into the maildrop (pickup.c): the old queue file is gone, and its recipients go on under
   * the new id. Other pickup lines (`uid=1000 from=<s>`) are arrivals: context only.
   */
  function requeueMessage(envelope: Envelope, queueId: string): readonly MtaRecord[] {
    const message = envelope.message;
    const origId = ORIG_ID.exec(message);
    const oldQueueId = origId?.[1];
    if (origId === null || oldQueueId === undefined || oldQueueId === queueId) return NO_RECORDS;
    // Only pickup's own field counts: one inside the sender's quotes (a quoted sender whose
    // line was cut short after such text) is the sender's text.
    const from = message.indexOf(' from=<');
    const isClosed = from !== -1 && isOutsideQuotes(message, from + 7, origId.index);
    if (daemonOf(envelope.program) !== 'pickup' || !isClosed) return NO_RECORDS;

    messages.delete(oldQueueId);
    return [
      {
        kind: 'message-requeued',
        time: envelope.time,
        mta: 'postfix',
        host: envelope.host,
        queueId: oldQueueId,
        newQueueId: queueId,
        source: envelope.source,
      },
    ];
  }

  /** The daemon is the last component of the tag: `postfix/submission/smtpd` → `smtpd`. */
  function daemonOf(program: string): string {
    let daemon = daemons.get(program);
    if (daemon === undefined) {
      daemon = program.slice(program.lastIndexOf('/') + 1);
      if (daemons.size < 1000) daemons.set(program, daemon);
    }

    return daemon;
  }
}

function messageExpiredRecord(envelope: Envelope, expiry: Expiry): MessageExpiredRecord {
  return {
    kind: 'message-expired',
    time: envelope.time,
    mta: 'postfix',
    host: envelope.host,
    ...expiry,
    source: envelope.source,
  };
}

/** `postfix/smtp`, `postfix-out/smtp`, `postfix/submission/smtpd`, `postfix`, and a daemon
 *  of an instance whose `syslog_name` does not start with `postfix` (`server1-1/smtp`). */
export function isPostfixProgram(program: string): boolean {
  if (program.startsWith('postfix/') || program.startsWith('postfix-') || program === 'postfix') {
    return true;
  }

  const slash = program.lastIndexOf('/');
  return slash > 0 && POSTFIX_DAEMONS.has(program.slice(slash + 1));
}

/**
 * The daemons and commands of Postfix that log, by names no other common program tags its
 * lines with (`cyrus/lmtp`, `cyrus/master` and generic `x/local`, `x/pipe`, `x/error` are
 * others'): an instance's own `syslog_name` is recognised by them (postfix/libexec, bin).
 */
const POSTFIX_DAEMONS: ReadonlySet<string> = new Set([
  'anvil',
  'bounce',
  'cleanup',
  'dnsblog',
  'oqmgr',
  'pickup',
  'postdrop',
  'postqueue',
  'postscreen',
  'postsuper',
  'qmgr',
  'qmqpd',
  'scache',
  'smtp',
  'smtpd',
  'tlsmgr',
  'tlsproxy',
  'trivial-rewrite',
]);

const COLON = 58;
const SPACE = 32;

/** Length of the queue id that starts `message` and is followed by `: `, or 0. */
function queueIdLength(message: string): number {
  let isShort = true;
  let isLong = true;
  let index = 0;
  const limit = Math.min(message.length, MAX_QUEUE_ID);
  for (; index < limit; index += 1) {
    const code = message.charCodeAt(index);
    if (code === COLON) break;
    if (SHORT_ID_CHARS[code] !== 1) isShort = false;
    if (LONG_ID_CHARS[code] !== 1) isLong = false;
    if (!isShort && !isLong) return 0;
  }

  if (message.charCodeAt(index) !== COLON || message.charCodeAt(index + 1) !== SPACE) return 0;
  if (isShort && index >= 5) return index;
  return isLong && index >= 10 ? index : 0;
}

/** Reads `to=<r>[, orig_to=<o>], relay=..., ..., status=WORD (TEXT)` from `start` (at `to=`). */
function readDeliveryFields(message: string, start: number): DeliveryFields | undefined {
  const recipientEnd = addressEnd(message, start + 3);
  if (recipientEnd === -1) return undefined;

  const recipient = stripAngles(message.slice(start + 3, recipientEnd));
  let relay: string | undefined;
  let dsn: string | undefined;
  let position = recipientEnd;
  while (message.startsWith(', ', position)) {
    const key = position + 2;
    if (message.startsWith('status=', key)) {
      return { recipient, relay, dsn, ...readStatus(message, key + 7) };
    }

    const valueEnd = fieldEnd(message, key);
    if (message.startsWith('relay=', key)) relay = message.slice(key + 6, valueEnd);
    else if (message.startsWith('dsn=', key)) dsn = message.slice(key + 4, valueEnd);
    position = valueEnd;
  }

  return undefined;
}

/**
 * The status word and its text: everything after `status=WORD (` up to the final `)`. The text
 * holds nested parentheses; Postfix cuts records at 2000 characters, so the final `)` may be
 * missing, and then the text runs to the end of the line.
 */
function readStatus(message: string, start: number): { statusWord: string; text: string } {
  let wordEnd = start;
  while (wordEnd < message.length && isStatusWordChar(message.charCodeAt(wordEnd))) wordEnd += 1;

  const statusWord = message.slice(start, wordEnd);
  if (!message.startsWith(' (', wordEnd)) return { statusWord, text: '' };

  const textEnd = message.endsWith(')') ? message.length - 1 : message.length;
  return { statusWord, text: message.slice(wordEnd + 2, Math.max(textEnd, wordEnd + 2)) };
}

function isStatusWordChar(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45;
}

/** End of the field value starting at `key` (`name=value`), before the next `, `. */
function fieldEnd(message: string, key: number): number {
  if (message.startsWith('orig_to=', key)) {
    const end = addressEnd(message, key + 8);
    if (end !== -1) return end;
  }

  const end = message.indexOf(', ', key);
  return end === -1 ? message.length : end;
}

/**
 * End of an address that starts at `start`: `<...>` or, in logs older than Postfix 2.1, a bare
 * address up to `, `.
 */
function addressEnd(message: string, start: number): number {
  if (message.charCodeAt(start) === 60) {
    const close = message.indexOf('>,', start + 1);
    if (close !== -1 && !hasQuote(message, start + 1, close)) return close + 1;
    // Postfix before 3.5 logs the unquoted form, where a lone `"` (`o"brien@x`) opens nothing.
    const end = bracketedEnd(message, start + 1);
    return end !== -1 || close === -1 ? end : close + 1;
  }

  const end = message.indexOf(', ', start);
  return end === -1 ? -1 : end;
}

/** Whether `message[at]` lies outside the quoted strings that start from `from` on. */
function isOutsideQuotes(message: string, from: number, at: number): boolean {
  let index = from;
  while (index < at) {
    index = message.charCodeAt(index) === QUOTE ? quotedEnd(message, index) : index + 1;
  }

  return index === at;
}

/** Whether a `"` stands in `message[from, to)`: the address there may be quoted. A loop over
 *  the address alone, not a search of the rest of the line, on this hot path. */
function hasQuote(message: string, from: number, to: number): boolean {
  for (let index = from; index < to; index += 1) {
    if (message.charCodeAt(index) === QUOTE) return true;
  }

  return false;
}

/**
 * Just past the `>` that ends a bracketed address, followed by `,` or the end of the line,
 * from `from` (after the `<`). Postfix logs a local part that needs it quoted (`"a>, b"@x`),
 * and the sender picks the local parts of its own address and of a bounce's recipient: text
 * inside quotes never ends the address (`quotedEnd`).
 */
function bracketedEnd(message: string, from: number): number {
  let at = from;
  while (at < message.length) {
    const code = message.charCodeAt(at);
    if (code === QUOTE) {
      at = quotedEnd(message, at);
    } else if (code === CLOSING_ANGLE && (at + 1 === message.length || message[at + 1] === ',')) {
      return at + 1;
    } else {
      at += 1;
    }
  }

  return -1;
}
