import test from 'ava';

import type { DomainDiagnosis } from '../../src/dns/types.js';
import type { DomainDeliveries } from '../../src/group/group.js';
import type { Cause } from '../../src/model.js';
import {
  decideVerdicts,
  domainsToCheck,
  type GroupEvidence,
  type LogContext,
} from '../../src/verdict/decide.js';
import {
  CHECKED_AT,
  healthyDiagnosis,
  resolverCheck,
  resolverView,
  withNameServers,
} from './diagnoses.js';

// The lab-1 capture: 2026-12-03, one 1-hour window from 18:00 UTC.
const WINDOW = Date.UTC(2026, 11, 3, 18);
const HOUR = 3_600_000;
const AT_18_34_16 = Date.UTC(2026, 11, 3, 18, 34, 16);
const AT_18_34_35 = Date.UTC(2026, 11, 3, 18, 34, 35);
const AT_18_35_50 = Date.UTC(2026, 11, 3, 18, 35, 50);
const AT_18_36_10 = Date.UTC(2026, 11, 3, 18, 36, 10);

/** A stretch of DNS failures that ended with an attempt that got past DNS. */
function recoveredAt(
  lastFailure: number,
  pastDnsAt: number,
  pastDnsBy: Cause | 'sent' = 'sent',
): DomainDeliveries {
  const deliveredAt = pastDnsBy === 'sent' ? pastDnsAt : undefined;
  const recoveries = [{ lastFailure, pastDnsAt, pastDnsBy, deliveredAt }];

  return { recoveries, forgottenUpTo: -Infinity, pendingFailure: undefined };
}

function stillFailing(lastFailure: number): DomainDeliveries {
  return { recoveries: [], forgottenUpTo: -Infinity, pendingFailure: lastFailure };
}

/**
 * The lab-1 postfix log: our resolver failed from 18:33:46 to 18:34:16 and five domains got
 * past DNS at 18:34:35 (margie.test and proseware.test only to fail further on); northwind
 * (until 18:36:10) and contoso (until 18:35:50) failed before, during and after, and expired.
 */
const LAB_1_LOG: LogContext = {
  windows: new Map([[WINDOW, { dnsTempfailDomains: 7, sentDomains: 3 }]]),
  lastSentByDomain: new Map([
    ['fourthcoffee.test', recoveredAt(AT_18_34_16, AT_18_34_35)],
    ['woodgrove.test', recoveredAt(AT_18_34_16, AT_18_34_35)],
    ['sender.test', recoveredAt(AT_18_34_16, AT_18_34_35)],
    ['margie.test', recoveredAt(AT_18_34_16, AT_18_34_35, 'connection')],
    ['proseware.test', recoveredAt(AT_18_34_16, AT_18_34_35, 'remote-tempfail')],
    ['northwind.test', stillFailing(AT_18_36_10)],
    ['contoso.test', stillFailing(AT_18_35_50)],
  ]),
};

/** The lab-1 window's dns-tempfail groups, each with its last failure. */
const LAB_1_TEMPFAILS: readonly [string, number][] = [
  ['fourthcoffee.test', AT_18_34_16],
  ['woodgrove.test', AT_18_34_16],
  ['sender.test', AT_18_34_16],
  ['margie.test', AT_18_34_16],
  ['proseware.test', AT_18_34_16],
  ['northwind.test', AT_18_36_10],
  ['contoso.test', AT_18_35_50],
];

/** A busy hour: one domain failed while forty got mail. */
const NARROW_LOG: LogContext = {
  windows: new Map([[WINDOW, { dnsTempfailDomains: 1, sentDomains: 40 }]]),
  lastSentByDomain: new Map(),
};

const NO_LOG: LogContext = { windows: new Map(), lastSentByDomain: new Map() };

function group(domain: string, cause: Cause, extra: Partial<GroupEvidence> = {}): GroupEvidence {
  return {
    key: `${domain} ${cause} ${WINDOW}`,
    domain,
    cause,
    windowStart: WINDOW,
    windowEnd: WINDOW + HOUR,
    lastSeen: AT_18_34_16,
    senderDomains: ['sender.test'],
    lookupNames: [domain],
    examples: [],
    attempts: 3,
    aboutOurNames: 0,
    ...extra,
  };
}

function diagnoses(...list: DomainDiagnosis[]): Map<string, DomainDiagnosis> {
  return new Map(list.map((diagnosis) => [diagnosis.domain, diagnosis]));
}

function decideOne(evidence: GroupEvidence, log: LogContext, known: Map<string, DomainDiagnosis>) {
  const verdict = decideVerdicts([evidence], log, known).get(evidence.key);
  if (verdict === undefined) throw new Error(`No verdict for ${evidence.key}`);

  return verdict;
}

function unreachable(domain: string, nameServers: readonly [string, string][]): DomainDiagnosis {
  const diagnosis = withNameServers(
    healthyDiagnosis(domain),
    nameServers.map(([name, address]) => ({ name, address, result: 'timeout' as const })),
  );
  diagnosis.local = resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'servfail')]);
  return diagnosis;
}

test('only DNS groups are checked: sender domains for sender-dns, recipients otherwise', (t) => {
  const groups = [
    group('northwind.test', 'dns-tempfail'),
    group('proseware.test', 'remote-tempfail'),
    group('margie.test', 'connection'),
    group('relay.test', 'remote-dns'),
    group('strict.test', 'sender-dns', { senderDomains: ['sender.test', 'alt.sender.test'] }),
    group('northwind.test', 'dns-tempfail', { key: 'second window' }),
    group('wingtip.test', 'null-mx'),
  ];

  t.deepEqual(domainsToCheck(groups), [
    'northwind.test',
    'relay.test',
    'sender.test',
    'alt.sender.test',
    'wingtip.test',
  ]);
});

test('recipient and sender domains that are no host names are left out of the re-check', (t) => {
  const groups = [
    group('<script>.example', 'dns-tempfail'),
    group('postmaster', 'dns-notfound'),
    group('x\x1b[2J.example', 'remote-dns'),
    group('northwind.test', 'dns-tempfail'),
    group('strict.test', 'sender-dns', { senderDomains: ['192.0.2.1', 'sender.test'] }),
  ];

  t.deepEqual(domainsToCheck(groups), ['northwind.test', 'sender.test']);
});

test('a group whose domain is no host name is inconclusive, its name made harmless', (t) => {
  const groups = [
    group('<script>.example', 'dns-tempfail'),
    group('postmaster', 'dns-notfound'),
    group('x\x1b]0;owned\x07\x1b[2J.example', 'remote-dns'),
  ];
  const verdicts = decideVerdicts(groups, LAB_1_LOG, new Map());

  t.deepEqual(
    [...verdicts.values()].map((verdict) => [verdict.kind, verdict.detail, verdict.reason]),
    [
      [
        'inconclusive',
        'invalid-name',
        'recipient domain "<script>.example" is not a valid domain name: no DNS re-check',
      ],
      [
        'inconclusive',
        'invalid-name',
        'recipient domain "postmaster" is not a valid domain name: no DNS re-check',
      ],
      [
        'inconclusive',
        'invalid-name',
        'recipient domain "x\\u001b]0;owned\\u0007\\u001b[2J.example" is not a valid domain name: no DNS re-check',
      ],
    ],
  );
});

test('a sender-dns group with no valid sender domain is inconclusive', (t) => {
  const evidence = group('strict.test', 'sender-dns', {
    senderDomains: ['localhost', 'bad\x1b[31m.example'],
  });
  const verdict = decideOne(evidence, LAB_1_LOG, new Map());

  t.is(verdict.kind, 'inconclusive');
  t.is(verdict.detail, 'invalid-name');
  t.is(
    verdict.reason,
    'sender domains "localhost", "bad\\u001b[31m.example" are not valid domain names: no DNS re-check',
  );
});

test('a sender-dns group is judged by its valid sender domains alone', (t) => {
  const evidence = group('strict.test', 'sender-dns', {
    senderDomains: ['<bad>', 'sender.test'],
  });
  const verdict = decideOne(evidence, LAB_1_LOG, diagnoses(healthyDiagnosis('sender.test')));

  t.is(verdict.kind, 'recovered');
  t.is(verdict.detail, 'sender-dns');
});

test('with the re-check switched off every group is not checked', (t) => {
  const groups = [
    group('northwind.test', 'dns-tempfail'),
    group('proseware.test', 'remote-tempfail'),
  ];
  const verdicts = decideVerdicts(groups, LAB_1_LOG, undefined);

  t.deepEqual(
    [...verdicts.values()].map((verdict) => verdict.kind),
    ['not-checked', 'not-checked'],
  );
  t.regex(verdicts.get(groups[0]?.key ?? '')?.reason ?? '', /--offline/);
});

test('a remote 4xx deferral is remote policy, without probes', (t) => {
  const verdict = decideOne(group('proseware.test', 'remote-tempfail'), LAB_1_LOG, new Map());

  t.is(verdict.kind, 'remote-policy');
  t.is(verdict.probes, undefined);
  t.is(verdict.basis, undefined);
  t.is(verdict.checkedAt, undefined);
});

test('a remote deferral or rejection about our PTR record or HELO name says it is our DNS', (t) => {
  const ptr =
    'host mx.example.net[192.0.2.9] said: 450 4.7.25 Client host rejected: cannot find your ' +
    'hostname, [198.51.100.7] (in reply to RCPT TO command)';
  const helo =
    'host mx.example.net[192.0.2.9] said: 550 5.7.1 <mail.sender.test>: Helo command rejected: ' +
    'Host not found (in reply to RCPT TO command)';

  const deferred = decideOne(
    group('example.net', 'remote-tempfail', { examples: [ptr], aboutOurNames: 3 }),
    LAB_1_LOG,
    new Map(),
  );
  const rejected = decideOne(
    group('example.net', 'remote-reject', { examples: [helo], aboutOurNames: 1 }),
    LAB_1_LOG,
    new Map(),
  );

  t.is(deferred.kind, 'remote-policy');
  t.regex(deferred.reason ?? '', /holds our own DNS against us, not the recipient's/);
  t.regex(deferred.reason ?? '', /its replies are about our sending address/);
  t.is(rejected.kind, 'not-checked');
  t.regex(rejected.reason ?? '', /1 of 3 replies are about our sending address \(no PTR record/);
});

test('a group whose cause is not DNS is not checked, and says why', (t) => {
  const verdict = decideOne(group('margie.test', 'connection'), LAB_1_LOG, new Map());

  t.is(verdict.kind, 'not-checked');
  t.is(verdict.reason, 'no DNS re-check for cause connection');
});

test('a DNS group whose domain has no diagnosis is not checked', (t) => {
  const verdict = decideOne(group('northwind.test', 'dns-tempfail'), LAB_1_LOG, new Map());

  t.is(verdict.kind, 'not-checked');
  t.is(verdict.reason, 'northwind.test was not re-checked');
});

/** Every lab-1 dns-tempfail group decided together, all of its domains answering now. */
function decideLab1(): Map<string, ReturnType<typeof decideOne>> {
  const groups = LAB_1_TEMPFAILS.map(([domain, lastSeen]) =>
    group(domain, 'dns-tempfail', { lastSeen }),
  );
  const known = diagnoses(...LAB_1_TEMPFAILS.map(([domain]) => healthyDiagnosis(domain)));
  const verdicts = decideVerdicts(groups, LAB_1_LOG, known);

  return new Map(groups.map((evidence) => [evidence.domain, verdicts.get(evidence.key)!]));
}

test('a domain that failed in a wide window and answers now recovered, leaning to our resolver', (t) => {
  const verdict = decideLab1().get('fourthcoffee.test');

  t.is(verdict?.kind, 'recovered');
  t.is(verdict?.detail, 'local-resolver');
  t.deepEqual(verdict?.basis, ['probes', 'breadth', 'later-delivery']);
  t.is(verdict?.checkedAt, CHECKED_AT);
  t.is(verdict?.probes?.length, 1);
  t.true(
    verdict?.reason?.includes(
      '7 domains had dns-tempfail failures and 3 domains had mail delivered',
    ),
  );
  t.true(
    verdict?.reason?.includes(
      '5 of the failing domains got past DNS again by 2026-12-03T18:34:35Z',
    ),
  );
  t.true(verdict?.reason?.includes('delivered at 2026-12-03T18:34:35Z'));
});

test('a domain that failed on after --until, after the others got through, leans to them', (t) => {
  // The period ended at 18:34:32; the log shows woodgrove failing on until 19:50 and delivered
  // at 20:00, long after the others got through (18:34:35).
  const at19_50 = Date.UTC(2026, 11, 3, 19, 50);
  const lastSentByDomain = new Map([
    ...LAB_1_LOG.lastSentByDomain,
    ['woodgrove.test', recoveredAt(at19_50, Date.UTC(2026, 11, 3, 20))],
  ]);
  const groups = LAB_1_TEMPFAILS.map(([domain, lastSeen]) =>
    group(domain, 'dns-tempfail', { lastSeen }),
  );
  const known = diagnoses(...LAB_1_TEMPFAILS.map(([domain]) => healthyDiagnosis(domain)));
  const woodgrove = groups.find((evidence) => evidence.domain === 'woodgrove.test')!;
  const until = Date.UTC(2026, 11, 3, 18, 34, 32);

  const cut = decideVerdicts(groups, { ...LAB_1_LOG, lastSentByDomain, until }, known);
  // Without --until, failures in later windows are those windows' own: a stretch of failures
  // may join two outages that no attempt came between.
  const whole = decideVerdicts(groups, { ...LAB_1_LOG, lastSentByDomain }, known);

  const verdict = cut.get(woodgrove.key);
  t.deepEqual([verdict?.kind, verdict?.detail], ['recovered', 'recipient-dns']);
  t.regex(verdict?.reason ?? '', /went on failing until 2026-12-03T19:50:00Z/);
  t.is(whole.get(woodgrove.key)?.detail, 'local-resolver');
});

test('a domain whose next attempt got past DNS and failed on still leans to our resolver', (t) => {
  const verdict = decideLab1().get('margie.test');

  t.deepEqual([verdict?.kind, verdict?.detail], ['recovered', 'local-resolver']);
  t.deepEqual(verdict?.basis, ['probes', 'breadth']);
  t.true(
    verdict?.reason?.includes(
      'the next attempt to margie.test, at 2026-12-03T18:34:35Z, got past DNS (connection)',
    ),
  );
});

test('a domain failing before, during and after the outage does not lean to our resolver', (t) => {
  const verdicts = decideLab1();
  const northwind = verdicts.get('northwind.test');
  const contoso = verdicts.get('contoso.test');

  t.deepEqual([northwind?.kind, northwind?.detail], ['recovered', 'recipient-dns']);
  t.deepEqual(northwind?.basis, ['probes', 'breadth']);
  t.true(
    northwind?.reason?.includes(
      'northwind.test went on failing until 2026-12-03T18:36:10Z, ' +
        "after the others' look-ups worked again (by 2026-12-03T18:34:35Z)",
    ),
  );
  t.false(northwind?.reason?.includes('delivered at'));
  t.deepEqual([contoso?.kind, contoso?.detail], ['recovered', 'recipient-dns']);
});

test('a domain that never got through claims no lean, though it did not outlast others', (t) => {
  const evidence = group('northwind.test', 'dns-tempfail', { lastSeen: AT_18_34_16 });
  const log: LogContext = {
    ...LAB_1_LOG,
    lastSentByDomain: new Map([
      ...LAB_1_LOG.lastSentByDomain,
      ['northwind.test', stillFailing(AT_18_34_16)],
    ]),
  };
  const others = LAB_1_TEMPFAILS.slice(0, 5).map(([domain, lastSeen]) =>
    group(domain, 'dns-tempfail', { lastSeen }),
  );
  const known = diagnoses(healthyDiagnosis('northwind.test'));
  const verdict = decideVerdicts([evidence, ...others], log, known).get(evidence.key);

  t.is(verdict?.kind, 'recovered');
  t.is(verdict?.detail, undefined);
  t.true(verdict?.reason?.includes('but no later attempt to northwind.test got past DNS'));
});

test('a wide window where too few of the failing domains got through again claims no lean', (t) => {
  const groups = LAB_1_TEMPFAILS.slice(0, 2).map(([domain, lastSeen]) =>
    group(domain, 'dns-tempfail', { lastSeen }),
  );
  const known = diagnoses(
    healthyDiagnosis('fourthcoffee.test'),
    healthyDiagnosis('woodgrove.test'),
  );
  const verdict = decideVerdicts(groups, LAB_1_LOG, known).get(groups[0]?.key ?? '');

  t.is(verdict?.detail, undefined);
  t.true(verdict?.reason?.includes('but only 2 of the failing domains got past DNS again later'));
});

test('a domain that failed alone in a busy window and answers now leans to the recipient', (t) => {
  const verdict = decideOne(
    group('tailwind.test', 'dns-tempfail'),
    NARROW_LOG,
    diagnoses(healthyDiagnosis('tailwind.test')),
  );

  t.is(verdict.kind, 'recovered');
  t.is(verdict.detail, 'recipient-dns');
  t.deepEqual(verdict.basis, ['probes', 'breadth']);
});

test('a recovered domain with no telling window claims no lean', (t) => {
  const verdict = decideOne(
    group('quiet.test', 'dns-tempfail'),
    NO_LOG,
    diagnoses(healthyDiagnosis('quiet.test')),
  );

  t.is(verdict.kind, 'recovered');
  t.is(verdict.detail, undefined);
  t.deepEqual(verdict.basis, ['probes']);
  t.true(verdict.reason?.includes('the log does not tell whose DNS failed'));
});

test('a delivery before the last failure is not a later delivery', (t) => {
  const log: LogContext = {
    windows: new Map(),
    lastSentByDomain: new Map([['quiet.test', recoveredAt(AT_18_34_16 - 2, AT_18_34_16 - 1)]]),
  };
  const verdict = decideOne(
    group('quiet.test', 'dns-tempfail'),
    log,
    diagnoses(healthyDiagnosis('quiet.test')),
  );

  t.deepEqual(verdict.basis, ['probes']);
});

test('a bounce for a domain that exists now recovered, leaning to what the log said', (t) => {
  const verdict = decideOne(
    group('reborn.test', 'dns-notfound'),
    LAB_1_LOG,
    diagnoses(healthyDiagnosis('reborn.test')),
  );

  t.is(verdict.kind, 'recovered');
  t.is(verdict.detail, 'domain-missing');
});

test('our resolver failing now in a wide window rests on probes and breadth', (t) => {
  const diagnosis = healthyDiagnosis('woodgrove.test');
  diagnosis.local = resolverView('/etc/resolv.conf', [
    resolverCheck('127.0.0.1:53', 'unreachable'),
  ]);
  const verdict = decideOne(
    group('woodgrove.test', 'dns-tempfail'),
    LAB_1_LOG,
    diagnoses(diagnosis),
  );

  t.is(verdict.kind, 'local-resolver');
  t.is(verdict.detail, 'down');
  t.deepEqual(verdict.basis, ['probes', 'breadth']);
});

test('a recipient outage claims the breadth only when the window agrees', (t) => {
  const known = diagnoses(unreachable('northwind.test', [['ns1.northwind.test', '127.0.9.21']]));
  const narrow = decideOne(group('northwind.test', 'dns-tempfail'), NARROW_LOG, known);
  const wide = decideOne(group('northwind.test', 'dns-tempfail'), LAB_1_LOG, known);

  t.is(narrow.kind, 'recipient-dns');
  t.is(narrow.detail, 'unreachable');
  t.deepEqual(narrow.basis, ['probes', 'breadth']);
  t.is(wide.kind, 'recipient-dns');
  t.deepEqual(wide.basis, ['probes']);
});

test('two domains whose shared name servers fail are a provider outage', (t) => {
  const shared: [string, string][] = [
    ['ns1.humongous.test', '127.0.9.31'],
    ['ns2.humongous.test', '127.0.9.32'],
  ];
  const known = diagnoses(
    unreachable('adatum.test', shared),
    unreachable('treyresearch.test', shared),
    unreachable('northwind.test', [['ns1.northwind.test', '127.0.9.21']]),
  );
  const groups = ['adatum.test', 'treyresearch.test', 'northwind.test'].map((domain) =>
    group(domain, 'dns-tempfail'),
  );
  const verdicts = [...decideVerdicts(groups, LAB_1_LOG, known).values()];

  t.deepEqual(
    verdicts.map((verdict) => [verdict.kind, verdict.detail]),
    [
      ['provider-outage', 'unreachable'],
      ['provider-outage', 'unreachable'],
      ['recipient-dns', 'unreachable'],
    ],
  );
  t.deepEqual(verdicts[0]?.basis, ['probes', 'shared-ns']);
  t.true(verdicts[0]?.reason?.includes('adatum.test, treyresearch.test'));
  t.true(verdicts[0]?.reason?.includes('ns1.humongous.test, ns2.humongous.test'));
});

test('a relay failing to look up a domain that resolves here is the relay resolver', (t) => {
  const verdict = decideOne(
    group('woodgrove.test', 'remote-dns'),
    LAB_1_LOG,
    diagnoses(healthyDiagnosis('woodgrove.test')),
  );

  t.is(verdict.kind, 'relay-resolver');
  t.deepEqual(verdict.basis, ['probes']);
});

test('a relay failure is the relay resolver even when our own resolver fails too', (t) => {
  const diagnosis = healthyDiagnosis('woodgrove.test');
  diagnosis.local = resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'servfail')]);
  const verdict = decideOne(group('woodgrove.test', 'remote-dns'), LAB_1_LOG, diagnoses(diagnosis));

  t.is(verdict.kind, 'relay-resolver');
  t.true(verdict.reason?.includes('our own resolver fails too'));
});

test('a relay failure for a domain whose servers fail is the recipient DNS', (t) => {
  const verdict = decideOne(
    group('northwind.test', 'remote-dns'),
    LAB_1_LOG,
    diagnoses(unreachable('northwind.test', [['ns1.northwind.test', '127.0.9.21']])),
  );

  t.is(verdict.kind, 'recipient-dns');
  t.is(verdict.detail, 'unreachable');
});

test('a sender domain that fails now gives a sender-dns verdict with the fault', (t) => {
  const evidence = group('strict.test', 'sender-dns', { senderDomains: ['sender.test'] });
  const known = diagnoses(unreachable('sender.test', [['ns1.sender.test', '127.0.9.4']]));
  const verdict = decideOne(evidence, LAB_1_LOG, known);

  t.is(verdict.kind, 'sender-dns');
  t.is(verdict.detail, 'unreachable');
  t.true(verdict.reason?.startsWith('sender domain sender.test: '));
});

test('a sender-dns verdict is about the sender domains that fail, each named, not the healthy ones', (t) => {
  const evidence = group('strict.test', 'sender-dns', {
    senderDomains: ['alt.sender.test', 'other.test', 'sender.test'],
  });
  const known = diagnoses(
    unreachable('alt.sender.test', [['ns1.alt.sender.test', '127.0.9.5']]),
    healthyDiagnosis('other.test'),
    unreachable('sender.test', [['ns1.sender.test', '127.0.9.4']]),
  );
  const verdict = decideOne(evidence, LAB_1_LOG, known);

  t.is(verdict.kind, 'sender-dns');
  t.deepEqual(verdict.about, ['alt.sender.test', 'sender.test']);
  t.regex(
    verdict.reason ?? '',
    /^sender domain alt\.sender\.test: .*; sender domain sender\.test: /,
  );
  t.notRegex(verdict.reason ?? '', /other\.test/);
});

test('a sender domain that answers now recovered, leaning to sender-dns', (t) => {
  const evidence = group('strict.test', 'sender-dns', { senderDomains: ['sender.test'] });
  const verdict = decideOne(evidence, LAB_1_LOG, diagnoses(healthyDiagnosis('sender.test')));

  t.is(verdict.kind, 'recovered');
  t.is(verdict.detail, 'sender-dns');
});

test('a sender-dns group without a sender domain is inconclusive', (t) => {
  const evidence = group('strict.test', 'sender-dns', { senderDomains: [] });
  const verdict = decideOne(evidence, LAB_1_LOG, new Map());

  t.is(verdict.kind, 'inconclusive');
  t.is(verdict.detail, 'no-sender-domain');
});

test('an unfinished re-check is inconclusive with its reason, never a guess', (t) => {
  const budget = {
    ...healthyDiagnosis('late.test'),
    incomplete: 'budget' as const,
    incompleteReason: 'the re-check budget of 100 ms ran out before this domain was finished',
  };
  const offline = {
    ...healthyDiagnosis('cut.test'),
    incomplete: 'no-network' as const,
    incompleteReason: 'no DNS server could be reached within 1000 ms',
  };
  const known = diagnoses(budget, offline);
  const verdicts = decideVerdicts(
    [group('late.test', 'dns-tempfail'), group('cut.test', 'dns-tempfail')],
    LAB_1_LOG,
    known,
  );

  t.deepEqual(
    [...verdicts.values()].map((verdict) => [verdict.kind, verdict.detail, verdict.reason]),
    [
      ['inconclusive', 'budget', budget.incompleteReason],
      ['inconclusive', 'no-network', offline.incompleteReason],
    ],
  );
});

/** A domain no query was made for: the shape diagnose gives it, with no `checkedAt`. */
function notAsked(
  domain: string,
  incomplete: 'budget' | 'no-budget',
  incompleteReason: string,
): DomainDiagnosis {
  const { checkedAt: _checkedAt, ...diagnosis } = healthyDiagnosis(domain);

  return { ...diagnosis, probes: [], incomplete, incompleteReason };
}

test('a budget of 0 makes every group not checked, with no check claimed', (t) => {
  const reason = 'the re-check budget is 0 ms: no DNS query was made';
  const known = diagnoses(
    notAsked('northwind.test', 'no-budget', reason),
    notAsked('sender.test', 'no-budget', reason),
  );
  const verdicts = decideVerdicts(
    [group('northwind.test', 'dns-tempfail'), group('northwind.test', 'sender-dns')],
    LAB_1_LOG,
    known,
  );

  t.deepEqual(
    [...verdicts.values()],
    [
      { kind: 'not-checked', reason },
      { kind: 'not-checked', reason: `sender domain sender.test: ${reason}` },
    ],
  );
});

test('a domain the budget ran out before is inconclusive without a check time', (t) => {
  const reason = 'the re-check budget of 100 ms ran out before this domain was started';
  const verdict = decideOne(
    group('late.test', 'dns-tempfail'),
    LAB_1_LOG,
    diagnoses(notAsked('late.test', 'budget', reason)),
  );

  t.deepEqual(verdict, { kind: 'inconclusive', detail: 'budget', reason });
});

test('a provider silent now relabels tempfail groups; proven bounces keep their cause', (t) => {
  const provider: [string, string][] = [['ns1.provider.test', '127.0.9.3']];
  const silent = ['fourthcoffee.test', 'woodgrove.test', 'wingtip.test', 'litware.test'];
  const groups = [
    ...LAB_1_TEMPFAILS.map(([domain, lastSeen]) => group(domain, 'dns-tempfail', { lastSeen })),
    group('wingtip.test', 'null-mx', { lastSeen: Date.UTC(2026, 11, 3, 18, 33, 2) }),
    group('litware.test', 'mx-unresolvable', { lastSeen: Date.UTC(2026, 11, 3, 18, 33, 3) }),
  ];
  const known = diagnoses(
    ...LAB_1_TEMPFAILS.map(([domain]) => healthyDiagnosis(domain)).filter(
      (diagnosis) => !silent.includes(diagnosis.domain),
    ),
    ...silent.map((domain) => unreachable(domain, provider)),
  );
  const verdicts = decideVerdicts(groups, LAB_1_LOG, known);
  const [fourthcoffee, wingtip, litware] = [groups[0], groups[7], groups[8]].map((evidence) =>
    verdicts.get(evidence?.key ?? ''),
  );

  t.deepEqual([fourthcoffee?.kind, fourthcoffee?.detail], ['provider-outage', 'unreachable']);
  t.deepEqual(fourthcoffee?.basis, ['probes', 'shared-ns', 'breadth']);
  t.regex(fourthcoffee?.reason ?? '', /; when the mail failed, the log suggests our resolver: /);
  t.deepEqual([wingtip?.kind, wingtip?.detail], ['null-mx', undefined]);
  t.deepEqual(wingtip?.basis, ['log-cause', 'probes']);
  t.true(
    wingtip?.reason?.startsWith(
      "the log says null-mx, an answer of the domain's DNS at the time; it cannot be " +
        're-checked now: the only authoritative server address of wingtip.test fails',
    ),
    wingtip?.reason,
  );
  t.is(litware?.kind, 'mx-unresolvable');
});

test('a failed look-up of a name that is no MX host now is named as likely ours', (t) => {
  const evidence = group('example.test', 'mx-unresolvable', {
    lookupNames: ['smtp.isp.test'],
  });
  const verdict = decideOne(evidence, LAB_1_LOG, diagnoses(healthyDiagnosis('example.test')));

  t.is(verdict.kind, 'recovered');
  t.true(
    verdict.reason?.endsWith(
      'the failed look-up was for smtp.isp.test, which is not an MX host of example.test now: ' +
        'a relayhost or transport route of ours, or MX records changed since',
    ),
    verdict.reason,
  );
});

test('an mx-unresolvable look-up of one of the MX hosts now says nothing of relayhosts', (t) => {
  const evidence = group('example.test', 'mx-unresolvable', { lookupNames: ['mx.example.test'] });
  const verdict = decideOne(evidence, LAB_1_LOG, diagnoses(healthyDiagnosis('example.test')));

  t.is(verdict.kind, 'recovered');
  t.false(verdict.reason?.includes('relayhost'), verdict.reason);
});

/** A domain whose only MX host is an alias that resolves (the lab's cohowinery.test). */
function aliasedMx(domain: string): DomainDiagnosis {
  const diagnosis = healthyDiagnosis(domain);
  const lookup = {
    status: 'cname' as const,
    addresses: ['127.0.9.101'],
    cnameTarget: 'mx.provider.test',
    results: ['answer' as const, 'nodata' as const],
  };
  diagnosis.mx = {
    ...diagnosis.mx,
    records: [{ preference: 10, exchange: `mail.${domain}` }],
    hosts: [
      {
        name: `mail.${domain}`,
        preference: 10,
        isIpLiteral: false,
        iterative: lookup,
        status: 'cname',
      },
    ],
  };
  return diagnosis;
}

test('an MX alias that resolves does not explain a temporary failure', (t) => {
  const evidence = group('cohowinery.test', 'dns-tempfail');
  const verdict = decideOne(evidence, LAB_1_LOG, diagnoses(aliasedMx('cohowinery.test')));

  t.is(verdict.kind, 'recovered');
  t.true(
    verdict.reason?.startsWith(
      'every probe answers now (the MX host mail.cohowinery.test is an alias that mail servers ' +
        'follow to an address, though an MX may not name a CNAME (RFC 2181 §10.3))',
    ),
    verdict.reason,
  );
});

test('an MX alias stays mx-unresolvable for a group the log calls mx-unresolvable', (t) => {
  const evidence = group('cohowinery.test', 'mx-unresolvable');
  const verdict = decideOne(evidence, LAB_1_LOG, diagnoses(aliasedMx('cohowinery.test')));

  t.like(verdict, { kind: 'mx-unresolvable', detail: 'cname' });
});

test('a partial outage our resolver rides out now recovered from the resolver outage the log shows', (t) => {
  const groups = LAB_1_TEMPFAILS.map(([domain, lastSeen]) =>
    group(domain, 'dns-tempfail', { lastSeen }),
  );
  const partial = withNameServers(healthyDiagnosis('fourthcoffee.test'), [
    { name: 'ns1.fourthcoffee.test', address: '127.0.9.1', result: 'answer' },
    { name: 'ns2.fourthcoffee.test', address: '127.0.9.2', result: 'timeout' },
  ]);
  const others = LAB_1_TEMPFAILS.slice(1).map(([domain]) => healthyDiagnosis(domain));
  const verdicts = decideVerdicts(groups, LAB_1_LOG, diagnoses(partial, ...others));
  const verdict = verdicts.get(groups[0]?.key ?? '');

  t.is(LAB_1_TEMPFAILS[0]?.[0], 'fourthcoffee.test');
  t.deepEqual([verdict?.kind, verdict?.detail], ['recovered', 'local-resolver']);
  t.regex(
    verdict?.reason ?? '',
    new RegExp(
      '1 of 2 authoritative server addresses of fourthcoffee\\.test fail: .* ' +
        '\\(a working resolver rides that out\\); the log suggests our resolver',
    ),
  );
});
