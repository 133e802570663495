// Splits each log line into its envelope (time, host, program, pid) and the message, for every
// envelope the README lists (classic syslog, RFC 3339, RFC 5424, journald JSON, Exim's own
// mainlog, container prefixes), mixed freely within one input.

import { EARLIEST_TIME, LATEST_TIME, type Envelope, type Source } from '../model.js';
import { criContentStart, criStream, isCriPartial } from './cri.js';
import { unpackStamp } from './envelope-bytes.js';
import { createEximReader, type EximReader } from './exim.js';
import { journalEnvelope, parseObject, trimEnd } from './journald.js';
import { createLocalClock, createYearlessClock } from './local-time.js';
import { createPieceJoiner, type OnCut, type PieceJoiner } from './pieces.js';
import { createStampReader, digitAt, type StampReader } from './timestamps.js';

export interface EnvelopeOptions {
  /** Year of the first year-less line (`--year`), kept across inputs; inferred for each input
   *  from its `referenceTime` otherwise. */
  readonly year?: number;
  /** IANA time zone of times without an offset; the system's by default. */
  readonly timeZone?: string;
  /** The first input's modification time, or now for stdin, ms (later ones: `startInput`). */
  readonly referenceTime?: number;
}

export interface EnvelopeParser {
  /** The envelope, `'pending'` for a piece of a split Exim record or of a partial container
   *  line that was buffered, or `undefined` when the envelope is not recognised (the caller
   *  counts it). */
  parse(line: string, source: Source): Envelope | 'pending' | undefined;
  /** At the end of the input: split records and partial container lines whose last piece
   *  never came, joined as far as they arrived; pieces with no envelope go to `onUnparsed`. */
  flush(onUnparsed?: UnparsedPiece): Envelope[];
  /** A year-less stamp (`packStamp`) of a line that was counted without being parsed: the
   *  year-less clock still sees it, so roll-over and repeated hours are judged as before. */
  passStamp(packed: number): void;
  /** The next input begins, with its modification time (or now for stdin), after `flush`. */
  startInput(referenceTime: number): void;
}

/** Told of a held piece that turned out to be no log line, with where it started. */
export type UnparsedPiece = (text: string, source: Source) => void;

/** Parser state for one input: clocks, caches, buffered Exim pieces and container lines. */
interface ParserState {
  readonly stamps: StampReader;
  readonly exim: EximReader;
  readonly cri: PieceJoiner;
  readonly docker: PieceJoiner;
}

const SPACE = 32;
const COLON = 58;
const RECORD_SEPARATOR = 0x1e;
/** syslog facilities and levels (RFC 5424 §6.2.1, as syslogd names them): `mail.info`. */
const FACILITIES = 'kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7]';
const LEVELS = 'emerg|alert|crit|err|warn|warning|notice|info|debug';
const PRIORITY_NAME = new RegExp(`^(?:${FACILITIES})\\.(?:${LEVELS})$`);
const SYSLOGD_MARK = '-- MARK --';
const SYSLOGD_REPEATED = /^last message repeated \d+ times?$/;
/** What follows the stamp in sysklogd 2's local RFC 5424 files: host, app, PROCID (digits or
 *  nil), MSGID, then nil or an SD-ELEMENT. */
const LOCAL_5424 = /^\S+ \S+ (?:\d{1,10}|-) \S+ (?:- |\[)/;
/** A service's name and the bar `docker compose logs` puts before its lines. */
const COMPOSE_PREFIX = /^[A-Za-z0-9][\w.-]{0,80} *\| /;
const SOLARIS_MESSAGE_ID = /^\[ID \d{1,10} [a-z0-9]{1,10}\.[a-z]{1,10}\] /;
/** Docker's default tag for its syslog driver: the container id, 12 (or all 64) hex digits. */
const CONTAINER_TAG = /^(?:[0-9a-f]{12}|[0-9a-f]{64})$/;
/** An RFC 3339 time with its zone, as Docker's json-file driver writes it. */
const ZONED_TIME = /(?:Z|[+-]\d\d:?\d\d)$/;

/** One parser per run, its inputs read one after the other: with `--year` the year-less clock
 *  goes on from one input to the next (a rotated set comes oldest first); without, each input's
 *  year is inferred from its own time. Split records and container lines end with the input. */
export function createEnvelopeParser(options: EnvelopeOptions = {}, onCut?: OnCut): EnvelopeParser {
  const clock = createLocalClock(options.timeZone);
  const yearless = createYearlessClock(clock, options);
  const stamps = createStampReader(clock, yearless);
  const state: ParserState = {
    stamps,
    exim: createEximReader(stamps),
    cri: createPieceJoiner(onCut),
    docker: createPieceJoiner(onCut),
  };

  return {
    parse: (line, source) => inRange(parseLine(state, line, source)),
    flush: (onUnparsed) => keepInRange(flushPieces(state, onUnparsed), onUnparsed),
    passStamp(packed) {
      const { month, day, seconds } = unpackStamp(packed);
      yearless.toTime(month, day, seconds);
    },
    startInput: (referenceTime) => yearless.startInput(referenceTime),
  };
}

/** An envelope whose time no report can write (a journal stamp of year 300,000) is none. */
function inRange(envelope: Envelope | 'pending' | undefined): Envelope | 'pending' | undefined {
  return envelope === undefined || envelope === 'pending' || isInRange(envelope)
    ? envelope
    : undefined;
}

function keepInRange(envelopes: Envelope[], onUnparsed: UnparsedPiece | undefined): Envelope[] {
  return envelopes.filter((envelope) => {
    if (isInRange(envelope)) return true;
    onUnparsed?.(envelope.message, envelope.source);
    return false;
  });
}

function isInRange(envelope: Envelope): boolean {
  return envelope.time >= EARLIEST_TIME && envelope.time < LATEST_TIME;
}

function parseLine(
  state: ParserState,
  line: string,
  source: Source,
): Envelope | 'pending' | undefined {
  const first = line.charCodeAt(0);

  if (first >= 48 && first <= 57) {
    return parseDated(state, line, 0, source);
  }

  if (first === 60) {
    return parsePriority(state, line, source);
  }

  if (first === 123) {
    return parseJsonLine(state, line, source);
  }

  // `journalctl -o json-seq` puts an ASCII record separator before each entry (RFC 7464).
  if (first === RECORD_SEPARATOR && line.charCodeAt(1) === 123) {
    return parseJsonLine(state, line.slice(1), source);
  }

  return parseClassic(state, line, 0, source) ?? parseComposeLine(state, line, source);
}

/** A journal entry (`journalctl -o json`), or a line of Docker's `json-file` log driver as it
 *  lies on disk (`{"log":"...\n","stream":"stdout","time":"2024-09-13T20:01:37.51Z"}`), read
 *  like `docker logs -t` at the runtime's time. */
function parseJsonLine(
  state: ParserState,
  line: string,
  source: Source,
): Envelope | 'pending' | undefined {
  const entry = parseObject(line);
  const log = entry?.['log'];
  if (typeof log !== 'string') {
    const journal = journalEnvelope(entry, source);
    const isContainer = typeof entry?.['CONTAINER_ID'] === 'string';
    // A container's syslog line from Docker's journald driver is read by its inner envelope.
    const envelope =
      journal !== undefined && isContainer ? unwrapForwarded(state.stamps, journal) : journal;
    return readExim(state, envelope, false);
  }

  const time = dockerTime(state.stamps, entry?.['time']);
  if (time === undefined) return undefined;

  const stream = typeof entry?.['stream'] === 'string' ? entry['stream'] : '';
  const whole = state.docker.add(stream, log, log.endsWith('\n'), time, source);
  if (whole === 'pending') return whole;

  // An empty line the container wrote is no mail server's: counted under `docker`.
  const text = trimEnd(whole.text);
  if (text === '') return makeEnvelope(whole.time, '', 'docker', undefined, '', whole.source);
  return parseStampedBody(state, text, 0, whole.time, whole.source);
}

/** The runtime's time of a json-file line: RFC 3339 with its zone, read strictly. */
function dockerTime(stamps: StampReader, value: unknown): number | undefined {
  if (typeof value !== 'string' || !ZONED_TIME.test(value)) return undefined;

  return stamps.iso(value, 0) && stamps.end === value.length ? stamps.time : undefined;
}

/** `docker compose logs` (how mailcow and Mailu logs are shared): `postfix-mailcow_1    | `
 *  before each container's line, which is then read as it is. */
function parseComposeLine(
  state: ParserState,
  line: string,
  source: Source,
): Envelope | 'pending' | undefined {
  const prefix = COMPOSE_PREFIX.exec(line);
  if (prefix === null) return undefined;

  const rest = line.slice(prefix[0].length);
  const first = rest.charCodeAt(0);
  return first >= 48 && first <= 57
    ? parseDated(state, rest, 0, source)
    : parseClassic(state, rest, 0, source);
}

/** T1: `Mmm dd hh:mm:ss host tag[pid]: message`, local time without a year. */
function parseClassic(
  state: ParserState,
  line: string,
  pos: number,
  source: Source,
): Envelope | 'pending' | undefined {
  const { stamps } = state;

  if (!stamps.classic(line, pos) || line.charCodeAt(stamps.end) !== SPACE) {
    return undefined;
  }

  return readExim(state, parseSyslogBody(line, stamps.end + 1, stamps.time, source), true);
}

/** T2, T5 (`YYYY-MM-DDThh:mm:ss...` then host and tag), T9 (a container runtime's stamp, and
 *  under Kubernetes its stream and tag, before a syslog line) and T7 (Exim's mainlog). */
function parseDated(
  state: ParserState,
  line: string,
  pos: number,
  source: Source,
): Envelope | 'pending' | undefined {
  const { stamps } = state;

  if (line.charCodeAt(pos + 10) === SPACE && pos === 0) {
    return parseSpaceDated(state, line, source);
  }

  if (!stamps.iso(line, pos) || line.charCodeAt(stamps.end) !== SPACE) {
    return undefined;
  }

  const time = stamps.time;
  const after = stamps.end + 1;
  const content = criContentStart(line, after);

  if (content !== -1) {
    return parseCriLine(state, line, after, content, time, source);
  }

  return parseStampedBody(state, line, after, time, source);
}

/**
 * `YYYY-MM-DD hh:mm:ss`: Exim's mainlog, or a syslog line whose RFC 3339 stamp has a space for
 * the `T` (RFC 3339 §5.6 allows it; rsyslog and syslog-ng templates write it), told apart by
 * what follows the stamp: `host tag[pid]: ` is no Exim message, whose second word never ends
 * in `]:` after digits.
 */
function parseSpaceDated(
  state: ParserState,
  line: string,
  source: Source,
): Envelope | 'pending' | undefined {
  const envelope = state.exim.mainlog(line, source);

  if (envelope === undefined || !isSyslogHeader(envelope.message)) {
    return envelope;
  }

  const body = line.length - envelope.message.length;
  return readExim(state, parseSyslogBody(line, body, envelope.time, source), false);
}

/** `host tag[pid]: ` at the start of `text`. */
function isSyslogHeader(text: string): boolean {
  const hostEnd = text.indexOf(' ');
  const tagEnd = hostEnd <= 0 ? -1 : text.indexOf(' ', hostEnd + 1);

  if (tagEnd === -1 || text.charCodeAt(tagEnd - 1) !== COLON) {
    return false;
  }

  const close = tagEnd - 2;
  const open = text.lastIndexOf('[', close);
  return (
    text.charCodeAt(close) === 93 && open > hostEnd + 1 && readTagPid(text, open + 1, close) >= 0
  );
}

/** A CRI line: partial pieces are kept until the full one of their stream ends the line. */
function parseCriLine(
  state: ParserState,
  line: string,
  prefix: number,
  content: number,
  time: number,
  source: Source,
): Envelope | 'pending' | undefined {
  const stream = criStream(line, prefix);
  const isPartial = isCriPartial(line, prefix);
  // A full line by itself is read in place.
  if (!isPartial && !state.cri.isOpen(stream)) {
    return parseStampedBody(state, line, content, time, source);
  }

  const joined = state.cri.add(stream, line.slice(content), !isPartial, time, source);
  return joined === 'pending'
    ? joined
    : parseStampedBody(state, joined.text, 0, joined.time, joined.source);
}

/**
 * What follows an RFC 3339 stamp: `host tag[pid]: message`, or a container's syslog line with
 * its own stamp (T9). The runtime's stamp is the time used, for `docker logs -t` and CRI alike:
 * it has a year and a zone and was taken as the line arrived, while the container's stamp is
 * often year-less local time of a zone the container need not share with the host.
 */
function parseStampedBody(
  state: ParserState,
  line: string,
  pos: number,
  time: number,
  source: Source,
): Envelope | 'pending' | undefined {
  if (isMainlogStamp(line, pos)) return containerMainlog(state, line.slice(pos), time, source);

  const body = skipInnerStamp(state.stamps, line, pos);
  const envelope = parseSyslogBody(line, body, time, source);
  return readExim(state, envelope ?? parseLocal5424(line, body, time, source), false);
}

/** `YYYY-MM-DD hh:mm:ss`: Exim's own mainlog stamp, with a space where RFC 3339 has a `T`. */
function isMainlogStamp(line: string, pos: number): boolean {
  return (
    digitAt(line, pos) !== -1 &&
    line.charCodeAt(pos + 4) === 45 &&
    line.charCodeAt(pos + 10) === SPACE &&
    line.charCodeAt(pos + 13) === COLON
  );
}

/** Exim writing its mainlog to a container's stdout: read as the mainlog, at the runtime's
 *  time, as every container line is. */
function containerMainlog(
  state: ParserState,
  text: string,
  time: number,
  source: Source,
): Envelope | undefined {
  const envelope = state.exim.mainlog(text, source);
  return envelope === undefined ? undefined : { ...envelope, time };
}

/** A second syslog timestamp after a container's prefix: its index skipped, or `pos`. */
function skipInnerStamp(stamps: StampReader, line: string, pos: number): number {
  const isStamp =
    digitAt(line, pos) === -1 ? stamps.classicShape(line, pos) : stamps.iso(line, pos);
  return isStamp && line.charCodeAt(stamps.end) === SPACE ? stamps.end + 1 : pos;
}

/** `<PRI>`: RFC 5424 (`<22>1 ...`), or an RFC 3164 or RFC 3339 line as sent on the wire. */
function parsePriority(
  state: ParserState,
  line: string,
  source: Source,
): Envelope | 'pending' | undefined {
  const close = line.indexOf('>');

  if (close < 2 || close > 4) {
    return undefined;
  }

  if (line.charCodeAt(close + 1) === 49 && line.charCodeAt(close + 2) === SPACE) {
    return readExim(state, parseRfc5424(state.stamps, line, close + 3, source), false);
  }

  return digitAt(line, close + 1) === -1
    ? parseClassic(state, line, close + 1, source)
    : parseDated(state, line, close + 1, source);
}

/** RFC 5424 §6: `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`; tag and
 *  pid are separate fields, `-` is the nil value. */
function parseRfc5424(
  stamps: StampReader,
  line: string,
  pos: number,
  source: Source,
): Envelope | undefined {
  if (!stamps.iso(line, pos) || line.charCodeAt(stamps.end) !== SPACE) {
    return undefined;
  }

  return parseRfc5424Fields(line, stamps.end + 1, stamps.time, source);
}

/** `HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]` from `pos`. */
function parseRfc5424Fields(
  line: string,
  pos: number,
  time: number,
  source: Source,
): Envelope | undefined {
  const fields = line.slice(pos).split(' ', 4);
  const [host = '', program = '', procId = '', messageId] = fields;

  if (messageId === undefined) {
    return undefined;
  }

  const dataStart = pos + fields.join(' ').length + 1;
  const message = messageAfterData(line, dataStart);
  const pid = /^\d{1,10}$/.test(procId) ? Number(procId) : undefined;
  return makeEnvelope(time, nil(host), nil(program), pid, message, source);
}

/**
 * RFC 5424's fields after an RFC 3339 stamp with no `<PRI>1` before it, as sysklogd 2 writes
 * its local files (`... troglobit myproc 8710 - - message`): a PROCID of digits or `-`, then a
 * MSGID and the structured data, nil or `[...]`.
 */
function parseLocal5424(
  line: string,
  pos: number,
  time: number,
  source: Source,
): Envelope | undefined {
  return LOCAL_5424.test(line.slice(pos, pos + 300))
    ? parseRfc5424Fields(line, pos, time, source)
    : undefined;
}

function messageAfterData(line: string, pos: number): string {
  const end = line.charCodeAt(pos) === 45 ? pos + 1 : structuredDataEnd(line, pos);
  // rsyslog's RFC 5424 template keeps the space a tag's colon had before the message: `- -  msg`.
  const message = line.slice(line.charCodeAt(end + 1) === SPACE ? end + 2 : end + 1);
  // RFC 5424 §6.4: a UTF-8 message may start with a byte order mark.
  return message.charCodeAt(0) === 0xfeff ? message.slice(1) : message;
}

/** SD-ELEMENTs `[id name="value" ...]...`: inside values `"`, `\` and `]` are escaped. */
function structuredDataEnd(line: string, pos: number): number {
  let p = pos;

  while (line.charCodeAt(p) === 91) {
    let inQuotes = false;

    for (p++; p < line.length; p++) {
      const code = line.charCodeAt(p);

      if (code === 92 && inQuotes) {
        p++;
      } else if (code === 34) {
        inQuotes = !inQuotes;
      } else if (code === 93 && !inQuotes) {
        p++;
        break;
      }
    }
  }

  return p;
}

function nil(field: string): string {
  return field === '-' ? '' : field;
}

/** `host tag[pid]: message` or `host tag: message`. */
function parseSyslogBody(
  line: string,
  pos: number,
  time: number,
  source: Source,
): Envelope | undefined {
  // An empty host: rsyslog writes `Mar  2 12:24:48  sshd[13985]: ...` when it has none.
  if (line.charCodeAt(pos) === SPACE) return parseTag(line, pos + 1, time, '', source);

  const hostEnd = line.indexOf(' ', pos);

  if (hostEnd <= pos) {
    return undefined;
  }

  // Some writers leave the host out: the first word is then the tag.
  const hasHost = line.charCodeAt(hostEnd - 1) !== COLON;
  const host = hasHost ? line.slice(pos, hostEnd) : '';
  const tagStart = hasHost ? skipPriorityName(line, hostEnd + 1) : pos;
  return (
    parseTag(line, tagStart, time, host, source) ?? syslogdMark(line, tagStart, time, host, source)
  );
}

/**
 * busybox syslogd writes the facility and level between host and tag (`backup mail.info
 * postfix/smtp[1085]: ...`): skipped when it is one, else `pos`.
 */
function skipPriorityName(line: string, pos: number): number {
  const end = line.indexOf(' ', pos);
  if (end === -1 || end - pos > 16 || line.charCodeAt(pos) > 122) return pos;

  return PRIORITY_NAME.test(line.slice(pos, end)) ? end + 1 : pos;
}

/** What syslogd itself writes without a tag, under the program `syslogd`: `-- MARK --` to show
 *  it is alive, `last message repeated 3 times` for copies it left out, and busybox's
 *  `syslogd started: BusyBox v1.36.1`. */
function syslogdMark(
  line: string,
  pos: number,
  time: number,
  host: string,
  source: Source,
): Envelope | undefined {
  const text = line.slice(pos);
  return text === SYSLOGD_MARK || SYSLOGD_REPEATED.test(text) || text.startsWith('syslogd ')
    ? makeEnvelope(time, host, 'syslogd', undefined, text, source)
    : undefined;
}

function parseTag(
  line: string,
  pos: number,
  time: number,
  host: string,
  source: Source,
): Envelope | undefined {
  // indexOf runs far faster than a loop over character codes; the tag holds no space.
  const colon = line.indexOf(':', pos);
  const space = line.indexOf(' ', pos);

  if (colon <= pos || (space !== -1 && space < colon)) {
    return undefined;
  }

  const hasPid = line.charCodeAt(colon - 1) === 93;
  const open = hasPid ? line.lastIndexOf('[', colon) : colon;
  const pid = hasPid ? readTagPid(line, open + 1, colon - 1) : -2;

  if (pid === -1 || open <= pos) {
    return undefined;
  }

  const start = line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1;
  const program = line.slice(pos, open);
  const message = withoutMessageId(line.slice(start));
  return makeEnvelope(time, host, program, pid < 0 ? undefined : pid, message, source);
}

/** Solaris syslog puts a message id and the priority before each message (`[ID 801593
 *  mail.info] r72DY20O010335: to=root, ...`): the message is what follows. */
function withoutMessageId(message: string): string {
  if (message.charCodeAt(0) !== 91 || !message.startsWith('[ID ')) return message;

  const id = SOLARIS_MESSAGE_ID.exec(message);
  return id === null ? message : message.slice(id[0].length);
}

/** The digits between `[` and `]` as the pid, or -1 when they are not all digits. */
function readTagPid(line: string, start: number, end: number): number {
  let pid = 0;

  for (let p = start; p < end; p++) {
    const digit = digitAt(line, p);

    if (digit === -1) {
      return -1;
    }

    pid = pid * 10 + digit;
  }

  return end > start ? pid : -1;
}

/** Exim lines that went through syslog get their inner timestamp removed and pieces joined. */
function readExim(
  state: ParserState,
  outer: Envelope | undefined,
  isYearless: boolean,
): Envelope | 'pending' | undefined {
  const isContainer = outer !== undefined && CONTAINER_TAG.test(outer.program);
  const envelope = isContainer ? unwrapForwarded(state.stamps, outer) : outer;
  if (envelope === undefined || !envelope.program.startsWith('exim')) {
    return envelope;
  }

  return state.exim.read(envelope, isYearless && envelope === outer);
}

/**
 * A container's whole syslog line sent on through another syslog or the journal (Docker's
 * `syslog` and `journald` logging drivers: `myserver 0123456789ab[668]: Jul 21 21:50:34 mail
 * postfix/smtp[4242]: ...`): the inner host, tag and message, at the outer time, as a container
 * runtime's stamp is used (see `parseStampedBody`). Only what a container driver wrote is
 * unwrapped (a tag that is a container id, a journal record with CONTAINER_ID): any other
 * program's message is its own, whatever it looks like, or log text could forge mail lines. A
 * container's output is taken as its own log, so whatever runs in it can still write lines
 * that read as mail lines (README, Limitations).
 */
function unwrapForwarded(stamps: StampReader, envelope: Envelope): Envelope {
  const message = envelope.message;
  const first = message.charCodeAt(0);
  if (!(first >= 48 && first <= 57) && !(first >= 65 && first <= 90)) return envelope;

  const body = skipInnerStamp(stamps, message, 0);
  if (body === 0 || !isSyslogHeader(message.slice(body, body + 300))) return envelope;

  return parseSyslogBody(message, body, envelope.time, envelope.source) ?? envelope;
}

function makeEnvelope(
  time: number,
  host: string,
  program: string,
  pid: number | undefined,
  message: string,
  source: Source,
): Envelope {
  return pid === undefined
    ? { time, host, program, message, source }
    : { time, host, program, pid, message, source };
}

/**
 * Container lines first, since one may end in an Exim piece, then Exim records. An unfinished
 * container line that gives no envelope (its start is no log line) goes to `onUnparsed`, so it
 * is counted; its continuation, in the next rotated file or the next run, is read on its own.
 */
function flushPieces(state: ParserState, onUnparsed?: UnparsedPiece): Envelope[] {
  const envelopes: Envelope[] = [];
  const pieces = [...state.cri.flush(), ...state.docker.flush()];

  for (const piece of pieces) {
    const envelope = parseStampedBody(state, piece.text, 0, piece.time, piece.source);

    if (typeof envelope === 'object') {
      envelopes.push(envelope);
    } else if (envelope === undefined) {
      onUnparsed?.(piece.text, piece.source);
    }
  }

  return [...envelopes, ...state.exim.flush()];
}
