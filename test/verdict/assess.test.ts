import test from 'ava';

import type { DomainDiagnosis, MxHost, ProbeResult } from '../../src/dns/types.js';
import {
  assessDomain,
  assessDomains,
  describeAnswers,
  type Finding,
} from '../../src/verdict/assess.js';
import {
  authoritativeView,
  authServer,
  healthyDiagnosis,
  mxHost,
  reply,
  resolverCheck,
  resolverView,
  withNameServers,
} from './diagnoses.js';

interface Expected {
  readonly kind: Finding['kind'];
  readonly detail?: string;
  /** Words the reason must contain. */
  readonly says?: readonly string[];
}

const assesses = test.macro((t, diagnosis: DomainDiagnosis, expected: Expected) => {
  const finding = assessDomain(diagnosis);

  t.is(finding.kind, expected.kind, finding.reason);
  t.is(finding.detail, expected.detail);
  for (const words of expected.says ?? []) t.true(finding.reason.includes(words), finding.reason);
});

test(
  'a domain whose every probe answers is found answering',
  assesses,
  healthyDiagnosis('a.test'),
  {
    kind: 'answers',
    says: ['the only authoritative server address answers MX', '127.0.0.1:53: answers'],
  },
);

test(
  'a re-check cut short by the budget is inconclusive with the reason',
  assesses,
  {
    ...healthyDiagnosis('a.test'),
    incomplete: 'budget',
    incompleteReason: 'the re-check budget of 5000 ms ran out before this domain was finished',
  },
  { kind: 'inconclusive', detail: 'budget', says: ['budget of 5000 ms ran out'] },
);

test(
  'NXDOMAIN from the parent zone means the domain is missing',
  assesses,
  {
    ...healthyDiagnosis('gone.test'),
    delegation: {
      status: 'nxdomain',
      parentZone: 'test',
      parentNxdomain: true,
      nameServers: [],
      path: ['.', 'test'],
    },
    authoritative: authoritativeView([]),
  },
  { kind: 'domain-missing', says: ['zone test answers NXDOMAIN for gone.test'] },
);

test(
  'NXDOMAIN from every authoritative server means the domain is missing',
  assesses,
  withNameServers(healthyDiagnosis('sub.a.test'), [
    { name: 'ns1.a.test', address: '127.0.9.1', result: 'nxdomain' },
    { name: 'ns2.a.test', address: '127.0.9.2', result: 'nxdomain' },
  ]),
  { kind: 'domain-missing', says: ['2 authoritative servers of sub.a.test answer NXDOMAIN'] },
);

test(
  'NXDOMAIN from our resolver counts when our own walk could not run',
  assesses,
  {
    ...healthyDiagnosis('gone.test'),
    delegation: { status: 'skipped', parentNxdomain: false, nameServers: [], path: [] },
    authoritative: authoritativeView([]),
    mx: { source: 'local', result: 'nxdomain', records: [], isNullMx: false, hosts: [] },
    outsideBlocked: true,
  },
  { kind: 'domain-missing', says: ['the local resolver answers NXDOMAIN'] },
);

test(
  'validation failing at a reference and at our validator points at the recipient zone',
  assesses,
  {
    ...healthyDiagnosis('signed.test'),
    local: resolverView('/etc/resolv.conf', [
      resolverCheck('127.0.0.1:53', 'servfail', { cd: 'answer' }),
    ]),
    reference: resolverView('reference', [
      resolverCheck('127.0.8.8:53', 'servfail', { cd: 'answer' }),
    ]),
  },
  { kind: 'recipient-dnssec', says: ['reference resolver 127.0.8.8:53: SERVFAIL', 'CD'] },
);

test(
  'validation failing only at our resolver while a reference validates is ours',
  assesses,
  {
    ...healthyDiagnosis('signed.test'),
    local: resolverView('/etc/resolv.conf', [
      resolverCheck('127.0.0.1:53', 'servfail', { cd: 'answer' }),
    ]),
    reference: resolverView('reference', [
      resolverCheck('127.0.8.8:53', 'answer', { authenticated: true }),
    ]),
  },
  { kind: 'local-resolver', detail: 'dnssec', says: ['127.0.8.8:53 validates it'] },
);

test(
  'validation failing at our resolver for a zone with a DS is the recipient zone',
  assesses,
  (() => {
    const diagnosis = healthyDiagnosis('signed.test');
    diagnosis.local = resolverView('/etc/resolv.conf', [
      resolverCheck('127.0.0.1:53', 'servfail', { cd: 'answer' }),
    ]);
    diagnosis.delegation = { ...diagnosis.delegation, signedAtParent: true };
    return diagnosis;
  })(),
  { kind: 'recipient-dnssec', says: ['signed.test is signed (DS in zone test)'] },
);

test(
  'validation failing for an unsigned zone can only be our resolver',
  assesses,
  {
    ...healthyDiagnosis('plain.test'),
    local: resolverView('/etc/resolv.conf', [
      resolverCheck('127.0.0.1:53', 'servfail', { cd: 'answer' }),
    ]),
  },
  { kind: 'local-resolver', detail: 'dnssec', says: ['clock or trust anchor'] },
);

test('a signed zone failing only our validation is ours when an unsigned one fails it too', (t) => {
  const failing = () =>
    resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'servfail', { cd: 'answer' })]);
  const signed = healthyDiagnosis('signed.test');
  signed.local = failing();
  signed.delegation = { ...signed.delegation, signedAtParent: true };
  const plain = { ...healthyDiagnosis('plain.test'), local: failing() };

  const alone = assessDomains(new Map([['signed.test', signed]]));
  const together = assessDomains(
    new Map([
      ['signed.test', signed],
      ['plain.test', plain],
    ]),
  );

  t.is(alone.get('signed.test')?.kind, 'recipient-dnssec');
  t.like(together.get('signed.test'), { kind: 'local-resolver', detail: 'dnssec' });
  t.regex(
    together.get('signed.test')?.reason ?? '',
    /plain\.test fails validation at our resolver too/,
  );
});

/** A domain whose servers answer its MX question with a CNAME into another zone. */
function aliasDiagnosis(): ReturnType<typeof healthyDiagnosis> {
  const diagnosis = healthyDiagnosis('lists.good.test');
  const server = authServer('ns1.good.test', '127.0.9.1', 'answer');
  const records = ['lists.good.test CNAME lists.blackhole.test'];
  diagnosis.authoritative = authoritativeView([
    { ...server, mx: { ...server.mx, records }, soa: { ...server.soa, records } },
  ]);
  diagnosis.local = resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'servfail')]);
  return diagnosis;
}

test(
  'an alias into a zone every resolver fails on is the recipient, not our resolver',
  assesses,
  {
    ...aliasDiagnosis(),
    reference: resolverView('reference', [resolverCheck('127.0.8.8:53', 'servfail')]),
  },
  {
    kind: 'recipient-dns',
    detail: 'servfail',
    says: [
      'is an alias (CNAME) of lists.blackhole.test',
      'the DNS of lists.blackhole.test is broken',
    ],
  },
);

test(
  'an alias that a reference resolver follows leaves our resolver at fault',
  assesses,
  {
    ...aliasDiagnosis(),
    reference: resolverView('reference', [resolverCheck('127.0.8.8:53', 'answer')]),
  },
  { kind: 'local-resolver', detail: 'servfail' },
);

test('an alias with no other view of it is inconclusive', assesses, aliasDiagnosis(), {
  kind: 'inconclusive',
  detail: 'no-other-view',
  says: ['is an alias of lists.blackhole.test'],
});

test(
  'reference resolvers failing as ours does leave the fault undecided',
  assesses,
  {
    ...healthyDiagnosis('a.test'),
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'servfail')]),
    reference: resolverView('reference', [resolverCheck('127.0.8.8:53', 'servfail')]),
  },
  {
    kind: 'inconclusive',
    detail: 'resolvers-fail',
    says: ['reference resolver 127.0.8.8:53: SERVFAIL'],
  },
);

test(
  'a refusing local resolver is at fault even when one of two recipient servers is down',
  assesses,
  {
    ...withNameServers(healthyDiagnosis('partial.test'), [
      { name: 'ns1.partial.test', address: '127.0.9.1', result: 'answer' },
      { name: 'ns2.partial.test', address: '127.0.9.2', result: 'timeout' },
    ]),
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'unreachable')]),
  },
  {
    kind: 'local-resolver',
    detail: 'down',
    says: ['1 of 2 authoritative server addresses answer MX'],
  },
);

test(
  'our resolver timing out beside one of two recipient servers down is put down to the outage',
  assesses,
  {
    ...withNameServers(healthyDiagnosis('partial.test'), [
      { name: 'ns1.partial.test', address: '127.0.9.1', result: 'answer' },
      { name: 'ns2.partial.test', address: '127.0.9.2', result: 'timeout' },
    ]),
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'timeout')]),
  },
  {
    kind: 'recipient-dns',
    detail: 'partial',
    says: [
      '1 of 2 authoritative server addresses of partial.test fail: ns2.partial.test 127.0.9.2',
      'our resolver fails too (local resolver 127.0.0.1:53: no reply), ' +
        'likely waiting on the failing servers',
    ],
  },
);

test('our resolver silent for every domain is at fault for one whose servers partly fail', (t) => {
  const silent = () => resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'timeout')]);
  const partial = {
    ...withNameServers(healthyDiagnosis('partial.test'), [
      { name: 'ns1.partial.test', address: '127.0.9.1', result: 'answer' },
      { name: 'ns2.partial.test', address: '127.0.9.2', result: 'timeout' },
    ]),
    local: silent(),
  };
  const dead = {
    ...withNameServers(healthyDiagnosis('dead.test'), [
      { name: 'ns1.dead.test', address: '127.0.9.3', result: 'timeout' },
    ]),
    local: silent(),
  };
  const healthy = { ...healthyDiagnosis('healthy.test'), local: silent() };

  const findings = assessDomains(
    new Map([
      ['partial.test', partial],
      ['dead.test', dead],
      ['healthy.test', healthy],
    ]),
  );

  t.like(findings.get('healthy.test'), { kind: 'local-resolver', detail: 'down' });
  t.like(findings.get('partial.test'), { kind: 'local-resolver', detail: 'down' });
  t.is(
    findings.get('partial.test')?.reason,
    'local resolver 127.0.0.1:53: no reply, as it does for healthy.test, whose servers all ' +
      'answer; 1 of 2 authoritative server addresses of partial.test fail: ' +
      'ns2.partial.test 127.0.9.2: no reply',
  );
  // Servers that all fail defer the mail whatever our resolver does.
  t.like(findings.get('dead.test'), { kind: 'recipient-dns', detail: 'unreachable' });
  t.regex(
    findings.get('dead.test')?.reason ?? '',
    /; our resolver fails too \(local resolver 127\.0\.0\.1:53: no reply\), as it does for healthy\.test/,
  );
});

test(
  'reference resolvers that cannot be reached leave our failing resolver at fault',
  assesses,
  {
    ...healthyDiagnosis('a.test'),
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'unreachable')]),
    reference: resolverView('reference', [
      resolverCheck('127.0.8.8:53', 'timeout'),
      resolverCheck('127.0.8.9:53', 'refused'),
    ]),
  },
  {
    kind: 'local-resolver',
    detail: 'down',
    says: [
      'the only authoritative server address answers MX',
      'reference resolvers 127.0.8.8:53: no reply, 127.0.8.9:53: REFUSED (not reached: no view',
    ],
  },
);

test('a reference resolver that cannot be reached is a view not made, not a dissent', (t) => {
  const finding = assessDomain({
    ...healthyDiagnosis('a.test'),
    reference: resolverView('reference', [resolverCheck('127.0.8.8:53', 'unreachable')]),
  });

  t.is(finding.kind, 'answers');
  t.is(finding.dissent, undefined);
  t.is(
    finding.unmade,
    'reference resolver 127.0.8.8:53: connection refused or unreachable (not reached: no view ' +
      'from it)',
  );
});

const failingServers = test.macro((t, results: readonly ProbeResult[], detail: string) => {
  const servers = results.map((result, index) => ({
    name: `ns${index + 1}.down.test`,
    address: `127.0.9.${index + 1}`,
    result,
  }));
  const finding = assessDomain(withNameServers(healthyDiagnosis('down.test'), servers));

  t.is(finding.kind, 'recipient-dns');
  t.is(finding.detail, detail);
  t.true(finding.reason.includes(`ns1.down.test 127.0.9.1`), finding.reason);
});

test(
  'authoritative servers that all time out are unreachable',
  failingServers,
  ['timeout', 'timeout'],
  'unreachable',
);
test(
  'authoritative servers that refuse connections are unreachable',
  failingServers,
  ['unreachable', 'timeout'],
  'unreachable',
);
test('an authoritative server answering REFUSED is lame', failingServers, ['refused'], 'lame');
test(
  'a server sending only malformed replies is said to, not to give no reply',
  assesses,
  withNameServers(healthyDiagnosis('garbage.test'), [
    { name: 'ns1.garbage.test', address: '127.0.9.1', result: 'bad-response' },
  ]),
  {
    kind: 'recipient-dns',
    detail: 'servfail',
    says: ['127.0.9.1: only malformed replies or replies that did not match the question'],
  },
);
test(
  'lameness outranks silence among failing servers',
  failingServers,
  ['timeout', 'not-authoritative'],
  'lame',
);
test(
  'authoritative servers answering SERVFAIL fail with servfail',
  failingServers,
  ['servfail', 'servfail'],
  'servfail',
);
test(
  'a truncation loop over TCP is an EDNS or TCP fault',
  failingServers,
  ['truncated'],
  'edns-or-tcp',
);

test(
  'a truncated UDP answer followed by TCP refused is an EDNS or TCP fault, not silence',
  assesses,
  {
    ...healthyDiagnosis('tc.test'),
    authoritative: authoritativeView([
      authServer('ns1.tc.test', '127.0.9.1', 'unreachable', { truncatedUdp: true }),
      authServer('ns2.tc.test', '127.0.9.2', 'timeout'),
    ]),
  },
  {
    kind: 'recipient-dns',
    detail: 'edns-or-tcp',
    says: ['ns1.tc.test 127.0.9.1: truncated over UDP, and over TCP: connection refused or reset'],
  },
);

test(
  'a truncated UDP answer followed only by TCP silence is inconclusive',
  assesses,
  {
    ...healthyDiagnosis('tc.test'),
    authoritative: authoritativeView([
      authServer('ns1.tc.test', '127.0.9.1', 'tcp-timeout'),
      authServer('ns2.tc.test', '127.0.9.2', 'tcp-timeout'),
    ]),
  },
  {
    kind: 'inconclusive',
    detail: 'tcp-timeout',
    says: ['truncated over UDP and no reply over TCP', 'a TCP timeout alone does not show'],
  },
);

test(
  'TCP silence after truncation beside silent servers is unreachable',
  failingServers,
  ['tcp-timeout', 'timeout'],
  'unreachable',
);

test(
  'name servers whose names do not exist make the delegation broken: lame',
  assesses,
  {
    ...healthyDiagnosis('orphan.test'),
    delegation: {
      ...healthyDiagnosis('orphan.test').delegation,
      nameServers: [
        {
          name: 'ns.gone.test',
          addresses: [],
          source: 'unresolved',
          inBailiwick: false,
          resolution: 'nxdomain',
          reached: false,
        },
      ],
    },
    authoritative: authoritativeView([]),
  },
  { kind: 'recipient-dns', detail: 'lame', says: ['ns.gone.test: NXDOMAIN'] },
);

test(
  'name servers whose address look-ups go unanswered leave the domain unreachable',
  assesses,
  {
    ...healthyDiagnosis('orphan.test'),
    delegation: {
      ...healthyDiagnosis('orphan.test').delegation,
      nameServers: [
        {
          name: 'ns.silent.test',
          addresses: [],
          source: 'unresolved',
          inBailiwick: false,
          resolution: 'timeout',
          reached: false,
        },
      ],
    },
    authoritative: authoritativeView([]),
  },
  { kind: 'recipient-dns', detail: 'unreachable', says: ['ns.silent.test: no reply'] },
);

test(
  'name servers left unresolved by the query limit say so, not that they gave no reply',
  assesses,
  {
    ...healthyDiagnosis('wide.test'),
    delegation: {
      ...healthyDiagnosis('wide.test').delegation,
      nameServers: [
        {
          name: 'ns1.wide-ns.test',
          addresses: [],
          source: 'unresolved',
          inBailiwick: false,
          resolution: 'timeout',
          resolutionStopped: 'the query limit was reached (more than 120 queries)',
          reached: false,
        },
      ],
    },
    authoritative: authoritativeView([]),
  },
  {
    kind: 'recipient-dns',
    detail: 'unreachable',
    says: [
      'the name servers of wide.test: the query limit was reached (more than 120 queries)',
      'ns1.wide-ns.test: not looked up',
    ],
  },
);

test(
  'a referral back to the zone asked about is not called upward',
  assesses,
  withNameServers(healthyDiagnosis('lateral.test'), [
    { name: 'ns1.lateral.test', address: '127.0.9.1', result: 'upward-referral' },
  ]),
  { kind: 'recipient-dns', detail: 'lame', says: ['a referral to its own zone or one above it'] },
);

test(
  'a failing Postfix chroot copy of resolv.conf is a stale chroot',
  assesses,
  {
    ...healthyDiagnosis('a.test'),
    chroot: {
      ...resolverView('/var/spool/postfix/etc/resolv.conf', [
        resolverCheck('127.0.0.9:53', 'timeout'),
      ]),
      path: '/var/spool/postfix/etc/resolv.conf',
      comparedWith: '/etc/resolv.conf',
      differs: true,
      difference: 'name servers',
    },
  },
  {
    kind: 'local-resolver',
    detail: 'stale-chroot',
    says: [
      '/var/spool/postfix/etc/resolv.conf differs from /etc/resolv.conf (name servers)',
      '127.0.0.9:53: no reply',
      'while our resolvers (/etc/resolv.conf) answer',
    ],
  },
);

test(
  'a chroot copy that differs from /etc/resolv.conf is named even when its resolvers answer',
  assesses,
  {
    ...healthyDiagnosis('a.test'),
    local: resolverView('--local-resolver', [
      resolverCheck('127.0.0.1:53', 'answer', { domain: 'a.test' }),
    ]),
    chroot: {
      ...resolverView('/var/spool/postfix/etc/resolv.conf', [
        resolverCheck('127.0.0.9:53', 'answer'),
      ]),
      path: '/var/spool/postfix/etc/resolv.conf',
      comparedWith: '/etc/resolv.conf',
      differs: true,
      difference: 'name servers',
    },
  },
  {
    kind: 'answers',
    says: [
      "Postfix's chroot copy /var/spool/postfix/etc/resolv.conf differs from /etc/resolv.conf (name servers): its resolver 127.0.0.9:53: answers",
    ],
  },
);

const localFailure = test.macro(
  (
    t,
    results: readonly ('answer' | 'timeout' | 'unreachable' | 'refused' | 'servfail')[],
    expected: Expected,
  ) => {
    const checks = results.map((result, index) => resolverCheck(`127.0.0.${index + 1}:53`, result));
    const diagnosis = {
      ...healthyDiagnosis('a.test'),
      local: resolverView('/etc/resolv.conf', checks),
    };
    const finding = assessDomain(diagnosis);

    t.is(finding.kind, expected.kind);
    t.is(finding.detail, expected.detail);
    for (const words of expected.says ?? []) t.true(finding.reason.includes(words), finding.reason);
  },
);

test('a local resolver refusing connections is down', localFailure, ['unreachable'], {
  kind: 'local-resolver',
  detail: 'down',
  says: [
    'local resolver 127.0.0.1:53: connection refused or unreachable',
    'the only authoritative server address answers MX',
  ],
});
test('a silent local resolver is down', localFailure, ['timeout'], {
  kind: 'local-resolver',
  detail: 'down',
});
test('a local resolver answering REFUSED blocks us', localFailure, ['refused'], {
  kind: 'local-resolver',
  detail: 'blocked',
});
test('a local resolver answering SERVFAIL fails with servfail', localFailure, ['servfail'], {
  kind: 'local-resolver',
  detail: 'servfail',
  says: ['local resolver 127.0.0.1:53: SERVFAIL; the only authoritative server address answers MX'],
});
test(
  'one failing local resolver of two is still a local fault',
  localFailure,
  ['answer', 'servfail'],
  {
    kind: 'local-resolver',
    detail: 'servfail',
    says: ['1 of 2 local resolvers fail', '127.0.0.2:53: SERVFAIL'],
  },
);

test(
  'a failing local resolver with no other view is inconclusive',
  assesses,
  {
    ...healthyDiagnosis('a.test'),
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'servfail')]),
    delegation: {
      status: 'failed',
      parentNxdomain: false,
      nameServers: [],
      path: ['.'],
      reason: 'no server of zone test answered',
    },
    authoritative: authoritativeView([]),
  },
  { kind: 'inconclusive', detail: 'no-other-view', says: ['no server of zone test answered'] },
);

test(
  'authoritative servers that disagree are inconclusive',
  assesses,
  withNameServers(healthyDiagnosis('split.test'), [
    { name: 'ns1.split.test', address: '127.0.9.1', result: 'answer' },
    { name: 'ns2.split.test', address: '127.0.9.2', result: 'nxdomain' },
  ]),
  { kind: 'inconclusive', detail: 'disagree', says: ['ns2.split.test 127.0.9.2: NXDOMAIN'] },
);

test(
  'a null MX means the domain takes no mail',
  assesses,
  {
    ...healthyDiagnosis('null.test'),
    mx: {
      source: 'authoritative',
      result: 'answer',
      records: [{ preference: 0, exchange: '.' }],
      isNullMx: true,
      hosts: [],
    },
  },
  { kind: 'null-mx', says: ['MX 0 .'] },
);

const noMx = test.macro(
  (t, implicit: 'nodata' | 'nxdomain' | 'resolves' | 'failed', expected: Expected) => {
    const diagnosis = {
      ...healthyDiagnosis('bare.test'),
      mx: {
        source: 'authoritative' as const,
        result: 'nodata' as const,
        records: [],
        isNullMx: false,
        hosts: [],
        implicit: { status: implicit, addresses: [], results: ['servfail', 'servfail'] as const },
      },
    };
    const finding = assessDomain(diagnosis);

    t.is(finding.kind, expected.kind);
    t.is(finding.detail, expected.detail);
  },
);

test('no MX and no address is no mail host', noMx, 'nodata', { kind: 'no-mail-host' });
test('no MX and an address takes mail at that address', noMx, 'resolves', { kind: 'answers' });
test('no MX and a failing address look-up is inconclusive', noMx, 'failed', {
  kind: 'inconclusive',
  detail: 'address-lookup-failed',
});

const mxHosts = test.macro((t, hosts: ReturnType<typeof mxHost>[], expected: Expected) => {
  const base = healthyDiagnosis('m.test');
  const finding = assessDomain({ ...base, mx: { ...base.mx, hosts } });

  t.is(finding.kind, expected.kind);
  t.is(finding.detail, expected.detail);
  for (const words of expected.says ?? []) t.true(finding.reason.includes(words), finding.reason);
});

test(
  'an MX host that does not exist is unresolvable',
  mxHosts,
  [mxHost('mx-old.m.test', 'nxdomain')],
  {
    kind: 'mx-unresolvable',
    detail: 'no-address',
    says: ['mx-old.m.test: NXDOMAIN'],
  },
);
test(
  'an MX host that is a CNAME is unusable',
  mxHosts,
  [mxHost('mail.m.test', 'cname', 'mx.p.test')],
  {
    kind: 'mx-unresolvable',
    detail: 'cname',
    says: ['mail.m.test is an alias for mx.p.test', 'RFC 2181'],
  },
);
test(
  'an MX host whose alias chain loops is unusable as an alias and says it loops',
  mxHosts,
  [{ ...mxHost('mx.cloop.test', 'cname', 'mx2.cloop.test'), local: aliasLoop('mx2.cloop.test') }],
  {
    kind: 'mx-unresolvable',
    detail: 'cname',
    says: ['mx.cloop.test is an alias for mx2.cloop.test that loops back to itself', 'RFC 2181'],
  },
);
test(
  'an MX host written as an IP address is unusable',
  mxHosts,
  [mxHost('127.0.0.25', 'ip-literal')],
  {
    kind: 'mx-unresolvable',
    detail: 'ip-literal',
  },
);
test('a reason lists the first five of 1800 MX hosts and counts the rest', (t) => {
  const base = healthyDiagnosis('many.test');
  const hosts = Array.from({ length: 1800 }, (_, index) =>
    mxHost(`mx${index}.many.test`, 'nxdomain'),
  );
  const finding = assessDomain({ ...base, mx: { ...base.mx, hosts } });

  t.is(finding.kind, 'mx-unresolvable');
  t.true(finding.reason.includes('mx4.many.test: NXDOMAIN and 1795 more'), finding.reason);
  t.false(finding.reason.includes('mx5.many.test'), finding.reason);
});

test('a reason lists the first five of many disagreeing records and counts the rest', (t) => {
  const records = Array.from(
    { length: 1800 },
    (_, index) => `many.test MX 10 mx${index}.many.test`,
  );
  const finding = assessDomain({
    ...healthyDiagnosis('many.test'),
    authoritative: authoritativeView([
      {
        ...authServer('ns1.many.test', '127.0.9.1', 'answer'),
        mx: { ...authServer('', '', 'answer').mx, records },
      },
      authServer('ns2.many.test', '127.0.9.2', 'nodata'),
    ]),
  });

  t.is(finding.kind, 'inconclusive');
  t.true(finding.reason.length < 400, finding.reason);
  t.true(finding.reason.includes('and 1795 more'), finding.reason);
});

test(
  'one usable MX host of two is enough',
  mxHosts,
  [mxHost('a.m.test', 'nxdomain'), mxHost('b.m.test', 'resolves')],
  {
    kind: 'answers',
  },
);

function aliasLoop(target: string): NonNullable<MxHost['local']> {
  return {
    status: 'cname',
    addresses: [],
    cnameTarget: target,
    isAliasLoop: true,
    results: ['servfail', 'servfail'],
  };
}

test(
  'one authoritative server of two failing is a partial outage',
  assesses,
  withNameServers(healthyDiagnosis('half.test'), [
    { name: 'ns1.half.test', address: '127.0.9.1', result: 'answer' },
    { name: 'ns2.half.test', address: '127.0.9.2', result: 'unreachable' },
  ]),
  {
    kind: 'recipient-dns',
    detail: 'partial',
    says: ['1 of 2 authoritative server addresses of half.test fail', 'ns2.half.test 127.0.9.2'],
  },
);

test(
  'a server that answers over UDP but refuses TCP is an EDNS or TCP fault',
  assesses,
  {
    ...healthyDiagnosis('udp.test'),
    authoritative: authoritativeView([
      authServer('ns1.udp.test', '127.0.9.1', 'answer', { tcp: reply('unreachable') }),
    ]),
  },
  {
    kind: 'recipient-dns',
    detail: 'edns-or-tcp',
    says: ['answers MX over UDP, but over TCP: connection refused or reset'],
  },
);

test('a TCP question that only timed out is inconclusive and says no truncation', (t) => {
  const finding = assessDomain({
    ...healthyDiagnosis('udp.test'),
    authoritative: authoritativeView([
      authServer('ns1.udp.test', '127.0.9.1', 'answer', { tcp: reply('tcp-timeout') }),
    ]),
  });

  t.is(finding.kind, 'inconclusive');
  t.is(finding.detail, 'tcp-timeout');
  t.is(
    finding.reason,
    'ns1.udp.test 127.0.9.1 answers MX over UDP, but over TCP gave no reply (gave up after 3 ms): ' +
      'a timeout alone does not show that TCP is broken',
  );
});

test(
  'our resolver failing beside a TCP timeout is still our resolver',
  assesses,
  {
    ...healthyDiagnosis('udp.test'),
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'servfail')]),
    authoritative: authoritativeView([
      authServer('ns1.udp.test', '127.0.9.1', 'answer', { tcp: reply('tcp-timeout') }),
    ]),
  },
  { kind: 'local-resolver', detail: 'servfail' },
);

test('FORMERR even without EDNS is no EDNS fault', failingServers, ['formerr'], 'servfail');

test(
  'a server that answers only without EDNS is an EDNS or TCP fault',
  assesses,
  {
    ...healthyDiagnosis('edns.test'),
    authoritative: authoritativeView([
      authServer('ns1.edns.test', '127.0.9.1', 'answer', { ednsRetried: true }),
    ]),
  },
  { kind: 'recipient-dns', detail: 'edns-or-tcp', says: ['only without EDNS'] },
);

test(
  'MX hosts failing where the servers answer only without EDNS is an EDNS fault',
  assesses,
  {
    ...healthyDiagnosis('edns.test'),
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'servfail')]),
    authoritative: authoritativeView([
      authServer('ns1.edns.test', '127.0.9.1', 'answer', { ednsRetried: true }),
    ]),
    mx: {
      ...healthyDiagnosis('edns.test').mx,
      hosts: [mxHost('mx.edns.test', 'failed')],
    },
  },
  { kind: 'recipient-dns', detail: 'edns-or-tcp', says: ['only without EDNS'] },
);

test('a healthy domain checked with port 53 blocked says once which views were not made', (t) => {
  const blocked =
    'no root server answered while the local resolver does: port 53 to the outside looks blocked';
  const finding = assessDomain({
    ...healthyDiagnosis('a.test'),
    delegation: {
      status: 'skipped',
      parentNxdomain: false,
      nameServers: [],
      path: [],
      reason: blocked,
    },
    authoritative: authoritativeView([]),
    outsideBlocked: true,
  });

  t.is(finding.kind, 'answers');
  t.is(finding.reason, 'local resolver 127.0.0.1:53: answers; MX hosts resolve');
  t.is(finding.unmade, `our own resolution from the root could not be made: ${blocked}`);
  t.is(
    describeAnswers(finding),
    'the resolvers answer (local resolver 127.0.0.1:53: answers; MX hosts ' +
      `resolve); our own resolution from the root could not be made: ${blocked}`,
  );
});

test('a walk from the root that was made and failed is said to have failed', (t) => {
  const finding = assessDomain({
    ...healthyDiagnosis('a.test'),
    delegation: {
      status: 'failed',
      parentNxdomain: false,
      nameServers: [],
      path: ['.'],
      reason: 'no server of zone test answered: 127.0.9.2:53 timeout',
    },
    authoritative: authoritativeView([]),
  });

  t.is(
    finding.unmade,
    'our own resolution from the root failed: no server of zone test answered: 127.0.9.2:53 timeout',
  );
});

test('blocked reference resolvers and walk share one reason', (t) => {
  const blocked =
    'no root server and no reference resolver answered while the local resolver does: port 53 to the outside looks blocked';
  const finding = assessDomain({
    ...healthyDiagnosis('a.test'),
    reference: { source: 'reference', servers: [], status: 'fails', note: blocked },
    delegation: {
      status: 'skipped',
      parentNxdomain: false,
      nameServers: [],
      path: [],
      reason: blocked,
    },
    authoritative: authoritativeView([]),
    outsideBlocked: true,
  });

  t.is(
    finding.unmade,
    `our own resolution from the root and the reference resolvers could not be used: ${blocked}`,
  );
  t.is(describeAnswers(finding).split('port 53').length, 2, 'said once');
});

test(
  'a budget of 0 leaves the domain not checked',
  assesses,
  {
    ...healthyDiagnosis('a.test'),
    incomplete: 'no-budget',
    incompleteReason: 'the re-check budget is 0 ms: no DNS query was made',
  },
  { kind: 'not-checked', says: ['budget is 0 ms'] },
);

test(
  "the domain's own word on its mail outranks our resolver failing now",
  assesses,
  {
    ...healthyDiagnosis('bare.test'),
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'unreachable')]),
    mx: {
      source: 'authoritative',
      result: 'nodata',
      records: [],
      isNullMx: false,
      hosts: [],
      implicit: { status: 'nodata', addresses: [], results: ['nodata', 'nodata'] },
    },
  },
  { kind: 'no-mail-host', says: ['no MX record and no address record; our resolver fails too'] },
);

test('a reference rejecting the signatures while ours answers says what defers our mail', (t) => {
  const finding = assessDomain({
    ...healthyDiagnosis('relecloud.test'),
    reference: resolverView('reference', [
      resolverCheck('127.0.8.8:53', 'servfail', { cd: 'answer' }),
    ]),
  });

  t.is(finding.kind, 'recipient-dnssec');
  t.is(finding.ours?.kind, 'answers');
  t.is(
    describeAnswers(finding.ours!, { now: true }),
    'the authoritative servers answer now (the only authoritative server address answers MX; ' +
      'local resolver 127.0.0.1:53: answers; MX hosts resolve); but reference resolver ' +
      '127.0.8.8:53 gives SERVFAIL and answers with checking disabled (CD): validating ' +
      'resolvers reject the DNSSEC signatures of relecloud.test',
  );
});

test('a reference resolver giving NXDOMAIN where the servers give MX is named', (t) => {
  const finding = assessDomain({
    ...healthyDiagnosis('woodgrove.test'),
    reference: resolverView('reference', [resolverCheck('127.0.8.8:53', 'nxdomain')]),
  });
  const said = describeAnswers(finding);

  t.is(finding.kind, 'answers');
  t.false(said.includes('every probe answers'), said);
  t.true(
    said.endsWith(
      'but reference resolver 127.0.8.8:53 gives NXDOMAIN where they give MX records ' +
        '(a stale cache, a filter or a split view)',
    ),
    said,
  );
});

test('a reference resolver giving another MX set is named with both sets', (t) => {
  const finding = assessDomain({
    ...healthyDiagnosis('fourthcoffee.test'),
    reference: resolverView('reference', [
      resolverCheck('127.0.8.8:53', 'answer', { domain: 'elsewhere.test' }),
    ]),
  });

  t.is(
    finding.dissent,
    'reference resolver 127.0.8.8:53 gives MX 10 mx.elsewhere.test where they give ' +
      'MX 10 mx.fourthcoffee.test (a stale cache, a filter or a split view)',
  );
});

test('a reference resolver that agrees with the servers leaves every probe answering', (t) => {
  const finding = assessDomain({
    ...healthyDiagnosis('fourthcoffee.test'),
    reference: resolverView('reference', [
      resolverCheck('127.0.8.8:53', 'answer', { domain: 'fourthcoffee.test' }),
    ]),
  });

  t.is(finding.dissent, undefined);
  t.true(describeAnswers(finding).startsWith('every probe answers ('));
});

test(
  'two failing server addresses are both, and our resolver refusing beside them is noted',
  assesses,
  {
    ...withNameServers(healthyDiagnosis('northwind.test'), [
      { name: 'ns1.northwind.test', address: '127.0.9.21', result: 'timeout' },
      { name: 'ns2.northwind.test', address: '127.0.9.22', result: 'timeout' },
    ]),
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'unreachable')]),
  },
  {
    kind: 'recipient-dns',
    detail: 'unreachable',
    says: [
      'both authoritative server addresses of northwind.test fail',
      '; our resolver fails too (local resolver 127.0.0.1:53: connection refused or unreachable)',
    ],
  },
);

// Our own resolver weighs more than other views: our mail goes through it (a review of the
// verdicts against the DNS lab, 2026-12).

test(
  'our resolver answering NXDOMAIN where the servers give MX is ours to fix',
  assesses,
  {
    ...healthyDiagnosis('a.test'),
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'nxdomain')]),
  },
  {
    kind: 'local-resolver',
    detail: 'wrong-answer',
    says: ['local resolver 127.0.0.1:53 gives NXDOMAIN where they give MX records'],
  },
);

test(
  'our resolver answering NXDOMAIN with no walk from the root is not a missing domain when a reference resolver answers',
  assesses,
  {
    ...healthyDiagnosis('a.test'),
    delegation: { status: 'skipped', parentNxdomain: false, nameServers: [], path: [] },
    authoritative: authoritativeView([]),
    mx: { source: 'local', result: 'nxdomain', records: [], isNullMx: false, hosts: [] },
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'nxdomain')]),
    reference: resolverView('reference', [
      resolverCheck('127.0.8.8:53', 'answer', { domain: 'a.test' }),
    ]),
  },
  {
    kind: 'local-resolver',
    detail: 'wrong-answer',
    says: ['gives NXDOMAIN where reference resolver 127.0.8.8:53 gives MX records'],
  },
);

const hostLookups = [
  ['SERVFAIL for both types', 'failed', ['servfail', 'servfail'], 'servfail'],
  // An IPv4-only host: our resolver fails its A look-up and has no AAAA record, as it should.
  ['SERVFAIL for A and no AAAA', 'failed', ['servfail', 'nodata'], 'servfail'],
  ['no reply', 'failed', ['timeout', 'timeout'], 'down'],
  ['NXDOMAIN', 'nxdomain', ['nxdomain', 'nxdomain'], 'wrong-answer'],
] as const;

for (const [what, status, results, detail] of hostLookups) {
  test(`MX hosts our resolver cannot resolve are ours to fix (${what}): ${detail}`, (t) => {
    const diagnosis = healthyDiagnosis('a.test');
    const host = mxHost('mx.a.test', 'resolves');
    diagnosis.mx = {
      ...diagnosis.mx,
      hosts: [{ ...host, local: { status, addresses: [], results: [...results] } }],
    };

    const finding = assessDomain(diagnosis);

    t.is(finding.kind, 'local-resolver');
    t.is(finding.detail, detail);
    t.regex(finding.reason, /our resolver cannot resolve the MX host of a\.test \(mx\.a\.test: /);
  });
}

test(
  'a closed local resolver is at fault even when a reference resolver fails too',
  assesses,
  {
    ...healthyDiagnosis('a.test'),
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'unreachable')]),
    reference: resolverView('reference', [resolverCheck('127.0.8.8:53', 'servfail')]),
  },
  { kind: 'local-resolver', detail: 'down' },
);

test('a lame server refusing over UDP and TCP is no transport trouble', (t) => {
  const diagnosis = healthyDiagnosis('a.test');
  diagnosis.authoritative = authoritativeView([
    authServer('ns1.a.test', '127.0.9.1', 'answer'),
    authServer('ns2.a.test', '127.0.9.2', 'refused', {
      tcp: { result: 'refused', ms: 1 } as never,
    }),
  ]);

  const finding = assessDomain(diagnosis);

  t.is(finding.kind, 'recipient-dns');
  t.is(finding.detail, 'partial');
  t.false(finding.reason.includes('over TCP'), finding.reason);
});

test('an MX alias that resolves does not hide our resolver failing on the domain', (t) => {
  const diagnosis = healthyDiagnosis('a.test');
  const alias = mxHost('mx.a.test', 'cname', 'mail.b.test');
  diagnosis.mx = {
    ...diagnosis.mx,
    hosts: [{ ...alias, iterative: { ...alias.iterative!, addresses: ['127.0.0.25'] } }],
  };
  diagnosis.local = resolverView('/etc/resolv.conf', [
    resolverCheck('127.0.0.1:53', 'unreachable'),
  ]);

  t.like(assessDomain(diagnosis), { kind: 'local-resolver', detail: 'down' });
});

test('our resolver failing with SERVFAIL for every domain is at fault for a partial outage too', (t) => {
  const servfail = () =>
    resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'servfail')]);
  const partial = {
    ...withNameServers(healthyDiagnosis('partial.test'), [
      { name: 'ns1.partial.test', address: '127.0.9.1', result: 'answer' },
      { name: 'ns2.partial.test', address: '127.0.9.2', result: 'timeout' },
    ]),
    local: servfail(),
  };
  const healthy = { ...healthyDiagnosis('healthy.test'), local: servfail() };

  const findings = assessDomains(
    new Map([
      ['partial.test', partial],
      ['healthy.test', healthy],
    ]),
  );

  t.like(findings.get('partial.test'), { kind: 'local-resolver', detail: 'servfail' });
});

test('a signed zone failing only our validation is ours when our resolver fails the root too', (t) => {
  const diagnosis = {
    ...healthyDiagnosis('signed.test'),
    local: resolverView('/etc/resolv.conf', [
      resolverCheck('127.0.0.1:53', 'servfail', { cd: 'answer' }),
    ]),
  };
  diagnosis.delegation = { ...diagnosis.delegation, signedAtParent: true };

  t.is(assessDomain(diagnosis).kind, 'recipient-dnssec');
  t.like(assessDomain({ ...diagnosis, isRootFailingLocally: true }), {
    kind: 'local-resolver',
    detail: 'dnssec',
  });
});

test('our resolver failing one domain while answering another is no run-wide outage', (t) => {
  const local = (result: 'answer' | 'servfail', domain: string) =>
    resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', result, { domain })]);
  const partial = {
    ...withNameServers(healthyDiagnosis('partial.test'), [
      { name: 'ns1.partial.test', address: '127.0.9.1', result: 'answer' },
      { name: 'ns2.partial.test', address: '127.0.9.2', result: 'timeout' },
    ]),
    local: local('servfail', 'partial.test'),
  };
  const odd = { ...healthyDiagnosis('odd.test'), local: local('servfail', 'odd.test') };
  const ok = { ...healthyDiagnosis('ok.test'), local: local('answer', 'ok.test') };

  const findings = assessDomains(
    new Map([
      ['partial.test', partial],
      ['odd.test', odd],
      ['ok.test', ok],
    ]),
  );

  t.like(findings.get('odd.test'), { kind: 'local-resolver', detail: 'servfail' });
  t.like(findings.get('partial.test'), { kind: 'recipient-dns', detail: 'partial' });
});

test('another MX set from our resolver is a note, not its fault: mail still goes somewhere', (t) => {
  const finding = assessDomain({
    ...healthyDiagnosis('a.test'),
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'answer')]),
  });

  t.is(finding.kind, 'answers');
  t.regex(finding.dissent ?? '', /local resolver 127\.0\.0\.1:53 gives MX 10 mx\.example\.test/);
});
