import test from 'ava';

import { createGrouper } from '../../src/group/group.js';
import type { Cause, DeliveryEvent } from '../../src/model.js';
import {
  describeBreadth,
  findLaterDelivery,
  findRecovery,
  readBreadth,
  type Breadth,
} from '../../src/verdict/log-evidence.js';

const shapes = test.macro((t, failing: number, delivered: number, shape: Breadth['shape']) => {
  t.is(readBreadth({ dnsTempfailDomains: failing, sentDomains: delivered }).shape, shape);
});

test('six failing domains against three delivered is wide (lab-1)', shapes, 6, 3, 'wide');
test('three failing domains against three delivered is wide', shapes, 3, 3, 'wide');
test('three failing domains against four delivered tells nothing', shapes, 3, 4, 'none');
test('two failing domains are too few to be wide', shapes, 2, 0, 'none');
test('one failing domain among forty delivered is narrow', shapes, 1, 40, 'narrow');
test('two failing domains against three delivered is narrow', shapes, 2, 3, 'narrow');
test('two failing domains against two delivered tells nothing', shapes, 2, 2, 'none');
test('a window with only deliveries tells nothing', shapes, 0, 12, 'none');

test('a window missing from the log tells nothing', (t) => {
  t.deepEqual(readBreadth(undefined), { shape: 'none', failing: 0, delivered: 0 });
});

test('the breadth reads as a sentence with singulars and plurals', (t) => {
  t.is(
    describeBreadth({ shape: 'wide', failing: 6, delivered: 3 }),
    'in that window 6 domains had dns-tempfail failures and 3 domains had mail delivered',
  );
  t.is(
    describeBreadth({ shape: 'none', failing: 1, delivered: 1 }),
    'in that window 1 domain had dns-tempfail failures and 1 domain had mail delivered',
  );
});

test('a delivery after the last failure is a later delivery, one before or at it is not', (t) => {
  const grouper = createGrouper(HOUR);
  [deferred('fourthcoffee.test', 1_000), sent('fourthcoffee.test', 2_000)].forEach(grouper.add);
  const deliveries = grouper.lastSentByDomain();

  t.is(findLaterDelivery(deliveries, 'fourthcoffee.test', 1_000), 2_000);
  t.is(findLaterDelivery(deliveries, 'fourthcoffee.test', 2_000), undefined);
  t.is(findLaterDelivery(deliveries, 'northwind.test', 0), undefined);
});

test('the later delivery is the first after the last failure, not the last in the log', (t) => {
  const grouper = createGrouper(HOUR);
  const events = [
    sent('sender.test', AT_18_32_54),
    deferred('sender.test', AT_18_34_05),
    deferred('sender.test', AT_18_34_16),
    sent('sender.test', AT_18_34_35),
    sent('sender.test', AT_18_36_10),
  ];
  events.forEach(grouper.add);

  t.is(findLaterDelivery(grouper.lastSentByDomain(), 'sender.test', AT_18_34_16), AT_18_34_35);
});

test('an attempt that got past DNS and failed on ends the failures, but is no delivery', (t) => {
  const grouper = createGrouper(HOUR);
  const events = [
    deferred('margie.test', AT_18_34_16),
    deferred(
      'margie.test',
      AT_18_34_35,
      'connection',
      'connect to mail.margie.test[127.226.212.30]:25: Connection refused',
    ),
    expired('margie.test', AT_18_35_50),
  ];
  events.forEach(grouper.add);
  const deliveries = grouper.lastSentByDomain();

  t.deepEqual(findRecovery(deliveries, 'margie.test', AT_18_34_16), {
    lastFailure: AT_18_34_16,
    pastDnsAt: AT_18_34_35,
    pastDnsBy: 'connection',
    deliveredAt: undefined,
  });
  t.is(findLaterDelivery(deliveries, 'margie.test', AT_18_34_16), undefined);
});

test('a domain still failing at the end has no recovery, nor one from an earlier stretch', (t) => {
  const grouper = createGrouper(HOUR);
  const events = [
    deferred('northwind.test', AT_18_32_52),
    sent('northwind.test', AT_18_34_35),
    deferred('northwind.test', AT_18_36_10),
  ];
  events.forEach(grouper.add);
  const deliveries = grouper.lastSentByDomain();

  t.is(findRecovery(deliveries, 'northwind.test', AT_18_36_10), undefined);
  t.is(findRecovery(deliveries, 'northwind.test', AT_18_32_52)?.pastDnsAt, AT_18_34_35);
});

test("only a domain's latest eight stretches are kept; older ones claim no recovery", (t) => {
  const grouper = createGrouper(HOUR);
  for (let stretch = 0; stretch < 9; stretch += 1) {
    grouper.add(deferred('flaky.test', AT_18_32_52 + stretch * 10_000));
    grouper.add(sent('flaky.test', AT_18_32_52 + stretch * 10_000 + 5_000));
  }
  const deliveries = grouper.lastSentByDomain();

  t.is(findLaterDelivery(deliveries, 'flaky.test', AT_18_32_52), undefined);
  t.is(findLaterDelivery(deliveries, 'flaky.test', AT_18_32_52 + 10_000), AT_18_32_52 + 15_000);
});

const HOUR = 3_600_000;
const AT_18_32_52 = Date.UTC(2026, 11, 3, 18, 32, 52);
const AT_18_32_54 = Date.UTC(2026, 11, 3, 18, 32, 54);
const AT_18_34_05 = Date.UTC(2026, 11, 3, 18, 34, 5);
const AT_18_34_16 = Date.UTC(2026, 11, 3, 18, 34, 16);
const AT_18_34_35 = Date.UTC(2026, 11, 3, 18, 34, 35);
const AT_18_35_50 = Date.UTC(2026, 11, 3, 18, 35, 50);
const AT_18_36_10 = Date.UTC(2026, 11, 3, 18, 36, 10);

/** A Postfix smtp delivery line of the lab-1 log, as the parser makes it an event. */
function event(domain: string, time: number, fields: Partial<DeliveryEvent>): DeliveryEvent {
  return {
    time,
    host: 'mailhost',
    mta: 'postfix',
    daemon: 'smtp',
    queueId: `Q${time}`,
    recipient: `labuser@${domain}`,
    domain,
    sender: 'labuser@sender.test',
    senderDomain: 'sender.test',
    status: 'sent',
    cause: 'other',
    isRepeat: false,
    text: '250 2.0.0 Ok: queued as 4B1C2186111',
    source: { file: 'postfix-mail.log', line: 1 },
    ...fields,
  };
}

function sent(domain: string, time: number): DeliveryEvent {
  return event(domain, time, {
    status: 'sent',
    dsn: '2.0.0',
    relay: `mail.${domain}[127.226.212.30]:25`,
  });
}

function deferred(
  domain: string,
  time: number,
  cause: Cause = 'dns-tempfail',
  text = 'Host or domain name not found. ' +
    `Name service error for name=${domain} type=MX: Host not found, try again`,
): DeliveryEvent {
  return event(domain, time, { status: 'deferred', dsn: '4.4.3', cause, text, relay: 'none' });
}

function expired(domain: string, time: number): DeliveryEvent {
  return event(domain, time, {
    status: 'expired',
    cause: 'expired',
    daemon: 'qmgr',
    text: 'message expired',
  });
}
