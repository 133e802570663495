import test from 'ava';
import { createGrouper } from '../../src/group/group.js';
import {
  buildIncidents,
  causeFamily,
  createOutcomeTally,
  type CauseFamily,
} from '../../src/group/incidents.js';
import { createOutcomeTracker } from '../../src/group/outcomes.js';
import { CAUSES, type Cause, type MessageOutcome, type Verdict } from '../../src/model.js';
import { at, fixtureEnd, makeGroup, readFixture } from './helpers.js';

const HOUR = 3_600_000;

const LOCAL_DOWN: Verdict = {
  kind: 'local-resolver',
  detail: 'down',
  checkedAt: '2026-12-03T18:40:00.000Z',
  reason: 'local resolver 127.0.0.1:53: timeout; iterative resolution from the root answers MX',
  basis: ['probes', 'breadth'],
};

const LOCAL_LEAN: Verdict = {
  kind: 'recovered',
  detail: 'local-resolver',
  checkedAt: '2026-12-03T18:40:00.000Z',
  basis: ['breadth', 'later-delivery'],
};

const NORTHWIND_DOWN: Verdict = {
  kind: 'recipient-dns',
  detail: 'unreachable',
  checkedAt: '2026-12-03T18:40:00.000Z',
  reason: 'all 2 authoritative servers time out',
};

function providerOutage(...servers: string[]): Verdict {
  return {
    kind: 'provider-outage',
    checkedAt: '2026-12-03T18:40:00.000Z',
    probes: servers.map((serverName, index) => ({
      role: 'authoritative',
      server: `127.0.4.${index + 1}:53`,
      serverName,
      question: { name: 'example.test', type: 'MX' },
      result: 'timeout',
      transport: 'udp',
      ms: 2000,
    })),
  };
}

function outcome(
  domain: string,
  cause: Cause,
  kind: MessageOutcome['outcome'],
  firstDeferred: string,
  delaySeconds = 0,
): MessageOutcome {
  const first = at(firstDeferred);
  return {
    host: 'mailhost',
    queueId: 'AFF09186110',
    recipient: `j.smith@${domain}`,
    domain,
    firstDeferred: first,
    cause,
    outcome: kind,
    at: first + delaySeconds * 1000,
    attempts: 2,
  };
}

const EXPECTED_FAMILIES: Record<Cause, CauseFamily> = {
  'dns-tempfail': 'dns',
  'dns-notfound': 'dns',
  'dns-nodata': 'dns',
  'null-mx': 'dns',
  'mx-unresolvable': 'dns',
  'remote-dns': 'dns',
  'sender-dns': 'dns',
  'remote-tempfail': 'remote',
  'remote-reject': 'remote',
  connection: 'connection',
  tls: 'tls',
  expired: 'other',
  other: 'other',
};

test('every cause belongs to one cause family', (t) => {
  for (const cause of CAUSES) t.is(causeFamily(cause), EXPECTED_FAMILIES[cause], cause);
});

test('consecutive windows of one domain and cause family make one incident', (t) => {
  const groups = [
    makeGroup('northwind.test', 'dns-tempfail', '2026-12-03T18:00:00Z', { attempts: 4 }),
    makeGroup('northwind.test', 'dns-tempfail', '2026-12-03T19:00:00Z', { attempts: 9 }),
    makeGroup('northwind.test', 'dns-nodata', '2026-12-03T19:00:00Z', { attempts: 2 }),
    makeGroup('northwind.test', 'dns-tempfail', '2026-12-03T20:00:00Z', { attempts: 5 }),
  ];
  const incidents = buildIncidents(groups, createOutcomeTally(HOUR), HOUR);

  t.is(incidents.length, 1);
  t.like(incidents[0], {
    id: '20261203T1801Z-dns-northwind.test',
    domains: ['northwind.test'],
    causeFamily: 'dns',
    causes: ['dns-tempfail', 'dns-nodata'],
    start: at('2026-12-03T18:01:00Z'),
    end: at('2026-12-03T20:59:00Z'),
    peakWindowStart: at('2026-12-03T19:00:00Z'),
    peakAttempts: 11,
    attempts: 20,
  });
});

test('a quiet hour between retries keeps the incident; a longer silence splits it', (t) => {
  const groups = [
    makeGroup('contoso.test', 'dns-tempfail', '2026-12-03T10:00:00Z'),
    makeGroup('contoso.test', 'dns-tempfail', '2026-12-03T12:00:00Z'),
    makeGroup('contoso.test', 'dns-tempfail', '2026-12-03T15:00:00Z'),
  ];
  const incidents = buildIncidents(groups, createOutcomeTally(HOUR), HOUR);

  t.deepEqual(incidents.map((incident) => new Date(incident.start).toISOString()).sort(), [
    '2026-12-03T10:01:00.000Z',
    '2026-12-03T15:01:00.000Z',
  ]);
});

test('with 15-minute windows, gaps up to a retry interval are bridged', (t) => {
  const quarter = 15 * 60_000;
  const groups = ['10:00', '11:00', '12:30'].map((time) =>
    makeGroup('contoso.test', 'dns-tempfail', `2026-12-03T${time}:00Z`, { windowMs: quarter }),
  );
  const incidents = buildIncidents(groups, createOutcomeTally(quarter), quarter);

  t.deepEqual(
    incidents.map((incident) => incident.attempts),
    [6, 3],
  );
});

test('different cause families of one domain are different incidents', (t) => {
  const groups = [
    makeGroup('proseware.test', 'remote-tempfail', '2026-12-03T18:00:00Z', { attempts: 8 }),
    makeGroup('proseware.test', 'dns-tempfail', '2026-12-03T18:00:00Z', { attempts: 2 }),
  ];
  const incidents = buildIncidents(groups, createOutcomeTally(HOUR), HOUR);

  t.deepEqual(
    incidents.map((incident) => [incident.causeFamily, incident.attempts]),
    [
      ['remote', 8],
      ['dns', 2],
    ],
  );
});

test('domains failing together through our local resolver make one incident naming them all', (t) => {
  const local = ['fourthcoffee.test', 'woodgrove.test', 'margie.test', 'proseware.test'];
  const groups = [
    ...local.map((domain, index) =>
      makeGroup(domain, 'dns-tempfail', '2026-12-03T18:30:00Z', {
        windowMs: 5 * 60_000,
        attempts: 6 - index,
        verdict: index % 2 === 0 ? LOCAL_DOWN : LOCAL_LEAN,
      }),
    ),
    makeGroup('sender.test', 'dns-tempfail', '2026-12-03T18:35:00Z', {
      windowMs: 5 * 60_000,
      attempts: 1,
      verdict: LOCAL_DOWN,
    }),
    makeGroup('northwind.test', 'dns-tempfail', '2026-12-03T18:30:00Z', {
      windowMs: 5 * 60_000,
      attempts: 12,
      verdict: NORTHWIND_DOWN,
    }),
  ];
  const incidents = buildIncidents(groups, createOutcomeTally(5 * 60_000), 5 * 60_000);

  t.is(incidents.length, 2);
  const shared = incidents.find((incident) => incident.domains.length > 1);
  t.deepEqual(shared?.domains, [...local, 'sender.test']);
  t.is(shared?.verdict, LOCAL_DOWN);
  t.is(shared?.id, '20261203T1831Z-dns-fourthcoffee.test+4');
  t.like(
    incidents.find((incident) => incident.domains[0] === 'northwind.test'),
    { verdict: NORTHWIND_DOWN, attempts: 12 },
  );
});

test('domains of one failing DNS provider merge; another provider stays apart', (t) => {
  const first = providerOutage('ns1.provider-a.test', 'ns2.provider-a.test');
  const second = providerOutage('ns1.provider-b.test');
  const groups = [
    makeGroup('alpha.test', 'dns-tempfail', '2026-12-03T18:00:00Z', { verdict: first }),
    makeGroup('beta.test', 'dns-tempfail', '2026-12-03T18:00:00Z', { verdict: first }),
    makeGroup('gamma.test', 'dns-tempfail', '2026-12-03T18:00:00Z', { verdict: second }),
  ];
  const incidents = buildIncidents(groups, createOutcomeTally(HOUR), HOUR);

  t.deepEqual(incidents.map((incident) => incident.domains).sort(), [
    ['alpha.test', 'beta.test'],
    ['gamma.test'],
  ]);
});

test('recipients that could not resolve one sender domain merge; another sender domain stays apart', (t) => {
  const senderDns: Verdict = {
    kind: 'sender-dns',
    detail: 'domain-missing',
    checkedAt: '2026-12-03T18:40:00.000Z',
  };
  const groups = [
    makeGroup('lucerne.test', 'sender-dns', '2026-12-03T18:00:00Z', {
      verdict: senderDns,
      senderDomains: ['adventure-works.test'],
    }),
    makeGroup('margie.test', 'sender-dns', '2026-12-03T18:00:00Z', {
      verdict: senderDns,
      senderDomains: ['adventure-works.test'],
    }),
    makeGroup('proseware.test', 'sender-dns', '2026-12-03T18:00:00Z', {
      verdict: { ...senderDns, detail: 'unreachable' },
      senderDomains: ['northwind.test'],
    }),
    // Mail from a healthy sender domain too: the verdict says which one failed.
    makeGroup('wingtip.test', 'sender-dns', '2026-12-03T18:00:00Z', {
      verdict: { ...senderDns, about: ['adventure-works.test'] },
      senderDomains: ['adventure-works.test', 'sender.test'],
    }),
  ];
  const incidents = buildIncidents(groups, createOutcomeTally(HOUR), HOUR);

  t.deepEqual(incidents.map((incident) => incident.domains).sort(), [
    ['lucerne.test', 'margie.test', 'wingtip.test'],
    ['proseware.test'],
  ]);
});

test('before a re-check, recipients whose servers could not resolve one sender domain merge', (t) => {
  const groups = ['lucerne.test', 'margie.test', 'proseware.test'].map((domain, index) =>
    makeGroup(domain, 'sender-dns', '2026-12-03T18:00:00Z', {
      senderDomains: [index < 2 ? 'adventure-works.test' : 'northwind.test'],
    }),
  );
  const incidents = buildIncidents(groups, createOutcomeTally(HOUR), HOUR);

  t.deepEqual(incidents.map((incident) => incident.domains).sort(), [
    ['lucerne.test', 'margie.test'],
    ['proseware.test'],
  ]);
});

test('outcomes go to the incident of the window of the first deferral, counted once', (t) => {
  const tally = createOutcomeTally(HOUR);
  tally.add(
    outcome('northwind.test', 'dns-tempfail', 'delivered-later', '2026-12-03T18:10:00Z', 60),
  );
  tally.add(
    outcome('northwind.test', 'dns-tempfail', 'delivered-later', '2026-12-03T19:10:00Z', 180),
  );
  tally.add(outcome('northwind.test', 'dns-nodata', 'bounced', '2026-12-03T19:20:00Z'));
  tally.add(outcome('northwind.test', 'remote-tempfail', 'expired', '2026-12-03T18:20:00Z'));
  tally.add(outcome('northwind.test', 'dns-tempfail', 'still-queued', '2026-12-04T09:00:00Z'));
  const groups = [
    makeGroup('northwind.test', 'dns-tempfail', '2026-12-03T18:00:00Z', { messages: 1 }),
    makeGroup('northwind.test', 'dns-tempfail', '2026-12-03T19:00:00Z', { messages: 1 }),
    makeGroup('northwind.test', 'dns-nodata', '2026-12-03T19:00:00Z', { messages: 1 }),
  ];
  const [incident] = buildIncidents(groups, tally, HOUR);

  t.deepEqual(incident?.outcomes, {
    'delivered-later': 2,
    bounced: 1,
    expired: 0,
    removed: 0,
    'still-queued': 0,
  });
  t.deepEqual(incident?.deliveryDelay, { count: 2, meanMs: 120_000, maxMs: 180_000 });
  t.is(incident?.messages, 3);
  t.deepEqual(tally.total(), {
    'delivered-later': 2,
    bounced: 1,
    expired: 1,
    removed: 0,
    'still-queued': 1,
  });
  t.deepEqual(tally.totalDelay(), { count: 2, meanMs: 120_000, maxMs: 180_000 });
});

test('an expiry group joins the incident of its domain; a lone one stands alone', (t) => {
  const groups = [
    makeGroup('northwind.test', 'dns-tempfail', '2026-12-03T18:00:00Z', { attempts: 10 }),
    makeGroup('northwind.test', 'expired', '2026-12-03T19:00:00Z', { attempts: 1 }),
    makeGroup('lucerne.test', 'expired', '2026-12-03T19:00:00Z', { attempts: 2 }),
  ];
  const incidents = buildIncidents(groups, createOutcomeTally(HOUR), HOUR);

  t.deepEqual(
    incidents.map((incident) => [incident.domains, incident.causeFamily, incident.causes]),
    [
      [['northwind.test'], 'dns', ['dns-tempfail', 'expired']],
      [['lucerne.test'], 'other', ['expired']],
    ],
  );
});

test('an expiry joins the incident where its domain failed most, not a larger shared one', (t) => {
  const window = { windowMs: 5 * 60_000 };
  const groups = [
    makeGroup('margie.test', 'connection', '2026-12-03T18:30:00Z', { ...window, attempts: 14 }),
    makeGroup('margie.test', 'dns-tempfail', '2026-12-03T18:30:00Z', {
      ...window,
      attempts: 4,
      verdict: LOCAL_DOWN,
    }),
    makeGroup('woodgrove.test', 'dns-tempfail', '2026-12-03T18:30:00Z', {
      ...window,
      attempts: 20,
      verdict: LOCAL_DOWN,
    }),
    makeGroup('margie.test', 'expired', '2026-12-03T18:35:00Z', { ...window, attempts: 2 }),
  ];
  const incidents = buildIncidents(groups, createOutcomeTally(5 * 60_000), 5 * 60_000);

  const shared = incidents.find((incident) => incident.domains.length > 1);
  const connection = incidents.find((incident) => incident.causeFamily === 'connection');
  t.deepEqual(shared?.causes, ['dns-tempfail']);
  t.deepEqual(connection?.causes, ['connection', 'expired']);
});

test('an hour-long outage comes before more messages spread thinly over the day', (t) => {
  const day = Array.from({ length: 24 }, (_, hour) =>
    makeGroup(
      'inboxia.test',
      'remote-tempfail',
      `2026-11-02T${String(hour).padStart(2, '0')}:00:00Z`,
      {
        attempts: 12,
        messages: 10,
      },
    ),
  );
  const outage = makeGroup('northwind.test', 'dns-tempfail', '2026-11-02T09:00:00Z', {
    attempts: 195,
    messages: 70,
  });
  // Each of the day's messages was followed to its delivery: 240 messages in all.
  const tally = createOutcomeTally(HOUR);
  for (const group of day) {
    const hour = new Date(group.windowStart).toISOString().slice(0, 13);
    for (let minute = 10; minute < 20; minute += 1) {
      tally.add(
        outcome('inboxia.test', 'remote-tempfail', 'delivered-later', `${hour}:${minute}:00Z`),
      );
    }
  }

  const incidents = buildIncidents([...day, outage], tally, HOUR);

  t.deepEqual(
    incidents.map((incident) => [incident.domains[0], incident.messages]),
    [
      ['northwind.test', 70],
      ['inboxia.test', 240],
    ],
  );
});

test('incidents come worst first: most messages, then most attempts', (t) => {
  const groups = [
    makeGroup('margie.test', 'connection', '2026-12-03T18:00:00Z', { attempts: 3, messages: 1 }),
    makeGroup('contoso.test', 'dns-tempfail', '2026-12-03T18:00:00Z', { attempts: 9, messages: 3 }),
    makeGroup('proseware.test', 'remote-tempfail', '2026-12-03T18:00:00Z', { messages: 3 }),
  ];
  const incidents = buildIncidents(groups, createOutcomeTally(HOUR), HOUR);

  t.deepEqual(
    incidents.map((incident) => incident.domains[0]),
    ['contoso.test', 'proseware.test', 'margie.test'],
  );
});

test('the Postfix two-day fixture makes one incident per domain and family', async (t) => {
  const items = await readFixture('postfix-two-days.log');
  const grouper = createGrouper(HOUR);
  const tally = createOutcomeTally(HOUR);
  const tracker = createOutcomeTracker((finished) => tally.add(finished));
  for (const item of items) {
    if (item.kind === 'record') {
      tracker.addRecord(item.record);
      continue;
    }

    grouper.add(item.event);
    tracker.addEvent(item.event);
  }

  tracker.finish(fixtureEnd(items));
  const incidents = buildIncidents(grouper.takeGroups(), tally, HOUR);
  const northwind = incidents.find((incident) => incident.domains[0] === 'northwind.test');
  const contoso = incidents.filter((incident) => incident.domains[0] === 'contoso.test');

  t.like(northwind, {
    start: at('2026-12-01T22:40:10Z'),
    end: at('2026-12-03T22:26:52Z'),
    messages: 1,
    outcomes: { 'delivered-later': 1, bounced: 0, expired: 0, removed: 0, 'still-queued': 0 },
    deliveryDelay: { count: 1, meanMs: 173_102_000, maxMs: 173_102_000 },
  });
  t.is(contoso.length, 1);
  t.like(contoso[0], { outcomes: { expired: 1, 'still-queued': 1 }, messages: 2 });
  t.like(
    incidents.find((incident) => incident.domains[0] === 'adventure-works.test'),
    { causes: ['dns-tempfail', 'dns-notfound'], outcomes: { bounced: 1 } },
  );
  t.true(incidents.every((incident) => !incident.domains.includes('woodgrove.test')));
});
