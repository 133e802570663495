import test from 'ava';
import { emptyOutcomeCounts } from '../../src/group/incidents.js';
import { VERDICT_KINDS, type Incident, type Probe, type Verdict } from '../../src/model.js';
import {
  adviseIncident,
  cleanText,
  describeIncident,
  describeOutcomes,
  describeProbe,
  describeVerdict,
  evidenceProbes,
  incidentOutcomes,
  tellStory,
} from '../../src/output/advice.js';
import { timeFormat } from '../../src/output/times.js';
import { makeGroup } from '../group/helpers.js';
import { CONTOSO_LAME, LOCAL_DOWN, LOCAL_LEAN, NORTHWIND_DOWN, labAnalysis } from './helpers.js';

const UTC_TIMES = timeFormat('UTC');

function incidentWith(verdict: Verdict, overrides: Partial<Incident> = {}): Incident {
  return {
    id: '20261203T1832Z-dns-northwind.test',
    domains: ['northwind.test'],
    causeFamily: 'dns',
    causes: ['dns-tempfail'],
    start: Date.parse('2026-12-03T18:32:52Z'),
    end: Date.parse('2026-12-03T18:35:25Z'),
    peakWindowStart: Date.parse('2026-12-03T18:30:00Z'),
    peakAttempts: 14,
    attempts: 18,
    messages: 4,
    outcomes: emptyOutcomeCounts(),
    verdict,
    groups: [],
    ...overrides,
  };
}

function probe(role: Probe['role'], server: string, result: string, extra: Partial<Probe> = {}) {
  const question = { name: 'northwind.test', type: 'MX' };
  return { role, server, question, result, transport: 'udp', ms: 3, ...extra } as Probe;
}

test('log text loses escape sequences, control characters and bidi overrides', (t) => {
  const cases: [string, string][] = [
    ['451 \x1b[31mred\x1b[0m text', '451 red text'],
    ['title \x1b]0;owned\x07 set', 'title  set'],
    ['two\r\nlines', 'two lines'],
    ['nul\x00 and del\x7f', 'nul and del'],
    ['abc\u202edcba', 'abcdcba'],
    ['plain text stays', 'plain text stays'],
  ];
  for (const [input, expected] of cases) t.is(cleanText(input), expected, JSON.stringify(input));
});

test('a probe reads as which server was asked what and what it said', (t) => {
  t.is(
    describeProbe(NORTHWIND_DOWN.probes![1]!),
    'authoritative server 127.0.3.1:53 (ns1.northwind.test) asked northwind.test MX: timeout ' +
      'after 2000 ms (udp)',
  );
  t.is(
    describeProbe(CONTOSO_LAME.probes![0]!),
    'authoritative server 127.0.3.9:53 (ns1.contoso.test) asked contoso.test MX: refused ' +
      'after 12 ms (udp)',
  );
});

test('evidence leaves out the walk referrals and puts failures first', (t) => {
  const probes = evidenceProbes(LOCAL_DOWN);

  t.deepEqual(
    probes.map((entry) => `${entry.role} ${entry.result}`),
    ['local timeout', 'authoritative answer'],
  );
});

test('every verdict kind has advice', (t) => {
  for (const kind of VERDICT_KINDS) {
    const advice = adviseIncident(incidentWith({ kind }));
    t.true(advice.length > 0 && advice.every((line) => line.length > 20), kind);
  }
});

test('local resolver advice names the resolver that failed and how to ask it', (t) => {
  const verdict: Verdict = {
    kind: 'local-resolver',
    detail: 'down',
    probes: [probe('local', '[::1]:5353', 'timeout'), probe('local', '127.0.0.1:53', 'answer')],
  };
  const advice = adviseIncident(incidentWith(verdict, { domains: ['a.test', 'b.test', 'c.test'] }));

  t.regex(advice[0]!, /The local resolver \[::1\]:5353 did not answer/);
  t.regex(advice[0]!, /dig @::1 -p 5353 a\.test MX/);
  t.false(advice[0]!.includes('127.0.0.1'));
  t.is(advice[1], 'All 3 domains of this incident failed because of it.');
});

test('remote replies about our PTR record or HELO name are advised as our DNS', (t) => {
  const reply =
    'host mx.example.net[192.0.2.9] said: 450 4.7.25 Client host rejected: cannot find your ' +
    'hostname, [198.51.100.7] (in reply to RCPT TO command)';
  const ours = makeGroup('example.net', 'remote-tempfail', '2026-12-03T18:00:00Z', {
    examples: [reply],
  });
  const policy = makeGroup('example.net', 'remote-tempfail', '2026-12-03T18:00:00Z', {
    examples: ['host mx.example.net[192.0.2.9] said: 450 4.2.0 Greylisted, try again later'],
  });
  const remote = { causeFamily: 'remote', causes: ['remote-tempfail'] } as const;

  const [aboutUs] = adviseIncident(
    incidentWith({ kind: 'remote-policy' }, { ...remote, groups: [ours] }),
  );
  const [notAboutUs] = adviseIncident(
    incidentWith({ kind: 'remote-policy' }, { ...remote, groups: [policy] }),
  );

  const mixed = adviseIncident(
    incidentWith({ kind: 'remote-policy' }, { ...remote, groups: [ours, policy] }),
  );
  // A relay's host name with `ptr` in it says nothing about our names.
  const named = makeGroup('example.net', 'remote-tempfail', '2026-12-03T18:00:00Z', {
    examples: ['host mx1.ptr-hosting.example.net[192.0.2.9] said: 450 4.2.0 Greylisted'],
  });
  const [hostNamed] = adviseIncident(
    incidentWith({ kind: 'remote-policy' }, { ...remote, groups: [named] }),
  );

  t.regex(aboutUs ?? '', /refused us for our own DNS: .*dig -x <our address>/);
  t.regex(notAboutUs ?? '', /not about DNS \(greylisting/);
  t.is(mixed.length, 2);
  t.regex(mixed[0] ?? '', /^Some replies of the mail servers of \S+ are about our own DNS: /);
  t.regex(mixed[1] ?? '', /not about DNS \(greylisting/);
  t.regex(hostNamed ?? '', /not about DNS \(greylisting/);
});

test('stale chroot advice names the chroot file that differs', (t) => {
  const verdict: Verdict = {
    kind: 'local-resolver',
    detail: 'stale-chroot',
    reason:
      "Postfix's chroot copy /var/spool/postfix-out/etc/resolv.conf differs from /etc/resolv.conf: " +
      "its resolver 127.0.0.53:53 timeout, while /etc/resolv.conf's resolvers answer",
  };
  const [first] = adviseIncident(incidentWith(verdict));

  t.regex(first!, /chroot copy \/var\/spool\/postfix-out\/etc\/resolv\.conf differs/);
  t.regex(first!, /systemctl restart postfix/);
});

test('recipient outage advice lists the failing name servers and the SOA contact', (t) => {
  const verdict: Verdict = {
    kind: 'recipient-dns',
    detail: 'partial',
    probes: [
      probe('authoritative', '127.0.3.1:53', 'timeout', { serverName: 'ns1.northwind.test' }),
      probe('authoritative', '127.0.3.2:53', 'answer', { serverName: 'ns2.northwind.test' }),
      probe('authoritative', '127.0.3.2:53', 'answer', {
        serverName: 'ns2.northwind.test',
        question: { name: 'northwind.test', type: 'SOA' },
        answers: [
          'northwind.test SOA ns1.northwind.test dns\\.admin.northwind.test 2026120301 7200 900 1209600 300',
        ],
      }),
    ],
  };
  const advice = adviseIncident(incidentWith(verdict));

  t.regex(advice[0]!, /Failing name servers: ns1\.northwind\.test \(127\.0\.3\.1:53\): timeout\./);
  t.false(advice[0]!.includes('ns2.northwind.test (127.0.3.2:53)'));
  t.is(
    advice[1],
    'Whom to contact: dns.admin@northwind.test (the SOA contact of northwind.test) or the ' +
      'operators of ns1.northwind.test, ns2.northwind.test.',
  );
});

test('without an SOA from servers that answer, the advice says how to find the contact', (t) => {
  const verdict: Verdict = { ...NORTHWIND_DOWN, detail: 'partial', probes: [] };
  const advice = adviseIncident(incidentWith(verdict));

  t.regex(advice[1]!, /dig \+short SOA northwind\.test/);
});

test('servers whose SOA cannot be fetched send the reader to WHOIS and the parent zone', (t) => {
  const referral = probe('iterative', '127.0.2.1:53', 'referral', { serverName: 'ns1.nic.test' });
  const unreachable = adviseIncident(incidentWith(NORTHWIND_DOWN));
  const lame = adviseIncident(
    incidentWith(
      { ...CONTOSO_LAME, probes: [referral, ...(CONTOSO_LAME.probes ?? [])] },
      { domains: ['contoso.test'] },
    ),
  );

  t.false(unreachable[1]!.includes('SOA northwind.test'));
  t.regex(unreachable[1]!, /registrar's WHOIS record \(whois northwind\.test\) names the owner/);
  t.regex(unreachable[1]!, /dig \+trace northwind\.test NS shows the delegation/);
  t.regex(
    lame[1]!,
    /dig @127\.0\.2\.1 contoso\.test NS asks ns1\.nic\.test, a server of its parent zone/,
  );
});

test('recipient-side advice does not clear our side while our resolver is down', (t) => {
  const verdict: Verdict = {
    ...NORTHWIND_DOWN,
    probes: [probe('local', '127.0.0.1:53', 'unreachable'), ...(NORTHWIND_DOWN.probes ?? [])],
  };
  const [ours] = adviseIncident(incidentWith(verdict));
  const [theirs] = adviseIncident(incidentWith(NORTHWIND_DOWN));

  t.false(ours!.includes('Nothing on our side'));
  t.regex(ours!, /Our local resolver 127\.0\.0\.1:53 fails now as well \(see its own incident\)/);
  t.regex(theirs!, /Nothing on our side needs fixing\.$/);
});

test('a resolver that refuses us is down; one that is silent may be cut off', (t) => {
  const down = (result: string): Verdict => ({
    kind: 'local-resolver',
    detail: 'down',
    probes: [probe('local', '127.0.0.53:53', result)],
  });
  const [refused] = adviseIncident(incidentWith(down('unreachable')));
  const [silent] = adviseIncident(incidentWith(down('timeout')));

  t.regex(refused!, /^The local resolver 127\.0\.0\.53:53 refused the connection/);
  t.true(
    silent!.startsWith(
      'The local resolver 127.0.0.53:53 did not answer: ' +
        'it is down, or running but unable to reach its upstream',
    ),
    silent,
  );
  t.regex(silent!, /read its log/);
});

test('mail that only bounced gets no advice about staying queued', (t) => {
  const bounced = makeGroup('wingtip.test', 'null-mx', '2026-12-03T18:00:00Z', {
    verdict: NORTHWIND_DOWN,
    statuses: { sent: 0, deferred: 0, bounced: 2, expired: 0 },
  });
  const deferred = makeGroup('northwind.test', 'dns-tempfail', '2026-12-03T18:00:00Z', {
    verdict: NORTHWIND_DOWN,
    statuses: { sent: 0, deferred: 13, bounced: 0, expired: 0 },
  });
  const onlyBounced = adviseIncident(incidentWith(NORTHWIND_DOWN, { groups: [bounced] }));
  const queued = adviseIncident(incidentWith(NORTHWIND_DOWN, { groups: [deferred] }));

  t.false(onlyBounced.some((line) => line.startsWith('Mail stays queued')));
  t.regex(onlyBounced.at(-1)!, /bounced at its first attempt and is not retried/);
  t.regex(queued.at(-1)!, /^Mail stays queued and is retried/);
});

test('several recovered domains resolve now, one resolves', (t) => {
  const many = adviseIncident(
    incidentWith(LOCAL_LEAN, { domains: ['sender.test', 'fourthcoffee.test'] }),
  );
  const one = adviseIncident(incidentWith(LOCAL_LEAN));

  t.regex(many[0]!, /^sender\.test, fourthcoffee\.test resolve now;/);
  t.regex(one[0]!, /^northwind\.test resolves now;/);
});

test('unchecked connection and remote failures get advice for their family', (t) => {
  const notChecked: Verdict = { kind: 'not-checked' };
  const connection = adviseIncident(
    incidentWith(notChecked, { domains: ['margie.test'], causeFamily: 'connection' }),
  );
  const remote = adviseIncident(
    incidentWith(notChecked, { domains: ['proseware.test'], causeFamily: 'remote' }),
  );
  const dns = adviseIncident(incidentWith(notChecked));

  t.regex(connection[0]!, /margie\.test did not accept connections on port 25/);
  t.regex(remote[0]!, /proseware\.test answered with a deferral/);
  t.regex(dns[0]!, /without --offline/);
});

test('unchecked bounces whose cause the log proves get that advice, as the log says', (t) => {
  const notChecked: Verdict = { kind: 'not-checked' };
  const incident = (cause: 'null-mx' | 'dns-notfound' | 'dns-tempfail') =>
    incidentWith(notChecked, {
      domains: ['wingtip.test'],
      causes: [cause],
      groups: [makeGroup('wingtip.test', cause, '2026-12-03T18:00:00Z')],
    });

  // Our own LMTP host or smarthost not found says nothing of the recipient domain.
  const ownHost = adviseIncident(
    incidentWith(notChecked, {
      domains: ['wingtip.test'],
      causes: ['dns-notfound'],
      groups: [
        makeGroup('wingtip.test', 'dns-notfound', '2026-12-03T18:00:00Z', {
          lookupNames: ['dovecot'],
        }),
      ],
    }),
  );
  const nullMx = adviseIncident(incident('null-mx'));
  const missing = adviseIncident(incident('dns-notfound'));
  const deferred = adviseIncident(incident('dns-tempfail'));

  t.regex(nullMx[0]!, /^wingtip\.test publishes a null MX \(RFC 7505\)/);
  t.regex(nullMx[1]!, /^This is what the log says; run mxtriage again without --offline/);
  t.regex(missing[0]!, /^wingtip\.test does not exist \(NXDOMAIN\)/);
  t.regex(deferred[0]!, /^The DNS of these domains was not re-checked/);
  t.regex(ownHost[0]!, /^The DNS of these domains was not re-checked/);
});

test('an incident is named by its busiest domain and how many more there are', (t) => {
  t.is(describeIncident(incidentWith(LOCAL_DOWN)), 'northwind.test: DNS failures');
  t.is(
    describeIncident(incidentWith(NORTHWIND_DOWN, { domains: ['a.test', 'b.test', 'c.test'] })),
    'a.test and 2 more domains: DNS failures',
  );
});

test('an incident of domains that failed because of our resolver is named after it', (t) => {
  const domains = ['sender.test', 'fourthcoffee.test', 'margie.test'];

  t.is(
    describeIncident(incidentWith(LOCAL_DOWN, { domains })),
    'our local resolver, 3 domains: DNS failures',
  );
  t.is(
    describeIncident(incidentWith(LOCAL_LEAN, { domains })),
    'our local resolver, 3 domains: DNS failures',
  );
});

test('the story tells the period, the worst incident and the outcomes', (t) => {
  const story = tellStory(labAnalysis(), UTC_TIMES);

  t.regex(story, /^From 2026-12-03 18:32:52 to 18:37:20 UTC \(4 min 28 s\), 125 delivery/);
  t.regex(story, /The worst, our local resolver, 5 domains: DNS failures/);
  t.regex(story, /verdict: our local resolver \(down\)\./);
  t.regex(
    story,
    /Of 13 recipients deferred or bounced, 4 were delivered later \(after 42 s on average/,
  );
  t.regex(story, /re-check made at 2026-12-03 18:40:00 UTC/);
});

test('the story names what still fails at the re-check besides the worst incident', (t) => {
  const story = tellStory(labAnalysis(), UTC_TIMES);

  // The worst incident, our resolver, is failing too: the others come after "also".
  t.true(
    story.includes(
      'Also still failing at the re-check: ' +
        "northwind.test: the recipient domain's DNS servers (unreachable); " +
        "contoso.test: the recipient domain's DNS servers (lame); " +
        'adventure-works.test: the domain does not exist; ',
    ),
    story,
  );
  // Six incidents fail now besides the worst: five are named, the sixth counted.
  t.regex(story, /; 1 more\. Of 13 recipients/);
  // Recovered and unchecked incidents are not among them.
  t.false(/Still failing[^.]*(?:proseware|lucerne|margie)/i.test(story));
});

test('a recovery says where the log points, without nested parentheses', (t) => {
  t.is(
    describeVerdict({ kind: 'recovered', detail: 'local-resolver' }),
    'recovered: everything resolves now; the log points at our local resolver',
  );
  t.is(describeVerdict({ kind: 'recovered' }), 'recovered: everything resolves now');
  t.is(
    describeVerdict({ kind: 'recipient-dns', detail: 'lame' }),
    "the recipient domain's DNS servers (lame)",
  );
});

test('the story of an empty input says so', (t) => {
  const analysis = labAnalysis();
  const { periodStart: _start, periodEnd: _end, ...summary } = analysis.summary;

  t.is(
    tellStory({ ...analysis, summary }, UTC_TIMES),
    'The input held no delivery events: nothing was deferred or bounced.',
  );
  t.is(
    describeOutcomes(emptyOutcomeCounts()),
    'No deferred or bounced recipient was followed to an outcome.',
  );
});

/** The probes of an MX that names `exchange`, and the A answers of the MX host. */
function mxProbes(domain: string, exchange: string, hostAnswers: string[] = []): Probe[] {
  const mxQuestion = { name: domain, type: 'MX' };
  const aQuestion = { name: exchange, type: 'A' };
  return [
    probe('authoritative', '127.0.3.1:53', 'answer', {
      serverName: `ns1.${domain}`,
      question: mxQuestion,
      answers: [`${domain} MX 10 ${exchange}`],
    }),
    ...(hostAnswers.length === 0
      ? []
      : [probe('local', '127.0.0.1:53', 'answer', { question: aQuestion, answers: hostAnswers })]),
  ];
}

const unresolvableMxAdvice = test.macro({
  exec(t, detail: string, probes: Probe[], expected: readonly RegExp[]) {
    const verdict: Verdict = { kind: 'mx-unresolvable', detail, probes };
    const [first] = adviseIncident(incidentWith(verdict, { domains: ['m.test'] }));

    for (const pattern of expected) t.regex(first!, pattern);
  },
  title: (_given, detail) => `mx-unresolvable advice for the ${detail} detail says what to change`,
});

test(
  unresolvableMxAdvice,
  'cname',
  mxProbes('m.test', 'mail.m.test', [
    'mail.m.test CNAME mx.provider.test',
    'mx.provider.test A 127.0.0.9',
  ]),
  [
    /^The MX records of m\.test name an alias \(CNAME\) instead of a mail host /,
    /\(mail\.m\.test is an alias for mx\.provider\.test\)\. An MX must name a host/,
    /RFC 2181 §10\.3, RFC 5321 §5\.1/,
    /must point the MX records at the alias's target/,
  ],
);
test(unresolvableMxAdvice, 'ip-literal', mxProbes('m.test', '127.0.0.25'), [
  /^The MX records of m\.test name an IP address instead of a host name \(127\.0\.0\.25\)\./,
  /RFC 5321 §5\.1/,
  /give that address a host name with an A or AAAA record \(such as mx\.m\.test\)/,
]);
test(
  unresolvableMxAdvice,
  'no-address',
  [
    ...mxProbes('m.test', 'mx-old.m.test'),
    probe('iterative', '127.0.3.1:53', 'nxdomain', {
      question: { name: 'mx-old.m.test', type: 'A' },
    }),
  ],
  [
    /^The MX records of m\.test name hosts that have no address \(mx-old\.m\.test\)/,
    /publish A or AAAA records for those hosts/,
  ],
);
test(unresolvableMxAdvice, 'lookup-failed', mxProbes('m.test', 'mx.m.test'), [
  /^The address look-ups of the MX hosts of m\.test \(mx\.m\.test\) fail with SERVFAIL/,
  /not the MX records themselves/,
]);

test('stale chroot advice names the system file the reason compared with', (t) => {
  const verdict: Verdict = {
    kind: 'local-resolver',
    detail: 'stale-chroot',
    reason:
      "Postfix's chroot copy /srv/postfix/etc/resolv.conf differs from /run/resolv.conf " +
      '(name servers): its resolver 127.0.0.53:53: no reply, while our resolvers (--local-resolver) answer',
  };
  const [first] = adviseIncident(incidentWith(verdict));

  t.regex(
    first!,
    /chroot copy \/srv\/postfix\/etc\/resolv\.conf differs from \/run\/resolv\.conf,/,
  );
  t.regex(first!, /Copy \/run\/resolv\.conf over it/);
});

test('a TCP timeout alone asks for a longer timeout before blaming TCP', (t) => {
  const verdict: Verdict = {
    kind: 'inconclusive',
    detail: 'tcp-timeout',
    reason: 'ns1.m.test 127.0.3.1 answers MX over UDP, but over TCP gave no reply within 3 ms',
  };
  const [first] = adviseIncident(incidentWith(verdict));

  t.regex(first!, /Run it again with a longer --timeout/);
  t.regex(first!, /RFC 7766/);
});

test('not checked for a budget of 0 says to give the re-check a budget', (t) => {
  const verdict: Verdict = {
    kind: 'not-checked',
    reason: 'the re-check budget is 0 ms: no DNS query was made',
  };
  const [first] = adviseIncident(incidentWith(verdict));

  t.regex(first!, /budget was 0 \(--budget 0\)/);
  t.false(first!.includes('--offline'));
});

test('sender-dns advice names the sender domain remote servers could not resolve', (t) => {
  const verdict: Verdict = { kind: 'sender-dns', detail: 'domain-missing' };
  const groups = [
    makeGroup('lucerne.test', 'sender-dns', '2026-12-03T18:00:00Z', {
      verdict,
      senderDomains: ['adventure-works.test'],
    }),
  ];
  const [advice] = adviseIncident(incidentWith(verdict, { groups }));

  t.regex(advice ?? '', /could not resolve adventure-works\.test\./);
  t.regex(advice ?? '', /dig @<each name server> adventure-works\.test MX and A/);
  t.notRegex(advice ?? '', /<sender domain>/);
});

test('an incident whose recipients are counted with another says so, not four zeros', (t) => {
  const counted = incidentWith(NORTHWIND_DOWN, { messages: 2, outcomes: emptyOutcomeCounts() });
  t.is(incidentOutcomes(counted), 'counted with the incident where these recipients first failed');

  const own = incidentWith(NORTHWIND_DOWN, {
    outcomes: { ...emptyOutcomeCounts(), 'delivered-later': 4 },
    deliveryDelay: { count: 4, meanMs: 42_000, maxMs: 49_000 },
  });
  t.is(
    incidentOutcomes(own),
    '4 delivered later (after 42 s on average, 49 s at most), 0 bounced, 0 expired, 0 still queued',
  );

  const partly = incidentWith(NORTHWIND_DOWN, {
    messages: 15,
    outcomes: { ...emptyOutcomeCounts(), 'delivered-later': 11 },
  });
  t.is(
    incidentOutcomes(partly),
    '11 delivered later, 0 bounced, 0 expired, 0 still queued; the rest with the incident where ' +
      'they first failed',
  );
});

test('local resolver advice says SERVFAIL only when the resolver gave it', (t) => {
  const advice = (result: string) =>
    adviseIncident(
      incidentWith({
        kind: 'local-resolver',
        detail: 'servfail',
        probes: [probe('local', '127.0.0.1:53', result)],
      }),
    )[0];

  t.regex(advice('servfail') ?? '', /127\.0\.0\.1:53 answered SERVFAIL while/);
  t.regex(advice('bad-response') ?? '', /127\.0\.0\.1:53 gave no usable answer while/);
});
