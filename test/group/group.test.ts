import test from 'ava';
import fc from 'fast-check';
import { join } from 'node:path';

import { recipientKey } from '../../src/classify/domain.js';
import { createGrouper, groupKey } from '../../src/group/group.js';
import type { DeliveryEvent, Group } from '../../src/model.js';
import { readEvents } from '../../src/pipeline/read-events.js';
import { ROOT } from '../helpers/cli.js';

const FIVE_MINUTES = 300_000;
const UTC_2026 = { timeZone: 'UTC', year: 2026 };
const THREE_HOURS = 3 * 3_600_000;
const SAMPLES = ['postfix-mail.log', 'exim-mainlog', 'sendmail-mail.log'].map((name) =>
  join(ROOT, 'samples', name),
);

/** The events of the three lab samples, and the same again three hours later: windows that the
 *  grouper seals between the two runs. */
async function labEvents(): Promise<DeliveryEvent[]> {
  const events: DeliveryEvent[] = [];
  await readEvents(SAMPLES, { event: (event) => events.push(event) }, { envelope: UTC_2026 });
  const later = events.map((event) => ({ ...event, time: event.time + THREE_HOURS }));
  return [...events, ...later].sort((a, b) => a.time - b.time);
}

interface Tally {
  attempts: number;
  statuses: Group['statuses'];
  readonly messages: Set<string>;
  readonly recipients: Set<string>;
}

/** What each group must hold, counted the plain way. */
function reference(events: readonly DeliveryEvent[]): Map<string, Tally> {
  const groups = new Map<string, Tally>();
  for (const event of events) {
    if (event.status === 'sent') continue;
    const windowStart = event.time - (event.time % FIVE_MINUTES);
    const key = groupKey(event.domain, event.cause, windowStart);
    const tally = groups.get(key) ?? {
      attempts: 0,
      statuses: { sent: 0, deferred: 0, bounced: 0, expired: 0 },
      messages: new Set(),
      recipients: new Set(),
    };
    tally.attempts += 1;
    tally.statuses[event.status] += 1;
    tally.messages.add(`${event.host} ${event.queueId}`);
    tally.recipients.add(recipientKey(event.recipient));
    groups.set(key, tally);
  }

  return groups;
}

function grouped(events: readonly DeliveryEvent[]): Map<string, Group> {
  const grouper = createGrouper(FIVE_MINUTES);
  for (const event of events) grouper.add(event);
  const groups = grouper.takeGroups();
  return new Map(
    groups.map((group) => [groupKey(group.domain, group.cause, group.windowStart), group]),
  );
}

test('events in log order make one group per domain, cause and window, with exact counts', async (t) => {
  const events = await labEvents();
  const expected = reference(events);
  const groups = grouped(events);

  t.is(groups.size, expected.size);
  for (const [key, tally] of expected) {
    t.like(
      groups.get(key),
      {
        attempts: tally.attempts,
        statuses: tally.statuses,
        messages: tally.messages.size,
        recipients: tally.recipients.size,
      },
      key,
    );
  }
});

test('events in any order still make one group per key, with every attempt counted once', async (t) => {
  const events = await labEvents();
  const expected = reference(events);
  const property = fc.property(
    fc.shuffledSubarray(events, { minLength: events.length }),
    (shuffled) => {
      const groups = grouped(shuffled);
      if (groups.size !== expected.size) return false;
      for (const [key, tally] of expected) {
        const group = groups.get(key);
        if (group?.attempts !== tally.attempts) return false;
        if (JSON.stringify(group.statuses) !== JSON.stringify(tally.statuses)) return false;
      }

      return true;
    },
  );

  t.notThrows(() => fc.assert(property, { numRuns: 60 }));
});

test('the evidence counts the remote replies about our PTR record or HELO name', async (t) => {
  const events = (await labEvents()).filter((event) => event.cause === 'remote-tempfail');
  const first = events[0]!;
  const ptr = {
    ...first,
    text:
      'host mx.proseware.test[127.0.5.1] said: 450 4.7.25 Client host rejected: cannot find ' +
      'your hostname, [192.0.2.7] (in reply to RCPT TO command)',
  };
  // Host names and addresses around a reply say nothing about our names.
  const named = {
    ...first,
    text:
      'host mx1.ptr-hosting.proseware.test[127.0.5.1] said: 450 4.7.1 <ptr@proseware.test>: ' +
      'Recipient address rejected: Greylisted, see http://rdns.example/ (in reply to RCPT TO)',
  };
  const hyphened = {
    ...first,
    text: 'host mx.proseware.test[127.0.5.1] said: 550 5.7.1 Missing PTR-record for 192.0.2.7',
  };
  const grouper = createGrouper(FIVE_MINUTES);
  for (const event of [first, ptr, ptr, named, hyphened]) grouper.add(event);

  const [evidence] = grouper.evidence();

  t.like(evidence, { attempts: 5, aboutOurNames: 3 });
});

test('a group lists the syslog hosts of its events; an Exim mainlog adds none', async (t) => {
  const groups = [...grouped(await labEvents()).values()];
  const hostsOf = (mtas: string) =>
    new Set(groups.filter((group) => group.mtas.join() === mtas).flatMap((group) => group.hosts));

  t.deepEqual([...hostsOf('exim')], []);
  t.deepEqual([...hostsOf('exim,postfix')], ['mailhost']);
  t.deepEqual([...hostsOf('postfix,sendmail')], ['mailhost']);
});

test('after the period only the stretch of failures still going on is followed', (t) => {
  const at = (minutes: number) => Date.parse('2026-12-03T18:00:00Z') + minutes * 60_000;
  const failure = (minutes: number): DeliveryEvent => ({
    time: at(minutes),
    host: 'mailhost',
    mta: 'postfix',
    daemon: 'smtp',
    queueId: 'AFF09186110',
    recipient: 'j.smith@northwind.test',
    domain: 'northwind.test',
    status: 'deferred',
    text:
      'Host or domain name not found. Name service error for name=northwind.test type=MX: ' +
      'Host not found, try again',
    cause: 'dns-tempfail',
    isRepeat: false,
    source: { file: 'mail.log', line: minutes + 1 },
  });
  const sent = (minutes: number): DeliveryEvent => ({
    ...failure(minutes),
    status: 'sent',
    cause: 'other',
    text: '250 2.0.0 Ok',
  });
  const grouper = createGrouper(FIVE_MINUTES);
  grouper.add(failure(1));
  // After --until: the stretch goes on, then ends; later stretches are not the period's.
  grouper.noteLater(failure(20));
  grouper.noteLater(sent(30));
  for (let minutes = 40; minutes < 200; minutes += 10) {
    grouper.noteLater(failure(minutes));
    grouper.noteLater(sent(minutes + 5));
  }

  const northwind = grouper.lastSentByDomain().get('northwind.test');
  t.deepEqual(
    northwind?.recoveries.map((recovery) => [recovery.lastFailure, recovery.deliveredAt]),
    [[at(20), at(30)]],
  );
});
