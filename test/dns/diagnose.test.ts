import test from 'ava';
import type { Answer } from 'dns-packet';

import { diagnoseDomain, diagnoseDomains } from '../../src/dns/diagnose.js';
import type { DnsRoles, ServerAddress } from '../../src/dns/types.js';
import { questionOf, replyTo, startFaultServer } from './fault-server.js';
import type { FaultAction, FaultHandler } from './fault-server.js';
import { a, mx, ns, randomNet, serveZones, startTree } from './fake-zones.js';
import type { FakeTree, FakeZone } from './fake-zones.js';

const net = randomNet();
const DOMAINS = ['example.test', 'a.test', 'b.test', 'c.test', 'd.test', 'e.test'];
const OPTIONS = { timeoutMs: 2000, attempts: 1, concurrency: 4 };
let tree: FakeTree;
let closedPort: ServerAddress;
/** Local resolver MX questions being answered right now, and the most seen at once. */
const inFlight = { now: 0, peak: 0 };

function mailZone(domain: string): FakeZone {
  return {
    name: domain,
    records: [mx(domain, 10, `mx.${domain}`), a(`mx.${domain}`, `${net}.50`)],
  };
}

/** A recursive resolver answering from the same data. */
function recursive(): FaultHandler {
  const zones = DOMAINS.map(mailZone);

  return (query) => {
    const { name, type } = questionOf(query);
    const zone = zones.find(
      (candidate) => name === candidate.name || name.endsWith(`.${candidate.name}`),
    );

    const answers =
      zone?.records.filter((record) => record.name === name && record.type === type) ?? [];

    return [recursiveReply(query, zone === undefined ? 'NXDOMAIN' : 'NOERROR', answers)];
  };
}

function recursiveReply(
  query: Parameters<FaultHandler>[0],
  rcode: string,
  answers: Answer[],
): FaultAction {
  return { reply: replyTo(query, { rcode, answers }) };
}

/** The local resolver: like `recursive`, counting MX questions in flight and answering late. */
function slowLocal(): FaultHandler {
  const answer = recursive();

  return (query, transport) => {
    if (questionOf(query).type !== 'MX') {
      return answer(query, transport);
    }

    inFlight.now += 1;
    inFlight.peak = Math.max(inFlight.peak, inFlight.now);
    setTimeout(() => (inFlight.now -= 1), 30);

    return [{ waitMs: 30 }, ...answer(query, transport)];
  };
}

test.before(async () => {
  const delegations = DOMAINS.flatMap((domain) => [ns(domain, 'ns1.provider.test')]);

  tree = await startTree(net, {
    1: serveZones([
      { name: '.', records: [ns('test', 'ns1.nic.test'), a('ns1.nic.test', `${net}.2`)] },
    ]),
    2: serveZones([
      { name: 'test', records: [...delegations, a('ns1.provider.test', `${net}.3`)] },
    ]),
    3: serveZones(DOMAINS.map(mailZone)),
    53: slowLocal(),
    55: (query) =>
      questionOf(query).type === 'NS' ? [{ reply: replyTo(query, { rcode: 'NOERROR' }) }] : [],
    54: recursive(),
  });

  const closed = await startFaultServer(() => [], { address: `${net}.9` });

  closedPort = { address: closed.address, port: closed.port };
  await closed.close();
});

test.after.always(async () => {
  await tree.close();
});

function roles(overrides: Partial<DnsRoles> = {}): DnsRoles {
  return {
    local: [{ address: `${net}.53`, port: tree.port }],
    localSource: '--local-resolver',
    reference: [{ address: `${net}.54`, port: tree.port }],
    roots: [{ address: `${net}.1`, port: tree.port }],
    ...overrides,
  };
}

test.serial(
  'each domain is diagnosed once, under its normalised name, in first-seen order',
  async (t) => {
    const results = await diagnoseDomains(
      ['Example.TEST.', 'b.test', 'example.test'],
      roles(),
      OPTIONS,
    );

    t.deepEqual([...results.keys()], ['example.test', 'b.test']);
  },
);

test.serial('no more domains are checked at once than the concurrency allows', async (t) => {
  inFlight.peak = 0;

  const results = await diagnoseDomains(DOMAINS.slice(1), roles(), { ...OPTIONS, concurrency: 2 });

  t.is(results.size, 5);
  t.is(inFlight.peak, 2);
});

test.serial('when no server at all can be reached every domain is marked no-network', async (t) => {
  const dead = [closedPort];
  const results = await diagnoseDomains(
    ['example.test', 'b.test'],
    roles({ local: dead, roots: dead, reference: [] }),
    OPTIONS,
  );

  for (const diagnosis of results.values()) {
    t.is(diagnosis.incomplete, 'no-network');
    t.is(
      diagnosis.incompleteReason,
      'no DNS server could be reached within 2000 ms: ' +
        '1 local resolver (1 ECONNREFUSED); 1 root server (1 ECONNREFUSED)',
    );
    t.is(diagnosis.delegation.status, 'skipped');
    t.deepEqual(
      diagnosis.probes.map((probe) => probe.result),
      ['unreachable', 'unreachable'],
    );
  }
});

test.serial(
  'roots and reference resolvers unreachable while the local resolver answers is a blocked port 53',
  async (t) => {
    const dead = [closedPort];
    const diagnosis = await diagnoseDomain(
      'example.test',
      roles({ roots: dead, reference: dead }),
      OPTIONS,
    );

    t.true(diagnosis.outsideBlocked);
    t.is(diagnosis.incomplete, undefined);
    t.is(diagnosis.local.status, 'answers');
    t.is(diagnosis.reference.status, 'fails');
    t.is(diagnosis.delegation.status, 'skipped');
    t.regex(diagnosis.delegation.reason ?? '', /port 53 to the outside looks blocked/);
    t.is(diagnosis.mx.source, 'local');
    t.is(diagnosis.mx.hosts[0]?.iterative, undefined);
  },
);

test.serial(
  'a blocked port 53 is not said to leave a local resolver answering that then times out',
  async (t) => {
    const diagnosis = await diagnoseDomain(
      'example.test',
      roles({
        local: [{ address: `${net}.55`, port: tree.port }],
        roots: [closedPort],
        reference: [closedPort],
      }),
      OPTIONS,
    );

    t.true(diagnosis.outsideBlocked);
    t.is(diagnosis.local.servers[0]?.reply.result, 'timeout');
    t.is(
      diagnosis.delegation.reason,
      'no root server and no reference resolver answered our first query, though the local ' +
        'resolver did: port 53 to the outside looks blocked',
    );
  },
);

test.serial('domains not started within the budget are marked, never guessed', async (t) => {
  let clock = Date.UTC(2024, 0, 1);
  const results = await diagnoseDomains(['a.test', 'b.test', 'c.test'], roles(), {
    ...OPTIONS,
    concurrency: 1,
    budgetMs: 2500,
    now: () => (clock += 1000),
  });

  t.deepEqual(
    [...results.values()].map((diagnosis) => [diagnosis.domain, diagnosis.incomplete ?? 'done']),
    [
      ['a.test', 'done'],
      ['b.test', 'done'],
      ['c.test', 'budget'],
    ],
  );
  t.regex(results.get('c.test')?.incompleteReason ?? '', /budget of 2500 ms ran out before/);
  t.is(results.get('c.test')?.mx.source, 'none');
  t.truthy(results.get('b.test')?.checkedAt);
  t.is(results.get('c.test')?.checkedAt, undefined, 'a domain never started claims no check');
});

test.serial(
  'a domain cut short by the budget is marked and keeps no cut-short probes',
  async (t) => {
    const silent = await startFaultServer(() => []);

    try {
      const diagnosis = await diagnoseDomain(
        'example.test',
        roles({ local: [silent], reference: [] }),
        { ...OPTIONS, timeoutMs: 60_000, budgetMs: 2000 },
      );

      t.is(diagnosis.incomplete, 'budget');
      t.false(diagnosis.probes.some((probe) => probe.role === 'local'));
      t.true(diagnosis.probes.some((probe) => probe.role === 'authoritative'));
    } finally {
      await silent.close();
    }
  },
);

test.serial(
  'a budget that ends during the reachability round marks domains out of budget, not offline',
  async (t) => {
    const answer = recursive();
    const slow = await startFaultServer((query, transport) => [
      { waitMs: 500 },
      ...answer(query, transport),
    ]);

    try {
      const results = await diagnoseDomains(
        ['example.test', 'b.test'],
        roles({ local: [slow], roots: [slow], reference: [] }),
        { ...OPTIONS, budgetMs: 50 },
      );

      t.deepEqual(
        [...results.values()].map((diagnosis) => [diagnosis.incomplete, diagnosis.probes]),
        [
          ['budget', []],
          ['budget', []],
        ],
      );
      t.is(
        results.get('b.test')?.incompleteReason,
        'the re-check budget of 50 ms ran out before this domain was started',
      );
      t.is(results.get('b.test')?.checkedAt, undefined, 'no query was made for it');
    } finally {
      await slow.close();
    }
  },
);

/** A recursive resolver whose first MX query without CD gets SERVFAIL, as a resolver still
 *  waiting on a slow upstream gives; or, with `always`, every such query, as a validating
 *  resolver that rejects the domain's signatures does. */
function servfailFirst(always: boolean): FaultHandler {
  const answer = recursive();
  let failed = false;

  return (query, transport) => {
    const isPlainMx = questionOf(query).type === 'MX' && query.flag_cd !== true;
    if (!isPlainMx || (failed && !always)) return answer(query, transport);
    failed = true;
    return [recursiveReply(query, 'SERVFAIL', [])];
  };
}

for (const always of [false, true]) {
  const title = always
    ? 'a resolver that fails again without CD and answers with it is a DNSSEC failure'
    : 'a passing SERVFAIL that the resolver answers when asked again is no DNSSEC failure';
  test.serial(title, async (t) => {
    const local = await startFaultServer(servfailFirst(always));

    try {
      const diagnosis = await diagnoseDomain(
        'example.test',
        roles({ local: [local], reference: [] }),
        OPTIONS,
      );
      const check = diagnosis.local.servers[0];
      const asked = diagnosis.probes
        .filter((probe) => probe.role === 'local' && probe.question.type === 'MX')
        .map((probe) => probe.result);

      t.is(check?.dnssecFailure, always);
      t.is(check?.reply.result, always ? 'servfail' : 'answer');
      t.deepEqual(asked, ['servfail', 'answer', always ? 'servfail' : 'answer']);
    } finally {
      await local.close();
    }
  });
}

test.serial(
  'the root zone is asked once per run, however many domains fail validation',
  async (t) => {
    const answer = servfailFirst(true);
    const local = await startFaultServer(answer);

    try {
      const results = await diagnoseDomains(
        ['example.test', 'a.test', 'b.test'],
        roles({ local: [local], reference: [] }),
        OPTIONS,
      );
      const rootQueries = local.queries.filter((query) => {
        const { name, type } = questionOf(query);
        return name === '.' && type === 'NS';
      });

      t.deepEqual(
        [...results.values()].map((diagnosis) => diagnosis.local.servers[0]?.dnssecFailure),
        [true, true, true],
      );
      // One in the reachability round, one for the three validation failures.
      t.is(rootQueries.length, 2);
    } finally {
      await local.close();
    }
  },
);

test.serial('a budget of 0 ms sends no query and marks every domain at once', async (t) => {
  const counting = await startFaultServer(recursive());

  try {
    const results = await diagnoseDomains(
      ['example.test', 'b.test'],
      roles({ local: [counting], roots: [counting], reference: [counting] }),
      { ...OPTIONS, budgetMs: 0 },
    );

    t.deepEqual(counting.received, { udp: 0, tcp: 0 });
    t.deepEqual(
      [...results.values()].map((diagnosis) => [
        diagnosis.domain,
        diagnosis.incomplete,
        diagnosis.checkedAt,
      ]),
      [
        ['example.test', 'no-budget', undefined],
        ['b.test', 'no-budget', undefined],
      ],
    );
    t.is(
      results.get('example.test')?.incompleteReason,
      'the re-check budget is 0 ms: no DNS query was made',
    );
  } finally {
    await counting.close();
  }
});

test.serial('a name that is no host name is refused without a query', async (t) => {
  const counting = await startFaultServer(recursive());
  const invalid = ['<script>.example', 'postmaster', 'x\x1b[2J.example', '192.0.2.1'];

  try {
    const results = await diagnoseDomains(
      invalid,
      roles({ local: [counting], roots: [counting], reference: [counting] }),
      OPTIONS,
    );

    t.deepEqual(counting.received, { udp: 0, tcp: 0 });
    // Normalised as every domain is (`normaliseDomain`), which takes `<>` around a name away.
    t.deepEqual(
      [...results.keys()],
      ['script>.example', 'postmaster', 'x\x1b[2j.example', '192.0.2.1'],
    );

    for (const diagnosis of results.values()) {
      t.is(diagnosis.incomplete, 'invalid-name');
      t.is(diagnosis.incompleteReason, 'not a valid domain name: no DNS re-check');
      t.deepEqual(diagnosis.probes, []);
      t.is(diagnosis.delegation.status, 'skipped');
    }
  } finally {
    await counting.close();
  }
});

test.serial('valid names next to refused ones are diagnosed, in first-seen order', async (t) => {
  const results = await diagnoseDomains(['postmaster', 'example.test'], roles(), OPTIONS);

  t.deepEqual(
    [...results.values()].map((diagnosis) => [diagnosis.domain, diagnosis.incomplete ?? 'done']),
    [
      ['postmaster', 'invalid-name'],
      ['example.test', 'done'],
    ],
  );
});

test.serial('a differing Postfix chroot resolv.conf gets its own view', async (t) => {
  const diagnosis = await diagnoseDomain(
    'example.test',
    roles({
      chroot: {
        path: '/var/spool/postfix/etc/resolv.conf',
        servers: [closedPort],
        comparedWith: '/etc/resolv.conf',
        differs: true,
        difference: 'name servers',
      },
    }),
    OPTIONS,
  );

  t.is(diagnosis.chroot?.path, '/var/spool/postfix/etc/resolv.conf');
  t.true(diagnosis.chroot?.differs);
  t.is(diagnosis.chroot?.status, 'fails');
  t.is(diagnosis.chroot?.servers[0]?.reply.result, 'unreachable');
  t.is(diagnosis.local.status, 'answers');
});

test.serial('a chroot copy with the same servers is noted and not asked', async (t) => {
  const diagnosis = await diagnoseDomain(
    'example.test',
    roles({
      chroot: {
        path: '/var/spool/postfix/etc/resolv.conf',
        servers: roles().local,
        comparedWith: '/etc/resolv.conf',
        differs: false,
      },
    }),
    OPTIONS,
  );

  t.false(diagnosis.chroot?.differs);
  t.is(diagnosis.chroot?.status, 'none');
  t.deepEqual(diagnosis.chroot?.servers, []);
  t.is(diagnosis.chroot?.note, 'the same as /etc/resolv.conf');
});

test.serial('a chroot copy with other options but our servers is not asked again', async (t) => {
  const diagnosis = await diagnoseDomain(
    'example.test',
    roles({
      chroot: {
        path: '/var/spool/postfix/etc/resolv.conf',
        servers: roles().local,
        comparedWith: '/etc/resolv.conf',
        differs: true,
        difference: 'options',
      },
    }),
    OPTIONS,
  );

  t.true(diagnosis.chroot?.differs);
  t.is(diagnosis.chroot?.difference, 'options');
  t.is(diagnosis.chroot?.status, 'none');
  t.is(diagnosis.chroot?.note, 'the same name servers as --local-resolver, asked there');
  t.is(
    diagnosis.probes.filter(
      (probe) =>
        probe.role === 'local' &&
        probe.question.name === 'example.test' &&
        probe.question.type === 'MX',
    ).length,
    1,
  );
});

test('domain names are lower-cased, lose every trailing dot and become A-labels', async (t) => {
  const given = ['Example.TEST.', ' b.test ', 'bücher.example', 'ÉCOLE.test.', 'c.test..'];
  // A budget of 0 asks nothing: only the names the results are kept under are looked at.
  const results = await diagnoseDomains(given, roles(), { ...OPTIONS, budgetMs: 0 });

  t.deepEqual(
    [...results.keys()],
    ['example.test', 'b.test', 'xn--bcher-kva.example', 'xn--cole-9oa.test', 'c.test'],
  );
});
