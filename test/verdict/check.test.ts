import test from 'ava';

import { diagnoseDomains } from '../../src/dns/diagnose.js';
import type { DnsRoles } from '../../src/dns/types.js';
import { checkVerdicts } from '../../src/verdict/check.js';
import { a, mx, ns, randomNet, serveZones, soa, startTree } from '../dns/fake-zones.js';
import { authoritativeView, healthyDiagnosis, resolverCheck, resolverView } from './diagnoses.js';

const NOW = Date.UTC(2026, 11, 3, 19);

test('a checked domain whose every probe answers is healthy, not recovered', (t) => {
  const diagnosis = healthyDiagnosis('woodgrove.test');
  const verdict = checkVerdicts(
    ['woodgrove.test'],
    new Map([['woodgrove.test', diagnosis]]),
    NOW,
  ).get('woodgrove.test');

  t.is(verdict?.kind, 'healthy');
  t.is(verdict?.detail, undefined);
  t.deepEqual(verdict?.basis, ['probes']);
  t.is(verdict?.checkedAt, diagnosis.checkedAt);
  t.regex(verdict?.reason ?? '', /^every probe answers \(the only authoritative server/);
});

test('a checked domain with a fault gets the same verdict as a failing group would', (t) => {
  const diagnosis = healthyDiagnosis('woodgrove.test');
  diagnosis.local = resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'servfail')]);
  const verdict = checkVerdicts(
    ['woodgrove.test'],
    new Map([['woodgrove.test', diagnosis]]),
    NOW,
  ).get('woodgrove.test');

  t.is(verdict?.kind, 'local-resolver');
  t.is(verdict?.detail, 'servfail');
});

test('checked domains are not checked when the re-check is off', (t) => {
  const verdicts = checkVerdicts(['a.test', 'b.test'], undefined, NOW);

  t.deepEqual(
    [...verdicts.values()].map((verdict) => verdict.kind),
    ['not-checked', 'not-checked'],
  );
});

test('a checked name that is no host name is inconclusive, not re-checked', (t) => {
  const verdict = checkVerdicts(['postmaster'], new Map(), NOW).get('postmaster');

  t.is(verdict?.kind, 'inconclusive');
  t.is(verdict?.detail, 'invalid-name');
  t.is(
    verdict?.reason,
    'recipient domain "postmaster" is not a valid domain name: no DNS re-check',
  );
});

test('a healthy domain whose walk from the root could not be made says so once', (t) => {
  const blocked =
    'no root server answered while the local resolver does: port 53 to the outside looks blocked';
  const diagnosis = healthyDiagnosis('woodgrove.test');
  diagnosis.delegation = {
    status: 'skipped',
    parentNxdomain: false,
    nameServers: [],
    path: [],
    reason: blocked,
  };
  diagnosis.authoritative = authoritativeView([]);
  diagnosis.outsideBlocked = true;
  const verdict = checkVerdicts(
    ['woodgrove.test'],
    new Map([['woodgrove.test', diagnosis]]),
    NOW,
  ).get('woodgrove.test');

  t.is(verdict?.kind, 'healthy');
  t.is(
    verdict?.reason,
    'the resolvers answer (local resolver 127.0.0.1:53: answers; MX hosts ' +
      `resolve); our own resolution from the root could not be made: ${blocked}`,
  );
});

test('a name server that answers over UDP and is silent over TCP is a timeout, not a TCP fault', async (t) => {
  const net = randomNet();
  const zone = {
    name: 'udp.test',
    records: [
      soa('udp.test'),
      ns('udp.test', 'ns1.udp.test'),
      a('ns1.udp.test', `${net}.3`),
      mx('udp.test', 10, 'mx.udp.test'),
      a('mx.udp.test', `${net}.25`),
    ],
  };
  const answerOverUdp = serveZones([zone]);
  const tree = await startTree(net, {
    1: serveZones([
      { name: '.', records: [ns('test', 'ns1.nic.test'), a('ns1.nic.test', `${net}.2`)] },
    ]),
    2: serveZones([
      { name: 'test', records: [ns('udp.test', 'ns1.udp.test'), a('ns1.udp.test', `${net}.3`)] },
    ]),
    3: (query, transport) => (transport === 'tcp' ? [] : answerOverUdp(query, transport)),
    53: serveZones([zone]),
  });

  try {
    const at = (octet: number) => ({ address: `${net}.${octet}`, port: tree.port });
    const roles: DnsRoles = {
      local: [at(53)],
      localSource: '--local-resolver',
      reference: [],
      roots: [at(1)],
    };
    const diagnoses = await diagnoseDomains(['udp.test'], roles, {
      timeoutMs: 300,
      attempts: 1,
      concurrency: 1,
    });
    const verdict = checkVerdicts(['udp.test'], diagnoses, NOW).get('udp.test');

    t.is(verdict?.kind, 'inconclusive', verdict?.reason);
    t.is(verdict?.detail, 'tcp-timeout');
    t.regex(
      verdict?.reason ?? '',
      /^ns1\.udp\.test \S+ answers MX over UDP, but over TCP gave no reply/,
    );
    t.false(verdict?.reason?.includes('truncated'));
  } finally {
    await tree.close();
  }
});
