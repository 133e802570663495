// A small reader for the outcome fixtures: just enough of the Postfix, Exim and Sendmail line
// shapes to turn test/fixtures/outcomes/* into delivery events and message records, so the
// outcome tests do not depend on the real parsers being finished.

import { readFileSync } from 'node:fs';
import { NOT_CHECKED } from '../../src/model.js';
import type {
  Cause,
  DeliveryEvent,
  Group,
  MessageDoneRecord,
  MessageExpiredRecord,
  Mta,
  Status,
} from '../../src/model.js';

export type FixtureItem =
  | { readonly kind: 'event'; readonly event: DeliveryEvent }
  | { readonly kind: 'record'; readonly record: MessageDoneRecord | MessageExpiredRecord };

export const FIXTURES = new URL('../fixtures/outcomes/', import.meta.url);

/** The fixture logs are from 2026 and in UTC (year-less syslog lines get that year). */
const YEAR = 2026;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const SYSLOG = /^(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\S+) ([\w/-]+)\[\d+\]: (.*)$/;
const EXIM = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) (\S+) (.*)$/;
const POSTFIX_DELIVERY = /^(\w+): to=<([^>]*)>, .*status=(\w+) \((.*)\)$/;
const POSTFIX_EXPIRED = /^(\w+): from=<[^>]*>, status=expired, returned to sender$/;
const POSTFIX_REMOVED = /^(\w+): removed$/;
const EXIM_LINE = /^(==|\*\*|=>) ([^\s:]+)(.*)$/;
const SENDMAIL_DELIVERY = /^(\w+): to=<([^>]*)>, .*stat=(.*)$/;
const SENDMAIL_EXPIRED = /^(\w+): \w+: sender notify: Cannot send message for/;

export function readFixture(name: string): FixtureItem[] {
  const items: FixtureItem[] = [];
  const lines = readFileSync(new URL(name, FIXTURES), 'utf8').split('\n');
  lines.forEach((line, index) => {
    const item = readLine(line, { file: name, line: index + 1 });
    if (item !== undefined) items.push(item);
  });
  return items;
}

/** The time the last line of a fixture was written: where the log ends. */
export function fixtureEnd(items: readonly FixtureItem[]): number {
  return Math.max(...items.map((item) => (item.kind === 'event' ? item.event : item.record).time));
}

export function at(iso: string): number {
  return Date.parse(iso);
}

function readLine(line: string, source: { file: string; line: number }): FixtureItem | undefined {
  const exim = EXIM.exec(line);
  if (exim !== null) {
    const [, year, month, day, hour, minute, second, id, rest] = exim as unknown as string[];
    const time = Date.UTC(+year!, +month! - 1, +day!, +hour!, +minute!, +second!);
    return readExim(id!, rest!, { time, host: '', source });
  }

  const syslog = SYSLOG.exec(line);
  if (syslog === null) return undefined;
  const [, month, day, hour, minute, second, host, program, message] =
    syslog as unknown as string[];
  const time = Date.UTC(YEAR, MONTHS.indexOf(month!), +day!, +hour!, +minute!, +second!);
  const base = { time, host: host!, source };
  if (program!.startsWith('postfix/')) return readPostfix(program!.slice(8), message!, base);
  if (program === 'sm-mta') return readSendmail(message!, base);
  return undefined;
}

interface Base {
  readonly time: number;
  readonly host: string;
  readonly source: { file: string; line: number };
}

function readPostfix(daemon: string, message: string, base: Base): FixtureItem | undefined {
  const delivery = POSTFIX_DELIVERY.exec(message);
  if (delivery !== null) {
    const [, queueId, recipient, status, text] = delivery as unknown as string[];
    return event('postfix', daemon, queueId!, recipient!, status as Status, text!, base);
  }

  const expired = POSTFIX_EXPIRED.exec(message);
  if (expired !== null) return expiredRecord('postfix', expired[1]!, message, base);
  const removed = POSTFIX_REMOVED.exec(message);
  if (removed !== null) return doneRecord('postfix', removed[1]!, base);
  return undefined;
}

function readExim(id: string, rest: string, base: Base): FixtureItem | undefined {
  if (rest === 'Completed') return doneRecord('exim', id, base);
  const line = EXIM_LINE.exec(rest);
  if (line === null) return undefined;
  const [, flag, recipient, fields] = line as unknown as string[];
  const colon = fields!.indexOf(': ');
  const text = colon < 0 ? '' : fields!.slice(colon + 2);
  const status: Status = flag === '==' ? 'deferred' : flag === '=>' ? 'sent' : 'bounced';
  const final = text.includes('retry timeout exceeded') ? 'expired' : status;
  return event('exim', 'exim', id, recipient!, final, text, base);
}

function readSendmail(message: string, base: Base): FixtureItem | undefined {
  const expired = SENDMAIL_EXPIRED.exec(message);
  if (expired !== null) return expiredRecord('sendmail', expired[1]!, message, base);
  const delivery = SENDMAIL_DELIVERY.exec(message);
  if (delivery === null) return undefined;
  const [, queueId, recipient, stat] = delivery as unknown as string[];
  const status: Status = stat!.startsWith('Sent')
    ? 'sent'
    : stat!.startsWith('Deferred') || stat === 'queued'
      ? 'deferred'
      : 'bounced';
  return event('sendmail', 'sm-mta', queueId!, recipient!, status, stat!, base);
}

function event(
  mta: Mta,
  daemon: string,
  queueId: string,
  recipient: string,
  status: Status,
  text: string,
  base: Base,
): FixtureItem {
  const repeat = /delivery temporarily suspended|retry time not reached/.test(text);
  return {
    kind: 'event',
    event: {
      ...base,
      mta,
      daemon,
      queueId,
      recipient,
      domain: recipient.slice(recipient.lastIndexOf('@') + 1).toLowerCase(),
      status,
      text,
      cause: causeOf(status, text),
      isRepeat: repeat,
    },
  };
}

/** A rough stand-in for the classifier, good for the fixture lines only. */
function causeOf(status: Status, text: string): Cause {
  if (status === 'sent') return 'other';
  if (/retry timeout exceeded/.test(text)) return 'expired';
  if (/SMTP error from remote mail server|said: 4|^Deferred: 4\d\d/.test(text)) {
    return 'remote-tempfail';
  }

  if (/try again|host lookup did not complete|^queued$/.test(text)) return 'dns-tempfail';
  if (/Host not found\)?$/.test(text)) return 'dns-notfound';
  if (/nullMX/.test(text)) return 'null-mx';
  if (/Connection refused|failing for a long time/.test(text)) return 'connection';
  return 'other';
}

function expiredRecord(mta: Mta, queueId: string, text: string, base: Base): FixtureItem {
  return { kind: 'record', record: { kind: 'message-expired', mta, queueId, text, ...base } };
}

function doneRecord(mta: Mta, queueId: string, base: Base): FixtureItem {
  return { kind: 'record', record: { kind: 'message-done', mta, queueId, ...base } };
}

/** A group as the grouper makes it; times as ISO strings, everything else defaulted. */
export function makeGroup(
  domain: string,
  cause: Cause,
  window: string,
  overrides: Partial<Omit<Group, 'domain' | 'cause' | 'windowStart'>> & { windowMs?: number } = {},
): Group {
  const { windowMs = 3_600_000, ...rest } = overrides;
  const windowStart = Date.parse(window);
  const attempts = rest.attempts ?? 3;
  const status: Status = cause === 'dns-notfound' || cause === 'null-mx' ? 'bounced' : 'deferred';
  return {
    domain,
    cause,
    windowStart,
    windowEnd: windowStart + windowMs,
    attempts,
    repeats: 0,
    messages: Math.max(1, attempts - 1),
    recipients: Math.max(1, attempts - 1),
    statuses: { sent: 0, deferred: 0, bounced: 0, expired: 0, [status]: attempts },
    firstSeen: windowStart + 60_000,
    lastSeen: windowStart + windowMs - 60_000,
    hosts: ['mailhost'],
    mtas: ['postfix'],
    examples: [],
    lookupNames: [domain],
    senderDomains: ['sender.test'],
    verdict: NOT_CHECKED,
    ...rest,
  };
}
