// diagnoseDomains against real servers: NSD for the lab's root, TLD and provider, unbound as
// the local and the validating reference resolver (test/helpers/dns-lab.ts). The facts of each
// domain's diagnosis are checked here; what verdict they lead to is the verdict stage's test.

import test from 'ava';

import { diagnoseDomains } from '../../src/dns/diagnose.js';
import type { DnsCheckOptions, DnsRoles, DomainDiagnosis } from '../../src/dns/types.js';
import { checkDnsLab, startDnsLab } from '../helpers/dns-lab.js';
import type { DnsLab, LabDomainRole } from '../helpers/dns-lab.js';

const hasLab = checkDnsLab(test);
const labTest = hasLab ? test : test.skip;
const OPTIONS: DnsCheckOptions = { timeoutMs: 3000, attempts: 1, concurrency: 8 };
/** The clock of the shared re-check, so each `checkedAt` is known. */
const CHECKED_AT = Date.UTC(2024, 2, 7, 9, 30);
let lab: DnsLab | undefined;
let results: Map<string, DomainDiagnosis> | undefined;

test.before(async () => {
  if (hasLab) {
    lab = await startDnsLab();
    results = await diagnoseDomains(Object.values(lab.domains), roles(lab), {
      ...OPTIONS,
      now: () => CHECKED_AT,
    });
  }
});

test.after.always(async () => {
  await lab?.stop();
});

function roles(started: DnsLab, overrides: Partial<DnsRoles> = {}): DnsRoles {
  return {
    local: [started.resolver],
    localSource: '--local-resolver',
    reference: [started.validatingResolver],
    roots: [started.root],
    ...overrides,
  };
}

function diagnosisOf(role: LabDomainRole): DomainDiagnosis {
  const diagnosis = results?.get(lab?.domains[role] ?? '');

  if (diagnosis === undefined) {
    throw new Error(`No diagnosis for the lab's ${role} domain`);
  }

  return diagnosis;
}

function net(): string {
  return lab?.root.address.replace(/\.1$/, '') ?? '';
}

labTest('every lab domain is diagnosed completely', (t) => {
  t.is(results?.size, Object.keys(lab?.domains ?? {}).length);
  t.deepEqual(
    [...(results?.values() ?? [])].filter((diagnosis) => diagnosis.incomplete !== undefined),
    [],
  );
});

labTest('a working domain answers from the resolvers, the walk and its server', (t) => {
  const diagnosis = diagnosisOf('working');

  t.is(diagnosis.domain, 'woodgrove.test');
  t.is(diagnosis.checkedAt, '2024-03-07T09:30:00.000Z');
  t.is(diagnosis.local.status, 'answers');
  t.is(diagnosis.reference.status, 'answers');
  t.is(diagnosis.delegation.status, 'delegated');
  t.is(diagnosis.delegation.zone, 'woodgrove.test');
  t.deepEqual(diagnosis.delegation.path, ['.', 'test', 'woodgrove.test']);
  t.deepEqual(
    diagnosis.delegation.nameServers.map((server) => [server.name, server.source, server.reached]),
    [['ns1.provider.test', 'glue', true]],
  );
  t.is(diagnosis.authoritative.consensus, 'answer');
  t.is(diagnosis.authoritative.servers[0]?.tcp?.result, 'answer');
  t.deepEqual(diagnosis.mx.records, [{ preference: 10, exchange: 'mx1.woodgrove.test' }]);
  t.deepEqual(
    diagnosis.mx.hosts.map((host) => [
      host.name,
      host.status,
      host.local?.status,
      host.iterative?.status,
    ]),
    [['mx1.woodgrove.test', 'resolves', 'resolves', 'resolves']],
  );
  t.deepEqual(diagnosis.mx.hosts[0]?.iterative?.addresses, [`${net()}.103`]);
  t.is(diagnosis.incomplete, undefined);
  t.is(diagnosis.outsideBlocked, undefined);
  t.deepEqual([...new Set(diagnosis.probes.map((probe) => probe.role))].sort(), [
    'authoritative',
    'iterative',
    'local',
    'reference',
    'reference-cd',
  ]);
});

labTest('a domain whose name servers are all down reaches none of them', (t) => {
  const diagnosis = diagnosisOf('unreachable');

  t.is(diagnosis.delegation.status, 'delegated');
  t.deepEqual(
    diagnosis.delegation.nameServers.map((server) => [server.name, server.reached]),
    [
      ['ns1.northwind.test', false],
      ['ns2.northwind.test', false],
    ],
  );
  t.is(diagnosis.authoritative.servers.length, 2);
  t.is(diagnosis.authoritative.answering, 0);
  t.true(
    diagnosis.authoritative.servers.every((server) =>
      ['timeout', 'unreachable'].includes(server.mx.result),
    ),
  );
  t.true(['timeout', 'servfail'].includes(diagnosis.local.servers[0]?.reply.result ?? ''));
  t.is(diagnosis.mx.source, 'none');
});

labTest('a domain with one of two name servers down is partly answering', (t) => {
  const diagnosis = diagnosisOf('partial');

  t.is(diagnosis.authoritative.answering, 1);
  t.is(diagnosis.authoritative.failing, 1);
  t.deepEqual(
    diagnosis.delegation.nameServers.map((server) => [server.name, server.reached]),
    [
      ['ns1.provider.test', true],
      ['ns2.fabrikam.test', false],
    ],
  );
  t.is(diagnosis.mx.source, 'authoritative');
  t.deepEqual(diagnosis.mx.records, [{ preference: 10, exchange: 'mx.fabrikam.test' }]);
});

labTest('a lame delegation is refused by its only server and fails locally', (t) => {
  const diagnosis = diagnosisOf('lame');

  t.deepEqual(
    diagnosis.authoritative.servers.map((server) => [server.mx.result, server.soa.result]),
    [['refused', 'refused']],
  );
  t.is(diagnosis.local.servers[0]?.reply.result, 'servfail');
  t.false(diagnosis.local.servers[0]?.dnssecFailure);
});

labTest('a domain the TLD does not know is NXDOMAIN from the parent', (t) => {
  const diagnosis = diagnosisOf('nxdomain');

  t.is(diagnosis.delegation.status, 'nxdomain');
  t.true(diagnosis.delegation.parentNxdomain);
  t.is(diagnosis.delegation.parentZone, 'test');
  t.deepEqual(diagnosis.authoritative.servers, []);
  t.is(diagnosis.local.servers[0]?.reply.result, 'nxdomain');
  t.is(diagnosis.mx.result, 'nxdomain');
});

labTest('a domain without MX and without address has no implicit MX either', (t) => {
  const diagnosis = diagnosisOf('noMailHost');

  t.is(diagnosis.authoritative.consensus, 'nodata');
  t.is(diagnosis.mx.result, 'nodata');
  t.is(diagnosis.mx.implicit?.status, 'nodata');
});

labTest('the MX shapes are read: null MX, host without address, CNAME, IP literal', (t) => {
  t.true(diagnosisOf('nullMx').mx.isNullMx);
  t.deepEqual(diagnosisOf('nullMx').mx.hosts, []);
  t.deepEqual(
    (['mxNoAddress', 'mxCname', 'mxIpLiteral'] as const).map((role) =>
      diagnosisOf(role).mx.hosts.map((host) => [host.name, host.status]),
    ),
    [
      [['mx-old.litware.test', 'nxdomain']],
      [['mail.cohowinery.test', 'cname']],
      [['127.0.0.25', 'ip-literal']],
    ],
  );
  t.is(diagnosisOf('mxCname').mx.hosts[0]?.iterative?.cnameTarget, 'mx.provider.test');
});

labTest('a signed domain validates and its parent holds its DS', (t) => {
  const diagnosis = diagnosisOf('signed');

  t.true(diagnosis.delegation.signedAtParent);
  t.is(diagnosis.reference.servers[0]?.reply.result, 'answer');
  t.true(diagnosis.reference.servers[0]?.reply.authenticated);
  t.false(diagnosis.reference.servers[0]?.dnssecFailure);
});

labTest('a broken signature fails validation but answers with CD', (t) => {
  const diagnosis = diagnosisOf('dnssecBroken');
  const [reference] = diagnosis.reference.servers;

  t.is(reference?.reply.result, 'servfail');
  t.is(reference?.checkingDisabled?.result, 'answer');
  t.true(reference?.dnssecFailure);
  t.is(diagnosis.local.status, 'answers');
  t.is(diagnosis.local.servers[0]?.checkingDisabled, undefined, 'an answer is not asked again');
  t.is(diagnosis.authoritative.consensus, 'answer');
});

labTest('a local SERVFAIL is asked again with CD, and failing again is no DNSSEC fault', (t) => {
  const diagnosis = diagnosisOf('staleLocalStub');
  const [local] = diagnosis.local.servers;

  t.is(diagnosis.local.status, 'fails');
  t.is(local?.reply.result, 'servfail');
  t.is(local?.checkingDisabled?.result, 'servfail');
  t.false(local?.dnssecFailure);
  t.is(diagnosis.reference.status, 'answers');
  t.is(diagnosis.authoritative.consensus, 'answer');
  t.is(diagnosis.mx.source, 'authoritative');
});

labTest('two domains of one provider name the same failing name servers', (t) => {
  const [first, second] = [diagnosisOf('providerOutageA'), diagnosisOf('providerOutageB')];
  const namesOf = (diagnosis: DomainDiagnosis): string[][] =>
    diagnosis.delegation.nameServers.map((server) => [
      server.name,
      server.source,
      ...server.addresses,
    ]);

  t.deepEqual(namesOf(first), [
    ['ns1.humongous.test', 'resolved', `${net()}.31`],
    ['ns2.humongous.test', 'resolved', `${net()}.32`],
  ]);
  t.deepEqual(namesOf(second), namesOf(first));
  t.is(first.authoritative.answering + second.authoritative.answering, 0);
});

labTest('a local resolver that is down fails while the walk still answers', async (t) => {
  const started = lab!;
  const diagnoses = await diagnoseDomains(
    [started.domains.working],
    roles(started, { local: [started.deadResolver], reference: [] }),
    OPTIONS,
  );
  const diagnosis = diagnoses.get(started.domains.working);

  t.is(diagnosis?.incomplete, undefined);
  t.is(diagnosis?.local.status, 'fails');
  t.true(['unreachable', 'timeout'].includes(diagnosis?.local.servers[0]?.reply.result ?? ''));
  t.is(diagnosis?.authoritative.consensus, 'answer');
  t.is(diagnosis?.mx.source, 'authoritative');
  t.is(diagnosis?.mx.hosts[0]?.iterative?.status, 'resolves');
});

labTest(
  'roots unreachable while the local resolver answers looks like blocked port 53',
  async (t) => {
    const started = lab!;
    const diagnoses = await diagnoseDomains(
      [started.domains.working],
      roles(started, { roots: [started.deadResolver], reference: [] }),
      OPTIONS,
    );
    const diagnosis = diagnoses.get(started.domains.working);

    t.true(diagnosis?.outsideBlocked);
    t.is(diagnosis?.local.status, 'answers');
    t.is(diagnosis?.delegation.status, 'skipped');
  },
);

labTest('two hundred domains are re-checked within the budget', async (t) => {
  const started = lab!;
  const labels = Object.values(started.domains);
  const domains = Array.from({ length: 200 }, (_, index) =>
    index < labels.length ? labels[index]! : `host${index}.${labels[index % labels.length]!}`,
  );
  const began = performance.now();
  const diagnoses = await diagnoseDomains(domains, roles(started), {
    ...OPTIONS,
    concurrency: 16,
    budgetMs: 60_000,
  });

  t.log(`200 domains re-checked in ${Math.round(performance.now() - began)} ms`);
  t.is(diagnoses.size, 200);
  t.deepEqual(
    [...diagnoses.values()].filter((diagnosis) => diagnosis.incomplete !== undefined).length,
    0,
  );
});

labTest(
  'a budget of 1 ms runs out against answering servers: no domain is called offline',
  async (t) => {
    const started = lab!;
    const domains = Object.values(started.domains);
    const diagnoses = await diagnoseDomains(domains, roles(started), { ...OPTIONS, budgetMs: 1 });

    t.deepEqual(
      [...diagnoses.values()].map((diagnosis) => diagnosis.incomplete),
      domains.map(() => 'budget'),
    );
    t.regex(
      diagnoses.get(started.domains.working)?.incompleteReason ?? '',
      /budget of 1 ms ran out/,
    );
  },
);

labTest('a budget of 0 ms checks no domain at all', async (t) => {
  const started = lab!;
  const domains = Object.values(started.domains);
  const diagnoses = await diagnoseDomains(domains, roles(started), { ...OPTIONS, budgetMs: 0 });

  t.deepEqual(
    [...diagnoses.values()].map((diagnosis) => [diagnosis.incomplete, diagnosis.probes.length]),
    domains.map(() => ['no-budget', 0]),
  );
});

labTest(
  'a validation failure at our resolver has it asked for the root zone too, once',
  async (t) => {
    const started = lab!;
    const validating = roles(started, { local: [started.validatingResolver], reference: [] });
    const results = await diagnoseDomains([started.domains.dnssecBroken], validating, OPTIONS);
    const diagnosis = [...results.values()][0];
    const rootQueries = diagnosis?.probes.filter(
      (probe) =>
        probe.role === 'local' && probe.question.name === '.' && probe.question.type === 'NS',
    );

    t.true(diagnosis?.local.servers[0]?.dnssecFailure);
    t.is(rootQueries?.length, 1);
    t.is(rootQueries?.[0]?.result, 'answer');
    t.is(
      diagnosis?.isRootFailingLocally,
      undefined,
      'its trust anchor is good: the zone is broken',
    );
  },
);
