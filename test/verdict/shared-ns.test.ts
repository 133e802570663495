import test from 'ava';

import type { DomainDiagnosis } from '../../src/dns/types.js';
import { assessDomain, type Finding } from '../../src/verdict/assess.js';
import { findSharedOutages } from '../../src/verdict/shared-ns.js';
import { healthyDiagnosis, withNameServers } from './diagnoses.js';

function failing(domain: string, servers: readonly [string, string][]) {
  return withNameServers(
    healthyDiagnosis(domain),
    servers.map(([name, address]) => ({ name, address, result: 'unreachable' as const })),
  );
}

function outages(...list: DomainDiagnosis[]) {
  const diagnoses = new Map(list.map((diagnosis) => [diagnosis.domain, diagnosis]));
  const findings = new Map<string, Finding>(
    list.map((diagnosis) => [diagnosis.domain, assessDomain(diagnosis)]),
  );

  return findSharedOutages(diagnoses, findings);
}

test('failing domains sharing both name servers form one outage', (t) => {
  const shared: [string, string][] = [
    ['ns1.humongous.test', '127.0.9.31'],
    ['ns2.humongous.test', '127.0.9.32'],
  ];
  const found = outages(failing('adatum.test', shared), failing('treyresearch.test', shared));

  t.deepEqual(found.get('adatum.test'), {
    domains: ['adatum.test', 'treyresearch.test'],
    nameServers: ['ns1.humongous.test', 'ns2.humongous.test'],
  });
  t.deepEqual(found.get('treyresearch.test'), found.get('adatum.test'));
  t.is(found.size, 2);
});

test('failing domains sharing only an address are named by that address', (t) => {
  const found = outages(
    failing('a.test', [['ns.a.test', '127.0.9.40']]),
    failing('b.test', [['ns.b.test', '127.0.9.40']]),
  );

  t.deepEqual(found.get('a.test')?.nameServers, ['127.0.9.40']);
});

test('a domain failing alone is no provider outage', (t) => {
  const found = outages(failing('northwind.test', [['ns1.northwind.test', '127.0.9.21']]));

  t.is(found.size, 0);
});

test('a working domain on the same servers does not make an outage', (t) => {
  const servers: [string, string][] = [['ns1.provider.test', '127.0.9.3']];
  const working = withNameServers(healthyDiagnosis('woodgrove.test'), [
    { name: 'ns1.provider.test', address: '127.0.9.3', result: 'answer' },
  ]);

  t.is(outages(failing('adatum.test', servers), working).size, 0);
});

test('two names in one failing zone are one zone, not a provider', (t) => {
  const servers: [string, string][] = [['ns1.example.test', '127.0.9.50']];
  const first = failing('mail.example.test', servers);
  const second = failing('lists.example.test', servers);
  first.delegation = { ...first.delegation, zone: 'example.test' };
  second.delegation = { ...second.delegation, zone: 'example.test' };

  t.is(outages(first, second).size, 0);
});
