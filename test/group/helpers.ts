// Reads the outcome fixtures (test/fixtures/outcomes/*) through the real reading stage, so the
// outcome and incident tests follow the events and message records the parsers really give.

import { fileURLToPath } from 'node:url';
import { NOT_CHECKED } from '../../src/model.js';
import type { Cause, DeliveryEvent, Group, MessageRecord, Status } from '../../src/model.js';
import { readEvents } from '../../src/pipeline/read-events.js';

export type FixtureItem =
  | { readonly kind: 'event'; readonly event: DeliveryEvent }
  | { readonly kind: 'record'; readonly record: MessageRecord };

const FIXTURES = new URL('../fixtures/outcomes/', import.meta.url);

/** The fixture logs are from 2026 and in UTC: year-less syslog stamps get that year and zone
 *  whatever the file's modification time and the machine's zone. */
const FIXTURE_ENVELOPE = { year: 2026, timeZone: 'UTC' } as const;

/** The events and message records of one fixture, in line order; every line must be read. */
export async function readFixture(name: string): Promise<FixtureItem[]> {
  const items: FixtureItem[] = [];
  const counts = await readEvents(
    [fileURLToPath(new URL(name, FIXTURES))],
    {
      event: (event) => items.push({ kind: 'event', event }),
      record: (record) => items.push({ kind: 'record', record }),
    },
    { envelope: FIXTURE_ENVELOPE },
  );
  if (counts.inputErrors.length > 0 || counts.linesNotUnderstood > 0) {
    throw new Error(`Fixture ${name} not fully read: ${JSON.stringify(counts)}`);
  }

  return items;
}

/** The time the last line of a fixture was written: where the log ends. */
export function fixtureEnd(items: readonly FixtureItem[]): number {
  return Math.max(...items.map((item) => (item.kind === 'event' ? item.event : item.record).time));
}

export function at(iso: string): number {
  return Date.parse(iso);
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
