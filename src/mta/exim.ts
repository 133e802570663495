// The Exim parser. The envelope layer has removed the timestamp (and, for Exim through syslog,
// the inner timestamp and pid), so a message line starts with the message id:
// `1tAbCd-0001Xy-Qz == ann@example.com R=dnslookup defer (-1): host lookup did not complete`.
// Field order follows Exim's deliver.c (deferral_log, failure_log, d_hostlog): address,
// `<original>`, `(parent)`, `F=`, `R=`, `T=`, `defer (N)[: strerror]`, `H=host [ip]:port`,
// further fields, then `: message` (` : message` on older failure lines).

import type { Envelope, MtaParser, MtaRecord, Status } from '../model.js';
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
  AUTHENTICATOR_FAILED,
  CONTEXT_PREFIXES,
  EXPIRY_TEXTS,
  FLAGS,
  MESSAGE_CONTEXT_PREFIXES,
  type EximFlag,
} from './exim-lines.js';
import type { ParserOptions } from './postfix.js';

/** Older Exim's note of one host's failure before the recipient's `==` line, without `H=`:
 *  `alt4.gmail-smtp-in.l.google.com [74.125.115.27] No route to host`. */
const HOST_ERROR = /^[\w.-]+ \[[\da-fA-F.:]+\](?::\d+)? \S/;

/** A failure Exim was told to ignore, with the address first: `ann@example.com: error ignored`
 *  (a bounce of a bounce, or a DSN that asked for no failure notice). */
const IGNORED_ERROR = /^\S+: error ignored/;

const BACKSLASH = 92;
const OPENING_ANGLE = 60;
const CLOSING_ANGLE = 62;
const OPENING_PARENTHESIS = 40;
const CLOSING_PARENTHESIS = 41;
const COMMA = 44;
const AT = 64;
/** No address, original or parent list Exim logs is longer (RFC 5321 allows 256). */
const MAX_FIELD = 2048;

/** Newer Exim's failure lines put the delivery time (`+deliver_time`) after the message: `**
 *  ann@example.com R=r T=t: Child process ... returned 127 ... DT=0.004s`. It is no part of
 *  the message, and a time in the text would make each record's example differ. */
const TRAILING_DELIVERY_TIME = / DT=\d[\d.dhms]*$/;

interface EximDelivery {
  readonly recipient: string;
  readonly sender: string | undefined;
  readonly relay: string | undefined;
  readonly text: string;
}

/** Creates an Exim parser. It remembers each open message's sender, so use one per run. */
export function createEximParser(options: ParserOptions = {}): MtaParser {
  const cap = options.maxOpenMessages ?? MAX_OPEN_MESSAGES;
  const senders = new Map<string, string>();

  return { mta: 'exim', accepts: isEximProgram, parse };

  function parse(envelope: Envelope): readonly MtaRecord[] | undefined {
    const message = envelope.message;
    const idLength = messageIdLength(message);
    if (idLength === 0) return isContextLine(message) ? NO_RECORDS : undefined;

    const messageId = message.slice(0, idLength);
    const start = idLength + 1;
    const flag =
      message.charCodeAt(start + 2) === SPACE
        ? FLAG_CODES.get(flagCode(message.charCodeAt(start), message.charCodeAt(start + 1)))
        : undefined;
    if (flag === undefined) return parseMessageContext(envelope, messageId, start);

    return parseFlagLine(envelope, messageId, start + 3, flag);
  }

  function parseFlagLine(
    envelope: Envelope,
    messageId: string,
    start: number,
    flag: EximFlag,
  ): readonly MtaRecord[] | undefined {
    switch (flag) {
      case 'arrival':
        return rememberSender(envelope.message, messageId, start);
      case 'suppressed':
        return NO_RECORDS;
      case 'sent':
        return isDiscard(envelope.message, start)
          ? NO_RECORDS
          : parseDelivery(envelope, messageId, start, 'sent');
      case 'deferred':
        return isQueueOnly(envelope.message)
          ? NO_RECORDS
          : parseDelivery(envelope, messageId, start, 'deferred');
      case 'failed':
        return parseDelivery(envelope, messageId, start, 'bounced');
    }
  }

  /** `<= sender ...`: the sender is the first word, `<>` for bounces. */
  function rememberSender(message: string, messageId: string, start: number): readonly MtaRecord[] {
    const sender = stripAngles(message.slice(start, wordEnd(message, start)));
    setBounded(senders, messageId, sender === '<>' ? '' : sender, cap);
    return NO_RECORDS;
  }

  function parseDelivery(
    envelope: Envelope,
    messageId: string,
    start: number,
    flagStatus: Status,
  ): readonly MtaRecord[] | undefined {
    const delivery = readDelivery(envelope.message, start);
    if (delivery === undefined) return undefined;

    const status = flagStatus === 'bounced' && isExpiry(delivery.text) ? 'expired' : flagStatus;
    const record = deliveryRecord(envelope, 'exim', {
      daemon: envelope.program,
      queueId: messageId,
      recipient: delivery.recipient,
      sender: delivery.sender ?? senders.get(messageId),
      status,
      dsn: undefined,
      relay: delivery.relay,
      text: delivery.text,
    });
    return [record];
  }

  function parseMessageContext(
    envelope: Envelope,
    messageId: string,
    start: number,
  ): readonly MtaRecord[] | undefined {
    const message = envelope.message;
    if (message.startsWith('Completed', start)) {
      senders.delete(messageId);
      const record: MtaRecord = {
        kind: 'message-done',
        time: envelope.time,
        mta: 'exim',
        host: envelope.host,
        queueId: messageId,
        source: envelope.source,
      };
      return [record];
    }

    if (startsWithAny(message, MESSAGE_CONTEXT_PREFIXES, start)) return NO_RECORDS;
    const rest = message.slice(start);
    return HOST_ERROR.test(rest) || IGNORED_ERROR.test(rest) ? NO_RECORDS : undefined;
  }
}

/**
 * No delivery was tried: the message waits for a queue run by our own configuration
 * (`== ann@example.com R=dnslookup T=remote_smtp defer (-1): domain matches
 * queue_smtp_domains, or -odqs set`), as Sendmail's lone `stat=queued` does.
 */
function isQueueOnly(message: string): boolean {
  // Exim's own words end the line, and no host was talked to: a remote's reply that quotes
  // them comes after `H=host [ip]: SMTP error ...` and does not count.
  return (
    message.endsWith(QUEUE_ONLY) &&
    !message.includes(' H=') &&
    !message.includes(' SMTP error from remote ')
  );
}

const QUEUE_ONLY = ' defer (-1): domain matches queue_smtp_domains, or -odqs set';

/**
 * A recipient our own configuration threw away, logged as a delivery: a redirect to
 * `:blackhole:` (`=> :blackhole: <ann@example.com> R=router`) or an ACL's `discard` (`=>
 * blackhole (DATA ACL discarded recipients): ...`). Neither delivered nor failed.
 */
function isDiscard(message: string, start: number): boolean {
  return message.startsWith(':blackhole: ', start) || message.startsWith('blackhole (', start);
}

/** `exim`, `exim4` and versioned names such as `exim-4.97`. */
function isEximProgram(program: string): boolean {
  return program.startsWith('exim');
}

const SPACE = 32;
const DASH = 45;

/** The flags by their two character codes, so a line's flag is found without a substring. */
const FLAG_CODES: ReadonlyMap<number, EximFlag> = new Map(
  [...FLAGS].map(([flag, meaning]) => [flagCode(flag.charCodeAt(0), flag.charCodeAt(1)), meaning]),
);

function flagCode(first: number, second: number): number {
  return first * 65536 + second;
}

/**
 * Length of the message id that starts `message` and is followed by a space, or 0. Before Exim
 * 4.97 ids are 16 characters (`1tAbCd-0001Xy-Qz`), since then 23 (`1tAbCd-00000000AbC-0Xyz`).
 */
function messageIdLength(message: string): number {
  if (message.charCodeAt(6) !== DASH) return 0;

  let length: number;
  if (message.charCodeAt(13) === DASH && message.charCodeAt(16) === SPACE) length = 16;
  else if (message.charCodeAt(18) === DASH && message.charCodeAt(23) === SPACE) length = 23;
  else return 0;

  for (let index = 0; index < length; index += 1) {
    const code = message.charCodeAt(index);
    if (code !== DASH && !isAlphanumeric(code)) return 0;
  }

  return length;
}

function isAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isExpiry(text: string): boolean {
  for (const expiry of EXPIRY_TEXTS) {
    if (text.includes(expiry)) return true;
  }

  return false;
}

/** Reads the address, its fields and the message of a `=>`, `->`, `>>`, `==` or `**` line. */
function readDelivery(message: string, start: number): EximDelivery | undefined {
  const addressEnd = wordEnd(message, start);
  if (addressEnd === start) return undefined;

  const reader = new FieldReader(message, addressEnd);
  let address = message.slice(start, addressEnd);
  if (address.endsWith(':') && message.charCodeAt(addressEnd) === SPACE) {
    address = address.slice(0, -1);
    reader.takeMessage(addressEnd + 1);
  } else {
    reader.read();
  }

  const recipient = chooseRecipient(address, reader.original);
  if (recipient === '') return undefined;

  return { recipient, sender: reader.sender, relay: reader.relay, text: reader.text() };
}

/** Local deliveries log the final target first (`jo <jo@example.com>`, a file, a pipe); the
 *  address with a domain is the recipient the report groups by. */
function chooseRecipient(address: string, original: string | undefined): string {
  if (original !== undefined && !address.includes('@')) return original;
  return address;
}

/** End of the word at `start`: the next space; or past a quoted local part, or a bracketed
 *  address, that closes (see `closingEnd`). */
function wordEnd(message: string, start: number): number {
  const first = message.charCodeAt(start);
  const closer = first === QUOTE ? QUOTE : first === OPENING_ANGLE ? CLOSING_ANGLE : undefined;
  let index = closer === undefined ? start : closingEnd(message, start, closer);
  // A quoted local part goes on with its domain: a quote closed by some later text is none.
  if (closer === QUOTE && message.charCodeAt(index) !== AT) index = start;
  const space = message.indexOf(' ', index);
  return space === -1 ? message.length : space;
}

/**
 * Just past the `closer` (`>`, `)` or `"`) that ends the field opened at `start`, or `start`
 * when it does not close within `MAX_FIELD` characters. A quoted local part (`<"a : b\"c"@x>`,
 * the sender's own text) may hold spaces, colons, escaped quotes and the closer: none of it
 * ends the field. The bound keeps a line of many unclosed fields from costing its square.
 */
function closingEnd(message: string, start: number, closer: number): number {
  let isQuoted = closer === QUOTE;
  const limit = Math.min(message.length, start + MAX_FIELD);
  for (let index = start + 1; index < limit; index += 1) {
    const code = message.charCodeAt(index);
    if (isQuoted && code === BACKSLASH) index += 1;
    else if (code === QUOTE && closer === QUOTE) return index + 1;
    else if (code === QUOTE) isQuoted = !isQuoted;
    else if (!isQuoted && code === closer) return index + 1;
    else if (!isQuoted && isFieldBreak(message, index, closer)) return start;
  }

  return start;
}

/**
 * Whether the unquoted character at `index` shows that a field closed by `closer` never
 * closed: an address has no space; a parent list has one only after its commas; neither
 * holds another field's opener. So no scan passes the start of the next field.
 */
function isFieldBreak(message: string, index: number, closer: number): boolean {
  const code = message.charCodeAt(index);
  if (closer === CLOSING_PARENTHESIS) {
    return (
      code === OPENING_PARENTHESIS || (code === SPACE && message.charCodeAt(index - 1) !== COMMA)
    );
  }

  return code === OPENING_ANGLE || code === SPACE;
}

/** Walks the fields after the address: `<original>`, `(parent)`, `KEY=value`, `defer (N)`. */
class FieldReader {
  original: string | undefined;
  sender: string | undefined;
  relay: string | undefined;
  private confirmation = '';
  private error = '';
  private reply = '';

  constructor(
    private readonly message: string,
    private position: number,
  ) {}

  read(): void {
    const message = this.message;
    while (this.position < message.length) {
      if (message.charCodeAt(this.position) === SPACE) this.position += 1;
      if (this.atMessage()) return;

      // A word that is not a field (Exim's `K` for CHUNKING) is skipped.
      const next = this.readField();
      if (next !== -1) {
        this.position = next;
        continue;
      }

      const space = message.indexOf(' ', this.position);
      if (space === -1) return;
      this.position = space;
    }
  }

  /** The text for the record: the strerror and the message of a failure, or Exim's `C="..."`
   *  confirmation of a delivery. */
  text(): string {
    if (this.error !== '' && this.reply !== '') return `${this.error}: ${this.reply}`;
    return this.error || this.reply || this.confirmation;
  }

  /** The message proper starts at `index` (at `: ` or ` : `). */
  takeMessage(index: number): void {
    const message = this.message;
    let start = index;
    if (message.charCodeAt(start) === SPACE) start += 1;
    if (message.charCodeAt(start) === 58) start += 1;
    if (message.charCodeAt(start) === SPACE) start += 1;
    this.reply = message.slice(start).replace(TRAILING_DELIVERY_TIME, '');
    this.position = message.length;
  }

  private atMessage(): boolean {
    const message = this.message;
    if (
      message.charCodeAt(this.position) === 58 &&
      message.charCodeAt(this.position + 1) === SPACE
    ) {
      this.takeMessage(this.position);
      return true;
    }

    return false;
  }

  /** Reads one field at the current position; returns the position after it, or -1. */
  private readField(): number {
    const message = this.message;
    const at = this.position;
    const code = message.charCodeAt(at);
    if (code === 60) return this.readOriginal(at);
    if (code === 40) return this.skipParent(at);
    if (message.startsWith('defer (', at)) return this.readDefer(at + 7);
    if (message.startsWith('routing defer (', at)) return this.readDefer(at + 15);

    const equals = keyLength(message, at);
    if (equals === 0) return -1;

    const valueStart = at + equals + 1;
    const key = message.slice(at, at + equals);
    if (key === 'H') return this.readHost(valueStart);
    return this.readValue(key, valueStart);
  }

  private readOriginal(at: number): number {
    const end = closingEnd(this.message, at, CLOSING_ANGLE);
    if (end === at) return -1;

    this.original = this.message.slice(at + 1, end - 1);
    return end;
  }

  private skipParent(at: number): number {
    const end = closingEnd(this.message, at, CLOSING_PARENTHESIS);
    return end === at ? -1 : end;
  }

  /** `defer (N)` and, for a positive errno, `: strerror` up to the host or the message. */
  private readDefer(codeStart: number): number {
    const message = this.message;
    const close = message.indexOf(')', codeStart);
    if (close === -1) return -1;

    const errno = Number(message.slice(codeStart, close));
    if (errno > 0 && message.startsWith(': ', close + 1)) {
      const start = close + 3;
      const end = firstOf(message, start, [' H=', ' DT=', ': ']);
      this.error = message.slice(start, end);
      return end;
    }

    return close + 1;
  }

  /** `H=name [ip]`, `H=name DS [ip]:port*`, `H=[ip]`, `H=name (helo) [ip]`. */
  private readHost(start: number): number {
    const message = this.message;
    const close = message.indexOf(']', start);
    const nextField = message.indexOf('=', start);
    if (close === -1 || (nextField !== -1 && nextField < close)) return this.readValue('H', start);

    let end = close + 1;
    if (message.charCodeAt(end) === 58 && isDigit(message.charCodeAt(end + 1))) {
      end += 1;
      while (isDigit(message.charCodeAt(end))) end += 1;
    }

    if (message.charCodeAt(end) === 42) end += 1;
    this.relay = message.slice(start, end);
    return end;
  }

  private readValue(key: string, start: number): number {
    const message = this.message;
    let end: number;
    const angled =
      message.charCodeAt(start) === OPENING_ANGLE
        ? closingEnd(message, start, CLOSING_ANGLE)
        : start;
    if (message.charCodeAt(start) === QUOTE) {
      end = quotedEnd(message, start);
    } else if (angled > start) {
      end = angled;
    } else {
      end = message.indexOf(' ', start);
      if (end === -1) end = message.length;
      if (message.charCodeAt(end - 1) === 58 && end > start) end -= 1;
    }

    const value = message.slice(start, end);
    if (key === 'F') this.sender = stripAngles(value);
    else if (key === 'C') this.confirmation = value.slice(1, -1);
    return end;
  }
}

/** Length of a `KEY=` field name (letters only, at most four), or 0. */
function keyLength(message: string, at: number): number {
  for (let index = at; index < at + 5 && index < message.length; index += 1) {
    const code = message.charCodeAt(index);
    if (code === 61) return index - at;
    if (!((code >= 65 && code <= 90) || (code >= 97 && code <= 122))) return 0;
  }

  return 0;
}

function firstOf(message: string, start: number, needles: readonly string[]): number {
  let first = message.length;
  for (const needle of needles) {
    const index = message.indexOf(needle, start);
    if (index !== -1 && index < first) first = index;
  }

  return first;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** A line without a message id that Exim writes about sessions, queue runs and the daemon. */
function isContextLine(message: string): boolean {
  return startsWithAny(message, CONTEXT_PREFIXES) || AUTHENTICATOR_FAILED.test(message);
}
